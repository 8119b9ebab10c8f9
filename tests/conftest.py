"""Shared helpers: paths to the shipped files, and writers for small cases built in tests."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

import engine
from engine.load import load_document

# The engine keeps compiled gates and the schemes that passed in the user's cache folder; the tests
# (and the commands they run) keep theirs in a folder of the run's own, removed at its end.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="engine-tests-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)

ROOT = Path(__file__).resolve().parent.parent
PROJECT_SCHEME = ROOT / "schemes" / "project-self-eval" / "2023.yaml"
ZHANYI_PROJECTS = sorted((ROOT / "cases" / "zhanyi-2023" / "projects").glob("*.yaml"))


FUZZ: Counter = Counter()  # filled by tests/test_fuzz.py and tests/test_no_exit_3.py, reported at the end of the run


def pytest_terminal_summary(terminalreporter):
    if FUZZ["inputs"]:
        terminalreporter.write_line(
            f"fuzz: {FUZZ['inputs']:,} inputs tried, {FUZZ['located errors']:,} located errors, "
            f"{FUZZ['results']:,} results, {FUZZ['tracebacks']} tracebacks, {FUZZ['exit-3']} exit-3")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite the golden files under tests/golden from the current output")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Decimal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:float", str(value)))


def dump_yaml(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def read_data(name: str):
    """A test data file under tests/data, read by the engine's own loader (numbers stay Decimal)."""
    return load_document(ROOT / "tests" / "data" / name).data


def project_case(rows=None, funds=None, reported=None, **identity) -> dict:
    """A small project case as plain data, defaulting to a fully funded, fully executed project."""
    amount = Decimal("100.00")
    case = {
        "scheme": "project-self-eval",
        "fiscal_year": 2023,
        "kind": "project",
        "name": "测试项目",
        "funds": funds or {
            "total": {"initial_budget": amount, "full_year_budget": amount, "executed": amount},
            "appropriation": {"initial_budget": amount, "full_year_budget": amount, "executed": amount},
        },
        "indicators": rows if rows is not None else [
            {"level1": "产出指标", "level2": "数量指标", "name": "完成数", "nature": "≥", "target": 90,
             "unit": "%", "actual": 90, "weight": 90},
        ],
    }
    case.update(identity)
    if reported is not None:
        case["reported"] = reported
    return case


def write_case(tmp_path: Path, data: dict, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


def scheme_variant(tmp_path: Path, old: str, new: str, name: str = "variant.yaml") -> Path:
    """The shipped project scheme with one exact piece of text replaced (a one-line edit)."""
    text = PROJECT_SCHEME.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"expected exactly one {old!r} in the shipped scheme"
    path = tmp_path / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def project_scheme() -> engine.CompiledScheme:
    return engine.load_scheme(PROJECT_SCHEME)

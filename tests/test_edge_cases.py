"""The edge cases of tests/data/edge_cases.yaml, each scored and held to its hand-worked figures.

One entry is one case: a base case with a few things changed, scored by a shipped scheme (or by a
scheme extending it with a few settings changed). The arithmetic is in the data file, beside
each expected figure. Every result also keeps the invariants of tests/invariants.py.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest

import engine
from engine.errors import EngineError
from engine.explain import explain
from engine.load import load_document

from conftest import ROOT, dump_yaml, read_data
from invariants import assert_invariants

EDGE = read_data("edge_cases.yaml")
CASES = EDGE["cases"]


def merged(base, change):
    """`change` laid over `base`: mappings merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(change, dict):
        out = dict(base)
        for key, value in change.items():
            out[key] = merged(base.get(key), value) if key in base else value
        return out
    return copy.deepcopy(change)


def case_data(entry: dict) -> dict:
    base = EDGE["bases"][entry.get("base", "project")]
    data = load_document(ROOT / base["file"]).data if "file" in base else copy.deepcopy(base)
    for key in ("funds", "data", "reported"):
        if key in entry:
            data = merged(data, {key: entry[key]})
    if "rows" in entry:
        data["indicators"] = copy.deepcopy(entry["rows"])
    if "row" in entry:
        data["indicators"][0] = merged(data["indicators"][0], entry["row"])
    return data


def scheme_path(entry: dict, tmp_path: Path) -> Path:
    shipped = ROOT / EDGE["schemes"][entry.get("base", "project")]
    if "scheme_patch" not in entry:
        return shipped
    path = tmp_path / "scheme.yaml"
    path.write_text(dump_yaml({"extends": str(shipped), **entry["scheme_patch"]}), encoding="utf-8")
    return path


def test_the_file_covers_sixty_cases_with_unique_ids():
    ids = [entry["id"] for entry in CASES]
    assert len(ids) >= 60
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("entry", CASES, ids=[entry["id"] for entry in CASES])
def test_edge_case(entry, tmp_path):
    expect = entry["expect"]
    case_file = tmp_path / "case.yaml"
    case_file.write_text(dump_yaml(case_data(entry)), encoding="utf-8")
    scheme = engine.load_scheme(scheme_path(entry, tmp_path))
    if "error" in expect:
        with pytest.raises(EngineError) as raised:
            engine.score_file(scheme, case_file)
        assert expect["error"] in str(raised.value), str(raised.value)
        return
    case = engine.load_case(scheme, case_file)
    result = engine.evaluate(scheme, case)
    by_id = {indicator.id: indicator for indicator in result.indicators}
    for key, score in (expect.get("scores") or {}).items():
        assert by_id[key].score == Decimal(score), (key, by_id[key].score)
    for key, branch in (expect.get("branch") or {}).items():
        assert by_id[key].branch == branch, (key, by_id[key].branch)
    for key, flags in (expect.get("flags") or {}).items():
        assert list(by_id[key].flags) == flags, (key, by_id[key].flags)
    for name, value in (expect.get("values") or {}).items():
        assert result.values[name] == Decimal(value), (name, result.values[name])
    if "total" in expect:
        assert result.total == Decimal(expect["total"])
    if "grade" in expect:
        assert result.grade == expect["grade"]
    checks = {check.id: check for check in result.checks}
    for key, status in (expect.get("checks") or {}).items():
        assert checks[key].status == status, (key, checks[key].message, checks[key].details)
    for key, words in (expect.get("messages") or {}).items():
        text = " ".join((checks[key].message, *checks[key].details))
        for word in words:
            assert word in text, (key, word, text)
    for words in expect.get("notes") or ():
        assert any(words in note for note in result.notes), result.notes
    if "explain" in expect:
        sheet = explain(scheme, case, result)
        for line in expect["explain"]:
            assert line in sheet, sheet
    assert_invariants(scheme, case, result)


def test_check_on_a_blank_execution_rate_says_what_it_did_not_check(tmp_path, monkeypatch):
    """`engine check` counts a check it could not run as not run, never as passed, and exits 0."""
    from click.testing import CliRunner

    from engine.cli import main

    text = (ROOT / "cases/zhanyi-2023/projects/fire-insurance.yaml").read_text(encoding="utf-8")
    case = tmp_path / "blank-rate.yaml"
    case.write_text(text.replace("execution: {weight: 10, rate: 100.00%, score: 10}",
                                 "execution: {weight: 10, rate: ~, score: ~}"), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(case)])
    assert result.exit_code == 0
    # 15 checks in the scheme: the rate and its score were left blank, so 2 not run and 13 passed
    assert f"{case}：13 项通过，2 项未核对" in result.stdout
    assert "  – 执行率与金额相符：原表执行率未填写，未核对" in result.stdout
    assert "  – 预算执行率得分与原表一致：原表执行率得分未填写，未核对" in result.stdout
    assert "全部通过" not in result.stdout
    score = CliRunner().invoke(main, ["score", str(ROOT / "schemes/project-self-eval/2023.yaml"), str(case)])
    assert "勾稽核对：13 项通过，2 项未核对" in score.stdout  # score and check agree

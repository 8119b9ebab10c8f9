"""The fast schema gate (fastjsonschema) and jsonschema agree on what is valid.

The gate answers for valid files; jsonschema only names problems. If the gate ever let through a
file jsonschema rejects, a problem would go unreported — so every file the tests know is tried on both.
"""

from __future__ import annotations

import copy

import pytest

from engine.load import load_document
from engine.validate import fast_gate, schema_validator

from conftest import ROOT

FILES = sorted((ROOT / "schemes").rglob("*.yaml")) + sorted((ROOT / "cases").rglob("*.yaml")) + \
    sorted((ROOT / "tests" / "data").glob("*.yaml"))


def kind_of(path):
    if path.name.endswith(".test.yaml"):
        return "test"
    return "scheme" if "schemes" in path.parts or path.name == "planted-errors.yaml" else "case"


def gate_accepts(kind, data) -> bool:
    try:
        fast_gate(kind)(data)
        return True
    except Exception:  # noqa: BLE001
        return False


def mutations(data):
    """The document, and copies with one thing broken in each of several ways."""
    yield data
    if isinstance(data, dict):
        for key in list(data)[:6]:
            broken = copy.deepcopy(data)
            broken[key] = {"unexpected": [1, 2]}
            yield broken
            missing = copy.deepcopy(data)
            del missing[key]
            yield missing
        extra = copy.deepcopy(data)
        extra["stray_key"] = 1
        yield extra


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_gate_and_jsonschema_agree(path):
    kind = kind_of(path)
    data = load_document(path).data
    for variant in mutations(data):
        valid = not list(schema_validator(kind).iter_errors(variant))
        assert gate_accepts(kind, variant) == valid

"""The fast schema gate (fastjsonschema) and jsonschema agree on what is valid.

The gate answers for valid files; jsonschema only names problems. If the gate ever let through a
file jsonschema rejects, a problem would go unreported — so every file the tests know is tried on both.
"""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from engine.load import load_document
from engine.validate import _Unsupported, compile_plain_gate, fast_gate, plain_gate, plain_gate_source, schema_validator

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


# ------------------------------------------------------------ the plain gate ----------
# validate.plain_gate answers "certainly fits" or "not sure"; it must never pass what jsonschema refuses.

CASE_FILES = [path for path in FILES if kind_of(path) == "case"]
STRANGE_VALUES = (True, False, 0, 2023, Decimal("1.5"), Decimal("2023.0"), 1.5, "", "x", None, [], [1], {}, {"stray": 1})


def every_node(data, path=()):
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from every_node(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from every_node(value, path + (i,))


def replaced(data, path, value):
    if not path:
        return value
    copied = copy.copy(data)
    copied[path[0]] = replaced(data[path[0]], path[1:], value)
    return copied


def deep_mutations(data):
    """Every node of the document replaced by each strange value; every mapping without each key, with a stray one."""
    for path, node in every_node(data):
        for value in STRANGE_VALUES:
            yield replaced(data, path, value)
        if isinstance(node, dict):
            for key in node:
                yield replaced(data, path, {k: v for k, v in node.items() if k != key})
            yield replaced(data, path, {**node, "stray_key": 1, 7: "a key that is not text"})


@pytest.mark.parametrize("path", CASE_FILES, ids=[str(p.relative_to(ROOT)) for p in CASE_FILES])
def test_plain_gate_passes_only_what_jsonschema_passes(path):
    data = load_document(path).data
    validator = schema_validator("case")
    # A valid case should not need the slower validators (some files here are not cases at all).
    valid = not list(validator.iter_errors(data))
    assert plain_gate("case")(data) == valid
    passed = 0
    for variant in deep_mutations(data):
        if plain_gate("case")(variant):
            passed += 1
            assert not list(validator.iter_errors(variant)), variant
    assert passed or not valid  # some mutations are harmless (a blank note, one key fewer): the gate must still say yes


def test_plain_gate_is_unsure_of_what_it_does_not_compile():
    assert plain_gate("scheme")({}) is False  # the scheme schema uses pattern, if/then …: left to fastjsonschema
    with pytest.raises(_Unsupported):
        plain_gate_source({"type": "object", "properties": {"a": {"type": "string", "pattern": "^x"}}})
    with pytest.raises(_Unsupported):  # two choices admitting numbers: "exactly one" is not "any" there
        plain_gate_source({"oneOf": [{"type": "integer"}, {"type": "number"}]})
    with pytest.raises(_Unsupported):  # 1 == True in Python, not in JSON Schema
        plain_gate_source({"enum": [1, "a"]})


def test_plain_gate_on_its_own_keywords():
    fits = compile_plain_gate({
        "$defs": {"value": {"type": ["number", "string", "null"]}},
        "type": "object", "required": ["a"], "additionalProperties": False,
        "properties": {
            "a": {"type": "string", "minLength": 2},
            "b": {"enum": ["x", "y"]},
            "c": {"type": "array", "items": {"$ref": "#/$defs/value"}},
            "d": {"type": "object", "additionalProperties": {"type": "integer"}},
            "e": {"oneOf": [{"type": "array"}, {"type": "number"}, {"type": "object", "properties": {"f": {"type": "string"}}}]},
        },
    })
    assert fits({"a": "ab", "b": "x", "c": [1, Decimal("2.5"), "3", None], "d": {"k": 1}, "e": {"f": "g"}})
    assert fits({"a": "ab", "e": [True]})
    for wrong in ({}, {"a": "a"}, {"a": 12}, {"a": "ab", "b": "z"}, {"a": "ab", "b": True}, {"a": "ab", "c": [True]},
                  {"a": "ab", "c": [1.5]}, {"a": "ab", "d": {"k": "1"}}, {"a": "ab", "d": {"k": True}},
                  {"a": "ab", "e": "s"}, {"a": "ab", "e": {"f": 1}}, {"a": "ab", "z": 1}, {"a": "ab", 1: 1}, []):
        assert not fits(wrong), wrong

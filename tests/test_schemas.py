"""The JSON Schemas: valid draft 2020-12, Chinese help on every property, and the shipped files pass them."""

from __future__ import annotations

import json

import jsonschema
import pytest

from engine.load import load_document
from engine.validate import SCHEMA_KINDS, check_shape, schema_text

from conftest import ROOT

SHIPPED = sorted((ROOT / "schemes").rglob("*.yaml")) + sorted((ROOT / "cases").rglob("*.yaml"))


def properties(node, path="$"):
    """Every (path, property schema) under `properties` anywhere in a schema."""
    if isinstance(node, dict):
        for name, child in node.get("properties", {}).items():
            yield f"{path}.{name}", child
        for key, child in node.items():
            yield from properties(child, f"{path}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from properties(child, f"{path}[{i}]")


@pytest.mark.parametrize("kind", SCHEMA_KINDS + ("vocabulary",))
def test_schema_is_valid_and_every_property_is_described_in_chinese(kind):
    schema = json.loads(schema_text(kind))
    jsonschema.Draft202012Validator.check_schema(schema)
    defs = schema.get("$defs", {})
    for path, prop in properties(schema):
        described = prop.get("description") or defs.get(prop.get("$ref", "").rsplit("/", 1)[-1], {}).get("description")
        assert described, f"{kind}: {path} has no description"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in described), f"{kind}: {path} is not described in Chinese"


@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(ROOT)) for p in SHIPPED])
def test_shipped_files_name_their_schema_and_pass_it(path):
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    kind = "test" if path.name.endswith(".test.yaml") else "scheme" if path.is_relative_to(ROOT / "schemes") else "case"
    assert first_line.startswith("# yaml-language-server: $schema=")
    target = (path.parent / first_line.split("=", 1)[1]).resolve()
    assert target == (ROOT / "schemas" / f"{kind}.schema.json").resolve()
    document = load_document(path)
    assert check_shape(document, kind) == []
    if kind == "scheme":  # a year's scheme says only what changed since its base year; a variant, since its base scheme
        base_scheme = path.parent.name in ("project-self-eval", "four-dimension", "department-self-eval", "project-evaluation")
        base = path.name == "2023.yaml" and base_scheme
        assert ("extends" in document.data) == (not base)


def test_the_shipped_vocabulary_names_its_schema_and_passes_it():
    path = ROOT / "schemas" / "vocabulary.yaml"
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=vocabulary.schema.json"
    assert check_shape(load_document(path), "vocabulary") == []

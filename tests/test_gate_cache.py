"""What the shape check keeps between runs (engine.validate): the plain gate's code, and which scheme
contents passed before. Each is used only for exactly what it was made from."""

from __future__ import annotations

import copy
import os
from decimal import Decimal

import pytest

from engine import validate
from engine.load import Document, load_document

from conftest import ROOT

SCHEME = ROOT / "schemes" / "project-self-eval" / "2023.yaml"
CASE = ROOT / "cases" / "zhanyi-2023" / "projects" / "fire-insurance.yaml"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache folder of the test's own, and gates made afresh for it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    gates = (validate.plain_gate, validate.fast_gate)
    for cached in gates:
        cached.cache_clear()
    yield tmp_path / "budget-eval-engine"
    for cached in gates:
        cached.cache_clear()


class CountingGate:
    """fast_gate replaced: counts the documents it is asked about, passes them all."""

    def __init__(self):
        self.asked = 0

    def __call__(self, kind):
        def gate(data):
            self.asked += 1
        return gate


def test_the_plain_gate_is_made_once_and_read_back_in_the_next_run(cache, monkeypatch):
    case = load_document(CASE)
    assert validate.plain_gate("case")(case.data) is True
    kept = list(cache.glob("case-plain-*.marshal"))
    assert len(kept) == 1
    # The next run (a fresh process: the in-memory gate gone) reads the code back; it does not generate it.
    validate.plain_gate.cache_clear()
    monkeypatch.setattr(validate, "plain_gate_source", lambda schema: pytest.fail("generated again"))
    assert validate.plain_gate("case")(case.data) is True
    broken = copy.deepcopy(case.data)
    broken["project"] = 5
    assert validate.plain_gate("case")(broken) is False


def test_a_kept_gate_for_another_schema_is_not_used(cache, monkeypatch):
    assert validate.plain_gate("case")({}) is False
    validate.plain_gate.cache_clear()
    made = []
    original = validate.plain_gate_source
    monkeypatch.setattr(validate, "plain_gate_source", lambda schema: made.append(1) or original(schema))
    text = validate.schema_text("case")
    monkeypatch.setattr(validate, "schema_text", lambda kind: text.replace('"title"', '"title" ', 1))
    validate.plain_gate("case")
    assert made == [1]  # a schema changed by one character: made again, not read back


def test_a_scheme_that_passed_is_not_gated_again_until_one_value_changes(cache, monkeypatch):
    counting = CountingGate()
    monkeypatch.setattr(validate, "fast_gate", counting)
    scheme = load_document(SCHEME)
    assert validate.check_shape(scheme, "scheme") == []
    assert counting.asked == 1 and len(list(cache.glob("passed-scheme-*.marshal"))) == 1
    assert validate.check_shape(load_document(SCHEME), "scheme") == []
    assert counting.asked == 1  # the same content, read again: remembered
    changed = copy.deepcopy(scheme.data)
    changed["grades"][0]["min"] = Decimal("90.0")  # 90 → 90.0: equal as a number, another text
    assert validate.check_shape(Document(scheme.source, changed, scheme.positions), "scheme") == []
    assert counting.asked == 2
    # One file per source file: the changed content replaced what was remembered of it.
    assert len(list(cache.glob("passed-scheme-*.marshal"))) == 1
    assert validate.check_shape(load_document(SCHEME), "scheme") == []
    assert counting.asked == 3


def test_a_scheme_that_fails_is_never_remembered_and_a_damaged_memory_is_ignored(cache):
    scheme = load_document(SCHEME)
    broken = copy.deepcopy(scheme.data)
    broken["grades"] = "优"
    problems = validate.check_shape(Document(scheme.source, broken, scheme.positions), "scheme")
    assert problems and {problem.path for problem in problems} == {("grades",)}
    assert not list(cache.glob("passed-*"))
    assert validate.check_shape(scheme, "scheme") == []
    (remembered,) = cache.glob("passed-scheme-*.marshal")
    remembered.write_bytes(b"\x00garbage")
    assert validate.check_shape(scheme, "scheme") == []
    # The broken content after the valid one, under the same file name: still refused.
    assert validate.check_shape(Document(scheme.source, broken, scheme.positions), "scheme") != []


def test_a_case_is_never_remembered(cache, monkeypatch):
    counting = CountingGate()
    monkeypatch.setattr(validate, "fast_gate", counting)
    monkeypatch.setattr(validate, "plain_gate", lambda kind: validate._unsure)
    for _ in range(2):
        assert validate.check_shape(load_document(CASE), "case") == []
    assert counting.asked == 2 and not list(cache.glob("passed-*"))


def test_what_was_kept_for_an_earlier_schema_is_removed_when_the_new_one_is_kept(cache, monkeypatch):
    validate.plain_gate("case")
    (first,) = cache.glob("case-plain-*.marshal")
    validate.plain_gate.cache_clear()
    text = validate.schema_text("case")
    monkeypatch.setattr(validate, "schema_text", lambda kind: text + " ")
    validate.plain_gate("case")
    (second,) = cache.glob("case-plain-*.marshal")
    assert second != first


def test_at_most_so_many_schemes_are_remembered_the_oldest_forgotten(cache, monkeypatch):
    monkeypatch.setattr(validate, "_REMEMBERED_AT_MOST", 3)
    scheme = load_document(SCHEME)
    for i in range(5):
        before = set(cache.glob("passed-*"))
        assert validate.check_shape(Document(f"upload-{i}/scheme.yaml", scheme.data, scheme.positions), "scheme") == []
        for new in set(cache.glob("passed-*")) - before:  # a clock tick apart, whatever the file system's clock
            os.utime(new, ns=(1_000_000_000 * (i + 1),) * 2)
    assert len(list(cache.glob("passed-scheme-*.marshal"))) == 3
    counting = CountingGate()
    monkeypatch.setattr(validate, "fast_gate", counting)
    for i in (4, 3, 2):  # the newest three are remembered …
        validate.check_shape(Document(f"upload-{i}/scheme.yaml", scheme.data, scheme.positions), "scheme")
    assert counting.asked == 0
    validate.check_shape(Document("upload-0/scheme.yaml", scheme.data, scheme.positions), "scheme")
    assert counting.asked == 1  # … the oldest was forgotten

"""Comparing an imported case with the hand-written expectation of a corpus entry.

Expectations are the cells as written; the importer keeps values as written too, but a few things
are the form's meaning rather than its text, and are compared as such: an 一级 label's printed share
(“产出指标(50分)” is 一级 产出指标 with 50 分 under reported.level1_weights), the 指标性质 written in
words (正向指标 is ≥), and the pinyin that traditional-character mirror sites insert after each
converted character (“項(xiàng)目” is 項目).
"""

from __future__ import annotations

import re
import unicodedata

PINYIN = re.compile(r"(?<=[\u3400-\u9fff])\((?:[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê]+)\)")
NATURES = {"正向指标": "≥", "正向": "≥", "反向指标": "≤", "反向": "≤", "定性指标": "定性", "定性": "定性",
           ">": "≥", "≥": "≥", ">=": "≥", "≧": "≥", "＞": "≥", "<": "≤", "≤": "≤", "<=": "≤", "≦": "≤", "＜": "≤",
           "=": "=", "＝": "=", "﹦": "=", "═": "="}
SHARE = re.compile(r"\s*[(（]\s*\d+(?:\.\d+)?\s*分?\s*[)）]\s*$")


def plain(value) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value))
    text = PINYIN.sub("", text)
    text = re.sub(r"\s+", "", text)
    return text or None


def differences(expected: dict, case: dict) -> list[str]:
    """Each way the imported case differs from the expectation, in words; [] when it matches."""
    found: list[str] = []

    def same(what: str, want, got) -> None:
        if plain(want) != plain(got):
            shown = [None if v is None else str(v) for v in (want, got)]  # the YAML as read back holds Decimals
            found.append(f"{what}: expected {shown[0]!r}, imported {shown[1]!r}")

    for key in ("name", "department", "implementer"):
        if key in expected:
            same(key, expected[key], case.get(key))
    reported = case.get("reported") or {}
    for row, columns in (expected.get("funds") or {}).items():
        imported = (case.get("funds") or {}).get(row) or {}
        for column, want in (columns or {}).items():
            if column in ("initial_budget", "full_year_budget", "executed"):
                same(f"funds.{row}.{column}", want, imported.get(column))
            elif row == "total":
                same(f"funds.total.{column}", want, (reported.get("execution") or {}).get(column))
    rows = case.get("indicators") or []
    want_rows = expected.get("indicators") or []
    if len(rows) != len(want_rows):
        found.append(f"indicator rows: expected {len(want_rows)}, imported {len(rows)}: "
                     f"{[plain(r.get('name')) for r in rows]}")
    for n, (want, got) in enumerate(zip(want_rows, rows)):
        for key, value in want.items():
            if key == "level1" and value is not None:
                value = SHARE.sub("", str(value)) or value  # “(50分)” alone stays the label
            if key == "nature" and value is not None:
                value = NATURES.get(plain(value), value)
                if plain(value) in ("定量", "定量指标"):  # quantitative: the operator in the 指标值, else ≥
                    value = next((NATURES[op] for op in NATURES if str(want.get("target") or "").startswith(op)), "≥")
            if key == "nature" and value is None:
                # No 性质 column and no operator: a bare number (or nothing) is a ≥ target, words are 定性.
                target = plain(want.get("target")) or ""
                value = "≥" if re.match(r"^[\d.]*$", target) else "定性"
            same(f"indicators[{n}].{key}", value, got.get(key))
    for key in ("total", "grade"):
        if key in (expected.get("reported") or {}):
            same(f"reported.{key}", expected["reported"][key], reported.get(key))
    return found

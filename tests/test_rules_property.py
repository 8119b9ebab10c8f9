"""The generated row loop and each rule's score() agree with a plain reading of domain.md §1.

The reference below is written independently of engine.rules, straight from the table in
domain.md: A = 指标值, B = 实际完成值, W = 分值, negative B counts as 0, never more than W.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.formula import DECIMAL_CONTEXT
from engine.model import IndicatorRow, Location
from engine.rules import AtLeast, AtMost, Equal, compile_row_scorer

CENT = Decimal("0.01")


def reference(nature: str, variant: str, a: Decimal, b: Decimal, w: Decimal) -> Decimal:
    b = max(b, Decimal(0))
    if nature == "≤":
        if a == 0:
            return w if b <= 0 else Decimal(0)
        if b <= a:
            return w
        if variant == "linear":
            return Decimal(0) if b >= 2 * a else (1 - (b - a) / a) * w
        return a / b * w
    if a == 0:
        return w if nature == "≥" or b <= 0 else Decimal(0)
    return w if b >= a else b / a * w


amounts = st.decimals(min_value=-50, max_value=2000, places=2, allow_nan=False, allow_infinity=False)
targets = st.one_of(st.just(Decimal(0)), st.decimals(min_value=0, max_value=1000, places=2))
weights = st.sampled_from([Decimal(w) for w in ("2", "10", "30", "12.5")])
natures = st.sampled_from(["≥", "≤", "="])


def row(nature, a, b, w):
    return IndicatorRow("t-1", "t", ("产出指标",), 0, "产出指标", "", "x", nature, nature, a, None, b, w,
                        None, None, Location())


@settings(max_examples=400, deadline=None)
@given(nature=natures, variant=st.sampled_from(["ratio", "linear"]), a=targets, b=amounts, w=weights)
def test_row_loop_and_rules_match_the_reference(nature, variant, a, b, w):
    rules = {"≥": AtLeast(Decimal(130)), "≤": AtMost(variant), "=": Equal(Decimal(130))}
    records, problems = [], []
    with decimal.localcontext(DECIMAL_CONTEXT):  # the same arithmetic for the reference and the engine
        expected = reference(nature, variant, a, b, w)
        compile_row_scorer(rules)([row(nature, a, b, w)], CENT, records.append, lambda r, e: problems.append(e))
        raw, branch, flags = rules[nature].score(w, a, b)
    assert problems == []
    (_, kind, weight, score, loop_raw, loop_branch, loop_flags, *_rest) = records[0]
    assert loop_raw == raw == expected
    assert score == expected.quantize(CENT, ROUND_HALF_UP)
    assert (loop_branch, loop_flags) == (branch, flags)
    assert Decimal(0) <= score <= w
    assert ("negative_actual" in flags) == (b < 0)
    over = nature != "≤" and a > 0 and b >= a and b * 100 >= a * 130
    assert ("over_completion" in flags) == over


def test_two_rules_of_one_kind_keep_their_own_settings():
    # ≥ flags from 130 %, = from 110 %: the inlined constants must not collide.
    rules = {"≥": AtLeast(Decimal(130)), "=": Equal(Decimal(110))}
    records = []
    compile_row_scorer(rules)(
        [row("≥", Decimal(100), Decimal(120), Decimal(10)), row("=", Decimal(100), Decimal(120), Decimal(10))],
        CENT, records.append, lambda r, e: None)
    assert [r[6] for r in records] == [(), ("over_completion",)]


def test_a_nature_without_a_rule_is_reported_not_skipped_silently():
    reported = []
    compile_row_scorer({"≥": AtLeast()})([row("≤", Decimal(1), Decimal(1), Decimal(1))], CENT,
                                         lambda r: None, lambda r, e: reported.append((r.nature, e)))
    assert reported == [("≤", None)]

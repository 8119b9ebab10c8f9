"""engine.fold drops only the branches a rule's settings rule out: a folded snippet scores exactly as
the snippet written for every setting, and the code it leaves is the code that can run."""

from __future__ import annotations

import decimal
import textwrap
from decimal import Decimal
from string import Template

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.fold import assigned_names, fold
from engine.formula import DECIMAL_CONTEXT
from engine.rules import _SHARED, AtLeast, AtMost, Equal, OverCut, Proportional, RuleError, _bind


def test_a_setting_left_out_drops_its_branch_and_a_setting_given_drops_its_test():
    source = textwrap.dedent("""\
        if _cut is not None and B > A * _cut:
            raw = ZERO
        if _over is not None and B >= A * _over:
            flags = OVER
        if _refused:
            raise RuleError("no")
        raw = W
        """)
    folded = fold(source, {"_cut": None, "_over": Decimal(130), "_refused": False})
    assert folded == "if B >= A * _over:\n    flags = OVER\nraw = W\n"


def test_values_assigned_before_a_test_decide_it_and_an_undecided_branch_forgets_what_it_sets():
    source = textwrap.dedent("""\
        if A is None:
            A = HUNDRED
        if A <= ZERO:
            raise RuleError("满分值应大于 0")
        if B < ZERO:
            A = B
        if A is None:
            raw = W
        """)
    # A known to be 100: both tests about A before `if B < ZERO` go; after it A may be B, so the last stays.
    folded = fold(source, {"A": Decimal(100), "HUNDRED": Decimal(100), "ZERO": Decimal(0)})
    assert folded == "if B < ZERO:\n    A = B\nif A is None:\n    raw = W\n"
    # A unknown: nothing is decided.
    assert fold(source, {"HUNDRED": Decimal(100), "ZERO": Decimal(0)}) == source.replace('"', "'")
    # A None: it becomes HUNDRED, so the test against ZERO is decided too.
    assert fold(source, {"A": None, "HUNDRED": Decimal(100), "ZERO": Decimal(0)}) == (
        "A = HUNDRED\nif B < ZERO:\n    A = B\nif A is None:\n    raw = W\n")


def test_nothing_after_a_raise_is_kept_and_a_test_of_the_case_is_never_decided():
    source = 'if _refused:\n    raise RuleError("x")\n    raw = W\nif B > A:\n    raw = W\n'
    assert fold(source, {"_refused": True}) == "raise RuleError('x')\n"
    assert fold(source, {"_refused": False}) == "if B > A:\n    raw = W\n"
    assert assigned_names("raw, branch = W, 'met'\nif B:\n    flags = NO\n") == {"raw", "branch", "flags"}


def _unfolded(rule, slots: dict) -> object:
    """The rule's snippet for every setting, with nothing dropped, as a function of W, A, B, S."""
    constants = rule.constants()
    names = {key: f"_{key}" for key in constants}
    body = Template(rule.snippet()).substitute(names)
    namespace = {"__builtins__": {}, **_SHARED, **{names[k]: v for k, v in constants.items()}}
    exec("def score(W, A, B, S):\n" + textwrap.indent(body, "    ") + "    return raw, branch, flags\n", namespace)
    return namespace["score"]


def _folded(rule, slots: dict) -> object:
    body, namespace = _bind(rule, "", slots)
    exec("def score(W, A, B, S):\n" + textwrap.indent(body, "    ") + "    return raw, branch, flags\n", namespace)
    return namespace["score"]


RULES = [
    AtLeast(), AtLeast(Decimal(130)), AtLeast(Decimal(120), "refuse"),
    AtLeast(Decimal(110), over_cut=OverCut(Decimal(110), Decimal(10), Decimal(20))),
    Equal(), Equal(Decimal(130), OverCut(Decimal(120), Decimal(5), Decimal(50))),
    AtMost("ratio"), AtMost("linear"), Proportional(),
]
figures = st.decimals(min_value=-50, max_value=500, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=600, deadline=None)
@given(rule=st.sampled_from(RULES), a=st.one_of(st.none(), st.just(Decimal(0)), figures), b=figures,
       w=st.sampled_from([Decimal(5), Decimal("12.5")]), known=st.sampled_from(["", "W", "WA"]))
def test_a_folded_snippet_scores_as_the_snippet_written_for_every_setting(rule, a, b, w, known):
    if a is None and not isinstance(rule, Proportional):
        a = Decimal(0)  # only the proportional rule reads a blank A (its default, 100)
    slots = {"W": w} if "W" in known else {}
    if "A" in known:
        slots["A"] = a
    outcomes = []
    with decimal.localcontext(DECIMAL_CONTEXT):
        for make in (_unfolded, _folded):
            try:
                outcomes.append(make(rule, slots)(w, a, b, None))
            except (RuleError, TypeError, ArithmeticError) as error:
                outcomes.append((type(error), str(error)))
    assert outcomes[0] == outcomes[1]

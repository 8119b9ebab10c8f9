"""The named rule kinds a scheme selects by word: ≥, ≤ (ratio or linear), =, qualitative bands, …

Every kind reads the same slots — W = 分值 (weight), A = 指标值 (target), B = 实际完成值
(actual), S = an assessor's score — and produces the unrounded score, the branch taken (in
the business terms explain and coverage reports use) and flags. The formulas are domain.md §1.

Each kind states its logic once, as a short block of Python (`snippet`). That block is compiled
into the kind's `score` method, used for a scheme's own indicators, and is also inlined into one
generated loop per row template (`compile_row_scorer`), so scoring the rows of a project table
costs no function call per row. The generated code is assembled only from the fixed snippets
below; a scheme's settings (thresholds, bands) enter as bound constants, never as text.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from string import Template
from typing import Any, Callable, ClassVar

from .fold import assigned_names, fold
from .model import QualitativeBand
from .quantities import normalize_text, plain_number

ZERO = Decimal(0)
HUNDRED = Decimal(100)
Outcome = tuple  # (unrounded score: Decimal, branch: str, flags: tuple[str, ...]); a plain tuple is cheapest
NO_FLAGS: tuple[str, ...] = ()


class RuleError(ValueError):
    """The case's values can't be scored by this rule; the message says why, in Chinese."""


# Branch names, shared with explain and coverage reports.
BRANCH_LABELS = {
    "met": "达到指标值，得满分",
    "not_met": "未达到指标值，按比例得分",
    "linear": "超出指标值，按偏离程度线性扣分",
    "linear_zero": "达到指标值的两倍及以上，不得分",
    "zero_target_met": "指标值为 0 且未发生，得满分",
    "zero_target_missed": "指标值为 0 但已发生，不得分",
    "zero_target_any": "指标值为 0，任何完成值得满分（请核实指标值）",
    "over_deducted": "超额完成，按偏离度调减分值",
    "over_deducted_all": "超额完成过多，按偏离度扣完",
    "formula": "按公式计分",
    "capped": "公式结果超过分值，按分值计",
    "floored": "公式结果为负，按 0 计",
    "not_applicable_full": "不适用，按满分计",
    "deducted": "超出限度，按点扣分",
    "deducted_all": "超出限度过多，分值扣完",
    "all_met": "评价要点全部符合",
    "some_met": "评价要点部分符合",
    "none_met": "评价要点全部不符合",
    "assessed": "评价人打分",
    "not_applicable_redistributed": "不适用，分值分给同级指标",
}
FLAG_LABELS = {
    "negative_actual": "实际完成值为负数，按 0 计",
    "over_completion": "完成值明显高于指标值，须说明偏差原因",
    "zero_target": "指标值为 0",
}

# Names every snippet may use; a rule's own settings are added per rule as $-placeholders.
_SHARED = {
    "ZERO": ZERO, "HUNDRED": HUNDRED, "TWO": Decimal(2), "NO_FLAGS": NO_FLAGS,
    "NEGATIVE": ("negative_actual",), "ZERO_TARGET": ("zero_target",), "OVER_COMPLETION": ("over_completion",),
    "RuleError": RuleError, "Decimal": Decimal, "ROUND_HALF_UP": ROUND_HALF_UP,
}

_NON_NEGATIVE_ACTUAL = """\
flags = NO_FLAGS
if B < ZERO:
    B = ZERO
    flags = NEGATIVE
"""
_MET_WITH_OVER_COMPLETION = """\
    raw = W
    branch = "met"
    if $over is not None and B * HUNDRED >= A * $over:
        flags = flags + OVER_COMPLETION
    if $cut is not None and B * HUNDRED > A * $cut.start:
        raw = W - (B * HUNDRED / A - $cut.start) / $cut.per * $cut.share / HUNDRED * W
        branch = "over_deducted"
        if raw <= ZERO:
            raw = ZERO
            branch = "over_deducted_all"
"""
_SHORT_OF_TARGET = """\
else:
    raw = B / A * W
    branch = "not_met"
"""
_ZERO_TARGET_MUST_NOT_HAPPEN = """\
    if B <= ZERO:
        raw = W
        branch = "zero_target_met"
    else:
        raw = ZERO
        branch = "zero_target_missed"
"""


def _number(value: Any, what: str) -> Decimal:
    if value.__class__ is Decimal:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if value is None:
        raise RuleError(f"{what}未填写")
    raise RuleError(f"{what}应为数字，实际为“{value}”")


def plain_words(value: Any) -> str:
    """A 定性 result as compared with the scheme's words: full-width forms folded, end punctuation dropped."""
    if value is None:
        return ""
    return normalize_text(str(value)).rstrip("。.，,；;！!").strip()


class _Rule:
    """What every kind shares: its snippet compiled into `score`, and the slots it needs as numbers."""

    kind: ClassVar[str]
    params: ClassVar[dict[str, str]]  # scheme parameter name -> slot
    numeric: ClassVar[tuple[str, ...]] = ("target", "actual")  # slots that must hold numbers
    reads_assessment: ClassVar[bool] = False  # True: the case's `assessments.<id>` feeds the rule

    def snippet(self) -> str:
        raise NotImplementedError

    def branches(self) -> tuple[str, ...]:
        """Every branch this rule can take, for coverage reports."""
        raise NotImplementedError

    def constants(self) -> dict[str, Any]:
        """The values behind this rule's $-placeholders."""
        return {}

    @cached_property
    def _scorer(self) -> Callable[..., Outcome]:
        body, namespace = _bind(self, "", folded=False)
        source = "def score(W, A, B, S):\n" + textwrap.indent(body, "    ") + "    return raw, branch, flags\n"
        exec(compile(source, f"<rule {self.kind}>", "exec"), namespace)  # noqa: S102 - fixed snippets only
        return namespace["score"]

    def score(self, weight: Decimal, target: Any, actual: Any, assessed: Any = None) -> Outcome:
        """Score one indicator; values may still need reading as numbers (they come from formulas)."""
        if target.__class__ is Decimal and actual.__class__ is Decimal and target >= 0:
            return self._scorer(weight, target, actual, assessed)
        if "target" in self.numeric and target is not None:
            target = _number(target, "指标值")
            if target < 0:
                raise RuleError(f"指标值不能为负数（{plain_number(target)}）")
        if "actual" in self.numeric:
            actual = _number(actual, "实际完成值")
        return self._scorer(_number(weight, "分值"), target, actual, assessed)


def _bind(rule: _Rule, suffix: str, slots: dict[str, Any] | None = None, folded: bool = True
          ) -> tuple[str, dict[str, Any]]:
    """The rule's snippet with its placeholders renamed `<name>_<suffix>`, and the names' values.

    `folded`: the branches its settings (and the `slots` known before it runs) rule out dropped. The
    code a cold `engine score` runs (the general path: rule.score, the row scorer) is left as written,
    since folding costs more than it saves on one case; the planned evaluator, made for the second, folds."""
    constants = rule.constants()
    names = {key: f"_{key}{suffix}" for key in constants}
    namespace = {"__builtins__": {}, **_SHARED}
    namespace.update({names[key]: value for key, value in constants.items()})
    body = Template(rule.snippet()).substitute(names)
    if folded:
        known = {name: value for name, value in namespace.items() if name != "__builtins__"}
        body = fold(body, {**known, **(slots or {})})
    return body, namespace


def inline_snippet(rule: _Rule, suffix: str, slots: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """A rule's snippet for inlining into generated code (it reads W, A, B, S and sets raw, branch and
    flags), with its settings renamed `<name><suffix>`, and their values. `slots`: those of W, A, S the
    code sets to a constant before the snippet, by value."""
    body, namespace = _bind(rule, suffix, slots)
    return body, {name: value for name, value in namespace.items() if name not in _SHARED and name != "__builtins__"}


def snippet_names() -> dict[str, Any]:
    """The names every snippet may use, for the namespace of code that inlines them."""
    return dict(_SHARED)


@dataclass(frozen=True)
class OverCut:
    """超额完成按偏离度调减分值 (a scheme's choice; 10号 gives no formula): once B passes `start` % of A,
    every `per` percentage points beyond it cost `share` % of W, in proportion, down to 0."""

    start: Decimal
    per: Decimal
    share: Decimal


@dataclass(frozen=True)
class AtLeast(_Rule):
    """正向 (≥): B ≥ A → W; otherwise B / A × W.

    A = 0 is the scheme's choice (zero_target): "full" gives W and a flag to check the target (ours,
    domain.md); "refuse" makes the row an error to correct. `over_cut` adds the over-completion deduction."""

    kind: ClassVar[str] = "at_least"
    params: ClassVar[dict[str, str]] = {"actual": "actual", "target": "target"}
    over_completion: Decimal | None = None  # percent of A from which a reason is required
    zero_target: str = "full"
    over_cut: OverCut | None = None

    def constants(self) -> dict[str, Any]:
        return {"over": self.over_completion, "cut": self.over_cut, "zero_refused": self.zero_target == "refuse"}

    def branches(self) -> tuple[str, ...]:
        cut = ("over_deducted", "over_deducted_all") if self.over_cut else ()
        return ("met", "not_met") + cut + (() if self.zero_target == "refuse" else ("zero_target_any",))

    def snippet(self) -> str:
        return _NON_NEGATIVE_ACTUAL + """\
if A == ZERO:
    if $zero_refused:
        raise RuleError("正向指标的指标值为 0，方案规定不予计分（zero_target: refuse），请核实指标值")
    raw = W
    branch = "zero_target_any"
    flags = flags + ZERO_TARGET
elif B >= A:
""" + _MET_WITH_OVER_COMPLETION + _SHORT_OF_TARGET


@dataclass(frozen=True)
class Equal(_Rule):
    """等于 (=): with A > 0 scored as ≥; with A = 0 ("安全事故 = 0 起") B ≤ 0 → W, else 0."""

    kind: ClassVar[str] = "equal"
    params: ClassVar[dict[str, str]] = {"actual": "actual", "target": "target"}
    over_completion: Decimal | None = None
    over_cut: OverCut | None = None

    def constants(self) -> dict[str, Any]:
        return {"over": self.over_completion, "cut": self.over_cut}

    def branches(self) -> tuple[str, ...]:
        cut = ("over_deducted", "over_deducted_all") if self.over_cut else ()
        return ("met", "not_met") + cut + ("zero_target_met", "zero_target_missed")

    def snippet(self) -> str:
        return (_NON_NEGATIVE_ACTUAL + "if A == ZERO:\n" + _ZERO_TARGET_MUST_NOT_HAPPEN + "elif B >= A:\n"
                + _MET_WITH_OVER_COMPLETION + _SHORT_OF_TARGET)


@dataclass(frozen=True)
class AtMost(_Rule):
    """反向 (≤): B ≤ A → W; otherwise *ratio* A / B × W, or *linear* (1 − (B − A) / A) × W, 0 from 2A."""

    kind: ClassVar[str] = "at_most"
    params: ClassVar[dict[str, str]] = {"actual": "actual", "target": "target"}
    variants: ClassVar[tuple[str, ...]] = ("ratio", "linear")
    variant: str = "ratio"

    def branches(self) -> tuple[str, ...]:
        middle = ("linear", "linear_zero") if self.variant == "linear" else ("not_met",)
        return ("met",) + middle + ("zero_target_met", "zero_target_missed")

    def snippet(self) -> str:
        head = _NON_NEGATIVE_ACTUAL + "if A == ZERO:\n" + _ZERO_TARGET_MUST_NOT_HAPPEN + """\
elif B <= A:
    raw = W
    branch = "met"
"""
        if self.variant == "linear":
            return head + """\
elif B >= TWO * A:
    raw = ZERO
    branch = "linear_zero"
else:
    raw = (1 - (B - A) / A) * W
    branch = "linear"
"""
        return head + """\
else:
    raw = A / B * W
    branch = "not_met"
"""


@dataclass(frozen=True)
class Proportional(_Rule):
    """A rate scored in proportion up to a full mark: min(W, value / full_at × W), never below 0.

    The national 预算执行率 rule: 执行率 × 分值, capped at 分值. `full_at` defaults to 100.
    """

    kind: ClassVar[str] = "proportional"
    params: ClassVar[dict[str, str]] = {"value": "actual"}
    optional_params: ClassVar[dict[str, str]] = {"full_at": "target"}

    def branches(self) -> tuple[str, ...]:
        return ("met", "not_met")

    def snippet(self) -> str:
        return _NON_NEGATIVE_ACTUAL + """\
if A is None:
    A = HUNDRED
if A <= ZERO:
    raise RuleError("满分值应大于 0（%s）" % A)
if B >= A:
    raw = W
    branch = "met"
else:
    raw = B / A * W
    branch = "not_met"
"""


@dataclass(frozen=True)
class Qualitative(_Rule):
    """定性: the assessor's score must lie in the band of the level reached (达成 / 部分达成 / 未达成).

    The level is read by the scheme's words for each band (名称 and aliases); a result written exactly
    as its 指标值 (目标 “高”, 实际 “高”) reaches the band `as_target` names, when the scheme names one."""

    kind: ClassVar[str] = "qualitative"
    params: ClassVar[dict[str, str]] = {"level": "actual", "score": "assessed"}
    numeric: ClassVar[tuple[str, ...]] = ()
    bands: tuple[QualitativeBand, ...] = ()
    as_target: str | None = None

    def constants(self) -> dict[str, Any]:
        return {"judge": self.judge}

    def branches(self) -> tuple[str, ...]:
        return tuple(f"band:{band.name}" for band in self.bands)

    def snippet(self) -> str:
        return "raw, branch, flags = $judge(W, A, B, S)\n"

    def band_for(self, level: Any, target: Any = None) -> QualitativeBand:
        text = plain_words(level)
        # Written as the target first: “低” is the top band for 投诉率 “低”, whatever the aliases say.
        if text and self.as_target is not None and text == plain_words(target):
            for band in self.bands:
                if band.name == self.as_target:
                    return band
        for band in self.bands:
            if text == band.name or text in band.aliases:
                return band
        names = "、".join(band.name for band in self.bands)
        raise RuleError(f"定性指标的完成情况应为 {names} 之一（或方案为各档列出的写法），实际为“{level}”")

    def judge(self, weight: Decimal, target: Any, level: Any, assessed: Any) -> Outcome:
        band = self.band_for(level, target)
        if assessed is None:
            raise RuleError(f"定性指标（{band.name}）须由评价人在 {self.describe_band(band, weight)} 内打分")
        given = _number(assessed, "评价人打分")
        low, high = band.low * weight / HUNDRED, band.high * weight / HUNDRED
        if given < low or given > high or (given == high and not band.top):
            raise RuleError(f"{band.name} 的得分应在 {self.describe_band(band, weight)}，实际为 {plain_number(given)}")
        return given, f"band:{band.name}", NO_FLAGS

    @staticmethod
    def describe_band(band: QualitativeBand, weight: Decimal) -> str:
        low, high = band.low * weight / HUNDRED, band.high * weight / HUNDRED
        upper = "含" if band.top else "不含"
        return f"{plain_number(low)}–{plain_number(high)} 分之间（含 {plain_number(low)}，{upper} {plain_number(high)}）"


@dataclass(frozen=True)
class FormulaRule(_Rule):
    """A free formula over inputs, derived values and `weight`; the result is held in [0, W]."""

    kind: ClassVar[str] = "formula"
    params: ClassVar[dict[str, str]] = {"formula": "actual"}
    numeric: ClassVar[tuple[str, ...]] = ()

    def constants(self) -> dict[str, Any]:
        return {"clamp": self.clamp}

    def branches(self) -> tuple[str, ...]:
        return ("formula", "capped", "floored")

    def snippet(self) -> str:
        return "raw, branch, flags = $clamp(W, B)\n"

    @staticmethod
    def clamp(weight: Decimal, value: Any) -> Outcome:
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise RuleError(f"计分公式的结果应为数字，实际为 {value!r}")
        value = Decimal(value)
        if value > weight:
            return weight, "capped", NO_FLAGS
        if value < 0:
            return ZERO, "floored", NO_FLAGS
        return value, "formula", NO_FLAGS


@dataclass(frozen=True)
class Tier:
    """One step of a tiered rule: the bound a value must reach (None for 'any other'), and the share."""

    bound: Decimal | None
    share: Decimal  # percent of the weight


@dataclass(frozen=True)
class Tiered(_Rule):
    """分档计分: the first tier the value reaches gives its share of the weight.

    `lower_better` tiers are read as "≤ bound" (预算调整率: 0 → 100 %, ≤ 10 % → 67 %, …), the
    others as "≥ bound" (重点项目预算保障率: ≥ 90 % → 100 %, ≥ 80 % → 80 %, …).
    """

    kind: ClassVar[str] = "tiered"
    params: ClassVar[dict[str, str]] = {"value": "actual"}
    numeric: ClassVar[tuple[str, ...]] = ("actual",)
    tiers: tuple[Tier, ...] = ()
    lower_better: bool = False

    def constants(self) -> dict[str, Any]:
        return {"judge": self.judge}

    def branches(self) -> tuple[str, ...]:
        return tuple(self.branch_of(tier) for tier in self.tiers)

    def snippet(self) -> str:
        return "raw, branch, flags = $judge(W, B)\n"

    def judge(self, weight: Decimal, value: Decimal) -> Outcome:
        for tier in self.tiers:
            if tier.bound is None or (value <= tier.bound if self.lower_better else value >= tier.bound):
                return weight * tier.share / HUNDRED, self.branch_of(tier), NO_FLAGS
        raise RuleError(f"{plain_number(value)} 不在任何一档中")  # validation requires a catch-all tier

    def branch_of(self, tier: Tier) -> str:
        if tier.bound is None:
            return "tier:其余"
        return f"tier:{'≤' if self.lower_better else '≥'}{plain_number(tier.bound)}"


@dataclass(frozen=True)
class Deduction(_Rule):
    """按点扣分: full marks within the limit; each `per` beyond it costs `deduct`, down to 0.

    "每超 1 个百分点扣 0.5 分，扣完为止" is limit 100, direction over, per 1, deduct 0.5. A part
    of a step counts in proportion, or not at all (floor), or as a whole step (ceil).
    """

    kind: ClassVar[str] = "deduction"
    params: ClassVar[dict[str, str]] = {"value": "actual", "limit": "target"}
    direction: str = "over"  # over: values above the limit lose points; under: values below it
    per: Decimal = Decimal(1)
    deduct: Decimal = Decimal(1)
    partial: str = "proportional"  # proportional | floor | ceil
    # Set when `deduct` was written as a share of the weight (`weight / 10`): the share, so that an
    # indicator whose weight grows by redistribution loses points at the same share of its new weight.
    deduct_share: Decimal | None = None

    def constants(self) -> dict[str, Any]:
        return {"judge": self.judge}

    def branches(self) -> tuple[str, ...]:
        return ("met", "deducted", "deducted_all")

    def snippet(self) -> str:
        return "raw, branch, flags = $judge(W, A, B)\n"

    def judge(self, weight: Decimal, limit: Decimal, value: Decimal) -> Outcome:
        beyond = value - limit if self.direction == "over" else limit - value
        if beyond <= 0:
            return weight, "met", NO_FLAGS
        steps = beyond / self.per
        if self.partial == "floor":
            steps = steps.to_integral_value(rounding="ROUND_FLOOR")
        elif self.partial == "ceil":
            steps = steps.to_integral_value(rounding="ROUND_CEILING")
        lost = steps * (self.deduct if self.deduct_share is None else self.deduct_share * weight)
        if lost >= weight:
            return ZERO, "deducted_all", NO_FLAGS
        return weight - lost, "deducted", NO_FLAGS


@dataclass(frozen=True)
class Checklist(_Rule):
    """评价要点 ①②③…: each point met earns its share (mode share), or each point not met costs
    `per_item` (mode deduct), never below 0 nor above the weight. The case answers every point."""

    kind: ClassVar[str] = "checklist"
    params: ClassVar[dict[str, str]] = {}
    numeric: ClassVar[tuple[str, ...]] = ()
    reads_assessment: ClassVar[bool] = True
    items: tuple[str, ...] = ()
    mode: str = "share"  # share | deduct
    per_item: Decimal | None = None  # default: the weight divided by the number of points

    def constants(self) -> dict[str, Any]:
        return {"judge": self.judge}

    def branches(self) -> tuple[str, ...]:
        return ("all_met", "some_met", "none_met")

    def snippet(self) -> str:
        return "raw, branch, flags = $judge(W, B)\n"

    def judge(self, weight: Decimal, answers: tuple[bool, ...]) -> Outcome:
        if answers is None or len(answers) != len(self.items):
            raise RuleError(f"评价要点应逐项作答（共 {len(self.items)} 项）")
        met = sum(1 for answer in answers if answer)
        per_item = self.per_item if self.per_item is not None else weight / len(self.items)
        if self.mode == "deduct":
            raw = max(ZERO, weight - (len(self.items) - met) * per_item)
        else:
            raw = min(weight, met * per_item)
        branch = "all_met" if met == len(self.items) else "none_met" if met == 0 else "some_met"
        return raw, branch, NO_FLAGS


@dataclass(frozen=True)
class Assessor(_Rule):
    """评价人打分: the assessor's score, which the case must give within the scheme's bounds."""

    kind: ClassVar[str] = "assessor"
    params: ClassVar[dict[str, str]] = {}
    numeric: ClassVar[tuple[str, ...]] = ()
    reads_assessment: ClassVar[bool] = True
    low: Decimal = ZERO  # percent of the weight
    high: Decimal = HUNDRED

    def constants(self) -> dict[str, Any]:
        return {"judge": self.judge}

    def branches(self) -> tuple[str, ...]:
        return ("assessed",)

    def snippet(self) -> str:
        return "raw, branch, flags = $judge(W, S)\n"

    def bounds(self, weight: Decimal) -> tuple[Decimal, Decimal]:
        return weight * self.low / HUNDRED, weight * self.high / HUNDRED

    def judge(self, weight: Decimal, given: Any) -> Outcome:
        if given is None:
            raise RuleError("须由评价人打分")
        low, high = self.bounds(weight)
        if not low <= given <= high:
            raise RuleError(f"评价人打分应在 {plain_number(low)}–{plain_number(high)} 分之间，实际为 {plain_number(given)}")
        return given, "assessed", NO_FLAGS


RULE_KINDS: dict[str, type[_Rule]] = {
    rule.kind: rule for rule in (
        AtLeast, AtMost, Equal, Proportional, Qualitative, FormulaRule, Tiered, Deduction, Checklist, Assessor)
}
RULE_LABELS = {
    "at_least": "正向（≥）",
    "at_most": "反向（≤）",
    "equal": "等于（=）",
    "proportional": "按比例计分",
    "qualitative": "定性分档",
    "formula": "公式",
    "tiered": "分档计分",
    "deduction": "按点扣分",
    "checklist": "评价要点",
    "assessor": "评价人打分",
}

_BRANCH_LABELS_BY_KIND = {
    ("at_most", "met"): "不超过指标值，得满分",
    ("at_most", "not_met"): "超出指标值，按 指标值 / 完成值 比例得分",
    ("proportional", "met"): "达到满分值，得满分",
    ("proportional", "not_met"): "未达到满分值，按比例得分",
    ("deduction", "met"): "在界限之内，得满分",
}


def branch_label(branch: str, kind: str | None = None) -> str:
    """A branch in the words of the report: "met" -> 达到指标值，得满分; "tier:≥90" -> 落在 ≥90 一档."""
    if (kind, branch) in _BRANCH_LABELS_BY_KIND:
        return _BRANCH_LABELS_BY_KIND[kind, branch]
    if branch.startswith("band:"):
        return f"定性：{branch[5:]}"
    if branch.startswith("tier:"):
        return f"落在 {branch[5:]} 一档"
    return BRANCH_LABELS.get(branch, branch)


RowScorer = Callable[..., None]


def compile_row_scorer(by_nature: dict[str, _Rule]) -> RowScorer:
    """One loop over a case's rows with every nature's rule inlined.

    The returned `score_rows(rows, quantum, append, report)` appends one record per row, a plain
    tuple in the field order of `model.IndicatorResult`: (row, kind, W, score, raw, branch, flags,
    target, actual, None), and returns the sum of the scores it appended; it calls `report(row, error)`
    for a row it cannot score (error None: no rule for its nature).
    Rows arrive read and checked (validate stage), so their numbers are already Decimal.
    """
    body, namespace = row_scoring_source(by_nature, "", "report(row, None)\ncontinue\n", folded=False)
    source = (
        "def score_rows(rows, quantum, append, report):\n"
        "    total = ZERO\n"
        "    for row in rows:\n"
        "        try:\n"
        + textwrap.indent(body, " " * 12)
        + "        except RuleError as error:\n"
        "            report(row, error)\n"
        "            continue\n"
        "    return total\n"
    )
    namespace = {"__builtins__": {}, **_SHARED, **namespace}
    exec(compile(source, "<row scorer>", "exec"), namespace)  # noqa: S102 - fixed snippets only
    return namespace["score_rows"]


def row_scoring_source(by_nature: dict[str, _Rule], suffix: str, unscored: str, quantum: str = "quantum",
                       append: str = "append", total: str = "total", folded: bool = True
                       ) -> tuple[str, dict[str, Any]]:
    """The statements that score one `row` (a loop's body): by its nature's rule, inlined, the score
    rounded to `quantum`, added to `total` and its record passed to `append` (each the name of a local
    of the code that inlines them) — and `unscored` for a row
    whose nature no rule scores. The code that inlines them (the row scorer above, the planned
    evaluator) says what a RuleError does. Returns the source and the values of the names it adds
    (besides snippet_names)."""
    namespace: dict[str, Any] = {}
    branches = []
    target_kept = folded  # no rule sets A: the record's target is A, not a second read of row.target (asked only
    # where the code is folded: the answer costs a parse)
    for i, (nature, rule) in enumerate(by_nature.items()):
        body, bound = _bind(rule, f"_{i}{suffix}", folded=folded)
        if re.search(r"\bS\b", body):  # only a rule that reads the assessor's score reads it
            body = "S = row.reported_score\n" + body
        target_kept = target_kept and "A" not in assigned_names(body)
        namespace.update((name, value) for name, value in bound.items() if name not in _SHARED and name != "__builtins__")
        namespace[f"_NATURE_{i}{suffix}"] = nature
        keyword = "if" if not branches else "elif"
        branches.append(f"{keyword} N == _NATURE_{i}{suffix}:\n    kind = {rule.kind!r}\n" + textwrap.indent(body, "    "))
    dispatch = "".join(branches) + ("else:\n" if branches else "if True:\n") + textwrap.indent(unscored, "    ")
    source = (
        "N = row.nature\n"
        "W = row.weight\n"
        "A = row.target\n"
        "B = row.actual\n"
        + dispatch
        + f"score = raw.quantize({quantum}, ROUND_HALF_UP)\n"
        f"{total} += score\n"
        f"{append}((row, kind, W, score, raw, branch, flags, {'A' if target_kept else 'row.target'}, row.actual, None))\n"
    )
    return source, namespace

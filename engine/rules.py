"""The named rule kinds a scheme selects by word: ≥, ≤ (ratio or linear), =, qualitative bands, …

Each kind is configured once when a scheme is compiled (its variant, thresholds, bands) and
then scores many indicators: `score(weight, args)` returns an `Outcome` with the unrounded
score and the branch taken, in the business terms the explain and coverage reports use.
The formulas come from domain.md §1; A = 指标值 (target), B = 实际完成值 (actual), W = 分值.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, NamedTuple

from .model import QualitativeBand
from .quantities import normalize_text, plain_number

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class Outcome(NamedTuple):
    score: Decimal
    branch: str
    flags: tuple[str, ...] = ()


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
    "formula": "按公式计分",
    "capped": "公式结果超过分值，按分值计",
    "floored": "公式结果为负，按 0 计",
}
FLAG_LABELS = {
    "negative_actual": "实际完成值为负数，按 0 计",
    "over_completion": "完成值明显高于指标值，须说明偏差原因",
    "zero_target": "指标值为 0",
}


def _number(value: Any, what: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if value is None:
        raise RuleError(f"{what}未填写")
    raise RuleError(f"{what}应为数字，实际为“{value}”")


def _non_negative(actual: Decimal) -> tuple[Decimal, tuple[str, ...]]:
    return (ZERO, ("negative_actual",)) if actual < 0 else (actual, ())


@dataclass(frozen=True)
class AtLeast:
    """正向 (≥): B ≥ A → W; otherwise B / A × W. A = 0 gives W and a flag to check the target."""

    kind: ClassVar[str] = "at_least"
    params: ClassVar[tuple[str, ...]] = ("actual", "target")
    over_completion: Decimal | None = None  # percent of A from which a reason is required

    def score(self, weight: Decimal, args: dict[str, Any]) -> Outcome:
        target = _number(args["target"], "指标值")
        actual, flags = _non_negative(_number(args["actual"], "实际完成值"))
        if target < 0:
            raise RuleError(f"正向指标的指标值不能为负数（{target}）")
        if target == 0:
            return Outcome(weight, "zero_target_any", flags + ("zero_target",))
        if actual >= target:
            if self.over_completion is not None and actual * HUNDRED >= target * self.over_completion:
                flags += ("over_completion",)
            return Outcome(weight, "met", flags)
        return Outcome(actual / target * weight, "not_met", flags)


@dataclass(frozen=True)
class AtMost:
    """反向 (≤): B ≤ A → W; otherwise *ratio* A / B × W, or *linear* (1 − (B − A) / A) × W, 0 from 2A."""

    kind: ClassVar[str] = "at_most"
    params: ClassVar[tuple[str, ...]] = ("actual", "target")
    variant: str = "ratio"
    variants: ClassVar[tuple[str, ...]] = ("ratio", "linear")

    def score(self, weight: Decimal, args: dict[str, Any]) -> Outcome:
        target = _number(args["target"], "指标值")
        actual, flags = _non_negative(_number(args["actual"], "实际完成值"))
        if target < 0:
            raise RuleError(f"反向指标的指标值不能为负数（{target}）")
        if target == 0:
            return _zero_target(weight, actual, flags)
        if actual <= target:
            return Outcome(weight, "met", flags)
        if self.variant == "linear":
            if actual >= 2 * target:
                return Outcome(ZERO, "linear_zero", flags)
            return Outcome((1 - (actual - target) / target) * weight, "linear", flags)
        return Outcome(target / actual * weight, "not_met", flags)


@dataclass(frozen=True)
class Equal:
    """等于 (=): with A > 0 scored as ≥; with A = 0 ("安全事故 = 0 起") B ≤ 0 → W, else 0."""

    kind: ClassVar[str] = "equal"
    params: ClassVar[tuple[str, ...]] = ("actual", "target")
    over_completion: Decimal | None = None

    def score(self, weight: Decimal, args: dict[str, Any]) -> Outcome:
        target = _number(args["target"], "指标值")
        if target == 0:
            actual, flags = _non_negative(_number(args["actual"], "实际完成值"))
            return _zero_target(weight, actual, flags)
        return AtLeast(self.over_completion).score(weight, args)


def _zero_target(weight: Decimal, actual: Decimal, flags: tuple[str, ...]) -> Outcome:
    if actual <= 0:
        return Outcome(weight, "zero_target_met", flags)
    return Outcome(ZERO, "zero_target_missed", flags)


@dataclass(frozen=True)
class Proportional:
    """A rate scored in proportion up to a full mark: min(W, value / full_at × W), never below 0.

    The national 预算执行率 rule: 执行率 × 分值, capped at 分值.
    """

    kind: ClassVar[str] = "proportional"
    params: ClassVar[tuple[str, ...]] = ("value",)
    optional_params: ClassVar[tuple[str, ...]] = ("full_at",)

    def score(self, weight: Decimal, args: dict[str, Any]) -> Outcome:
        value, flags = _non_negative(_number(args["value"], "计分值"))
        full_at = _number(args.get("full_at", HUNDRED), "满分值")
        if full_at <= 0:
            raise RuleError(f"满分值应大于 0（{full_at}）")
        if value >= full_at:
            return Outcome(weight, "met", flags)
        return Outcome(value / full_at * weight, "not_met", flags)


@dataclass(frozen=True)
class Qualitative:
    """定性: the assessor's score must lie in the band of the level reached (达成 / 部分达成 / 未达成)."""

    kind: ClassVar[str] = "qualitative"
    params: ClassVar[tuple[str, ...]] = ("level", "score")
    bands: tuple[QualitativeBand, ...] = ()

    def band_for(self, level: Any) -> QualitativeBand:
        text = normalize_text(str(level)) if level is not None else ""
        for band in self.bands:
            if text == band.name or text in band.aliases:
                return band
        names = "、".join(band.name for band in self.bands)
        raise RuleError(f"定性指标的完成情况应为 {names} 之一，实际为“{level}”")

    def score(self, weight: Decimal, args: dict[str, Any]) -> Outcome:
        band = self.band_for(args["level"])
        if args.get("score") is None:
            raise RuleError(f"定性指标（{band.name}）须由评价人在 {self.describe_band(band, weight)} 内打分")
        given = _number(args["score"], "评价人打分")
        low, high = band.low * weight / HUNDRED, band.high * weight / HUNDRED
        if given < low or given > high or (given == high and not band.top):
            raise RuleError(f"{band.name} 的得分应在 {self.describe_band(band, weight)}，实际为 {plain_number(given)}")
        return Outcome(given, f"band:{band.name}")

    @staticmethod
    def describe_band(band: QualitativeBand, weight: Decimal) -> str:
        low, high = band.low * weight / HUNDRED, band.high * weight / HUNDRED
        upper = "含" if band.top else "不含"
        return f"{plain_number(low)}–{plain_number(high)} 分之间（含 {plain_number(low)}，{upper} {plain_number(high)}）"


@dataclass(frozen=True)
class FormulaRule:
    """A free formula over inputs, derived values and `weight`; the result is held in [0, W]."""

    kind: ClassVar[str] = "formula"
    params: ClassVar[tuple[str, ...]] = ("formula",)

    def score(self, weight: Decimal, args: dict[str, Any]) -> Outcome:
        value = args["formula"]
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise RuleError(f"计分公式的结果应为数字，实际为 {value!r}")
        value = Decimal(value)
        if value > weight:
            return Outcome(weight, "capped")
        if value < 0:
            return Outcome(ZERO, "floored")
        return Outcome(value, "formula")


RULE_KINDS: dict[str, type] = {
    rule.kind: rule for rule in (AtLeast, AtMost, Equal, Proportional, Qualitative, FormulaRule)
}
RULE_LABELS = {
    "at_least": "正向（≥）",
    "at_most": "反向（≤）",
    "equal": "等于（=）",
    "proportional": "按比例计分",
    "qualitative": "定性分档",
    "formula": "公式",
}

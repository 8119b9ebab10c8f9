"""Stage 4, evaluate: `evaluate(scheme, case) -> Result`, pure, exact, no I/O.

Money, rates and scores are Decimal throughout; each indicator's score is rounded half-up to
the scheme's places, subtotals and the total are sums of the rounded scores, and the grade is
read off the rounded total. Cross-checks run last and are reported, never used to change a score.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from decimal import Decimal
from typing import Any, Iterable

import simpleeval

from .errors import CaseError, Location, Problem
from .formula import Formula, NotApplicable
from .model import (
    CaseData, Check, CheckResult, CompiledScheme, Group, GroupResult, IndicatorResult, IndicatorRow, Leaf, Result,
    RowTemplate,
)
from .quantities import PERCENT, fixed, plain_number, round_half_up
from .rules import Outcome, RuleError

ZERO = Decimal(0)
# Exact to 28 significant digits; anything that would silently lose a value raises instead.
DECIMAL_CONTEXT = decimal.Context(
    prec=28, rounding=decimal.ROUND_HALF_UP, Emax=999_999, Emin=-999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
_FORMULA_FAILURES = (ArithmeticError, TypeError, ValueError, simpleeval.InvalidExpression, RecursionError, MemoryError)
_SHORTFALL_BRANCHES = {"not_met", "linear", "linear_zero", "zero_target_missed"}
_NO_REASON = {"", "无", "无偏差", "没有", "不适用"}


class _Absent:
    """The value of a formula that needs an input the case left blank."""

    def __init__(self, missing: list[str]):
        self.missing = missing


def evaluate(scheme: CompiledScheme, case: CaseData) -> Result:
    """Score one case. Raises CaseError (all problems found) when its data cannot be scored."""
    with decimal.localcontext(DECIMAL_CONTEXT):
        return _Evaluation(scheme, case).run()


class _Evaluation:
    def __init__(self, scheme: CompiledScheme, case: CaseData):
        self.scheme = scheme
        self.case = case
        self.values: dict[str, Any] = dict(case.values)
        self.problems: list[Problem] = []
        self.indicators: list[IndicatorResult] = []
        self.places = scheme.places

    def run(self) -> Result:
        scheme = self.scheme
        for derived in scheme.derived:
            value = self.formula_value(derived.formula, derived.location, derived.label, allow_na=True)
            if isinstance(value, Decimal) and derived.places is not None:
                value = round_half_up(value, derived.places)
            # A 'not applicable' derived value stays a signal, so whatever uses it is not applicable too.
            self.values[derived.name] = None if isinstance(value, _Absent) else value
        groups = self.group(scheme.root)
        if self.problems:
            raise CaseError(self.problems)
        total = groups.score
        grade = next((band.name for band in scheme.grades if total >= band.min), scheme.grades[-1].name)
        checks = tuple(self.run_checks(total, grade))
        return Result(
            scheme={"id": scheme.id, "title": scheme.title, "fiscal_year": scheme.fiscal_year,
                    "version": scheme.version, "file": scheme.source},
            case=dict(self.case.identity, file=self.case.source),
            indicators=tuple(self.indicators), groups=groups, total=total, max_total=groups.weight,
            grade=grade, checks=checks, values={d.name: _plain_value(self.values.get(d.name)) for d in scheme.derived},
            places=self.places,
        )

    # ---------------------------------------------------------------- formulas --------

    def formula_value(self, formula: Formula, location: Location, what: str, allow_na: bool = False) -> Any:
        values = self.values
        missing = [name for name in formula.names if values.get(name) is None]
        if missing:
            return _Absent(missing)
        try:
            inherited = next((values[n] for n in formula.names if isinstance(values[n], NotApplicable)), None)
            if inherited is not None:
                raise inherited
            return formula.evaluate(values)
        except NotApplicable as signal:
            if allow_na:
                return signal
            raise
        except _FORMULA_FAILURES as exc:
            substituted = "，".join(f"{name} = {_show(values[name])}" for name in formula.names)
            reason = _failure_reason(exc)
            self.problems.append(Problem(
                f"{what}：公式“{formula.source}”计算出错：{reason}" + (f"（{substituted}）" if substituted else ""),
                location, code="formula-failed"))
            return _Absent([])

    # ---------------------------------------------------------------- the tree -------

    def group(self, group: Group) -> GroupResult:
        leaves = [c for c in group.children if isinstance(c, Leaf)]
        args = {leaf.id: self.leaf_args(leaf) for leaf in leaves}
        weights = self.effective_weights(group, leaves, args)
        children: list[GroupResult | IndicatorResult] = []
        for child in group.children:
            if isinstance(child, Leaf):
                result = self.leaf(child, args[child.id], weights.get(child.id, child.weight))
                if result is not None:
                    children.append(result)
            elif isinstance(child, RowTemplate):
                children.extend(self.rows(child))
            else:
                children.append(self.group(child))
        weight = sum((c.weight for c in children), ZERO)
        score = sum((c.score for c in children), ZERO)
        return GroupResult(group.id, group.name, weight, score, tuple(children))

    def leaf_args(self, leaf: Leaf) -> dict[str, Any] | NotApplicable | None:
        self.values["weight"] = self.values["分值"] = leaf.weight
        args: dict[str, Any] = {}
        for name, formula in leaf.params.items():
            value = self.formula_value(formula, leaf.location, f"指标“{leaf.name}”", allow_na=True)
            if isinstance(value, NotApplicable):
                return value
            if isinstance(value, _Absent):
                if value.missing:
                    labels = "、".join(self._label(n) for n in value.missing)
                    self.problems.append(Problem(
                        f"指标“{leaf.name}”无法计分：缺少输入 {labels}", self._missing_location(value.missing, leaf),
                        code="missing-input"))
                return None
            args[name] = value
        return args

    def effective_weights(self, group: Group, leaves: list[Leaf], args: dict) -> dict[str, Decimal]:
        """Weights after 'not applicable' leaves hand theirs to their siblings (redistribute)."""
        dropped = [leaf for leaf in leaves if isinstance(args[leaf.id], NotApplicable) and leaf.not_applicable == "redistribute"]
        if not dropped:
            return {}
        kept = [leaf for leaf in leaves if leaf not in dropped]
        kept_weight = sum((leaf.weight for leaf in kept), ZERO)
        if kept_weight == 0:
            return {}
        whole = kept_weight + sum((leaf.weight for leaf in dropped), ZERO)
        scaled = {leaf.id: round_half_up(leaf.weight * whole / kept_weight, self.places) for leaf in kept}
        # Rounding may leave a cent over or short; the largest weight absorbs it so the group keeps its total.
        largest = max(kept, key=lambda leaf: leaf.weight)
        scaled[largest.id] += whole - sum(scaled.values(), ZERO)
        scaled.update({leaf.id: ZERO for leaf in dropped})
        return scaled

    def leaf(self, leaf: Leaf, args: Any, weight: Decimal) -> IndicatorResult | None:
        if args is None:
            return None
        if isinstance(args, NotApplicable):
            return self.not_applicable(leaf, args, weight)
        try:
            outcome = leaf.rule.score(weight, args)
        except RuleError as exc:
            self.problems.append(Problem(f"指标“{leaf.name}”：{exc}", leaf.location, code="rule-failed"))
            return None
        shown = {key: value for key, value in args.items() if key != "formula"}
        if leaf.unit:
            shown["unit"] = leaf.unit
        return self.record(leaf.id, leaf.name, leaf.path, weight, outcome, leaf.rule.kind, shown, leaf.location)

    def not_applicable(self, leaf: Leaf, signal: NotApplicable, weight: Decimal) -> IndicatorResult | None:
        if leaf.not_applicable is None:
            self.problems.append(Problem(
                f"指标“{leaf.name}”不适用（{signal.reason}），但方案未规定不适用时如何计分",
                leaf.location, hint="在方案中为该指标写 not_applicable: full_marks 或 redistribute", code="not-applicable"))
            return None
        if leaf.not_applicable == "full_marks":
            outcome = Outcome(leaf.weight, "not_applicable_full")
        else:
            outcome = Outcome(ZERO, "not_applicable_redistributed")
        return self.record(leaf.id, leaf.name, leaf.path, weight, outcome, leaf.rule.kind, {}, leaf.location,
                           not_applicable=leaf.not_applicable)

    def rows(self, template: RowTemplate) -> list[GroupResult]:
        """Rows grouped under their 一级 and 二级 指标, in the order the case lists them."""
        by_level: dict[str, dict[str, list[IndicatorResult]]] = defaultdict(lambda: defaultdict(list))
        for row in self.case.rows.get(template.id, ()):
            result = self.row(template, row)
            if result is not None:
                by_level[row.level1][row.level2].append(result)
        groups = []
        for level1, level2s in by_level.items():
            inner = []
            for level2, results in level2s.items():
                if level2:
                    inner.append(GroupResult(f"{template.id}:{level1}/{level2}", level2,
                                             _sum(r.weight for r in results), _sum(r.score for r in results), tuple(results)))
                else:
                    inner.extend(results)
            groups.append(GroupResult(f"{template.id}:{level1}", level1, _sum(c.weight for c in inner),
                                      _sum(c.score for c in inner), tuple(inner)))
        return groups

    def row(self, template: RowTemplate, row: IndicatorRow) -> IndicatorResult | None:
        rule = template.by_nature.get(row.nature)
        if rule is None:
            self.problems.append(Problem(
                f"方案“{self.scheme.id}”未规定指标性质“{row.nature_written}”如何计分", row.location, code="no-rule"))
            return None
        args = {"target": row.target, "actual": row.actual, "level": row.actual, "score": row.reported_score}
        try:
            outcome = rule.score(row.weight, args)
        except RuleError as exc:
            self.problems.append(Problem(f"指标“{row.name}”：{exc}", row.location, code="rule-failed"))
            return None
        path = template.path + tuple(level for level in (row.level1, row.level2) if level)
        values = {"nature": row.nature, "target": row.target, "unit": row.unit, "actual": row.actual}
        return self.record(f"{template.id}-{row.index + 1}", row.name, path, row.weight, outcome, rule.kind,
                           values, row.location, row.reported_score, from_case=True)

    def record(self, id: str, name: str, path: tuple[str, ...], weight: Decimal, outcome: Outcome, rule: str,
               values: dict[str, Any], location: Location, reported: Decimal | None = None,
               not_applicable: str | None = None, from_case: bool = False) -> IndicatorResult:
        score = round_half_up(outcome.score, self.places)
        result = IndicatorResult(id, name, path, weight, score, outcome.score, rule, outcome.branch, values,
                                 outcome.flags, not_applicable, reported, location, from_case)
        self.indicators.append(result)
        self.values[f"score.{id}"] = score
        return result

    def _label(self, name: str) -> str:
        spec = self.scheme.inputs.get(name)
        return f"“{spec.label}”" if spec else f"“{name}”"

    def _missing_location(self, missing: list[str], leaf: Leaf) -> Location:
        first = self.case.locations.get(missing[0])
        return first if first is not None else leaf.location

    # ---------------------------------------------------------------- cross-checks ----

    def run_checks(self, total: Decimal, grade: str) -> Iterable[CheckResult]:
        self.values.update({"total": total, "总分": total, "grade": grade, "等级": grade,
                            "max_total": self.scheme.max_total, "满分": self.scheme.max_total})
        for check in self.scheme.checks:
            handler = getattr(self, f"check_{check.kind}")
            yield handler(check)

    def check_assert(self, check: Check) -> CheckResult:
        value = self.check_formula(check, "assert")
        if isinstance(value, _Absent):
            return _skipped(check, value)
        if value:
            return CheckResult(check.id, check.name, "passed", check.name)
        formula = check.formulas["assert"]
        substituted = "，".join(f"{name} = {_show(self.values[name])}" for name in formula.names)
        return CheckResult(check.id, check.name, "failed",
                           f"{check.message or check.name}：{formula.source} 不成立（{substituted}）")

    def check_compare(self, check: Check) -> CheckResult:
        reported, computed = self.check_formula(check, "reported"), self.check_formula(check, "computed")
        for value in (reported, computed):
            if isinstance(value, _Absent):
                return _skipped(check, value)
        if isinstance(reported, Decimal) and isinstance(computed, Decimal):
            difference = reported - computed
            if abs(difference) <= check.tolerance:
                return CheckResult(check.id, check.name, "passed", check.name)
            return CheckResult(check.id, check.name, "failed", (
                f"{check.message or check.name}：原表 {plain_number(reported)}，"
                f"按规则计算 {fixed(computed, self.places)}，相差 {fixed(difference, self.places)}"))
        if str(reported) == str(computed):
            return CheckResult(check.id, check.name, "passed", check.name)
        return CheckResult(check.id, check.name, "failed",
                           f"{check.message or check.name}：原表为“{reported}”，按规则应为“{computed}”")

    def check_formula(self, check: Check, key: str) -> Any:
        value = self.formula_value(check.formulas[key], check.location, f"核对“{check.name}”", allow_na=True)
        return _Absent([]) if isinstance(value, NotApplicable) else value

    def check_weights_add_up(self, check: Check) -> CheckResult:
        total = _sum(r.weight for r in self.indicators)
        details = []
        for template in self.scheme.row_templates():
            rows = self.case.rows.get(template.id, ())
            row_total = _sum(row.weight for row in rows)
            if template.weight_total is not None and row_total != template.weight_total:
                details.append(f"{template.name}各行分值之和为 {plain_number(row_total)}，应为 {plain_number(template.weight_total)}")
        if total != self.scheme.max_total:
            details.insert(0, f"各指标分值之和为 {plain_number(total)}，应为满分 {plain_number(self.scheme.max_total)}")
        if details:
            return CheckResult(check.id, check.name, "failed", f"{check.message or check.name}：{details[0]}", tuple(details))
        return CheckResult(check.id, check.name, "passed", check.name)

    def _row_results(self) -> list[tuple[IndicatorRow, IndicatorResult]]:
        by_id = {r.id: r for r in self.indicators}
        pairs = []
        for template in self.scheme.row_templates():
            for row in self.case.rows.get(template.id, ()):
                result = by_id.get(f"{template.id}-{row.index + 1}")
                if result is not None:
                    pairs.append((row, result))
        return pairs

    def _row_check(self, check: Check, details: list[str], checked: int) -> CheckResult:
        if not checked:
            return CheckResult(check.id, check.name, "skipped", f"{check.name}：原表未填得分，未核对")
        if details:
            return CheckResult(check.id, check.name, "failed",
                               f"{check.message or check.name}：{len(details)} 行不符", tuple(details))
        return CheckResult(check.id, check.name, "passed", check.name)

    def check_row_scores_match(self, check: Check) -> CheckResult:
        details, checked = [], 0
        for row, result in self._row_results():
            if row.reported_score is None or row.nature == "定性":
                continue  # a qualitative row's 得分 is the assessor's input, not a claim to verify
            checked += 1
            difference = row.reported_score - result.score
            if abs(difference) > check.tolerance:
                details.append(f"{row.location}: “{row.name}”原表得分 {plain_number(row.reported_score)}，"
                               f"按规则计算 {fixed(result.score, self.places)}，相差 {fixed(difference, self.places)}")
        return self._row_check(check, details, checked)

    def check_row_scores_within_weight(self, check: Check) -> CheckResult:
        details, checked = [], 0
        for row, _ in self._row_results():
            if row.reported_score is None:
                continue
            checked += 1
            if row.reported_score > row.weight or row.reported_score < 0:
                details.append(f"{row.location}: “{row.name}”原表得分 {plain_number(row.reported_score)} "
                               f"超出 0–{plain_number(row.weight)} 分")
        return self._row_check(check, details, checked)

    def check_deviation_reasons(self, check: Check) -> CheckResult:
        details = []
        for row, result in self._row_results():
            reason = (row.deviation or "").strip()
            if reason not in _NO_REASON:
                continue
            if result.branch in _SHORTFALL_BRANCHES:
                details.append(f"{row.location}: “{row.name}”未达到指标值，须说明偏差原因")
            elif "over_completion" in result.flags:
                details.append(f"{row.location}: “{row.name}”完成值 {plain_number(row.actual)} 达到指标值 "
                               f"{plain_number(row.target)} 的 {plain_number(self.scheme.over_completion)}% 以上，须说明偏差原因")
        if details:
            return CheckResult(check.id, check.name, "failed", f"{check.message or check.name}：{len(details)} 行缺少说明",
                               tuple(details))
        return CheckResult(check.id, check.name, "passed", check.name)

    def check_percent_scale(self, check: Check) -> CheckResult:
        details = []
        for row, _ in self._row_results():
            if row.unit == PERCENT and isinstance(row.actual, Decimal) and isinstance(row.target, Decimal):
                if row.actual <= Decimal("1.5") < row.target:
                    details.append(f"{row.location}: “{row.name}”实际完成值 {plain_number(row.actual)}%，"
                                   f"指标值 {plain_number(row.target)}%：疑似把百分数写成了小数")
        if details:
            return CheckResult(check.id, check.name, "failed", f"{check.message or check.name}：{len(details)} 行存疑",
                               tuple(details))
        return CheckResult(check.id, check.name, "passed", check.name)


def _plain_value(value: Any) -> Any:
    return None if isinstance(value, NotApplicable) else value


def _skipped(check: Check, absent: _Absent) -> CheckResult:
    reason = f"{'、'.join(absent.missing)}未填写" if absent.missing else "所需数值不适用"
    return CheckResult(check.id, check.name, "skipped", f"{check.name}：{reason}，未核对")


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


def _show(value: Any) -> str:
    return plain_number(value) if isinstance(value, Decimal) else str(value)


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, (ZeroDivisionError, decimal.DivisionByZero)) or (
            isinstance(exc, decimal.InvalidOperation) and "division" in repr(exc.args).lower()):
        return str(exc) if str(exc) and "除数" in str(exc) else "除数为 0"
    if isinstance(exc, decimal.InvalidOperation):
        return "无效运算（如 0 除以 0）"
    if isinstance(exc, (decimal.Overflow, simpleeval.NumberTooHigh)):
        return "数值过大"
    if isinstance(exc, (RecursionError, MemoryError)):
        return "计算过于复杂"
    return str(exc) or type(exc).__name__

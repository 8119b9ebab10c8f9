"""Stage 4, evaluate: `evaluate(scheme, case) -> Result`, pure, exact, no I/O.

Money, rates and scores are Decimal throughout; each indicator's score is rounded half-up to
the scheme's places, subtotals and the total are sums of the rounded scores, and the grade is
read off the rounded total. Cross-checks run last and are reported, never used to change a score.
"""

from __future__ import annotations

import ast
import decimal
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable


from .errors import CaseError, Location, Problem
from .formula import DECIMAL_CONTEXT, FORMULA_FAILURES, Formula, NotApplicable, failure_reason
from .model import (
    CaseData, Check, CheckResult, CompiledScheme, DerivedValue, Group, IndicatorResult, IndicatorRow, Leaf, Result,
    RowTemplate,
)
from .quantities import PERCENT, fixed, normalize_text, plain_number, round_half_up, within_range
from .rules import NO_FLAGS, Outcome, RuleError

ZERO = Decimal(0)
_FORMULA_FAILURES = FORMULA_FAILURES
_failure_reason = failure_reason
_SHORTFALL_BRANCHES = {"not_met", "linear", "linear_zero", "zero_target_missed"}
_NO_REASON = {"", "无", "无偏差", "没有", "不适用"}
_NO_WEIGHTS: dict[str, Decimal] = {}
_SCORE = IndicatorResult._fields.index("score")
_NAME_NODE = ast.Name


class _Absent:
    """The value of a formula that could not be computed: inputs left blank, or a reason it failed."""

    def __init__(self, missing: list[str], reason: str | None = None):
        self.missing = missing
        self.reason = reason


def evaluate(scheme: CompiledScheme, case: CaseData, checks: bool = True) -> Result:
    """Score one case. Raises CaseError (all problems found) when its data cannot be scored.

    `checks=False` leaves the cross-checks out (the result's `checks` is empty): for callers
    that only need scores, such as the benchmark's like-for-like comparison.
    """
    planned = scheme.plans.get("evaluator")
    if planned is None:
        if "scored" not in scheme.plans:
            # The first case a scheme scores takes the general path: planning costs more than one case
            # saves, and `engine score` scores one case (its cold start).
            scheme.plans["scored"] = True
            planned = _unplanned
        else:
            planned = scheme.plans["evaluator"] = _plan(scheme)
    previous = decimal.getcontext()
    if previous is DECIMAL_CONTEXT:
        return planned(case, checks) or _Evaluation(scheme, case).run(checks)
    # setcontext, unlike localcontext, does not copy the context: cheaper per case.
    decimal.setcontext(DECIMAL_CONTEXT)
    try:
        return planned(case, checks) or _Evaluation(scheme, case).run(checks)
    finally:
        decimal.setcontext(previous)


def evaluate_general(scheme: CompiledScheme, case: CaseData, checks: bool = True) -> Result:
    """`evaluate` by the general path alone, the one the planned evaluator must always equal."""
    with decimal.localcontext(DECIMAL_CONTEXT):
        return _Evaluation(scheme, case).run(checks)


def evaluate_planned(scheme: CompiledScheme, case: CaseData, checks: bool = True) -> Result | None:
    """`evaluate` by the scheme's planned evaluator alone: None for a case it leaves to the general path."""
    planned = scheme.plans.get("evaluator")
    if planned is None:
        planned = scheme.plans["evaluator"] = _plan(scheme)
    with decimal.localcontext(DECIMAL_CONTEXT):
        return planned(case, checks)


def _unplanned(case: CaseData, checks: bool) -> None:
    return None


def _plan(scheme: CompiledScheme):
    from .evaluate_plan import plan_evaluator  # it builds on this module's general path

    return plan_evaluator(scheme)


class _Evaluation:
    def __init__(self, scheme: CompiledScheme, case: CaseData):
        self.scheme = scheme
        self.case = case
        self.values: dict[str, Any] = dict(case.values)
        self.values.update(case.scoring)  # scored with what the scheme decided (a blank 年度资金总额), see case.notes
        self.problems: list[Problem] = []
        self.records: list[tuple] = []  # IndicatorResult fields; materialized only when asked for
        self.quantum = scheme.quantum
        self.failed: dict[str, str] = {}  # derived values whose formula could not be computed -> why
        self.template: RowTemplate | None = None  # the row template being scored, for its problems

    def run(self, with_checks: bool) -> Result:
        scheme = self.scheme
        self.compute(scheme.derived[: scheme.scoring_derived])
        self.score_group(scheme.root)
        if self.problems:
            raise CaseError(self.problems)
        total = ZERO
        for record in self.records:
            total += record[_SCORE]
        for band in scheme.grades:  # highest first; the lowest band starts at 0
            if total >= band.min:
                grade = band.name
                break
        else:
            grade = scheme.grades[-1].name
        checks = ()
        if with_checks:
            # Checks compare what the table wrote: an input scored with another value is checked as written.
            self.values.update((name, self.case.values[name]) for name in self.case.scoring)
            self.compute(scheme.derived[scheme.scoring_derived:])
            self.indicators = tuple(IndicatorResult._make(record) for record in self.records)
            checks = tuple(self.run_checks(total, grade))
            # A formula a check needs that cannot be computed is told in that check's result, not as a
            # problem that would stop the scoring: checks never change or block a score.
            self.problems.clear()
        result = Result(
            scheme=scheme.identity, case=self.case.identity, records=self.records, total=total,
            grade=grade, checks=checks, values=self.derived_values(scheme, with_checks),
            places=scheme.places, tree=scheme.root, notes=self.case.notes,
        )
        if with_checks:
            result.indicators = self.indicators  # already made for the checks; spare making them twice
        return result

    def derived_values(self, scheme: CompiledScheme, all_computed: bool) -> dict[str, Any]:
        computed = scheme.derived if all_computed else scheme.derived[: scheme.scoring_derived]
        return {d.name: _plain_value(self.values[d.name]) for d in computed}

    # ---------------------------------------------------------------- formulas --------

    def compute(self, derived_values: tuple[DerivedValue, ...]) -> None:
        for derived in derived_values:
            value = self.formula_value(derived.formula, derived.location, derived.label, allow_na=True)
            if derived.places is not None and isinstance(value, Decimal):
                value = round_half_up(value, derived.places)
            # A 'not applicable' derived value stays a signal, so whatever uses it is not applicable too.
            self.values[derived.name] = None if isinstance(value, _Absent) else value
            if isinstance(value, _Absent) and value.reason:
                self.failed[derived.name] = value.reason  # reported once, not again by everything using it

    def formula_value(self, formula: Formula, location: Location, what: str, allow_na: bool = False) -> Any:
        if formula.constant is not None:
            return formula.constant
        values = self.values
        if formula.tree.body.__class__ is _NAME_NODE:
            # A formula that is just a name: its value, with no interpreter round trip. (Testing the code's
            # names instead took `-a` and `a * a`, whose only name is a, for a itself.)
            value = values.get(formula.names[0])
            if value is not None and value.__class__ is not NotApplicable:
                return value
        for name in formula.names:
            value = values.get(name)
            if value is None:
                missing = [n for n in formula.names if values.get(n) is None and n not in self.failed]
                failed = [n for n in formula.names if n in self.failed]
                return _Absent(missing, f"{failed[0]}无法计算：{self.failed[failed[0]]}" if failed and not missing else None)
            if value.__class__ is NotApplicable:  # what it depends on does not apply, so neither does it
                return value if allow_na else _Absent([])
        try:
            value = eval(formula.code, formula.namespace, values)  # noqa: S307 - allow-listed at compile time
        except NotApplicable as signal:
            if allow_na:
                return signal
            raise
        except _FORMULA_FAILURES as exc:
            return self.formula_failed(formula, location, what, _failure_reason(exc))
        if value.__class__ is Decimal and not within_range(value):
            return self.formula_failed(formula, location, what, f"结果 {value:.6E} 超出任何预算表中数值的范围（整数部分最多 16 位）")
        return value

    def formula_failed(self, formula: Formula, location: Location, what: str, why: str) -> "_Absent":
        """A formula of the scheme that fails on this case's figures: told at the formula, naming the case."""
        substituted = "，".join(f"{name} = {_show(self.values[name])}" for name in formula.names)
        reason = why + (f"（{substituted}）" if substituted else "")
        self.problems.append(Problem(
            f"{what}：公式“{formula.source}”代入案例 {self.case.source} 的数值后计算出错：{reason}",
            formula.location or location, formula.path, code="formula-failed"))
        return _Absent([], reason)

    # ---------------------------------------------------------------- the tree -------

    def score_group(self, group: Group) -> None:
        leaves = group.leaves
        slots = {leaf.id: self.leaf_slots(leaf, leaf.weight) for leaf in leaves} if leaves else {}
        weights = self.effective_weights(leaves, slots) if len(leaves) > 1 else _NO_WEIGHTS
        for leaf in leaves:  # a formula written with `weight` sees the weight the leaf is scored at
            if leaf.uses_weight and weights.get(leaf.id, leaf.weight) != leaf.weight and isinstance(slots[leaf.id], list):
                slots[leaf.id] = self.leaf_slots(leaf, weights[leaf.id])
        for child in group.children:
            if isinstance(child, Leaf):
                self.score_leaf(child, slots[child.id], weights.get(child.id, child.weight))
            elif isinstance(child, RowTemplate):
                self.score_rows(child)
            else:
                self.score_group(child)

    def leaf_slots(self, leaf: Leaf, weight: Decimal) -> list[Any] | NotApplicable | None:
        """The leaf's [target, actual, assessed] values at `weight`, or why it can't be scored."""
        if leaf.uses_weight:
            self.values["weight"] = self.values["分值"] = weight
        slots: list[Any] = [None, None, None]
        if leaf.id in self.case.assessments:
            judged = self.case.assessments[leaf.id]
            if judged.__class__ is NotApplicable:
                return judged
            slots[1 if leaf.rule.kind == "checklist" else 2] = judged
        for index, formula in leaf.slot_formulas:
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
            slots[index] = value
        return slots

    def effective_weights(self, leaves: tuple[Leaf, ...], slots: dict) -> dict[str, Decimal]:
        """Weights after 'not applicable' leaves hand theirs to their siblings (redistribute)."""
        dropped = [leaf for leaf in leaves
                   if isinstance(slots[leaf.id], NotApplicable) and leaf.not_applicable == "redistribute"]
        if not dropped:
            return {}
        kept = [leaf for leaf in leaves if leaf not in dropped]
        kept_weight = _sum(leaf.weight for leaf in kept)
        if kept_weight == 0:
            return {}
        whole = kept_weight + _sum(leaf.weight for leaf in dropped)
        scaled = {leaf.id: round_half_up(leaf.weight * whole / kept_weight, self.scheme.places) for leaf in kept}
        # Rounding may leave a cent over or short; the largest weight absorbs it so the group keeps its total.
        largest = max(kept, key=lambda leaf: leaf.weight)
        scaled[largest.id] += whole - _sum(scaled.values())
        scaled.update({leaf.id: ZERO for leaf in dropped})
        return scaled

    def score_leaf(self, leaf: Leaf, slots: Any, weight: Decimal) -> None:
        if slots is None:
            return
        if isinstance(slots, NotApplicable):
            self.not_applicable(leaf, slots, weight)
            return
        target, actual, assessed = slots
        try:
            outcome = leaf.rule.score(weight, target, actual, assessed)
        except RuleError as exc:
            self.problems.append(Problem(f"指标“{leaf.name}”：{exc}", leaf.location, code="rule-failed"))
            return
        self.record_leaf(leaf, weight, outcome, target, actual)

    def not_applicable(self, leaf: Leaf, signal: NotApplicable, weight: Decimal) -> None:
        if leaf.not_applicable is None:
            self.problems.append(Problem(
                f"指标“{leaf.name}”不适用（{signal.reason}），但方案未规定不适用时如何计分",
                leaf.location, hint="在方案中为该指标写 not_applicable: full_marks 或 redistribute", code="not-applicable"))
            return
        if leaf.not_applicable == "full_marks":
            outcome = (weight, "not_applicable_full", NO_FLAGS)
        else:
            outcome = (ZERO, "not_applicable_redistributed", NO_FLAGS)
        self.record_leaf(leaf, weight, outcome, None, None, leaf.not_applicable)

    def record_leaf(self, leaf: Leaf, weight: Decimal, outcome: Outcome, target: Any, actual: Any,
                    not_applicable: str | None = None) -> None:
        raw, branch, flags = outcome
        score = raw.quantize(self.quantum, ROUND_HALF_UP)
        self.records.append((leaf, leaf.rule.kind, weight, score, raw, branch, flags, target, actual, not_applicable))
        self.values[leaf.score_name] = score

    def score_rows(self, template: RowTemplate) -> None:
        # The hot loop of a project table, generated per template with each nature's rule inlined.
        self.template = template
        template.score_rows(self.case.rows.get(template.id, ()), self.quantum, self.records.append, self.row_problem)

    def row_problem(self, row: IndicatorRow, error: RuleError | None) -> None:
        if error is None:
            refused = self.template is not None and row.nature in self.template.refused
            message = (f"方案“{self.scheme.id}”规定性质为“{row.nature_written}”的指标行不予计分" if refused
                       else f"方案“{self.scheme.id}”未规定指标性质“{row.nature_written}”如何计分")
            self.problems.append(Problem(message, row.location, code="no-rule"))
        else:
            self.problems.append(Problem(f"指标“{row.name}”：{error}", row.location, code="rule-failed"))

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
            yield self.run_check(check)

    def run_check(self, check: Check) -> CheckResult:
        if check.for_each is not None:
            return self.check_each_row(check)
        return getattr(self, f"check_{check.kind}")(check)

    def check_each_row(self, check: Check) -> CheckResult:
        """An assert or compare check run on every row of a table; each failing row is a detail."""
        details, checked = [], 0
        scalars = self.values
        for row in self.case.tables.get(check.for_each, ()):
            self.values = {**scalars, **row.values}
            try:
                outcome = getattr(self, f"check_{check.kind}")(check)
            finally:
                self.values = scalars
            if outcome.status == "failed":
                details.append(f"{row.location}: {row.label}：{outcome.message}")
            checked += outcome.status != "skipped"
        if details:
            return CheckResult(check.id, check.name, "failed", f"{check.name}：{len(details)} 行不符", tuple(details))
        if not checked:
            if not self.case.tables.get(check.for_each):
                table = self.scheme.tables[check.for_each]
                return CheckResult(check.id, check.name, "skipped", f"{check.name}：案例没有“{table.label}”，未核对")
            return CheckResult(check.id, check.name, "skipped", f"{check.name}：数据不全，未核对")
        return CheckResult(check.id, check.name, "passed", check.name)

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
                f"{check.message or check.name}：原表 {format(reported, 'f')}，"
                f"按规则计算 {fixed(computed, self.scheme.places)}，相差 {fixed(difference, self.scheme.places)}"))
        if str(reported) == str(computed):
            return CheckResult(check.id, check.name, "passed", check.name)
        return CheckResult(check.id, check.name, "failed",
                           f"{check.message or check.name}：原表为“{reported}”，按规则应为“{computed}”")

    def check_formula(self, check: Check, key: str) -> Any:
        value = self.formula_value(check.formulas[key], check.location, f"核对“{check.name}”", allow_na=True)
        return _Absent([]) if isinstance(value, NotApplicable) else value

    # The builtins over the scored rows are functions of the records (below), which the planned
    # evaluator calls too: one wording for both paths.

    def check_weights_add_up(self, check: Check) -> CheckResult:
        return weights_add_up(check, self.scheme, self.case, self.indicators)

    def check_level1_shares(self, check: Check) -> CheckResult:
        return level1_shares(check, self.scheme, self.case, self.indicators)

    def _row_results(self) -> list[tuple[IndicatorRow, IndicatorResult]]:
        return [(result.source, result) for result in self.indicators if result.source.__class__ is IndicatorRow]

    def check_row_scores_match(self, check: Check) -> CheckResult:
        return row_scores_match(check, self.scheme, self.case, self.indicators)

    def check_row_scores_within_weight(self, check: Check) -> CheckResult:
        return row_scores_within_weight(check, self.scheme, self.case, self.indicators)

    def check_deviation_reasons(self, check: Check) -> CheckResult:
        return deviation_reasons(check, self.scheme, self.case, self.indicators)

    def check_carryover_vs_execution(self, check: Check) -> CheckResult:
        """结转结余率 0 while 执行率 is well below 100 % (domain.md §5): the money not spent went neither to
        carry-over nor to balance, which a reviewer asks about (returned to the treasury? a wrong figure?).

        执行率 is the check's `execution` formula; 结转结余率 its `carryover` formula, or else the actual of
        an indicator row named 结转结余率 / 结余率. `tolerance` is the gap below 100 % that needs a
        carry-over (default 5 percentage points)."""
        execution = self.check_formula(check, "execution")
        if isinstance(execution, _Absent) or not isinstance(execution, Decimal):
            return CheckResult(check.id, check.name, "skipped", f"{check.name}：执行率未填写或不适用，未核对")
        carryover, where = self._carryover_rate(check)
        if carryover is None:
            return CheckResult(check.id, check.name, "skipped", f"{check.name}：表中没有结转结余率，未核对")
        gap = check.tolerance
        shown = round_half_up(execution, self.scheme.places)
        if carryover == ZERO and shown < Decimal(100) - gap:
            unspent = Decimal(100) - shown
            return CheckResult(check.id, check.name, "failed", (
                f"{check.message or check.name}：执行率 {fixed(shown, self.scheme.places)}%，{where}却为 0："
                f"未执行的 {fixed(unspent, self.scheme.places)}% 预算既未结转也未结余，请核实"
                f"（已收回财政的请在偏差原因中说明）"))
        return CheckResult(check.id, check.name, "passed", check.name)

    def _carryover_rate(self, check: Check) -> tuple[Decimal | None, str]:
        if "carryover" in check.formulas:
            value = self.check_formula(check, "carryover")
            return (value if isinstance(value, Decimal) else None), "结转结余率"
        for row, _ in self._row_results():
            if normalize_text(row.name) in _CARRYOVER_ROWS and isinstance(row.actual, Decimal):
                return row.actual, f"{row.location} “{row.name}”"
        return None, ""

    def check_percent_scale(self, check: Check) -> CheckResult:
        return percent_scale(check, self.scheme, self.case, self.indicators)


_CARRYOVER_ROWS = ("结转结余率", "结余率", "结转结余资金率", "结转结余资金占比", "结转结余控制率")


def _findings(check: Check, details: list[str], what: str) -> CheckResult:
    """Passed, or failed with one detail line per offending row and their count in the message."""
    if details:
        return CheckResult(check.id, check.name, "failed", f"{check.message or check.name}：{len(details)} {what}",
                           tuple(details))
    return CheckResult(check.id, check.name, "passed", check.name)


def _plain_value(value: Any) -> Any:
    return None if isinstance(value, NotApplicable) else value


def _skipped(check: Check, absent: _Absent) -> CheckResult:
    if absent.missing:
        reason = f"{'、'.join(absent.missing)}未填写"
    else:
        reason = f"无法计算（{absent.reason}）" if absent.reason else "所需数值不适用"
    return CheckResult(check.id, check.name, "skipped", f"{check.name}：{reason}，未核对")


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


def _show(value: Any) -> str:
    return plain_number(value) if isinstance(value, Decimal) else str(value)


# ---------------------------------------------------------------- builtins over the records --------
# Each takes the check, the scheme, the case and the scored records (IndicatorResult fields, as plain
# tuples or IndicatorResults) and returns the CheckResult.

_WEIGHT, _BRANCH, _FLAGS = (IndicatorResult._fields.index(name) for name in ("weight", "branch", "flags"))


def _scored_rows(records: Iterable[tuple]) -> list[tuple[IndicatorRow, tuple]]:
    return [(record[0], record) for record in records if record[0].__class__ is IndicatorRow]


def weights_add_up(check: Check, scheme: CompiledScheme, case: CaseData, records: Iterable[tuple]) -> CheckResult:
    total = _sum(record[_WEIGHT] for record in records)
    details = []
    for template in scheme.row_templates():
        rows = case.rows.get(template.id, ())
        row_total = _sum(row.weight for row in rows)
        if template.weight_total is not None and row_total != template.weight_total:
            details.append(f"{template.name}各行分值之和为 {plain_number(row_total)}，应为 {plain_number(template.weight_total)}")
    if total != scheme.max_total:
        details.insert(0, f"各指标分值之和为 {plain_number(total)}，应为满分 {plain_number(scheme.max_total)}")
    if details:
        return CheckResult(check.id, check.name, "failed", f"{check.message or check.name}：{details[0]}", tuple(details))
    return CheckResult(check.id, check.name, "passed", check.name)


def level1_shares(check: Check, scheme: CompiledScheme, case: CaseData, records: Iterable[tuple]) -> CheckResult:
    """The weights of the rows under each 一级指标 add up to the share the scheme states (the national
    产出 50 / 效益 30 / 满意度 10): checked, never imposed on the clerk's 分值."""
    details = []
    declared = False
    for template in scheme.row_templates():
        if not template.level1_shares:
            continue
        declared = True
        sums: dict[str, Decimal] = {}
        for row in case.rows.get(template.id, ()):
            sums[row.level1] = sums.get(row.level1, ZERO) + row.weight
        for level, share in template.level1_shares.items():
            found = sums.pop(level, None)
            if found is None:
                details.append(f"没有“{level}”的指标行（应共 {plain_number(share)} 分）")
            elif abs(found - share) > check.tolerance:
                details.append(f"“{level}”各行分值之和为 {plain_number(found)}，应为 {plain_number(share)}")
        details.extend(f"“{level}”不在方案规定的一级指标中（其各行共 {plain_number(found)} 分）"
                       for level, found in sums.items())
    if not declared:
        return CheckResult(check.id, check.name, "skipped", f"{check.name}：方案没有规定各一级指标的分值，未核对")
    return _findings(check, details, "处不符")


def _row_check(check: Check, details: list[str], checked: int) -> CheckResult:
    if not checked:
        return CheckResult(check.id, check.name, "skipped", f"{check.name}：原表未填得分，未核对")
    return _findings(check, details, "行不符")


def row_scores_match(check: Check, scheme: CompiledScheme, case: CaseData, records: Iterable[tuple]) -> CheckResult:
    details, checked = [], 0
    for row, record in _scored_rows(records):
        if row.reported_score is None or row.nature == "定性":
            continue  # a qualitative row's 得分 is the assessor's input, not a claim to verify
        checked += 1
        difference = row.reported_score - record[_SCORE]
        if abs(difference) > check.tolerance:
            details.append(f"{row.location}: “{row.name}”原表得分 {plain_number(row.reported_score)}，"
                           f"按规则计算 {fixed(record[_SCORE], scheme.places)}，相差 {fixed(difference, scheme.places)}")
    return _row_check(check, details, checked)


def row_scores_within_weight(check: Check, scheme: CompiledScheme, case: CaseData,
                             records: Iterable[tuple]) -> CheckResult:
    details, checked = [], 0
    for row, _ in _scored_rows(records):
        if row.reported_score is None:
            continue
        checked += 1
        if row.reported_score > row.weight or row.reported_score < 0:
            details.append(f"{row.location}: “{row.name}”原表得分 {plain_number(row.reported_score)} "
                           f"超出 0–{plain_number(row.weight)} 分")
    return _row_check(check, details, checked)


def deviation_reasons(check: Check, scheme: CompiledScheme, case: CaseData, records: Iterable[tuple]) -> CheckResult:
    """Every shortfall needs its reason: a target missed, a 定性 row rated below the top band
    (domain.md §6), and over-completion beyond the scheme's line."""
    details = []
    below_top = {f"band:{band.name}" for band in scheme.qualitative_bands if not band.top}
    for row, record in _scored_rows(records):
        reason = (row.deviation or "").strip()
        if reason not in _NO_REASON:
            continue
        branch = record[_BRANCH]
        if branch in _SHORTFALL_BRANCHES:
            details.append(f"{row.location}: “{row.name}”未达到指标值，须说明偏差原因")
        elif branch.startswith("over_deducted"):
            details.append(f"{row.location}: “{row.name}”超额完成被调减分值，须说明偏差原因")
        elif branch in below_top:
            details.append(f"{row.location}: “{row.name}”评为{branch[5:]}，须说明偏差原因")
        elif "over_completion" in record[_FLAGS]:
            details.append(f"{row.location}: “{row.name}”完成值 {plain_number(row.actual)} 达到指标值 "
                           f"{plain_number(row.target)} 的 {plain_number(scheme.over_completion)}% 以上，须说明偏差原因")
    return _findings(check, details, "行缺少说明")


PERCENT_SLIP = Decimal("1.5")  # a % at most this, against a target above it, was probably written as a decimal


def percent_scale(check: Check, scheme: CompiledScheme, case: CaseData, records: Iterable[tuple]) -> CheckResult:
    """A % figure written as a decimal (0.93 for 93 %): above 0 and at most 1.5 where the target is above
    1.5 — a genuine 0 % or a negative value is no such slip. Rows against their 指标值, and every rate
    input of the case (满意度 0.93) against the rates a scheme works with."""
    details = []
    slip = PERCENT_SLIP
    for row, _ in _scored_rows(records):
        if row.unit == PERCENT and isinstance(row.actual, Decimal) and isinstance(row.target, Decimal):
            if ZERO < row.actual <= slip < row.target:
                details.append(f"{row.location}: “{row.name}”实际完成值 {plain_number(row.actual)}%，"
                               f"指标值 {plain_number(row.target)}%：疑似把百分数写成了小数")
    for spec in scheme.inputs.values():
        value = case.values.get(spec.name)
        if spec.type == "rate" and isinstance(value, Decimal) and ZERO < value <= slip:
            details.append(f"{case.locations.get(spec.name)}: “{spec.label}”为 {plain_number(value)}%："
                           f"疑似把百分数写成了小数（如 0.93 应写 93%）")
    return _findings(check, details, "处存疑")


# The builtins the planned evaluator words from its records alone.
RECORD_CHECKS = {
    "weights_add_up": weights_add_up, "level1_shares": level1_shares, "row_scores_match": row_scores_match,
    "row_scores_within_weight": row_scores_within_weight, "deviation_reasons": deviation_reasons,
    "percent_scale": percent_scale,
}

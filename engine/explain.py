"""Report stage: the calculation sheet — how every score was reached, with the case's own figures.

For each indicator: the rule, the values put into it, the branch taken ("实际完成值 85 < 指标值 90
→ 85 / 90 × 30 = 28.333…"), the rounding applied; then subtotals, the grade band matched, and how
far the next grade is, with the indicators that lost the most points. Formulas of derived values
are worked through (`formula.trace`), the slow way, only here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .formula import Formula, trace
from .model import CaseData, CompiledScheme, GroupResult, IndicatorResult, IndicatorRow, Leaf, Result
from .quantities import NATURE_LABELS, fixed, plain_number, round_half_up
from .rules import FLAG_LABELS, HUNDRED, RULE_LABELS, plain_words
from .safe_text import printable

_SLOT_LABELS = {"actual": "实际完成值", "target": "指标值", "assessed": "评价人打分"}
_SLOT_LABELS_BY_RULE = {
    "proportional": {"actual": "计分值", "target": "满分值"},
    "tiered": {"actual": "计分值"},
    "deduction": {"actual": "计分值", "target": "界限"},
    "qualitative": {"actual": "完成情况", "assessed": "评价人打分"},
    "formula": {"actual": "公式结果"},
}


def calc(value: Any) -> str:
    """A value the engine computed: no trailing zeros, long quotients cut to 6 places with “…”."""
    if isinstance(value, Decimal):
        value = value.normalize()
        if value.as_tuple().exponent < -6:
            return plain_number(value.quantize(Decimal("0.000001"))) + "…"
        return plain_number(value)
    return show(value)


def show(value: Any) -> str:
    """A figure as the case wrote it (200.00 stays 200.00)."""
    if isinstance(value, Decimal):
        if value.as_tuple().exponent < -6:
            return calc(value)
        return format(value, "f")
    if isinstance(value, tuple):
        return "、".join("是" if v else "否" for v in value)
    return "" if value is None else str(value)


def explain(scheme: CompiledScheme, case: CaseData, result: Result, only: str | None = None) -> str:
    """The sheet for every indicator, or only those whose id or name is `only`."""
    places = result.places
    indicators = [i for i in result.indicators if only is None or only in (i.id, i.name)]
    lines = [f"计算过程：{result.case.get('name', '')}（{result.case.get('fiscal_year', '')} 年度），"
             f"方案 {scheme.id} {scheme.fiscal_year}", ""]
    if result.notes:
        lines.extend([*(f"注：{note}" for note in result.notes), ""])
    for indicator in indicators:
        lines.extend(_indicator_sheet(scheme, case, result, indicator, places))
        lines.append("")
    if only is None:
        lines.extend(_subtotals(result.groups, places))
        lines.extend(_grade(scheme, result))
    # Each line quotes names and figures as the case wrote them: shown on one line, controls as marks.
    return "\n".join(printable(line) for line in lines).rstrip("\n") + "\n"


def known_indicators(result: Result) -> list[str]:
    return [i.id for i in result.indicators] + [i.name for i in result.indicators]


def _rule_of(scheme: CompiledScheme, indicator: IndicatorResult) -> Any:
    source = indicator.source
    if isinstance(source, Leaf):
        return source.rule
    template = next(t for t in scheme.row_templates() if t.id == source.template)
    return template.by_nature[source.nature]


def _indicator_sheet(scheme: CompiledScheme, case: CaseData, result: Result, indicator: IndicatorResult,
                     places: int) -> list[str]:
    rule = _rule_of(scheme, indicator)
    title = " / ".join(indicator.path + (indicator.name,))
    nature = f"，指标性质 {NATURE_LABELS.get(indicator.nature, indicator.nature)}" if indicator.nature else ""
    lines = [f"【{title}】［{indicator.id}］分值 {plain_number(indicator.weight)}{nature}，"
             f"规则：{RULE_LABELS.get(rule.kind, rule.kind)}"]
    if isinstance(indicator.source, Leaf):
        lines.extend("  " + line for line in _leaf_inputs(scheme, case, result, indicator.source, rule))
    lines.extend("  " + line for line in _branch(indicator, rule, places))
    score = indicator.score
    if indicator.raw_score != score and indicator.not_applicable is None:
        lines.append(f"  四舍五入保留 {places} 位：{calc(indicator.raw_score)} → {fixed(score, places)}")
    if indicator.flags:
        lines.append("  提示：" + "；".join(FLAG_LABELS.get(flag, flag) for flag in indicator.flags))
    lines.append(f"  得分 {fixed(score, places)} / {plain_number(indicator.weight)}")
    return lines


def _leaf_inputs(scheme: CompiledScheme, case: CaseData, result: Result, leaf: Leaf, rule: Any) -> list[str]:
    labels = {**_SLOT_LABELS, **_SLOT_LABELS_BY_RULE.get(rule.kind, {})}
    values = dict(case.values)
    values.update((name, value) for name, value in result.values.items() if value is not None)
    values.update({"weight": leaf.weight, "分值": leaf.weight})
    derived = {d.name: d.formula for d in scheme.derived}
    places = {d.name: d.places for d in scheme.derived}
    lines = []
    for slot, formula in leaf.params.items():
        if formula.constant is not None:
            lines.append(f"{labels[slot]} = {calc(formula.constant)}")
            continue
        lines.append(f"{labels[slot]} = {formula.source}")
        if len(formula.names) == 1 and formula.source.strip() == formula.names[0] and formula.names[0] in derived:
            name = formula.names[0]
            lines.extend("  " + line for line in _worked(name, derived[name], values, places.get(name)))
        else:
            lines.extend("  " + line for line in _worked(None, formula, values))
    return lines


def _worked(name: str | None, formula: Formula, values: dict[str, Any], places: int | None = None) -> list[str]:
    if any(values.get(n) is None for n in formula.names):
        missing = "、".join(n for n in formula.names if values.get(n) is None)
        return [f"（{missing} 未填写或不适用）"]
    try:
        worked = trace(formula, values)
    except Exception as error:  # noqa: BLE001 - a formula that fails is explained, not raised
        return [f"（{formula.source} 无法计算：{error}）"]
    head = f"{name} = {formula.source}" if name else ""
    lines = [head] if head else []
    lines.append(f"= {worked.substituted}")
    lines.extend(f"其中 {step}" for step in worked.steps)
    lines.append(f"= {calc(worked.value)}")
    if places is not None and isinstance(worked.value, Decimal):
        shown = round_half_up(worked.value, places)
        if shown != worked.value:  # a rate is judged as it is shown
            lines.append(f"四舍五入保留 {places} 位：{calc(worked.value)} → {fixed(worked.value, places)}（按此值计分和分档）")
    return lines


def _branch(indicator: IndicatorResult, rule: Any, places: int) -> list[str]:
    figure = show if indicator.from_case else calc  # a case's own figures as written, computed ones plain
    w, a, b, raw = calc(indicator.weight), figure(indicator.target), figure(indicator.actual), calc(indicator.raw_score)
    branch, kind = indicator.branch, rule.kind
    if indicator.not_applicable == "full_marks":
        return ["不适用 → 按方案规定得满分"]
    if indicator.not_applicable == "redistribute":
        return ["不适用 → 分值按比例分给同级指标，本项记 0"]
    if branch.startswith("over_deducted"):
        cut = rule.over_cut
        reached = indicator.actual * HUNDRED / indicator.target
        lost = indicator.weight - indicator.raw_score
        text = (f"实际完成值 {b} ≥ 指标值 {a}，为指标值的 {calc(reached)}%，超过调减起点 {calc(cut.start)}%："
                f"每超出 {calc(cut.per)} 个百分点扣分值的 {calc(cut.share)}%")
        if branch == "over_deducted_all":
            return [text + f" → 应扣不少于分值 {w}，扣完为 0"]
        return [text + f" → 扣 ({calc(reached)} − {calc(cut.start)}) / {calc(cut.per)} × {calc(cut.share)}% × {w} = "
                       f"{calc(lost)}，{w} − {calc(lost)} = {raw}"]
    if kind in ("at_least", "equal", "at_most"):
        return [_compare_text(kind, branch, a, b, w, raw)]
    if kind == "proportional":
        full = a or "100"
        if branch == "met":
            return [f"计分值 {b} ≥ 满分值 {full} → 得满分 {w}"]
        return [f"计分值 {b} < 满分值 {full} → {b} / {full} × {w} = {raw}"]
    if kind == "qualitative":
        band = branch.split(":", 1)[1]
        words = plain_words(indicator.actual)
        if words and words == plain_words(indicator.target) and not any(
                words == known.name or words in known.aliases for known in rule.bands):
            band = f"{band}（与指标值“{a}”写法相同，按方案 qualitative_as_target 计）"
        return [f"完成情况“{b}”属于 {band}，评价人打分 {show(indicator.source.reported_score if isinstance(indicator.source, IndicatorRow) else indicator.raw_score)}"]
    if kind == "tiered":
        tier = branch.split(":", 1)[1]
        share = plain_number(indicator.raw_score / indicator.weight * HUNDRED) if indicator.weight else "0"
        where = "不属于以上各档" if tier == "其余" else f"满足 {tier}"
        return [f"计分值 {b} {where} → {share}% × {w} = {raw}"]
    if kind == "deduction":
        if branch == "met":
            return [f"计分值 {b} 未{'超过' if rule.direction == 'over' else '低于'}界限 {a} → 得满分 {w}"]
        beyond = indicator.actual - indicator.target if rule.direction == "over" else indicator.target - indicator.actual
        lost = indicator.weight - indicator.raw_score
        word = "超过" if rule.direction == "over" else "低于"
        per_step = rule.deduct if rule.deduct_share is None else rule.deduct_share * indicator.weight
        text = f"计分值 {b} {word}界限 {a} 共 {calc(beyond)}，每 {calc(rule.per)} 扣 {calc(per_step)} 分"
        if branch == "deducted_all":
            return [text + f" → 应扣分数不少于分值 {w}，扣完为 0"]
        return [text + f" → 扣 {calc(lost)} 分，{w} − {calc(lost)} = {raw}"]
    if kind == "checklist":
        answers = indicator.actual or ()
        lines = [f"{_ordinal(i)} {item}：{'✓ 符合' if ok else '✗ 不符合'}"
                 for i, (item, ok) in enumerate(zip(rule.items, answers))]
        met, total = sum(1 for ok in answers if ok), len(rule.items)
        per_item = rule.per_item if rule.per_item is not None else indicator.weight / total
        if rule.mode == "deduct":
            lines.append(f"不符合 {total - met} 项，每项扣 {calc(per_item)} 分 → {w} − {total - met} × {calc(per_item)} = {raw}（最低 0）")
        else:
            lines.append(f"符合 {met}/{total} 项，每项 {calc(per_item)} 分 → {met} × {calc(per_item)} = {raw}")
        return lines
    if kind == "assessor":
        low, high = rule.bounds(indicator.weight)
        return [f"评价人打分 {raw}（范围 {plain_number(low)}–{plain_number(high)}）"]
    notes = {"capped": f"公式结果超过分值，按分值 {w} 计", "floored": "公式结果为负，按 0 计"}
    return [notes.get(branch, f"公式结果 {raw}")]


def _compare_text(kind: str, branch: str, a: str, b: str, w: str, raw: str) -> str:
    if branch == "met":
        sign = "≤" if kind == "at_most" else "≥"
        return f"实际完成值 {b} {sign} 指标值 {a} → 得满分 {w}"
    if branch == "not_met":
        if kind == "at_most":
            return f"实际完成值 {b} > 指标值 {a} → {a} / {b} × {w} = {raw}"
        return f"实际完成值 {b} < 指标值 {a} → {b} / {a} × {w} = {raw}"
    if branch == "linear":
        return f"实际完成值 {b} > 指标值 {a} → (1 − ({b} − {a}) / {a}) × {w} = {raw}"
    if branch == "linear_zero":
        return f"实际完成值 {b} ≥ 2 × 指标值 {a} → 不得分"
    if branch == "zero_target_met":
        return f"指标值为 0，实际完成值 {b} → 未发生，得满分 {w}"
    if branch == "zero_target_missed":
        return f"指标值为 0，实际完成值 {b} > 0 → 不得分"
    return f"指标值为 0（正向指标）→ 得满分 {w}，请核实指标值是否填错"


def _ordinal(index: int) -> str:
    return "①②③④⑤⑥⑦⑧⑨⑩"[index] if index < 10 else f"({index + 1})"


def _subtotals(root: GroupResult, places: int) -> list[str]:
    lines = []

    def visit(group: GroupResult, depth: int) -> None:
        for child in group.children:
            if isinstance(child, GroupResult):
                lines.append(f"{'  ' * depth}小计 {child.name}：{fixed(child.score, places)} / {plain_number(child.weight)}")
                visit(child, depth + 1)

    visit(root, 0)
    return lines + ([""] if lines else [])


def _grade(scheme: CompiledScheme, result: Result) -> list[str]:
    places, total = result.places, result.total
    bands = scheme.grades  # highest first
    index = next((i for i, band in enumerate(bands) if total >= band.min), len(bands) - 1)
    band = bands[index]
    upper = f" < {plain_number(bands[index - 1].min)}" if index > 0 else ""
    lines = [f"总分 {fixed(total, places)} / {fixed(result.max_total, places)}（各指标得分之和）",
             f"等级：{plain_number(band.min)} ≤ {fixed(total, places)}{upper} → {band.name}"]
    if index == 0:
        lines.append(f"已是最高等级 {band.name}，高出下限 {fixed(total - band.min, places)} 分")
        return lines
    target = bands[index - 1]
    losses = sorted(((i.weight - i.score, i) for i in result.indicators if i.weight > i.score),
                    key=lambda pair: pair[0], reverse=True)[:3]
    shortfall = "、".join(f"{i.name}（失 {fixed(lost, places)} 分）" for lost, i in losses)
    lines.append(f"距 {target.name} 差 {fixed(target.min - total, places)} 分" + (f"；失分最多：{shortfall}" if shortfall else ""))
    return lines

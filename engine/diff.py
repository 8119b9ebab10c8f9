"""Report stage: what changed between two versions of a scheme, in the words staff use.

`diff_schemes(old, new)` lists added, removed and changed indicators (分值, 规则, 公式, 分档, 评价要点 …),
grade bands, derived values, inputs and cross-checks. `rescore(old, new, cases)` scores each case
under both and keeps the ones whose total or grade moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .model import CompiledScheme, Leaf, Result, RowTemplate, walk
from .quantities import fixed, plain_number
from .rules import RULE_LABELS


@dataclass(frozen=True)
class Change:
    kind: str  # added | removed | changed
    section: str  # 指标 | 等级 | 派生值 | 输入 | 核对 | 方案
    subject: str
    detail: str

    def __str__(self) -> str:
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.kind]
        return f"{mark} {self.subject} {self.detail}".rstrip()


def _weight(value: Decimal | None) -> str:
    return "由案例填写" if value is None else plain_number(value)


def describe_rule(rule: Any) -> dict[str, str]:
    """The settings of a rule that a scheme author can change, each as Chinese text."""
    described = {"规则": RULE_LABELS.get(rule.kind, rule.kind)}
    kind = rule.kind
    if kind == "at_most":
        described["反向计分方式"] = {"ratio": "按比例（指标值 / 完成值）", "linear": "线性扣分"}[rule.variant]
    if kind in ("at_least", "equal") and rule.over_completion is not None:
        described["超额完成提示线"] = f"{plain_number(rule.over_completion)}%"
    if kind == "tiered":
        sign = "≤" if rule.lower_better else "≥"
        described["分档"] = "；".join(
            ("其余得" if tier.bound is None else f"{sign}{plain_number(tier.bound)} 得") + f" {plain_number(tier.share)}%"
            for tier in rule.tiers)
    if kind == "deduction":
        direction = "超过" if rule.direction == "over" else "低于"
        described["扣分"] = f"{direction}界限每 {plain_number(rule.per)} 扣 {plain_number(rule.deduct)} 分"
        described["不足一档"] = {"proportional": "按比例", "floor": "不扣", "ceil": "按一档"}[rule.partial]
    if kind == "checklist":
        described["评价要点"] = "｜".join(rule.items)
        described["计分方式"] = "每项符合得一份" if rule.mode == "share" else "每项不符扣分"
        if rule.per_item is not None:
            described["每项分值"] = plain_number(rule.per_item)
    if kind == "assessor":
        described["打分范围"] = f"{plain_number(rule.low)}%–{plain_number(rule.high)}% 分值"
    if kind == "qualitative":
        described["定性分档"] = "；".join(
            f"{b.name} {plain_number(b.low)}–{plain_number(b.high)}%" for b in rule.bands)
    return described


def _leaf_facts(leaf: Leaf) -> dict[str, str]:
    facts = {"名称": leaf.name, "位置": " / ".join(leaf.path) or "（顶层）", "分值": _weight(leaf.weight)}
    facts.update(describe_rule(leaf.rule))
    labels = {"actual": "计分值", "target": "指标值", "assessed": "评价人打分"}
    for slot, formula in leaf.params.items():
        facts[f"{labels[slot]}公式"] = formula.source
    facts["不适用时"] = {None: "不允许", "full_marks": "得满分", "redistribute": "分给同级"}[leaf.not_applicable]
    return facts


def _rows_facts(template: RowTemplate) -> dict[str, str]:
    facts = {"名称": template.name, "分值": "由案例各行填写"}
    if template.weight_split is not None:
        facts["分值"] = "按一级指标分配：" + "、".join(f"{k} {plain_number(v)}" for k, v in template.weight_split.items())
    if template.weight_total is not None:
        facts["各行分值合计"] = plain_number(template.weight_total)
    for nature, rule in template.by_nature.items():
        for key, text in describe_rule(rule).items():
            facts[f"指标性质 {nature} 的{key}"] = text
    for nature in template.refused:
        facts[f"指标性质 {nature} 的规则"] = "不予计分"
    if template.level1_shares:
        facts["各一级指标分值"] = "、".join(f"{k} {plain_number(v)}" for k, v in template.level1_shares.items())
    return facts


def _indicators(scheme: CompiledScheme) -> dict[str, tuple[str, dict[str, str]]]:
    found = {}
    for node in walk(scheme.root):
        if isinstance(node, Leaf):
            found[node.id] = (node.name, _leaf_facts(node))
        elif isinstance(node, RowTemplate):
            found[node.id] = (node.name, _rows_facts(node))
        elif node.id != "root":
            found[node.id] = (node.name, {"名称": node.name, "分值": _weight(node.weight)})
    return found


def _compare_facts(section: str, subject: str, old: dict[str, str], new: dict[str, str]) -> list[Change]:
    changes = []
    for key in list(old) + [k for k in new if k not in old]:
        before, after = old.get(key, "（无）"), new.get(key, "（无）")
        if before != after:
            changes.append(Change("changed", section, subject, f"{key} {before} → {after}"))
    return changes


def diff_schemes(old: CompiledScheme, new: CompiledScheme) -> list[Change]:
    changes: list[Change] = []
    changes += _compare_facts("方案", "方案", _scheme_facts(old), _scheme_facts(new))
    old_nodes, new_nodes = _indicators(old), _indicators(new)
    for node_id, (name, facts) in new_nodes.items():
        if node_id not in old_nodes:
            changes.append(Change("added", "指标", f"{name}［{node_id}］", f"（分值 {facts.get('分值')}，{facts.get('规则', '分组')}）"))
    for node_id, (name, facts) in old_nodes.items():
        if node_id not in new_nodes:
            changes.append(Change("removed", "指标", f"{name}［{node_id}］", f"（分值 {facts.get('分值')}）"))
        else:
            changes += _compare_facts("指标", new_nodes[node_id][0], facts, new_nodes[node_id][1])
    changes += _compare_named("等级", {g.name: f"下限 {plain_number(g.min)}" for g in old.grades},
                              {g.name: f"下限 {plain_number(g.min)}" for g in new.grades})
    changes += _compare_named("派生值", {d.name: f"公式 {d.formula.source}" for d in old.derived},
                              {d.name: f"公式 {d.formula.source}" for d in new.derived})
    changes += _compare_named("输入", {n: _input_text(i) for n, i in old.inputs.items()},
                              {n: _input_text(i) for n, i in new.inputs.items()})
    changes += _compare_named("核对", {c.id: _check_text(c) for c in old.checks}, {c.id: _check_text(c) for c in new.checks})
    return changes


def _scheme_facts(scheme: CompiledScheme) -> dict[str, str]:
    return {"满分": plain_number(scheme.max_total), "保留小数位数": str(scheme.places),
            "超额完成提示线": f"{plain_number(scheme.over_completion)}%" if scheme.over_completion else "无"}


def _input_text(spec: Any) -> str:
    return f"取自 {'.'.join(map(str, spec.source))}（{spec.type}{'，' + spec.unit if spec.unit else ''}）"


def _check_text(check: Any) -> str:
    if check.kind == "assert":
        return f"{check.name}：{check.formulas['assert'].source}"
    if check.kind == "compare":
        return f"{check.name}：{check.formulas['reported'].source} 对 {check.formulas['computed'].source}"
    return f"{check.name}（内置 {check.kind}）"


def _compare_named(section: str, old: dict[str, str], new: dict[str, str]) -> list[Change]:
    changes = []
    for name, text in new.items():
        if name not in old:
            changes.append(Change("added", section, name, text))
        elif old[name] != text:
            changes.append(Change("changed", section, name, f"{old[name]} → {text}"))
    for name, text in old.items():
        if name not in new:
            changes.append(Change("removed", section, name, text))
    return changes


@dataclass(frozen=True)
class Rescored:
    case: str
    old: Result | None
    new: Result | None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.old is None or self.new is None

    @property
    def moved(self) -> bool:
        return not self.failed and (self.old.total, self.old.grade) != (self.new.total, self.new.grade)


_SECTIONS = ("方案", "指标", "等级", "派生值", "输入", "核对")


def render_diff(old: CompiledScheme, new: CompiledScheme, changes: list[Change],
                rescored: list[Rescored] | None = None, skipped: int = 0) -> str:
    lines = [f"方案对比：{old.id} {old.fiscal_year}（版本 {old.version}，{old.source}）"
             f" → {new.id} {new.fiscal_year}（版本 {new.version}，{new.source}）", ""]
    if not changes:
        lines.append("两个方案的计分规则没有差别。")
    for section in _SECTIONS:
        inside = [c for c in changes if c.section == section]
        if inside:
            lines.append(section)
            lines.extend(f"  {change}" for change in inside)
    if changes:
        lines += ["", f"共 {len(changes)} 处变化（+ 新增，- 删除，~ 修改）。"]
    if rescored is not None:
        lines += ["", _render_rescored(old, new, rescored, skipped)]
    return "\n".join(lines) + "\n"


def _render_rescored(old: CompiledScheme, new: CompiledScheme, rescored: list[Rescored], skipped: int) -> str:
    moved = [r for r in rescored if r.moved]
    failed = [r for r in rescored if r.failed]
    scored = len(rescored) - len(failed)
    head = f"案例重新计分：{scored} 个案例，{len(moved)} 个的总分或等级有变化"
    if failed:
        head += f"；另有 {len(failed)} 个案例无法计分，列在后面"
    if skipped:
        head += f"（另有 {skipped} 个文件不是方案“{new.id}”的案例，未计分）"
    lines = [head]
    for item in moved:
        delta = item.new.total - item.old.total
        grade = item.old.grade if item.old.grade == item.new.grade else f"{item.old.grade} → {item.new.grade}"
        flip = "，等级改变" if item.old.grade != item.new.grade else ""
        lines.append(f"  {item.case}：总分 {fixed(item.old.total, old.places)} → {fixed(item.new.total, new.places)}"
                     f"（{'+' if delta > 0 else ''}{fixed(delta, new.places)}），等级 {grade}{flip}")
    if failed:
        lines.append(f"无法计分的案例（{len(failed)} 个）：")
        lines.extend(f"  ✗ {item.case}：{item.error}" for item in failed)
    return "\n".join(lines)

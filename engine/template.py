"""Report stage: a blank case for a scheme — every place the scheme reads, with what to write there.

Staff starting a new case get each input at the path the scheme reads it from, labelled with its
name and unit, each 评价要点 listed for the 是/否 answers, each assessor score with its range,
and for a project the rows of the official table. Blank values are `~`: `engine validate` then
lists what is still to be filled.
"""

from __future__ import annotations

from typing import Any

from .yamlwrite import flow_mapping, yaml_scalar
from .model import CompiledScheme, Leaf, walk
from .quantities import plain_number

_TYPE_WORDS = {"money": "金额", "rate": "比率", "count": "数量", "number": "数值", "text": "文字", "bool": "是/否",
               "level": "档次"}


def case_template(scheme: CompiledScheme, schema_path: str = "case.schema.json") -> str:
    tree: dict[str, Any] = {}
    notes: dict[tuple, str] = {}
    for spec in scheme.inputs.values():
        _place(tree, spec.source, None)
        unit = f"，单位 {spec.unit}" if spec.unit else ""
        optional = "，可不填" if not spec.required else ""
        notes[spec.source] = f"{spec.label}（{_TYPE_WORDS.get(spec.type, spec.type)}{unit}{optional}）"
    for table in scheme.tables.values():
        row: dict[str, Any] = {}
        if table.row_name:
            _place(row, table.row_name, None)
        for column in table.columns.values():
            _place(row, column.source, None)
        _place(tree, table.source, [row])
        notes[table.source] = f"{table.label}：每行一项，列为 " + "、".join(c.label for c in table.columns.values())
    for template in scheme.row_templates():
        example = {"level1": None, "level2": None, "name": None, "nature": "≥", "target": None, "unit": None,
                   "actual": None}
        if template.weight_split is None:
            example.update(weight=None, score=None)
        example["deviation"] = None
        _place(tree, template.source, [example])
        natures = "、".join(template.by_nature)
        notes[template.source] = f"{template.name}：每行一个指标，指标性质可为 {natures}；按原表逐行填写"
    assessments = {}
    for leaf in (node for node in walk(scheme.root) if isinstance(node, Leaf) and node.rule.reads_assessment):
        if leaf.rule.kind == "checklist":
            assessments[leaf.id] = [None] * len(leaf.rule.items)
            points = "；".join(f"{_ordinal(i)} {item}" for i, item in enumerate(leaf.rule.items))
            notes[("assessments", leaf.id)] = f"{leaf.name}：逐项填 是/否 —— {points}"
        else:
            low, high = leaf.rule.bounds(leaf.weight)
            assessments[leaf.id] = None
            notes[("assessments", leaf.id)] = f"{leaf.name}：评价人打分（{plain_number(low)}–{plain_number(high)} 分）"
    head = {"scheme": scheme.id, "fiscal_year": scheme.fiscal_year}
    if scheme.case_kind:
        head["kind"] = scheme.case_kind
    head.update(name=None, department=None)
    notes[("name",)] = "项目名称" if scheme.case_kind == "project" else "部门（单位）名称"
    notes[("department",)] = "主管部门"
    if scheme.case_kind == "project":
        head.update(implementer=None, goals={"expected": None, "achieved": None})
        notes.update({("implementer",): "实施单位", ("goals", "expected"): "年度总体目标·预期目标",
                      ("goals", "achieved"): "年度总体目标·实际完成情况"})
    body = {**head, **{k: v for k, v in tree.items() if k not in head}}
    if assessments:
        body["assessments"] = assessments
    lines = [f"# yaml-language-server: $schema={schema_path}",
             f"# 案例模板：按方案 {scheme.id} {scheme.fiscal_year}（{scheme.title}）填写。",
             "# ~ 表示待填；填完后用 engine validate 检查，用 engine score 计分。"]
    _emit(body, (), 0, notes, lines)
    return "\n".join(lines) + "\n"


def _place(tree: dict, path: tuple, value: Any) -> None:
    for part in path[:-1]:
        tree = tree.setdefault(str(part), {})
        if not isinstance(tree, dict):
            return  # two inputs where one reads inside the other's value: the first one placed stays
    tree.setdefault(str(path[-1]), value)


def _ordinal(index: int) -> str:
    return "①②③④⑤⑥⑦⑧⑨⑩"[index] if index < 10 else f"({index + 1})"


def _emit(value: dict, path: tuple, indent: int, notes: dict, lines: list[str]) -> None:
    pad = "  " * indent
    for key, item in value.items():
        here = path + (key,)
        note = f"  # {notes[here]}" if here in notes else ""
        if isinstance(item, dict):
            lines.append(f"{pad}{key}:{note}")
            _emit(item, here, indent + 1, notes, lines)
        elif isinstance(item, list) and item and isinstance(item[0], dict):
            lines.append(f"{pad}{key}:{note}")
            lines.extend(f"{pad}  - {flow_mapping(entry)}" for entry in item)
        elif isinstance(item, list):
            lines.append(f"{pad}{key}: [{', '.join(yaml_scalar(v, in_flow=True) for v in item)}]{note}")
        else:
            lines.append(f"{pad}{key}: {yaml_scalar(item)}{note}")

"""Stage 2, validate: shape by JSON Schema, then the rules JSON Schema cannot say.

Every check yields `Problem`s located in the file the person edits; callers collect them all
and report them sorted by position. For a scheme: ids unique, weights add up, grade bands
cover 0 to the full mark without gaps or overlaps, each rule has what it needs. For a case:
it belongs to the scheme and year, and supplies every input with the right type and unit.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any, Iterator

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from .errors import Path, Problem, format_path
from .formula import RESERVED_NAMES, NotApplicable, suggest
from .load import Document
from .model import CaseData, CompiledScheme, IndicatorRow, InputSpec, RowTemplate, TableRow, TableSpec
from .quantities import (
    ValueProblem, is_blank, normalize_nature, normalize_text, normalize_unit, parse_number, plain_number, round_half_up,
)
from .rules import RULE_KINDS

SCHEMA_KINDS = ("scheme", "case", "test")

_TYPE_NAMES = {
    "string": "文字", "number": "数字", "integer": "整数", "object": "映射（键: 值）",
    "array": "列表", "boolean": "true 或 false", "null": "空",
}


# ------------------------------------------------------------------ JSON Schema -------


def schema_text(kind: str) -> str:
    """The JSON Schema for `kind` ("scheme", "case"), from the installed package or the checkout."""
    name = f"{kind}.schema.json"
    packaged = importlib.resources.files("engine") / "schemas" / name
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (FsPath(__file__).resolve().parent.parent / "schemas" / name).read_text(encoding="utf-8")


@functools.cache
def schema_validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_text(kind))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def check_shape(document: Document, kind: str) -> list[Problem]:
    """Everything in `document` that does not fit the JSON Schema for `kind`, in Chinese."""
    validator = schema_validator(kind)
    return [_translate(error, document) for error in validator.iter_errors(document.data)]


def _translate(error: ValidationError, document: Document) -> Problem:
    if error.validator in ("oneOf", "anyOf") and error.context:
        error = best_match(error.context)
    path: Path = tuple(error.absolute_path)
    validator, expected, instance = error.validator, error.validator_value, error.instance
    hint = error.schema.get("description") if isinstance(error.schema, dict) else None
    code = f"schema-{validator}"
    if validator == "required":
        missing = next((key for key in expected if isinstance(instance, dict) and key not in instance), expected[0])
        prop = error.schema.get("properties", {}).get(missing, {})
        return document.problem(path, f"缺少必填项“{missing}”", prop.get("description"), code)
    if validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extras = [key for key in instance if key not in allowed] if isinstance(instance, dict) else []
        key = extras[0] if extras else "?"
        hint = suggest(key, allowed) or (f"可用的键：{'、'.join(allowed)}" if allowed else None)
        if any(ch in key for ch in "()+*/<>=") or key.endswith(")"):
            hint = "看起来是公式中逗号后的部分：在 { } 里写含逗号的公式时，要给整个公式加引号"
        return document.problem(path + (key,), f"不认识的键“{key}”", hint, code)
    if validator == "type":
        wanted = expected if isinstance(expected, list) else [expected]
        names = "或".join(_TYPE_NAMES.get(t, t) for t in wanted if t != "null")
        return document.problem(path, f"应为{names}，实际为{describe_value(instance)}", hint, code)
    if validator == "enum":
        choices = "、".join(str(c) for c in expected)
        hint = suggest(str(instance), [str(c) for c in expected]) or hint
        return document.problem(path, f"应为 {choices} 之一，实际为{describe_value(instance)}", hint, code)
    if validator == "const":
        return document.problem(path, f"应为 {expected}，实际为{describe_value(instance)}", hint, code)
    if validator == "pattern":
        return document.problem(path, f"格式不符：{describe_value(instance)}", hint, code)
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        relation = {"minimum": "不小于", "maximum": "不大于", "exclusiveMinimum": "大于", "exclusiveMaximum": "小于"}
        return document.problem(path, f"应{relation[validator]} {expected}，实际为 {instance}", hint, code)
    if validator in ("minItems", "minLength"):
        return document.problem(path, "不能为空", hint, code)
    if validator == "propertyNames":
        return document.problem(path, f"名称不符合要求：{error.message}", hint, code)
    return document.problem(path, f"不符合方案格式：{error.message}", hint, code)


def describe_value(value: Any) -> str:
    if value is None:
        return "空"
    if isinstance(value, bool):
        return " true/false"
    if isinstance(value, (int, Decimal)):
        return f"数字 {value}"
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "映射"
    return f" {value!r}"


# ------------------------------------------------------------------ scheme semantics --


def check_scheme(document: Document) -> list[Problem]:
    """Shape, then the scheme's own consistency; every problem found, none raised.

    The consistency checks run even where the shape is wrong, so one stray key does not hide a
    weight that doesn't add up; a check that trips over a malformed part (already reported by
    the shape check) just gives up on that part.
    """
    problems = check_shape(document, "scheme")
    for check in (_check_grades, _check_names, _check_bands, _check_indicator_tree, _check_checks):
        try:
            problems += check(document)
        except (KeyError, TypeError, AttributeError, IndexError, ValueProblem):
            if not problems:
                raise
    return problems


def as_decimal(value: Any) -> Decimal:
    """A number from a scheme (schema-checked as number or text) as an exact Decimal."""
    return parse_number(value) if not isinstance(value, Decimal) else value


def _number_at(document: Document, path: Path, problems: list[Problem], default: Any = None) -> Decimal | None:
    value = _get(document.data, path, default)
    if value is None:
        return None
    try:
        return as_decimal(value)
    except ValueProblem as exc:
        problems.append(document.problem(path, exc.message, exc.hint, "bad-number"))
        return None


def _get(data: Any, path: Path, default: Any = None) -> Any:
    for part in path:
        if isinstance(data, dict) and isinstance(part, str) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return default
    return data


def _check_grades(document: Document) -> list[Problem]:
    problems: list[Problem] = []
    max_total = _number_at(document, ("max_total",), problems, 100) or Decimal(100)
    seen_names: dict[str, int] = {}
    seen_mins: dict[Decimal, int] = {}
    for i, grade in enumerate(document.data["grades"]):
        name = grade["name"]
        if name in seen_names:
            problems.append(document.problem(("grades", i, "name"), f"等级“{name}”重复（grades[{seen_names[name]}] 已有）"))
        seen_names.setdefault(name, i)
        low = _number_at(document, ("grades", i, "min"), problems)
        if low is None:
            continue
        if low in seen_mins:
            problems.append(document.problem(
                ("grades", i, "min"), f"两个等级的下限都是 {low}，区间重叠（grades[{seen_mins[low]}]）", code="grade-overlap"))
        seen_mins.setdefault(low, i)
        if low < 0 or low > max_total:
            problems.append(document.problem(("grades", i, "min"), f"等级下限应在 0–{max_total} 之间，实际为 {low}"))
    if seen_mins and min(seen_mins) > 0:
        lowest = seen_mins[min(seen_mins)]
        problems.append(document.problem(
            ("grades", lowest, "min"), f"最低一档的下限为 {min(seen_mins)}，0–{min(seen_mins)} 分没有等级",
            "最低一档的下限应为 0", "grade-gap"))
    return problems


def _check_names(document: Document) -> list[Problem]:
    problems: list[Problem] = []
    inputs = document.data.get("inputs") or {}
    derived = document.data.get("derived") or {}
    for section, names in (("inputs", inputs), ("derived", derived)):
        for name in names:
            if name in RESERVED_NAMES or name in ("weight", "分值"):
                problems.append(document.problem((section, name), f"“{name}”是保留字，不能用作名称"))
            elif not all(part.isidentifier() for part in name.split(".")):
                problems.append(document.problem(
                    (section, name), f"名称“{name}”不能用在公式里", "名称只能由中文、字母、数字、下划线组成，用点分隔层级"))
    for name in set(inputs) & set(derived):
        problems.append(document.problem(("derived", name), f"“{name}”既是输入又是派生值"))
    for name, spec in inputs.items():
        if spec.get("type") == "level" and not spec.get("options"):
            problems.append(document.problem(("inputs", name), "level 类型的输入须列出 options"))
    return problems


def _check_bands(document: Document) -> list[Problem]:
    bands = document.data.get("qualitative_bands")
    if not bands:
        return []
    problems: list[Problem] = []
    edges = []
    for i, band in enumerate(bands):
        low = _number_at(document, ("qualitative_bands", i, "min"), problems)
        high = _number_at(document, ("qualitative_bands", i, "max"), problems)
        if low is None or high is None:
            continue
        if not 0 <= low < high <= 100:
            problems.append(document.problem(("qualitative_bands", i), f"档次“{band['name']}”的区间 {low}–{high} 应满足 0 ≤ 下限 < 上限 ≤ 100"))
        edges.append((low, high, i))
    edges.sort()
    if edges and not problems:
        if edges[0][0] != 0:
            problems.append(document.problem(("qualitative_bands", edges[0][2], "min"), "定性分档应从 0 开始", code="band-gap"))
        if edges[-1][1] != 100:
            problems.append(document.problem(("qualitative_bands", edges[-1][2], "max"), "定性分档应到 100 为止", code="band-gap"))
        for (low_a, high_a, i), (low_b, _, j) in zip(edges, edges[1:]):
            if high_a != low_b:
                kind = "重叠" if high_a > low_b else "空缺"
                problems.append(document.problem(
                    ("qualitative_bands", j, "min"), f"定性分档在 {min(high_a, low_b)}–{max(high_a, low_b)} 之间{kind}", code="band-gap"))
    return problems


_RULE_PARAMS = {kind: rule.params for kind, rule in RULE_KINDS.items()}


def _check_indicator_tree(document: Document) -> list[Problem]:
    problems: list[Problem] = []
    ids: dict[str, Path] = {}
    has_rows = False

    def visit(node: dict, path: Path) -> Decimal | None:
        nonlocal has_rows
        node_id = node["id"]
        if node_id in ids:
            problems.append(document.problem(
                path + ("id",), f"指标编号“{node_id}”重复（{format_path(ids[node_id])} 已用）", code="duplicate-id"))
        ids.setdefault(node_id, path)
        if "children" in node:
            weights = [visit(child, path + ("children", i)) for i, child in enumerate(node["children"])]
            declared = _number_at(document, path + ("weight",), problems)
            if any(w is None for w in weights):
                return declared
            total = sum(weights, Decimal(0))
            if declared is not None and declared != total:
                problems.append(document.problem(
                    path + ("weight",), f"“{node['name']}”分值为 {declared}，但下级分值之和为 {total}", code="weights"))
            return total
        if "rows" in node:
            has_rows = True
            return None
        weight = _number_at(document, path + ("weight",), problems)
        if weight is not None and weight < 0:
            problems.append(document.problem(path + ("weight",), f"分值不能为负数（{weight}）"))
        problems.extend(_check_leaf_rule(document, node, path))
        return weight

    weights = [visit(node, ("indicators", i)) for i, node in enumerate(document.data["indicators"])]
    max_total = _number_at(document, ("max_total",), problems, 100)
    if not has_rows and None not in weights and max_total is not None:
        total = sum(weights, Decimal(0))
        if total != max_total:
            problems.append(document.problem(
                ("indicators",), f"各指标分值之和为 {total}，应为满分 {max_total}", code="weights"))
    return problems


def _check_leaf_rule(document: Document, node: dict, path: Path) -> Iterator[Problem]:
    rule = node.get("rule") or ("formula" if "formula" in node else None)
    if rule is None:
        yield document.problem(path, f"指标“{node['name']}”没有计分规则", "写 rule: 规则名，或 formula: 公式", "no-rule")
        return
    for param in list(_RULE_PARAMS[rule]) + _RULE_SETTINGS.get(rule, []):
        if param not in node:
            yield document.problem(path, f"规则 {rule} 需要 {param}", code="missing-param")
    for setting, owner in _SETTING_OWNERS.items():
        if setting in node and rule not in owner:
            yield document.problem(path + (setting,), f"{setting} 只用于 {'、'.join(owner)} 规则，规则 {rule} 用不到")
    if rule == "tiered" and "tiers" in node:
        yield from _check_tiers(document, node["tiers"], path + ("tiers",))


_RULE_SETTINGS = {"tiered": ["tiers"], "checklist": ["items"]}
_SETTING_OWNERS = {
    "variant": ("at_most",), "tiers": ("tiered",), "items": ("checklist",), "mode": ("checklist",),
    "per_item": ("checklist",), "limit": ("deduction",), "direction": ("deduction",), "per": ("deduction",),
    "deduct": ("deduction",), "partial": ("deduction",), "bounds": ("assessor",),
    "over_completion": ("at_least", "equal"),
}


def _check_tiers(document: Document, tiers: list[dict], path: Path) -> Iterator[Problem]:
    """Tiers go from best to worst, all '≥' (min) or all '≤' (max), and end with a catch-all."""
    kinds = {key for tier in tiers for key in ("min", "max") if key in tier}
    if len(kinds) > 1:
        yield document.problem(path, "各档须都写 min（≥）或都写 max（≤），不能混用", code="tiers")
        return
    if any("min" in tier and "max" in tier for tier in tiers):
        return
    if "min" in tiers[-1] or "max" in tiers[-1]:
        yield document.problem(path + (len(tiers) - 1,), "最后一档不写界限，表示其余情形（否则有的值落不进任何一档）",
                               code="tiers")
    bounds = []
    for i, tier in enumerate(tiers[:-1]):
        if "min" not in tier and "max" not in tier:
            yield document.problem(path + (i,), "只有最后一档可以不写界限", code="tiers")
            continue
        problems: list[Problem] = []
        bound = _number_at(document, path + (i, "min" if "min" in tier else "max"), problems)
        yield from problems
        if bound is not None:
            bounds.append((i, bound))
    for i, tier in enumerate(tiers):
        problems = []
        share = _number_at(document, path + (i, "share"), problems)
        yield from problems
        if share is not None and not 0 <= share <= 100:
            yield document.problem(path + (i, "share"), f"share 是占分值的百分比，应在 0–100 之间，实际为 {share}")
    ascending = kinds == {"max"}
    for (_, previous), (i, bound) in zip(bounds, bounds[1:]):
        if (bound <= previous) if ascending else (bound >= previous):
            order = "从小到大" if ascending else "从大到小"
            yield document.problem(path + (i,), f"各档界限应{order}排列（从得分最高的一档写起）", code="tiers")


def _check_checks(document: Document) -> list[Problem]:
    problems = []
    seen: dict[str, int] = {}
    for i, check in enumerate(document.data.get("checks") or []):
        forms = [key for key in ("assert", "builtin") if key in check]
        if "reported" in check or "computed" in check:
            forms.append("reported/computed")
            if not ("reported" in check and "computed" in check):
                problems.append(document.problem(("checks", i), "reported 与 computed 须同时写"))
        if len(forms) != 1:
            problems.append(document.problem(
                ("checks", i), "每项核对须写且只写一种：assert、reported/computed 或 builtin", code="check-form"))
        if check["id"] in seen:
            problems.append(document.problem(("checks", i, "id"), f"核对编号“{check['id']}”重复", code="duplicate-id"))
        seen.setdefault(check["id"], i)
    return problems


# ------------------------------------------------------------------ case against scheme


def bind_case(scheme: CompiledScheme, document: Document,
              check_year: bool = True) -> tuple[CaseData | None, list[Problem]]:
    """Read the case's inputs and rows for `scheme`, typed and exact; or every reason it can't be.

    `check_year=False` lets a case of one year be scored by another year's scheme (what-if, diff).
    """
    problems = check_shape(document, "case")
    if problems:
        return None, problems
    data = document.data
    if data["scheme"] != scheme.id:
        problems.append(document.problem(
            ("scheme",), f"案例属于方案“{data['scheme']}”，不能用方案“{scheme.id}”计分", code="wrong-scheme"))
    if check_year and data["fiscal_year"] != scheme.fiscal_year:
        problems.append(document.problem(
            ("fiscal_year",), f"案例年度为 {data['fiscal_year']}，方案年度为 {scheme.fiscal_year}，年度不符",
            f"请使用 {data['fiscal_year']} 年度的方案", "wrong-year"))
    if scheme.case_kind and data.get("kind") and data["kind"] != scheme.case_kind:
        problems.append(document.problem(("kind",), f"案例是 {data['kind']} 表，方案适用于 {scheme.case_kind} 表"))
    values: dict[str, Any] = {}
    locations = {}
    for spec in scheme.inputs.values():
        locations[spec.name] = document.locate(spec.source)
        try:
            values[spec.name] = read_input(spec, data)
        except ValueProblem as exc:
            problems.append(document.problem(spec.source, exc.message, exc.hint, "bad-input"))
    rows = {}
    for template in scheme.row_templates():
        read = tuple(_read_rows(template, document, problems))
        rows[template.id] = _split_weights(template, read, scheme.places, problems) if template.weight_split else read
    tables = {}
    for table in scheme.tables.values():
        tables[table.name] = tuple(_read_table(table, document, problems))
        for column in table.columns:
            values[table.column_name(column)] = tuple(row.values[column] for row in tables[table.name])
    assessments = _read_assessments(scheme, document, problems)
    if problems:
        return None, problems
    identity = {key: data[key] for key in ("scheme", "fiscal_year", "kind", "name", "department", "implementer") if key in data}
    identity["file"] = document.source
    return CaseData(document.source, identity, values, rows, locations, document, tables, assessments), []


_MISSING = object()


def read_input(spec: InputSpec, data: Any) -> Any:
    """The typed value of one input, or ValueProblem naming what is missing or wrong."""
    raw = _get(data, spec.source, _MISSING)
    if raw is _MISSING and not spec.required:
        return None  # not supplied at all: checks that need it are skipped, scores that need it fail
    if raw is _MISSING or is_blank(raw):
        if raw is _MISSING:
            raise ValueProblem(f"缺少输入“{spec.label}”（{format_path(spec.source)}）", "案例须填写此项")
        if spec.blank == "zero" and spec.numeric:
            return Decimal(0)
        if spec.blank == "error" and spec.required:
            raise ValueProblem(f"“{spec.label}”不能为空", "如确实不适用，请在方案中为此输入写 blank: zero 或 absent")
        return None
    if spec.numeric:
        return parse_number(raw, spec.unit)
    if spec.type == "bool":
        if isinstance(raw, bool):
            return raw
        text = normalize_text(str(raw))
        if text in ("是", "有", "符合", "√", "✓"):
            return True
        if text in ("否", "无", "不符合", "×", "✗"):
            return False
        raise ValueProblem(f"“{spec.label}”应为 是/否，实际为“{raw}”")
    text = normalize_text(str(raw))
    if spec.type == "level" and text not in spec.options:
        raise ValueProblem(f"“{spec.label}”应为 {'、'.join(spec.options)} 之一，实际为“{raw}”", suggest(text, spec.options))
    return text


def _read_rows(template: RowTemplate, document: Document, problems: list[Problem]) -> Iterator[IndicatorRow]:
    source = template.source
    rows = _get(document.data, source, _MISSING)
    if rows is _MISSING:
        problems.append(document.problem(source, f"缺少指标行（{format_path(source)}）", code="bad-input"))
        return
    for i, row in enumerate(rows):
        path = source + (i,)
        try:
            yield _read_row(template, i, row, path, document)
        except _RowProblem as exc:
            problems.append(document.problem(path + (exc.field,), exc.message, exc.hint, "bad-row"))


def _split_weights(template: RowTemplate, rows: tuple[IndicatorRow, ...], places: int,
                   problems: list[Problem]) -> tuple[IndicatorRow, ...]:
    """Each 一级指标's weight shared equally by its rows; the last row takes the rounding remainder."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.level1] = counts.get(row.level1, 0) + 1
    seen: dict[str, int] = {}
    given: dict[str, Decimal] = {}
    weighted = []
    for row in rows:
        total = template.weight_split.get(row.level1)
        if total is None:
            problems.append(Problem(
                f"方案未给一级指标“{row.level1}”分值（方案中有：{'、'.join(template.weight_split)}）", row.location,
                template.source + (row.index, "level1"), suggest(row.level1, template.weight_split), "bad-row"))
            continue
        seen[row.level1] = seen.get(row.level1, 0) + 1
        if seen[row.level1] == counts[row.level1]:
            weight = total - given.get(row.level1, Decimal(0))
        else:
            weight = round_half_up(total / counts[row.level1], places)
            given[row.level1] = given.get(row.level1, Decimal(0)) + weight
        weighted.append(replace(row, weight=weight))
    return tuple(weighted)


def _read_table(table: TableSpec, document: Document, problems: list[Problem]) -> Iterator[TableRow]:
    rows = _get(document.data, table.source, _MISSING)
    if rows is _MISSING or not isinstance(rows, list):
        problems.append(document.problem(table.source, f"缺少数据表“{table.label}”（{format_path(table.source)}）",
                                         code="bad-input"))
        return
    for i, row in enumerate(rows):
        path = table.source + (i,)
        values = {}
        for column in table.columns.values():
            try:
                values[column.name] = read_input(column, row)
            except ValueProblem as exc:
                problems.append(document.problem(path + column.source, exc.message, exc.hint, "bad-input"))
        label = _get(row, table.row_name) if table.row_name else None
        yield TableRow(str(label) if label is not None else f"第 {i + 1} 行", values, document.locate(path))


_YES = {"是", "符合", "有", "达到", "√", "✓", "y", "yes", "true"}
_NO = {"否", "不符合", "无", "未达到", "×", "✗", "n", "no", "false"}


def _read_assessments(scheme: CompiledScheme, document: Document, problems: list[Problem]) -> dict[str, Any]:
    """The assessor's answers and scores, by indicator id; every gap or stray answer is a problem."""
    given = document.data.get("assessments") or {}
    leaves = {leaf.id: leaf for leaf in scheme.leaves()}
    for key in given:
        if key not in leaves:
            problems.append(document.problem(
                ("assessments", key), f"方案中没有编号为“{key}”的指标", suggest(key, leaves), "unknown-id"))
    read: dict[str, Any] = {}
    for leaf in leaves.values():
        path: Path = ("assessments", leaf.id)
        raw = given.get(leaf.id, _MISSING)
        if raw is _MISSING:
            if leaf.rule.reads_assessment:
                problems.append(document.problem(
                    path, f"缺少评价人对指标“{leaf.name}”的判断（assessments.{leaf.id}）", _assessment_hint(leaf),
                    "missing-assessment"))
            continue
        reason = _not_applicable_reason(raw)
        if reason is not None:
            if leaf.not_applicable is None:
                problems.append(document.problem(
                    path, f"方案未允许指标“{leaf.name}”不适用", "如确不适用，请先在方案中为它写 not_applicable",
                    "not-applicable"))
            else:
                read[leaf.id] = NotApplicable(f"案例声明不适用：{reason}" if reason else "案例声明不适用")
            continue
        try:
            if leaf.rule.kind == "checklist":
                read[leaf.id] = _read_answers(leaf, raw, path, document, problems)
            elif leaf.rule.kind == "assessor":
                read[leaf.id] = _read_assessor_score(leaf, raw)
            else:
                problems.append(document.problem(path, f"指标“{leaf.name}”由公式计分，不需要评价人判断"))
        except ValueProblem as exc:
            score_path = path + ("score",) if isinstance(raw, dict) else path
            problems.append(document.problem(score_path, exc.message, exc.hint, "bad-assessment"))
    return read


def _assessment_hint(leaf: Any) -> str:
    if leaf.rule.kind == "checklist":
        return f"按评价要点顺序写 {len(leaf.rule.items)} 个 是/否，如 [{', '.join(['是'] * len(leaf.rule.items))}]"
    return "写评价人的打分"


def _not_applicable_reason(raw: Any) -> str | None:
    if isinstance(raw, dict) and "not_applicable" in raw:
        return str(raw["not_applicable"] or "")
    if isinstance(raw, str) and normalize_text(raw) in ("不适用", "N/A", "n/a"):
        return ""
    return None


def _read_answers(leaf: Any, raw: Any, path: Path, document: Document, problems: list[Problem]) -> tuple[bool, ...] | None:
    answers = raw.get("items") if isinstance(raw, dict) else raw
    items_path = path + ("items",) if isinstance(raw, dict) else path
    if not isinstance(answers, list):
        raise ValueProblem(f"评价要点应逐项回答 是/否（共 {len(leaf.rule.items)} 项）", _assessment_hint(leaf))
    if len(answers) != len(leaf.rule.items):
        raise ValueProblem(f"评价要点共 {len(leaf.rule.items)} 项，回答了 {len(answers)} 项", _assessment_hint(leaf))
    read = []
    for i, (answer, item) in enumerate(zip(answers, leaf.rule.items)):
        text = normalize_text(str(answer)).lower() if answer is not None else ""
        if answer is True or text in _YES:
            read.append(True)
        elif answer is False or text in _NO:
            read.append(False)
        else:
            what = "未作答" if is_blank(answer) else f"应为 是 或 否，实际为“{answer}”"
            problems.append(document.problem(items_path + (i,), f"评价要点 {_ordinal(i)}“{item}”{what}",
                                             code="unanswered"))
            return None
    return tuple(read)


def _ordinal(index: int) -> str:
    return "①②③④⑤⑥⑦⑧⑨⑩"[index] if index < 10 else f"第 {index + 1} 项"


def _read_assessor_score(leaf: Any, raw: Any) -> Decimal:
    score = parse_number(raw.get("score") if isinstance(raw, dict) else raw)
    if score is None:
        raise ValueProblem(f"指标“{leaf.name}”须由评价人打分")
    low, high = leaf.rule.bounds(leaf.weight)
    if not low <= score <= high:
        raise ValueProblem(f"指标“{leaf.name}”的评价人打分应在 {plain_number(low)}–{plain_number(high)} 分之间，"
                           f"实际为 {plain_number(score)}")
    return score


class _RowProblem(ValueProblem):
    def __init__(self, field: str, problem: ValueProblem):
        super().__init__(problem.message, problem.hint)
        self.field = field


def _read_row(template: RowTemplate, index: int, row: dict, path: Path, document: Document) -> IndicatorRow:
    def field(name: str, reader, *args):
        try:
            return reader(row.get(name), *args)
        except ValueProblem as exc:
            raise _RowProblem(name, exc) from None

    nature = field("nature", normalize_nature)
    unit = normalize_unit(row.get("unit")) if not is_blank(row.get("unit")) else None
    weight = field("weight", parse_number)
    if template.weight_split is not None:
        if weight is not None:
            raise _RowProblem("weight", ValueProblem(
                "此方案的分值由方案按一级指标分配，案例中不填分值", "删去此行的 weight"))
        weight = Decimal(0)  # set from the split once every row of its 一级指标 is known
    elif weight is None:
        raise _RowProblem("weight", ValueProblem("分值不能为空"))
    if weight < 0:
        raise _RowProblem("weight", ValueProblem(f"分值不能为负数（{weight}）"))
    if nature == "定性":
        target = None if is_blank(row.get("target")) else normalize_text(str(row.get("target")))
        actual = None if is_blank(row.get("actual")) else normalize_text(str(row.get("actual")))
    else:
        target = field("target", parse_number, unit)
        actual = field("actual", parse_number, unit)
        if target is None:
            raise _RowProblem("target", ValueProblem("指标值不能为空"))
        if actual is None:
            raise _RowProblem("actual", ValueProblem("实际完成值不能为空", "如确未完成请填 0"))
        if target < 0:
            raise _RowProblem("target", ValueProblem(f"指标值不能为负数（{target}）"))
    deviation = row.get("deviation")
    level1, level2 = normalize_text(row.get("level1") or ""), normalize_text(row.get("level2") or "")
    return IndicatorRow(
        id=f"{template.id}-{index + 1}",
        template=template.id,
        path=template.path + tuple(level for level in (level1, level2) if level),
        index=index,
        level1=level1,
        level2=level2,
        name=normalize_text(row["name"]),
        nature=nature,
        nature_written=str(row["nature"]),
        target=target,
        unit=unit,
        actual=actual,
        weight=weight,
        reported_score=field("score", parse_number),
        deviation=None if is_blank(deviation) else str(deviation).strip(),
        location=document.locate(path),
    )

"""Bind, between compile and evaluate: a case's data read against its compiled scheme, typed and exact.

Every input the scheme names is read at its path with its type, unit and blank policy; each row
template's indicator rows, each table and the assessor's answers are read; the case belongs to the
scheme and its year. Anything that cannot be read is a `Problem` located in the case file; all of
them are collected. The case's shape was checked first against the JSON Schema (validate stage).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any, Iterator

from .errors import Path, Problem, format_path
from .formula import NotApplicable, suggest
from .load import Document
from .model import CaseData, CompiledScheme, IndicatorRow, InputSpec, RowTemplate, TableRow, TableSpec
from .quantities import (  # noqa: I001
    split_operator, NatureWords,
    ValueProblem, is_blank, normalize_text, normalize_unit, parse_number, plain_number, round_half_up,
)
from .validate import check_shape, value_at



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
            f"请使用 {data['fiscal_year']} 年度的方案；没有时可用 engine new-year {scheme.source} {data['fiscal_year']}"
            " 生成（继承本方案，只写变化）", "wrong-year"))
    if scheme.case_kind and data.get("kind") and data["kind"] != scheme.case_kind:
        problems.append(document.problem(("kind",), f"案例是 {data['kind']} 表，方案适用于 {scheme.case_kind} 表"))
    values: dict[str, Any] = {}
    locations = {}
    blank_totals: dict[str, Problem] = {}
    funds = data.get("funds") if isinstance(data.get("funds"), dict) else {}
    funds_unit = funds.get("unit") if isinstance(funds.get("unit"), str) else None
    for spec in scheme.inputs.values():
        locations[spec.name] = document.locate(spec.source)
        # The case says in which unit its 项目资金 are written (funds.unit: 元); a bare figure there is in it.
        given_in = funds_unit if spec.source[:1] == ("funds",) and spec.type == "money" else None
        try:
            values[spec.name] = read_input(spec, data, given_in)
        except ValueProblem as exc:
            problem = document.problem(spec.source, exc.message, exc.hint, "bad-input")
            if _is_total_row(spec) and is_blank(value_at(data, spec.source, None)):
                values[spec.name] = None  # a blank 年度资金总额 cell: the scheme's funds_total decides
                blank_totals[spec.name] = problem
            else:
                problems.append(problem)
    scoring, notes = _funds_total(scheme, values, document, problems)
    problems.extend(problem for name, problem in blank_totals.items() if name not in scoring)
    rows = {}
    for template in scheme.row_templates():
        read = tuple(_read_rows(template, document, problems, scheme.places))
        rows[template.id] = _split_weights(template, read, scheme.places, problems) if template.weight_split else read
    tables = {}
    for table in scheme.tables.values():
        tables[table.name] = tuple(_read_table(table, document, problems))
        for column in table.columns:
            # A cell that could not be read is a problem already; the column holds None there.
            values[table.column_name(column)] = tuple(row.values.get(column) for row in tables[table.name])
    assessments = _read_assessments(scheme, document, problems)
    if problems:
        return None, problems
    identity = {key: data[key] for key in ("scheme", "fiscal_year", "kind", "name", "department", "implementer") if key in data}
    identity["file"] = document.source
    return CaseData(document.source, identity, values, rows, locations, document, tables, assessments, scoring, notes), []


_FUND_COLUMNS = ("initial_budget", "full_year_budget", "executed")


def _is_total_row(spec: InputSpec) -> bool:
    return len(spec.source) == 3 and spec.source[:2] == ("funds", "total") and spec.source[2] in _FUND_COLUMNS
_FUND_COLUMN_NAMES = {"initial_budget": "年初预算数", "full_year_budget": "全年预算数", "executed": "全年执行数"}


def _funds_total(scheme: CompiledScheme, values: dict[str, Any], document: Document,
                 problems: list[Problem]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A 年度资金总额 row left blank or 0 while its 其中 rows hold money (common in published tables).

    The scheme chooses (funds_total): from_parts scores with the sum of the 其中 rows — the inputs keep
    what the table wrote, so the cross-checks still report the contradiction; as_written scores the
    row as written; refuse makes it an error."""
    if scheme.funds_total == "as_written":
        return {}, ()
    totals: dict[str, str] = {}
    parts: dict[str, list[str]] = {}
    for spec in scheme.inputs.values():
        if len(spec.source) == 3 and spec.source[0] == "funds" and spec.source[2] in _FUND_COLUMNS and spec.type == "money":
            if spec.source[1] == "total":
                totals[spec.source[2]] = spec.name
            else:
                parts.setdefault(spec.source[2], []).append(spec.name)
    if not totals or any(values.get(name) not in (None, Decimal(0)) for name in totals.values()):
        return {}, ()
    sums = {column: sum((values[name] for name in parts.get(column, []) if values.get(name) is not None), Decimal(0))
            for column in totals}
    if not any(sums.values()):
        return {}, ()
    figures = "，".join(f"{_FUND_COLUMN_NAMES[c]} {plain_number(v)}" for c, v in sums.items() if c in totals)
    if scheme.funds_total == "refuse":
        problems.append(document.problem(
            ("funds", "total"), f"年度资金总额一行为空或为 0，而其中各项有数（合计：{figures}）",
            "请填写年度资金总额；方案规定此时不按其中各项计分（funds_total: refuse）", "funds-total-blank"))
        return {}, ()
    scoring = {name: sums[column] for column, name in totals.items()}
    note = (f"年度资金总额一行为空或为 0，而其中各项有数：按方案（funds_total: from_parts）以其中各项之和计分"
            f"（{figures}）；原表与其中各项的矛盾见勾稽核对")
    return scoring, (note,)


_MISSING = object()


def read_input(spec: InputSpec, data: Any, given_in: str | None = None) -> Any:
    """The typed value of one input, or ValueProblem naming what is missing or wrong."""
    raw = value_at(data, spec.source, _MISSING)
    if raw is _MISSING and not spec.required:
        # Not supplied at all: a row the table does not print (no 其中 row for 单位资金) holds nothing when the
        # scheme says a blank is zero; otherwise checks that need it are skipped and scores that need it fail.
        return Decimal(0) if spec.blank == "zero" and spec.numeric else None
    if raw is _MISSING or is_blank(raw):
        if raw is _MISSING:
            raise ValueProblem(f"缺少输入“{spec.label}”（{format_path(spec.source)}）", "案例须填写此项")
        if spec.blank == "zero" and spec.numeric:
            return Decimal(0)
        if spec.blank == "error" and spec.required:
            raise ValueProblem(f"“{spec.label}”不能为空", "如确实不适用，请在方案中为此输入写 blank: zero 或 absent")
        return None
    if spec.numeric:
        return parse_number(raw, spec.unit, given_in)
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


def _read_rows(template: RowTemplate, document: Document, problems: list[Problem],
               places: int) -> Iterator[IndicatorRow]:
    source = template.source
    rows = value_at(document.data, source, _MISSING)
    if rows is _MISSING:
        problems.append(document.problem(source, f"缺少指标行（{format_path(source)}）", code="bad-input"))
        return
    for i, row in enumerate(rows):
        path = source + (i,)
        try:
            yield _read_row(template, i, row, path, document, places)
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
    rows = value_at(document.data, table.source, _MISSING)
    if (rows is _MISSING or rows is None) and not table.required:
        return
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
        label = value_at(row, table.row_name) if table.row_name else None
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


DEFAULT_NATURES = NatureWords.of(None)


class _RowProblem(ValueProblem):
    def __init__(self, field: str, problem: ValueProblem):
        super().__init__(problem.message, problem.hint)
        self.field = field


def parse_actual(value, unit):  # noqa: ANN001, ANN201 - parse_number's signature
    """实际完成值 as tables write it: “≥80%” (the operator repeated from the target) is 80 %."""
    if isinstance(value, str):
        operator, rest = split_operator(value)
        if operator is not None and rest:
            value = rest
    return parse_number(value, unit)


def _read_row(template: RowTemplate, index: int, row: dict, path: Path, document: Document,
              places: int) -> IndicatorRow:
    def field(name: str, reader, *args):
        try:
            return reader(row.get(name), *args)
        except ValueProblem as exc:
            raise _RowProblem(name, exc) from None

    try:
        nature, target_text = (template.natures or DEFAULT_NATURES).read(row.get("nature"), row.get("target"))
    except ValueProblem as exc:
        raise _RowProblem("nature", exc) from None
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
    if weight != round_half_up(weight, places):
        # Scores are shown at `places`; a finer weight would let a rounded score exceed it.
        raise _RowProblem("weight", ValueProblem(
            f"分值 {plain_number(weight)} 的小数位多于方案规定的 {places} 位", f"分值写到 {places} 位小数"))
    if nature == "定性":
        target = None if is_blank(row.get("target")) else normalize_text(str(row.get("target")))
        actual = None if is_blank(row.get("actual")) else normalize_text(str(row.get("actual")))
    else:
        target = field("target", lambda _, unit: parse_number(target_text, unit), unit)
        actual = field("actual", parse_actual, unit)
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
        nature_written=str(row.get("nature") if not is_blank(row.get("nature")) else nature),
        target=target,
        unit=unit,
        actual=actual,
        weight=weight,
        reported_score=field("score", parse_number),
        deviation=None if is_blank(deviation) else str(deviation).strip(),
        location=document.locate(path),
    )

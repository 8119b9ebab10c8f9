"""Bind, between compile and evaluate: a case's data read against its compiled scheme, typed and exact.

Every input the scheme names is read at its path with its type, unit and blank policy; each row
template's indicator rows, each table and the assessor's answers are read; the case belongs to the
scheme and its year. Anything that cannot be read is a `Problem` located in the case file; all of
them are collected. The case's shape was checked first against the JSON Schema (validate stage).
"""

from __future__ import annotations

import functools
import os
import re
import sys
import weakref
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any, Callable, Iterator

from .errors import Location, Path, Problem, format_path
from .formula import NotApplicable, suggest
from .load import Document
from .model import CaseData, CompiledScheme, IndicatorRow, InputSpec, RowTemplate, TableRow, TableSpec
from .quantities import _MAX_DECIMALS, _MAX_INTEGER_DIGITS  # the bounds check_magnitude enforces
from .quantities import (  # noqa: I001
    PERCENT, QUANTITATIVE, split_operator, NatureWords,
    ValueProblem, is_blank, normalize_text, normalize_unit, parse_number, plain_number, round_half_up,
)
from .validate import check_shape, plain_gate, value_at



def bind_case(scheme: CompiledScheme, document: Document,
              check_year: bool = True) -> tuple[CaseData | None, list[Problem]]:
    """Read the case's inputs and rows for `scheme`, typed and exact; or every reason it can't be.

    `check_year=False` lets a case of one year be scored by another year's scheme (what-if, diff).
    Most cases are plain — figures as numbers, natures as the scheme names them, nothing blank that
    matters — and are read by the scheme's compiled binder; at the first thing it does not read the
    plain way it gives up, and the checking binder (`bind_checked`) reads the case, or locates
    every problem in it. Both give the same CaseData.
    """
    binder = compiled_binder(scheme) if _read_before(scheme) else None
    if binder is not None and plain_gate("case")(document.data):
        try:
            case = binder(document, check_year)
        except Exception:  # noqa: BLE001 - whatever the fast path cannot read, the checking binder reads or locates
            case = None
        if case is not None:
            return case, []
    return bind_checked(scheme, document, check_year)


def bind_checked(scheme: CompiledScheme, document: Document,
                 check_year: bool = True) -> tuple[CaseData | None, list[Problem]]:
    """bind_case checking everything as it goes: every problem of the case found, each located."""
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
        said = _yes_or_no(answer)
        if said is not None:
            read.append(said)
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


# ------------------------------------------------------------------ compiled binder ----
# A scheme's inputs, row templates, tables and assessed indicators are planned once into one
# generated function that reads a plain case straight into CaseData. It reads only what it can read
# exactly as the checking binder would — calling the same functions wherever text must be read — and
# raises _GiveUp (or lets anything else raise) at the first thing it does not; bind_case then runs
# the checking binder, so a case is read the same whichever path reads it.


class _GiveUp(Exception):
    """The compiled binder met something it leaves to the checking binder."""


class _CannotCompile(Exception):
    """The scheme reads the case in a way the compiled binder does not plan for: every case is checked."""


_GIVE_UP = object()  # an input's value for a blank cell where a blank is a problem
_EMPTY: Any = MappingProxyType({})  # what an absent mapping on the way to a value reads as
# quantities.check_magnitude's bounds, for the figures it passes at once
_MAX_INTEGER = 10 ** _MAX_INTEGER_DIGITS
_TWELVE_PLACES = Decimal(1).scaleb(-_MAX_DECIMALS)
_PLAIN_FIGURE = re.compile(r"([0-9]{1,%d}(?:\.[0-9]{1,%d})?)(%%?)" % (_MAX_INTEGER_DIGITS, _MAX_DECIMALS))
_BINDERS: dict[int, Callable[..., CaseData | None] | None] = {}  # id(scheme) -> its binder, while the scheme lives


_READ: dict[int, bool] = {}  # id of a scheme -> it has read a case in this process


def _read_before(scheme: CompiledScheme) -> bool:
    """Has this scheme read a case before? The first case is read by the checking binder: compiling the
    binder costs more than one case saves, and `engine score` reads one case (its cold start)."""
    key = id(scheme)
    if key in _READ:
        return True
    _READ[key] = True
    weakref.finalize(scheme, _READ.pop, key, None)
    return False


def compiled_binder(scheme: CompiledScheme) -> Callable[..., CaseData | None] | None:
    """The scheme's compiled binder, made on first use; None if the scheme reads the case in a way it does not plan for.

    Kept beside the scheme by its id rather than on it: a CompiledScheme is frozen and may be pickled,
    a generated function may not."""
    key = id(scheme)
    if key not in _BINDERS:
        try:
            source, namespace = _binder_plan(scheme)
        except _CannotCompile:
            _BINDERS[key] = None
        else:
            if os.environ.get("ENGINE_DEBUG_BINDER"):
                print(source, file=sys.stderr)
            exec(compile(source, f"<binder {scheme.id} {scheme.version}>", "exec"), namespace)  # noqa: S102 - our own plan
            _BINDERS[key] = namespace["bind"]
        weakref.finalize(scheme, _BINDERS.pop, key, None)
    return _BINDERS[key]


def binder_source(scheme: CompiledScheme) -> str | None:
    """The source of the scheme's compiled binder (also printed to stderr with ENGINE_DEBUG_BINDER=1)."""
    try:
        return _binder_plan(scheme)[0]
    except _CannotCompile:
        return None


def _figure(raw: Any, unit: str | None = None, given_in: str | None = None) -> Decimal:
    """`raw` as parse_number(raw, unit, given_in) reads it, when that is a number; _GiveUp otherwise.

    A number the loader made, within what check_magnitude passes and with no unit to convert from,
    is taken as it is; anything else is read by parse_number itself."""
    cls = raw.__class__
    if given_in is None:
        if cls is Decimal:
            # At most 12 decimals (trailing zeros aside) is: rounding to 12 places leaves it as it is.
            if raw.is_finite() and raw.adjusted() < _MAX_INTEGER_DIGITS and raw.quantize(_TWELVE_PLACES) == raw:
                return raw
        elif cls is int and -_MAX_INTEGER < raw < _MAX_INTEGER:
            return Decimal(raw)
        elif cls is str:
            # Plain digits (a rate as "74.00%" where a % or no unit is expected): what parse_number makes of
            # them, as no normalizing, separator, other unit or bound can change them.
            plain = _PLAIN_FIGURE.fullmatch(raw)
            if plain is not None and (not plain.group(2) or unit is None or unit == PERCENT):
                return Decimal(plain.group(1))
    if cls is str or cls is Decimal or cls is int:
        value = parse_number(raw, unit, given_in)
        if value is not None:
            return value
    raise _GiveUp


def _input_number(raw: Any, unit: str | None, given_in: str | None, when_blank: Any) -> Decimal | None:
    """A numeric input as read_input reads it; `when_blank` is its value for a blank cell (_GIVE_UP: a problem)."""
    if raw is None or (raw.__class__ is str and _PLAIN_FIGURE.fullmatch(raw) is None and is_blank(raw)):
        if when_blank is _GIVE_UP:
            raise _GiveUp
        return when_blank
    return _figure(raw, unit, given_in)


def _optional_figure(raw: Any) -> Decimal | None:
    """parse_number(raw): None for a blank cell."""
    if raw is None or (raw.__class__ is str and is_blank(raw)):
        return None
    return _figure(raw)


def _funds_unit(data: dict) -> str | None:
    funds = data.get("funds") if isinstance(data.get("funds"), dict) else {}
    return funds.get("unit") if isinstance(funds.get("unit"), str) else None


@functools.lru_cache(maxsize=1024)
def _row_unit(raw: str | None) -> str | None:
    """The 度量单位 cell as _read_row reads it; few distinct units are written, so each is read once."""
    return normalize_unit(raw) if not is_blank(raw) else None


@functools.lru_cache(maxsize=1024)
def _row_levels(raw_level1: str | None, raw_level2: str | None, template_path: tuple[str, ...]) -> tuple[str, str, tuple[str, ...]]:
    """A row's 一级 and 二级 指标 as _read_row reads them, and its path; a table repeats a few of them in every row."""
    level1, level2 = normalize_text(raw_level1 or ""), normalize_text(raw_level2 or "")
    return level1, level2, template_path + tuple(level for level in (level1, level2) if level)


def _answers(raw: Any, count: int) -> tuple[bool, ...]:
    """A checklist's 是/否 answers as _read_answers reads them; _GiveUp where it would find a problem."""
    answers = raw.get("items") if isinstance(raw, dict) else raw
    if not isinstance(answers, list) or len(answers) != count:
        raise _GiveUp
    read = []
    for answer in answers:
        said = _yes_or_no(answer)
        if said is None:
            raise _GiveUp
        read.append(said)
    return tuple(read)


def _yes_or_no(answer: Any) -> bool | None:
    """An assessor's answer to one 评价要点: True for 是, False for 否, None for neither."""
    text = normalize_text(str(answer)).lower() if answer is not None else ""
    if answer is True or text in _YES:
        return True
    if answer is False or text in _NO:
        return False
    return None


def _located(document: Document, path: Path) -> Location:
    """document.locate(path): the position of the path, or of its nearest written ancestor."""
    positions = document.positions
    while path not in positions and path:
        path = path[:-1]
    position = positions.get(path, (None, None))
    if len(position) != 2:
        return document.locate(path)  # a position in another file (an inherited part)
    # Made as pickle makes it: a frozen dataclass's __init__ sets each field through object.__setattr__,
    # twice the cost, and a case has a location per input and per row.
    location = _new_object(Location)
    fields = location.__dict__
    fields["file"], fields["line"], fields["column"] = document.source, position[0], position[1]
    return location


_new_object = object.__new__


def _natures_written_plainly(natures: NatureWords) -> dict[str, str]:
    """Words of the 指标性质 cell that NatureWords.read maps straight to a nature when the 指标值 is a number.

    Only words that are already as normalize_text leaves them and are not blank: then the word as
    written is the word looked up."""
    plain = {}
    for word, meaning in natures.table.items():
        if normalize_text(word) != word or is_blank(word):
            continue
        if meaning == QUANTITATIVE:
            if natures.quantitative_default is None:
                continue
            meaning = natures.quantitative_default
        plain[word] = meaning
    return plain


def _keys(path: Path) -> tuple[str, ...]:
    if not path or not all(isinstance(part, str) for part in path):
        raise _CannotCompile(path)
    return tuple(path)


class _Plan:
    """The generated source's lines and the values it names."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {
            "Decimal": Decimal, "CaseData": CaseData, "IndicatorRow": IndicatorRow, "TableRow": TableRow,
            "Location": Location, "MISSING": _MISSING, "EMPTY": _EMPTY, "GIVE_UP": _GIVE_UP, "ZERO": Decimal(0), "PLAIN_FIGURE": _PLAIN_FIGURE,
            "MAX_INTEGER_DIGITS": _MAX_INTEGER_DIGITS, "MAX_INTEGER": _MAX_INTEGER, "TWELVE_PLACES": _TWELVE_PLACES, "GiveUp": _GiveUp,
            "figure": _figure, "input_number": _input_number, "optional_figure": _optional_figure,
            "funds_unit_of": _funds_unit, "row_unit": _row_unit, "row_levels": _row_levels, "answers": _answers, "located": _located,
            "read_input": read_input, "parse_number": parse_number, "parse_actual": parse_actual,
            "normalize_text": normalize_text, "is_blank": is_blank, "value_at": value_at,
            "split_weights": _split_weights, "funds_total": _funds_total, "assessor_score": _read_assessor_score,
            "not_applicable_reason": _not_applicable_reason,
        }

    def name(self, prefix: str, value: Any) -> str:
        """A name in the generated source for `value` (a spec, a table of words …)."""
        name = f"{prefix}_{sum(key.startswith(prefix + '_') for key in self.namespace)}"
        self.namespace[name] = value
        return name

    def add(self, indent: int, *lines: str) -> None:
        self.lines += ["    " * indent + line for line in lines]


def _figure_inline(name: str, otherwise: str, given_in: str = "None") -> str:
    """_figure(name) as an expression: a number the loader made is taken without a call, else `otherwise`.

    Only with no unit to convert from (`given_in` None, a name in the source that is None at run time)."""
    guard = "" if given_in == "None" else f"{given_in} is None and "
    return (f"({name} if {guard}{name}.__class__ is Decimal and {name}.is_finite() and {name}.adjusted() < MAX_INTEGER_DIGITS"
            f" and {name}.quantize(TWELVE_PLACES) == {name}"
            f" else Decimal({name}) if {guard}{name}.__class__ is int and -MAX_INTEGER < {name} < MAX_INTEGER"
            f" else {otherwise})")


def _when_blank(spec: InputSpec) -> str:
    """What read_input makes of a blank cell for `spec`, as a name in the generated source."""
    if spec.blank == "zero":
        return "ZERO"
    return "GIVE_UP" if spec.blank == "error" and spec.required else "None"


def _comment(text: str) -> str:
    """A comment line of generated source: names from the scheme may hold any character but a line break."""
    return "# " + "".join(" " if ch in "\r\n" else ch for ch in text)


def _lookup(start: str, keys: tuple[str, ...], last_default: str) -> str:
    """An expression reading keys from `start`: an absent mapping on the way reads as empty."""
    expression = start
    for key in keys[:-1]:
        expression += f".get({key!r}, EMPTY)"
    return expression + f".get({keys[-1]!r}, {last_default})"


def _binder_plan(scheme: CompiledScheme) -> tuple[str, dict[str, Any]]:
    plan = _Plan()
    add = plan.add
    add(0, "def bind(document, check_year):")
    add(1, "data = document.data",
        f"if data['scheme'] != {scheme.id!r}: return None",
        f"if check_year and data['fiscal_year'] != {scheme.fiscal_year!r}: return None")
    if scheme.case_kind:
        add(1, f"if data.get('kind') and data['kind'] != {scheme.case_kind!r}: return None")
    _plan_inputs(plan, scheme)
    _plan_funds_total(plan, scheme)
    add(1, "rows = {}")
    for template in scheme.row_templates():
        _plan_rows(plan, template, scheme.places)
    add(1, "tables = {}")
    for table in scheme.tables.values():
        _plan_table(plan, table)
    _plan_assessments(plan, scheme)
    add(1, "identity = {key: data[key] for key in IDENTITY if key in data}",
        "identity['file'] = document.source",
        "return CaseData(document.source, identity, values, rows, locations, document, tables, assessments, scoring, notes)")
    plan.namespace["IDENTITY"] = ("scheme", "fiscal_year", "kind", "name", "department", "implementer")
    return "\n".join(plan.lines) + "\n", plan.namespace


def _plan_inputs(plan: _Plan, scheme: CompiledScheme) -> None:
    add = plan.add
    funds_money = [spec for spec in scheme.inputs.values() if spec.source[:1] == ("funds",) and spec.type == "money"]
    given_in: dict[str | None, str] = {}
    if funds_money:
        # The case may say in which unit its 项目资金 are written; written in the scheme's own unit, nothing converts.
        add(1, "funds_unit = funds_unit_of(data)")
        for unit in sorted({spec.unit for spec in funds_money if spec.unit is not None}):
            given_in[unit] = f"given_in_{len(given_in)}"
            add(1, f"{given_in[unit]} = None if funds_unit is None or funds_unit == {unit!r} else funds_unit")
    add(1, "values = {}", "locations = {}")
    mappings: dict[Path, str] = {(): "data"}  # each mapping on the way to an input, read once
    for spec in scheme.inputs.values():
        keys = _keys(spec.source)
        for depth in range(1, len(keys)):
            if keys[:depth] not in mappings:
                mappings[keys[:depth]] = f"at_{len(mappings)}"
                add(1, f"{mappings[keys[:depth]]} = {_lookup(mappings[keys[:depth - 1]], keys[depth - 1:depth], 'EMPTY')}"
                       f"  {_comment(format_path(keys[:depth]))}")
        add(1, _comment(f"{spec.name}: {format_path(keys)}, {spec.type}{' in ' + spec.unit if spec.unit else ''}, "
                        f"{'required' if spec.required else 'optional'}, blank: {spec.blank}"))
        add(1, f"locations[{spec.name!r}] = located(document, {keys!r})")
        unit_given = given_in.get(spec.unit, "None") if spec in funds_money else "None"
        if spec.numeric:
            # Absent from the case: a problem if the input is required; else read as a blank is.
            raw = _lookup(mappings[keys[:-1]], keys[-1:], "MISSING" if spec.required else "None")
            add(1, f"raw = {raw}",
                f"values[{spec.name!r}] = "
                + _figure_inline("raw", f"input_number(raw, {spec.unit!r}, {unit_given}, {_when_blank(spec)})", unit_given))
        else:
            add(1, f"values[{spec.name!r}] = read_input({plan.name('INPUT', spec)}, data, {unit_given})")


def _plan_funds_total(plan: _Plan, scheme: CompiledScheme) -> None:
    """A 年度资金总额 blank or 0 is _funds_total's to decide; any problem it finds is the checking binder's."""
    totals = [spec.name for spec in scheme.inputs.values() if _is_total_row(spec) and spec.type == "money"]
    plan.add(1, "scoring, notes = {}, ()")
    if scheme.funds_total == "as_written" or not totals:
        return
    test = " and ".join(f"(values[{name!r}] is None or values[{name!r}] == 0)" for name in totals)
    plan.add(1, f"if {test}:", "    problems = []",
             f"    scoring, notes = funds_total({plan.name('SCHEME', scheme)}, values, document, problems)",
             "    if problems: return None")


def _plan_rows(plan: _Plan, template: RowTemplate, places: int) -> None:
    add = plan.add
    source = _keys(template.source)
    natures = template.natures or DEFAULT_NATURES
    words = plan.name("NATURES", _natures_written_plainly(natures))
    reader = plan.name("NATURE_WORDS", natures)
    row_path = plan.name("TEMPLATE_PATH", template.path)
    add(1, _comment(f"rows of {template.id}: {format_path(source)}"),
        f"written = {_lookup('data', source, 'MISSING')}",
        "if written.__class__ is not list: return None",
        "read = []",
        "for index, row in enumerate(written):")
    add(2, "written_nature = row.get('nature')",
        "raw_target = row.get('target')",
        f"nature = {words}.get(written_nature) if written_nature.__class__ is str else None",
        "if nature is None or raw_target.__class__ is str:",
        "    # a 定量 row, an operator in the 指标值, a word to normalize: the scheme's NatureWords read it",
        f"    nature, target_text = {reader}.read(written_nature, raw_target)",
        "    nature_written = str(written_nature if not is_blank(written_nature) else nature)",
        "else:",
        "    target_text, nature_written = raw_target, written_nature",
        "raw_unit = row.get('unit')",
        "unit = None if raw_unit is None else row_unit(raw_unit)")
    if template.weight_split is not None:
        add(2, "if row.get('weight') is not None: return None  # the scheme shares the weights out",
            "weight = Decimal(0)")
    else:
        add(2, "raw_weight = row.get('weight', MISSING)",
            f"weight = {_figure_inline('raw_weight', 'figure(raw_weight)')}",
            f"if weight < 0 or weight != weight.quantize({plan.name('QUANTUM', Decimal(1).scaleb(-places))}, "
            "rounding=ROUND_HALF_UP): return None")
        plan.namespace["ROUND_HALF_UP"] = ROUND_HALF_UP
    add(2, "if nature == '定性':",
        "    raw_actual = row.get('actual')",
        "    target = None if is_blank(raw_target) else normalize_text(str(raw_target))",
        "    actual = None if is_blank(raw_actual) else normalize_text(str(raw_actual))",
        "else:",
        f"    target = {_figure_inline('target_text', 'figure(target_text, unit)')}",
        "    raw_actual = row.get('actual')",
        f"    actual = {_figure_inline('raw_actual', 'figure(raw_actual, unit) if raw_actual.__class__ is not str or PLAIN_FIGURE.fullmatch(raw_actual) else parse_actual(raw_actual, unit)')}",
        "    if actual is None or target < 0: return None",
        "deviation = row.get('deviation')",
        "if deviation is not None:",
        "    deviation = None if is_blank(deviation) else str(deviation).strip()",
        "score = row.get('score')",
        f"level1, level2, path = row_levels(row.get('level1'), row.get('level2'), {row_path})",
        f"read.append(IndicatorRow({plan.name('ROW_ID', template.id + '-')} + str(index + 1), {template.id!r}, path,",
        "    index, level1, level2, normalize_text(row['name']), nature, nature_written, target, unit, actual, weight,",
        "    None if score is None else optional_figure(score), deviation,",
        f"    located(document, ({', '.join(repr(key) for key in source)}, index))))")
    if template.weight_split is not None:
        split = plan.name("SPLIT", template.weight_split)
        add(1, f"if not all(row.level1 in {split} for row in read): return None",
            f"read = split_weights({plan.name('TEMPLATE', template)}, tuple(read), {places}, [])")
    add(1, f"rows[{template.id!r}] = tuple(read)")


def _plan_table(plan: _Plan, table: TableSpec) -> None:
    add = plan.add
    source = _keys(table.source)
    label = repr(_keys(table.row_name)) if table.row_name else None
    add(1, _comment(f"table {table.name}: {format_path(source)}"),
        f"written = {_lookup('data', source, 'None')}",
        "read = []")
    if table.required:
        add(1, "if written.__class__ is not list: return None")
    else:
        add(1, "if written is not None and written.__class__ is not list: return None")
    add(1, "for index, row in enumerate(written or ()):",
        "    if row.__class__ is not dict: return None",
        "    cells = {}")
    for column in table.columns.values():
        keys = _keys(column.source)
        if column.numeric:
            raw = _lookup("row", keys, "MISSING" if column.required else "None")
            add(2, f"cells[{column.name!r}] = input_number({raw}, {column.unit!r}, None, {_when_blank(column)})")
        else:
            add(2, f"cells[{column.name!r}] = read_input({plan.name('COLUMN', column)}, row)")
    if label:
        add(2, f"label = value_at(row, {label})")
    else:
        add(2, "label = None")
    add(2, "read.append(TableRow(str(label) if label is not None else f'第 {index + 1} 行', cells, "
           f"located(document, ({', '.join(repr(key) for key in source)}, index))))")
    add(1, f"tables[{table.name!r}] = read = tuple(read)")
    for column in table.columns:
        add(1, f"values[{table.column_name(column)!r}] = tuple(row.values.get({column!r}) for row in read)")


def _plan_assessments(plan: _Plan, scheme: CompiledScheme) -> None:
    add = plan.add
    reading = [leaf for leaf in scheme.leaves() if leaf.rule.reads_assessment]
    add(1, "assessments = {}")
    if not reading:
        add(1, "if data.get('assessments'): return None")
        return
    add(1, "given = data.get('assessments') or EMPTY",
        f"if not given.keys() <= {plan.name('ASSESSED', frozenset(leaf.id for leaf in reading))}: return None")
    for leaf in reading:
        add(1, _comment(f"{leaf.id}: {leaf.name}, {leaf.rule.kind}"), f"raw = given.get({leaf.id!r}, MISSING)",
            "if raw is MISSING or not_applicable_reason(raw) is not None: return None")
        if leaf.rule.kind == "checklist":
            add(1, f"assessments[{leaf.id!r}] = answers(raw, {len(leaf.rule.items)})")
        elif leaf.rule.kind == "assessor":
            add(1, f"assessments[{leaf.id!r}] = assessor_score({plan.name('LEAF', leaf)}, raw)")
        else:
            raise _CannotCompile(leaf.rule.kind)

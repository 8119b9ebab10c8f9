"""The scored table as the page shows it: the official layout (export.official_cells), each failed
cross-check marked on the cells it is about, each indicator row linked to its calculation sheet.

Which cell a check is about is read from the scheme, not guessed from its wording: a check comparing
a reported figure names an input, and an input names where the case writes it (`reported.total` →
the 总分 cell, `funds.total.executed` → the 全年执行数 of 年度资金总额); a check on indicator rows names
each failing row by its location. A failed check no cell can hold is listed under the table only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..export import official_cells
from ..model import CaseData, CompiledScheme, GroupResult, Result
from ..quantities import fixed, plain_number

_FUNDS_ROWS = {"total": "年度资金总额", "appropriation": "其中：当年财政拨款", "carried_over": "上年结转资金", "other": "其他资金"}
_FUNDS_COLUMNS = {"initial_budget": 1, "full_year_budget": 2, "executed": 3}
_REPORTED = {  # reported.<key…> → (row, index of the cell in that row)
    ("execution", "weight"): ("年度资金总额", 4), ("execution", "rate"): ("年度资金总额", 5),
    ("execution", "score"): ("年度资金总额", 6), ("appropriation_rate",): ("其中：当年财政拨款", 5),
    ("total_weight",): ("总分", 1), ("total",): ("总分", 2), ("grade",): ("总分", 3),
}
_COMPUTED = {"total": ("总分", 2), "grade": ("总分", 3)}
# Checks on indicator rows: which of the row's cells, counted from its end (…, 实际完成值, 分值, 得分, 偏差原因).
_ROW_CELL = {"row_scores_match": -2, "row_scores_within_weight": -2, "deviation_reasons": -1, "percent_scale": -4}


@dataclass
class Cell:
    text: str
    colspan: int
    rowspan: int
    style: str
    marks: list[str] = field(default_factory=list)  # messages of the failed checks about this cell
    check_ids: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # each check's number in the list under the table


@dataclass
class Row:
    cells: list[Cell]
    indicator: str | None = None  # the indicator whose calculation sheet a click opens
    name: str = ""


def scored_table(scheme: CompiledScheme, case: CaseData, result: Result) -> tuple[list[Row], list[Any], set[str]]:
    """(rows of the table, the failed checks, ids of those marked on a cell)."""
    grid = official_cells(result, case)
    rows = [Row([Cell(*cell) for cell in cells]) for cells in grid]
    by_label = {row.cells[0].text: row for row in rows if row.cells}
    heading = next((i for i, row in enumerate(rows) if row.cells and row.cells[0].text == "一级指标"), None)
    indicator_rows: dict[str, Row] = {}
    if heading is not None:
        shown = [i for i in result.indicators if not (i.id == "execution" and "年度资金总额" in by_label)]
        for indicator, row in zip(shown, rows[heading + 1:]):
            row.indicator, row.name = indicator.id, indicator.name
            indicator_rows[indicator.id] = row
    execution = by_label.get("年度资金总额")
    if execution is not None:
        execution.indicator, execution.name = "execution", "预算执行率"
    failed = [check for check in result.checks if check.status == "failed"]
    marked: set[str] = set()
    definitions = {check.id: check for check in scheme.checks}
    for number, check in enumerate(failed, 1):
        definition = definitions.get(check.id)
        cells = _cells_of(definition, scheme, by_label) if definition is not None else []
        if definition is not None and definition.kind in _ROW_CELL:
            cells += _row_cells(check, result, indicator_rows, _ROW_CELL[definition.kind])
        for cell in cells:
            text = check.message
            if cell.marks and text in cell.marks:
                continue
            cell.marks.append(text)
            cell.check_ids.append(check.id)
            cell.numbers.append(number)
            marked.add(check.id)
    return rows, failed, marked


def _cells_of(definition: Any, scheme: CompiledScheme, by_label: dict[str, Row]) -> list[Cell]:
    names = [name for formula in definition.formulas.values() for name in formula.names]
    if definition.kind == "compare":  # the reported figure is the one the table gives wrong
        reported = definition.formulas.get("reported")
        names = list(reported.names) if reported is not None else names
        computed = definition.formulas.get("computed")
        if computed is not None and not names:
            names = list(computed.names)
    cells = []
    for name in names:
        spot = _COMPUTED.get(name)
        spec = scheme.inputs.get(name)
        if spec is not None:
            spot = _spot(tuple(spec.source))
        if spot is not None and spot[0] in by_label:
            row = by_label[spot[0]]
            if spot[1] < len(row.cells):
                cells.append(row.cells[spot[1]])
    return cells


def _spot(source: tuple) -> tuple[str, int] | None:
    if len(source) == 3 and source[0] == "funds" and source[1] in _FUNDS_ROWS and source[2] in _FUNDS_COLUMNS:
        return _FUNDS_ROWS[source[1]], _FUNDS_COLUMNS[source[2]]
    if source and source[0] == "reported":
        return _REPORTED.get(tuple(source[1:]))
    return None


def _row_cells(check: Any, result: Result, rows: dict[str, Row], index: int) -> list[Cell]:
    cells = []
    for indicator in result.indicators:
        row = rows.get(indicator.id)
        if row is None or not indicator.from_case:
            continue
        where = f"{indicator.location}: "
        named = f"“{indicator.name}”"
        if any(detail.startswith(where) and named in detail for detail in check.details):
            cells.append(row.cells[index])
    return cells


def subtotals(result: Result) -> list[tuple[int, str, str, str, str]]:
    """(depth, name, 分值, 得分, 得分率) of every group of the indicator tree — the scheme's dimensions and a
    project's own 一级 / 二级 指标 alike — for the 分项得分 under the table."""
    rows = []

    def visit(group: GroupResult, depth: int) -> None:
        for child in group.children:
            if isinstance(child, GroupResult):
                share = f"{fixed(child.score / child.weight * 100, 1)}%" if child.weight else ""
                rows.append((depth, child.name, plain_number(child.weight), fixed(child.score, result.places), share))
                visit(child, depth + 1)

    visit(result.groups, 0)
    return rows

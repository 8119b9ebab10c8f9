"""Reading Word documents (.docx): every table and the paragraphs around it, in document order.

A 自评报告 is prose with the table inside it, and the table's title is often a paragraph just
above it, so paragraphs become rows of one cell. Merged cells are read from the table's own
markup: `gridSpan` spans columns, a `vMerge` continuation repeats the text of the cell it
continues as a `copy` (python-docx's own cell grid does the same, but loses which is which).
"""

from __future__ import annotations

import io

from ..errors import Location, Problem
from . import MAX_CELLS, MAX_COLUMNS, Cell, Grid, ReadError, Reading, check_size, clip

FORMAT = "Word 文档（.docx）"


def read_docx(raw: bytes, source: str) -> Reading:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a broken file
        raise ReadError(Problem(f"无法作为 Word 文档读取：{str(exc)[:200]}", Location(source), code="broken-document",
                                hint="请用 Word 或 WPS 打开后重新保存为 .docx")) from None
    rows: list[list[Cell]] = []
    paragraphs = tables = 0
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            paragraphs += 1
            text = clip(block.text)
            if text:
                rows.append([Cell(text, f"第 {paragraphs} 段", paragraphs, 1, f"{source}［正文］")])
        elif isinstance(block, Table):
            tables += 1
            rows.extend(_table_rows(block, tables, source))
        check_size(len(rows), 1, source, "文档")
    return Reading(source, FORMAT, [Grid(source, None, rows, FORMAT, merged=True)])


def _table_rows(table, number: int, source: str) -> list[list[Cell]]:  # noqa: ANN001
    from docx.table import _Cell

    place = f"{source}［表 {number}］"
    rows: list[list[Cell]] = []
    above: dict[int, Cell] = {}  # grid column -> the cell that started there in an earlier row
    for r, tr in enumerate(table._tbl.tr_lst, 1):  # noqa: SLF001 - the markup is where spans are
        column = 1 + (tr.grid_before or 0)
        cells: list[Cell] = []
        for tc in tr.tc_lst:
            span = max(1, min(tc.grid_span or 1, MAX_COLUMNS))
            ref = f"表 {number} 第 {r} 行第 {column} 列"
            if tc.vMerge == "continue" and column in above:
                origin = above[column]
                cells.append(Cell(origin.text, origin.ref, r, column, place, origin.span, copy=True))
            else:
                text = clip(_Cell(tc, table).text)
                cell = Cell(text, ref, r, column, place, span)
                above[column] = cell
                cells.append(cell)
            column += span
        if column > MAX_COLUMNS or r * column > MAX_CELLS:
            check_size(r, column, source, f"表 {number}")
        rows.append(cells)
    return rows

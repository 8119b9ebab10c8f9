"""Reading Word documents (.docx): every table and the paragraphs around it, in document order.

A 自评报告 is prose with the table inside it, and the table's title is often a paragraph just
above it, so paragraphs become rows of one cell. Merged cells are read from the table's own
markup: `gridSpan` spans columns, a `vMerge` continuation repeats the text of the cell it
continues as a `copy` (python-docx's own cell grid does the same, but loses which is which).

python-docx parses every XML part of the package into a tree as it opens it, so the parts' markup is
counted first (a tag costs lxml about 75 bytes): a document of more than MAX_XML_TAGS tags is refused
before it is parsed. A table's rows, and a row's cells, are counted before any is read.
"""

from __future__ import annotations

import io

from ..errors import Location, Problem
from . import MAX_CELLS, MAX_COLUMNS, MAX_ROWS, MAX_XML_TAGS, Cell, Grid, ReadError, Reading, check_size, clip

FORMAT = "Word 文档（.docx）"


def read_docx(raw: bytes, source: str) -> Reading:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    _count_markup(raw, source)
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
            text = clip(block.text, source, f"第 {paragraphs} 段")
            if text:
                rows.append([Cell(text, f"第 {paragraphs} 段", paragraphs, 1, f"{source}［正文］")])
        elif isinstance(block, Table):
            tables += 1
            count = len(block._tbl.tr_lst)  # noqa: SLF001 - counted before any row is read
            check_size(count, 1, source, f"表 {tables}")
            check_size(len(rows) + count, 1, source, "文档")
            rows.extend(_table_rows(block, tables, source))
        check_size(len(rows), 1, source, "文档")
    return Reading(source, FORMAT, [Grid(source, None, rows, FORMAT, merged=True)])


def _table_rows(table, number: int, source: str) -> list[list[Cell]]:  # noqa: ANN001
    from docx.table import _Cell

    place = f"{source}［表 {number}］"
    rows: list[list[Cell]] = []
    above: dict[int, Cell] = {}  # grid column -> the cell that started there in an earlier row
    for r, tr in enumerate(table._tbl.tr_lst, 1):  # noqa: SLF001 - the markup is where spans are
        column = 1 + min(tr.grid_before or 0, MAX_COLUMNS)
        cells: list[Cell] = []
        tcs = tr.tc_lst
        if len(tcs) > MAX_COLUMNS:  # counted before any cell of the row is read
            check_size(r, len(tcs), source, f"表 {number}")
        for tc in tcs:
            span = max(1, min(tc.grid_span or 1, MAX_COLUMNS))
            ref = f"表 {number} 第 {r} 行第 {column} 列"
            if tc.vMerge == "continue" and column in above:
                origin = above[column]
                cells.append(Cell(origin.text, origin.ref, r, column, place, origin.span, copy=True))
            else:
                text = clip(_Cell(tc, table).text, source, ref)
                cell = Cell(text, ref, r, column, place, span)
                above[column] = cell
                cells.append(cell)
            column += span
            if column > MAX_COLUMNS + 1 or r * column > MAX_CELLS:
                check_size(r, column - 1, source, f"表 {number}")
        rows.append(cells)
    return rows


def _count_markup(raw: bytes, source: str) -> None:
    """Refuse a document whose XML parts hold more tags than MAX_XML_TAGS, counted in 1 MB steps."""
    import zipfile

    tags = 0
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:  # its sizes were checked when its kind was judged
        for info in archive.infolist():
            if not info.filename.lower().endswith((".xml", ".rels")):
                continue
            with archive.open(info) as stream:
                while chunk := stream.read(1 << 20):
                    tags += chunk.count(b"<")
            if tags > MAX_XML_TAGS:
                raise ReadError(Problem(f"Word 文档的内容过多（超过 {MAX_XML_TAGS:,} 个 XML 标签）", Location(source),
                                        code="table-too-large",
                                        hint=f"一份自评表不会这么长；请只保留含表格的部分（不超过 {MAX_ROWS:,} 行）"))

"""Reading PDFs with a text layer: ruled tables by pdfplumber, the rest by the words' positions.

A table printed with its rules is found by pdfplumber; a merged cell shows as one cell over
several rows or columns, and the rows it covers get its text as a `copy`, as for a workbook. Text
outside the tables (the title, 单位：万元) becomes rows of one cell in reading order. A page with
no ruled table is read from its words: a line is words at the same height, and a wide gap
between words starts a new cell. A scanned PDF has no text to read and is refused as such.

What a PDF may cost is measured before pdfminer does the work (`pdf_bounds.py`): its streams unpacked
in bounded steps before it is opened, its pages counted and every page's content measured before
any is read.
"""

from __future__ import annotations

import io
import logging
import re

from ..errors import Location, Problem
from . import Cell, Grid, ReadError, Reading, check_size, clip

FORMAT = "PDF 文档"
MAX_PAGES = 200
_LINE_TOLERANCE = 3  # points: words this close in height are on one line
_CELL_GAP = 1.5  # a gap wider than this many characters starts a new cell


def read_pdf(raw: bytes, source: str) -> Reading:
    import pdfplumber

    from .pdf_bounds import check_pages, check_streams

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    check_streams(raw, source)  # before pdfminer inflates anything, a cross-reference stream included
    try:
        pdf = pdfplumber.open(io.BytesIO(raw))
        decipher = getattr(pdf.doc, "decipher", None)
        if decipher is not None:  # encrypted (a copy-protected government PDF): measure its streams deciphered
            check_streams(raw, source, decipher)
        check_pages(pdf.doc, source, MAX_PAGES)
        pages = pdf.pages
    except ReadError:
        raise
    except RecursionError:
        raise ReadError(Problem("PDF 的结构嵌套过深，无法读取", Location(source), code="broken-pdf")) from None
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many kinds for broken or locked files
        name = type(exc).__name__
        if "Password" in name or "Encrypt" in str(exc):
            raise ReadError(Problem("PDF 设置了密码，无法读取", Location(source), code="password-protected",
                                    hint="请去掉密码后另存，或找原始的 Word / Excel 文件")) from None
        raise ReadError(Problem(f"无法作为 PDF 读取：{str(exc)[:200] or name}", Location(source), code="broken-pdf")) from None
    with pdf:
        rows: list[list[Cell]] = []
        any_text = False
        ruled = False
        for number, page in enumerate(pages, 1):
            try:
                if page.chars:
                    any_text = True
                page_rows, found_tables = _page_rows(page, number, source)
                if found_tables and rows and page_rows:
                    page_rows = _join_row_split_by_page(rows, page_rows)
            except ReadError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise ReadError(Problem(f"PDF 第 {number} 页无法读取：{str(exc)[:200]}", Location(source),
                                        code="broken-pdf")) from None
            ruled = ruled or found_tables
            rows.extend(page_rows)
            check_size(len(rows), 1, source, "PDF")
    if not any_text:
        raise ReadError(Problem("PDF 没有文字层（可能是扫描件），无法读取其中的表格", Location(source), code="pdf-no-text",
                                hint="请找原始的 Word / Excel 文件，或先用文字识别（OCR）转成文本"))
    description = FORMAT + ("（按表格线读取）" if ruled else "（按文字位置读取）")
    return Reading(source, description, [Grid(source, None, rows, description, positional=ruled, merged=ruled)])


def _page_rows(page, number: int, source: str) -> tuple[list[list[Cell]], bool]:  # noqa: ANN001
    tables = page.find_tables()
    items: list[tuple[float, list[Cell]]] = []
    for t, table in enumerate(tables, 1):
        items.extend(_table_items(table, number, t, source))
    boxes = [table.bbox for table in tables]

    def outside(obj) -> bool:  # noqa: ANN001
        x = (obj["x0"] + obj["x1"]) / 2
        y = (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

    rest = page.filter(outside) if boxes else page
    items.extend(_word_lines(rest, number, source, split_cells=not boxes))
    items.sort(key=lambda item: item[0])
    return [cells for _, cells in items], bool(tables)


def _table_items(table, page: int, number: int, source: str) -> list[tuple[float, list[Cell]]]:  # noqa: ANN001
    place = f"{source}［第 {page} 页表 {number}］"
    texts = table.extract()
    columns = [column.bbox for column in table.columns]
    items = []
    origins: dict[int, tuple[Cell, float]] = {}  # column -> (cell, bottom of its box)
    for r, (row, row_texts) in enumerate(zip(table.rows, texts), 1):
        top = row.bbox[1]
        cells: list[Cell] = []
        for c, (box, text) in enumerate(zip(row.cells, row_texts), 1):
            if box is None:
                origin = origins.get(c)
                if origin is not None and origin[1] > top + 1:  # covered by a cell from a row above
                    cells.append(Cell(origin[0].text, origin[0].ref, r, c, place, origin[0].span, copy=True))
                continue
            span = max(1, sum(1 for x0, _, x1, _ in columns if x0 >= box[0] - 1 and x1 <= box[2] + 1))
            ref = f"第 {page} 页表 {number} 第 {r} 行第 {c} 列"
            cell = Cell(clip(_unwrap(text or ""), source, ref), ref, r, c, place, span)
            cells.append(cell)
            origins[c] = (cell, box[3])
        items.append((top, cells))
    return items


def _join_row_split_by_page(before: list[list[Cell]], page_rows: list[list[Cell]]) -> list[list[Cell]]:
    """A table row broken by a page end: the first row of the next page fills only some of the same
    columns (the rest of a wrapped name); its texts finish the cells of the row above."""
    last, first = before[-1], page_rows[0]
    if not last or not first or len(last) != len(first) or not any(c.place.endswith("表 1］") for c in first[:1]):
        return page_rows
    filled = [cell for cell in first if cell.text]
    if not filled or len(filled) * 2 > len(first):
        return page_rows
    if not all(any(c.column == cell.column and c.text for c in last) for cell in filled):
        return page_rows
    joined = []
    for cell in last:
        tail = next((c for c in filled if c.column == cell.column), None)
        joined.append(cell if tail is None else Cell(cell.text + tail.text, cell.ref, cell.line, cell.column,
                                                    cell.place, cell.span, cell.copy))
    before[-1] = joined
    before.append([Cell(c.text, c.ref, c.line, c.column, c.place, c.span, copy=True) for c in filled])
    return page_rows[1:]


def _unwrap(text: str) -> str:
    """A cell's text as typed: a narrow column wraps “238.93” into “238.” and “93”, and 中文 anywhere."""
    return re.sub(r"(?<=[A-Za-z])\n(?=[A-Za-z])", " ", text).replace("\n", "")


def _word_lines(page, number: int, source: str, split_cells: bool) -> list[tuple[float, list[Cell]]]:  # noqa: ANN001
    words = page.extract_words(keep_blank_chars=False, use_text_flow=False, extra_attrs=["size"])
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - word["top"]) <= _LINE_TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
    items = []
    place = f"{source}［第 {number} 页］"
    for l, line in enumerate(lines, 1):
        line.sort(key=lambda w: w["x0"])
        groups: list[list[dict]] = [[line[0]]]
        for word in line[1:]:
            previous = groups[-1][-1]
            width = max(previous.get("size") or 10, 4)
            if split_cells and word["x0"] - previous["x1"] > _CELL_GAP * width:
                groups.append([word])
            else:
                groups[-1].append(word)
        cells = []
        for c, group in enumerate(groups, 1):
            text = _join(group)
            ref = f"第 {number} 页第 {l} 行" + (f"第 {c} 段" if len(groups) > 1 else "")
            cells.append(Cell(clip(text, source, ref), ref, l, c, place))
        items.append((line[0]["top"], cells))
    return items


def _join(words: list[dict]) -> str:
    """Words of one cell: CJK runs join without spaces, Latin words keep theirs."""
    text = ""
    for word in words:
        if text and (text[-1].isascii() and word["text"][:1].isascii()) and text[-1].isalnum():
            text += " "
        text += word["text"]
    return text

"""Reading text tables: whatever copying a table out of Word, Excel, a web page or a PDF gives.

The separator is judged from the whole text: tabs (Word and Excel copy), commas (CSV),
` | ` pipes (Markdown and web-page dumps), runs of two or more spaces or ideographic spaces
(PDF copy), and, when none of these appears, one cell per line (a web page's cells pasted one
under the other). Lines without the separator (titles, notes) are rows of one cell.

Text is bounded by counting before splitting: the lines of the text (MAX_TEXT_LINES) before the
layout is judged, and the cells of a line by splitting it at most MAX_COLUMNS times — so a megabyte
of tabs, or a line of 500,000 cells, is refused having made a few hundred strings, not a million.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

from ..errors import Location, Problem
from . import MAX_CELLS, MAX_COLUMNS, MAX_ROWS, Cell, Grid, ReadError, Reading, check_size, clip

MAX_TEXT_LINES = 5 * MAX_ROWS  # one cell per line, with a blank line between cells, still fits MAX_ROWS rows

LAYOUTS = {
    "tabs": "制表符分隔的文本",
    "csv": "逗号分隔的文本（CSV）",
    "pipes": "竖线（|）分隔的文本",
    "pipe-cells": "竖线（|）分隔、行已打乱的网页文本",
    "spaces": "以连续空格分隔的文本",
    "lines": "每行一个单元格的文本",
}
_PIPE = re.compile(r"\s*[|｜]\s*")
_SPACES = re.compile(r"(?:[ \t\xa0]{2,}|\u3000+)")
_SPACE_GAP = re.compile(r"\S(?:[ \xa0]{2,}|\u3000+)\S")
_MARKDOWN_RULE = re.compile(r"^[\s|｜]*:?[-—=]{3,}:?[\s|｜:：\-—=+]*$")


def decode(raw: bytes, source: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's “Unicode 文本”), else GB18030 (GBK)."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in raw[:4096]:
        for encoding in ("utf-16-le", "utf-16-be"):  # UTF-16 saved without a BOM
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            if "\x00" not in text:
                return text
        raise ReadError(Problem("这是二进制文件，不是文本表格", Location(source), code="binary-file",
                                hint="支持的格式：xlsx、xls、ods、docx、html、pdf（有文字层）、txt、csv、md"))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            raise ReadError(Problem("文件编码无法识别（既不是 UTF-8 也不是 GBK/GB18030）", Location(source),
                                    hint="请另存为 UTF-8 文本", code="encoding")) from None


def layout_of(text: str, source: str) -> str:
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return "lines"
    share = 0.2 * len(lines)

    def count(test) -> int:  # noqa: ANN001
        return sum(1 for line in lines if test(line))

    if count(lambda line: "\t" in line.strip()) >= share:
        return "tabs"
    piped = count(lambda line: _is_pipe_line(line))
    if piped >= share:
        # A web page dumped cell by cell (“text |” per cell, rows broken wherever a cell held a line
        # break) is not a table of lines: read it as a stream of cells and rebuild the rows.
        # At most one non-empty cell; split no further than needed (the rest of the line is one piece).
        single = count(lambda line: len([c for c in _split(line, "pipe-cells", limit=2) if c.strip(" \t|｜")]) <= 1)
        ends = count(lambda line: line.strip()[-1:] in ("|", "｜"))
        framed = count(lambda line: line.strip()[:1] in ("|", "｜"))
        # “cell |” after every cell, rows broken wherever a cell held a line break: most lines end with a
        # bar but only some start with one (a Markdown table's lines do both, bare “a｜b” lines neither).
        widths = [len(_PIPE.split(line.strip(), MAX_COLUMNS + 2)) for line in lines if _is_pipe_line(line)]
        regular = max(widths.count(width) for width in set(widths)) >= 0.5 * len(widths) if widths else True
        broken = ends >= 0.5 * piped and framed <= 0.8 * ends and not regular
        return "pipe-cells" if single >= 0.25 * len(lines) or broken else "pipes"
    if Path(source).suffix.lower() == ".csv" or (
            count(lambda line: line.count(",") >= 2) >= 0.5 * len(lines) and _consistent_csv(text)):
        return "csv"
    if count(lambda line: _SPACE_GAP.search(line.strip()) is not None) >= share:
        return "spaces"
    return "lines"


def _is_pipe_line(line: str) -> bool:
    stripped = line.strip()
    if _MARKDOWN_RULE.match(stripped):
        return False
    return len(_PIPE.split(stripped, 2)) >= 3 or (len(stripped) > 1 and stripped[-1] in "|｜") or stripped in ("|", "｜")


def _consistent_csv(text: str) -> bool:
    """Most rows of a real CSV have the same number of fields."""
    widths = [len(row) for row in csv.reader(io.StringIO(text[:200_000])) if any(cell.strip() for cell in row)]
    if len(widths) < 2:
        return False
    most = max(set(widths), key=widths.count)
    return most >= 3 and widths.count(most) >= 0.6 * len(widths)


def read_text(text: str, source: str) -> Reading:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.count("\n") + 1
    if lines > MAX_TEXT_LINES:
        raise ReadError(Problem(f"文本的行数过多（{lines:,} 行，上限 {MAX_TEXT_LINES:,} 行）", Location(source),
                                code="table-too-large", hint="一张自评表不会有这么多行；请只粘贴含表格的部分"))
    layout = layout_of(text, source)
    if layout == "tabs" and text.count("\t") + lines > MAX_CELLS:  # every tab starts a cell: count them first
        raise ReadError(Problem(f"表格的单元格过多（约 {text.count(chr(9)) + lines:,} 个，上限 {MAX_CELLS:,} 个）",
                                Location(source), code="table-too-large",
                                hint=f"一张自评表不会超过 {MAX_ROWS:,} 行、{MAX_COLUMNS} 列；请只粘贴含表格的部分"))
    rows: list[list[Cell]]
    if layout == "csv":
        reader = csv.reader(io.StringIO(text))
        rows = []
        try:
            for cells in reader:
                number = reader.line_num - text_lines(cells) + 1
                _check_width(len(cells), number, source)
                rows.append(_row(cells, number, source))
                check_size(len(rows), len(cells), source, "表格")
        except csv.Error as exc:  # a field past the csv module's own limit (131,072 characters)
            what = f"有一个单元格过长（超过 {csv.field_size_limit():,} 个字符）" if "field limit" in str(exc) else f"无法按 CSV 读取（{exc}）"
            raise ReadError(Problem(f"第 {reader.line_num} 行{what}", Location(source, reader.line_num),
                                    code="cell-too-long", hint="自评表的单元格不会这么长；请检查文件来源")) from None
    elif layout == "lines":
        rows = _stream_rows(text.split("\n"), source)
    elif layout == "pipe-cells":
        rows = []
        for number, line in enumerate(text.split("\n"), 1):
            cells = _split(line, "pipe-cells", limit=MAX_ROWS)
            check_size(len(rows) + len(cells), 1, source, "表格")
            rows.extend([Cell(clip(cell, source, f"第 {number} 行第 {i + 1} 列"), f"第 {number} 行第 {i + 1} 列", number,
                              i + 1, source)] for i, cell in enumerate(cells))
    else:
        rows = []
        piped = [line.strip() for line in text.split("\n") if layout == "pipes" and _is_pipe_line(line)]
        framed = sum(1 for line in piped if line[:1] in "|｜" and line[-1:] in "|｜") >= 0.8 * len(piped)
        for number, line in enumerate(text.split("\n"), 1):
            cells = _split(line, layout, framed, limit=MAX_COLUMNS)
            _check_width(len(cells), number, source)
            rows.append(_row(cells, number, source))
            check_size(len(rows), len(rows[-1]), source, "表格")
    grid = Grid(source, None, rows, LAYOUTS[layout], positional=layout in ("tabs", "csv", "pipes"),
                stream=layout in ("lines", "pipe-cells"))
    return Reading(source, LAYOUTS[layout], [grid])


def _check_width(cells: int, number: int, source: str) -> None:
    if cells > MAX_COLUMNS:
        raise ReadError(Problem(f"第 {number} 行的单元格过多（超过 {MAX_COLUMNS} 个）", Location(source, number),
                                code="table-too-large",
                                hint=f"一张自评表不会超过 {MAX_COLUMNS} 列；请检查分隔符，或只粘贴含表格的部分"))


def text_lines(cells: list[str]) -> int:
    return 1 + sum(cell.count("\n") for cell in cells)


def _split(line: str, layout: str, framed: bool = True, limit: int = MAX_COLUMNS) -> list[str]:
    """The cells of one line; never more than `limit` + 1 of them (then the line has too many)."""
    if layout == "tabs":
        return line.split("\t", limit)
    if layout in ("pipes", "pipe-cells"):
        if _MARKDOWN_RULE.match(line):
            return []
        stripped = line.strip()
        if stripped in ("|", "｜"):
            return [""]
        cells = _PIPE.split(stripped, limit + 2)
        starts, ends = stripped[:1] in "|｜", stripped[-1:] in "|｜"
        # A Markdown row is framed by bars at both ends; a web page dumped cell by cell ends every cell
        # with one. A bare “a｜b｜” row keeps its empty last cell.
        if starts and cells and cells[0] == "" and ((ends and framed) or layout == "pipe-cells"):
            cells = cells[1:]
        if ends and cells and cells[-1] == "" and ((starts and framed) or layout == "pipe-cells"):
            cells = cells[:-1]
        return cells
    stripped = line.strip(" \t\xa0\u3000")
    return _SPACES.split(stripped, limit) if stripped else []


def _row(cells: list[str], number: int, source: str) -> list[Cell]:
    return [Cell(clip(cell, source, f"第 {number} 行第 {i + 1} 列"), f"第 {number} 行第 {i + 1} 列", number, i + 1, source)
            for i, cell in enumerate(cells)]


def _stream_rows(lines: list[str], source: str) -> list[list[Cell]]:
    """One cell per line. Where every cell is followed by a blank line (a web page pasted), a blank
    line separates cells and each further blank pair is an empty cell; else a blank line is one."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    spaced = sum(1 for i in filled if i + 1 < len(lines) and not lines[i + 1].strip())
    blank_separated = bool(filled) and spaced >= 0.6 * len(filled)
    rows: list[list[Cell]] = []
    blanks = 0
    started = False
    for number, line in enumerate(lines, 1):
        if not line.strip():
            blanks += 1
            continue
        if started:
            empties = (blanks - 1) // 2 if blank_separated else blanks
            check_size(len(rows) + empties + 1, 1, source, "表格")
            for k in range(empties):
                at = number - empties + k
                rows.append([Cell("", f"第 {at} 行", at, 1, source)])
        started = True
        blanks = 0
        rows.append([Cell(clip(line, source, f"第 {number} 行"), f"第 {number} 行", number, 1, source)])
        check_size(len(rows), 1, source, "表格")
    return rows

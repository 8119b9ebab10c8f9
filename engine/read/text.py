"""Reading text tables: whatever copying a table out of Word, Excel, a web page or a PDF gives.

The separator is judged from the whole text: tabs (Word and Excel copy), commas (CSV),
` | ` pipes (Markdown and web-page dumps), runs of two or more spaces or ideographic spaces
(PDF copy), and, when none of these appears, one cell per line (a web page's cells pasted one
under the other). Lines without the separator (titles, notes) are rows of one cell.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

from ..errors import Location, Problem
from . import Cell, Grid, ReadError, Reading, check_size, clip

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
        single = count(lambda line: len([c for c in _split(line, "pipe-cells") if c.strip()]) <= 1)
        ends = count(lambda line: line.strip()[-1:] in ("|", "｜"))
        framed = count(lambda line: line.strip()[:1] in ("|", "｜"))
        # “cell |” after every cell, rows broken wherever a cell held a line break: most lines end with a
        # bar but only some start with one (a Markdown table's lines do both, bare “a｜b” lines neither).
        widths = [len(_PIPE.split(line.strip())) for line in lines if _is_pipe_line(line)]
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
    return len(_PIPE.split(stripped)) >= 3 or (len(stripped) > 1 and stripped[-1] in "|｜") or stripped in ("|", "｜")


def _consistent_csv(text: str) -> bool:
    """Most rows of a real CSV have the same number of fields."""
    widths = [len(row) for row in csv.reader(io.StringIO(text[:200_000])) if any(cell.strip() for cell in row)]
    if len(widths) < 2:
        return False
    most = max(set(widths), key=widths.count)
    return most >= 3 and widths.count(most) >= 0.6 * len(widths)


def read_text(text: str, source: str) -> Reading:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    layout = layout_of(text, source)
    rows: list[list[Cell]]
    if layout == "csv":
        reader = csv.reader(io.StringIO(text))
        rows = []
        for cells in reader:
            number = reader.line_num - text_lines(cells) + 1
            rows.append(_row(cells, number, source))
            check_size(len(rows), len(cells), source, "表格")
    elif layout == "lines":
        rows = _stream_rows(text.split("\n"), source)
    elif layout == "pipe-cells":
        rows = []
        for number, line in enumerate(text.split("\n"), 1):
            for i, cell in enumerate(_split(line, "pipe-cells")):
                rows.append([Cell(clip(cell), f"第 {number} 行第 {i + 1} 列", number, i + 1, source)])
            check_size(len(rows), 1, source, "表格")
    else:
        rows = []
        piped = [line.strip() for line in text.split("\n") if layout == "pipes" and _is_pipe_line(line)]
        framed = sum(1 for line in piped if line[:1] in "|｜" and line[-1:] in "|｜") >= 0.8 * len(piped)
        for number, line in enumerate(text.split("\n"), 1):
            rows.append(_row(_split(line, layout, framed), number, source))
            check_size(len(rows), len(rows[-1]), source, "表格")
    grid = Grid(source, None, rows, LAYOUTS[layout], positional=layout in ("tabs", "csv", "pipes"),
                stream=layout in ("lines", "pipe-cells"))
    return Reading(source, LAYOUTS[layout], [grid])


def text_lines(cells: list[str]) -> int:
    return 1 + sum(cell.count("\n") for cell in cells)


def _split(line: str, layout: str, framed: bool = True) -> list[str]:
    if layout == "tabs":
        return line.split("\t")
    if layout in ("pipes", "pipe-cells"):
        if _MARKDOWN_RULE.match(line):
            return []
        stripped = line.strip()
        if stripped in ("|", "｜"):
            return [""]
        cells = _PIPE.split(stripped)
        starts, ends = stripped[:1] in "|｜", stripped[-1:] in "|｜"
        # A Markdown row is framed by bars at both ends; a web page dumped cell by cell ends every cell
        # with one. A bare “a｜b｜” row keeps its empty last cell.
        if starts and cells and cells[0] == "" and ((ends and framed) or layout == "pipe-cells"):
            cells = cells[1:]
        if ends and cells and cells[-1] == "" and ((starts and framed) or layout == "pipe-cells"):
            cells = cells[:-1]
        return cells
    stripped = line.strip(" \t\xa0\u3000")
    return _SPACES.split(stripped) if stripped else []


def _row(cells: list[str], number: int, source: str) -> list[Cell]:
    return [Cell(clip(cell), f"第 {number} 行第 {i + 1} 列", number, i + 1, source) for i, cell in enumerate(cells)]


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
            for k in range(empties):
                at = number - empties + k
                rows.append([Cell("", f"第 {at} 行", at, 1, source)])
        started = True
        blanks = 0
        rows.append([Cell(clip(line), f"第 {number} 行", number, 1, source)])
        check_size(len(rows), 1, source, "表格")
    return rows

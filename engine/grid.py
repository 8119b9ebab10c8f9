"""Import stage, part 1: a table file (tab-separated text, or .xlsx) as rows of cells that know where they came from.

Text copied out of Word or Excel arrives tab-separated, one table row per line; an .xlsx may hold
several sheets with merged cells. Both become a `Grid`: rows of `Cell(text, ref)`, where `ref` is
"第 12 行" or "Sheet1!C12", so every imported value can say where it was read.
"""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass
from pathlib import Path

from decimal import Decimal

from .errors import Location, Problem
from .load import LoadError, MAX_FILE_BYTES
from .quantities import plain_number

_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Cell:
    text: str
    ref: str  # where it was read, in words a person can find: "第 12 行第 3 列" or "项目表!C12"
    line: int  # the row's line (text) or row number (xlsx)
    column: int = 0  # from 1
    place: str = ""  # the file (and sheet) it is in, as error locations name it


@dataclass
class Grid:
    source: str
    sheet: str | None
    rows: list[list[Cell]]

    def row_ref(self, index: int) -> str:
        row = self.rows[index]
        if self.sheet is None:
            return f"第 {row[0].line if row else index + 1} 行"
        return f"{self.sheet}!第 {row[0].line if row else index + 1} 行"


def read_grids(path: str | Path) -> list[Grid]:
    """Every grid in the file: one for a text file, one per sheet of a workbook."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise LoadError(Problem("文件不存在", Location(source), code="file-not-found")) from None
    except OSError as exc:
        raise LoadError(Problem(f"无法读取文件：{exc.strerror}", Location(source), code="file-unreadable")) from None
    if len(raw) > MAX_FILE_BYTES * 4:
        raise LoadError(Problem(f"文件过大（{len(raw):,} 字节）", Location(source), code="file-too-large"))
    if raw.startswith(_ZIP_MAGIC):
        return _xlsx_grids(path, source)
    return [_text_grid(raw, source, comma_separated=source.lower().endswith(".csv"))]


def _text_grid(raw: bytes, source: str, comma_separated: bool = False) -> Grid:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise LoadError(Problem("文件编码无法识别（既不是 UTF-8 也不是 GBK/GB18030）", Location(source),
                                    hint="请另存为 UTF-8 文本", code="encoding")) from None
    if comma_separated:  # quoted cells may hold commas and line breaks: let the csv module split them
        import csv

        reader = csv.reader(io.StringIO(text))
        lines = [(reader.line_num, cells) for cells in reader]
    else:
        lines = [(number, line.split("\t")) for number, line in enumerate(text.splitlines(), 1)]
    rows = [[Cell(cell.strip(), f"第 {number} 行第 {i + 1} 列", number, i + 1, source) for i, cell in enumerate(cells)]
            for number, cells in lines]
    return Grid(source, None, rows)


def _xlsx_grids(path: str | Path, source: str) -> list[Grid]:
    try:
        import openpyxl
        from openpyxl.utils import get_column_letter
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise LoadError(Problem("读取 .xlsx 需要 openpyxl", Location(source), code="missing-dependency")) from None
    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any reader failure means the same thing to the user
        raise LoadError(Problem(f"无法作为 Excel 文件读取：{exc}", Location(source),
                                hint="只支持 .xlsx（Excel 2007 及以后）；.xls 请先另存为 .xlsx", code="not-xlsx")) from None
    grids = []
    for sheet in workbook.worksheets:
        # A vertically merged cell (一级指标 over several rows) holds its text in every row it covers;
        # the columns a horizontal merge spans are one cell, as the eye sees it, so "the values after
        # a label" are the same whichever way the table was laid out.
        filled: dict[tuple[int, int], object] = {}
        covered: set[tuple[int, int]] = set()
        for merged in sheet.merged_cells.ranges:
            top_left = sheet.cell(merged.min_row, merged.min_col).value
            for row in range(merged.min_row, merged.max_row + 1):
                if row > merged.min_row:
                    filled[(row, merged.min_col)] = top_left
                covered.update((row, column) for column in range(merged.min_col + 1, merged.max_col + 1))
        rows = []
        for r, row in enumerate(sheet.iter_rows(), 1):
            cells = []
            for c, cell in enumerate(row, 1):
                if (r, c) in covered:
                    continue
                value = filled.get((r, c), cell.value)
                text = _cell_text(value, getattr(cell, "number_format", "") or "")
                cells.append(Cell(text, f"{sheet.title}!{get_column_letter(c)}{r}", r, c, f"{source}［{sheet.title}］"))
            rows.append(cells)
        grids.append(Grid(source, sheet.title, rows))
    return grids


def _cell_text(value: object, number_format: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        # Excel stores numbers as binary floats; repr is the shortest text that reads back the same,
        # and Decimal keeps it exact from there on.
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in number_format:
            return plain_number(number * 100) + "%"
        return plain_number(number)
    return str(value).strip()

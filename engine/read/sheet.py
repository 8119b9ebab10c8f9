"""Reading workbooks: .xlsx / .xlsm, .xls and .ods, every sheet a grid, merged cells resolved.

python-calamine reads all three (Rust, fast, and it never evaluates anything). A merged cell is
one cell as the eye sees it: a horizontal merge covers several grid columns (`span`); a vertical
merge (一级指标 over several rows) repeats its text into each row it covers as a `copy`, so a row
can be read across without looking up. Calamine does not say how a number is formatted, so for
.xlsx the cells formatted as percentages are found in the sheet XML: 0.95 shown as 95% reads
"95%", as the clerk saw it.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from decimal import Decimal

from ..errors import Location, Problem
from . import MAX_CELLS, MAX_COLUMNS, MAX_ROWS, Cell, Grid, ReadError, Reading, clip

_FORMAT_NAMES = {"xlsx": "Excel 工作簿（.xlsx）", "xls": "Excel 97-2003 工作簿（.xls）", "ods": "OpenDocument 表格（.ods）"}
_BUILTIN_PERCENT = {9, 10}


def read_workbook(raw: bytes, source: str, kind: str) -> Reading:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(raw))
    except python_calamine.PasswordError:
        raise ReadError(Problem("工作簿设置了密码，无法读取", Location(source), code="password-protected",
                                hint="请在 Excel 中输入密码打开，取消密码后另存，再导入")) from None
    except Exception as exc:  # noqa: BLE001 - calamine's errors all mean "not a workbook it can read"
        raise ReadError(Problem(f"无法作为{_FORMAT_NAMES[kind]}读取：{_short(exc)}", Location(source),
                                code="broken-workbook", hint="请用 Excel 或 WPS 打开后重新保存")) from None
    percent = _percent_cells(raw) if kind == "xlsx" else {}
    reading = Reading(source, _FORMAT_NAMES[kind])
    for index, name in enumerate(workbook.sheet_names):
        try:
            sheet = workbook.get_sheet_by_index(index)
        except Exception as exc:  # noqa: BLE001
            raise ReadError(Problem(f"工作表“{name}”无法读取：{_short(exc)}", Location(source), code="broken-workbook")) from None
        if sheet.height > MAX_ROWS or sheet.width > MAX_COLUMNS or sheet.height * sheet.width > MAX_CELLS:
            raise ReadError(Problem(f"工作表“{name}”过大（{sheet.height:,} 行 × {sheet.width:,} 列）", Location(source),
                                    code="table-too-large",
                                    hint=f"一张自评表不会超过 {MAX_ROWS:,} 行、{MAX_COLUMNS} 列；请删去多余的行列后另存"))
        reading.grids.append(_sheet_grid(sheet, name, source, kind, percent.get(name, set())))
    return reading


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _sheet_grid(sheet, name: str, source: str, kind: str, percent: set[tuple[int, int]]) -> Grid:  # noqa: ANN001
    top, left = sheet.start or (0, 0)
    height, width = sheet.height, sheet.width
    values = sheet.to_python(skip_empty_area=False) if height and width else []
    spans: dict[tuple[int, int], int] = {}
    covered: set[tuple[int, int]] = set()
    copies: dict[tuple[int, int], tuple[int, int]] = {}
    for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
        # Clip to the used range: one merged range over a whole column must not cost a million cells.
        r1, c1 = min(r1, height - 1), min(c1, width - 1)
        if r0 > r1 or c0 > c1:
            continue
        spans[(r0, c0)] = c1 - c0 + 1
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    covered.add((r, c))
            if r > r0:
                copies[(r, c0)] = (r0, c0)
    place = f"{source}［{name}］"
    rows: list[list[Cell]] = []
    for r, row in enumerate(values):
        cells = []
        for c, value in enumerate(row):
            if (r, c) in copies:
                r0, c0 = copies[(r, c)]
                origin = values[r0][c0] if r0 < len(values) and c0 < len(values[r0]) else ""
                text = _text(origin, (r0 + top, c0 + left) in percent)
                cells.append(Cell(text, f"{name}!{_column_letter(c0 + left)}{r0 + top + 1}", r + top + 1, c + left + 1,
                                  place, spans.get((r0, c0), 1), copy=True))
                continue
            if (r, c) in covered:
                continue
            text = _text(value, (r + top, c + left) in percent)
            cells.append(Cell(text, f"{name}!{_column_letter(c + left)}{r + top + 1}", r + top + 1, c + left + 1,
                              place, spans.get((r, c), 1)))
        rows.append(cells)
    return Grid(source, name, rows, _FORMAT_NAMES[kind], merged=True)


def _column_letter(number: int) -> str:
    letters = ""
    number += 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _text(value: object, as_percent: bool = False) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        # Excel keeps 15 significant digits and shows no more; a float's binary noise beyond them
        # (0.30000000000000004) is not what the clerk typed. Decimal keeps the rest exact.
        number = Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)
        if as_percent:
            number *= 100
        text = format(number.normalize(), "f")
        return text + "%" if as_percent else text
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    return clip(str(value))


# ---------------------------------------------------------------- percent formats (.xlsx) ---

_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _percent_cells(raw: bytes) -> dict[str, set[tuple[int, int]]]:
    """Sheet name -> (row, column) from 0 of the cells whose number format shows a percentage."""
    from lxml import etree

    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        styles = etree.fromstring(archive.read("xl/styles.xml"), _parser()) if "xl/styles.xml" in archive.namelist() else None
        if styles is None:
            return {}
        custom = {int(fmt.get("numFmtId")): fmt.get("formatCode", "") for fmt in styles.iter(f"{_NS}numFmt")}
        percent_ids = _BUILTIN_PERCENT | {key for key, code in custom.items() if "%" in re.sub(r'"[^"]*"', "", code)}
        xfs = styles.find(f"{_NS}cellXfs")
        percent_styles = {str(i) for i, xf in enumerate(xfs if xfs is not None else [])
                          if int(xf.get("numFmtId", "0")) in percent_ids}
        if not percent_styles:
            return {}
        workbook = etree.fromstring(archive.read("xl/workbook.xml"), _parser())
        rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"), _parser())
        targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
        found: dict[str, set[tuple[int, int]]] = {}
        for sheet in workbook.iter(f"{_NS}sheet"):
            target = targets.get(sheet.get(f"{_REL_NS}id"), "")
            member = target.lstrip("/") if target.startswith("/") else "xl/" + target
            if member not in archive.namelist():
                continue
            cells: set[tuple[int, int]] = set()
            with archive.open(member) as stream:
                for _, element in etree.iterparse(stream, tag=f"{_NS}c", resolve_entities=False, no_network=True,
                                                  huge_tree=False):
                    if element.get("s") in percent_styles:
                        match = _CELL_REF.match(element.get("r", ""))
                        if match:
                            cells.add((int(match.group(2)) - 1, _column_number(match.group(1)) - 1))
                    element.clear()
            found[sheet.get("name")] = cells
        return found
    except Exception:  # noqa: BLE001 - formats are a nicety; calamine has read the values already
        return {}


def _parser():  # noqa: ANN202
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number

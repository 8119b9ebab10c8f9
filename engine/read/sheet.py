"""Reading workbooks: .xlsx / .xlsm, .xls and .ods, every sheet a grid, merged cells resolved.

python-calamine reads all three (Rust, fast, and it never evaluates anything). A merged cell is
one cell as the eye sees it: a horizontal merge covers several grid columns (`span`); a vertical
merge (一级指标 over several rows) repeats its text into each row it covers as a `copy`, so a row
can be read across without looking up. Calamine does not say how a number is formatted, so for
.xlsx the cells formatted as percentages are found in the sheet XML: 0.95 shown as 95% reads
"95%", as the clerk saw it.

calamine builds each sheet as a dense grid from its first to its farthest cell, so two cells at A1
and XFD1048576 would ask it for 17 billion cells (and abort the interpreter), and an .ods row
repeated a million times is a million rows. So every sheet is surveyed first — the .xlsx sheet XML
and the .ods content streamed through lxml, the .xls records walked (`ole.py`) — and its extent,
cells and merged ranges checked against the limits before calamine is given the file. Merged
ranges are clipped to the sheet's used range before they are expanded.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from ..errors import Location, Problem
from . import (MAX_CELLS, MAX_COLUMNS, MAX_MERGED_RANGES, MAX_ROWS, MAX_SHEETS, Cell, Grid, ReadError, Reading,
               clip)

_FORMAT_NAMES = {"xlsx": "Excel 工作簿（.xlsx）", "xls": "Excel 97-2003 工作簿（.xls）", "ods": "OpenDocument 表格（.ods）"}
_BUILTIN_PERCENT = {9, 10}


def read_workbook(raw: bytes, source: str, kind: str) -> Reading:
    import python_calamine

    survey(raw, source, kind)  # before calamine allocates anything
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(raw))
    except python_calamine.PasswordError:
        raise ReadError(Problem("工作簿设置了密码，无法读取", Location(source), code="password-protected",
                                hint="请在 Excel 中输入密码打开，取消密码后另存，再导入")) from None
    except BaseException as exc:  # noqa: BLE001 - calamine's errors (and its panics) mean "not a workbook it can read"
        raise _unreadable(exc, kind, source) from None
    percent = _percent_cells(raw) if kind == "xlsx" else {}
    reading = Reading(source, _FORMAT_NAMES[kind])
    if len(workbook.sheet_names) > MAX_SHEETS:
        raise _too_many_sheets(len(workbook.sheet_names), source)
    for index, name in enumerate(workbook.sheet_names):
        try:
            sheet = workbook.get_sheet_by_index(index)
            _check_extent(name, sheet.height, sheet.width, sheet.height * sheet.width, source)
            reading.grids.append(_sheet_grid(sheet, name, source, kind, percent.get(name, set())))
        except ReadError:
            raise
        except BaseException as exc:  # noqa: BLE001
            raise _unreadable(exc, kind, source, name) from None
    return reading


def _unreadable(exc: BaseException, kind: str, source: str, sheet: str | None = None) -> ReadError:
    """A refusal for what calamine could not read. A Rust panic reaches Python as pyo3's PanicException,
    which is a BaseException: it is caught here too, and only an interrupt or an exit goes on."""
    if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError)):
        raise exc
    what = f"工作表“{_shown(sheet)}”无法读取" if sheet is not None else f"无法作为{_FORMAT_NAMES[kind]}读取"
    return ReadError(Problem(f"{what}：{_short(exc)}", Location(source), code="broken-workbook",
                             hint="请用 Excel 或 WPS 打开后重新保存"))


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _sheet_grid(sheet, name: str, source: str, kind: str, percent: set[tuple[int, int]]) -> Grid:  # noqa: ANN001
    top, left = sheet.start or (0, 0)
    height, width = sheet.height, sheet.width
    # The used range only, indexed from its first cell (top, left): the empty rows and columns above
    # and to the left of it are not the table, and would be a dense grid of nothing.
    values = sheet.to_python(skip_empty_area=True) if height and width else []
    spans: dict[tuple[int, int], int] = {}
    covered: set[tuple[int, int]] = set()
    copies: dict[tuple[int, int], tuple[int, int]] = {}
    for (r0, c0), (r1, c1) in _clipped(sheet.merged_cell_ranges or [], top, left, height, width, name, source):
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
                ref = f"{name}!{_column_letter(c0 + left)}{r0 + top + 1}"
                text = _text(origin, (r0 + top, c0 + left) in percent, source, ref)
                cells.append(Cell(text, ref, r + top + 1, c + left + 1, place, spans.get((r0, c0), 1), copy=True))
                continue
            if (r, c) in covered:
                continue
            ref = f"{name}!{_column_letter(c + left)}{r + top + 1}"
            text = _text(value, (r + top, c + left) in percent, source, ref)
            cells.append(Cell(text, ref, r + top + 1, c + left + 1, place, spans.get((r, c), 1)))
        rows.append(cells)
    return Grid(source, name, rows, _FORMAT_NAMES[kind], merged=True)


def _clipped(ranges, top: int, left: int, height: int, width: int, name: str,
             source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:  # noqa: ANN001
    """Merged ranges in the used range's own coordinates, cut to it: A1:A1048576 over a sheet of 20
    rows is A1:A20. What they still cover together is bounded, so expanding them is too."""
    if len(ranges) > MAX_MERGED_RANGES:
        raise _too_many_merged(name, len(ranges), source)
    clipped = []
    area = 0
    for (r0, c0), (r1, c1) in ranges:
        r0, c0 = max(r0 - top, 0), max(c0 - left, 0)
        r1, c1 = min(r1 - top, height - 1), min(c1 - left, width - 1)
        if r0 > r1 or c0 > c1:
            continue
        area += (r1 - r0 + 1) * (c1 - c0 + 1)
        if area > MAX_CELLS:
            raise _merged_too_large(name, _range_ref(r0 + top, c0 + left, r1 + top, c1 + left), source)
        clipped.append(((r0, c0), (r1, c1)))
    return clipped


def _column_letter(number: int) -> str:
    letters = ""
    number += 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _text(value: object, as_percent: bool = False, source: str = "", ref: str = "") -> str:
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
    return clip(str(value), source, ref)


# ---------------------------------------------------------------- the survey ---

@dataclass
class _Extent:
    """A sheet as its file describes it: the box its filled cells occupy, how many, its merged ranges."""

    name: str
    cells: int = 0
    top: int | None = None
    bottom: int = -1
    left: int | None = None
    right: int = -1
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, last row, first col, last col

    def add(self, row: int, first: int, last: int, rows: int = 1) -> None:
        self.cells += (last - first + 1) * rows
        self.top = row if self.top is None else min(self.top, row)
        self.bottom = max(self.bottom, row + rows - 1)
        self.left = first if self.left is None else min(self.left, first)
        self.right = max(self.right, last)

    def check(self, source: str) -> None:
        if self.top is not None:
            height, width = self.bottom - self.top + 1, self.right - self.left + 1
            _check_extent(self.name, height, width, max(self.cells, height * width), source)
            top, left = self.top, self.left
        else:
            height = width = top = left = 0
        _clipped([((r0, c0), (r1, c1)) for r0, r1, c0, c1 in self.merged], top, left, height, width, self.name, source)


def survey(raw: bytes, source: str, kind: str) -> None:
    """Refuse a workbook whose sheets are too large, from the file's own description of them."""
    try:
        if kind == "xlsx":
            extents = _survey_xlsx(raw, source)
        elif kind == "ods":
            extents = _survey_ods(raw, source)
        else:
            extents = _survey_xls(raw, source)
    except ReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - lxml, zipfile and struct errors all mean a damaged file
        raise ReadError(Problem(f"无法作为{_FORMAT_NAMES[kind]}读取：{_short(exc)}", Location(source),
                                code="broken-workbook", hint="请用 Excel 或 WPS 打开后重新保存")) from None
    if len(extents) > MAX_SHEETS:
        raise _too_many_sheets(len(extents), source)
    for extent in extents:
        extent.check(source)


def _iterparse(stream, tags):  # noqa: ANN001, ANN202
    from lxml import etree

    return etree.iterparse(stream, events=("end",), tag=tags, resolve_entities=False, no_network=True,
                           huge_tree=False, load_dtd=False)


def _release(element) -> None:  # noqa: ANN001
    """Forget an element and everything before it, so a streamed sheet takes no more memory than a row."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _survey_xlsx(raw: bytes, source: str) -> list[_Extent]:
    from lxml import etree

    archive = zipfile.ZipFile(io.BytesIO(raw))
    names = set(archive.namelist())
    workbook = etree.fromstring(archive.read("xl/workbook.xml"), _parser())
    sheets = [sheet for sheet in workbook.iter("{*}sheet")]
    if len(sheets) > MAX_SHEETS:
        raise _too_many_sheets(len(sheets), source)
    rels_name = "xl/_rels/workbook.xml.rels"
    rels = etree.fromstring(archive.read(rels_name), _parser()) if rels_name in names else None
    targets = {rel.get("Id"): rel.get("Target", "") for rel in (rels if rels is not None else [])}
    for member in names:
        if member.lower().endswith("sharedstrings.xml"):
            _check_shared_strings(archive, member, source)
    extents = []
    for sheet in sheets:
        target = targets.get(sheet.get(f"{_REL_NS}id") or "", "")
        member = target.lstrip("/") if target.startswith("/") else "xl/" + target
        if member not in names:
            continue
        extent = _Extent(sheet.get("name") or "")
        with archive.open(member) as stream:
            _survey_sheet_xml(stream, extent, source)
        extents.append(extent)
    return extents


def _check_shared_strings(archive, member: str, source: str) -> None:  # noqa: ANN001
    """calamine reserves room for as many shared strings as the table's header says it holds: a header of
    4,294,967,295 aborts the interpreter. A workbook needs no more distinct strings than it has cells."""
    from lxml import etree

    with archive.open(member) as stream:
        for _, element in etree.iterparse(stream, events=("start",), resolve_entities=False, no_network=True,
                                          huge_tree=False, load_dtd=False):
            for attribute in ("uniqueCount",):
                value = element.get(attribute, "0")
                claimed = int(value) if value.isdigit() else 0
                if claimed > MAX_CELLS:
                    raise ReadError(Problem(f"工作簿的共享字符串表声称有 {claimed:,} 个字符串（上限 {MAX_CELLS:,} 个）",
                                            Location(source), code="table-too-large",
                                            hint="真实的自评表没有这么多文字；请用 Excel 打开后重新保存"))
            return


def _survey_sheet_xml(stream, extent: _Extent, source: str) -> None:  # noqa: ANN001
    """Every cell of a sheet, wherever it stands: calamine places a <c> by its own reference, inside a
    <row> or not, so the survey does too (else by the row and the cell before it, as calamine does)."""
    from lxml import etree

    row, column = -1, -1
    parts = etree.iterparse(stream, events=("start", "end"), tag=("{*}row", "{*}c", "{*}mergeCell"),
                            resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    for event, element in parts:
        name = etree.QName(element).localname
        if event == "start":
            if name == "row":
                number = element.get("r")
                row = int(number) - 1 if number and number.isdigit() else row + 1
                column = -1
            continue
        if name == "c":
            match = _CELL_REF.match(element.get("r", ""))
            if match:
                at, column = int(match.group(2)) - 1, _column_number(match.group(1)) - 1
            else:
                at, column = max(row, 0), column + 1
            if len(element):  # a value (<v>, <is>) or a formula; an empty styled cell is nothing
                extent.add(at, column, column)
                if extent.cells > MAX_CELLS or extent.bottom - extent.top >= MAX_ROWS \
                        or extent.right - extent.left >= MAX_COLUMNS:
                    return  # already too large: the check refuses it
        elif name == "mergeCell":
            bounds = _range_bounds(element.get("ref", ""))
            if bounds is not None:
                extent.merged.append(bounds)
                if len(extent.merged) > MAX_MERGED_RANGES:
                    raise _too_many_merged(extent.name, len(extent.merged), source)
        elif element.getparent() is None or etree.QName(element.getparent()).localname != "sheetData":
            continue
        _release(element)


_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _survey_ods(raw: bytes, source: str) -> list[_Extent]:
    archive = zipfile.ZipFile(io.BytesIO(raw))
    extents: list[_Extent] = []
    with archive.open("content.xml") as stream:
        row = 0
        extent: _Extent | None = None
        for _, element in _iterparse(stream, (f"{{{_TABLE_NS}}}table-row", f"{{{_TABLE_NS}}}table")):
            if element.tag.endswith("}table"):
                extent, row = None, 0
                _release(element)
                continue
            if extent is None:
                table = element.getparent()
                while table is not None and not table.tag.endswith("}table"):
                    table = table.getparent()
                name = table.get(f"{{{_TABLE_NS}}}name", "") if table is not None else ""
                extent = _Extent(name)
                extents.append(extent)
                if len(extents) > MAX_SHEETS:
                    raise _too_many_sheets(len(extents), source)
            repeated = _count(element.get(f"{{{_TABLE_NS}}}number-rows-repeated"))
            column = 0
            for cell in element:
                if not isinstance(cell.tag, str):
                    continue
                times = _count(cell.get(f"{{{_TABLE_NS}}}number-columns-repeated"))
                if cell.tag.endswith("table-cell") and (len(cell) or cell.get(f"{{{_OFFICE_NS}}}value-type")):
                    extent.add(row, column, column + times - 1, repeated)
                    spanned_rows = _count(cell.get(f"{{{_TABLE_NS}}}number-rows-spanned"))
                    spanned_columns = _count(cell.get(f"{{{_TABLE_NS}}}number-columns-spanned"))
                    if spanned_rows > 1 or spanned_columns > 1:
                        extent.merged.append((row, row + spanned_rows - 1, column, column + spanned_columns - 1))
                        if len(extent.merged) > MAX_MERGED_RANGES:
                            raise _too_many_merged(extent.name, len(extent.merged), source)
                column += times
            row += repeated
            _release(element)
            if extent.cells > MAX_CELLS or (extent.top is not None and extent.bottom - extent.top >= MAX_ROWS) \
                    or (extent.left is not None and extent.right - extent.left >= MAX_COLUMNS):
                extent.check(source)
    return extents


def _count(value: str | None) -> int:
    """A repeat or span count as written; the survey bounds what it adds up to, not each one."""
    try:
        return max(1, int(value)) if value else 1
    except ValueError:
        return 1


def _survey_xls(raw: bytes, source: str) -> list[_Extent]:
    from .ole import biff_sheets, read_stream

    stream = read_stream(raw, ("Workbook", "Book"))
    if stream is None:
        raise ReadError(Problem("这是旧版 Office 文件，但里面没有工作簿", Location(source), code="broken-workbook",
                                hint="请用 Excel 或 WPS 打开后另存为 .xlsx"))
    extents = []
    for sheet in biff_sheets(stream, MAX_MERGED_RANGES):
        extent = _Extent(sheet.name, sheet.cells, sheet.top, sheet.bottom if sheet.top is not None else -1,
                         sheet.left, sheet.right if sheet.left is not None else -1, sheet.merged)
        extents.append(extent)
    return extents


def _check_extent(name: str, height: int, width: int, cells: int, source: str) -> None:
    if height > MAX_ROWS or width > MAX_COLUMNS or cells > MAX_CELLS:
        raise ReadError(Problem(f"工作表“{_shown(name)}”过大（{height:,} 行 × {width:,} 列）", Location(source),
                                code="table-too-large",
                                hint=f"一张自评表不会超过 {MAX_ROWS:,} 行、{MAX_COLUMNS} 列；请删去多余的行列后另存"))


def _too_many_sheets(count: int, source: str) -> ReadError:
    return ReadError(Problem(f"工作簿的工作表过多（{count:,} 个，上限 {MAX_SHEETS:,} 个）", Location(source),
                             code="table-too-large", hint="请只保留含自评表的工作表后另存"))


def _too_many_merged(name: str, count: int, source: str) -> ReadError:
    return ReadError(Problem(f"工作表“{_shown(name)}”的合并单元格过多（超过 {MAX_MERGED_RANGES:,} 处）", Location(source),
                             code="table-too-large", hint="请取消多余的合并单元格后另存"))


def _merged_too_large(name: str, ref: str, source: str) -> ReadError:
    return ReadError(Problem(f"工作表“{_shown(name)}”的合并单元格范围过大（到 {ref} 为止合计超过 {MAX_CELLS:,} 个单元格）",
                             Location(source), code="table-too-large",
                             hint="合并单元格不应重叠或覆盖整列整行；请取消这些合并后另存"))


def _range_bounds(ref: str) -> tuple[int, int, int, int] | None:
    """"B2:D5" -> (1, 4, 1, 3): first and last row, first and last column, from 0."""
    first, _, last = ref.partition(":")
    a, b = _CELL_REF.match(first.replace("$", "")), _CELL_REF.match((last or first).replace("$", ""))
    if not a or not b:
        return None
    r0, r1 = int(a.group(2)) - 1, int(b.group(2)) - 1
    c0, c1 = _column_number(a.group(1)) - 1, _column_number(b.group(1)) - 1
    return min(r0, r1), max(r0, r1), min(c0, c1), max(c0, c1)


def _range_ref(r0: int, c0: int, r1: int, c1: int) -> str:
    return f"{_column_letter(c0)}{r0 + 1}:{_column_letter(c1)}{r1 + 1}"


def _shown(name: str) -> str:
    """A sheet's name as a message may print it: one line, no control characters, not too long."""
    name = "".join(ch if ch.isprintable() else "?" for ch in str(name))
    return name if len(name) <= 60 else name[:60] + "…"


# ---------------------------------------------------------------- percent formats (.xlsx) ---

_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")
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

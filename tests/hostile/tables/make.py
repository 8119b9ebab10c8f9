"""Makers for the hostile tables: each writes the file at `path`, built by hand so that it can say what
no office program would (a merged range over a whole column, a cell at XFD1048576, a zip member that
lies about its size, a page tree that lies about its pages). Where the attack is compression the file
on disk stays small; each is made in well under a second. `check_*` functions assert on what an
entry wrote (they are given the entry's folder).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

TITLE = "2023年度项目支出绩效自评表"
ROWS = [
    ["项目名称", "乡村道路养护", "", "", "", "", "", "", ""],
    ["主管部门", "某县交通运输局", "", "", "实施单位", "某县公路事务中心", "", "", ""],
    ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", ""],
    ["", "年度资金总额", "50", "50", "45", "10", "90%", "9", ""],
    ["", "其中：当年财政拨款", "50", "50", "45", "—", "90%", "—", ""],
    ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分"],
    ["产出指标", "数量指标", "养护里程", "≥", "120", "公里", "120", "45", "45"],
    ["", "质量指标", "路况优良率", "≥", "90", "%", "81", "45", "40.5"],
    ["总分", "", "", "", "", "", "", "100", "94.5"],
]


def table(name: str = "乡村道路养护", department: str = "某县交通运输局") -> list[list[str]]:
    """The title row and the table, with the project's name and department as given."""
    rows = [[TITLE] + [""] * 8] + [list(row) for row in ROWS]
    rows[1][1], rows[2][1] = name, department
    return rows


def _tsv(rows: list[list[str]]) -> str:
    return "\n".join("\t".join(row) for row in rows) + "\n"


# ------------------------------------------------------------------ zip containers ----

def _zip(path: Path, members: dict[str, bytes | str]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _deflated_zeros(size: int) -> bytes:
    """`size` zero bytes as a raw deflate stream (about a thousandth of the size), made in steps."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [packer.compress(block) for _ in range(size >> 20)]
    parts.append(packer.compress(bytes(size & ((1 << 20) - 1))))
    parts.append(packer.flush())
    return b"".join(parts)


def _zip_raw(path: Path, members: list[tuple[str, bytes, int, int, int, int]]) -> None:
    """A zip written field by field: (name, data as stored, method, crc, compressed size, declared size)."""
    out = bytearray()
    directory = bytearray()
    for name, data, method, crc, compressed, declared in members:
        encoded = name.encode("utf-8")
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0x800, method, 0, 0x21, crc, compressed, declared,
                           len(encoded), 0) + encoded + data
        directory += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0x800, method, 0, 0x21, crc, compressed,
                                 declared, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    start = len(out)
    out += directory + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), start, 0)
    path.write_bytes(bytes(out))


_XLSX_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
               '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
               '<Default Extension="xml" ContentType="application/xml"/>'
               '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
               'spreadsheetml.sheet.main+xml"/>{sheets}</Types>')
_ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
              'officeDocument" Target="{target}"/></Relationships>')


def _column(number: int) -> str:
    letters = ""
    number += 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _cell(row: int, column: int, text: str) -> str:
    return f'<c r="{_column(column)}{row + 1}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def _sheet_xml(rows: list[list[str]], extra: str = "", merges: list[str] = ()) -> str:
    body = "".join(f'<row r="{r + 1}">' + "".join(_cell(r, c, text) for c, text in enumerate(row) if text) + "</row>"
                   for r, row in enumerate(rows) if any(row))
    merged = f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{ref}"/>' for ref in merges) + \
        "</mergeCells>" if merges else ""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{body}{extra}</sheetData>{merged}</worksheet>')


def _xlsx(path: Path, sheets: list[tuple[str, str]], extra_members: dict[str, bytes] | None = None) -> None:
    """A workbook of (sheet name, sheet XML)."""
    names = "".join(f'<sheet name="{escape(name)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, (name, _) in enumerate(sheets))
    workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/'
                'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                f'<sheets>{names}</sheets></workbook>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships">' + "".join(
                f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                f'worksheet" Target="worksheets/sheet{i + 1}.xml"/>' for i in range(len(sheets))) + "</Relationships>")
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/vnd.openxmlformats-'
                        'officedocument.spreadsheetml.worksheet+xml"/>' for i in range(len(sheets)))
    members: dict[str, bytes | str] = {
        "[Content_Types].xml": _XLSX_TYPES.format(sheets=overrides), "_rels/.rels": _ROOT_RELS.format(target="xl/workbook.xml"),
        "xl/workbook.xml": workbook, "xl/_rels/workbook.xml.rels": rels}
    members.update({f"xl/worksheets/sheet{i + 1}.xml": xml for i, (_, xml) in enumerate(sheets)})
    members.update(extra_members or {})
    _zip(path, members)


def _table_xlsx(path: Path, merges: list[str] = (), extra: str = "", rows: list[list[str]] | None = None) -> None:
    _xlsx(path, [("项目表", _sheet_xml(rows or table(), extra, ["A1:I1", *merges]))])


def xlsx_table(path: Path) -> None:
    """The plain table as a workbook: what every hostile workbook is a variation of."""
    _table_xlsx(path)


def xlsx_merged_whole_column(path: Path) -> None:
    """A merged range over a whole column beside the table (J1:J1048576): clipped to the used range, not expanded."""
    _table_xlsx(path, ["J1:J1048576"])


def xlsx_merged_whole_row(path: Path) -> None:
    """The title merged over A1:XFD1, the widest row Excel has: clipped to the table's nine columns."""
    _xlsx(path, [("项目表", _sheet_xml(table(), "", ["A1:XFD1"]))])


def xlsx_merged_whole_sheet_many_times(path: Path) -> None:
    """A used range of 20,000 × 20 (two cells) under 30 merged ranges, each over the whole sheet."""
    extra = _cell(19_999, 19, "尾")
    rows = [["项目名称", "x"]]
    _xlsx(path, [("项目表", _sheet_xml(rows, extra, ["A1:XFD1048576"] * 30))])


def xlsx_too_many_merged_ranges(path: Path) -> None:
    """20,001 small merged ranges in one sheet."""
    merges = [f"A{2 * i + 20}:B{2 * i + 21}" for i in range(20_001)]
    _table_xlsx(path, merges)


def xlsx_far_corner(path: Path) -> None:
    """Two cells, A1 and XFD1048576: calamine would ask for 17 billion cells and abort the interpreter."""
    _xlsx(path, [("项目表", _sheet_xml([["项目名称", "x"]], _cell(1_048_575, 16_383, "角")))])


def xlsx_far_row(path: Path) -> None:
    """The table, and one more cell at A1048576: a dense grid of a million rows."""
    _xlsx(path, [("项目表", _sheet_xml(table(), _cell(1_048_575, 0, "底")))])


def xlsx_60000_rows(path: Path) -> None:
    """Sixty thousand rows of one number each (the file is small: the rows compress well)."""
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 60_001))
    _xlsx(path, [("项目表", _sheet_xml([], rows))])


def xlsx_wide_row(path: Path) -> None:
    """One row of 300 filled cells."""
    _xlsx(path, [("项目表", _sheet_xml([[f"列{c}" for c in range(300)]]))])


def xlsx_long_cell(path: Path) -> None:
    """The project's name 30,000 characters long: refused with its cell, never cut short."""
    _table_xlsx(path, rows=table(name="养护" * 15_000))


def xlsx_many_sheets(path: Path) -> None:
    """A workbook of 600 small sheets."""
    _xlsx(path, [(f"表{i}", _sheet_xml([["x"]])) for i in range(600)])


def xlsx_entity_expansion(path: Path) -> None:
    """A sheet whose XML declares nested entities (billion laughs): never expanded."""
    laughs = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10 if i else "哈"}">' for i in range(10))
    xml = _sheet_xml(table()).replace("<worksheet", f"<!DOCTYPE worksheet [{laughs}]><worksheet", 1)
    xml = xml.replace("乡村道路养护", "&l9;", 1)
    _xlsx(path, [("项目表", xml)])


def xlsx_broken_sheet_xml(path: Path) -> None:
    """A sheet whose XML stops half way through a row."""
    _xlsx(path, [("项目表", _sheet_xml(table())[:600])])


def xlsx_member_bomb(path: Path) -> None:
    """A 64 MB sheet of zeros, deflated to 64 KB: over the size one member may unpack to."""
    data = _deflated_zeros(64 << 20)
    _zip_raw(path, [("[Content_Types].xml", b"<Types/>", 0, zlib.crc32(b"<Types/>"), 8, 8),
                    ("xl/workbook.xml", data, 8, 0, len(data), 64 << 20)])


def xlsx_ratio_bomb(path: Path) -> None:
    """30 MB of zeros (under the member limit) deflated a thousand to one."""
    data = _deflated_zeros(30 << 20)
    _zip_raw(path, [("xl/workbook.xml", data, 8, 0, len(data), 30 << 20)])


def xlsx_lying_sizes(path: Path) -> None:
    """A member that says it holds 100 bytes, with the right checksum for them, and inflates to 20 MB."""
    data = _deflated_zeros(20 << 20)
    _zip_raw(path, [("xl/workbook.xml", data, 8, zlib.crc32(bytes(100)), len(data), 100)])


def xlsx_too_many_members(path: Path) -> None:
    """3,000 empty members."""
    _zip_raw(path, [("xl/workbook.xml", b"", 0, 0, 0, 0)] + [(f"xl/media/{i}.bin", b"", 0, 0, 0, 0) for i in range(3_000)])


def xlsx_directory_claims_a_million_members(path: Path) -> None:
    """An end record that claims a central directory of a million entries."""
    _zip_raw(path, [("xl/workbook.xml", b"", 0, 0, 0, 0)])
    raw = bytearray(path.read_bytes())
    at = raw.rfind(b"PK\x05\x06")
    struct.pack_into("<2H", raw, at + 8, 0xFFFF, 0xFFFF)
    struct.pack_into("<L", raw, at + 12, 46 * 1_000_000)
    path.write_bytes(bytes(raw))


def xlsx_bzip2_member(path: Path) -> None:
    """A member compressed with bzip2, which zip allows and no office program writes."""
    import bz2

    xml = b'<?xml version="1.0"?><workbook/>'
    packed = bz2.compress(xml)
    _zip_raw(path, [("xl/workbook.xml", packed, 12, zlib.crc32(xml), len(packed), len(xml))])


def xlsx_shared_strings_claim_four_billion(path: Path) -> None:
    """A shared-string table whose header claims 4,294,967,295 strings: calamine reserved room for them all."""
    strings = ('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               'count="1" uniqueCount="4294967295"><si><t>项目名称</t></si></sst>')
    _xlsx(path, [("项目表", _sheet_xml(table()))], {"xl/sharedStrings.xml": strings})


def xlsx_sheet_name_with_line_break(path: Path) -> None:
    """The table on a sheet whose name holds a line break and a YAML key: cell references carry the name."""
    _xlsx(path, [("项目表\nhacked: 1", _sheet_xml(table(), "", ["A1:I1"]))])


# ------------------------------------------------------------------ OpenDocument ----

_ODS_MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:'
                 'xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type='
                 '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
                 'manifest:media-type="text/xml"/></manifest:manifest>')


def _ods(path: Path, rows_xml: str) -> None:
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:'
               'xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:'
               'tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table '
               f'table:name="项目表">{rows_xml}</table:table></office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)


def _ods_cell(text: str, repeat: int = 1) -> str:
    times = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return f'<table:table-cell office:value-type="string"{times}><text:p>{escape(text)}</text:p></table:table-cell>'


def _ods_rows(rows: list[list[str]]) -> str:
    return "".join("<table:table-row>" + "".join(_ods_cell(text) if text else "<table:table-cell/>" for text in row)
                   + "</table:table-row>" for row in rows)


def ods_rows_repeated(path: Path) -> None:
    """One filled row repeated a million times."""
    _ods(path, f'<table:table-row table:number-rows-repeated="1000000">{_ods_cell("项目名称")}</table:table-row>')


def ods_block_repeated(path: Path) -> None:
    """A filled cell repeated 1,000 times across, its row 100,000 times down: calamine would allocate 10⁸ cells."""
    _ods(path, f'<table:table-row table:number-rows-repeated="100000">{_ods_cell("x", 1000)}</table:table-row>')


def ods_trailing_empty_rows(path: Path) -> None:
    """The table as LibreOffice saves it: the sheet's empty rest as repeated empty rows and cells."""
    _ods(path, _ods_rows(table()) + '<table:table-row table:number-rows-repeated="1048566"><table:table-cell '
               'table:number-columns-repeated="1024"/></table:table-row>')


# ------------------------------------------------------------------ Excel 97-2003 ----

def _record(kind: int, body: bytes = b"") -> bytes:
    return struct.pack("<2H", kind, len(body)) + body


def _bof(kind: int) -> bytes:
    return _record(0x0809, struct.pack("<4H2L", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x0006))


def _biff(sheets: list[tuple[str, list[bytes]]]) -> bytes:
    bodies = [_bof(0x0010) + b"".join(records) + _record(0x000A) for _, records in sheets]

    def workbook_globals(offsets: list[int]) -> bytes:
        out = _bof(0x0005) + _record(0x0042, struct.pack("<H", 1200))
        for (name, _), offset in zip(sheets, offsets):
            out += _record(0x0085, struct.pack("<L4B", offset, 0, 0, len(name), 1) + name.encode("utf-16-le"))
        return out + _record(0x000A)

    at = len(workbook_globals([0] * len(sheets)))
    offsets = []
    for body in bodies:
        offsets.append(at)
        at += len(body)
    return workbook_globals(offsets) + b"".join(bodies)


def _label(row: int, column: int, text: str) -> bytes:
    return _record(0x0204, struct.pack("<3HHB", row, column, 0, len(text), 1) + text.encode("utf-16-le"))


def _merged(*ranges: tuple[int, int, int, int]) -> bytes:
    return _record(0x00E5, struct.pack("<H", len(ranges)) + b"".join(struct.pack("<4H", *r) for r in ranges))


def _compound(stream: bytes, looped: bool = False, looped_directory: bool = False) -> bytes:
    """An OLE compound file of 512-byte sectors holding one stream, `Workbook`."""
    stream = stream + bytes(max(0, 4096 - len(stream)))  # under 4096 bytes a stream would live in the mini stream
    padded = stream + bytes(-len(stream) % 512)
    count = len(padded) // 512
    fat_sectors = 1
    while fat_sectors * 128 < count + 1 + fat_sectors:
        fat_sectors += 1
    fat = [i + 1 for i in range(count - 1)] + [0 if looped else 0xFFFFFFFE, count if looped_directory else 0xFFFFFFFE] \
        + [0xFFFFFFFD] * fat_sectors
    fat += [0xFFFFFFFF] * (fat_sectors * 128 - len(fat))

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return (encoded.ljust(64, b"\0") + struct.pack("<H2B3L", len(encoded), kind, 1, 0xFFFFFFFF, 0xFFFFFFFF, child)
                + bytes(16) + bytes(4) + bytes(16) + struct.pack("<3L", start, size, 0))

    directory = (entry("Root Entry", 5, 1, 0xFFFFFFFE, 0) + entry("Workbook", 2, 0xFFFFFFFF, 0, len(stream))
                 + entry("", 0, 0xFFFFFFFF, 0xFFFFFFFF, 0) * 2)
    difat = [count + 1 + i for i in range(fat_sectors)] + [0xFFFFFFFF] * (109 - fat_sectors)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<5H", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<9L", 0, fat_sectors, count, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
              + struct.pack("<109L", *difat))
    return header + padded + directory + struct.pack(f"<{len(fat)}L", *fat)


def _table_records(rows: list[list[str]]) -> list[bytes]:
    return [_label(r, c, text) for r, row in enumerate(rows) for c, text in enumerate(row) if text]


def xls_table(path: Path) -> None:
    """The plain table as an Excel 97-2003 workbook."""
    path.write_bytes(_compound(_biff([("项目表", _table_records(table()) + [_merged((0, 0, 0, 8))])])))


def xls_far_corner(path: Path) -> None:
    """Cells at A1 and IV65536: calamine would fill 16.7 million cells as it opens the file."""
    path.write_bytes(_compound(_biff([("项目表", [_label(0, 0, "项目名称"), _label(65_535, 255, "角")])])))


def xls_merged_whole_columns(path: Path) -> None:
    """The table with 1,000 merged ranges over whole columns to its right (J1:IV65536): all clipped away."""
    path.write_bytes(_compound(_biff([("项目表", _table_records(table()) + [_merged((0, 0, 0, 8))]
                                       + [_merged(*[(0, 65_535, 9, 255)] * 500)] * 2)])))


def xls_merged_record_lies(path: Path) -> None:
    """A MERGEDCELLS record that claims 65,535 ranges and holds one: calamine read past its end and panicked."""
    lying = _record(0x00E5, struct.pack("<H", 0xFFFF) + struct.pack("<4H", 0, 0, 0, 8))
    path.write_bytes(_compound(_biff([("项目表", _table_records(table()) + [lying])])))


def xls_looped_sectors(path: Path) -> None:
    """A compound file whose workbook's sector chain loops back to its start after its last sector."""
    path.write_bytes(_compound(_biff([("项目表", _table_records(table()))]), looped=True))


def xls_looped_directory(path: Path) -> None:
    """A compound file whose directory's sector chain points back at itself."""
    path.write_bytes(_compound(_biff([("项目表", _table_records(table()))]), looped_directory=True))


# ------------------------------------------------------------------ Word ----

_DOCX_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/'
               'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
               'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/'
               'document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
               '</Types>')


def _docx(path: Path, body: str) -> None:
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/'
                f'wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>')
    _zip(path, {"[Content_Types].xml": _DOCX_TYPES, "_rels/.rels": _ROOT_RELS.format(target="word/document.xml"),
                "word/document.xml": document})


def _p(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def _tc(text: str, properties: str = "") -> str:
    return f"<w:tc>{properties}{_p(text)}</w:tc>"


def _docx_table(rows: list[list[str]]) -> str:
    return "<w:tbl>" + "".join("<w:tr>" + "".join(_tc(text) for text in row) + "</w:tr>" for row in rows) + "</w:tbl>"


def docx_30000_rows(path: Path) -> None:
    """A table of 30,000 rows: counted before any row is read."""
    _docx(path, _p(TITLE) + "<w:tbl>" + "<w:tr>" + _tc("指标") + "</w:tr>" * 1 + ("<w:tr>" + _tc("x") + "</w:tr>") * 29_999
          + "</w:tbl>")


def docx_20000_cells_in_a_row(path: Path) -> None:
    """One row of 20,000 cells: counted before any cell is read."""
    _docx(path, "<w:tbl><w:tr>" + _tc("x") * 20_000 + "</w:tr></w:tbl>")


def docx_markup(path: Path) -> None:
    """210,000 numbered paragraphs: more tags than a document may have, refused before python-docx parses them."""
    _docx(path, "".join(f"<w:p><w:r><w:t>{i}</w:t></w:r></w:p>" for i in range(210_000)))


def docx_grid_span(path: Path) -> None:
    """The table, its name cell spanning 4,294,967,295 grid columns."""
    rows = table()[1:]
    body = "<w:tbl>" + "".join(
        "<w:tr>" + "".join(_tc(text, '<w:tcPr><w:gridSpan w:val="4294967295"/></w:tcPr>' if (r, c) == (0, 1) else "")
                           for c, text in enumerate(row)) + "</w:tr>" for r, row in enumerate(rows)) + "</w:tbl>"
    _docx(path, _p(TITLE) + body)


def docx_nested_tables(path: Path) -> None:
    """Tables nested 300 deep."""
    _docx(path, "<w:tbl><w:tr><w:tc>" * 300 + _p("x") + "</w:tc></w:tr></w:tbl>" * 300)


def docx_long_paragraph(path: Path) -> None:
    """A paragraph of 30,000 characters above the table."""
    _docx(path, _p("说明" * 15_000) + _p(TITLE) + _docx_table(table()[1:]))


def docx_member_bomb(path: Path) -> None:
    """word/document.xml inflating to 64 MB."""
    data = _deflated_zeros(64 << 20)
    _zip_raw(path, [("word/document.xml", data, 8, 0, len(data), 64 << 20)])


# ------------------------------------------------------------------ web pages ----

def _page(body: str) -> str:
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{body}</body></html>'


def _html_table(rows: list[list[str]], first_cell: str = "<td>") -> str:
    return "<table>" + "".join("<tr>" + "".join(f"<td>{escape(text)}</td>" for text in row) + "</tr>"
                               for row in rows).replace("<td>", first_cell, 1) + "</table>"


def html_deep_nesting(path: Path) -> None:
    """The table inside 100,000 nested <div>s: lxml stops at 256 levels and would drop it silently."""
    path.write_text(_page("<div>" * 100_000 + _html_table(table()) + "</div>" * 100_000), encoding="utf-8")


def html_two_million_tags(path: Path) -> None:
    """Two million empty <b> tags, then the table."""
    path.write_text(_page("<p>" + "<b></b>" * 1_000_000 + "</p>" + _html_table(table())), encoding="utf-8")


def html_100k_cells_in_a_row(path: Path) -> None:
    """A row of 100,000 cells."""
    path.write_text(_page("<table><tr>" + "<td>x</td>" * 100_000 + "</tr></table>"), encoding="utf-8")


def html_huge_spans(path: Path) -> None:
    """The table whose first cell spans a billion rows and columns."""
    path.write_text(_page(_html_table(table(), '<td rowspan="1000000000" colspan="1000000000">')), encoding="utf-8")


def html_long_text(path: Path) -> None:
    """A 12 MB run of text in one cell: lxml cuts text past 10 MB."""
    rows = table()
    rows[1][2] = "x" * 12_000_000
    path.write_text(_page(_html_table(rows)), encoding="utf-8")


# ------------------------------------------------------------------ text ----

def text_500k_cells_in_a_line(path: Path) -> None:
    """One line of 500,000 tab-separated cells."""
    path.write_text("项目名称\t" + "x\t" * 500_000 + "\n", encoding="utf-8")


def text_megabyte_of_tabs(path: Path) -> None:
    """A megabyte of tabs between two words: a million empty cells."""
    path.write_text("项目名称" + "\t" * 1_000_000 + "乡村道路养护\n", encoding="utf-8")


def text_million_lines(path: Path) -> None:
    """The table, then a million empty lines."""
    path.write_text(_tsv(table()) + "\n" * 1_000_000, encoding="utf-8")


def text_blank_lines_between_cells(path: Path) -> None:
    """Cells one per line, then 99,000 blank lines before the last: a run of empty cells."""
    path.write_text("项目名称\n\n乡村道路养护\n\n" + "\n" * 99_000 + "主管部门\n", encoding="utf-8")


def text_million_bars(path: Path) -> None:
    """A million | bars on one line."""
    path.write_text("|" * 1_000_000 + "\n", encoding="utf-8")


def text_long_cell(path: Path) -> None:
    """The table with a 30,000-character project name."""
    path.write_text(_tsv(table(name="养护" * 15_000)), encoding="utf-8")


def csv_million_commas(path: Path) -> None:
    """A megabyte of commas: one line of a million empty fields."""
    path.write_text("," * 1_000_000 + "\n", encoding="utf-8")


def csv_field_past_the_csv_limit(path: Path) -> None:
    """A quoted field of 200,000 characters, past the csv module's own limit."""
    path.write_text('项目名称,"' + "x" * 200_000 + '",b\n1,2,3\n', encoding="utf-8")


def _csv(rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in ',"\r\n') else text

    return "\r\n".join(",".join(cell(text) for text in row) for row in rows) + "\r\n"


def csv_carriage_return_in_title(path: Path) -> None:
    """A carriage return inside the quoted title cell, followed by what would be a YAML key."""
    rows = table()
    rows[0][0] = "2023年度项目支出\rhacked: 1\r绩效自评表"
    path.write_bytes(_csv(rows).encode("utf-8"))


def csv_hostile_name(path: Path) -> None:
    """A project name that YAML would misread in every way at once (see HOSTILE_NAME)."""
    path.write_bytes(_csv(table(name=HOSTILE_NAME, department=HOSTILE_DEPARTMENT)).encode("utf-8"))


HOSTILE_NAME = "道路: 养护 # 注释\r\n- 列表项\t&锚 *别名 !标签 %指令 @ ` ' \" ---... \u202e反向\u202c \u2028行\u2029段 \ufeff零宽 :"
HOSTILE_DEPARTMENT = "yes"


def csv_name_with_control_characters(path: Path) -> None:
    """A project name holding ESC, BEL and DEL, and ending with a colon."""
    path.write_bytes(_csv(table(name="乡村道路\x1b[2J养护\x07\x7f:")).encode("utf-8"))


def csv_numeric_name(path: Path) -> None:
    """A project named 0123 (a code) in a department named 1e3."""
    path.write_bytes(_csv(table(name="0123", department="1e3")).encode("utf-8"))


def text_300_character_name(path: Path) -> None:
    """A project name of 300 Chinese characters (900 bytes in UTF-8): longer than a file name may be."""
    path.write_text(_tsv(table(name="乡村道路养护工程" * 37 + "收尾")), encoding="utf-8")


def text_name_with_path(path: Path) -> None:
    """A project name that is a path out of the output folder."""
    path.write_text(_tsv(table(name="../../../etc/passwd\\..\\x")), encoding="utf-8")


def folder(path: Path) -> None:
    """An existing output folder."""
    path.mkdir()


# ------------------------------------------------------------------ PDF ----

def _pdf(path: Path, objects: list[bytes], root: int = 1) -> None:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, start)
    path.write_bytes(bytes(out))


def _stream(data: bytes, extra: bytes = b"", compress: bool = True) -> bytes:
    packed = zlib.compress(data, 9) if compress else data
    flate = b" /Filter /FlateDecode" if compress else b""
    return b"<< /Length %d%s%s >>\nstream\n" % (len(packed), flate, extra) + packed + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _one_page(path: Path, content: bytes | None = None, stream: bytes | None = None, resources: bytes = b"",
              extra: list[bytes] = (), box: bytes = b"[0 0 595 842]") -> None:
    _pdf(path, [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox " + box + b" /Resources << /Font << /F1 5 0 R >> "
                + resources + b">> /Contents 4 0 R >>", stream if stream is not None else _stream(content), _FONT, *extra])


def pdf_deflate_bomb(path: Path) -> None:
    """A page whose content is 64 MB of spaces deflated to 64 KB."""
    packer = zlib.compressobj(9)
    data = packer.compress(b"BT /F1 12 Tf 72 720 Td (x) Tj ET ") + b"".join(
        packer.compress(b" " * (1 << 20)) for _ in range(64)) + packer.flush()
    _one_page(path, stream=b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream")


def pdf_bomb_in_ascii85(path: Path) -> None:
    """The same bomb wrapped in ASCII85, its filters given indirectly: measured from its data."""
    import base64

    packer = zlib.compressobj(9)
    data = packer.compress(b"BT ET ") + b"".join(packer.compress(bytes(1 << 20)) for _ in range(64)) + packer.flush()
    wrapped = base64.a85encode(data) + b"~>"
    _one_page(path, stream=b"<< /Length %d /Filter 6 0 R >>\nstream\n" % len(wrapped) + wrapped + b"\nendstream",
              extra=[b"[/ASCII85Decode /FlateDecode]"])


def _lzw_bomb(cycles: int) -> bytes:
    """LZW codes each one longer than the last: ~8 MB from ~6 KB per cycle of the code table."""
    bits, width = [], 9
    bits.append((256, 9))
    for _ in range(cycles):
        bits.append((ord("a"), width))
        code = 258
        while code < 4094:
            bits.append((code, width))
            if code + 1 in (511, 1023, 2047):  # the decoder's table has grown to where codes need a bit more
                width += 1
            code += 1
        bits.append((256, width))
        width = 9
    bits.append((257, width))
    value = count = 0
    out = bytearray()
    for code, size in bits:
        value = (value << size) | code
        count += size
        while count >= 8:
            count -= 8
            out.append((value >> count) & 0xFF)
    if count:
        out.append((value << (8 - count)) & 0xFF)
    return bytes(out)


def pdf_lzw_bomb(path: Path) -> None:
    """A page whose content is an LZW stream unpacking to some 60 MB (pure Python in pdfminer)."""
    data = _lzw_bomb(8)
    _one_page(path, stream=b"<< /Length %d /Filter /LZWDecode >>\nstream\n" % len(data) + data + b"\nendstream")


def pdf_page_count_lies(path: Path) -> None:
    """A page tree that says it has one page and holds 500."""
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(500))
    pages = [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>"] * 500
    _pdf(path, [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count 1 >>",
                _stream(b"BT /F1 12 Tf 72 720 Td (x) Tj ET"), *pages])


def pdf_page_count_said(path: Path) -> None:
    """A page tree that says it has 100,000 pages."""
    _pdf(path, [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 100000 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"])


def pdf_200000_glyphs(path: Path) -> None:
    """One page drawing 200,000 characters one by one (5 MB of content, deflated)."""
    content = b"BT /F1 1 Tf " + b"".join(b"1 0 0 1 %d %d Tm (x) Tj " % (i % 500, i // 500) for i in range(200_000)) + b"ET"
    _one_page(path, content)


def pdf_one_long_string(path: Path) -> None:
    """One page showing one string of 100,000 characters."""
    _one_page(path, b"BT /F1 1 Tf 0 0 Td (" + b"x" * 100_000 + b") Tj ET")


def pdf_form_laughs(path: Path) -> None:
    """Ten forms, each drawing the next ten times: the page would draw 10^10 glyphs."""
    forms = []
    for level in range(10):
        inner = b" ".join([b"/X%d Do" % (level + 1)] * 10) if level < 9 else b"BT /F1 12 Tf (x) Tj ET"
        resources = b"/Resources << /XObject << /X%d %d 0 R >> /Font << /F1 5 0 R >> >>" % (level + 1, 7 + level) \
            if level < 9 else b"/Resources << /Font << /F1 5 0 R >> >>"
        forms.append(_stream(inner, b" /Type /XObject /Subtype /Form /BBox [0 0 10 10] " + resources))
    _one_page(path, b"/X0 Do", resources=b"/XObject << /X0 6 0 R >> ", extra=forms)


def pdf_form_draws_itself(path: Path) -> None:
    """A form that draws itself."""
    form = _stream(b"/X0 Do", b" /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X0 6 0 R >> >>")
    _one_page(path, b"/X0 Do", resources=b"/XObject << /X0 6 0 R >> ", extra=[form])


def pdf_huge_page(path: Path) -> None:
    """A page 14,400,000 points square (5 km) with one word: it costs nothing to read, so it is read."""
    _one_page(path, b"BT /F1 12 Tf 72 720 Td (hello) Tj ET", box=b"[0 0 14400000 14400000]")


def pdf_deep_arrays(path: Path) -> None:
    """A page dictionary holding arrays nested 100,000 deep."""
    _one_page(path, b"BT /F1 12 Tf 72 720 Td (x) Tj ET", resources=b"/Deep " + b"[" * 100_000 + b"]" * 100_000 + b" ")


# ------------------------------------------------------------------ checks on what was written ----

def _load(path: Path):  # noqa: ANN202
    from engine.load import load_document

    return load_document(path).data


def _same(imported, written, where: str = "") -> None:  # noqa: ANN001
    """Every value the importer found reads back from the file it wrote: text exactly, figures as numbers."""
    from decimal import Decimal

    if isinstance(imported, dict):
        assert isinstance(written, dict) and list(written) == list(imported), (where, list(written), list(imported))
        for key in imported:
            _same(imported[key], written[key], f"{where}.{key}")
    elif isinstance(imported, list):
        assert isinstance(written, list) and len(written) == len(imported), where
        for i, (a, b) in enumerate(zip(imported, written)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(written, (int, Decimal)) and not isinstance(written, bool) and isinstance(imported, str):
        assert Decimal(imported) == written, (where, imported, written)
    else:
        assert written == imported, (where, imported, written)


def check_round_trip(work: Path) -> None:
    """out.yaml, read back by the engine's own loader, holds exactly what importing the input gives."""
    from engine.importer import import_tables

    source = next(p for p in work.iterdir() if p.is_file() and p.name != "out.yaml")
    _same(import_tables(source)[0].data, _load(work / "out.yaml"))


def check_title_stays_a_comment(work: Path) -> None:
    check_round_trip(work)
    written = (work / "out.yaml").read_text(encoding="utf-8")
    assert "hacked" not in _load(work / "out.yaml")
    assert not any(line.startswith("hacked") for line in written.splitlines()), written[:500]


def check_hostile_name_reads_back(work: Path) -> None:
    check_round_trip(work)
    data = _load(work / "out.yaml")
    assert "\u202e" in data["name"] and "\u2028" in data["name"] and data["name"].endswith(" :"), repr(data["name"])
    assert data["department"] == HOSTILE_DEPARTMENT


def check_control_characters_read_back(work: Path) -> None:
    check_round_trip(work)
    assert _load(work / "out.yaml")["name"] == "乡村道路\x1b[2J养护\x07\x7f:"


def check_numeric_name_stays_text(work: Path) -> None:
    check_round_trip(work)
    data = _load(work / "out.yaml")
    assert (data["name"], data["department"]) == ("0123", "1e3")


def check_long_name_file(work: Path) -> None:
    written = list((work / "out").iterdir())
    assert len(written) == 1 and len(written[0].name.encode("utf-8")) <= 200, written
    assert _load(written[0])["name"] == "乡村道路养护工程" * 37 + "收尾"


def check_name_stays_in_folder(work: Path) -> None:
    written = list((work / "out").iterdir())
    assert len(written) == 1 and written[0].parent == work / "out", written
    assert not any(ch in written[0].name for ch in "/\\") and not written[0].name.startswith("."), written

"""Import stage 1, read: any file a clerk has, as grids of cells that know where they came from.

Readers know formats, never forms. Each turns one kind of file into `Grid`s — rows of `Cell`s,
each with its text and its place (line and column of a text file, sheet and cell of a workbook,
table, row and column of a Word document or web page, page of a PDF) — and the recogniser reads
forms off the grids without knowing which reader made them.

The format is judged from the content (zip entries, OLE streams, the PDF header, markup, the
separators a text uses), the extension only breaking ties, and the grid says which it was, so a
refusal can tell the user what was seen.

Every reader is bounded, and pays for nothing before it knows the file is within the limits below:
only a regular file is read, its size checked by stat; a zip's members are measured, inflated and
counted, before any XML is parsed (`archive.py`); a workbook's sheets are surveyed before calamine
allocates them (`sheet.py`, `ole.py`); a document's or page's tags are counted before lxml builds a
tree; a text's lines and a line's cells are counted before it is split; a PDF's streams are unpacked
in bounded steps and its pages measured before pdfminer reads any (`pdf_bounds.py`). Grids are
bounded by rows, columns and cells, and a cell longer than any real one is refused where it is,
never cut short. Each refusal names the file and, where there is one, the sheet, cell, page or line.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EngineError, Location, Problem
from ..files import read_regular

MAX_TABLE_FILE_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024  # all members of an xlsx / docx / ods together, unpacked
MAX_MEMBER_BYTES = 40 * 1024 * 1024  # one member unpacked: a sheet of MAX_CELLS cells is well under it
MAX_ZIP_MEMBERS = 2_000  # a real xlsx or docx has a few dozen parts, a few hundred with images
MAX_ZIP_RATIO = 200  # a real xlsx or docx compresses 5–30 times; a zip bomb hundreds or thousands
MAX_ROWS = 20_000
MAX_COLUMNS = 256
MAX_CELLS = 400_000
MAX_CELL_CHARS = 20_000
MAX_SHEETS = 500  # sheets of a workbook, tables of a document or web page are bounded by rows and cells too
MAX_XML_TAGS = 1_000_000  # markup parsed into a tree (a .docx's parts, a web page): lxml takes ~75 bytes a tag
MAX_MERGED_RANGES = 20_000  # merged ranges of one sheet; their area, clipped to the sheet, at most MAX_CELLS

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class ReadError(EngineError):
    """A file that cannot be read as a table at all (format, encoding, size, password)."""

    kind = "read"


@dataclass(frozen=True)
class Cell:
    text: str
    ref: str  # where it was read, in words a person can find: "第 12 行第 3 列", "项目表!C12", "表 1 第 3 行第 2 列"
    line: int | None  # the row's line (text, web page) or row number (sheet, Word table)
    column: int = 0  # the cell's first column in the table's grid, from 1
    place: str = ""  # the file (and sheet or table) it is in, as error locations name it
    span: int = 1  # how many grid columns it covers (a horizontally merged cell)
    copy: bool = False  # the text of a vertically merged cell repeated into a row it covers, not a cell of its own

    @property
    def key(self) -> tuple[str, str]:
        """The same for a merged cell and its copies: one cell, however many rows it covers."""
        return (self.place, self.ref)


@dataclass
class Grid:
    source: str
    sheet: str | None  # sheet, table or page name, None for a plain text file
    rows: list[list[Cell]]
    format: str = ""  # in words, for messages: "制表符分隔的文本", "Excel 工作簿（.xlsx）" …
    positional: bool = True  # cells stand in their true columns (False: blank cells may have been dropped)
    stream: bool = False  # one cell per line: the table's rows are lost and must be rebuilt from its labels
    merged: bool = False  # merged cells were resolved from the file itself: every cell stands in its true column

    def row_ref(self, index: int) -> str:
        row = self.rows[index]
        first = next((cell for cell in row if not cell.copy), row[0] if row else None)
        where = first.line if first is not None and first.line is not None else index + 1
        if self.sheet is None:
            return f"第 {where} 行"
        return f"{self.sheet}!第 {where} 行"


@dataclass
class Reading:
    """What a file held: its grids, and in words what kind of file it was judged to be."""

    source: str
    format: str
    grids: list[Grid] = field(default_factory=list)


STDIN = "-"


def read_file(path: str | Path) -> Reading:
    """Every grid in the file (or standard input, `-`), in reading order."""
    raw = _read_bytes(str(path))
    return read_bytes(raw, "<标准输入>" if str(path) == STDIN else str(path))


def read_grids(path: str | Path) -> list[Grid]:
    return read_file(path).grids


def read_bytes(raw: bytes, source: str) -> Reading:
    kind = sniff(raw, source)
    if kind in ("xlsx", "xls", "ods"):
        from .sheet import read_workbook

        return read_workbook(raw, source, kind)
    if kind == "docx":
        from .document import read_docx

        return read_docx(raw, source)
    if kind == "pdf":
        from .pdf import read_pdf

        return read_pdf(raw, source)
    from .text import decode

    text = decode(raw, source)
    if kind == "html" or (kind == "text" and looks_like_html(text)):
        from .web import read_html

        return read_html(text, source)
    from .text import read_text

    return read_text(text, source)


def looks_like_html(text: str) -> bool:
    head = text[:4096].lower()
    return "<table" in text.lower() and ("<html" in head or "<!doctype html" in head or "<body" in head
                                         or "<table" in head or "<meta" in head)


def sniff(raw: bytes, source: str) -> str:
    """The file's kind from its first bytes and, for a zip, its entries; refuses what no reader takes."""
    suffix = Path(source).suffix.lower()
    if raw.startswith(_ZIP_MAGIC):
        return _zip_kind(raw, source)
    if raw.startswith(_OLE_MAGIC):
        return _ole_kind(raw, source)
    if raw.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if raw[:5] == b"{\\rtf":
        raise ReadError(Problem("这是 RTF 格式的文档，无法直接读取", Location(source), code="unsupported-format",
                                hint="请在 Word 或 WPS 中另存为 .docx，或把表格复制粘贴为文本"))
    if raw[:4] in (b"\x89PNG", b"GIF8") or raw[:3] == b"\xff\xd8\xff":
        raise ReadError(Problem("这是一张图片，里面的表格无法读取", Location(source), code="unsupported-format",
                                hint="请找原始的 Excel、Word 或网页文件；扫描件需要先用文字识别转成文本"))
    if suffix in (".html", ".htm", ".xhtml", ".mhtml"):
        return "html"
    return "text"


def _zip_kind(raw: bytes, source: str) -> str:
    from .archive import open_archive

    archive = open_archive(raw, source)  # every member's real size known before any XML is parsed
    names = set(archive.namelist())
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/workbook.bin" in names:
            raise ReadError(Problem("这是 Excel 二进制工作簿（.xlsb），暂不支持", Location(source),
                                    code="unsupported-format", hint="请在 Excel 中另存为 .xlsx"))
        return "xlsx"
    if "word/document.xml" in names:
        return "docx"
    mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    if b"opendocument.spreadsheet" in mimetype:
        return "ods"
    if b"opendocument.text" in mimetype:
        raise ReadError(Problem("这是 OpenDocument 文字文档（.odt），暂不支持", Location(source),
                                code="unsupported-format", hint="请在 WPS、Word 或 LibreOffice 中另存为 .docx"))
    raise ReadError(Problem("这是一个压缩包，但不是 Excel、Word 或 OpenDocument 表格", Location(source),
                            code="unsupported-format", hint="请先解压，再逐个导入其中的表格文件"))


def _ole_kind(raw: bytes, source: str) -> str:
    """Old Office files and encrypted new ones share the OLE container; its stream names tell them apart."""
    def has(name: str) -> bool:
        return name.encode("utf-16-le") in raw

    if has("EncryptionInfo") or has("EncryptedPackage"):
        raise ReadError(Problem("文件设置了打开密码，无法读取", Location(source), code="password-protected",
                                hint="请在 Excel 或 Word 中输入密码打开，取消密码后另存，再导入"))
    if has("Workbook") or has("Book"):
        return "xls"
    if has("WordDocument"):
        raise ReadError(Problem("这是旧版 Word 文档（.doc），无法直接读取", Location(source), code="unsupported-format",
                                hint="请在 Word 或 WPS 中另存为 .docx"))
    raise ReadError(Problem("这是旧版 Office 文件，但不是 Excel 工作簿", Location(source), code="unsupported-format",
                            hint="请另存为 .xlsx 或 .docx"))


_pasted: list[bytes] = []  # standard input can be read once; a command that reads the case twice gets it again


def _read_bytes(source: str) -> bytes:
    if source == STDIN:
        if _pasted:
            return _pasted[0]
        data = sys.stdin.buffer.read(MAX_TABLE_FILE_BYTES + 1)
        _pasted.append(data)
        if not data.strip():
            raise ReadError(Problem("标准输入是空的", Location("<标准输入>"), code="empty-file",
                                    hint="把表格粘贴进来，或用 engine import 文件名"))
        if len(data) > MAX_TABLE_FILE_BYTES:
            raise ReadError(Problem(f"标准输入的内容过大（超过 {MAX_TABLE_FILE_BYTES:,} 字节）", Location("<标准输入>"),
                                    code="file-too-large"))
        return data
    try:
        # Only a regular file is opened (a FIFO would block, /dev/zero never end), its size checked by
        # stat before reading and the read itself capped.
        data = read_regular(source, MAX_TABLE_FILE_BYTES, "表格文件")
    except EngineError as error:
        raise ReadError([_with_hint(problem) for problem in error.problems]) from None
    if not data:
        raise ReadError(Problem("文件是空的", Location(source), code="empty-file"))
    return data


_HINTS = {
    "file-too-large": "一张自评表通常只有几十 KB；请只导入含表格的部分",
    "file-unreadable": "导入一个文件夹里的全部表格请用 engine batch",
}


def _with_hint(problem: Problem) -> Problem:
    if problem.hint or problem.code not in _HINTS or (problem.code == "file-unreadable" and "文件夹" not in problem.message):
        return problem
    return Problem(problem.message, problem.location, problem.path, _HINTS[problem.code], problem.code)


def clip(text: str, source: str = "", ref: str = "") -> str:
    """A cell's text as the recogniser sees it: trimmed, line breaks as `\n`, NUL dropped.

    A cell longer than any real cell (MAX_CELL_CHARS) is refused with where it is, not cut short:
    a table read with part of a cell missing is worse than one not read."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = text.strip(" \t\n\u3000\xa0")
    if len(text) > MAX_CELL_CHARS:
        where = f"{ref}的" if ref else "有一个单元格"
        raise ReadError(Problem(f"{where}内容过长（{len(text):,} 个字符，上限 {MAX_CELL_CHARS:,} 个）", Location(source or None),
                                code="cell-too-long", hint="自评表的单元格不会这么长；请检查是否把整篇文字粘进了一个单元格"))
    return text


def check_size(rows: int, columns: int, source: str, where: str) -> None:
    if rows > MAX_ROWS or columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
        raise ReadError(Problem(f"{where}过大（{rows:,} 行 × {columns:,} 列）", Location(source), code="table-too-large",
                                hint=f"一张自评表不会超过 {MAX_ROWS:,} 行、{MAX_COLUMNS} 列；请只保留含表格的部分"))

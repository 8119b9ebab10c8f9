"""What a PDF costs, measured before pdfminer is given it: its streams unpacked, its pages counted.

pdfminer inflates a stream whole the moment it needs it (a cross-reference stream as the file
opens, an object stream when one of its objects is looked up, a page's content when the page is
read), and interprets page content in pure Python at about two seconds a megabyte. So:

1. `check_streams` walks the raw file for every `stream … endstream`, undoes its filters in
   bounded steps (Flate and LZW never past MAX_PDF_STREAM_BYTES, the others only when small), and
   refuses a file whose streams unpack to more than the limits — a deflate bomb is 1 KB for 1 MB;
   an encrypted file's streams are measured again, deciphered, once pdfminer holds the key;
2. `check_pages` counts the pages without building them all, then, for every page before any is
   read, the content it would interpret — its content streams and the forms it draws, each form
   counted every time it is drawn (forms drawing forms ten times over are a billion laughs) — and
   the text it would show, and refuses a page, or a file, past the limits.
"""

from __future__ import annotations

import re
import zlib
from ..errors import Location, Problem

MAX_PDF_STREAM_BYTES = 40 * 1024 * 1024  # one stream unpacked
MAX_PDF_DECODED_BYTES = 200 * 1024 * 1024  # all streams unpacked, images included
MAX_PDF_PAGE_CONTENT = 256 * 1024  # content one page interprets, forms expanded (real pages: 3–15 KB)
MAX_PDF_CONTENT = 4 * 1024 * 1024  # content of all pages together
MAX_PDF_PAGE_TEXT = 40_000  # bytes of text one page shows (each makes a character object, ~2 KB each)
MAX_FORM_DEPTH = 12
_SMALL = 1024 * 1024  # filters decoded in pure Python are only undone for streams this small

_STREAM = re.compile(rb"stream(?:\r\n|\n|\r)")
_OBJECT = re.compile(rb"(\d+)\s+(\d+)\s+obj\b")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_NAME = re.compile(rb"/([^\s/\[\]<>()]+)")
_LZW = {b"LZWDecode", b"LZW"}
_RUNLENGTH = {b"RunLengthDecode", b"RL"}


class _TooLarge(Exception):  # noqa: N818 - a stream past the limit, its size so far: measuring stops there
    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


class _Refused(Exception):  # noqa: N818 - a refusal inside the measuring, turned into a ReadError
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def _error(message: str, source: str, code: str = "pdf-too-large", hint: str | None = None):  # noqa: ANN202
    from . import ReadError

    return ReadError(Problem(message, Location(source), code=code,
                             hint=hint or "真实的自评表 PDF 不会这样；请检查文件来源，或找原始的 Word / Excel 文件"))


# ------------------------------------------------------------------ streams ----

def check_streams(raw: bytes, source: str, decipher=None) -> None:  # noqa: ANN001
    """Refuse a PDF whose streams unpack to more than the limits, before pdfminer unpacks any.

    A stream is measured from its data, not from what its dictionary says (which may be indirect,
    escaped or buried): whatever inflates is inflated, ASCII85 or hex that hides a deflate stream is
    undone first, LZW that starts with its clear code is decoded — each step bounded. The filter names
    written just before the data only add what data cannot show: that it is run-length coded."""
    total = 0
    previous = 0  # where the previous stream's data ended: its filter names are not this one's
    for match in _STREAM.finditer(raw):
        if raw[max(0, match.start() - 3):match.start()] == b"end":
            continue  # "endstream" followed by a line break
        end = raw.find(b"endstream", match.end())
        data = raw[match.end():end if end >= 0 else len(raw)]
        head = raw[max(previous, match.start() - _HINT_WINDOW):match.start()]
        previous = end if end >= 0 else len(raw)
        if decipher is not None:
            found = list(_OBJECT.finditer(head))
            if not found:
                continue
            try:
                data = decipher(int(found[-1].group(1)), int(found[-1].group(2)), data, {})
            except Exception:  # noqa: BLE001 - what cannot be deciphered pdfminer cannot unpack either
                continue
        hints = set(_NAME.findall(_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), head)))
        try:
            size = _decoded_size(data, hints)
        except _Refused as refused:
            raise _error(f"PDF 中有一段数据{refused}", source, hint=refused.hint) from None
        if size > MAX_PDF_STREAM_BYTES:
            raise _error(f"PDF 中有一段压缩数据解压后过大（原为 {len(data):,} 字节，解压后超过 {_size(MAX_PDF_STREAM_BYTES)}），"
                         "像是压缩炸弹", source, "pdf-bomb")
        total += size
        if total > MAX_PDF_DECODED_BYTES:
            raise _error(f"PDF 的压缩数据解压后合计过大（超过 {_size(MAX_PDF_DECODED_BYTES)}）", source, "pdf-bomb")


_HINT_WINDOW = 64 * 1024


def _decoded_size(data: bytes, hints: set[bytes]) -> int:
    """The most `data` can unpack to, over at most four filters, each bounded by the stream limit."""
    size = len(data)
    for _ in range(4):
        try:
            data = _unpacked(data, hints)
        except _TooLarge as large:
            return large.size
        if data is None:
            break
        size = max(size, len(data))
        if len(data) > MAX_PDF_STREAM_BYTES:
            break
    return size


_A85_TEXT = re.compile(rb"^[!-uz\s]*~>$")  # ASCII85 as PDF writes it, ended by ~>
_HEX_TEXT = re.compile(rb"^[0-9A-Fa-f\s]*>$")  # hex ended by >


def _unpacked(data: bytes, hints: set[bytes]) -> bytes | None:
    """`data` with one filter undone, or None when it shows none (then it is counted as it is)."""
    stripped = data.strip()
    if len(stripped) < 2:
        return None
    inflated = _inflated(data)
    if inflated is not None:
        return inflated
    if stripped[:1] == b"\x80" or hints & _LZW:  # LZW opens with its clear code, 256 in nine bits
        decoded = _lzw(data)
        if decoded:
            return decoded
    if hints & _RUNLENGTH:
        if len(data) > _SMALL:
            raise _Refused(f"用游程编码压缩且过大（{len(data):,} 字节）")
        from pdfminer.runlength import rldecode

        try:
            return rldecode(data) or None
        except Exception:  # noqa: BLE001
            return None
    if len(stripped) > 16 and stripped.endswith(b">") and not stripped.endswith(b"~>") and _HEX_TEXT.match(stripped):
        from pdfminer.ascii85 import asciihexdecode

        return asciihexdecode(stripped) or None
    if len(stripped) > 16 and stripped.endswith(b"~>") and _A85_TEXT.match(stripped):
        from pdfminer.ascii85 import ascii85decode

        try:
            return ascii85decode(stripped) or None
        except Exception:  # noqa: BLE001
            return None
    return None


def _inflated(data: bytes) -> bytes | None:
    """What `data` inflates to (zlib, else raw deflate), cut one step past the limit; None if neither."""
    for window in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        inflater = zlib.decompressobj(window)
        kept: list[bytes] = []
        produced = 0
        try:
            for offset in range(0, len(data), 64 * 1024):
                pending = data[offset:offset + 64 * 1024]
                while pending:
                    out = inflater.decompress(pending, 1024 * 1024)
                    kept.append(out)
                    produced += len(out)
                    if produced > MAX_PDF_STREAM_BYTES:
                        raise _TooLarge(produced)
                    pending = inflater.unconsumed_tail
                if inflater.eof:
                    break
        except zlib.error:
            if not produced:
                continue
        if produced:  # pdfminer keeps what inflated before any damage
            return b"".join(kept)
    return None


def _lzw(data: bytes) -> bytes:
    import io

    from pdfminer.lzw import LZWDecoder

    kept: list[bytes] = []
    produced = 0
    try:
        for piece in LZWDecoder(io.BytesIO(data)).run():
            kept.append(piece)
            produced += len(piece)
            if produced > MAX_PDF_STREAM_BYTES:
                raise _TooLarge(produced)
    except _TooLarge:
        raise
    except Exception:  # noqa: BLE001 - damaged LZW ends where pdfminer's own decoder ends it
        pass
    return b"".join(kept)


# ------------------------------------------------------------------ pages ----

_DRAW = re.compile(rb"/([^\s/\[\]<>()%{}]+)\s+Do\b")
_LITERAL = re.compile(rb"\((?:[^()\\]|\\.)*\)", re.S)
_HEXSTRING = re.compile(rb"<[0-9A-Fa-f\s]*>")


def check_pages(document, source: str, max_pages: int) -> int:  # noqa: ANN001 - a pdfminer PDFDocument
    """The number of pages, each page's content measured; refuses past the limits before any is read."""
    import itertools

    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdftypes import resolve1

    pages_root = resolve1(document.catalog.get("Pages")) if isinstance(document.catalog, dict) else None
    declared = resolve1(pages_root.get("Count")) if isinstance(pages_root, dict) else None
    if isinstance(declared, int) and declared > max_pages:
        raise _too_many_pages(declared, max_pages, source)
    pages = list(itertools.islice(PDFPage.create_pages(document), max_pages + 1))
    if len(pages) > max_pages:
        raise _too_many_pages(len(pages), max_pages, source, at_least=True)
    total = 0
    for number, page in enumerate(pages, 1):
        measure = _Measure()
        try:
            measure.contents(page.contents, page.resources, 0)
        except _Refused as refused:
            raise _error(f"PDF 第 {number} 页{refused}", source) from None
        if measure.content > MAX_PDF_PAGE_CONTENT:
            raise _error(f"PDF 第 {number} 页的内容过多（绘制指令超过 {_size(MAX_PDF_PAGE_CONTENT)}，重复绘制的图形按次数计）", source)
        if measure.text > MAX_PDF_PAGE_TEXT:
            raise _error(f"PDF 第 {number} 页的文字过多（{measure.text:,} 字节，上限 {MAX_PDF_PAGE_TEXT:,} 字节）", source)
        total += measure.content
        if total > MAX_PDF_CONTENT:
            raise _error(f"PDF 的内容过多（到第 {number} 页，绘制指令合计超过 {_size(MAX_PDF_CONTENT)}）", source,
                         hint="请只导入含自评表的页")
    return len(pages)


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MB" if count >= 1024 * 1024 else f"{count // 1024} KB"


def _literal(value) -> str:  # noqa: ANN001 - a pdfminer PSLiteral, or anything
    name = getattr(value, "name", value)
    return name.decode("latin-1") if isinstance(name, bytes) else str(name)


def _too_many_pages(count: int, limit: int, source: str, at_least: bool = False):  # noqa: ANN202
    shown = f"超过 {limit} 页" if at_least else f"{count:,} 页"
    return _error(f"PDF 页数过多（{shown}）", source, "table-too-large", hint=f"请只导入含自评表的页（不超过 {limit} 页）")


class _Measure:
    """What a page's content costs: the bytes of drawing instructions and of text it interprets."""

    def __init__(self) -> None:
        self.content = 0
        self.text = 0
        self.forms: dict[int, tuple[int, int]] = {}  # form object -> (content, text) it costs, forms expanded
        self.open: set[int] = set()

    def contents(self, streams, resources, depth: int) -> tuple[int, int]:  # noqa: ANN001
        from pdfminer.pdftypes import PDFStream, resolve1

        content = text = 0
        for stream in streams or ():
            stream = resolve1(stream)
            if not isinstance(stream, PDFStream):
                continue
            if any(_literal(name) in ("CCITTFaxDecode", "CCF") for name, _ in stream.get_filters()):
                raise _Refused("的内容用图像编码写成")
            data = stream.get_data()
            content += len(data)
            if content > MAX_PDF_PAGE_CONTENT:
                break  # already past the limit: the caller refuses
            text += sum(len(m) for m in _LITERAL.findall(data)) + sum(len(m) // 2 for m in _HEXSTRING.findall(data))
            for name in _DRAW.findall(data):
                name = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)
                form_content, form_text = self.form(name.decode("latin-1"), resources, depth)
                content += form_content
                text += form_text
            if content > MAX_PDF_PAGE_CONTENT or text > MAX_PDF_PAGE_TEXT:
                break  # already past the limit: the caller refuses
        if depth == 0:
            self.content, self.text = content, text
        return content, text

    def form(self, name: str, resources, depth: int) -> tuple[int, int]:  # noqa: ANN001
        from pdfminer.pdftypes import PDFStream, resolve1

        resources = resolve1(resources)
        xobjects = resolve1(resources.get("XObject")) if isinstance(resources, dict) else None
        if not isinstance(xobjects, dict) or name not in xobjects:
            return 0, 0
        reference = xobjects[name]
        form = resolve1(reference)
        if not isinstance(form, PDFStream) or _literal(form.get("Subtype")) != "Form":
            return 0, 0
        key = getattr(reference, "objid", None) or id(form)
        if key in self.forms:
            return self.forms[key]
        if key in self.open or depth >= MAX_FORM_DEPTH:
            raise _Refused(f"的图形对象互相引用或嵌套过深（超过 {MAX_FORM_DEPTH} 层）")
        self.open.add(key)
        cost = self.contents([form], form.get("Resources") or resources, depth + 1)
        self.open.discard(key)
        self.forms[key] = cost
        return cost

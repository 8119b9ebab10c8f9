"""Zip containers (.xlsx, .docx, .ods) opened only once their sizes are known to be sane.

An Office file is a zip of XML, and a zip says how big its members are before anything is unpacked —
but it can lie. So, before any XML parser sees a byte, and in this order:

1. the end-of-archive record is read by hand: how many members it lists and how long its directory is
   bound what `zipfile` will build (a directory of a million entries is refused, not listed);
2. every member's declared size and compression ratio, and their total, are checked;
3. every member is inflated in small steps, its output counted, checksummed and thrown away, and
   stopped at its declared size: a member that inflates to more than it says (a zip bomb with a lying
   header), with a compression method no Office program writes, or that zipfile would
   refuse later (a bad CRC, a local name other than the directory's) is refused now.

Each limit is a named constant of `engine.read`; each refusal names the file and the member.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from ..errors import Location, Problem

_END = b"PK\x05\x06"
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"
_LOCAL = b"PK\x03\x04"
_STEP = 64 * 1024  # compressed bytes fed to the inflater at a time, so no copy is ever larger
_SMALL = 1024 * 1024
_RATIO_FROM = 5 * _SMALL  # below this a member may compress as well as it likes (a table of identical rows does)


def open_archive(raw: bytes, source: str):  # noqa: ANN201 - a zipfile.ZipFile
    """The zip in `raw`, its directory and every member's size checked; ReadError otherwise."""
    from . import MAX_ZIP_MEMBERS

    members, directory_bytes = _end_record(raw, source)
    # A directory entry is at least 46 bytes plus a name; allow a generous 1 KiB per member.
    if members > MAX_ZIP_MEMBERS or directory_bytes > MAX_ZIP_MEMBERS * 1024:
        raise _too_many(max(members, directory_bytes // 46), source)
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, ValueError, EOFError, struct.error):
        raise _broken(source) from None  # NotImplementedError: a zip version past what zipfile reads
    if len(infos) > MAX_ZIP_MEMBERS:
        raise _too_many(len(infos), source)
    _check_declared(infos, len(raw), source)
    _check_inflated(raw, infos, source)
    return archive


def _end_record(raw: bytes, source: str) -> tuple[int, int]:
    """(members listed, bytes of the central directory) from the end-of-archive record, as zipfile finds it."""
    at = raw.rfind(_END, max(0, len(raw) - 22 - 65535))
    if at < 0 or len(raw) - at < 22:
        raise _broken(source)
    _, _, _, _, members, directory_bytes, _, _ = struct.unpack_from("<4s4H2LH", raw, at)
    if (members == 0xFFFF or directory_bytes == 0xFFFFFFFF) and at >= 20 and raw[at - 20:at - 16] == _END64_LOCATOR:
        _, _, offset, _ = struct.unpack_from("<4sLQL", raw, at - 20)
        if offset + 56 <= len(raw) and raw[offset:offset + 4] == _END64:
            fields = struct.unpack_from("<4sQ2H2L4Q", raw, offset)
            members, directory_bytes = fields[7], fields[8]
    return members, directory_bytes


def _check_declared(infos: list[zipfile.ZipInfo], size: int, source: str) -> None:
    from . import MAX_MEMBER_BYTES, MAX_UNZIPPED_BYTES, MAX_ZIP_RATIO

    total = 0
    for info in infos:
        if info.file_size > MAX_MEMBER_BYTES:
            raise _member_too_large(info.filename, info.file_size, source)
        if info.file_size > _RATIO_FROM and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise _bomb(info.filename, info.file_size, info.compress_size, source)
        total += info.file_size
    if total > MAX_UNZIPPED_BYTES or total > MAX_ZIP_RATIO * max(size, 1) + 10 * _SMALL:
        raise _too_large(total, size, source)


def _check_inflated(raw: bytes, infos: list[zipfile.ZipInfo], source: str) -> None:
    """Inflate every member, counting and discarding, never past its declared size (nor the limits), and
    check it as zipfile will when it is read — its local name, version and CRC — so that no later read of
    a member can fail in a way no reader expects."""
    view = memoryview(raw)
    for info in infos:
        if info.flag_bits & 0x1:
            raise _unsupported(info.filename, "加密", source)
        start = _data_start(raw, info, source)
        data = view[start:start + info.compress_size]
        if len(data) < info.compress_size:
            raise _broken(source)
        if info.compress_type == zipfile.ZIP_STORED:
            produced, crc = len(data), zlib.crc32(data)
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            produced, crc = _inflated_size(data, info, source)
        else:
            raise _unsupported(info.filename, f"第 {info.compress_type} 种压缩方式", source)
        if produced != info.file_size:
            raise _lying(info.filename, info.file_size, source)
        if crc != info.CRC:
            raise _broken(source)


def _data_start(raw: bytes, info: zipfile.ZipInfo, source: str) -> int:
    at = info.header_offset
    if at < 0 or at + 30 > len(raw) or raw[at:at + 4] != _LOCAL:
        raise _broken(source)
    name_length, extra_length = struct.unpack_from("<2H", raw, at + 26)
    name = raw[at + 30:at + 30 + name_length]
    if name != info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", "replace"):
        raise _broken(source)  # zipfile refuses a member whose local name differs from the directory's
    return at + 30 + name_length + extra_length


def _inflated_size(data: memoryview, info: zipfile.ZipInfo, source: str) -> tuple[int, int]:
    """(bytes produced, their CRC), stopping one byte past the declared size."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    limit = info.file_size + 1  # one byte more than declared is enough to know it lies
    produced = crc = 0
    try:
        for offset in range(0, len(data), _STEP):
            pending = data[offset:offset + _STEP]
            while pending:
                out = inflater.decompress(pending, limit - produced)
                produced += len(out)
                crc = zlib.crc32(out, crc)
                if produced >= limit:
                    return produced, crc
                pending = inflater.unconsumed_tail
            if inflater.eof:
                break
        out = inflater.flush()
        produced, crc = produced + len(out), zlib.crc32(out, crc)
    except zlib.error:
        raise _broken(source) from None
    return produced, crc


# ------------------------------------------------------------------ refusals ----

def _error(message: str, source: str, code: str, hint: str | None = None):  # noqa: ANN202
    from . import ReadError

    return ReadError(Problem(message, Location(source), code=code, hint=hint))


def _broken(source: str):  # noqa: ANN202
    return _error("文件像是压缩包（Excel 或 Word），但已损坏或不完整", source, "broken-zip", "请用 Excel 或 Word 打开后重新保存")


def _too_many(count: int, source: str):  # noqa: ANN202
    from . import MAX_ZIP_MEMBERS

    return _error(f"压缩包里的文件过多（约 {count:,} 个，上限 {MAX_ZIP_MEMBERS:,} 个）", source, "zip-too-large",
                  "真实的 Excel 或 Word 文件只有几十个部件；请检查文件来源")


def _too_large(total: int, size: int, source: str):  # noqa: ANN202
    from . import MAX_UNZIPPED_BYTES

    return _error(f"压缩包解压后过大（{total:,} 字节，文件本身 {size:,} 字节，上限 {MAX_UNZIPPED_BYTES:,} 字节）", source,
                  "zip-too-large", "真实的自评表不会有这么大；请检查文件来源")


def _member_too_large(name: str, size: int, source: str):  # noqa: ANN202
    from . import MAX_MEMBER_BYTES

    return _error(f"压缩包中的“{_shown(name)}”解压后过大（{size:,} 字节，上限 {MAX_MEMBER_BYTES:,} 字节）", source,
                  "zip-too-large", "真实的自评表不会有这么大；请检查文件来源")


def _bomb(name: str, size: int, compressed: int, source: str):  # noqa: ANN202
    from . import MAX_ZIP_RATIO

    return _error(f"压缩包中的“{_shown(name)}”压缩比异常（{compressed:,} 字节解压成 {size:,} 字节，超过 {MAX_ZIP_RATIO} 倍），"
                  "像是压缩炸弹", source, "zip-bomb", "请检查文件来源，不要打开来历不明的文件")


def _lying(name: str, declared: int, source: str):  # noqa: ANN202
    return _error(f"压缩包中的“{_shown(name)}”解压后与声明的大小（{declared:,} 字节）不符，像是压缩炸弹", source, "zip-bomb",
                  "请检查文件来源，不要打开来历不明的文件")


def _unsupported(name: str, how: str, source: str):  # noqa: ANN202
    return _error(f"压缩包中的“{_shown(name)}”使用了{how}，Excel、Word 和 WPS 都不这样保存", source, "broken-zip",
                  "请用 Excel 或 Word 打开后重新保存")


def _shown(name: str) -> str:
    """A member's name as it may be printed: short, on one line, without control characters."""
    name = "".join(ch if ch.isprintable() else "?" for ch in name)
    return name if len(name) <= 80 else name[:80] + "…"

"""Old Office files (.xls) as the compound file they are: one stream read out by hand, bounded.

An .xls is an OLE compound file — a little file system of 512- or 4096-byte sectors chained by a
table — and its `Workbook` stream holds the sheets as BIFF records. calamine unpacks every sheet
into a dense grid as soon as the workbook is opened, sized by the farthest cell; so the stream is read
here first, its records walked (`biff_sheets`) and the workbook refused if a sheet is too large,
before calamine allocates anything. A stream's chain is followed for as many sectors as its length
needs (a stream longer than the file is refused), the directory's to its end; a chain that loops is
refused — calamine follows a looped directory chain for ever.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

_FREE = 0xFFFFFFFA  # sector numbers from here on are markers (end of chain, free, FAT, DIFAT)
_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class CompoundFileError(ValueError):
    """The compound file is damaged: a sector outside the file, a chain that loops."""


def read_stream(raw: bytes, names: tuple[str, ...]) -> bytes | None:
    """The first stream whose name is one of `names` (case-insensitive), or None if there is none."""
    if not raw.startswith(_MAGIC) or len(raw) < 512:
        raise CompoundFileError("不是 OLE 复合文件")
    sector_shift, mini_shift = struct.unpack_from("<2H", raw, 0x1E)
    if sector_shift not in (9, 12) or mini_shift != 6:
        raise CompoundFileError("扇区大小异常")
    size = 1 << sector_shift
    fat_count, directory_start, _, mini_cutoff, minifat_start, minifat_count, difat_start, difat_count = \
        struct.unpack_from("<8L", raw, 0x2C)
    sectors = (len(raw) - size) // size + 1  # the header counts as one

    def sector(number: int) -> bytes:
        start = (number + 1) * size
        if number >= _FREE or start >= len(raw):
            raise CompoundFileError("扇区超出文件范围")
        return raw[start:start + size]

    difat = list(struct.unpack_from("<109L", raw, 0x4C))
    current, seen = difat_start, set()
    while current < _FREE and len(seen) < min(difat_count, sectors):
        if current in seen:
            raise CompoundFileError("扇区链循环")
        seen.add(current)
        entries = struct.unpack(f"<{size // 4}L", sector(current).ljust(size, b"\0"))
        difat.extend(entries[:-1])
        current = entries[-1]
    fat_sectors = [number for number in difat[:fat_count] if number < _FREE]
    fat: list[int] = []
    for number in fat_sectors[:sectors]:
        fat.extend(struct.unpack(f"<{size // 4}L", sector(number).ljust(size, b"\0")))

    def chain(start: int, table: list[int], count: int | None = None) -> list[int]:
        """The sectors of a chain, up to its end or, for a stream of known length, as many as it needs.
        A chain that comes back to a sector it passed is refused: calamine follows a looped directory
        chain for ever."""
        found: list[int] = []
        visited: set[int] = set()
        while start < _FREE and (count is None or len(found) < count):
            if start in visited:
                raise CompoundFileError("扇区链循环")
            if start >= len(table):
                raise CompoundFileError("扇区链超出扇区表")
            visited.add(start)
            found.append(start)
            start = table[start]
        return found

    directory = b"".join(sector(n) for n in chain(directory_start, fat))
    entries = [directory[i:i + 128] for i in range(0, len(directory) - 127, 128)]
    if not entries:
        raise CompoundFileError("没有目录")
    wanted = {name.lower() for name in names}
    for entry in entries:
        name_length = struct.unpack_from("<H", entry, 64)[0]
        kind = entry[66]
        name = entry[:max(0, min(name_length, 64) - 2)].decode("utf-16-le", "replace")
        if kind != 2 or name.lower() not in wanted:
            continue
        start, length = struct.unpack_from("<2L", entry, 116)
        if length > len(raw):  # a stream cannot hold more than the file without reading sectors twice
            raise CompoundFileError("数据流的大小超出文件")
        if length < mini_cutoff:  # a small stream lives in the root entry's mini stream
            root_start, root_length = struct.unpack_from("<2L", entries[0], 116)
            mini_stream = b"".join(sector(n) for n in chain(root_start, fat, -(-min(root_length, len(raw)) // size)))
            minifat_raw = b"".join(sector(n) for n in chain(minifat_start, fat, min(minifat_count, sectors)))
            minifat = list(struct.unpack(f"<{len(minifat_raw) // 4}L", minifat_raw[:len(minifat_raw) // 4 * 4]))
            pieces = [mini_stream[n * 64:(n + 1) * 64] for n in chain(start, minifat, -(-length // 64))]
            return b"".join(pieces)[:length]
        return b"".join(sector(n) for n in chain(start, fat, -(-length // size)))[:length]
    return None


# ------------------------------------------------------------------ BIFF records ----

_BOF, _EOF, _BOUNDSHEET, _MERGED = 0x0809, 0x000A, 0x0085, 0x00E5
_CELLS = {0x0006, 0x00FD, 0x0203, 0x027E, 0x0204, 0x0205, 0x00D6, 0x0406}  # formula, string, number, RK, label, bool …
_MULTIPLE = 0x00BD  # MULRK: one row, a run of columns


@dataclass
class SheetExtent:
    """What a sheet's records say about its size: the box its cells fill, their number, its merged ranges."""

    name: str
    cells: int = 0
    top: int | None = None
    bottom: int = 0
    left: int | None = None
    right: int = 0
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (first row, last row, first col, last col)

    def add(self, row: int, first: int, last: int) -> None:
        self.cells += last - first + 1
        self.top = row if self.top is None else min(self.top, row)
        self.bottom = max(self.bottom, row)
        self.left = first if self.left is None else min(self.left, first)
        self.right = max(self.right, last)


def biff_sheets(stream: bytes, merged_limit: int) -> list[SheetExtent]:
    """Every worksheet's extent, read from the BIFF records of a Workbook (or Book) stream."""
    names: dict[int, str] = {}
    sheets: list[SheetExtent] = []
    current: SheetExtent | None = None
    wide_names = True  # BIFF8 sheet names carry a flags byte; BIFF5 ones do not
    position = depth = 0
    while position + 4 <= len(stream):
        kind, length = struct.unpack_from("<2H", stream, position)
        body = stream[position + 4:position + 4 + length]
        at, position = position, position + 4 + length
        if kind == _BOF:
            depth += 1
            if at == 0 and len(body) >= 2:
                wide_names = struct.unpack_from("<H", body, 0)[0] >= 0x0600
            elif depth == 1:  # a sheet's own substream; a chart inside a sheet is one deeper
                current = SheetExtent(names.get(at, f"第 {len(sheets) + 1} 个工作表"))
                sheets.append(current)
        elif kind == _EOF:
            depth = max(0, depth - 1)
            if depth == 0:
                current = None
        elif kind == _BOUNDSHEET and current is None and len(body) >= 8:
            names[struct.unpack_from("<L", body, 0)[0]] = _sheet_name(body[6:], wide_names)
        elif current is None or depth != 1:
            continue
        elif kind in _CELLS and len(body) >= 4:
            row, column = struct.unpack_from("<2H", body, 0)
            current.add(row, column, column)
        elif kind == _MULTIPLE and len(body) >= 6:
            row, first = struct.unpack_from("<2H", body, 0)
            last = struct.unpack_from("<H", body, len(body) - 2)[0]
            if last >= first:
                current.add(row, first, last)
        elif kind == _MERGED and len(body) >= 2:
            count = struct.unpack_from("<H", body, 0)[0]
            if 2 + 8 * count > len(body):  # calamine reads past the record's end and panics
                raise CompoundFileError(f"工作表“{current.name}”的合并单元格记录已损坏（声称 {count} 处，只写了 "
                                        f"{(len(body) - 2) // 8} 处）")
            current.merged.extend(struct.unpack_from("<4H", body, 2 + 8 * i) for i in range(count))
            if len(current.merged) > merged_limit:
                break
    return sheets


def _sheet_name(text: bytes, wide: bool) -> str:
    """A short string: length, in BIFF8 a flags byte (bit 0: two bytes per character), characters."""
    if not wide:
        return text[1:1 + text[0]].decode("gb18030", "replace") if text else ""
    if len(text) < 2:
        return ""
    length, flags = text[0], text[1]
    if flags & 1:
        return text[2:2 + 2 * length].decode("utf-16-le", "replace")
    return text[2:2 + length].decode("latin-1")

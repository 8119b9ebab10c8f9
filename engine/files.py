"""Writing output files without ever losing what a person wrote.

Every write goes to a temporary file in the same folder and is renamed over the target only when
complete, so an interrupted or failed write leaves the old file as it was. An existing file is
replaced only when the caller says so (`--force`), and never when it is one of the inputs.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import EngineError, Location, Problem


class OutputError(EngineError):
    kind = "output"


def write_atomic(path: str | Path, content: str | bytes, *, force: bool = False,
                 inputs: tuple[str | Path, ...] = ()) -> None:
    target = Path(path)
    if any(_same_file(target, Path(i)) for i in inputs):
        raise OutputError(Problem("不能把结果写到输入文件上，否则原文件会丢失", Location(str(target)),
                                  hint="请换一个输出文件名", code="output-is-input"))
    if target.exists() and not force:
        raise OutputError(Problem("文件已存在，未覆盖", Location(str(target)),
                                  hint="确要覆盖请加 --force，或换一个文件名", code="output-exists"))
    if target.is_dir():
        raise OutputError(Problem("这是一个文件夹，不能当作输出文件", Location(str(target)), code="output-is-dir"))
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(Problem(f"无法在此处写文件：{exc.strerror}", Location(str(target)), code="output-unwritable")) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OutputError(Problem(f"写文件失败：{error.strerror or error}；原文件未改动", Location(str(target)),
                                      code="output-failed")) from None
        raise


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


class InputFileError(EngineError):
    kind = "load"


def read_regular(path: str | Path, limit: int, what: str = "文件") -> bytes:
    """The bytes of a regular file of at most `limit` bytes, or a located refusal.

    Only a regular file is opened: a FIFO would block for ever, a device (/dev/zero) never ends, and
    neither is a document. The size is checked by `stat` before reading, and the read itself is capped,
    so a file that grows (or lies about its size) cannot exhaust memory either."""
    source = str(path)
    try:
        info = os.stat(source)
    except FileNotFoundError:
        raise InputFileError(Problem("文件不存在", Location(source), code="file-not-found")) from None
    except OSError as exc:
        raise InputFileError(Problem(f"无法读取文件：{exc.strerror}", Location(source), code="file-unreadable")) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError(Problem(f"这是一个文件夹，不是{what}", Location(source), code="file-unreadable"))
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(Problem("这不是普通文件（可能是管道、设备或套接字），不能读取", Location(source),
                                     code="not-regular-file"))
    if info.st_size > limit:
        raise InputFileError(Problem(f"文件过大（{info.st_size:,} 字节，上限 {limit:,} 字节）", Location(source),
                                     code="file-too-large"))
    try:
        # O_NONBLOCK: should the path be swapped for a FIFO after the stat, opening it does not wait for a writer.
        descriptor = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise InputFileError(Problem("这不是普通文件（可能是管道、设备或套接字），不能读取", Location(source),
                                             code="not-regular-file"))
            data = stream.read(limit + 1)
    except OSError as exc:
        raise InputFileError(Problem(f"无法读取文件：{exc.strerror}", Location(source), code="file-unreadable")) from None
    if len(data) > limit:
        raise InputFileError(Problem(f"文件过大（超过 {limit:,} 字节）", Location(source), code="file-too-large"))
    return data

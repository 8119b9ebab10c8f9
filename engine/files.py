"""Writing output files without ever losing what a person wrote, and reading only regular files.

Every write goes to a temporary file in the same folder and is renamed over the target only when
complete, so an interrupted or failed write (a full disk included) leaves the old file as it was and
no temporary file behind. An existing file is replaced only when the caller says so (`--force`),
never when it is one of the inputs, and never when it is not a regular file: a device, a FIFO or a
socket named as the output is refused even with `--force` (replacing `/dev/sda`'s node by a regular
file is not what anyone means). The target is looked at when the write is prepared and again just
before the rename; if it changed meanwhile (another run wrote it), it is not replaced.

A new file gets the permissions the umask gives (as any program's would); a replaced file keeps its
own. Temporary files are named `.<target>.<pid>-<random>.tmp` (`.partial` for a batch's results):
hidden, so no batch takes one for an input; a batch's `.partial` left by a killed run is removed by
the next batch writing the same results file, once the process named in it is gone.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .errors import EngineError, Location, Problem

STALE_AFTER_SECONDS = 60  # a temporary file this old whose process is gone is a leftover
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK, errno.EACCES}


class OutputError(EngineError):
    kind = "output"


@dataclass(frozen=True)
class Target:
    """An output file as it was when the write was prepared: where it goes and what was there."""

    path: Path  # the file written: the destination when the name given is a symbolic link
    named: str  # as the person wrote it, for messages
    seen: tuple[int, int, int, int] | None  # (st_dev, st_ino, st_mtime_ns, st_size), None when absent
    mode: int | None  # permission bits kept when an existing file is replaced
    owner: tuple[int, int] | None


def check_target(path: str | Path, *, force: bool = False, inputs: tuple[str | Path, ...] = (),
                 noun: str = "文件") -> Target:
    """Refuse an output that would lose something; otherwise record what is there now.

    Refused even with `force`: one of the inputs (also through a link), a folder, anything but a
    regular file (device, FIFO, socket), a link to nothing."""
    named = str(path)
    target = Path(path)
    if any(_same_file(target, Path(i)) for i in inputs):
        raise OutputError(Problem("不能把结果写到输入文件上，否则原文件会丢失",
                                  Location(named), hint="请换一个输出文件名", code="output-is-input"))
    if os.path.islink(target):
        resolved = Path(os.path.realpath(target))
        if not os.path.lexists(resolved):
            raise OutputError(Problem(f"这是一个符号链接，指向的 {resolved} 不存在，不写入", Location(named),
                                      hint="请写一个普通的文件名", code="output-dangling-link"))
        target = resolved
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return Target(target, named, None, None, None)
    except OSError as exc:
        raise OutputError(Problem(f"无法在此处写文件：{exc.strerror}", Location(named),
                                  code="output-unwritable")) from None
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(Problem("这是一个文件夹，不能当作输出文件", Location(named), code="output-is-dir"))
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(Problem("这不是普通文件（是设备、管道或套接字），不能当作输出文件，加 --force 也不会替换它",
                                  Location(named), hint="请写一个普通的文件名；要输出到屏幕，不写 -o 即可",
                                  code="output-not-regular"))
    if not force:
        raise OutputError(Problem(f"{noun}已存在，未覆盖", Location(named),
                                  hint="确要覆盖请加 --force，或换一个文件名", code="output-exists"))
    return Target(target, named, _identity(info), stat.S_IMODE(info.st_mode) & 0o777, (info.st_uid, info.st_gid))


def _identity(info: os.stat_result) -> tuple[int, int, int, int]:
    return info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


class AtomicFile:
    """A temporary file beside the target, renamed over it by `commit` and removed by `abandon`."""

    def __init__(self, target: Target, suffix: str = ".tmp", *, text: bool = False, keep_aside: bool = False,
                 clean_stale: bool = False):
        self.target, self.keep_aside = target, keep_aside
        folder = target.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if clean_stale:  # once per run, not per file: listing a big folder for every write would add up
                _remove_stale(folder, target.path.name, suffix)
            descriptor, self.temporary = _create(folder, target.path.name, suffix, target.mode)
        except OSError as exc:
            raise _write_error(exc, target, "无法在此处写文件") from None
        try:
            if target.mode is not None and hasattr(os, "fchmod"):
                try:
                    os.fchmod(descriptor, target.mode)  # exactly the replaced file's bits, whatever the umask
                    if target.owner is not None and hasattr(os, "fchown"):
                        os.fchown(descriptor, *target.owner)
                except OSError:
                    pass  # only root may give a file away; FAT has no modes to keep
            self.stream: IO = os.fdopen(descriptor, "w", encoding="utf-8", newline="") if text else os.fdopen(descriptor, "wb")
        except BaseException:
            os.close(descriptor)
            Path(self.temporary).unlink(missing_ok=True)
            raise

    def commit(self) -> None:
        """Make the written file the target; refuse if the target changed since it was looked at."""
        try:
            self.stream.flush()
            os.fsync(self.stream.fileno())
            self.stream.close()
            if _current(self.target.path) != self.target.seen:
                self._changed()
            if self.target.seen is None:
                self._place_new()
            else:
                os.replace(self.temporary, self.target.path)
        except BaseException as error:
            self.abandon()
            if isinstance(error, OSError):
                raise _write_error(error, self.target) from None
            raise

    def abandon(self) -> None:
        try:
            if not self.stream.closed:
                self.stream.close()
        except OSError:
            pass  # a full disk refuses the last flush too; the file is removed either way
        finally:
            Path(self.temporary).unlink(missing_ok=True)

    def _place_new(self) -> None:
        # A hard link never replaces: if another run created the target since we looked, it fails.
        try:
            os.link(self.temporary, self.target.path)
        except FileExistsError:
            self._changed()
        except OSError as error:
            if error.errno not in _NO_HARD_LINKS:
                raise
            # No hard links here (FAT on a USB stick): look once more, then rename.
            if os.path.lexists(self.target.path):
                self._changed()
            os.replace(self.temporary, self.target.path)
            return
        os.unlink(self.temporary)

    def _changed(self) -> None:
        where = Location(self.target.named)
        if self.keep_aside:
            aside = _aside(self.temporary, self.target.path)
            raise OutputError(Problem(f"结果文件在本次运行期间被改动（可能另有一次运行写入了它），未覆盖；本次结果另存为 {aside}",
                                      where, code="output-changed"))
        raise OutputError(Problem("文件在本次运行期间被改动（可能另有程序写入了它），未覆盖；本次输出未写入",
                                  where, hint="请确认后重新运行", code="output-changed"))


def _current(path: Path) -> tuple[int, int, int, int] | None:
    try:
        return _identity(os.stat(path))
    except FileNotFoundError:
        return None


def _aside(temporary: str, target: Path) -> Path:
    """Our output under the first free name `results-1.csv`, `results-2.csv` …, never replacing one."""
    for number in range(1, 10_000):
        aside = target.with_name(f"{target.stem}-{number}{target.suffix}")
        try:
            os.link(temporary, aside)
        except FileExistsError:
            continue
        except OSError as error:
            if error.errno not in _NO_HARD_LINKS:
                raise
            if os.path.lexists(aside):
                continue
            os.rename(temporary, aside)
            return aside
        os.unlink(temporary)
        return aside
    raise OSError(errno.EEXIST, "no free name")


def _prefix(name: str) -> str:
    while len(os.fsencode(name)) > 120:  # leave room in a 255-byte file name for the pid and the suffix
        name = name[:-1]
    return f".{name}."


def _create(folder: Path, name: str, suffix: str, mode: int | None) -> tuple[int, str]:
    # os.open, not mkstemp: the kernel applies the umask to 0o666 as for any new file (mkstemp gives 0o600).
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        import secrets  # only to write: reading a case (engine score's cold start) need not import hashlib

        temporary = str(folder / f"{_prefix(name)}{os.getpid()}-{secrets.token_hex(4)}{suffix}")
        try:
            return os.open(temporary, flags, 0o600 if mode is not None else 0o666), temporary
        except FileExistsError:
            continue
    raise OSError(errno.EEXIST, "no free temporary name")


def _remove_stale(folder: Path, name: str, suffix: str) -> None:
    """Temporary files of this target left by runs that were killed: their process is gone."""
    if os.name != "posix":
        return  # os.kill(pid, 0) is no probe on Windows; leftovers are hidden and ignored there
    pattern = re.compile(re.escape(_prefix(name)) + r"(\d+)-[0-9a-f]{8}" + re.escape(suffix) + r"\Z")
    try:
        names = [entry for entry in os.listdir(folder) if entry.startswith(_prefix(name))]
    except OSError:
        return
    for entry in names:
        match = pattern.match(entry)
        if not match or int(match.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(match.group(1)), 0)
            continue  # its run is still going
        except ProcessLookupError:
            pass
        except OSError:
            continue  # someone else's process: alive
        path = folder / entry
        try:
            if time.time() - os.lstat(path).st_mtime > STALE_AFTER_SECONDS:
                path.unlink()
        except OSError:
            pass


def _write_error(error: OSError, target: Target, what: str = "写文件失败") -> OutputError:
    if error.errno in _DISK_FULL:
        return OutputError(Problem(f"{what}：磁盘空间不足，原文件未改动", Location(target.named), code="disk-full"))
    return OutputError(Problem(f"{what}：{error.strerror or error}；原文件未改动", Location(target.named),
                               code="output-failed"))


def write_atomic(path: str | Path, content: str | bytes, *, force: bool = False,
                 inputs: tuple[str | Path, ...] = ()) -> None:
    target = check_target(path, force=force, inputs=inputs)
    file = AtomicFile(target)
    try:
        file.stream.write(content.encode("utf-8") if isinstance(content, str) else content)
    except BaseException as error:
        file.abandon()
        if isinstance(error, OSError):
            raise _write_error(error, target) from None
        raise
    file.commit()


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
        stream = open_regular(source)
        with stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise InputFileError(Problem(f"无法读取文件：{exc.strerror}", Location(source), code="file-unreadable")) from None
    if len(data) > limit:
        raise InputFileError(Problem(f"文件过大（超过 {limit:,} 字节）", Location(source), code="file-too-large"))
    return data


def open_regular(source: str) -> IO[bytes]:
    """A binary stream on `source` if it is a regular file; a refusal (InputFileError) otherwise."""
    # O_NONBLOCK: should the path be swapped for a FIFO after a stat, opening it does not wait for a writer.
    descriptor = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    stream = os.fdopen(descriptor, "rb")
    if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
        stream.close()
        raise InputFileError(Problem("这不是普通文件（可能是管道、设备或套接字），不能读取", Location(source),
                                     code="not-regular-file"))
    return stream

"""Writing output files without ever losing what a person wrote.

Every write goes to a temporary file in the same folder and is renamed over the target only when
complete, so an interrupted or failed write leaves the old file as it was. An existing file is
replaced only when the caller says so (`--force`), and never when it is one of the inputs.
"""

from __future__ import annotations

import os
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

"""Uploads: read what a browser sends, within limits, into a folder of the workbench's own.

Each upload gets a folder under the process's work folder, named by a random id (the id is all a
URL ever carries). A file is read in chunks and refused past its limit before anything is written; a
zip is measured first (engine.read.archive: member count, sizes, ratio, every member inflated in
bounded steps), then every entry's name is checked — no absolute path, no `..`, no link — and only
then is anything unpacked. A refused upload leaves nothing behind.
"""

from __future__ import annotations

import re
import secrets
import shutil
import stat
import tempfile
import threading
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import EngineError
from .security import MAX_FILE_BYTES, MAX_FILES, MB, Refused

TABLE_SUFFIXES = (".txt", ".tsv", ".csv", ".md", ".xlsx", ".xlsm", ".xls", ".ods", ".docx", ".html", ".htm", ".pdf")
CASE_SUFFIXES = (".yaml", ".yml")
BATCH_SUFFIXES = TABLE_SUFFIXES + CASE_SUFFIXES + (".jsonl",)
ZIP_SUFFIX = ".zip"
KEPT_UPLOADS = 200  # upload folders kept in the work folder; the oldest go first
_CHUNK = 256 * 1024
_ID = re.compile(r"[0-9a-f]{32}\Z")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f/\\:*?\"<>|\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]+")


def safe_name(name: str, default: str = "上传文件") -> str:
    """The last part of a browser's file name, made safe to write: no folders, controls or bidi marks."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" ._") or default
    if len(name.encode("utf-8")) > 150:  # keep the suffix, shorten the stem
        stem, dot, suffix = name.rpartition(".")
        suffix = f".{suffix[:10]}" if dot else ""
        name = (stem or name).encode("utf-8")[:120].decode("utf-8", "ignore") + suffix
    return name


async def read_upload(upload: Any, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of one uploaded file (a starlette UploadFile), refused past `limit`."""
    chunks, size = [], 0
    while True:
        chunk = await upload.read(_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"文件“{safe_name(upload.filename or '')}”过大（超过 {limit // MB} MB），已拒绝，未保存任何文件",
                          "一张自评表通常只有几十 KB；请只上传含表格的文件")
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass
class Entry:
    """A file to be written into an upload's folder: its name (may hold sub-folders from a zip) and bytes."""

    name: str
    data: bytes


def zip_entries(raw: bytes, name: str, suffixes: tuple[str, ...] = BATCH_SUFFIXES) -> tuple[list[Entry], list[str]]:
    """The files of a zip worth scoring, each name checked, and the names left out (other kinds of file).

    The zip is measured before anything is inflated for keeps (engine.read.archive); an entry named with
    an absolute path, a drive, `..` or a link refuses the whole zip, so nothing of it is written."""
    from ..read.archive import open_archive

    try:
        archive = open_archive(raw, name)
    except EngineError as error:
        raise Refused(400, f"压缩包“{name}”无法使用：{error.problems[0].message}",
                      error.problems[0].hint or "请检查压缩包是否完整") from None
    entries, skipped = [], []
    for info in archive.infolist():
        shown = _entry_name(info)
        if _is_link(info):
            raise Refused(400, f"压缩包“{name}”含链接“{shown}”，已拒绝，未解压任何文件", "请只压缩自评表文件本身")
        parts = PurePosixPath(shown.replace("\\", "/")).parts
        if shown.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", shown) or ".." in parts or "\x00" in shown:
            raise Refused(400, f"压缩包“{name}”含不安全的路径“{shown[:120]}”（绝对路径或 ..），已拒绝，未解压任何文件",
                          "这样的压缩包可能想把文件写到别处；请重新压缩自评表文件")
        if info.is_dir():
            continue
        if any(part.startswith(".") or part == "__MACOSX" for part in parts):
            continue  # a Mac's resource forks and hidden files: not tables
        if not shown.lower().endswith(suffixes):
            skipped.append(shown)
            continue
        entries.append(Entry("/".join(safe_name(part) for part in parts), archive.read(info)))
    if len(entries) > MAX_FILES:
        raise Refused(413, f"压缩包“{name}”中的文件过多（{len(entries)} 个，一次至多 {MAX_FILES} 个），已拒绝",
                      "请分几次上传")
    return entries, skipped


def _entry_name(info: zipfile.ZipInfo) -> str:
    """A Chinese Windows zip writes names in GBK without saying so; zipfile then reads them as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _is_link(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


class Workspace:
    """The work folder of one workbench process: one sub-folder per upload, named by a random id."""

    def __init__(self, root: Path | None = None):
        self._temporary = None if root is not None else tempfile.TemporaryDirectory(prefix="engine-workbench-")
        self.root = Path(root) if root is not None else Path(self._temporary.name)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def create(self, entries: list[Entry]) -> tuple[str, Path]:
        """A new upload folder holding `entries`; (its id, its path)."""
        upload_id = secrets.token_hex(16)
        folder = self.root / upload_id
        with self._lock:
            self._prune()
            folder.mkdir()
        try:
            for entry in entries:
                target = folder / entry.name
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.exists():  # two files of one name (from two folders of a zip): number them
                    target = _numbered(target)
                target.write_bytes(entry.data)
        except OSError as error:
            shutil.rmtree(folder, ignore_errors=True)
            raise Refused(507, f"保存上传的文件失败：{error.strerror or error}", "请检查磁盘空间后重试") from None
        return upload_id, folder

    def folder(self, upload_id: str) -> Path:
        if not _ID.match(upload_id) or not (self.root / upload_id).is_dir():
            raise Refused(404, "找不到这次上传（工作台重启后，之前上传的文件不再保留）", "请重新上传")
        return self.root / upload_id

    def _prune(self) -> None:
        folders = sorted((p for p in self.root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
        for old in folders[:max(0, len(folders) - KEPT_UPLOADS + 1)]:
            shutil.rmtree(old, ignore_errors=True)

    def close(self) -> None:
        if self._temporary is not None:
            self._temporary.cleanup()


def _numbered(target: Path) -> Path:
    for n in range(2, 10_000):
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
        if not candidate.exists():
            return candidate
    raise Refused(400, "同名文件过多", None)

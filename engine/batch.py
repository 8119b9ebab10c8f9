"""Batch scoring: every case of a district or province in one run, with a summary and a review (复核,
batch_report) staff can act on.

Inputs are case files, folders of them, JSON Lines files (one case per line) and official tables
(.txt / .tsv / .csv / .xlsx, several cases each). Nothing a file holds stops the batch: a case that
cannot be read, is refused, overflows, or crashes the process scoring it becomes its own error row,
located at its file (and line), and the rest are scored. Work is spread over worker processes
(`Pool`), results come back in input order whatever the number of processes, and are streamed to a
`.partial` file that replaces the results file only when complete. Memory stays flat: neither the
cases nor their results are kept, only the running summary and the identities of the files seen (the
.xlsx and .html writers, which lay out their rows once they have seen them all, keep the records in
an anonymous file).
"""

from __future__ import annotations

import codecs
import errno
import gc
import heapq
import itertools
import json
import os
import re
import selectors
import signal
import stat
import sys
import tempfile
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .batch_report import LOWEST, Summary, reported_figure
from .errors import EngineError, Location, Problem
from .files import (
    AtomicFile,
    InputFileError,
    OutputError,
    Target,
    check_target,
    open_regular,
)
from .safe_text import csv_cell, printable

CASE_SUFFIXES = (".yaml", ".yml")
LINES_SUFFIXES = (".jsonl",)
TABLE_SUFFIXES = (".txt", ".tsv", ".csv", ".md", ".xlsx", ".xlsm", ".xls", ".ods", ".docx", ".html", ".htm", ".pdf")
RESULT_SUFFIXES = (".csv", ".xlsx", ".jsonl", ".html")
WINDOW_PER_JOB = 256  # items taken ahead of the oldest unfinished one, per job (results leave in order)
CHUNK = 16  # items handed to a worker at a time
# Replies a worker sends together: fewer wake-ups of the parent. A worker that dies loses the replies it
# held back; the first of them is run again alone, the rest queued again, so the poisoned item is still found.
REPLY_GROUP = 8
PREFETCH_BYTES = 32 << 10  # the most a chunk sent ahead may carry (a pipe holds 64 KiB)
MAX_AHEAD_BYTES = 64 << 20  # JSON Lines text held ahead of the oldest unfinished item
MAX_LINE_BYTES = 1 << 20  # a case is a few KB; a longer JSON Lines line is refused unread
MAX_JSON_DEPTH = 100  # as for YAML (load.MAX_DEPTH)
MAX_JOBS_PER_CPU = 4
MAX_JOBS_WINDOWS = 61  # WaitForMultipleObjects' limit, which multiprocessing's wait runs into


# ------------------------------------------------------------------ inputs ------------


@dataclass(frozen=True)
class Item:
    """One piece of work: a case or table file, or one line of a JSON Lines file."""

    path: str
    line: int | None = None
    text: bytes | None = None  # the line itself, read in the one pass over its file
    refusal: Problem | None = None  # found while listing the inputs: an error row, nothing to score

    @property
    def label(self) -> str:
        return shown(f"{self.path}:{self.line}" if self.line is not None else self.path)


class Inputs:
    """The work items under the paths given, each file once however often it is reached.

    Folders are walked depth first in name order, without recursion (a deep tree cannot exhaust the
    stack), each folder once by its (st_dev, st_ino): a link to `.` or a link loop adds nothing, and
    a file reached twice (through a link, a hard link, or named twice) is scored once. Hidden names
    (`.git`, editors' and our own temporary files) are passed over. What cannot be listed or opened
    becomes an error row in its place, never a stop: an unreadable folder, a FIFO, device or socket
    under a case's name (never opened), a link that loops, a JSON Lines line over MAX_LINE_BYTES.
    Iterating again starts afresh (the progress bar counts the items first)."""

    def __init__(self, paths: Iterable[str | Path], skip: Iterable[str | Path] = ()):
        self.paths = [str(p) for p in paths]
        self.skip = [str(p) for p in skip]  # the results file itself, should it sit among the inputs
        self.seen: set[tuple[int, int]] = set()
        # Only a file that can be reached twice is remembered (a folder of 200,000 cases holds no set of
        # 200,000 identities): one named on the command line, one a link points to, one with hard links.
        self.reachable_twice: set[tuple[int, int]] = set()
        self.repeated = 0

    def __iter__(self) -> Iterator[Item]:
        self.seen, self.repeated = set(), 0
        self.reachable_twice = _linked_files(self.paths)
        for path in self.skip + self.paths:
            try:
                info = os.stat(path)
            except OSError:
                continue
            if not stat.S_ISDIR(info.st_mode) and info.st_ino:
                self.reachable_twice.add((info.st_dev, info.st_ino))
        for path in self.skip:
            try:
                self._again(os.stat(path))
            except OSError:
                pass
        self.repeated = 0
        for path in self.paths:
            try:
                info = os.stat(path)
            except OSError as error:
                yield Item(path, refusal=_unreachable(path, error))
                continue
            if stat.S_ISDIR(info.st_mode):
                yield from self._walk(path, info)
            else:
                yield from self._file(path, info)

    def _again(self, info: os.stat_result) -> bool:
        if not info.st_ino:
            return False  # a file system without inode numbers: nothing to tell files apart by
        identity = (info.st_dev, info.st_ino)
        if identity in self.seen:
            self.repeated += 1
            return True
        self.seen.add(identity)
        return False

    def _walk(self, top: str, info: os.stat_result) -> Iterator[Item]:
        if self._again(info):
            return
        listing = _list_folder(top)
        if isinstance(listing, Problem):
            yield Item(top, refusal=listing)
            return
        pending = [(top, iter(listing))]
        while pending:
            folder, names = pending[-1]
            name = next(names, None)
            if name is None:
                pending.pop()
                continue
            if name.startswith("."):
                continue
            full = os.path.join(folder, name)
            try:
                info = os.stat(full)
            except OSError as error:
                # A dangling link beside the cases is noise unless it bears a case's name; a loop, a
                # path too long or a refusal to look is reported whatever the name.
                if _wanted(name) or error.errno != errno.ENOENT:
                    yield Item(full, refusal=_unreachable(full, error))
                continue
            if stat.S_ISDIR(info.st_mode):
                if self._again(info):
                    continue
                listing = _list_folder(full)
                if isinstance(listing, Problem):
                    yield Item(full, refusal=listing)
                else:
                    pending.append((full, iter(listing)))
            elif _wanted(name):
                yield from self._file(full, info)

    def _file(self, path: str, info: os.stat_result) -> Iterator[Item]:
        if (info.st_nlink > 1 or (info.st_dev, info.st_ino) in self.reachable_twice) and self._again(info):
            return
        if not stat.S_ISREG(info.st_mode):
            yield Item(path, refusal=Problem("这不是普通文件（可能是管道、设备或套接字），未读取", Location(shown(path)),
                                             code="not-regular-file"))
        elif os.path.splitext(path)[1].lower() in LINES_SUFFIXES:
            yield from _lines(path)
        else:
            yield Item(path)


def work_items(paths: Iterable[str | Path]) -> Iterator[Item]:
    """Every work item under `paths`, in order."""
    return iter(Inputs(paths))


LISTING_CHUNK = 4096  # names of one folder held at a time: a folder of 200,000 cases is read in sorted pieces


def _list_folder(folder: str) -> Iterator[str] | Problem:
    """The folder's names in sorted order. A large folder is scanned once for each piece of LISTING_CHUNK
    names (the smallest after the last piece), so memory stays bounded whatever the folder holds."""
    try:
        with os.scandir(folder) as entries:
            first = heapq.nsmallest(LISTING_CHUNK + 1, (entry.name for entry in entries))
    except OSError as error:
        return Problem(f"无法读取文件夹：{error.strerror or error}", Location(shown(folder)), code="folder-unreadable")
    if len(first) <= LISTING_CHUNK:
        return iter(first)
    return _listing_in_pieces(folder, first[:LISTING_CHUNK])


def _listing_in_pieces(folder: str, piece: list[str]) -> Iterator[str]:
    while piece:
        yield from piece
        if len(piece) < LISTING_CHUNK:
            return
        last = piece[-1]
        try:
            with os.scandir(folder) as entries:
                piece = heapq.nsmallest(LISTING_CHUNK, (entry.name for entry in entries if entry.name > last))
        except OSError:
            return  # the folder went away while being read: what was listed is scored


def _linked_files(paths: list[str]) -> set[tuple[int, int]]:
    """The identities of the regular files a symbolic link under `paths` points to: the only files a walk
    can reach twice besides those with hard links (which say so in st_nlink) and those named twice."""
    linked: set[tuple[int, int]] = set()
    folders: set[tuple[int, int]] = set()
    pending = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode):
            pending.append(path)
    while pending:
        folder = pending.pop()
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in folders:
                continue
            folders.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_symlink():
                        try:
                            target = os.stat(entry.path)
                        except OSError:
                            continue
                        if stat.S_ISDIR(target.st_mode):
                            pending.append(entry.path)
                        elif target.st_ino:
                            linked.add((target.st_dev, target.st_ino))
                    elif entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
        except OSError:
            continue
    return linked


def _wanted(name: str) -> bool:
    lowered = name.lower()
    return not lowered.endswith(".test.yaml") and not lowered.startswith(".") and os.path.splitext(lowered)[1] in (
        CASE_SUFFIXES + LINES_SUFFIXES + TABLE_SUFFIXES)


def _unreachable(path: str, error: OSError) -> Problem:
    where = Location(shown(path))
    if error.errno == errno.ENOENT:
        if os.path.islink(path):
            return Problem("符号链接指向的文件不存在", where, code="file-not-found")
        return Problem("文件不存在", where, code="file-not-found")
    if error.errno == errno.ELOOP:
        return Problem("符号链接循环（链接最终指回自己），无法读取", where, code="link-loop")
    return Problem(f"无法读取：{error.strerror or error}", where, code="file-unreadable")


def _lines(path: str) -> Iterator[Item]:
    """Each non-blank line of a JSON Lines file, read once from top to bottom, a bounded piece at a time."""
    try:
        stream = open_regular(path)
    except InputFileError as error:
        yield Item(path, refusal=error.problems[0])
        return
    except OSError as error:
        yield Item(path, refusal=_unreachable(path, error))
        return
    with stream:
        number = 0
        while True:
            try:
                text = stream.readline(MAX_LINE_BYTES + 1)
                if not text:
                    return
                number += 1
                if len(text) > MAX_LINE_BYTES and not text.endswith(b"\n"):
                    while True:  # the rest of the line is passed over, never held whole
                        rest = stream.readline(1 << 16)
                        if not rest or rest.endswith(b"\n"):
                            break
                    yield Item(path, number, refusal=Problem(
                        f"这一行过长（超过 {MAX_LINE_BYTES:,} 字节），未读取", Location(shown(path), number),
                        hint="JSON Lines 文件每行应为一个案例", code="line-too-long"))
                    continue
            except OSError as error:
                yield Item(path, number + 1, refusal=Problem(f"读到这一行时出错：{error.strerror or error}",
                                                             Location(shown(path), number + 1), code="file-unreadable"))
                return
            if number == 1 and text.startswith(codecs.BOM_UTF8):
                text = text[len(codecs.BOM_UTF8):]
            if text.strip():
                yield Item(path, number, text=text)


_SURROGATES = re.compile("[\ud800-\udfff]")


def shown(text: str) -> str:
    """A file name (or a message naming one) as it can be printed and written: bytes that are not UTF-8,
    which the file system layer hands over as surrogates and no UTF-8 writer accepts, as `\\xff`;
    control and bidi characters as visible marks (safe_text.printable, as every error shows them)."""
    return printable(encodable(text))


def encodable(text: Any) -> Any:
    """Text as any UTF-8 writer accepts it: a lone surrogate (a file name's byte that is not UTF-8, or a
    JSON Lines case's `\\ud800`) written as `\\xff` or `\\ud800`; anything else, and what is not text, as it is."""
    if isinstance(text, str) and _SURROGATES.search(text):
        return _SURROGATES.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}" if 0xDC80 <= ord(m.group()) <= 0xDCFF
                               else f"\\u{ord(m.group()):04x}", text)
    return text


# ------------------------------------------------------------------ scoring one item -----

_SCHEME: Any = None
_FULL_RESULTS = False
_CSV_ROWS = False  # the worker renders each record's CSV row, so the parent only writes it


def _start_worker(scheme_path: str, results: bool | str, scheme: Any = None) -> None:
    """`results`: the results file's suffix (.jsonl: every result whole; .csv: the row rendered here), or a bool
    saying whether every result is wanted whole."""
    global _SCHEME, _FULL_RESULTS, _CSV_ROWS
    if scheme is None:
        from .api import load_scheme

        scheme = load_scheme(scheme_path)
    _SCHEME = scheme
    _FULL_RESULTS = results is True or results == ".jsonl"
    _CSV_ROWS = results == ".csv"


def score_item(item: Item) -> list[dict[str, Any]]:
    """The records of one work item: one per case it holds (several for a table file).

    Whatever goes wrong is this item's error row, located at its file (and line): a refusal, a
    number beyond Decimal's range, a recursion or memory limit, a defect of the engine."""
    from .evaluate import evaluate
    from .bind import bind_case

    if item.refusal is not None:
        return [_error_record(item.label, [item.refusal])]
    try:
        documents = _documents(item)
    except EngineError as error:
        return [_error_record(item.label, error.problems)]
    except Exception as error:  # noqa: BLE001 - one case's failure is that case's row, never the batch's end
        return [_failed(item, item.label, error)]
    records = []
    for label, document in documents:
        try:
            case, problems = bind_case(_SCHEME, document)
            if problems:
                raise EngineError(problems)
            records.append(_record(label, evaluate(_SCHEME, case), case))
        except EngineError as error:
            records.append(_error_record(label, error.problems))
        except Exception as error:  # noqa: BLE001 - as above
            records.append(_failed(item, label, error))
    return records


def _documents(item: Item) -> list[tuple[str, Any]]:
    from .load import Document, load_document

    if item.text is not None:
        return [(item.label, Document(item.path, _json_line(item), {(): (item.line, 1)}))]
    if Path(item.path).suffix.lower() in TABLE_SUFFIXES:
        from .importer import case_document, import_tables

        return [(shown(f"{item.path}［{case.name}］"), case_document(case)) for case in import_tables(item.path)]
    return [(item.label, load_document(item.path))]


_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _json_depth(text: bytes) -> int:
    """How deeply the line's arrays and objects nest (brackets inside strings do not count)."""
    if text.count(b"[") + text.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # too few brackets to nest too deep: no need to look closer
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        first = token.group()[:1]
        if first in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return depth
        elif first in (b"]", b"}"):
            depth -= 1
    return depth


def _json_line(item: Item) -> Any:
    from .load import LoadError

    def refused(message: str, column: int | None = None, code: str = "bad-json") -> LoadError:
        return LoadError(Problem(message, Location(shown(item.path), item.line, column), code=code))

    assert item.text is not None
    if _json_depth(item.text) > MAX_JSON_DEPTH:
        raise refused(f"这一行嵌套过深（超过 {MAX_JSON_DEPTH} 层）", code="json-too-deep")
    try:
        return json.loads(item.text, parse_float=Decimal, parse_constant=_refuse_constant)
    except RecursionError:
        raise refused(f"这一行嵌套过深（超过 {MAX_JSON_DEPTH} 层）", code="json-too-deep") from None
    except UnicodeDecodeError:
        raise refused("这一行不是 UTF-8 编码的文本", code="bad-encoding") from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            raise refused("这一行有位数过多的整数，不是预算表中的数字") from None
        raise refused(f"这一行不是有效的 JSON：{getattr(exc, 'msg', exc)}", getattr(exc, "colno", None)) from None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"不接受 {name}（无穷大或非数值）")


def _record(label: str, result: Any, case: Any = None) -> dict[str, Any]:
    """The plain record of a scored case: what the results files and the review (batch_report) need.

    `losses` are the points each 三级 indicator lost, keyed by its 一级 and its own name (a project's
    rows are its own, so the same name in two projects is taken for the same indicator, as a reviewer
    reading across a district does); `subtotals` are the scores per 一级 (the top of the indicator tree);
    `reported_total` and `reported_grade` are what the case's own table says (`reported.total`,
    `reported.grade`), where it says so."""
    lost_by_key: dict[tuple[str, str], Decimal] = {}
    subtotals: dict[str, Decimal] = {}
    for record in result.records:  # IndicatorResult's fields by position, unmade: this runs for every row of every case
        source, weight, score = record[0], record[2], record[3]
        path = source.path
        top = path[0] if path else source.name
        subtotals[top] = subtotals[top] + score if top in subtotals else score
        if weight > score:
            # a case's own row sits under its own 一级 (a scheme's leaf has none: the top of its path)
            key = (getattr(source, "level1", None) or top, source.name or "（未命名指标）")
            lost = weight - score
            lost_by_key[key] = lost_by_key[key] + lost if key in lost_by_key else lost
    identity = result.case
    reported_total, reported_grade = _reported(case)
    record = {
        "case": label, "name": encodable(identity.get("name")), "department": encodable(identity.get("department")),
        "implementer": encodable(identity.get("implementer")),
        "total": format(result.total, "f"), "max_total": format(result.max_total, "f"), "grade": result.grade,
        "reported_total": reported_total, "reported_grade": reported_grade,
        "failed_checks": [c.name for c in result.checks if c.status == "failed"],
        "losses": [(level1, name, format(lost, "f")) for (level1, name), lost in lost_by_key.items()],
        "subtotals": [(name, format(score, "f")) for name, score in subtotals.items()], "error": None,
    }
    if _CSV_ROWS:
        record["csv"] = csv_line(record)
    if _FULL_RESULTS:
        from .report import dumps, result_to_dict

        text = dumps(result_to_dict(result), indent=0).replace("\n", "")
        # a lone surrogate from a JSON Lines case, inside a JSON string: its \\u escape, as it was read
        record["result"] = _SURROGATES.sub(lambda m: f"\\u{ord(m.group()):04x}", text) if _SURROGATES.search(text) else text
    return record


def _reported(case: Any) -> tuple[str | None, str | None]:
    """The total and grade the case's own table reports (`reported.total`, `reported.grade`), as text."""
    data = getattr(getattr(case, "document", None), "data", None)
    reported = data.get("reported") if isinstance(data, dict) else None
    if not isinstance(reported, dict):
        return None, None
    total = reported_figure(reported.get("total"))
    grade = reported.get("grade")
    grade = printable(encodable(grade)).strip()[:40] or None if isinstance(grade, str) else None
    return (None if total is None else format(total, "f")), grade


def _error_record(label: str, problems: list[Problem]) -> dict[str, Any]:
    return {"case": label, "name": None, "department": None, "implementer": None, "total": None, "max_total": None,
            "grade": None, "reported_total": None, "reported_grade": None, "failed_checks": [], "losses": [],
            "subtotals": [], "error": "\n".join(shown(str(p)) for p in problems)}


def _failed(item: Item, label: str, error: BaseException) -> dict[str, Any]:
    """A case the engine could not finish: its row says why, in words for the person who sent it."""
    if isinstance(error, RecursionError):
        message = "嵌套过深，无法计分"
    elif isinstance(error, MemoryError):
        message = "所需内存过多，无法计分"
    elif isinstance(error, ArithmeticError):  # decimal.Overflow, InvalidOperation, DivisionByZero …
        message = "数值超出可计算的范围，无法计分"
    else:
        message = (f"无法计分：处理这个案例时程序出错（{type(error).__name__}：{str(error)[:200]}），"
                   "请把这个文件报告给维护者")
    return _error_record(label, [Problem(message, Location(shown(item.path), item.line), code="case-failed")])


def _crashed(item: Item, exitcode: int | None) -> dict[str, Any]:
    if exitcode is not None and exitcode < 0:
        try:
            how = f"信号 {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"信号 {-exitcode}"
    else:
        how = f"退出码 {exitcode}"
    return _error_record(item.label, [Problem(
        f"计分进程处理这个案例时异常终止（{how}），单独重试仍然如此；这个案例未计分，其余照常",
        Location(shown(item.path), item.line),
        hint="可能是文件内容触发了所用程序库的缺陷（如嵌套极深的 YAML），请把这个文件报告给维护者",
        code="worker-crashed")])


# ------------------------------------------------------------------ worker processes ----

_READY = "ready"


def _worker(connection: Any, scheme_path: str, full_results: bool | str, scheme: Any, inherited: list) -> None:
    """A worker process: score the items it is sent, one reply per item, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: no tracebacks here
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the parent while starting us
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if os.name == "posix":
        signal.set_wakeup_fd(-1)  # the parent's, copied by fork
    for other in inherited:  # the parent's ends of pipes, copied by fork: held here, they would hide EOFs
        other.close()
    import faulthandler

    if not os.environ.get("ENGINE_DEBUG"):
        faulthandler.disable()  # a crash is reported as the case's row, not as a dump on the terminal
    try:
        _start_worker(scheme_path, full_results, scheme)
        # A case leaves few cycles behind, yet its thousands of small objects kept the collector busy scanning
        # the scheme and the libraries: those are frozen out of its sight, and it runs a fiftieth as often.
        # About 13 % of a 20-row case.
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        crash = _test_crash()
        connection.send(_READY)
        while True:
            work = connection.recv()
            if work is None:
                return
            replies = []
            for index, item in work:
                if crash is not None:
                    crash(item)
                replies.append((index, score_item(item)))
                if len(replies) == REPLY_GROUP:
                    connection.send(replies)
                    replies = []
            if replies:
                connection.send(replies)
    except (EOFError, OSError):
        return  # the parent is gone
    except BaseException:  # noqa: BLE001 - e.g. a reply too big to pickle: no traceback on the terminal;
        os._exit(1)  # the parent sees the death, retries the item alone, and reports it as that item's row


def _test_crash() -> Callable[[Item], None] | None:
    """A hook for the tests of crash recovery, read in worker processes only.

    ENGINE_TEST_CRASH_ON=<names> (comma-separated file names, or `name:line` for a JSON Lines line)
    makes the worker die on such an item: by SIGSEGV, or as ENGINE_TEST_CRASH_WITH says — `exit`
    (os._exit(70)), `kill` (SIGKILL), `hang` (wait until killed). The recovery path is then the one
    a real crash takes (the YAML C parser on a deep file), whether or not the parser still crashes."""
    names = os.environ.get("ENGINE_TEST_CRASH_ON")
    if not names:
        return None
    wanted = set(names.split(","))
    how = os.environ.get("ENGINE_TEST_CRASH_WITH", "segv")

    def crash(item: Item) -> None:
        name = os.path.basename(item.path)
        if name not in wanted and f"{name}:{item.line}" not in wanted:
            return
        if how == "exit":
            os._exit(70)
        if how == "hang":
            while True:
                time.sleep(3600)
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM) if how == "kill" else signal.SIGSEGV)

    return crash


def _small(waiting: deque) -> bool:
    """Is the next chunk small enough to send a worker still busy with half of its last one? Sent ahead, it
    waits in the pipe, and the worker never idles while the parent wakes; a chunk of long JSON Lines
    lines is never sent ahead, so that neither side can block on a full pipe while the other writes."""
    return sum(len(item.text or b"") for _, item in itertools.islice(waiting, CHUNK)) <= PREFETCH_BYTES


class _Worker:
    def __init__(self, process: Any, connection: Any, single_use: bool):
        self.process, self.connection, self.single_use = process, connection, single_use
        self.in_flight: deque[tuple[int, Item]] = deque()  # sent, not yet answered, in the order sent
        self.ready = False


class PoolError(EngineError):
    kind = "batch"


class Pool:
    """Worker processes fed a few items at a time, where a crash costs only the item that caused it.

    A worker answers a few items at a time (REPLY_GROUP), in order, so when one dies the parent knows
    the first item it had not answered: that item is run again alone in a fresh single-use process —
    if it kills that one too, it is the poisoned one and becomes its error row; if not (the death was
    on a later item, or had another cause, such as the OOM killer), its result is used — and the
    items queued behind it go back to the queue, where the poisoned one comes first in its turn. A
    dead worker is replaced when there is work for it; workers are started only as the work needs
    them, so never more than there are items. A worker is sent its next chunk when half of its last
    is left, if that chunk is small (PREFETCH_BYTES): no pipe can fill while the other side writes.
    Ctrl-C, or any failure of the parent, terminates them all."""

    def __init__(self, scheme_path: str, scheme: Any, full_results: bool | str, jobs: int):
        import multiprocessing

        self.context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        self.forking = self.context.get_start_method() == "fork"
        self.scheme_path, self.scheme, self.full_results, self.jobs = scheme_path, scheme, full_results, jobs
        self.window = WINDOW_PER_JOB * jobs
        self.workers: list[_Worker] = []
        self.failed_starts = 0
        self.interrupt = _Interrupt()  # replaced by run_batch with one that is listening
        # One selector for the whole run, told of each worker as it comes and goes: building one for every
        # wait (as multiprocessing.connection.wait does) cost the parent more than its share of the work.
        # (Windows selects sockets only: there multiprocessing's own wait is used.)
        self.selector = selectors.DefaultSelector() if os.name == "posix" else None
        self.listening: list[int] = []

    def scored(self, items: Iterable[Item]) -> Iterator[tuple[Item, list[dict[str, Any]]]]:
        """(item, its records) for every item, in input order."""
        source = iter(items)
        waiting: deque[tuple[int, Item]] = deque()  # taken from the inputs, not yet sent
        retry: deque[tuple[int, Item]] = deque()  # an item a worker died on, to run alone
        done: dict[int, tuple[Item, list]] = {}
        taken = given = ahead = 0
        exhausted = finished = False
        try:
            while True:
                self.interrupt.check()
                while not exhausted and taken - given < self.window and ahead < MAX_AHEAD_BYTES:
                    item = next(source, None)
                    if item is None:
                        exhausted = True
                        break
                    if item.refusal is not None:
                        done[taken] = (item, score_item(item))  # nothing to score: no process needed
                    else:
                        waiting.append((taken, item))
                    ahead += len(item.text or b"")
                    taken += 1
                while given in done:
                    item, records = done.pop(given)
                    ahead -= len(item.text or b"")
                    given += 1
                    yield item, records
                if exhausted and given == taken:
                    finished = True
                    return
                self._dispatch(waiting, retry, done)
                self._wait(waiting, retry, done)
        finally:
            self.close(orderly=finished)

    def _dispatch(self, waiting: deque, retry: deque, done: dict) -> None:
        while retry:  # ahead of anything else: the results in order wait for it
            worker = self._start(single_use=True)
            if worker is None:
                break
            self._send(worker, [retry.popleft()])
        idle = [w for w in self.workers if not w.single_use and (
            not w.in_flight or (len(w.in_flight) <= CHUNK // 2 and _small(waiting)))]
        while waiting and (idle or len(self.workers) < self.jobs):
            worker = idle.pop() if idle else self._start(single_use=False)
            if worker is None:
                break
            size = max(1, min(CHUNK, len(waiting) // self.jobs))
            self._send(worker, [waiting.popleft() for _ in range(min(size, len(waiting)))])

    def _start(self, single_use: bool) -> _Worker | None:
        parent_end = child_end = None
        try:
            parent_end, child_end = self.context.Pipe()
            inherited = [w.connection for w in self.workers] + [parent_end] if self.forking else []
            process = self.context.Process(target=_worker, daemon=True, args=(
                child_end, self.scheme_path, self.full_results, self.scheme if self.forking else None, inherited))
            with _sigint_deferred():
                process.start()
                child_end.close()
                worker = _Worker(process, parent_end, single_use)
                self.workers.append(worker)
                if self.selector is not None:
                    self.selector.register(worker.connection, selectors.EVENT_READ)
                    self.selector.register(worker.process.sentinel, selectors.EVENT_READ)
        except OSError as error:
            for end in (parent_end, child_end):
                if end is not None:
                    end.close()
            if self.workers:
                return None  # carry on with the workers there are
            raise PoolError(Problem(f"无法启动计分进程：{error.strerror or error}", Location("engine batch"),
                                    code="no-worker")) from None
        return worker

    @staticmethod
    def _send(worker: _Worker, work: list[tuple[int, Item]]) -> None:
        worker.in_flight.extend(work)
        try:
            worker.connection.send(work)
        except OSError:
            pass  # it has died: its sentinel says so, and the items go back from _bury

    def _wait(self, waiting: deque, retry: deque, done: dict) -> None:
        if not self.workers:
            return
        if self.selector is None:
            from multiprocessing.connection import wait

            ready = set(wait([w.connection for w in self.workers] + [w.process.sentinel for w in self.workers]))
        else:
            ready = self._ready()
        self.interrupt.check()
        for worker in list(self.workers):
            if worker.connection not in ready and worker.process.sentinel not in ready:
                continue
            dead = worker.process.sentinel in ready
            alive = self._receive(worker, done, every=dead) and not dead
            if not alive:
                self._bury(worker, waiting, retry, done)
            elif worker.single_use and worker.ready and not worker.in_flight:
                self._stop(worker)

    def _ready(self) -> set[Any]:
        assert self.selector is not None
        for descriptor in self.interrupt.wakeup:
            if descriptor not in self.listening:
                self.selector.register(descriptor, selectors.EVENT_READ)
                self.listening.append(descriptor)
        return {key.fileobj for key, _ in self.selector.select()}

    def _receive(self, worker: _Worker, done: dict, every: bool = True) -> bool:
        """The reply waiting from `worker` — or every one, when it has died; False when its pipe is closed.

        One reply a wake-up is enough while it lives: the selector wakes again for the next (asking the pipe
        whether more is there costs a selector of its own each time)."""
        try:
            if every or self.selector is None:
                while worker.connection.poll():
                    self._take(worker, worker.connection.recv(), done)
            else:
                self._take(worker, worker.connection.recv(), done)
        except Exception:  # noqa: BLE001 - EOF, or a reply cut short by the death of its sender
            return False
        return True

    def _take(self, worker: _Worker, message: Any, done: dict) -> None:
        if message == _READY:
            worker.ready = True
            self.failed_starts = 0
            return
        for index, records in message:
            _, item = worker.in_flight.popleft()
            done[index] = (item, records)

    def _bury(self, worker: _Worker, waiting: deque, retry: deque, done: dict) -> None:
        self._forget(worker)
        worker.connection.close()
        worker.process.join(5)
        if worker.process.is_alive():  # its pipe broke but it lives on: make sure
            worker.process.kill()
            worker.process.join()
        if not worker.ready:
            self.failed_starts += 1
            if self.failed_starts >= 3:
                raise PoolError(Problem(f"计分进程无法启动（退出码 {worker.process.exitcode}）", Location("engine batch"),
                                        code="no-worker"))
        if worker.in_flight:
            index, item = worker.in_flight.popleft()  # the one it was on; the rest never started
            if worker.single_use:
                done[index] = (item, [_crashed(item, worker.process.exitcode)])
            else:
                retry.append((index, item))
            waiting.extendleft(reversed(worker.in_flight))

    def _stop(self, worker: _Worker) -> None:
        self._forget(worker)
        try:
            worker.connection.send(None)
        except OSError:
            pass
        worker.connection.close()
        worker.process.join()

    def _forget(self, worker: _Worker) -> None:
        self.workers.remove(worker)
        for source in (worker.connection, worker.process.sentinel) if self.selector is not None else ():
            try:
                self.selector.unregister(source)
            except (KeyError, ValueError, OSError):
                pass

    def close(self, orderly: bool) -> None:
        """Stop every worker: told to, after the last item; terminated, on Ctrl-C or a failure."""
        for worker in self.workers:
            if orderly:
                try:
                    worker.connection.send(None)
                except OSError:
                    pass
            else:
                worker.process.terminate()
        for worker in self.workers:
            worker.process.join(5 if orderly else 1)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.connection.close()
        self.workers.clear()
        if self.selector is not None:
            self.selector.close()


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Ctrl-C held back (blocked, not lost) while a worker is started and recorded: the child is born
    with it blocked and ignores it before unblocking, and the parent gets it once the worker is known."""
    if not hasattr(signal, "pthread_sigmask"):
        yield  # Windows: the worker ignores Ctrl-C from its first line
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def job_count(requested: int | None) -> int:
    """`--jobs`, or every core, within MAX_JOBS_PER_CPU per core (and Windows' limit)."""
    cores = os.cpu_count() or 1
    cap = MAX_JOBS_PER_CPU * cores
    if sys.platform == "win32":
        cap = min(cap, MAX_JOBS_WINDOWS)
    return max(1, min(requested or cores, cap))


# ------------------------------------------------------------------ writers ------------


class _ResultsFile(AtomicFile):
    """Results streamed to `.<name>.<pid>-<random>.partial` beside the target, renamed over it only when
    complete; should the target have changed since the run began, the results are kept under a side name."""

    def __init__(self, target: Target, binary: bool = False):
        super().__init__(target, ".partial", text=not binary, keep_aside=True, clean_stale=True)


# Other programs read these columns by position: new ones go at the end.
_CSV_HEADER = ["案例", "名称", "主管部门", "总分", "满分", "等级", "勾稽核对不符", "错误", "实施单位", "自评总分", "自评等级"]


def csv_row(record: dict[str, Any]) -> list[str]:
    """The record's row of the results CSV, every cell safe for a spreadsheet (safe_text.csv_cell)."""
    return [csv_cell(cell) for cell in (
        record["case"], record["name"] or "", record["department"] or "", record["total"] or "",
        record["max_total"] or "", record["grade"] or "", "；".join(record["failed_checks"]), record["error"] or "",
        record["implementer"] or "", record["reported_total"] or "", record["reported_grade"] or "")]


class _CsvLine:
    """A row rendered as the results file's text, by the csv module, as CsvWriter's own writer would."""

    def __init__(self) -> None:
        import csv
        import io

        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def __call__(self, row: list[str]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(row)
        return self.buffer.getvalue()


_csv_line: _CsvLine | None = None


def csv_line(record: dict[str, Any]) -> str:
    """The record's line of the results CSV, as text: a worker renders it, and the parent, which has a
    share of one core to feed every worker, only writes it (one string to unpickle, not eleven)."""
    global _csv_line
    if _csv_line is None:
        _csv_line = _CsvLine()
    return _csv_line(csv_row(record))


class CsvWriter:
    def __init__(self, target: Path, title: str = "", noun: str = ""):
        import csv

        self.file = _ResultsFile(target)
        self.file.stream.write("\ufeff")
        self.writer = csv.writer(self.file.stream, lineterminator="\r\n")
        self.writer.writerow(_CSV_HEADER)

    def add(self, record: dict[str, Any]) -> None:
        line = record.get("csv")
        if line is None:
            self.writer.writerow(csv_row(record))
        else:
            self.file.stream.write(line)

    def finish(self, summary: Summary) -> None:
        self.file.commit()


class JsonLinesWriter:
    def __init__(self, target: Path, title: str = "", noun: str = ""):
        self.file = _ResultsFile(target)

    def add(self, record: dict[str, Any]) -> None:
        if record.get("result"):
            self.file.stream.write(record["result"][:-1] + f', "source": {json.dumps(record["case"], ensure_ascii=False)}}}\n')
        else:
            self.file.stream.write(json.dumps({"source": record["case"], "error": record["error"]}, ensure_ascii=False) + "\n")

    def finish(self, summary: Summary) -> None:
        self.file.commit()


_SPOOLED = ("case", "name", "department", "implementer", "total", "max_total", "grade", "reported_total",
            "reported_grade", "failed_checks", "subtotals", "error")


class _Spool:
    """Every record, for a writer that lays out its rows only once it has seen them all (the widths of the
    columns, which 一级 have columns): they wait in an anonymous file, not in memory, and are read again
    as often as needed."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile("w+", encoding="utf-8")

    def add(self, record: dict[str, Any]) -> None:
        # ASCII JSON: a lone surrogate from a JSON Lines case is kept as an escape, never an encoding error
        self.file.write(json.dumps([record[key] for key in _SPOOLED]) + "\n")

    def __call__(self) -> Iterator[dict[str, Any]]:
        self.file.seek(0)
        for line in self.file:
            yield dict(zip(_SPOOLED, json.loads(line)))

    def errors(self) -> Iterator[str]:
        return (record["error"].splitlines()[0] for record in self() if record["error"] is not None)

    def close(self) -> None:
        self.file.close()


class XlsxWriter:
    """A workbook for review: “结果” (one row per case), the review's sheets (batch_report), “汇总”."""

    def __init__(self, target: Target, title: str = "", noun: str = "项目"):
        self.target, self.noun = target, noun
        self.spool = _Spool()

    def add(self, record: dict[str, Any]) -> None:
        self.spool.add(record)

    def finish(self, summary: Summary) -> None:
        from .batch_report import write_review_workbook

        file = _ResultsFile(self.target, binary=True)
        try:
            write_review_workbook(file.stream, summary, self.spool, self.noun)
            file.commit()
        except BaseException:
            file.abandon()
            raise
        finally:
            self.spool.close()

    def abandon(self) -> None:
        self.spool.close()


class HtmlWriter:
    """The review as a page (batch_report): the figures, charts, the review's tables, every error, every case."""

    def __init__(self, target: Target, title: str, noun: str = "项目"):
        self.target, self.title, self.noun = target, title, noun
        self.spool = _Spool()

    def add(self, record: dict[str, Any]) -> None:
        self.spool.add(record)

    def finish(self, summary: Summary) -> None:
        from .batch_report import review_html_pieces

        file = _ResultsFile(self.target)
        try:
            for piece in review_html_pieces(summary, self.title, self.spool(), self.spool.errors(), self.noun):
                file.stream.write(piece)
        except BaseException:
            file.abandon()
            self.spool.close()
            raise
        self.spool.close()
        file.commit()

    def abandon(self) -> None:
        self.spool.close()


def _writer(target: Target, title: str, noun: str) -> Any:
    suffix = Path(target.named).suffix.lower()
    return {".csv": CsvWriter, ".jsonl": JsonLinesWriter, ".xlsx": XlsxWriter, ".html": HtmlWriter}[suffix](
        target, title, noun)


def _abandon(writer: Any) -> None:
    if hasattr(writer, "abandon"):
        writer.abandon()
    if getattr(writer, "file", None) is not None:
        writer.file.abandon()


# ------------------------------------------------------------------ the run -------------


@dataclass
class BatchOutcome:
    summary: Summary
    output: str
    repeated: int = 0  # files and folders reached more than once (links, names given twice), scored once


def run_batch(scheme_path: str | Path, inputs: list[str | Path], output: str | Path, *, jobs: int | None = None,
              force: bool = False, on_record: Callable[[dict[str, Any]], None] | None = None,
              progress: Callable[[int], None] | None = None, lowest: int = LOWEST) -> BatchOutcome:
    """Score every case under `inputs` by the scheme; stream results to `output`; return the summary,
    with its review (batch_report: `lowest` is how many of the lowest totals it lists)."""
    from .api import load_scheme

    if Path(output).suffix.lower() not in RESULT_SUFFIXES:
        raise OutputError(Problem(f"结果文件应为 {'、'.join(RESULT_SUFFIXES)} 之一", Location(str(output)),
                                  code="output-kind"))
    # What the results file is now is recorded before any work starts, and checked again at the rename.
    target = check_target(output, force=force, inputs=(scheme_path, *inputs), noun="结果文件")
    scheme = load_scheme(scheme_path)  # a bad scheme stops the run before any work starts
    summary = Summary([g.name for g in scheme.grades], scheme.places, max(1, lowest))
    walk = Inputs(inputs, skip=[target.path] if target.seen is not None else [])
    pool = Pool(str(scheme_path), scheme, Path(output).suffix.lower(), job_count(jobs))
    writer = None
    try:
        # Listening for Ctrl-C and kill before the `.partial` exists, so that none can leave it behind.
        with _Interrupt() as pool.interrupt:
            writer = _writer(target, f"{scheme.title}（{scheme.fiscal_year}）批量计分复核",
                             "项目" if scheme.case_kind == "project" else "名称")
            for _, records in pool.scored(walk):
                for record in records:
                    writer.add(record)
                    summary.add(record)
                    if on_record is not None:
                        on_record(record)
                if progress is not None:
                    progress(1)
        writer.finish(summary)
    except BaseException as error:
        if writer is not None:
            _abandon(writer)
        if isinstance(error, OSError):
            full = error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
            raise OutputError(Problem(
                "写结果文件失败：" + ("磁盘空间不足，原文件未改动" if full else f"{error.strerror or error}；原文件未改动")
                + "（未留下不完整的结果文件）", Location(target.named), code="disk-full" if full else "output-failed")) from None
        raise
    return BatchOutcome(summary, target.named, walk.repeated)


class _Interrupt:
    """Ctrl-C and `kill` (SIGTERM) during a batch: noted by the signal handler, acted on by the pool's
    loop, which wakes on it. Raising KeyboardInterrupt from the handler itself could land in a
    finaliser, where Python drops it ("Exception ignored"), and the run would go on waiting for a
    worker that never finishes. Once acted on, the workers are terminated and no `.partial` is left."""

    def __init__(self) -> None:
        self.signalled = False
        self.wakeup: list[int] = []  # a pipe the pool also waits on, written to when a signal arrives
        self.previous: dict[int, Any] = {}
        self.previous_wakeup = -1

    def __enter__(self) -> _Interrupt:
        if threading.current_thread() is not threading.main_thread() or os.name != "posix":
            return self  # Ctrl-C then raises where it lands, as Python does by default
        read, write = os.pipe()
        for end in (read, write):
            os.set_blocking(end, False)
        self.wakeup, self._write = [read], write
        self.previous_wakeup = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        for number in (signal.SIGINT, signal.SIGTERM):
            self.previous[number] = signal.signal(number, self._note)
        return self

    def _note(self, signum: int, frame: Any) -> None:
        self.signalled = True

    def check(self) -> None:
        if self.signalled:
            self.signalled = False
            raise KeyboardInterrupt

    def __exit__(self, *exc_info: object) -> None:
        if not self.wakeup:
            return
        for number, handler in self.previous.items():
            signal.signal(number, handler)
        signal.set_wakeup_fd(self.previous_wakeup)
        os.close(self.wakeup[0])
        os.close(self._write)
        self.wakeup = []
        if self.signalled and exc_info[0] is None:  # a signal after the last check: still an interruption
            raise KeyboardInterrupt


def count_items(inputs: list[str | Path]) -> int:
    return sum(1 for _ in Inputs(inputs))

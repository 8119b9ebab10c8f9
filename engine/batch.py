"""Batch scoring: every case of a district or province in one run, with a summary staff can act on.

Inputs are case files, folders of them, JSON Lines files (one case per line) and official tables
(.txt / .tsv / .csv / .xlsx, several cases each). Work is spread over processes in windows of a
fixed size, results come back in input order whatever the number of processes, and are streamed
to a temporary file that replaces the results file only when complete. Memory stays flat: neither
the cases nor their results are kept, only the running summary.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .errors import EngineError, Location, Problem
from .export import xlsx_row
from .files import OutputError, _same_file
from .quantities import round_half_up
from .safe_text import csv_cell

CASE_SUFFIXES = (".yaml", ".yml")
LINES_SUFFIXES = (".jsonl",)
TABLE_SUFFIXES = (".txt", ".tsv", ".csv", ".md", ".xlsx", ".xlsm", ".xls", ".ods", ".docx", ".html", ".htm", ".pdf")
RESULT_SUFFIXES = (".csv", ".xlsx", ".jsonl", ".html")
WINDOW_PER_JOB = 256
MAX_LISTED = 200  # cases listed by name in the summary (the count is always exact)


# ------------------------------------------------------------------ inputs ------------


def work_items(paths: Iterable[str | Path]) -> Iterator[tuple[str, int | None]]:
    """(file, line) for every case: one item per case file or table file, one per line of a .jsonl."""
    for path in map(str, paths):
        if os.path.isdir(path):
            yield from _folder_items(path)
        else:
            yield from _items_of(path)


def _folder_items(folder: str) -> Iterator[tuple[str, int | None]]:
    """Files in name order, folder by folder; only names are held, never a list of Path objects."""
    entries = sorted(os.listdir(folder))
    for name in entries:
        full = os.path.join(folder, name)
        if os.path.isdir(full):
            yield from _folder_items(full)
        elif _wanted(name):
            yield from _items_of(full)


def _wanted(name: str) -> bool:
    lowered = name.lower()
    return not lowered.endswith(".test.yaml") and not lowered.startswith(".") and os.path.splitext(lowered)[1] in (
        CASE_SUFFIXES + LINES_SUFFIXES + TABLE_SUFFIXES)


def _items_of(path: str) -> Iterator[tuple[str, int | None]]:
    if os.path.splitext(path)[1].lower() in LINES_SUFFIXES:
        try:
            with open(path, "rb") as stream:
                for number, line in enumerate(stream, 1):
                    if line.strip():
                        yield path, number
        except OSError:
            yield path, None  # reported as unreadable by the worker
    else:
        yield path, None


# ------------------------------------------------------------------ scoring one item -----

_SCHEME: Any = None
_FULL_RESULTS = False


def _start_worker(scheme_path: str, full_results: bool) -> None:
    global _SCHEME, _FULL_RESULTS
    from .api import load_scheme

    _SCHEME = load_scheme(scheme_path)
    _FULL_RESULTS = full_results


def score_item(item: tuple[str, int | None]) -> list[dict[str, Any]]:
    """The records of one work item: one per case it holds (several for a table file)."""
    from .evaluate import evaluate
    from .validate import bind_case

    path, line = item
    try:
        documents = _documents(path, line)
    except EngineError as error:
        return [_error_record(f"{path}:{line}" if line is not None else path, line, error.problems)]
    records = []
    for label, document in documents:
        try:
            case, problems = bind_case(_SCHEME, document)
            if problems:
                raise EngineError(problems)
            records.append(_record(label, path, line, evaluate(_SCHEME, case)))
        except EngineError as error:
            records.append(_error_record(label, line, error.problems))
    return records


def _documents(path: str, line: int | None) -> list[tuple[str, Any]]:
    from .load import Document, LoadError, load_document

    suffix = Path(path).suffix.lower()
    if line is not None:
        with open(path, "rb") as stream:
            for number, text in enumerate(stream, 1):
                if number == line:
                    break
        try:
            data = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
        except ValueError as exc:
            column = getattr(exc, "colno", None)
            raise LoadError(Problem(f"这一行不是有效的 JSON：{getattr(exc, 'msg', exc)}", Location(path, line, column),
                                    code="bad-json")) from None
        return [(f"{path}:{line}", Document(path, data, {(): (line, 1)}))]
    if suffix in TABLE_SUFFIXES:
        from .importer import case_document, import_tables

        return [(f"{path}［{case.name}］", case_document(case)) for case in import_tables(path)]
    return [(path, load_document(path))]


def _refuse_constant(name: str) -> None:
    raise ValueError(f"不接受 {name}（无穷大或非数值）")


def _record(label: str, path: str, line: int | None, result: Any) -> dict[str, Any]:
    lost_by_key: dict[str, Decimal] = {}
    for indicator in result.indicators:
        lost = indicator.weight - indicator.score
        if lost > 0:
            # A scheme's own indicator is the same in every case; a project's rows are its own, so they
            # are compared by the 一级指标 they sit under.
            key = f"{indicator.source.level1 or '指标行'}（项目自带指标）" if indicator.from_case else indicator.name
            lost_by_key[key] = lost_by_key.get(key, Decimal(0)) + lost
    losses = [(key, format(lost, "f")) for key, lost in lost_by_key.items()]
    record = {
        "case": label, "name": result.case.get("name"), "department": result.case.get("department"),
        "total": format(result.total, "f"), "max_total": format(result.max_total, "f"), "grade": result.grade,
        "failed_checks": [c.name for c in result.checks if c.status == "failed"], "losses": losses, "error": None,
    }
    if _FULL_RESULTS:
        from .report import dumps, result_to_dict

        record["result"] = dumps(result_to_dict(result), indent=0).replace("\n", "")
    return record


def _error_record(label: str, line: int | None, problems: list[Problem]) -> dict[str, Any]:
    return {"case": label, "name": None, "department": None, "total": None, "max_total": None, "grade": None,
            "failed_checks": [], "losses": [], "error": "\n".join(str(p) for p in problems)}


# ------------------------------------------------------------------ summary -------------


@dataclass
class Summary:
    grades: list[str]
    cases: int = 0
    errors: int = 0
    grade_counts: dict[str, int] = field(default_factory=dict)
    total_sum: Decimal = Decimal(0)
    total_min: Decimal | None = None
    total_max: Decimal | None = None
    histogram: list[int] = field(default_factory=lambda: [0] * 20)  # totals in steps of 5 points
    losses: dict[str, list] = field(default_factory=dict)  # key -> [points lost, cases losing some]
    with_failed_checks: int = 0
    failed_examples: list[tuple[str, list[str]]] = field(default_factory=list)
    lowest_grade_cases: list[tuple[str, str]] = field(default_factory=list)
    error_examples: list[str] = field(default_factory=list)

    def add(self, record: dict[str, Any]) -> None:
        if record["error"] is not None:
            self.errors += 1
            if len(self.error_examples) < MAX_LISTED:
                self.error_examples.append(record["error"].splitlines()[0])
            return
        self.cases += 1
        total = Decimal(record["total"])
        self.grade_counts[record["grade"]] = self.grade_counts.get(record["grade"], 0) + 1
        self.total_sum += total
        self.total_min = total if self.total_min is None else min(self.total_min, total)
        self.total_max = total if self.total_max is None else max(self.total_max, total)
        self.histogram[min(int(total // 5), 19) if total >= 0 else 0] += 1
        for key, lost in record["losses"]:
            entry = self.losses.setdefault(key, [Decimal(0), 0])
            entry[0] += Decimal(lost)
            entry[1] += 1
        if record["failed_checks"]:
            self.with_failed_checks += 1
            if len(self.failed_examples) < MAX_LISTED:
                self.failed_examples.append((record["case"], record["failed_checks"]))
        if record["grade"] == self.grades[-1] and len(self.lowest_grade_cases) < MAX_LISTED:
            self.lowest_grade_cases.append((record["case"], record["total"]))

    @property
    def mean(self) -> Decimal | None:
        return round_half_up(self.total_sum / self.cases, 2) if self.cases else None

    def top_losses(self, count: int = 10) -> list[tuple[str, Decimal, int]]:
        ranked = sorted(self.losses.items(), key=lambda item: (-item[1][0], item[0]))
        return [(key, value[0], value[1]) for key, value in ranked[:count]]

    def render(self) -> str:
        lines = [f"共 {self.cases + self.errors} 个案例：{self.cases} 个已计分，{self.errors} 个出错未计分"]
        if self.cases:
            lines.append("等级：" + "，".join(f"{g} {self.grade_counts.get(g, 0)}" for g in self.grades))
            lines.append(f"总分：平均 {self.mean}，最低 {self.total_min}，最高 {self.total_max}")
            top = self.top_losses(5)
            if top:
                lines.append("失分最多的指标：" + "；".join(f"{key} 共失 {lost:.2f} 分（{n} 个案例）" for key, lost, n in top))
            lines.append(f"勾稽核对有不符的案例：{self.with_failed_checks} 个")
            lowest = self.grades[-1]
            if self.lowest_grade_cases:
                shown = "、".join(f"{case}（{total}）" for case, total in self.lowest_grade_cases[:10])
                more = self.grade_counts.get(lowest, 0) - min(10, len(self.lowest_grade_cases))
                lines.append(f"等级为“{lowest}”的案例：{shown}" + (f" 等 {more} 个，见结果文件" if more > 0 else ""))
        return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ writers ------------


class _ResultsFile:
    """Results streamed to a temporary file beside the target, renamed over it only when complete."""

    def __init__(self, target: Path, binary: bool = False):
        self.target = target
        handle, self.temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        self.stream = os.fdopen(handle, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""}))

    def commit(self) -> None:
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.stream.close()
        os.replace(self.temporary, self.target)

    def abandon(self) -> None:
        if not self.stream.closed:
            self.stream.close()
        Path(self.temporary).unlink(missing_ok=True)


_CSV_HEADER = ["案例", "名称", "主管部门", "总分", "满分", "等级", "勾稽核对不符", "错误"]


def _csv_row(record: dict[str, Any]) -> list[str]:
    return [record["case"], record["name"] or "", record["department"] or "", record["total"] or "",
            record["max_total"] or "", record["grade"] or "", "；".join(record["failed_checks"]), record["error"] or ""]


class CsvWriter:
    def __init__(self, target: Path):
        import csv

        self.file = _ResultsFile(target)
        self.file.stream.write("\ufeff")
        self.writer = csv.writer(self.file.stream, lineterminator="\r\n")
        self.writer.writerow(_CSV_HEADER)

    def add(self, record: dict[str, Any]) -> None:
        self.writer.writerow([csv_cell(cell) for cell in _csv_row(record)])

    def finish(self, summary: Summary) -> None:
        self.file.commit()


class JsonLinesWriter:
    def __init__(self, target: Path):
        self.file = _ResultsFile(target)

    def add(self, record: dict[str, Any]) -> None:
        if record.get("result"):
            self.file.stream.write(record["result"][:-1] + f', "source": {json.dumps(record["case"], ensure_ascii=False)}}}\n')
        else:
            self.file.stream.write(json.dumps({"source": record["case"], "error": record["error"]}, ensure_ascii=False) + "\n")

    def finish(self, summary: Summary) -> None:
        self.file.commit()


class XlsxWriter:
    def __init__(self, target: Path):
        import openpyxl

        self.target = target
        self.workbook = openpyxl.Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet("结果")
        self.sheet.append(_CSV_HEADER)

    def add(self, record: dict[str, Any]) -> None:
        row = _csv_row(record)
        for i in (3, 4):
            row[i] = Decimal(row[i]) if row[i] else None
        self.sheet.append(xlsx_row(self.sheet, row))

    def finish(self, summary: Summary) -> None:
        sheet = self.workbook.create_sheet("汇总")
        for line in summary.render().splitlines():
            sheet.append(xlsx_row(sheet, [line]))
        file = _ResultsFile(self.target, binary=True)
        try:
            self.workbook.save(file.stream)
            file.commit()
        except BaseException:
            file.abandon()
            raise


class HtmlWriter:
    """The summary as a page: grade distribution and a histogram of totals as inline SVG."""

    def __init__(self, target: Path, title: str):
        self.target, self.title = target, title

    def add(self, record: dict[str, Any]) -> None:
        pass  # the page summarises; per-case rows belong in csv, xlsx or jsonl

    def finish(self, summary: Summary) -> None:
        from .batch_report import render_summary_html

        file = _ResultsFile(self.target)
        try:
            file.stream.write(render_summary_html(summary, self.title))
            file.commit()
        except BaseException:
            file.abandon()
            raise


def _writer(target: Path, title: str) -> Any:
    suffix = target.suffix.lower()
    if suffix == ".html":
        return HtmlWriter(target, title)
    return {".csv": CsvWriter, ".jsonl": JsonLinesWriter, ".xlsx": XlsxWriter}[suffix](target)


# ------------------------------------------------------------------ the run -------------


@dataclass
class BatchOutcome:
    summary: Summary
    output: str


def run_batch(scheme_path: str | Path, inputs: list[str | Path], output: str | Path, *, jobs: int | None = None,
              force: bool = False, on_record: Callable[[dict[str, Any]], None] | None = None,
              progress: Callable[[int], None] | None = None) -> BatchOutcome:
    """Score every case under `inputs` by the scheme; stream results to `output`; return the summary."""
    from .api import load_scheme

    target = Path(output)
    if target.suffix.lower() not in RESULT_SUFFIXES:
        raise OutputError(Problem(f"结果文件应为 {'、'.join(RESULT_SUFFIXES)} 之一", Location(str(target)),
                                  code="output-kind"))
    if any(_same_file(target, Path(p)) for p in [scheme_path, *inputs]):
        raise OutputError(Problem("不能把结果写到输入文件上", Location(str(target)), code="output-is-input"))
    if target.exists() and not force:
        raise OutputError(Problem("结果文件已存在，未覆盖", Location(str(target)), hint="确要覆盖请加 --force",
                                  code="output-exists"))
    scheme = load_scheme(scheme_path)  # a bad scheme stops the run before any work starts
    target.parent.mkdir(parents=True, exist_ok=True)
    summary = Summary([g.name for g in scheme.grades])
    writer = _writer(target, f"{scheme.title}（{scheme.fiscal_year}）批量计分汇总")
    jobs = max(1, jobs or os.cpu_count() or 1)
    items = work_items(inputs)
    try:
        for records in _scored(str(scheme_path), items, jobs, full_results=target.suffix.lower() == ".jsonl"):
            for record in records:
                writer.add(record)
                summary.add(record)
                if on_record is not None:
                    on_record(record)
            if progress is not None:
                progress(1)
        writer.finish(summary)
    except BaseException as error:
        file = getattr(writer, "file", None)
        if file is not None:
            file.abandon()
        if isinstance(error, OSError):
            raise OutputError(Problem(f"写结果文件失败：{error.strerror or error}；未留下不完整的结果文件，原有文件未改动",
                                      Location(str(target)), code="output-failed")) from None
        raise
    return BatchOutcome(summary, str(target))


def _scored(scheme_path: str, items: Iterator[tuple[str, int | None]], jobs: int, full_results: bool) -> Iterator[list]:
    if jobs == 1:
        _start_worker(scheme_path, full_results)
        for item in items:
            yield score_item(item)
        return
    import multiprocessing

    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with context.Pool(jobs, initializer=_start_worker, initargs=(scheme_path, full_results)) as pool:
        window = []
        for item in items:
            window.append(item)
            if len(window) >= WINDOW_PER_JOB * jobs:
                yield from pool.imap(score_item, window, chunksize=32)
                window = []
        if window:
            yield from pool.imap(score_item, window, chunksize=max(1, min(32, len(window) // jobs or 1)))


def count_items(inputs: list[str | Path]) -> int:
    return sum(1 for _ in work_items(inputs))

"""Report stage of a batch: the records of its cases gathered into a summary and a review (复核), rendered
as terminal text, a standalone HTML page and the sheets of a workbook.

What a finance bureau's 绩效股 does with a district's submissions is 复核: who scored themselves wrongly,
which units are weakest, which indicators fail everywhere. `Summary` gathers that as the records go by,
in memory bounded by what it lists (the MAX_LISTED largest misreports, the N lowest totals, the first
MAX_LISTED failed cross-checks) and by the distinct 主管部门 and indicator names, never by the count of
cases. Cases are named by their unit and project; the file is a small secondary reference.

A record is plain data, as `engine.batch` collects it in the worker that scored the case: strings,
numbers as text, lists of tuples (see `engine.batch._record`). This module imports nothing from
`engine.batch`; `engine.batch` imports it.
"""

from __future__ import annotations

import heapq
import html
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from .quantities import round_half_up
from .safe_text import clean

MAX_LISTED = 200  # cases listed by name in each part of the review (the counts are always exact)
LOWEST = 10  # the lowest totals listed, whatever their grades (engine batch --lowest)
LOSSES_LISTED = 30  # indicators in the page's list of the most points lost (the workbook's sheet has all)
DEPARTMENTS_SHOWN = 5  # on the terminal; the review lists every one
MAX_LEVEL1_COLUMNS = 12  # 一级 subtotal columns at most: the most frequent, in the order first met
NO_DEPARTMENT = "（未填主管部门）"

_COLOURS = ("#2f7ebd", "#4aa36c", "#e0a526", "#d0533f", "#8a6bb8", "#777777")
_NUMBER = re.compile(r"[+-]?\d{1,16}(?:\.\d{1,12})?")


class Entry(NamedTuple):
    """One scored case as the review lists it."""

    order: int  # its place in the input, from 0
    department: str | None
    implementer: str | None
    name: str | None
    file: str
    total: Decimal
    grade: str
    reported_total: Decimal | None
    reported_grade: str | None
    failed_checks: tuple[str, ...]
    top_loss: tuple[str, Decimal] | None  # the 三级 indicator that lost this case most, and how much

    @property
    def difference(self) -> Decimal | None:
        """自评 − 计分: positive when the unit scored itself higher than its figures earn."""
        return None if self.reported_total is None else self.reported_total - self.total


def reported_figure(value: Any) -> Decimal | None:
    """A self-reported total as a number: a plain figure, or text that is one (`"95.5"`, `"95.5分"`)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
        return number if number.is_finite() else None
    if isinstance(value, str):
        text = value.strip().removesuffix("分").strip()
        if len(text) <= 30 and _NUMBER.fullmatch(text):
            return Decimal(text)
    return None


def case_name(department: str | None, implementer: str | None, name: str | None, file: str) -> str:
    """How a case is called on one line: its project and the unit that carries it out, else its file."""
    unit = implementer or department
    if name and unit and name != unit:
        return f"{name}（{unit}）"
    return name or unit or file


class _Department:
    __slots__ = ("count", "failed", "grades", "highest", "lowest", "misreported", "sum")

    def __init__(self) -> None:
        self.count, self.sum, self.misreported, self.failed = 0, Decimal(0), 0, 0
        self.lowest: Decimal | None = None
        self.highest: Decimal | None = None
        self.grades: dict[str, int] = {}


class DepartmentRow(NamedTuple):
    department: str
    count: int
    mean: Decimal
    lowest: Decimal
    highest: Decimal
    grades: dict[str, int]
    misreported: int
    failed: int


class LossRow(NamedTuple):
    name: str  # the 三级 indicator
    level1: str  # the 一级 it sits under
    cases: int  # cases that lost points on it
    lost: Decimal  # points lost on it, over all cases

    @property
    def mean(self) -> Decimal:
        return self.lost / self.cases


@dataclass
class Summary:
    """A batch's figures and its review, gathered one record at a time."""

    grades: list[str]
    places: int = 2
    lowest_count: int = LOWEST
    cases: int = 0
    errors: int = 0
    grade_counts: dict[str, int] = field(default_factory=dict)
    total_sum: Decimal = Decimal(0)
    total_min: Decimal | None = None
    total_max: Decimal | None = None
    histogram: list[int] = field(default_factory=lambda: [0] * 20)  # totals in steps of 5 points
    losses: dict[tuple[str, str], list] = field(default_factory=dict)  # (一级, 三级) -> [points lost, cases]
    with_failed_checks: int = 0
    failed_examples: list[Entry] = field(default_factory=list)  # the first MAX_LISTED, in input order
    check_counts: dict[str, int] = field(default_factory=dict)  # cross-check -> cases failing it
    compared: int = 0  # cases with a self-reported total or grade to compare
    misreported: int = 0
    departments: dict[str, _Department] = field(default_factory=dict)
    level1: dict[str, int] = field(default_factory=dict)  # 一级 -> cases with a subtotal under it, first met first
    error_examples: list[str] = field(default_factory=list)
    _misreports: list = field(default_factory=list, repr=False)  # heap of the MAX_LISTED largest differences
    _lowest: list = field(default_factory=list, repr=False)  # heap of the lowest_count lowest totals
    _seen: int = field(default=0, repr=False)
    folder: str | None = None  # the folder every case's file is in: files are shown relative to it

    def add(self, record: dict[str, Any]) -> None:
        order = self._seen
        self._seen += 1
        self._note_folder(record["case"])
        if record["error"] is not None:
            self.errors += 1
            if len(self.error_examples) < MAX_LISTED:
                self.error_examples.append(record["error"].splitlines()[0])
            return
        self.cases += 1
        total = Decimal(record["total"])
        grade = record["grade"]
        self.grade_counts[grade] = self.grade_counts.get(grade, 0) + 1
        self.total_sum += total
        self.total_min = total if self.total_min is None else min(self.total_min, total)
        self.total_max = total if self.total_max is None else max(self.total_max, total)
        self.histogram[min(int(total // 5), 19) if total >= 0 else 0] += 1
        top_loss = None
        losses = self.losses
        for level1, name, lost in record["losses"]:  # the hot loop of the parent: a case's every lost row
            lost = Decimal(lost)
            key = (level1, name)
            entry = losses.get(key)
            if entry is None:
                losses[key] = [lost, 1]
            else:
                entry[0] += lost
                entry[1] += 1
            if top_loss is None or lost > top_loss[1]:
                top_loss = (name, lost)
        for level1, _ in record.get("subtotals", ()):
            self.level1[level1] = self.level1.get(level1, 0) + 1

        reported_total = reported_figure(record.get("reported_total"))
        reported_grade = record.get("reported_grade") or None
        wrong = ((reported_total is not None and reported_total != total)
                 or (reported_grade is not None and reported_grade != grade))
        if reported_total is not None or reported_grade is not None:
            self.compared += 1

        department = self.departments.get(record.get("department") or NO_DEPARTMENT)
        if department is None:
            department = self.departments[record.get("department") or NO_DEPARTMENT] = _Department()
        department.count += 1
        department.sum += total
        department.lowest = total if department.lowest is None else min(department.lowest, total)
        department.highest = total if department.highest is None else max(department.highest, total)
        department.grades[grade] = department.grades.get(grade, 0) + 1

        entry = None

        def made() -> Entry:
            nonlocal entry
            if entry is None:
                entry = Entry(order, record.get("department"), record.get("implementer"), record.get("name"),
                              record["case"], total, grade, reported_total, reported_grade,
                              tuple(record["failed_checks"]), top_loss)
            return entry

        if wrong:
            self.misreported += 1
            department.misreported += 1
            # Largest difference first; a grade that disagrees with an agreeing total counts as 0; earlier first.
            key = (abs(reported_total - total) if reported_total is not None else Decimal(0), -order)
            if len(self._misreports) < MAX_LISTED:
                heapq.heappush(self._misreports, (key, made()))
            elif key > self._misreports[0][0]:
                heapq.heapreplace(self._misreports, (key, made()))
        if record["failed_checks"]:
            self.with_failed_checks += 1
            department.failed += 1
            for check in record["failed_checks"]:
                self.check_counts[check] = self.check_counts.get(check, 0) + 1
            if len(self.failed_examples) < MAX_LISTED:
                self.failed_examples.append(made())
        key = (-total, -order)  # the heap's top is the highest total kept (the latest of equals): it goes first
        if len(self._lowest) < self.lowest_count:
            heapq.heappush(self._lowest, (key, made()))
        elif key > self._lowest[0][0]:
            heapq.heapreplace(self._lowest, (key, made()))

    def _note_folder(self, label: str) -> None:
        path = label.split("［", 1)[0]  # a table's name, after the file's, may hold a slash
        folder = self.folder
        if folder is None:
            self.folder = os.path.dirname(path)
            return
        while folder and not path.startswith(folder.rstrip(os.sep) + os.sep):
            parent = os.path.dirname(folder)
            folder = "" if parent == folder else parent
        self.folder = folder

    def relative(self, label: str) -> str:
        """A case's file as the review shows it: under the folder every case is in."""
        prefix = (self.folder or "").rstrip(os.sep) + os.sep
        return label[len(prefix):] if self.folder and label.startswith(prefix) else label

    # ------------------------------------------------------------------ what the review lists

    @property
    def mean(self) -> Decimal | None:
        return round_half_up(self.total_sum / self.cases, self.places) if self.cases else None

    def misreports(self) -> list[Entry]:
        """Cases whose self-reported total or grade differs from the computed one, largest difference first."""
        return [entry for _, entry in sorted(self._misreports, key=lambda item: item[0], reverse=True)]

    def lowest(self) -> list[Entry]:
        """The lowest totals, lowest first (equal totals in input order), whatever their grades."""
        return [entry for _, entry in sorted(self._lowest, key=lambda item: item[0], reverse=True)]

    def by_department(self) -> list[DepartmentRow]:
        """Per 主管部门, weakest first: lowest mean, then name."""
        rows = [DepartmentRow(name, d.count, round_half_up(d.sum / d.count, self.places), d.lowest, d.highest,
                              d.grades, d.misreported, d.failed) for name, d in self.departments.items()]
        return sorted(rows, key=lambda row: (row.mean, row.department))

    def top_losses(self, count: int | None = 10) -> list[LossRow]:
        """The 三级 indicators that lost most points over all cases, by name."""
        ranked = sorted(self.losses.items(), key=lambda item: (-item[1][0], -item[1][1], item[0][1], item[0][0]))
        return [LossRow(name, level1, value[1], value[0]) for (level1, name), value in ranked[:count]]

    def failures_by_unit(self) -> list[Entry]:
        """The listed cases with failed cross-checks, grouped by 主管部门 (in the order first met), each in input order."""
        first = {name: i for i, name in enumerate(self.departments)}
        return sorted(self.failed_examples, key=lambda e: (first.get(e.department or NO_DEPARTMENT, 0), e.order))

    def level1_columns(self) -> list[str]:
        """The 一级 subtotal columns: the MAX_LEVEL1_COLUMNS most frequent, in the order first met."""
        if len(self.level1) <= MAX_LEVEL1_COLUMNS:
            return list(self.level1)
        kept = set(sorted(self.level1, key=lambda name: -self.level1[name])[:MAX_LEVEL1_COLUMNS])
        return [name for name in self.level1 if name in kept]

    def score(self, value: Decimal) -> str:
        return format(round_half_up(value, self.places), "f")

    # ------------------------------------------------------------------ terminal

    def render(self) -> str:
        lines = [f"共 {self.cases + self.errors} 个案例：{self.cases} 个已计分，{self.errors} 个出错未计分"]
        if self.cases:
            lines.append("等级：" + "，".join(f"{g} {self.grade_counts.get(g, 0)}" for g in self.grades))
            lines.append(f"总分：平均 {self.mean}，最低 {self.total_min}，最高 {self.total_max}")
            lines.append(self._misreport_line())
            lowest = self.lowest()
            lines.append(f"总分最低的 {len(lowest)} 个：" + "；".join(
                f"{_called(e)} {self.score(e.total)}（{e.grade}）" for e in lowest))
            departments = self.by_department()
            if len(departments) > 1:
                shown = departments[:DEPARTMENTS_SHOWN]
                more = f" 等 {len(departments)} 个" if len(departments) > len(shown) else ""
                lines.append("按主管部门（平均分从低到高）：" + "；".join(
                    f"{row.department} {row.mean}（{row.count} 个）" for row in shown) + more)
            top = self.top_losses(5)
            if top:
                lines.append("失分最多的三级指标：" + "；".join(
                    f"{row.name}（{row.level1}）共失 {self.score(row.lost)} 分（{row.cases} 个案例）" for row in top))
            lines.append(f"勾稽核对有不符的案例：{self.with_failed_checks} 个")
        return "\n".join(lines) + "\n"

    def _misreport_line(self) -> str:
        unchecked = self.cases - self.compared
        tail = f"（{unchecked} 个案例未填自评总分和等级，未比对）" if unchecked else ""
        if not self.misreported:
            return f"自评与计分不符：0 个{tail}"
        shown = self.misreports()[:5]
        more = "等" if self.misreported > len(shown) else ""
        return (f"自评与计分不符：{self.misreported} 个{tail}，差额最大的："
                + "；".join(f"{_called(e)}自评 {self._reported(e)}，计分 {self.score(e.total)} {e.grade}"
                           for e in shown) + more)

    def _reported(self, entry: Entry) -> str:
        figures = [self.score(entry.reported_total) if entry.reported_total is not None else "",
                   entry.reported_grade or ""]
        return " ".join(figure for figure in figures if figure)


def _called(entry: Entry) -> str:
    return case_name(entry.department, entry.implementer, entry.name, entry.file)


# ------------------------------------------------------------------ the review as tables


@dataclass
class Column:
    header: str
    kind: str = "text"  # text | grade | score | count | difference | file | wrap | mix (a chart: the page's only)


@dataclass
class Table:
    """One part of the review: a sheet of the workbook, a table of the page."""

    title: str  # the sheet's name
    heading: str  # the page's heading
    columns: list[Column]
    rows: list[list[Any]]
    note: str = ""  # under the heading: what is listed and how it is ordered
    empty: str = "无"


def review_tables(summary: Summary, noun: str = "项目", losses_listed: int | None = None) -> list[Table]:
    """The review's parts in reading order, as plain rows (numbers as Decimal, text as the case wrote it).
    `losses_listed`: how many of the indicators that lost most are listed (None: all)."""
    unit = [Column("主管部门"), Column("实施单位"), Column(noun)]
    grades = summary.grades

    listed = summary.misreports()
    more = summary.misreported - len(listed)
    misreports = Table(
        "自评不符", "自评与计分不符", [*unit, Column("自评总分", "score"), Column("计分总分", "score"),
                                      Column("差额（自评−计分）", "difference"), Column("自评等级", "grade"), Column("计分等级", "grade"),
                                      Column("文件", "file")],
        [[e.department, e.implementer, e.name, e.reported_total, e.total, e.difference, e.reported_grade, e.grade,
          summary.relative(e.file)] for e in listed],
        f"共 {summary.misreported} 个，按差额从大到小" + (f"；列出前 {len(listed)} 个，其余见每个案例一行的表（差额一栏）" if more > 0 else "")
        + (f"。另有 {summary.cases - summary.compared} 个案例未填自评总分和等级，未比对" if summary.cases > summary.compared else ""),
        "没有自评总分或等级与计分不符的案例")

    lowest = summary.lowest()
    lowest_table = Table(
        "最低", f"总分最低的 {len(lowest)} 个", [Column("名次", "count"), *unit, Column("总分", "score"), Column("等级", "grade"),
                                                 Column("失分最多的指标"), Column("该指标失分", "score"), Column("文件", "file")],
        [[rank, e.department, e.implementer, e.name, e.total, e.grade, e.top_loss[0] if e.top_loss else None,
          e.top_loss[1] if e.top_loss else None, summary.relative(e.file)] for rank, e in enumerate(lowest, 1)],
        "不论等级；总分相同的按输入顺序")

    departments = Table(
        "按主管部门", "按主管部门", [Column("主管部门"), Column("案例数", "count"), Column("平均分", "score"),
                                     Column("最低分", "score"), Column("最高分", "score"),
                                     *(Column(g, "count") for g in grades), Column("等级构成", "mix"),
                                     Column("自评不符", "count"), Column("核对不符", "count")],
        [[row.department, row.count, row.mean, row.lowest, row.highest, *(row.grades.get(g, 0) for g in grades),
          row.grades, row.misreported, row.failed] for row in summary.by_department()],
        f"共 {len(summary.departments)} 个主管部门，按平均分从低到高")

    losses = summary.top_losses(losses_listed)
    loss_table = Table(
        "失分指标", "失分最多的三级指标", [Column("三级指标"), Column("一级指标"), Column("失分案例数", "count"),
                                           Column("合计失分", "score"), Column("平均失分", "score")],
        [[row.name, row.level1, row.cases, row.lost, round_half_up(row.mean, summary.places)] for row in losses],
        f"按指标名称跨案例合计，共 {len(summary.losses)} 项失分"
        + (f"，列出最多的 {len(losses)} 项" if len(losses) < len(summary.losses) else "")
        + "，按合计失分从多到少；平均失分为每个失分案例的平均",
        "没有失分的指标")

    failed = summary.failures_by_unit()
    more = summary.with_failed_checks - len(failed)
    checks = Table(
        "核对不符", "勾稽核对不符（按单位）", [*unit, Column("不符的核对", "wrap"), Column("文件", "file")],
        [[e.department, e.implementer, e.name, "；".join(e.failed_checks), summary.relative(e.file)] for e in failed],
        f"共 {summary.with_failed_checks} 个案例，按主管部门归组"
        + (f"；列出输入中的前 {len(failed)} 个，其余见每个案例一行的表" if more > 0 else "")
        + ("。各项核对不符的案例数：" + "，".join(f"{name} {count}" for name, count in sorted(
            summary.check_counts.items(), key=lambda item: (-item[1], item[0]))) if summary.check_counts else ""),
        "勾稽核对全部相符")
    return [misreports, lowest_table, departments, loss_table, checks]


def case_columns(summary: Summary, noun: str = "项目") -> list[Column]:
    """The per-case table's columns: the unit and project first, the file last."""
    return [Column("主管部门"), Column("实施单位"), Column(noun), Column("总分", "score"), Column("满分", "score"),
            Column("等级", "grade"), Column("自评总分", "score"), Column("自评等级", "grade"),
            Column("差额（自评−计分）", "difference"),
            *(Column(name, "score") for name in summary.level1_columns()),
            Column("勾稽核对不符", "wrap"), Column("错误", "wrap"), Column("文件", "file")]


def case_row(record: dict[str, Any], level1: list[str], relative: Callable[[str], str] = str) -> list[Any]:
    """A record as a row of the per-case table (figures as Decimal)."""
    number = _decimal
    total = number(record["total"])
    reported = reported_figure(record.get("reported_total"))
    subtotals = dict(record.get("subtotals") or ())
    return [record.get("department"), record.get("implementer"), record.get("name"), total, number(record["max_total"]),
            record["grade"], reported, record.get("reported_grade"),
            reported - total if reported is not None and total is not None and reported != total else None,
            *(number(subtotals.get(name)) for name in level1),
            "；".join(record["failed_checks"]) or None, record["error"], relative(record["case"])]


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


# ------------------------------------------------------------------ HTML


def _h(text: Any) -> str:
    """Case text in HTML: markup escaped, control characters as visible marks."""
    return html.escape(clean(str(text)))


_CSS = """
@page { size: A4 landscape; margin: 12mm 10mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
       "SimSun", sans-serif; font-size: 9.5pt; color: #111; margin: 0 auto; padding: 0 4mm; max-width: 277mm; }
h1 { font-size: 15pt; text-align: center; margin: 4mm 0 1mm; }
p.sub { text-align: center; color: #555; margin: 0 0 3mm; font-size: 9pt; }
h2 { font-size: 11.5pt; margin: 6mm 0 1mm; break-after: avoid; }
p.note { margin: 0 0 2mm; color: #555; font-size: 8.5pt; break-after: avoid; }
.figures { display: flex; flex-wrap: wrap; gap: 2mm; margin: 2mm 0; }
.figures div { border: 0.6pt solid #bbb; border-radius: 1.5mm; padding: 1.5mm 3mm; min-width: 27mm; }
.figures b { display: block; font-size: 14pt; }
.figures .bad b { color: #b42318; }
.figures span { color: #555; font-size: 8.5pt; }
.charts { display: flex; flex-wrap: wrap; gap: 6mm; break-inside: avoid; }
.charts h2 { margin-top: 3mm; }
table { border-collapse: collapse; width: 100%; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 0.6pt solid #999; padding: 0.8mm 1.4mm; vertical-align: top; text-align: left; }
th { background: #dde6f0; font-weight: 600; white-space: nowrap; }
table.cases th { white-space: normal; }
td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.up { color: #b42318; font-weight: 600; }
td.down { color: #1d6b3a; }
td.file { color: #888; font-size: 7.5pt; white-space: nowrap; }
td.file.long { white-space: normal; word-break: break-all; }
td.agrees { color: #777; white-space: nowrap; }
td.differs { color: #b42318; font-weight: 600; white-space: nowrap; }
td.mix { width: 34mm; vertical-align: middle; }
table.cases { font-size: 8pt; }
table.cases td.name { min-width: 20mm; }
td.name { min-width: 28mm; }
td.wrap { font-size: 8.5pt; }
td.grade { text-align: center; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #f7f9fb; }
.errors { margin: 3mm 0; padding: 2mm 3mm; border: 0.6pt solid #c33; background: #fff5f5; }
.errors li { margin: 0.6mm 0; word-break: break-all; }
svg.mix { display: block; }
"""


def render_review_html(summary: Summary, title: str, cases: Iterable[dict[str, Any]] = (),
                       errors: Iterable[str] | None = None, noun: str = "项目") -> str:
    return "".join(review_html_pieces(summary, title, cases, errors, noun))


def review_html_pieces(summary: Summary, title: str, cases: Iterable[dict[str, Any]] = (),
                       errors: Iterable[str] | None = None, noun: str = "项目") -> Iterator[str]:
    """The review page in pieces, to be written as they come. `errors` (every error's first line) and
    `cases` (every record, in input order) are iterated once each, in that order; without `errors`
    the summary's first examples are listed."""
    where = (f"；“文件”一栏为 {_h(summary.folder)}{_h(os.sep)} 下的路径" if summary.folder else "")
    parts = [f"<h1>{_h(title)}</h1>",
             (f'<p class="sub">共 <strong id="cases">{summary.cases + summary.errors}</strong> 个案例：'
              f"{summary.cases} 个已计分，{summary.errors} 个出错未计分{where}</p>")]
    if summary.cases:
        parts.append(_figures(summary))
        parts.append('<div class="charts"><section class="chart"><h2>等级分布</h2>' + grade_bars(summary)
                     + '</section><section class="chart"><h2>总分分布（每 5 分一档）</h2>' + histogram(summary)
                     + "</section></div>")
        parts.extend(_html_table(table, summary) for table in review_tables(summary, noun, LOSSES_LISTED))
    yield ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
           f"<title>{_h(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(parts))
    if summary.errors:
        yield f'\n<section class="errors"><h2>出错未计分的案例（{summary.errors} 个）</h2><ul>'
        for message in summary.error_examples if errors is None else errors:
            yield f"<li>{_h(message)}</li>"
        yield "</ul></section>"
    if summary.cases:
        level1 = summary.level1_columns()
        columns = [Column("主管部门"), Column("实施单位"), Column(noun), Column("总分", "score"), Column("等级", "grade"),
                   Column("自评"), Column("差额", "difference"), *(Column(name, "score") for name in level1),
                   Column("核对不符", "wrap"), Column("文件", "file")]
        yield (f'\n<section id="案例"><h2>已计分的案例（{summary.cases} 个，按输入顺序）</h2><p class="note">'
               f"自评为案例所填的总分和等级，差额为 自评 − 计分（相符时空白）；其后为各一级指标得分</p>"
               f'<table class="cases"><thead><tr>' + "".join(f"<th>{_h(c.header)}</th>" for c in columns)
               + "</tr></thead><tbody>")
        for record in cases:
            if record["error"] is None:
                yield _html_row(columns, _html_case(record, level1, summary), summary)
        yield "</tbody></table></section>"
    yield "\n</body>\n</html>\n"


def _html_case(record: dict[str, Any], level1: list[str], summary: Summary) -> list[Any]:
    total = Decimal(record["total"])
    reported = reported_figure(record.get("reported_total"))
    difference = None if reported is None or reported == total else reported - total
    grade = record.get("reported_grade")
    said = " ".join(x for x in (summary.score(reported) if reported is not None else "", grade or "") if x)
    agrees = difference is None and grade in (None, record["grade"])
    subtotals = dict(record.get("subtotals") or ())
    return [record.get("department"), record.get("implementer"), record.get("name"), total, record["grade"],
            _Marked(said, "agrees" if agrees else "differs") if said else None,
            difference, *(_decimal(subtotals.get(name)) for name in level1),
            "；".join(record["failed_checks"]), summary.relative(record["case"])]


class _Marked(NamedTuple):
    """Text in a page's cell with a class of its own (a self-report that agrees, or not)."""

    text: str
    css: str


def _figures(summary: Summary) -> str:
    items = [("案例", summary.cases + summary.errors, ""), ("已计分", summary.cases, ""),
             ("出错未计分", summary.errors, "bad" if summary.errors else ""),
             ("平均分", summary.mean, ""), ("最低分", summary.total_min, ""), ("最高分", summary.total_max, ""),
             ("自评与计分不符", summary.misreported, "bad" if summary.misreported else ""),
             ("勾稽核对不符", summary.with_failed_checks, "bad" if summary.with_failed_checks else "")]
    return '<div class="figures">' + "".join(
        f'<div class="{css}"><b>{_h(value)}</b><span>{label}</span></div>' for label, value, css in items) + "</div>"


def _html_table(table: Table, summary: Summary) -> str:
    head = "".join(f"<th>{_h(c.header)}</th>" for c in table.columns)
    body = "".join(_html_row(table.columns, row, summary) for row in table.rows)
    if not body:
        body = f'<tr><td colspan="{len(table.columns)}">{_h(table.empty)}</td></tr>'
    return (f'<section id="{_h(table.title)}"><h2>{_h(table.heading)}</h2><p class="note">{_h(table.note)}</p>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>")


def _html_row(columns: list[Column], row: list[Any], summary: Summary) -> str:
    cells = []
    for column, value in zip(columns, row):
        if value is None or value == "":
            cells.append("<td></td>")
        elif isinstance(value, _Marked):
            cells.append(f'<td class="{value.css}">{_h(value.text)}</td>')
        elif column.kind in ("score", "difference"):
            css = "n"
            if column.kind == "difference" and value:
                css += " up" if value > 0 else " down"
            text = summary.score(value)
            cells.append(f'<td class="{css}">{"+" if column.kind == "difference" and value > 0 else ""}{text}</td>')
        elif column.kind == "count":
            cells.append(f'<td class="n">{value}</td>')
        elif column.kind == "mix":
            cells.append(f'<td class="mix">{_mix(value, summary)}</td>')
        elif column.kind == "file":  # kept on one line unless it is a long path
            cells.append(f'<td class="file{" long" if len(value) > 32 else ""}">{_h(value)}</td>')
        elif column.kind in ("wrap", "grade"):
            cells.append(f'<td class="{column.kind}">{_h(value)}</td>')
        else:
            cells.append(f'<td class="name">{_h(value)}</td>')
    return "<tr>" + "".join(cells) + "</tr>"


def _mix(grades: dict[str, int], summary: Summary) -> str:
    """The grade mix of a 主管部门 as one stacked bar, coloured as the grade chart."""
    count = sum(grades.values()) or 1
    width, x, out = 120, 0.0, []
    for i, grade in enumerate(summary.grades):
        share = grades.get(grade, 0) / count * width
        if share:
            out.append(f'<rect x="{x:.1f}" width="{share:.1f}" height="10" fill="{_COLOURS[i % len(_COLOURS)]}">'
                       f"<title>{_h(grade)} {grades[grade]}</title></rect>")
        x += share
    return f'<svg class="mix" xmlns="http://www.w3.org/2000/svg" width="{width}" height="10">{"".join(out)}</svg>'


def grade_bars(summary: Summary) -> str:
    counts = [(grade, summary.grade_counts.get(grade, 0)) for grade in summary.grades]
    most = max((count for _, count in counts), default=0) or 1
    width, bar, gap, label = 460, 22, 10, 60
    height = len(counts) * (bar + gap) + gap
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           f'aria-label="等级分布" font-size="12">']
    for i, (grade, count) in enumerate(counts):
        y = gap + i * (bar + gap)
        length = count / most * (width - label - 110)
        share = f"{Decimal(count * 100) / summary.cases:.1f}%" if summary.cases else ""
        out.append(f'<text x="{label - 8}" y="{y + bar - 6}" text-anchor="end">{_h(grade)}</text>')
        out.append(f'<rect x="{label}" y="{y}" width="{length:.1f}" height="{bar}" fill="{_COLOURS[i % len(_COLOURS)]}"/>')
        out.append(f'<text x="{label + length + 6:.1f}" y="{y + bar - 6}">{count}（{share}）</text>')
    out.append("</svg>")
    return "".join(out)


def histogram(summary: Summary) -> str:
    counts = summary.histogram
    most = max(counts) or 1
    width, height, bottom, left = 520, 160, 24, 24
    column = (width - left - 10) / len(counts)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           f'aria-label="总分分布" font-size="10">',
           f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#333"/>']
    for i, count in enumerate(counts):
        bar = count / most * (height - bottom - 20)
        x = left + i * column
        out.append(f'<rect x="{x + 1:.1f}" y="{height - bottom - bar:.1f}" width="{column - 2:.1f}" height="{bar:.1f}" '
                   f'fill="#2f7ebd"><title>{i * 5}–{i * 5 + 5} 分：{count} 个</title></rect>')
        if count:
            out.append(f'<text x="{x + column / 2:.1f}" y="{height - bottom - bar - 3:.1f}" text-anchor="middle">{count}</text>')
        if i % 2 == 0:
            out.append(f'<text x="{x:.1f}" y="{height - bottom + 14}" text-anchor="middle">{i * 5}</text>')
    out.append(f'<text x="{width - 10}" y="{height - bottom + 14}" text-anchor="end">100</text></svg>')
    return "".join(out)


# ------------------------------------------------------------------ xlsx

# Column widths in Excel's units (about one digit; a CJK character takes two): a name wider than its cap
# wraps onto a second line, so that a sheet printed one page wide stays readable.
_MAX_WIDTH = 60
_MIN_WIDTH = 6
_CAPS = {"text": 26, "wrap": 26, "file": 20}
_HEADER_LINE = 8  # a header wider than this wraps onto two lines
# Counting a CJK character as two digits is right for Excel's CJK fonts, a little wide for LibreOffice's: text is
# wrapped only when it is clearly wider than its column, or LibreOffice makes a row two lines tall for one.
_WRAP_OVER = 1.2
_PORTRAIT_WIDTH = 95  # what A4 portrait holds at full size, within its margins
_LINE_HEIGHT = 15  # points, a line of 11-point text: rows that wrap are given their height, as no reader computes it


def display_width(text: str) -> int:
    """Columns the text takes: CJK and full-width characters two, others one (wcwidth)."""
    from wcwidth import wcwidth

    if text.isascii():
        return len(text)
    return sum(max(wcwidth(character), 1) for character in text[:_MAX_WIDTH])


class Widths:
    """Column widths from the content: the widest cell of each column, header included, within bounds."""

    def __init__(self, columns: list[Column], summary: Summary):
        self.columns, self.summary = columns, summary
        self.widest = [_header_width(c.header) for c in columns]

    def add(self, row: list[Any]) -> None:
        widest = self.widest
        for i, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, Decimal):
                size = len(self.summary.score(value)) + 1
            elif isinstance(value, str):
                size = display_width(value) if len(value) < _MAX_WIDTH * 2 else _MAX_WIDTH
            else:
                size = len(str(value))
            widest[i] = max(widest[i], size)

    def widths(self) -> list[float]:
        out = []
        for column, widest in zip(self.columns, self.widest):
            out.append(max(_MIN_WIDTH, min(widest, _CAPS.get(column.kind, _MAX_WIDTH))) + 1.5)
        return out


def _header_width(header: str) -> int:
    """A header's width, bold, with the filter's button: on two lines when it is long."""
    width = display_width(header)
    if width > _HEADER_LINE:
        width = (width + 1) // 2 + 1
    return width + 3


def _wraps(text: str, width: float) -> bool:
    return display_width(text) > (width - 1.5) * _WRAP_OVER


def _lines(row: list[Any], widths: list[float]) -> int:
    """How many lines the row's wrapped text takes (one CJK character two units wide, as Excel draws it)."""
    lines = 1
    for value, width in zip(row, widths):
        if isinstance(value, str) and _wraps(value, width):
            lines = max(lines, -(-display_width(value) // max(1, int(width - 1.5))))
    return min(lines, 15)


class _Styles:
    """The few cell styles of the workbook, made once."""

    def __init__(self, places: int):
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.score_format = "0." + "0" * places if places > 0 else "0"
        self.difference_format = f"+{self.score_format};-{self.score_format};{self.score_format}"
        edge = Side(style="thin", color="8EA9C1")
        self.header_font = Font(name="Calibri", bold=True, color="1F3B57")  # named: LibreOffice's default is a serif
        self.header_fill = PatternFill("solid", fgColor="DDE6F0")
        self.header_border = Border(bottom=edge, top=edge, left=edge, right=edge)
        self.header_alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.file_font = Font(name="Calibri", color="808080", size=9)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.centre = Alignment(horizontal="center")
        self.centre_top = Alignment(horizontal="center", vertical="top")
        self.top = Alignment(vertical="top")


def _cell(sheet: Any, value: Any, column: Column, styles: _Styles, width: float = _MAX_WIDTH, top: bool = False) -> Any:
    """A cell of a write-only sheet: text never a formula, figures with the scheme's places. `top`: the row is
    taller than a line, and every cell of it is drawn at the top, beside the wrapped text."""
    from openpyxl.cell import WriteOnlyCell

    from .export import xlsx_text

    if value is None or value == "":
        return None
    cell = WriteOnlyCell(sheet)
    if isinstance(value, str):
        xlsx_text(cell, value)  # never a formula, whatever the case wrote
        if column.kind == "file":
            cell.font = styles.file_font
        if column.kind == "grade":
            cell.alignment = styles.centre_top if top else styles.centre
        elif _wraps(value, width):  # wider than its column: on two lines (or more)
            cell.alignment = styles.wrap
        elif top:
            cell.alignment = styles.top
        return cell
    cell.value = value
    if column.kind == "score":
        cell.number_format = styles.score_format
    elif column.kind == "difference":
        cell.number_format = styles.difference_format
    if top:
        cell.alignment = styles.top
    return cell


def _header(sheet: Any, columns: list[Column], styles: _Styles) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell

    row = []
    for column in columns:
        cell = WriteOnlyCell(sheet, column.header)
        cell.font, cell.fill = styles.header_font, styles.header_fill
        cell.border, cell.alignment = styles.header_border, styles.header_alignment
        row.append(cell)
    return row


def _layout(sheet: Any, columns: list[Column], widths: list[float]) -> None:
    """What must be set before the first row of a write-only sheet: widths, the frozen header, printing."""
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = round(width, 1)
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    _print_setup(sheet, sum(widths))


def _print_setup(sheet: Any, width: float) -> None:
    """A4, one page wide: portrait when the columns fit it, else landscape."""
    sheet.page_setup.orientation = "portrait" if width <= _PORTRAIT_WIDTH else "landscape"
    sheet.page_setup.paperSize = 9  # A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True


def write_table_sheet(workbook: Any, columns: list[Column], rows: Iterable[list[Any]], widths: list[float],
                      title: str, styles: _Styles, empty: str = "") -> int:
    """A sheet of one table: styled header, frozen, filtered, widths and number formats set. Returns its rows."""
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
    _layout(sheet, columns, widths)
    if any(display_width(column.header) > _HEADER_LINE for column in columns):
        sheet.row_dimensions[1].height = 2 * _LINE_HEIGHT
    sheet.append(_header(sheet, columns, styles))
    count = 0
    for row in rows:
        lines = _lines(row, widths)
        if lines > 1:
            sheet.row_dimensions[count + 2].height = lines * _LINE_HEIGHT
        sheet.append([_cell(sheet, value, column, styles, width, lines > 1)
                      for column, value, width in zip(columns, row, widths)])
        count += 1
    if count:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    elif empty:
        sheet.append([_cell(sheet, empty, Column(""), styles)])
    return count


def write_review_workbook(stream: Any, summary: Summary, records: Callable[[], Iterable[dict[str, Any]]],
                          noun: str = "项目") -> None:
    """The batch as a workbook: “结果” (one row per case, in input order, the first sheet as before), then the
    review's sheets and “汇总”. `records` gives every record again each time it is called (two passes:
    the widths, then the rows, so that neither the rows nor the cases are held in memory)."""
    import openpyxl

    styles = _Styles(summary.places)
    workbook = openpyxl.Workbook(write_only=True)
    columns = case_columns(summary, noun)
    level1 = summary.level1_columns()
    widths = Widths(columns, summary)
    for record in records():
        widths.add(case_row(record, level1, summary.relative))
    write_table_sheet(workbook, columns, (case_row(record, level1, summary.relative) for record in records()),
                      widths.widths(), "结果", styles)
    for table in review_tables(summary, noun):
        keep = [i for i, column in enumerate(table.columns) if column.kind != "mix"]  # a chart: the page's only
        table_columns = [table.columns[i] for i in keep]
        rows = [[row[i] for i in keep] for row in table.rows]
        table_widths = Widths(table_columns, summary)
        for row in rows:
            table_widths.add(row)
        write_table_sheet(workbook, table_columns, rows, table_widths.widths(), table.title, styles, empty=table.empty)
    sheet = workbook.create_sheet("汇总")
    widths = [24, 90]
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = widths
    _print_setup(sheet, sum(widths))
    lines = summary.render().splitlines()
    if summary.folder:
        lines.append(f"文件：表中“文件”一栏为 {summary.folder}{os.sep} 下的路径")
    for number, line in enumerate(lines, 1):
        label, _, text = line.partition("：")
        cells = [_cell(sheet, label, Column(""), styles), _cell(sheet, text, Column(""), styles)]
        for cell in cells:
            if cell is not None:
                cell.alignment = styles.wrap
        if cells[0] is not None:
            cells[0].font = styles.header_font
        height = max(-(-display_width(part) // (width - 2)) for part, width in zip((label, text), widths))
        if height > 1:
            sheet.row_dimensions[number].height = min(height, 15) * _LINE_HEIGHT
        sheet.append(cells)
    workbook.save(stream)

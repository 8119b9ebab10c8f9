"""Report stage: the scored table in the forms staff hand in — Markdown, CSV, HTML (printable, A4) and xlsx.

A project case is laid out as the official 项目支出绩效自评表 (项目资金 block, 年度总体目标,
indicator rows, 总分, 等级) with the computed 执行率 and 得分 filled in; other cases as the indicator
tree with subtotals. Failed cross-checks are printed beside the table, and the HTML page carries an
inline SVG chart of score against weight for each 一级指标 or dimension. No network is needed to view it.

Case text is never live in what is written (`safe_text`): a CSV cell a spreadsheet would run gets a
leading apostrophe, an xlsx cell is always a string (never a formula), Markdown and HTML are escaped.
"""

from __future__ import annotations

import csv
import html
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .model import CaseData, GroupResult, IndicatorResult, Result
from .quantities import fixed, parse_number, plain_number, ValueProblem
from .safe_text import FORMULA_STARTS, clean, csv_cell, formula_like, markdown_cell

_FUNDS_ROWS = (("total", "年度资金总额"), ("appropriation", "其中：当年财政拨款"), ("carried_over", "上年结转资金"),
               ("other", "其他资金"))
_INDICATOR_HEADERS = ("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _levels(indicator: IndicatorResult) -> list[str]:
    """一级 / 二级 / 三级 columns: the indicator's name is the 三级 one, unless it stands at the top itself."""
    path = list(indicator.path)
    if not path:
        return [indicator.name, "", ""]
    if len(path) == 1:
        return [path[0], "", indicator.name]
    return [" / ".join(path[:-1]), path[-1], indicator.name]


def indicator_rows(result: Result) -> list[list[str]]:
    """One row per indicator in the columns of the official table (figures as written, scores computed)."""
    places = result.places
    rows = []
    for indicator in result.indicators:
        computed = not indicator.from_case
        target = indicator.target if not computed or indicator.target is None else Decimal(fixed(indicator.target, places))
        actual = indicator.actual
        if isinstance(actual, tuple):
            actual = f"{sum(1 for a in actual if a)}/{len(actual)} 项符合"
        elif computed and isinstance(actual, Decimal):
            actual = Decimal(fixed(actual, places))
        rows.append(_levels(indicator) + [indicator.nature or "", _text(target), indicator.unit or "", _text(actual),
                                          plain_number(indicator.weight), fixed(indicator.score, places)])
    return rows


def _case_data(case: CaseData | None) -> dict[str, Any]:
    data = case.document.data if case is not None and case.document is not None else {}
    return data if isinstance(data, dict) else {}


# ------------------------------------------------------------------ Markdown / CSV --------


def render_markdown(result: Result, case: CaseData | None = None) -> str:
    places = result.places

    def row(cells: list[str]) -> str:  # cells already Markdown: our own markup, or text through `md`
        return "| " + " | ".join(cells) + " |"

    md = markdown_cell  # every text from the case or the scheme: one line, no raw HTML, no cell break
    scheme = result.scheme
    lines = [f"# {md(_title(result))}", "", f"方案：{md(scheme['title'])}（{md(scheme['id'])} {md(scheme['fiscal_year'])}）", ""]
    lines.append(row(list(_INDICATOR_HEADERS)))
    lines.append(row(["---"] * 7 + ["---:", "---:"]))
    lines.extend(row([md(cell) for cell in cells]) for cells in indicator_rows(result))
    lines.append(row(["**总分**", "", "", "", "", "", "", f"**{fixed(result.max_total, places)}**", f"**{fixed(result.total, places)}**"]))
    lines += ["", f"**等级：{md(result.grade)}**", ""]
    failed = [c for c in result.checks if c.status == "failed"]
    if failed:
        lines.append("## 勾稽核对不符")
        for check in failed:
            lines.append(f"- {md(check.message)}")
            lines.extend(f"  - {md(detail)}" for detail in check.details)
    elif result.checks:
        lines.append(f"勾稽核对：{len(result.checks)} 项均无不符。")
    return "\n".join(lines) + "\n"


def render_csv(result: Result, case: CaseData | None = None) -> str:
    """Comma-separated, with a byte-order mark so that Excel opens the Chinese text correctly.

    Every cell passes through `csv_cell`: text a spreadsheet would run as a formula gets a leading
    apostrophe; scores and figures (-5.00, 28.33) stay plain numbers.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(_INDICATOR_HEADERS) + ["编号"])
    for indicator, cells in zip(result.indicators, indicator_rows(result)):
        writer.writerow([csv_cell(cell) for cell in cells + [indicator.id]])
    writer.writerow(["总分", "", "", "", "", "", "", fixed(result.max_total, result.places), fixed(result.total, result.places), ""])
    writer.writerow(["等级", csv_cell(result.grade)] + [""] * 8)
    return "\ufeff" + buffer.getvalue()


def _title(result: Result) -> str:
    kind = {"project": "项目支出绩效自评表", "department": "部门整体支出绩效自评表"}.get(result.case.get("kind"), "绩效自评表")
    return f"{result.case.get('fiscal_year', '')}年度{kind}：{result.case.get('name', '')}"


# ------------------------------------------------------------------ official layout ------


def official_cells(result: Result, case: CaseData | None) -> list[list[tuple[str, int, int, str]]]:
    """The official table as rows of (text, colspan, rowspan, style) on a 10-column grid.

    style: "h" header, "n" number, "t" text, "s" score (computed), "" plain.
    """
    data = _case_data(case)
    places = result.places
    rows: list[list[tuple[str, int, int, str]]] = []
    if result.case.get("kind") == "project" and "funds" in data:
        rows.append([("项目名称", 2, 1, "h"), (_text(data.get("name")), 8, 1, "t")])
        rows.append([("主管部门", 2, 1, "h"), (_text(data.get("department")), 3, 1, "t"), ("实施单位", 1, 1, "h"),
                     (_text(data.get("implementer")), 4, 1, "t")])
        execution = next((i for i in result.indicators if i.id == "execution"), None)
        rows.append([("项目资金（万元）", 2, 5, "h"), ("", 2, 1, "h"), ("年初预算数", 1, 1, "h"), ("全年预算数", 1, 1, "h"),
                     ("全年执行数", 1, 1, "h"), ("分值", 1, 1, "h"), ("执行率", 1, 1, "h"), ("得分", 1, 1, "h")])
        funds = data.get("funds") or {}
        for key, name in _FUNDS_ROWS:
            entry = funds.get(key) or {}
            cells = [(name, 2, 1, "h")] + [(_text(entry.get(k)), 1, 1, "n") for k in ("initial_budget", "full_year_budget", "executed")]
            rate = _rate(entry)
            if key == "total" and execution is not None:
                cells += [(plain_number(execution.weight), 1, 1, "n"), (rate, 1, 1, "s"), (fixed(execution.score, places), 1, 1, "s")]
            else:
                cells += [("—", 1, 1, "n"), (rate, 1, 1, "s"), ("—", 1, 1, "n")]
            rows.append(cells)
        goals = data.get("goals") or {}
        rows.append([("年度总体目标", 2, 2, "h"), ("预期目标", 4, 1, "h"), ("实际完成情况", 4, 1, "h")])
        rows.append([(_text(goals.get("expected")), 4, 1, "t"), (_text(goals.get("achieved")), 4, 1, "t")])
    elif result.case.get("kind") == "department":
        rows.extend(_department_head(data))
    rows.append([(name, 1, 1, "h") for name in _INDICATOR_HEADERS] + [("偏差原因分析及改进措施", 1, 1, "h")])
    body = []
    for indicator, cells in zip(result.indicators, indicator_rows(result)):
        if indicator.id == "execution" and result.case.get("kind") == "project" and "funds" in data:
            continue
        deviation = indicator.source.deviation if indicator.from_case else ""
        body.append([(c, 1, 1, "t" if i < 4 else "n") for i, c in enumerate(cells[:8])] + [(cells[8], 1, 1, "s"),
                                                                                           (deviation or "", 1, 1, "t")])
    rows.extend(_merge_repeats(body, columns=2))
    if "notes" in data:
        rows.append([("其他需要说明事项", 3, 1, "h"), (_text(data.get("notes")), 7, 1, "t")])
    rows.append([("总分", 7, 1, "h"), (fixed(result.max_total, places), 1, 1, "n"), (fixed(result.total, places), 1, 1, "s"),
                 (result.grade, 1, 1, "s")])
    return rows


def _department_head(data: dict[str, Any]) -> list[list[tuple[str, int, int, str]]]:
    """What the 部门整体支出绩效自评表 prints above its indicators, as far as the case gives it: 部门名称, 部门总体目标,
    一、部门年度目标, 二、部门年度重点工作任务, and the caption 三、部门整体支出绩效指标 (the 沾益 form)."""
    goals = data.get("goals") if isinstance(data.get("goals"), dict) else {}
    annual = [entry for entry in goals.get("annual") or [] if isinstance(entry, dict)]
    tasks = [task for task in data.get("key_tasks") or [] if isinstance(task, dict)]
    if not (goals.get("duties") or goals.get("overall") or annual or tasks):
        return []  # a form without these blocks (中方): the indicators alone, as it prints them
    rows: list[list[tuple[str, int, int, str]]] = [[("部门名称", 2, 1, "h"), (_text(data.get("name")), 8, 1, "t")]]
    stated = [(label, goals.get(key)) for key, label in (("duties", "部门职责"), ("overall", "总体绩效目标")) if goals.get(key)]
    for n, (label, text) in enumerate(stated):
        rows.append(([("部门总体目标", 1, len(stated), "h")] if n == 0 else []) +
                    [(label, 1, 1, "h"), (_text(text), 8, 1, "t")])
    if annual:
        rows.append([("一、部门年度目标", 10, 1, "h")])
        rows.append([("财年", 1, 1, "h"), ("目标", 6, 1, "h"), ("实际完成情况", 3, 1, "h")])
        rows.extend([(_text(entry.get("year")), 1, 1, "t"), (_text(entry.get("target")), 6, 1, "t"),
                     (_text(entry.get("achieved")), 3, 1, "t")] for entry in annual)
    if tasks:
        rows.append([("二、部门年度重点工作任务", 10, 1, "h")])
        # 主要内容 before 项目级次: the long text under the widest column (三级指标's), 本级 under 指标性质
        rows.append([("任务名称", 2, 2, "h"), ("主要内容", 1, 2, "h"), ("项目级次", 1, 2, "h"), ("批复金额（万元）", 3, 1, "h"),
                     ("实际支出金额（万元）", 1, 2, "h"), ("预算执行率", 1, 2, "h"), ("预算执行偏低原因及改进措施", 1, 2, "h")])
        rows.append([("总额", 1, 1, "h"), ("财政拨款", 1, 1, "h"), ("其他资金", 1, 1, "h")])
        for task in tasks:
            approved = task.get("approved") if isinstance(task.get("approved"), dict) else {}
            rows.append([(_text(task.get("name")), 2, 1, "t"), (_text(task.get("content")), 1, 1, "t"),
                         (_text(task.get("level")), 1, 1, "t")]
                        + [(_text(approved.get(key)), 1, 1, "n") for key in ("total", "appropriation", "other")]
                        + [(_text(task.get("executed")), 1, 1, "n"), (_text(task.get("rate")), 1, 1, "n"),
                           (_text(task.get("reason")), 1, 1, "t")])
    rows.append([("三、部门整体支出绩效指标", 10, 1, "h")])
    return rows


def _merge_repeats(rows: list[list[tuple]], columns: int) -> list[list[tuple]]:
    """一级 / 二级 cells repeated on consecutive rows become one cell spanning them, as on the printed form."""
    merged = [list(row) for row in rows]
    for column in range(columns):
        start = 0
        while start < len(merged):
            end = start + 1
            key = [rows[start][c][0] for c in range(column + 1)]
            while end < len(rows) and [rows[end][c][0] for c in range(column + 1)] == key and key[column]:
                end += 1
            if end - start > 1:
                text, colspan, _, style = merged[start][column]
                merged[start][column] = (text, colspan, end - start, style)
                for row in range(start + 1, end):
                    merged[row][column] = None
            start = end
    return [[cell for cell in row if cell is not None] for row in merged]


def _rate(entry: dict[str, Any]) -> str:
    try:
        budget, executed = parse_number(entry.get("full_year_budget"), "万元"), parse_number(entry.get("executed"), "万元")
    except ValueProblem:
        return ""
    if budget is None or executed is None or budget == 0:
        return ""
    return fixed(executed / budget * 100, 2) + "%"


# ------------------------------------------------------------------ print layout ----------
#
# What a printed table needs, shared by the xlsx and the HTML page: column widths from the text each
# column holds, the orientation those widths call for, the lines each cell wraps to and so the height
# of each row, and where pages may break. Widths are in spreadsheet width units (the digit of the
# workbook's default font, 10 pt Arial); heights and font sizes in points.

FONT = "宋体"  # the official forms' face, for text and figures alike
UNIT_FONT = "Arial"  # the default font, which sets the width unit (see _PRINTERS)
BODY_PT = 10
TITLE_PT = 16
A4_MM = (210, 297)
MARGINS_MM = {"left": 18, "right": 18, "top": 20, "bottom": 18, "header": 9, "footer": 9}
_UNIT_MM = 1.96  # 10 pt Arial's digit, as LibreOffice measures it on Liberation Sans (Excel: 7 px, 1.85 mm)
_PT_PER_MM = 72 / 25.4
_LINE_PT = 14.5  # a line of 10 pt text: Noto Sans CJK, which stands in for 宋体 without SimSun, is 1.45 em high
_ROW_PAD_PT = 4
_ROW_MIN_PT = 18
_TEXT_LINE = 8  # a long text wraps to lines of at least 8 characters
_LEAST_SCALE = 1.15  # portrait while fitting the table to the page's width prints 10 pt at 8.7 pt or more
_PAGE_SLACK_PT = 6  # what the pagination below leaves unused on each page, against rounding in the printer
_TOLERANCE = 0.2  # width units either way that a printer's own measure may differ from the models below


@dataclass(frozen=True)
class _Printer:
    """How one program sets text in a cell: width units a CJK character, another character, a % sign, the cell's
    padding take at the body size; bold figures are a tenth wider (bold CJK is not)."""

    wide: float
    narrow: float
    percent: float
    padding: float

    def width(self, text: str, bold: bool = False) -> float:
        """Width units the text takes on one line, without the padding."""
        narrow = (1.1 if bold else 1) * sum(self.percent if c == "%" else self.narrow for c in text if _char_columns(c) == 1)
        return self.wide * sum(1 for c in text if _char_columns(c) == 2) + narrow


# Excel and WPS with SimSun: a CJK character counts two (wcwidth), anything else one. LibreOffice on a
# machine without SimSun sets 宋体's characters in Noto Sans CJK (1.8 units) and its figures in DejaVu
# Sans. Every width below lets a cell's text fit in both, and every height is the taller of the two.
_PRINTERS = (_Printer(wide=2.0, narrow=1.0, percent=1.0, padding=0.6),
             _Printer(wide=1.8, narrow=1.08, percent=1.65, padding=0.45))  # measured: bold 100.00% needs 9.25


@dataclass(frozen=True)
class PrintLayout:
    """Column widths (width units) of the 10-column grid, and the orientation they call for."""

    widths: tuple[float, ...]
    landscape: bool

    @property
    def page_mm(self) -> tuple[int, int]:
        return (A4_MM[1], A4_MM[0]) if self.landscape else A4_MM

    @property
    def body_height_pt(self) -> float:
        return (self.page_mm[1] - MARGINS_MM["top"] - MARGINS_MM["bottom"]) * _PT_PER_MM

    @property
    def rows_per_page_pt(self) -> float:
        """Points of rows (at their set heights) one page holds: fitting the width shrinks rows as well, so a
        scaled table holds more; the scale is taken a little larger than modelled, against overfilling."""
        return self.body_height_pt / min(1.0, self.scale * 1.04)

    @property
    def scale(self) -> float:
        """What fitting the table to the page's width scales it by, in LibreOffice (1 when it fits)."""
        room = (self.page_mm[0] - MARGINS_MM["left"] - MARGINS_MM["right"]) / _UNIT_MM
        return min(1.0, room / sum(self.widths))


def _char_columns(character: str) -> int:
    from wcwidth import wcwidth

    return 2 if wcwidth(character) == 2 else 1  # a control shown as a mark, a combining mark: one, to be safe


def _lines(text: str) -> list[str]:
    return clean(text).split("\n")


def _tokens(line: str) -> Iterator[str]:
    """What a line may break between: each CJK character alone, each run of spaces, each word of other letters."""
    word = ""
    for character in line:
        if character.isspace() or _char_columns(character) == 2:
            if word:
                yield word
                word = ""
            yield character
        else:
            word += character
    if word:
        yield word


def _set(line: str, room: float, printer: _Printer, bold: bool) -> list[float]:
    """The widths of the lines one line of text wraps to in `room` units, as the printer wraps it."""
    widths, used = [], 0.0
    room += 1e-9  # a text exactly as wide as the room fits it
    for token in _tokens(line):
        width = printer.width(token, bold)
        if token.isspace() or used + width <= room:
            used += width  # spaces at the end of a line do not start the next
        elif width <= room:
            widths.append(used)
            used = width
        else:  # a word longer than the line is broken anywhere
            for character in token:
                step = printer.width(character, bold)
                if used + step > room and used > 0:
                    widths.append(used)
                    used = 0.0
                used += step
    return widths + [used]


def wrapped_lines(text: str, width: float, size: float = BODY_PT, bold: bool = False) -> int:
    """Lines the text takes in a cell this wide (width units) at this font size, in whichever printer needs more."""
    scale = size / BODY_PT
    return max(sum(len(_set(line, (width - printer.padding - _TOLERANCE) / scale, printer, bold)) for line in _lines(text))
               for printer in _PRINTERS)


def _widowed(text: str, width: float) -> bool:
    """Might a printer leave the last character of a wrapped name alone on a line (绩效目标合理 / 性)?"""
    for printer in _PRINTERS:
        for room in (width - printer.padding - _TOLERANCE, width - printer.padding + _TOLERANCE):
            for line in _lines(text):
                lines = _set(line, room, printer, False)
                if len(lines) > 1 and lines[-1] <= printer.wide + 1e-9:
                    return True
    return False


def shrunk(text: str, width: float) -> bool:
    """Is this heading better shrunk a little onto one line than wrapped with its last character alone (实施单 / 位)?

    Headings of a column are of different lengths (度量单位 above 全年预算数): no width wraps them all evenly.
    """
    return _widowed(text, width) and _longest(text, bold=True) * 0.75 <= width


def cell_height(text: str, width: float, size: float = BODY_PT, bold: bool = False) -> float:
    """Points a wrapped cell needs: its lines, and the padding above and below them."""
    return wrapped_lines(text, width, size, bold) * _LINE_PT * size / BODY_PT + _ROW_PAD_PT


def _fits(text: str, characters: float, bold: bool = False) -> float:
    """The width (units) in which every printer sets this many characters of the text on one line."""
    sample = clean(text)[:max(int(characters), 1)] if characters < len(text) else clean(text)
    return max(printer.width(sample, bold) + printer.padding for printer in _PRINTERS)


def _longest(text: str, bold: bool = False) -> float:
    return max(max(printer.width(line, bold) for line in _lines(text)) + printer.padding for printer in _PRINTERS)


def _heading_width(text: str) -> float:
    """A heading may wrap: to two lines from four characters (指标 / 性质), to three from seven (偏差原因 / 分析及改 / 进措施)."""
    length = max(len(line) for line in _lines(text))
    lines = 1 if length <= 3 else 2 if length <= 6 else 3
    return max(_fits(line, math.ceil(len(line) / lines), bold=True) for line in _lines(text))


def _name_floor(text: str) -> float:
    """A name may wrap to two lines of equal length, a long text to lines of eight characters."""
    length = max(len(line) for line in _lines(text))
    return max(_fits(line, min(math.ceil(length / 2), _TEXT_LINE)) for line in _lines(text))


def place(rows: list[list[tuple[str, int, int, str]]]) -> list[tuple[int, int, str, int, int, str]]:
    """(row, column, text, colspan, rowspan, style) of each cell, the columns that a rowspan above fills skipped."""
    occupied: set[tuple[int, int]] = set()
    placed = []
    for row, cells in enumerate(rows):
        column = 0
        for text, colspan, rowspan, style in cells:
            while (row, column) in occupied:
                column += 1
            placed.append((row, column, text, colspan, rowspan, style))
            occupied.update((r, c) for r in range(row, row + rowspan) for c in range(column, column + colspan))
            column += colspan
    return placed


def print_layout(rows: list[list[tuple[str, int, int, str]]], columns: int = 10) -> PrintLayout:
    """Widths from what each column holds; portrait when the table fits the width of an A4 page, else landscape.

    A figure or score keeps its line; a heading may wrap to two or three lines; a name no less than half
    its length a line (a long text 8 characters), and never leaves its last character alone on a line.
    Portrait when every column fits at its least width (scaled to the page by no more than _LEAST_SCALE);
    the room left is shared out by `_share`.
    """
    rigid, natural, floor = [0.0] * columns, [0.0] * columns, [0.0] * columns
    figures = [_fits("字", 1)] * columns  # no column narrower than one character, or a figure it holds
    names: list[list[str]] = [[] for _ in range(columns)]
    headings: list[list[str]] = [[] for _ in range(columns)]
    for _, column, text, colspan, _, style in place(rows):
        if colspan != 1 or column >= columns or not text:
            continue
        if style in ("n", "s"):
            figures[column] = max(figures[column], _longest(text, bold=style == "s"))
            rigid[column] = max(rigid[column], figures[column])
        elif style == "h":
            headings[column].append(text)
            rigid[column] = max(rigid[column], _heading_width(text))
        else:
            names[column].append(text)
            natural[column] = max(natural[column], _longest(text))
            floor[column] = max(floor[column], _name_floor(text))
    least = [max(r, min(f, n)) for r, f, n in zip(rigid, floor, natural)]
    least = [_unwidowed(w, texts, [], w, upward=True) for w, texts in zip(least, names)]
    for landscape in (False, True):
        page_width = (A4_MM[1] if landscape else A4_MM[0]) - MARGINS_MM["left"] - MARGINS_MM["right"]
        budget = page_width / _UNIT_MM
        if sum(least) <= budget * _LEAST_SCALE or landscape:
            widths = _share(least, natural, budget)
            return PrintLayout(tuple(_unwidowed(*column) for column in zip(widths, names, headings, figures)), landscape)
    raise AssertionError("unreachable")


def _share(least: list[float], natural: list[float], budget: float) -> list[float]:
    """The room a page leaves over the least widths: first to the columns whose names it puts on one line,
    those that want least first (so the most columns have theirs unwrapped), then to all in proportion."""
    widths = list(least)
    room = budget - sum(widths)
    wanting = [max(n - w, 0) for n, w in zip(natural, widths)]
    for column in sorted(range(len(widths)), key=lambda c: wanting[c]):
        given = max(min(room, wanting[column]), 0)
        widths[column] += given
        room -= given
    total = sum(widths)
    return [w + room * w / total for w in widths] if room > 0 and total else widths


def _unwidowed(width: float, names: list[str], headings: list[str], least: float, upward: bool = False) -> float:
    """The width, narrowed (down to `least`) or widened by the least that leaves no name's last character alone,
    nor a heading's if it can (a heading left so is shrunk onto one line instead, see `shrunk`); failing
    that, the one that leaves the fewest names so."""
    steps = [width + step / 4 for step in range(49)] if upward else \
        [w for step in range(13) for w in (width - step / 4, width + step / 4)]
    candidates = [w for w in steps if w >= least]
    for texts in (names + headings, names):
        for candidate in candidates:
            if not any(_widowed(text, candidate) for text in texts):
                return round(candidate, 2)
    return round(min(candidates, key=lambda w: sum(_widowed(text, w) for text in names)), 2)


def row_heights(placed: list[tuple[int, int, str, int, int, str]], widths: tuple[float, ...], count: int,
                fonts: dict[str, tuple[float, bool]] | None = None, least: float = _ROW_MIN_PT) -> list[float]:
    """Height (points) of each row: the tallest of its cells; a cell over several rows shares what it lacks among them.

    fonts: style → (size, bold), for the cells not in the 10 pt body font.
    """
    fonts = fonts or {}
    heights = [least] * count
    spanning = []
    for row, column, text, colspan, rowspan, style in placed:
        size, bold = fonts.get(style, (BODY_PT, False))
        width = sum(widths[column:column + colspan])
        one_line = (style == "h" and shrunk(text, width)) or (style in ("n", "s") and _PLAIN_FIGURE.match(text))
        lines = 1 if one_line else None  # a figure is never wrapped: its column was made wide enough
        need = (lines * _LINE_PT * size / BODY_PT + _ROW_PAD_PT if lines else cell_height(text, width, size, bold)) if text else 0
        if rowspan == 1:
            heights[row] = max(heights[row], need)
        else:
            spanning.append((row, rowspan, need))
    for row, rowspan, need in spanning:
        lacking = need - sum(heights[row:row + rowspan])
        if lacking > 0:
            for r in range(row, row + rowspan):
                heights[r] += lacking / rowspan
    return [math.ceil(h * 4) / 4 for h in heights]  # quarter points, as spreadsheets store them


def page_breaks(heights: list[float], units: list[tuple[int, int]], page_height: float, repeated: float) -> list[int]:
    """Rows before which a page must break so that no unit (first row, row after last) is split across two pages.

    Pages are filled as a printer fills them; a unit that would cross the foot of a page starts the
    next one (where the repeated heading rows, `repeated` points, come first), unless it is taller than
    a page itself.
    """
    limit = page_height - _PAGE_SLACK_PT
    breaks, used = [], 0.0
    for start, end in units:
        height = sum(heights[start:end])
        if used + height > limit and used > 0 and repeated + height <= limit:
            breaks.append(start)
            used = repeated
        used += height
        while used > limit:  # a unit taller than a page: the printer breaks it where it must
            used = repeated + used - limit
    return breaks


# ------------------------------------------------------------------ HTML ------------------


def _h(text: str) -> str:
    """Text in HTML: markup escaped, control characters shown as marks (the page may be printed to a terminal)."""
    return html.escape(clean(str(text)))


_CSS = """
@page { size: A4 %(orientation)s; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
       "SimSun", "Songti SC", sans-serif; font-size: 10.5pt; color: #111; margin: 0 auto; max-width: %(width)smm; }
h1 { font-size: 15pt; text-align: center; margin: 4mm 0 2mm; }
p.scheme { text-align: center; color: #444; margin: 0 0 4mm; font-size: 9pt; }
table { border-collapse: collapse; width: 100%%; page-break-inside: auto; }
table.form { table-layout: fixed; font-size: 10pt; }
table.form + table.form { margin-top: -0.6pt; }  /* the indicator table goes on from the 项目资金 block, one border between */
thead { display: table-header-group; }  /* the column headings again at the top of every printed page */
tr { page-break-inside: avoid; break-inside: avoid; }
th, td { border: 0.6pt solid #333; padding: 1.2mm 1mm; vertical-align: middle; text-wrap: pretty; overflow-wrap: anywhere; }
th { background: #f2f2f2; font-weight: 600; text-align: center; }
td.n, td.s { text-align: right; white-space: nowrap; }
td.s { font-weight: 600; background: #fffbe6; }
tr.within, tr.total, tr.closing { break-before: avoid; page-break-before: avoid; }  /* no page breaks inside a merged
   一级指标, nor before 总分 and what follows it: they go with the last rows */
tr.closing > td { border: none; padding: 0; text-wrap: wrap; }
tr.closing table { font-size: 10pt; }
.summary { margin: 3mm 0; font-size: 12pt; }
.summary strong { font-size: 14pt; }
.checks { margin: 2mm 0; padding: 1mm 3mm; border: 0.6pt solid #c33; background: #fff5f5; }
.checks ul { margin: 1mm 0; padding-left: 5mm; }
.checks h2, .chart h2, .subtotals h2 { font-size: 11pt; margin: 0 0 2mm; }
.checks li { margin: 1mm 0; }
.checks li.ok { color: #275; }
.subtotals { margin: 3mm 0; }
.signature { display: flex; justify-content: space-between; margin: 6mm 0 1mm; font-size: 10.5pt; }
.signature span { flex: 1; }
.signature span:last-child { flex: 0 0 auto; }
.chart { margin-top: 3mm; break-inside: avoid; page-break-inside: avoid; }  /* the footer is inside: never alone */
footer { margin-top: 4mm; color: #666; font-size: 8pt; break-before: avoid; page-break-before: avoid; }
"""


def render_html(result: Result, case: CaseData | None = None) -> str:
    """The official table as a page to print on A4: widths from the text each column holds, the headings on every page."""
    places = result.places
    table = official_cells(result, case)
    layout = print_layout(table)
    columns = "<colgroup>" + "".join(f'<col style="width:{w / sum(layout.widths) * 100:.2f}%">'
                                     for w in layout.widths) + "</colgroup>"
    heading = next(i for i, cells in enumerate(table) if cells[0][:1] == ("一级指标",))
    body = [f"<h1>{_h(_title(result))}</h1>",
            f'<p class="scheme">评价方案：{_h(result.scheme["title"])}（{_h(str(result.scheme["id"]))} '
            f'{_h(result.scheme["fiscal_year"])}）</p>']
    if heading:  # the 项目资金 block and goals: printed once, above the indicator table
        body += ['<table class="form">', columns, "<tbody>", *(_html_row(row) for row in table[:heading]), "</tbody>",
                 "</table>"]
    within = {row for row, _, _, _, rowspan, _ in place(table) for row in range(row + 1, row + rowspan)}
    body += ['<table class="form">', columns, "<thead>", _html_row(table[heading]), "</thead>", "<tbody>",
             *(_html_row(row, "within" if i in within else "") for i, row in enumerate(table[heading + 1:-1], heading + 1)),
             _html_row(table[-1], "total")]
    # What follows the table is its last row, so that it goes with the table's last rows (the headings above
    # them on a new page) and never makes a page of its own.
    body.append('<tr class="closing"><td colspan="10">')
    body.append(f'<p class="summary">总分 <strong id="total">{fixed(result.total, places)}</strong> / '
                f'{fixed(result.max_total, places)}　等级 <strong id="grade">{_h(result.grade)}</strong></p>')
    subtotals = _subtotal_rows(result.groups, places)
    if subtotals:
        body.append('<section class="subtotals"><h2>分项得分</h2><table><thead><tr><th>指标</th><th>分值</th>'
                    '<th>得分</th><th>得分率</th></tr></thead><tbody>' + "".join(
                        f'<tr><td style="padding-left:{2 + 5 * depth}mm">{_h(name)}</td><td class="n">{weight}</td>'
                        f'<td class="s">{score}</td><td class="n">{share}</td></tr>'
                        for depth, name, weight, score, share in subtotals) + "</tbody></table></section>")
    failed = [c for c in result.checks if c.status == "failed"]
    if failed:
        body.append(f'<section class="checks"><h2>{_CHECKS_CAPTION}</h2><ul>')
        for check in failed:
            details = "".join(f"<br>　{_h(d)}" for d in check.details)
            body.append(f"<li>{_h(check.message)}{details}</li>")
        body.append("</ul></section>")
    elif result.checks:
        body.append(f'<section class="checks" style="border-color:#3a7;background:#f3fbf6">'
                    f'<ul><li class="ok">勾稽核对：{len(result.checks)} 项均无不符</li></ul></section>')
    body.append('<p class="signature">' + "".join(f"<span>{_h(text)}</span>" for text in _signature_texts(case))
                + "</p>")
    body.append("</td></tr></tbody></table>")
    body.append('<section class="chart"><h2>各部分得分与分值</h2>' + svg_chart(result)
                + f"<footer>由 budget-eval-engine 按方案文件 {_h(str(result.scheme.get('file', '')))} 计算；"
                  f"案例文件 {_h(str(result.case.get('file', '')))}。</footer></section>")
    css = _CSS % {"orientation": "landscape" if layout.landscape else "portrait",
                  "width": layout.page_mm[0] - 20}
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_h(_title(result))}</title>\n<style>{css}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def _html_row(row: list[tuple[str, int, int, str]], kind: str = "") -> str:
    cells = []
    for text, colspan, rowspan, style in row:
        tag = "th" if style == "h" else "td"
        attributes = (f' colspan="{colspan}"' if colspan > 1 else "") + (f' rowspan="{rowspan}"' if rowspan > 1 else "")
        attributes += f' class="{style}"' if style in ("n", "s", "t") else ""
        cells.append(f"<{tag}{attributes}>{_h(text)}</{tag}>")
    return (f'<tr class="{kind}">' if kind else "<tr>") + "".join(cells) + "</tr>"


def _subtotal_rows(root: GroupResult, places: int) -> list[tuple[int, str, str, str, str]]:
    """(depth, name, weight, score, share) for each dimension the scheme defines; none for a project table."""
    rows = []

    def visit(group: GroupResult, depth: int) -> None:
        for child in group.children:
            if isinstance(child, GroupResult) and not child.from_case:
                share = f"{fixed(child.score / child.weight * 100, 1)}%" if child.weight else ""
                rows.append((depth, child.name, plain_number(child.weight), fixed(child.score, places), share))
                visit(child, depth + 1)

    visit(root, 0)
    return rows


def chart_parts(result: Result) -> list[tuple[str, Decimal, Decimal]]:
    """(name, weight, score) per 一级指标 or dimension: the top level of the indicator tree."""
    parts = []
    for child in result.groups.children:
        parts.append((child.name, child.weight, child.score))
    return parts


def svg_chart(result: Result) -> str:
    parts = chart_parts(result)
    width, label_width, bar_height, gap = 640, 150, 14, 6
    scale_max = max((weight for _, weight, _ in parts), default=Decimal(1)) or Decimal(1)
    usable = width - label_width - 110
    height = len(parts) * (bar_height + gap) + gap
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'role="img" aria-label="各部分得分与分值" font-family="inherit" font-size="12">']
    for i, (name, weight, score) in enumerate(parts):
        y = gap + i * (bar_height + gap)
        full = float(weight / scale_max) * usable
        got = float(score / scale_max) * usable if weight else 0.0
        out.append(f'<text x="{label_width - 6}" y="{y + bar_height - 3}" text-anchor="end">{_h(name)}</text>')
        out.append(f'<rect x="{label_width}" y="{y}" width="{full:.1f}" height="{bar_height}" fill="#e6e6e6" stroke="#999"/>')
        out.append(f'<rect x="{label_width}" y="{y}" width="{got:.1f}" height="{bar_height}" fill="#2f7ebd"/>')
        out.append(f'<text x="{label_width + full + 6:.1f}" y="{y + bar_height - 3}">'
                   f'{fixed(score, result.places)} / {plain_number(weight)}</text>')
    out.append("</svg>")
    return "".join(out)


# ------------------------------------------------------------------ xlsx ------------------

_SIGNATURE = (("prepared_by", "填报人："), ("reviewed_by", "审核人："), ("date", "日期："))
_BLANK_DATE = "　　　年　　月　　日"
_CHECKS_CAPTION = "勾稽核对不符（原表所填与其自身数字不一致，得分按规则计算）"


@dataclass
class _Sheet:
    """The printed sheet as rows of (text, colspan, rowspan, style) cells, and what holds together on a page."""

    rows: list[list[tuple[str, int, int, str]]]
    header: int  # the row of column headings, repeated on every page
    units: list[tuple[int, int]]  # (first row, row after the last) that no page break may split
    indents: dict[int, int]  # row → indent of its first cell (the 分项得分 tree)


def _sheet(result: Result, case: CaseData | None, layout: PrintLayout) -> _Sheet:
    """Title, the official table, then 分项得分, the failed checks and the signature lines, as printed on paper.

    What follows the table starts no page of its own: it goes with the table's last rows (under the
    repeated headings), as the signatures go with what is above them.
    """
    places = result.places
    table = official_cells(result, case)
    rows: list[list[tuple[str, int, int, str]]] = [[(_title(result).split("：")[0], 10, 1, "title")]]
    if not any(cells[0][0] in ("项目名称", "部门名称") for cells in table if cells):  # the name, where the table has no row for it
        label = "项目名称" if result.case.get("kind") == "project" else "部门（单位）名称"
        rows.append([(f"{label}：{_text(result.case.get('name', ''))}", 10, 1, "sub")])
    top = len(rows)
    rows.extend(table)
    header = top + next(i for i, cells in enumerate(table) if cells[0][:1] == ("一级指标",))
    units = _table_units(table, top, header)
    indents: dict[int, int] = {}
    subtotals = _subtotal_rows(result.groups, places)
    if subtotals:
        rows.append([("", 10, 1, "gap")])
        rows.append([("分项得分", 10, 1, "cap")])
        rows.append([("指标", 4, 1, "h"), ("分值", 2, 1, "h"), ("得分", 2, 1, "h"), ("得分率", 2, 1, "h")])
        for depth, name, weight, score, share in subtotals:
            indents[len(rows)] = depth
            rows.append([(name, 4, 1, "t"), (weight, 2, 1, "n"), (score, 2, 1, "s"), (share, 2, 1, "n")])
    failed = [check for check in result.checks if check.status == "failed"]
    if failed:  # beside the table, as the printed form has them; the full list is on the next sheet
        rows.append([("", 10, 1, "gap")])
        rows.append([(_CHECKS_CAPTION, 10, 1, "bad")])
        lines = [line for check in failed for line in (check.message, *check.details)]
        rows.append([(lines[0], 10, 1, "note")])  # the caption keeps its first line
        units[-1] = (units[-1][0], len(rows))
        for line in lines[1:]:
            rows.append([(line, 10, 1, "note")])
            units.append((len(rows) - 1, len(rows)))
    rows.append([("", 10, 1, "gap")])
    rows.append(_signature(_signature_texts(case), layout.widths))
    units[-1] = (units[-1][0], len(rows))
    return _Sheet(rows, header, units, indents)


def _signature_texts(case: CaseData | None) -> list[str]:
    """填报人 / 审核人 / 日期 with the names and date the case's `report:` gives, else room to write them."""
    data = _case_data(case)
    written = data.get("report") if isinstance(data.get("report"), dict) else {}
    return [label + (_text(written.get(key)) or (_BLANK_DATE if key == "date" else "")) for key, label in _SIGNATURE]


def _signature(texts: list[str], widths: tuple[float, ...]) -> list[tuple[str, int, int, str]]:
    """The signature line across the page: the date in the fewest last columns that hold it, the rest halved."""
    date = len(widths) - 1
    while date > 2 and sum(widths[date:]) < _longest(texts[2]) + 2:
        date -= 1
    half = 1
    while half < date - 1 and sum(widths[:half]) < sum(widths[half:date]):
        half += 1
    return [(texts[0], half, 1, "sign"), (texts[1], date - half, 1, "sign"), (texts[2], len(widths) - date, 1, "sign")]


def _table_units(table: list[list[tuple[str, int, int, str]]], top: int, header: int) -> list[tuple[int, int]]:
    """Rows a page may not split: those a merged cell spans (one 一级指标 with its rows), the heading with the
    rows above it and the first below, the 总分 row with the one before it.

    A department form's head (部门总体目标, 年度目标, 重点工作任务: as long as the unit has tasks) may itself
    run over a page: it breaks before a block's caption or between two of its rows, never under a heading."""
    joined = [False] * (len(table) + 1)  # joined[i]: row i goes with row i - 1
    for row, _, _, _, rowspan, _ in place(table):
        for r in range(row + 1, row + rowspan):
            joined[r] = True
    head = header - top
    blocks = any(_caption(cells) for cells in table[:head])
    for row in range(1, head + 2):
        if not blocks or row >= head or all(style == "h" for *_, style in table[row - 1]):
            joined[row] = True
    joined[len(table) - 1] = True  # 总分
    units, start = [], 0
    for row in range(1, len(table) + 1):
        if row == len(table) or not joined[row]:
            units.append((top + start, top + row))
            start = row
    return [(0, units[0][1])] + units[1:]  # the title stays with the table's head


def _caption(cells: list[tuple[str, int, int, str]]) -> bool:
    """一、部门年度目标: a heading across the whole table that opens a block of the form."""
    return len(cells) == 1 and cells[0][1] == 10 and cells[0][3] == "h"


# style → (bold, size, horizontal alignment, bordered, fill, colour)
_XLSX_STYLES = {
    "title": (True, TITLE_PT, "center", False, None, None),
    "sub": (False, BODY_PT, "left", False, None, None),
    "h": (True, BODY_PT, "center", True, "F2F2F2", None),
    "t": (False, BODY_PT, "left", True, None, None),
    "n": (False, BODY_PT, "right", True, None, None),
    "s": (True, BODY_PT, "right", True, None, None),
    "": (False, BODY_PT, "center", True, None, None),
    "cap": (True, BODY_PT + 1, "left", False, None, None),
    "bad": (True, BODY_PT, "left", False, None, "AA2222"),
    "note": (False, BODY_PT, "left", False, None, None),
    "sign": (False, BODY_PT, "left", False, None, None),
    "gap": (False, BODY_PT, "left", False, None, None),
}


def render_xlsx(result: Result, case: CaseData | None = None) -> bytes:
    """The official layout as a workbook ready to print on A4: merged cells, borders, numbers as numbers,
    宋体 throughout, row heights for the wrapped text, print titles, and the checks on a second sheet."""
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.indexed_list import IndexedList
    from openpyxl.worksheet.pagebreak import Break

    workbook = openpyxl.Workbook()
    # The default font only sets the unit column widths are measured in (every cell names 宋体): Arial, whose
    # digit LibreOffice measures on Liberation Sans as Excel does on Arial, so that widths come out alike
    # in both; measured on 宋体 they would depend on what stands in for SimSun (DejaVu Sans: 15 % wider).
    # openpyxl has no public setter for it; the first font of the stylesheet is the default.
    workbook._fonts = IndexedList([Font(name=UNIT_FONT, size=BODY_PT)])
    workbook.loaded_theme = _theme_with_font(FONT)
    sheet = workbook.active
    sheet.title = "自评表"
    layout = print_layout(official_cells(result, case))
    plan = _sheet(result, case, layout)
    placed = place(plan.rows)
    heights = row_heights(placed, layout.widths, len(plan.rows),
                          {style: (size, bold) for style, (bold, size, *_) in _XLSX_STYLES.items()})
    for row, cells in enumerate(plan.rows):
        style = cells[0][3]
        if style == "gap":
            heights[row] = 8
        elif style == "sign":
            heights[row] = max(heights[row], 36)  # room to sign
    thin = Side(style="thin", color="333333")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for row, column, text, colspan, rowspan, style in placed:
        bold, size, horizontal, bordered, fill, colour = _XLSX_STYLES[style]
        target = sheet.cell(row + 1, column + 1)
        value = _xlsx_value(text, style)
        if isinstance(value, str):
            xlsx_text(target, value)
        else:
            target.value = value
            target.number_format = _number_format(text)
        target.font = Font(name=FONT, size=size, bold=bold, color=colour, charset=134)
        one_line = style == "h" and shrunk(text, sum(layout.widths[column:column + colspan]))
        target.alignment = Alignment(horizontal=horizontal, vertical="bottom" if style == "sign" else "center",
                                     wrap_text=not one_line, shrink_to_fit=one_line,
                                     indent=plan.indents.get(row, 0) if column == 0 else 0)
        if fill:
            target.fill = PatternFill("solid", fgColor=fill)
        if colspan > 1 or rowspan > 1:
            sheet.merge_cells(start_row=row + 1, start_column=column + 1, end_row=row + rowspan,
                              end_column=column + colspan)
        if bordered:
            for r in range(row + 1, row + rowspan + 1):
                for c in range(column + 1, column + colspan + 1):
                    sheet.cell(r, c).border = border
    for column, width in enumerate(layout.widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row, height in enumerate(heights, start=1):
        sheet.row_dimensions[row].height = height
    for row in page_breaks(heights, plan.units, layout.rows_per_page_pt, heights[plan.header]):
        sheet.row_breaks.append(Break(id=row))  # id: the row (0-based) a new page starts with
    _print_setup(sheet, layout, f"A1:J{len(plan.rows)}", f"{plan.header + 1}:{plan.header + 1}")
    _checks_sheet(workbook.create_sheet("勾稽核对"), result)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _print_setup(sheet: Any, layout: PrintLayout, area: str, titles: str) -> None:
    """A4 in the table's orientation, one page wide, centred, margins as official forms have them, page numbers."""
    from openpyxl.worksheet.page import PageMargins

    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if layout.landscape else "portrait"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins = PageMargins(**{side: mm / 25.4 for side, mm in MARGINS_MM.items()})
    sheet.print_area = area
    sheet.print_title_rows = titles
    sheet.oddFooter.center.text = "第 &P 页"  # our own text: case text in a footer would be read as &-codes
    # at the body size: fitting the width scales the footer with the table
    sheet.oddFooter.center.font, sheet.oddFooter.center.size = f"{FONT},常规", BODY_PT


def _checks_sheet(checks: Any, result: Result) -> None:
    """Every cross-check, passed or not, with its message: printable too, one page wide."""
    from openpyxl.styles import Alignment, Font

    checks.append(["核对", "结果", "说明"])
    for check in result.checks:
        checks.append(xlsx_row(checks, [check.name, {"passed": "通过", "failed": "不符", "skipped": "未核对"}[check.status],
                                        check.message]))
        for detail in check.details:
            checks.append(xlsx_row(checks, ["", "", detail]))
    names = [check.name for check in result.checks]
    first = _unwidowed(min(max(map(_longest, ["核对", *names])), _fits("字" * 16, 16)), names, [], _fits("字" * 4, 4))
    widths = (first, 8, round((A4_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"]) / _UNIT_MM - first - 8, 2))
    for letter, width in zip("ABC", widths):
        checks.column_dimensions[letter].width = width
    for row in checks.iter_rows():
        heading = row[0].row == 1
        height = _ROW_MIN_PT
        for cell, width in zip(row, widths):
            cell.font = Font(name=FONT, size=BODY_PT, bold=heading, charset=134)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            if isinstance(cell.value, str):
                height = max(height, cell_height(cell.value, width))
        checks.row_dimensions[row[0].row].height = math.ceil(height * 4) / 4
    _print_setup(checks, PrintLayout(widths, False), f"A1:C{checks.max_row}", "1:1")
    checks.oddHeader.center.text, checks.oddHeader.center.font = "勾稽核对", f"{FONT},常规"


def _theme_with_font(face: str) -> str:
    """openpyxl's theme with the face as its Latin and East Asian font, heading and body alike."""
    from openpyxl.writer.theme import theme_xml

    for latin in ("Cambria", "Calibri"):
        theme_xml = theme_xml.replace(f'<a:latin typeface="{latin}"/>', f'<a:latin typeface="{face}"/>')
    return theme_xml.replace('<a:ea typeface=""/>', f'<a:ea typeface="{face}"/>')


def xlsx_text(cell: Any, text: str) -> None:
    """Put text in an openpyxl cell as text, whatever it starts with.

    openpyxl makes any string that starts with “=” a formula (and “#N/A” an error), and refuses the
    control characters XML cannot hold; so the text is cleaned, its type forced back to a string, and
    text a spreadsheet would read as a formula is marked quotePrefix — what typing a leading
    apostrophe does in Excel — so that editing the cell does not turn it into one either. The
    value is stored as the case wrote it, without an apostrophe (control characters as visible marks).
    """
    value = clean(text)
    cell.value = value
    if value:
        cell.data_type = "s"
        if formula_like(value) or value[0] in FORMULA_STARTS:
            cell.quotePrefix = True


def xlsx_row(sheet: Any, values: list[Any]) -> list[Any]:
    """A row for `sheet.append` (also in write-only mode) with every string put in by `xlsx_text`."""
    from openpyxl.cell import WriteOnlyCell

    row = []
    for value in values:
        if isinstance(value, str) and value:
            cell = WriteOnlyCell(sheet)
            xlsx_text(cell, value)
            value = cell
        row.append(value)
    return row


_PLAIN_FIGURE = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?%?\Z")


def _xlsx_value(text: str, style: str) -> Any:
    """A figure or score as a number (a rate as a fraction), when the text is a plain one a spreadsheet holds exactly."""
    if style in ("n", "s") and _PLAIN_FIGURE.match(text) and len(text.replace("-", "").replace(".", "")) <= 16:
        return Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
    return text


def _number_format(text: str) -> str:
    """The format that shows the number with the places it is written with: the scheme's for a score (0.00)."""
    places = len(text.rstrip("%").partition(".")[2])
    return ("0." + "0" * places if places else "0") + ("%" if text.endswith("%") else "")


FORMATS = {"markdown": render_markdown, "csv": render_csv, "html": render_html, "xlsx": render_xlsx}

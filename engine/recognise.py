"""Import stage 2, recognise: find 绩效自评表 in grids and read each into case data by its labels.

A table is found by its title (any title the vocabulary lists, with the year beside it) or, on a
sheet without one, by its labels. Inside it every field is found by its label, never by a fixed
column: a value beside or under its label (or in the same cell, “项目名称：…”), the 项目资金 block
read across from each row's name, indicator rows matched to their header by grid column where the
reader kept columns, and by order after the 一级 / 二级 cells where it could not. Text with one
cell per line is first rebuilt into rows from the labels it contains.

Nothing inside a table is dropped in silence: every non-empty cell is either read into the case
(a value, with the cell it came from), recognised as a label, or listed under `unmapped`.
Values are kept as written; published 分值 / 得分 / 总分 / 等级 go under `reported`.

A 自评报告 printed around the tables (the seed: 一、部门基本情况 … 七、其他需说明的情况, then its
tables) is read from the rows outside every table, by its section headings, into `report:` of the
case it is about: the first table after it whose kind it fits, so a 部门整体 report goes to the
部门整体 table and never to the project tables after it. Narrative is not a table cell, and a
document whose report cannot be read imports as if it had none.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import EngineError, Location, Path, Problem
from .quantities import BLANK_MARKERS, normalize_text, split_operator
from .read import Cell, Grid, Reading
from .vocabulary import PINYIN, Form, Vocabulary, fold, label_key, share_in_label

_YEAR = re.compile(r"(20\d\d)\s*年")
_ANY_YEAR = re.compile(r"(?<!\d)(20[12]\d)(?!\d)")
_NUMBERISH = re.compile(r"^[+-]?[\d.,，]+\s*%?$")
_VALUE_LIKE = re.compile(r"^(?:[+-]?[\d.,，]+\s*(?:%|％|万元|元|分)?|[—–\-/／\\]+|不适用|无)$")
_NUMBER_UNIT = re.compile(r"^([+-]?[\d.,，]+)\s*(\S.*)?$")
_SECTION = re.compile(r"^[一二三四五六七八九十]+、")
_SENTENCE = re.compile(r"[。；;！!？?]")
_DATE_LIKE = re.compile(r"^\d{2,4}\s*年\s*\d{1,2}\s*月.*$|^\d{1,2}\s*月(?:\d{1,2}\s*[日号])?\s*(?:底|末|初|中旬|份)?\s*(?:前|以前|之前|后|内)?$"
                        r"|^\d{2,4}\s*年\s*(?:底|末|内)?\s*(?:前|以前|之前|后)$")
_NAME_TEMPLATE = re.compile(r"[(（]\s*([≥≤=><]=?|不低于|不高于|不少于|不超过)?\s*(\**)\s*([^()（）\d*]{1,6})\s*[)）]\s*$")
_TRAILING_LABEL = re.compile(r"\s+\S{2,10}[:：]$|\s+(?:负责人及电话|联系人及电话|实施单位|主管部门|联系电话|负责人)$")
_UNIT_TAIL = re.compile(r"^(.*?)(及以上|以上|及以下|以下|以内)$")
_PLACEHOLDER = re.compile(r"^(?:指标\s*\d*\s*[:：]?|[.…。·、\s]+)$")
_GRADE = re.compile(r"^(优秀?|良好?|中等?|合格|较差|差|不合格|一般)$")


class ImportError_(EngineError):
    """A table that can't be read: says what was recognised and what was missing."""

    kind = "import"


@dataclass
class ImportedCase:
    kind: str  # project | department
    data: dict[str, Any]
    provenance: dict[Path, Cell] = field(default_factory=dict)  # case path -> the cell it was read from
    source: str = ""
    title: str = ""
    format: str = ""
    labels: list[Cell] = field(default_factory=list)  # cells recognised as labels
    unmapped: list[Cell] = field(default_factory=list)
    table_cells: list[Cell] = field(default_factory=list)  # every non-empty cell of the table, once
    first_row: int = 0  # the table's rows in its grid, [first_row, end_row)
    end_row: int = 0
    grid: int = 0  # which grid of the reading (sheet of a workbook) the table is in
    report_left_out: list[str] = field(default_factory=list)  # report sections too long to be one (never cut short)

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))


class _Missing(Exception):
    def __init__(self, what: str, hint: str | None = None):
        super().__init__(what)
        self.what, self.hint = what, hint


def recognise(reading: Reading, vocabulary: Vocabulary, year: int | None = None) -> list[ImportedCase]:
    """Every 项目 / 部门整体 table in the reading, as case data; ImportError_ says what was seen if none.
    `year` is the fiscal year of a table that prints none (the user says it: --year)."""
    cases: list[ImportedCase] = []
    problems: list[Problem] = []
    for number, grid in enumerate(reading.grids):
        found, trouble = _tables_in(grid, vocabulary, year)
        for case in found:
            case.grid = number
        cases.extend(found)
        problems.extend(trouble)
    if problems:
        raise ImportError_(problems)
    if not cases:
        raise ImportError_(_nothing_found(reading, vocabulary))
    _give_reports(reading, cases, vocabulary)
    return cases


def _nothing_found(reading: Reading, vocabulary: Vocabulary) -> Problem:
    rows = sum(len(grid.rows) for grid in reading.grids)
    cells = [cell for grid in reading.grids for row in grid.rows for cell in row if cell.text and not cell.copy]
    seen = _labels_seen(cells, vocabulary)
    titles = [form.titles[0] for form in vocabulary.forms]
    inside = _labels_inside(cells, vocabulary) if cells else ([], [])
    if not cells:
        what = f"按{reading.format}读取，没有任何内容"
    elif len(inside[1]) >= 3:
        title = f"标题“{inside[0][0]}”和" if inside[0] else ""
        what = (f"按{reading.format}读取，但单元格之间没有可辨认的分隔：{title}栏目名“{'”“'.join(inside[1][:6])}”等"
                f"连在同一行文字里（单元格之间只有单个空格或没有空格），无法分出各栏")
        return Problem(what, Location(reading.source), code="cells-run-together",
                       hint="请从原文件重新复制表格（保留制表符），或另存为 Excel、Word、网页再导入")
    else:
        what = f"按{reading.format}读取（{rows} 行，{len(cells)} 个非空单元格），没有找到自评表的标题（如“{'”“'.join(titles[:2])}”）"
        what += f"；认出的栏目：{'、'.join(seen)}" if seen else "，也没有认出“项目名称”“一级指标”等栏目"
    return Problem(what, Location(reading.source), code="no-table",
                   hint="表格应有标题或“项目名称”“部门名称”和“一级指标”等栏目；若贵地表格用词不同，"
                        "可在词表（schemas/vocabulary.yaml 的格式）中加上这些写法，用 --vocabulary 指定")


def _labels_inside(cells: list[Cell], vocabulary: Vocabulary) -> tuple[list[str], list[str]]:
    """Titles and column labels found inside long cells: a table whose cells ran together in copying."""
    titles: list[str] = []
    labels: list[str] = []
    words = [w for block in ("funds.columns", "indicators.columns", "funds.rows") for w in vocabulary.words(block).index
             if len(w) >= 3]
    for cell in cells[:2000]:
        if len(cell.text) <= 30:
            continue
        folded = fold(cell.text)
        for form in vocabulary.forms:
            for title in form.titles:
                if title in folded and title not in titles:
                    titles.append(title)
        for word in words:
            if word in folded and word not in labels:
                labels.append(word)
    labels = [w for w in labels if not any(w != other and w in other for other in labels)]
    titles = [t for t in titles if not any(t != other and t in other for other in titles)]
    return titles, labels


def _labels_seen(cells: list[Cell], vocabulary: Vocabulary) -> list[str]:
    seen: list[str] = []
    for cell in cells[:5000]:
        if len(cell.text) > 30:
            continue
        if any(vocabulary.words(f"{block}.columns").match(cell.text, loose=False) for block in ("funds", "indicators")) \
                or vocabulary.fields.match(cell.text, loose=False):
            text = normalize_text(cell.text)
            if text not in seen:
                seen.append(text)
    return seen[:20]


# ------------------------------------------------------------------ finding tables ----


@dataclass
class _Start:
    row: int
    form: Form
    title: Cell | None
    year: int | None
    year_cell: Cell | None = None  # a line of its own that gives the year: “（2022年度）”


def _title_like(cell: Cell, vocabulary: Vocabulary) -> Form | None:
    if not cell.text or len(cell.text) > 80 or _SENTENCE.search(cell.text):
        return None
    form = vocabulary.title(cell.text)
    if form is None:
        return None
    folded = fold(cell.text)
    rest = folded
    for title in form.titles:
        rest = rest.replace(title, "")
    rest = re.sub(r"20\d\d年度?|[(（][^)）]*[)）]|附件\d*|[:：、.。\-—]|表\d*", "", rest)
    if len(rest) > 30 or folded.startswith(("来源", "source", "关于", "说明")):
        return None
    return form


def _tables_in(grid: Grid, vocabulary: Vocabulary, year: int | None = None) -> tuple[list[ImportedCase], list[Problem]]:
    starts: list[_Start] = []
    for i, row in enumerate(grid.rows):
        for cell in row:
            if cell.copy:
                continue
            form = _title_like(cell, vocabulary)
            if form is not None:
                printed, printed_cell = _year_near(grid, i, cell)
                starts.append(_Start(i, form, cell, printed, printed_cell))
                break
    starts = _drop_repeated_titles(grid, starts, vocabulary)
    if not starts:
        start = _untitled_start(grid, vocabulary)
        if start is not None:
            starts.append(start)
    if year is not None:
        starts = [_Start(s.row, s.form, s.title, s.year or year, s.year_cell) for s in starts]
    cases, problems = [], []
    previous_end = 0
    for n, start in enumerate(starts):
        end = starts[n + 1].row if n + 1 < len(starts) else len(grid.rows)
        begin = _extend_up(grid, start.row, previous_end, vocabulary)
        reader = _TableReader(grid, begin, start.row, end, start, vocabulary)
        try:
            case = reader.read(previous_end)
            cases.append(case)
            previous_end = case.end_row
        except _Missing as missing:
            problems.append(reader.refusal(missing))
            previous_end = end
    return cases, problems


def _year_near(grid: Grid, index: int, title: Cell) -> tuple[int | None, Cell | None]:
    match = _YEAR.search(normalize_text(title.text)) or _ANY_YEAR.search(normalize_text(title.text))
    if match:
        return int(match.group(1)), title
    for offset in (1, -1, 2, -2, 3):
        j = index + offset
        if 0 <= j < len(grid.rows):
            cells = [cell for cell in grid.rows[j] if cell.text and not cell.copy]
            # A heading line of its own (“（2022年度）”), not a value that happens to name a year.
            if len(cells) == 1 and len(normalize_text(cells[0].text)) <= 20 and \
                    (match := re.search(r"(20\d\d)\s*年(?:度|(?!\s*\d))", normalize_text(cells[0].text))):
                return int(match.group(1)), cells[0]
    return None, None


def _drop_repeated_titles(grid: Grid, starts: list[_Start], vocabulary: Vocabulary) -> list[_Start]:
    """A title repeated (a page header of a PDF, a heading above the table) starts no new table
    unless a 项目名称 / 部门名称 follows it before the next title."""
    named_starts: list[_Start] = []
    year, year_cell = None, None
    for n, start in enumerate(starts):
        end = starts[n + 1].row if n + 1 < len(starts) else len(grid.rows)
        named = any(_field_key(cell.text, vocabulary) in ("project_name", "department_name")
                    for row in grid.rows[start.row:end] for cell in row if not cell.copy and len(cell.text) <= 60)
        if start.year is not None:
            year, year_cell = start.year, start.year_cell
        if named:
            if start.year is None and year is not None:
                start = _Start(start.row, start.form, start.title, year, year_cell)  # the year was on a heading above
            named_starts.append(start)
            year = None
    return named_starts or starts[:1]


def _has_rows_between(grid: Grid, a: int, b: int) -> bool:
    return sum(1 for row in grid.rows[a + 1:b] if any(cell.text for cell in row)) > 2


def _untitled_start(grid: Grid, vocabulary: Vocabulary) -> _Start | None:
    """A sheet without a title: a table all the same if it has a name label and an indicator header."""
    name_row = None
    kind = None
    for i, row in enumerate(grid.rows):
        for cell in row:
            if cell.copy or len(cell.text) > 60:
                continue
            key = vocabulary.fields.match(cell.text, loose=False) or _inline_field(cell.text, vocabulary)
            if key in ("project_name", "department_name") and name_row is None:
                name_row, kind = i, "project" if key == "project_name" else "department"
        if name_row is not None:
            break
    if name_row is None:
        return None
    form = next((f for f in vocabulary.forms if f.kind == kind), None)
    if form is None:
        return None
    year = None
    for row in grid.rows:
        for cell in row:
            if len(cell.text) <= 60 and (match := _YEAR.search(normalize_text(cell.text))):
                year = int(match.group(1))
                break
        if year:
            break
    return _Start(name_row, form, None, year)


def _extend_up(grid: Grid, row: int, floor: int, vocabulary: Vocabulary) -> int:
    """Lines just above a title that belong to the table: 报表编号, 附件 2."""
    begin = row
    for j in range(row - 1, max(floor, row - 3) - 1, -1):
        texts = [cell.text for cell in grid.rows[j] if cell.text and not cell.copy]
        if texts and all(len(t) <= 40 and (vocabulary.fields.match(t, loose=False) or _inline_field(t, vocabulary)
                                           or re.match(r"^附件\s*\d*[:：]?$", normalize_text(t))) for t in texts):
            begin = j
        else:
            break
    return begin


def _field_key(text: str, vocabulary: Vocabulary) -> str | None:
    """The field a label cell names (“一级预算单位名称” too: a field's words at the end of a short label)."""
    if len(text) > 60:
        return None
    key = vocabulary.fields.match(text, loose=False)
    if key is None and len(label_key(text)) <= 12:
        key = vocabulary.fields.match(text, loose=True)
    return key or _inline_field(text, vocabulary)


def _inline_field(text: str, vocabulary: Vocabulary) -> str | None:
    """“项目名称：委托业务项目” — a label and its value in one cell."""
    value = _inline_value(text)
    if value is None:
        return None
    key = vocabulary.fields.match(text[: len(text) - len(value)].rstrip(" :：\u3000"), loose=False)
    return None if key in _SIGNED_FIELDS and _unfilled(value) else key


def _inline_value(text: str) -> str | None:
    match = re.match(r"^\s*([^:：]{2,14})[:：]\s*(\S.*)$", text, re.S)
    return match.group(2).strip() if match else None


# The fields a form leaves blank to be filled in by hand, below or above the table: 填报人：____ 日期：年 月 日.
_SIGNED_FIELDS = frozenset({"contact", "phone", "fill_date", "fill_unit"})


# A form's blank to be filled in by hand — “年　月　日”, “____”, “（签字）” — is no value.
_UNFILLED = re.compile(r"^[\s\u3000_＿\-—.·/年月日（）()签字章盖]*$")
# “审核人：” alone in a cell is the next label of a signature line, never the value of the one before.
_BARE_LABEL = re.compile(r"^[^:：\d]{1,14}[:：]$")


def _unfilled(text: str) -> bool:
    return bool(_UNFILLED.match(text))


# ------------------------------------------------------------------ reading one table ----

_INDICATOR_ORDER = ["level1", "level2", "name", "nature", "target", "unit", "actual", "weight", "score",
                    "coefficient", "deviation"]


@dataclass
class _Header:
    row: int  # index of the (lower) header row
    fields: dict[int, str]  # grid column -> field
    order: list[str]  # fields in left-to-right order
    width: int  # grid columns the header covers


class _TableReader:
    def __init__(self, grid: Grid, begin: int, title_row: int, end: int, start: _Start, vocabulary: Vocabulary):
        self.grid, self.vocabulary, self.start = grid, vocabulary, start
        self.form, self.year, self.title = start.form, start.year, start.title
        self.begin, self.end = begin, end
        self.provenance: dict[Path, Cell] = {}
        self.labels: dict[tuple[str, str], Cell] = {}
        self.seen_labels: list[str] = []
        self.parts: dict[tuple[str, str], list[Cell]] = {}  # a label rebuilt from two cells -> the cells
        if grid.stream:
            self.rows = _reflow(grid.rows[begin:end], vocabulary, self.parts)
            self.base = 0
        else:
            self.rows = grid.rows[begin:end]
            self.base = begin
        self.positional = grid.positional or grid.stream
        self.header: _Header | None = None

    # -- bookkeeping --

    def keep(self, path: Path, cell: Cell | None, value: Any = None) -> Any:
        if cell is None:
            return value
        self.provenance[path] = cell
        if value is None:
            value = cell.text.strip() or None
        if isinstance(value, str):
            value = PINYIN.sub("", value)
            if path and path[0] in ("name", "department", "implementer"):
                value = _TRAILING_LABEL.sub("", value)  # “黄石市图书馆 主要领导签字:” — the next label ran into the cell
        return value

    def label(self, cell: Cell) -> Cell:
        self.labels[cell.key] = cell
        text = normalize_text(cell.text)
        if text not in self.seen_labels:
            self.seen_labels.append(text)
        return cell

    def used(self, cell: Cell) -> bool:
        return cell.key in self.labels or any(c.key == cell.key for c in self.provenance.values())

    def row_cell(self, index: int) -> Cell:
        """A whole row, as a cell that names the row (for a row's provenance comment)."""
        row = self.rows[index]
        first = next((cell for cell in row if cell.text and not cell.copy), row[0] if row else Cell("", "", None))
        ref = re.sub(r"第 (\d+) 列$", "", first.ref).rstrip()
        if "!" in ref and re.match(r"^.*![A-Z]+\d+$", ref):
            sheet, at = ref.rsplit("!", 1)
            ref = f"{sheet}!第 {re.sub(r'^[A-Z]+', '', at)} 行"
        return Cell("", ref, first.line, first.column, first.place, copy=True)

    def cells(self, index: int) -> list[Cell]:
        return [cell for cell in self.rows[index] if not cell.copy] if 0 <= index < len(self.rows) else []

    def find_field(self, key: str, after: int = 0) -> tuple[int, Cell, Cell | None] | None:
        """(row, label cell, value cell) of the first `key` label with a value beside or under it
        (else of the first such label, without a value)."""
        first = None
        for i in range(after, len(self.rows)):
            row = self.rows[i]
            for j, cell in enumerate(row):
                if cell.copy or not cell.text or len(cell.text) > 60:
                    continue
                if _field_key(cell.text, self.vocabulary) == key and _inline_field(cell.text, self.vocabulary) != key:
                    value = self.value_after(i, j, signed=key in _SIGNED_FIELDS)
                    if value is not None:
                        return i, cell, value
                    first = first or (i, cell, None)
                elif _inline_field(cell.text, self.vocabulary) == key:
                    return i, cell, None
        return first

    def value_after(self, i: int, j: int, signed: bool = False) -> Cell | None:
        """The first non-empty cell right of the label that is not itself a label; else the one below.
        For a field signed by hand, neither the next label of its line (审核人：) nor a blank to fill in."""
        for cell in self.rows[i][j + 1:]:
            if cell.copy or not cell.text:
                continue
            if self.is_any_label(cell.text) or (signed and (_BARE_LABEL.match(cell.text.strip()) or _unfilled(cell.text))):
                return None
            return cell
        if len(self.cells(i)) == 1 and i + 1 < len(self.rows):
            below = self.cells(i + 1)
            if len(below) == 1 and below[0].text and not self.is_any_label(below[0].text):
                return below[0]
        return None

    def is_unfilled_signature(self, text: str) -> bool:
        match = re.match(r"^\s*([^:：]{1,14})[:：](.*)$", text, re.S)
        if match is None or not _unfilled(match.group(2)):
            return False
        label = match.group(1)
        return bool(self.vocabulary.report_signatures.match(label, loose=False)
                    or self.vocabulary.fields.match(label, loose=False))

    def is_any_label(self, text: str) -> bool:
        if len(text) > 30:
            return False
        v = self.vocabulary
        return bool(v.fields.match(text, loose=False)
                    or v.words("funds.columns").match(text, loose=False) or v.words("funds.rows").match(text, loose=False)
                    or v.words("indicators.columns").match(text, loose=False) or v.is_block("funds", text)
                    or v.is_block("goals", text) or v.words("goals.expected").match(text, loose=False)
                    or v.words("goals.achieved").match(text, loose=False))

    def take_field(self, key: str, path: Path, data: dict, after: int = 0) -> Cell | None:
        found = self.find_field(key, after)
        if found is None:
            return None
        _, label, value = found
        self.label(label)
        inline = _inline_value(label.text) if _inline_field(label.text, self.vocabulary) == key else None
        if inline is not None:
            self.labels.pop(label.key, None)
            _set(data, path, self.keep(path, label, inline))
            return label
        if value is not None:
            _set(data, path, self.keep(path, value))
        return value

    # -- the whole table --

    def read(self, narrative_start: int) -> ImportedCase:
        kind = self.form.kind
        data: dict[str, Any] = {"scheme": self.form.scheme, "fiscal_year": self.year, "kind": kind}
        if self.title is not None:
            self.label(self.title)
            self.provenance[("fiscal_year",)] = self.title
        if self.start.year_cell is not None and self.start.year_cell is not self.title:
            self.label(self.start.year_cell)
            self.provenance[("fiscal_year",)] = self.start.year_cell
        for row in self.rows[: max(0, self.start.row - self.base)] if not self.grid.stream else []:
            for cell in row:
                if not cell.copy and re.match(r"^附件\s*\d*[:：]?$", normalize_text(cell.text)):
                    self.label(cell)
        name_key = "project_name" if kind == "project" else "department_name"
        name = self.take_field(name_key, ("name",), data)
        if name is None and kind == "department":
            name = self.take_field("project_name", ("name",), data)
        if name is None or not data.get("name"):
            if self.find_field(name_key) is None:
                raise _Missing(f"没有找到“{'项目名称' if kind == 'project' else '部门名称'}”一栏")
            raise _Missing(f"“{'项目名称' if kind == 'project' else '部门名称'}”一栏是空的")
        if self.year is None:
            raise _Missing("没有找到年度（标题或表头中应有“2023年度”之类的字样）",
                           "表中没有印年度时，用 --year 指定，如 --year 2021")
        if self.take_field("department", ("department",), data) is None:
            # Transfer-payment forms name only the 市级 / 省级 主管部门: then that is the 主管部门.
            self.take_field("upper_department", ("department",), data)
        self.take_field("implementer", ("implementer",), data)
        if kind == "department":
            data.setdefault("department", data["name"])
        data["source"] = {"document": self.grid.source.rsplit("/", 1)[-1], "table": self.table_name(),
                          "format": self.grid.format}
        info: dict[str, Any] = {}
        for key in ("report_number", "fill_unit", "money_unit", "contact", "phone", "fill_date", "period",
                    "project_type", "fund_source", "code", "upper_department"):
            self.take_field(key, (key,), info)
        reported: dict[str, Any] = {}
        funds = self.funds(reported, info)
        if funds:
            data["funds"] = funds
        goals = self.goals(kind)
        if kind == "department":
            for key, path in (("duties", ("goals", "duties")), ("overall_goal", ("goals", "overall"))):
                self.take_field(key, path, data)
            annual = self.annual_goals()
            if annual:
                data.setdefault("goals", {})["annual"] = annual
            tasks = self.key_tasks()
            if tasks:
                data["key_tasks"] = tasks
        if goals:
            data.setdefault("goals", {}).update(goals)
        data["indicators"] = self.indicator_rows(reported)
        self.take_field("notes", ("notes",), data)
        reported.update(self.totals())
        if info:
            data["info"] = {_INFO_NAMES[key]: value for key, value in info.items()}
            for key in list(self.provenance):
                if len(key) == 1 and key[0] in _INFO_NAMES:
                    self.provenance[("info", _INFO_NAMES[key[0]])] = self.provenance.pop(key)
        if kind == "department" and not self.grid.stream:
            figures = _narrative_figures(self, narrative_start)
            if figures:
                data["data"] = figures
        if reported:
            data["reported"] = reported
        features = {feature for feature, present in (
            ("funds", "total" in data.get("funds", {})),
            ("weights", any(row.get("weight") for row in data["indicators"])),
            ("key_tasks", bool(data.get("key_tasks")))) if present}
        data["scheme"] = self.vocabulary.scheme_for(kind, features)
        return self.finish(data)

    def table_name(self) -> str:
        if self.title is None:
            where = self.grid.sheet or self.grid.source.rsplit("/", 1)[-1]
            return f"{where}（无标题）"
        return f"{PINYIN.sub('', normalize_text(self.title.text))}（{self.title.ref}）"

    def finish(self, data: dict[str, Any]) -> ImportedCase:
        for row in self.rows:
            for cell in row:
                if cell.copy or not cell.text or cell.key in self.labels:
                    continue
                if normalize_text(cell.text) in BLANK_MARKERS or (
                        len(cell.text) <= 20 and self.vocabulary.headings.match(cell.text, loose=False)):
                    self.labels[cell.key] = cell  # a dash or a heading: part of the form, nothing to read
                elif self.is_unfilled_signature(cell.text) or (_unfilled(cell.text) and any(c in cell.text for c in "年月日_＿")):
                    self.labels[cell.key] = cell  # 审核人： / 日期：　年　月　日 — the form's blank, to sign by hand
        mapped = {cell.key for cell in self.provenance.values()} | set(self.labels)
        for key, pieces in self.parts.items():
            if key in mapped:
                mapped.update(piece.key for piece in pieces)
        # The table runs from its first row to the last row holding a cell it read; every other
        # non-empty cell in those rows of the file is listed as unmapped.
        row_of = {cell.key: i for i, row in enumerate(self.grid.rows) for cell in row if not cell.copy}
        inside = [row_of[key] for key in mapped if key in row_of and row_of[key] >= self.begin]
        end_row = max(inside) + 1 if inside else self.begin + 1
        table_cells: dict[tuple[str, str], Cell] = {}
        for row in self.grid.rows[self.begin:end_row]:
            for cell in row:
                if cell.text and not cell.copy:
                    table_cells.setdefault(cell.key, cell)
        unmapped = [cell for key, cell in table_cells.items() if key not in mapped]
        if unmapped:
            data["unmapped"] = [{"at": cell.ref, "text": PINYIN.sub("", cell.text)} for cell in unmapped]
            for n, cell in enumerate(unmapped):
                self.provenance[("unmapped", n)] = cell
        labels = list(self.labels.values()) + [piece for key, pieces in self.parts.items() if key in mapped
                                               for piece in pieces]
        case = ImportedCase(self.form.kind, data, self.provenance, self.grid.source, self.table_name(),
                            self.grid.format, labels, unmapped, list(table_cells.values()), self.begin, end_row)
        return case

    def refusal(self, missing: _Missing) -> Problem:
        what = f"识别到“{normalize_text(self.title.text)}”（{self.title.ref}）" if self.title else "找到一张没有标题的表"
        what += f"，按{self.grid.format}读取，但{missing.what}"
        if self.seen_labels:
            what += f"；已认出的栏目：{'、'.join(self.seen_labels[:16])}"
        region = [cell for row in self.grid.rows[self.begin:self.end] for cell in row if cell.text and not cell.copy]
        _, inside = _labels_inside(region, self.vocabulary)
        if len(inside) >= 3:
            what += (f"；表中的栏目名“{'”“'.join(inside[:5])}”等与其他文字连在同一行里，"
                     "单元格之间没有可辨认的分隔")
            missing.hint = "请从原文件重新复制表格（保留制表符），或另存为 Excel、Word、网页再导入"
        line = self.title.line if self.title else None
        place = self.title.place if self.title and self.title.place else self.grid.source
        hint = missing.hint or "请检查表格是否完整；若栏目名写法不同，可在词表中加上这种写法（--vocabulary）"
        return Problem(what, Location(place, line), hint=hint, code="unreadable-table")

    # -- 项目资金 --

    def funds(self, reported: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
        columns_words = self.vocabulary.words("funds.columns")
        rows_words = self.vocabulary.words("funds.rows")
        header = None
        task_words = self.vocabulary.words("key_tasks.columns")
        task_rows = {i + k for i, row in enumerate(self.rows) for k in (0, 1)
                     if any(not c.copy and task_words.match(c.text, loose=False) == "name" for c in row)}
        for i, row in enumerate(self.rows):
            if i in task_rows:
                continue
            labelled = [(cell, columns_words.match(cell.text)) for cell in row if not cell.copy and cell.text
                        and len(cell.text) <= 30 and not self.vocabulary.is_block("funds", cell.text)]
            labelled = [(cell, key) for n, (cell, key) in enumerate(labelled)
                        if key and key not in [k for _, k in labelled[:n]]]
            budgetish = {key for _, key in labelled} & {"initial_budget", "full_year_budget", "executed"}
            if len(labelled) >= 2 and budgetish:
                header = (i, labelled)
                break
        if header is None:
            return {}
        index, labelled = header
        columns = []
        for cell, key in labelled:
            self.label(cell)
            columns.append(key)
        by_column = {c: key for cell, key in labelled for c in range(cell.column, cell.column + max(cell.span, 1))}
        for cell in self.rows[index]:
            if not cell.copy and self.vocabulary.is_block("funds", cell.text):
                self.label(cell)
                unit = _money_unit(cell.text)
                if unit and "money_unit" not in info:
                    block_unit = unit
        for i in range(max(0, index - 2), index):
            for cell in self.rows[i]:
                if not cell.copy and self.vocabulary.is_block("funds", cell.text) and len(self.cells(i)) <= 2:
                    self.label(cell)
        funds: dict[str, Any] = {"unit": _unit_from(info) or locals().get("block_unit") or "万元"}
        block_share = None
        for i in range(max(0, index - 1), index + 1):
            for cell in self.rows[i]:
                if self.vocabulary.is_block("funds", cell.text) and share_in_label(cell.text):
                    block_share = cell
        for i in range(index + 1, min(index + 10, len(self.rows))):
            row = self.rows[i]
            at = next(((j, cell, rows_words.match(cell.text)) for j, cell in enumerate(row)
                       if not cell.copy and cell.text and len(cell.text) <= 30 and rows_words.match(cell.text)), None)
            if at is None:
                if any(self.is_block_start(cell.text) for cell in row if not cell.copy):
                    break
                continue
            j, label_cell, key = at
            if key in funds:
                continue
            self.label(label_cell)
            values = [cell for cell in row[j + 1:] if not cell.copy]
            aligned = [(by_column[cell.column], cell) for cell in values if cell.column in by_column
                       and cell.column >= label_cell.column + label_cell.span]
            lined_up = (self.grid.positional and not self.grid.stream and label_cell.column + label_cell.span <= min(by_column)
                        and _reads_as_figures(aligned))  # a text grid whose header stands over the figures, not the names
            if self.grid.merged or lined_up:
                # Cells stand in their true columns: a header cell over the row names (年度预算数（万元）
                # above 总额 / 其中：财政资金) is not a column of figures.
                pairs = aligned
            else:
                pairs = _typed_pairs(columns, values)
            entry: dict[str, Any] = {}
            for column, cell in pairs:
                if column in ("initial_budget", "full_year_budget", "executed"):
                    entry[column] = self.keep(("funds", key, column), cell)
                elif key == "total":
                    value = self.keep(("reported", "execution", column), cell)
                    reported.setdefault("execution", {})[column] = value
                elif cell.text and normalize_text(cell.text) not in BLANK_MARKERS:
                    name = f"{key}_rate" if column == "rate" else f"{key}_{column}"
                    reported[name] = self.keep(("reported", name), cell)
            for column in columns:
                if column in ("initial_budget", "full_year_budget", "executed"):
                    entry.setdefault(column, None)
            if key == "total" and "weight" not in columns and block_share is not None:
                # 预算执行情况（20分）: the weight is printed in the block's label, not in a column
                reported.setdefault("execution", {})["weight"] = self.keep(
                    ("reported", "execution", "weight"), block_share, share_in_label(block_share.text))
            funds[key] = entry
        if len(funds) == 1 and index + 1 < len(self.rows):
            # One row of figures under the header and no row names (重庆's 部门预算执行情况): the total.
            below = [cell for cell in self.rows[index + 1] if not cell.copy and cell.column > labelled[0][0].column - 1]
            if any(_VALUE_LIKE.match(normalize_text(cell.text)) for cell in below if cell.text):
                pairs = ([(by_column[cell.column], cell) for cell in below if cell.column in by_column]
                         if self.grid.merged else _typed_pairs(columns, below))
                entry = {}
                for column, cell in pairs:
                    if column in ("initial_budget", "full_year_budget", "executed"):
                        entry[column] = self.keep(("funds", "total", column), cell)
                    else:
                        reported.setdefault("execution", {})[column] = self.keep(("reported", "execution", column), cell)
                funds["total"] = entry
        if len(funds) == 1:
            raise _Missing("找到了项目资金表头，但下面没有“年度资金总额”等资金行",
                           "资金行应以“年度资金总额”“其中：当年财政拨款”“上年结转资金”“其他资金”等开头")
        return funds

    def is_block_start(self, text: str) -> bool:
        v = self.vocabulary
        return bool(text) and len(text) <= 30 and (v.is_block("goals", text) or v.is_block("indicators", text)
                                                   or v.words("indicators.columns").match(text, loose=False) in ("level1", "name"))

    # -- 年度总体目标 --

    def goals(self, kind: str) -> dict[str, Any]:
        v = self.vocabulary
        block = None
        for i, row in enumerate(self.rows):
            for cell in row:
                if not cell.copy and cell.text and len(cell.text) <= 30 and v.is_block("goals", cell.text) \
                        and not v.is_block("indicators", cell.text):
                    block = (i, cell)
                    break
            if block:
                break
        expected_label = achieved_label = None
        search_from = block[0] if block else 0
        for i in range(search_from, min(search_from + 3, len(self.rows))) if block else ():
            for cell in self.rows[i]:
                if cell.copy or not cell.text or len(cell.text) > 20:
                    continue
                if expected_label is None and v.words("goals.expected").match(cell.text, loose=False):
                    expected_label = (i, cell)
                elif achieved_label is None and v.words("goals.achieved").match(cell.text, loose=False):
                    achieved_label = (i, cell)
        if block is None:
            return {}
        self.label(block[1])
        goals: dict[str, Any] = {}
        label_row = block[0]
        for found in (expected_label, achieved_label):
            if found:
                self.label(found[1])
                label_row = max(label_row, found[0])
        texts: list[Cell] = []
        if expected_label or achieved_label:
            for i in range(label_row + 1, min(label_row + 3, len(self.rows))):
                candidates = [cell for cell in self.rows[i] if not cell.copy and cell.text and not self.is_any_label(cell.text)
                              and not v.is_block("indicators", cell.text)]
                if candidates:
                    texts = candidates
                    break
            if texts and expected_label and achieved_label and self.positional and len(texts) >= 1:
                by_column = self.under(texts, expected_label[1], achieved_label[1])
                if by_column:
                    texts = by_column
        else:
            texts = [cell for cell in self.rows[block[0]] if not cell.copy and cell.text and cell is not block[1]]
        if texts:
            goals["expected"] = self.keep(("goals", "expected"), texts[0])
            if len(texts) > 1:
                goals["achieved"] = self.keep(("goals", "achieved"), texts[1])
        return goals

    def under(self, texts: list[Cell], left: Cell, right: Cell) -> list[Cell]:
        """The texts ordered as they stand under the 预期目标 and 实际完成情况 labels."""
        first = [c for c in texts if c.column < right.column]
        second = [c for c in texts if c.column >= right.column]
        if first and second:
            return [first[0], second[0]] + first[1:] + second[1:]
        if second and not first:
            return []
        return texts

    # -- 绩效指标 --

    def indicator_header(self) -> _Header:
        words = self.vocabulary.words("indicators.columns")
        groups = self.vocabulary.words("indicators.groups")
        best = None
        for i, row in enumerate(self.rows):
            keys = [words.match(cell.text) for cell in row if not cell.copy and cell.text and len(cell.text) <= 30]
            found = {k for k in keys if k}
            if len(found) >= 3 and ("name" in found or "level1" in found) and ("target" in found or "actual" in found
                                                                                  or "level2" in found):
                best = i
                break
        if best is None:
            raise _Missing("没有找到绩效指标表头（一级指标、二级指标、三级指标、指标值、实际完成值……）",
                           "表头须有“一级指标”或“三级指标（指标名称）”，以及“指标值”“实际完成值”")
        fields: dict[int, str] = {}
        order_cells: list[tuple[int, str]] = []
        from_group: set[int] = set()  # columns named by a label over several columns (年度指标值 over 性质 / 指标值 / 单位)

        def header_cells(i: int) -> list[tuple[Cell, str | None, bool]]:
            return [(cell, words.match(cell.text), groups.match(cell.text, loose=False) is not None)
                    for cell in self.rows[i] if not cell.copy and cell.text and len(cell.text) <= 30]

        def take(i: int, only_new: bool) -> int:
            taken = 0
            for cell, key, is_group in header_cells(i):
                if key is None and not is_group:
                    if self.vocabulary.is_block("indicators", cell.text):
                        self.label(cell)
                    continue
                span = range(cell.column, cell.column + max(cell.span, 1))
                if key is not None and not only_new and any(c in from_group for c in span) \
                        and (key not in fields.values() or all(fields.get(c) == key for c in span)):
                    group_key = fields[next(c for c in span if c in from_group)]
                    for c in span:
                        fields[c] = key
                        from_group.discard(c)
                    if group_key not in fields.values():
                        order_cells[:] = [(col, k) for col, k in order_cells if k != group_key]
                    order_cells[:] = [(col, k) for col, k in order_cells if k != key] + [(cell.column, key)]
                    self.label(cell)
                    taken += 1
                elif key is not None and key not in fields.values() and not any(c in fields for c in span):
                    for c in span:
                        fields[c] = key
                    if cell.span > 1 and is_group:
                        from_group.update(span)
                    order_cells.append((cell.column, key))
                    self.label(cell)
                    taken += 1
                elif not only_new:
                    self.label(cell)
            return taken

        # The lower header row wins; the one above (年度指标值 over 性质 / 指标值 / 单位) fills in the rest,
        # and a row below that only adds column names (指标性质 / 指标值 / 度量单位 under 年度指标值) is header too.
        header_row = best
        take(best, only_new=False)
        below = best + 1
        if below < len(self.rows):
            cells_below = header_cells(below)
            if cells_below and all(key is not None or is_group for _, key, is_group in cells_below) \
                    and any(key is not None and key not in fields.values() for _, key, _ in cells_below):
                take(below, only_new=False)
                header_row = below
        above = best - 1
        if above >= 0:
            cells_above = header_cells(above)
            if cells_above and sum(1 for _, key, is_group in cells_above if key or is_group) >= max(1, len(cells_above) - 1):
                take(above, only_new=True)
                for cell, key, is_group in cells_above:
                    if key or is_group:
                        self.label(cell)
        order = [key for _, key in sorted(order_cells)]
        missing = [name for name, key in (("三级指标（指标名称）", "name"), ("指标值", "target"), ("实际完成值", "actual"))
                   if key not in order]
        if "name" in missing or ("target" in missing and "actual" in missing):
            raise _Missing(f"绩效指标表头缺少“{'、'.join(missing)}”", "表头须写明各栏名称")
        width = max(fields) if fields else len(order)
        return _Header(header_row, fields, order, width)

    def indicator_rows(self, reported: dict[str, Any]) -> list[dict[str, Any]]:
        header = self.indicator_header()
        self.header = header
        rows: list[dict[str, Any]] = []
        carried: dict[str, str] = {}
        ends = self.vocabulary.ends
        for i in range(header.row + 1, len(self.rows)):
            cells = self.rows[i]
            first = next((c for c in cells if c.text and not c.copy), None)
            if first is None:
                continue
            first_key = label_key(first.text)
            if any(first_key.startswith(word) for word in ends if word) or _SECTION.match(normalize_text(first.text)):
                break
            if self.is_block_start(first.text) and self.vocabulary.is_block("goals", first.text):
                break
            by_key = self.map_row(cells, header)
            name = by_key.get("name")
            if name is None or not name.text or self.vocabulary.words("indicators.columns").match(name.text, loose=False):
                continue
            if _PLACEHOLDER.match(normalize_text(name.text)) and not any(
                    by_key.get(key) is not None and by_key[key].text for key in ("target", "actual", "weight", "score")):
                self.label(name)  # an empty template row (指标2：, ……) the clerk did not fill in
                continue
            row: dict[str, Any] = {}
            index = len(rows)
            path: Path = ("indicators", index)
            for level in ("level1", "level2"):
                cell = by_key.get(level)
                if cell is not None and cell.text:
                    share = share_in_label(cell.text) if level == "level1" else None
                    clean = re.sub(r"\s*[(（]\s*\d+(?:\.\d+)?\s*分?\s*[)）]\s*$", "", normalize_text(cell.text)) if share else cell.text
                    clean = clean or normalize_text(cell.text)  # “(50分)” alone: the share is all the label says
                    carried[level] = clean
                    if level == "level1":
                        carried.pop("level2", None) if by_key.get("level2") is None or not by_key["level2"].text else None
                    row[level] = self.keep(path + (level,), cell, clean)
                    if share is not None and clean not in reported.get("level1_weights", {}):
                        reported.setdefault("level1_weights", {})[clean] = self.keep(("reported", "level1_weights", clean), cell, share)
                elif level in carried:
                    row[level] = carried[level]
            if "level1" not in row:
                row["level1"] = ""
            share_cell = by_key.get("level1_weight")
            if share_cell is not None and share_cell.text and row["level1"] \
                    and row["level1"] not in reported.get("level1_weights", {}):
                reported.setdefault("level1_weights", {})[row["level1"]] = self.keep(
                    ("reported", "level1_weights", row["level1"]), share_cell)
            row["name"] = self.keep(path + ("name",), name)
            self.read_target(row, by_key, path)
            if "actual" in header.order:
                row["actual"] = self.keep(path + ("actual",), by_key.get("actual"))
            for key in ("weight", "score", "coefficient", "deviation"):
                if key in header.order:
                    row[key] = self.keep(path + (key,), by_key.get(key))
            self.provenance[path] = self.row_cell(i)
            rows.append(row)
        if not rows:
            raise _Missing("绩效指标表头下没有指标行")
        return rows

    def map_row(self, cells: list[Cell], header: _Header) -> dict[str, Cell]:
        """The row's cells by field: by grid column where the reader kept columns, else by order."""
        real = [cell for cell in cells if not cell.copy]
        covered = max((c.column + c.span - 1 for c in cells), default=0)
        if self.grid.merged or self.grid.stream or (self.positional and covered >= header.width):
            by_key: dict[str, Cell] = {}
            for cell in cells:
                key = header.fields.get(cell.column)
                # A merged 一级 / 二级 cell heads every row it covers; a merged 分值 or 得分 belongs to the
                # rows together and is read once, on its first row.
                if key is not None and key not in by_key and (not cell.copy or key in ("level1", "level2", "level1_weight")):
                    by_key[key] = cell
            return by_key
        return self.anchored(real, header)

    def anchored(self, cells: list[Cell], header: _Header) -> dict[str, Cell]:
        """A row whose blank or merged cells were dropped: 一级 / 二级 found by their words, the rest in order."""
        order = list(header.order)
        v = self.vocabulary
        leading = [key for key in order[:2] if key in ("level1", "level2")]
        present: list[str] = []
        rest = list(cells)
        if leading:
            if rest and "level1" in leading and _is_level(v, "level1", rest[0].text):
                present.append("level1")
                if len(rest) > 1 and "level2" in leading and _is_level(v, "level2", rest[1].text):
                    present.append("level2")
            elif rest and "level2" in leading and _is_level(v, "level2", rest[0].text):
                present.append("level2")
            elif self.positional and len(cells) < len(order):
                # Blank cells are kept, so what is missing is the merged 一级 / 二级 cells at the front.
                keep = max(0, len(leading) - (len(order) - len(cells)))
                present = leading[len(leading) - keep:] if keep else []
        fields = present + [key for key in order if key not in leading]
        return {key: cell for key, cell in zip(fields, rest)}

    def read_target(self, row: dict[str, Any], by_key: dict[str, Cell], path: Path) -> None:
        """指标性质, 指标值 and 度量单位, also from a single cell such as "≥50个" or "≤30天"."""
        nature_cell, target_cell, unit_cell = by_key.get("nature"), by_key.get("target"), by_key.get("unit")
        target_text = normalize_text(target_cell.text) if target_cell is not None else ""
        operator, rest = split_operator(target_text) if target_text else (None, "")
        written = nature_cell.text.strip() if nature_cell is not None and nature_cell.text else ""
        nature = None
        if written:
            meaning = self.vocabulary.natures.match(written, loose=False)
            symbol, remainder = split_operator(written)
            if meaning == "定量" or (meaning is None and symbol is None and written.startswith("定量")):
                nature = operator or "≥"
            elif meaning is not None:
                nature = meaning
            elif symbol is not None and not remainder:
                nature = symbol
            else:
                nature = written
            self.provenance[path + ("nature",)] = nature_cell
        if nature is None:
            is_number = bool(re.match(r"^[+-]?[\d.,，]", rest))
            nature = operator or ("≥" if is_number or not rest else "定性")
        if nature != "定性" and not written and _DATE_LIKE.match(rest) and operator is None:
            nature = "定性"
        template = _NAME_TEMPLATE.search(normalize_text(row.get("name") or ""))
        if template is not None and not (template.group(1) or template.group(2)) \
                and label_key(template.group(3)) not in self.vocabulary.units:
            template = None  # “足额保障率(参保率)” is a name, not a unit hint
        if template is not None:  # the form's own hint in the name: “公猪舍(≥**平方米)” — operator and unit
            hinted, _ = split_operator(template.group(1) or "")
            if hinted and not written and operator is None and nature == "≥":
                nature = hinted
        row["nature"] = nature  # its place in the row; the 指标值 below may still make it 定性
        unit = unit_cell.text.strip() if unit_cell is not None and unit_cell.text else None
        target: Any = rest or None
        match = _NUMBER_UNIT.match(rest) if rest else None
        if match and match.group(2) and nature != "定性" and _DATE_LIKE.match(rest):
            if not written:
                nature = "定性"  # a deadline (“9月前”, “2023年12月”) is judged, not divided
            target = rest
        elif match and match.group(2) and nature != "定性":
            written_unit = match.group(2).strip()
            tail = _UNIT_TAIL.match(written_unit)
            if tail:  # “80%以上”: the words after the unit are the operator
                written_unit = tail.group(1).strip()
                if operator is None and not written:
                    nature = "≥" if "上" in tail.group(2) else "≤"
            if len(written_unit) > 5:
                nature = "定性" if not written else nature  # “37个基层医疗机构” describes, it does not measure
                target = rest
            else:
                target = match.group(1)
                if unit is None and written_unit:
                    unit = written_unit
        row["target"] = self.keep(path + ("target",), target_cell, target) if target_cell is not None else None
        if target_cell is not None and target is None:
            self.provenance.pop(path + ("target",), None)
            if target_cell.text:
                self.provenance[path + ("target",)] = target_cell
        if unit is None and template is not None and nature != "定性":
            unit = template.group(3).strip()
        row["nature"] = nature
        row["unit"] = unit
        if unit_cell is not None and unit_cell.text:
            self.provenance[path + ("unit",)] = unit_cell

    # -- 总分、等级 --

    def totals(self) -> dict[str, Any]:
        words = self.vocabulary.totals
        reported: dict[str, Any] = {}
        for i, row in enumerate(self.rows):
            for j, cell in enumerate(row):
                if cell.copy or not cell.text or len(cell.text) > 20:
                    continue
                key = words.match(cell.text, loose=False)
                if key is None or self.used(cell):
                    continue
                after = [c for c in row[j + 1:] if not c.copy and c.text]
                if self.grid.stream and not after:
                    after = [c for c in self.cells(i + 1) if c.text][:3]
                if not after:
                    continue
                if key == "total" and "total" not in reported:
                    numbers = [c for c in after if _NUMBERISH.match(normalize_text(c.text))]
                    header = self.header
                    if header is not None and self.positional and numbers:
                        placed = {header.fields.get(c.column): c for c in numbers}
                        if "weight" in placed or "score" in placed:
                            numbers = [c for c in (placed.get("weight"), placed.get("score")) if c is not None]
                            if "score" not in placed:
                                self.label(cell)
                                reported["total_weight"] = self.keep(("reported", "total_weight"), numbers[0])
                                continue
                    grades = [c for c in after if _GRADE.match(label_key(c.text))]
                    if not numbers and not grades:
                        continue
                    self.label(cell)
                    if len(numbers) >= 2:
                        reported["total_weight"] = self.keep(("reported", "total_weight"), numbers[0])
                        reported["total"] = self.keep(("reported", "total"), numbers[1])
                    elif numbers:
                        reported["total"] = self.keep(("reported", "total"), numbers[0])
                    if grades and "grade" not in reported:
                        reported["grade"] = self.keep(("reported", "grade"), grades[0], label_key(grades[0].text))
                elif key == "grade" and "grade" not in reported:
                    grades = [c for c in after if _GRADE.match(label_key(c.text))]
                    if grades:
                        self.label(cell)
                        reported["grade"] = self.keep(("reported", "grade"), grades[0], label_key(grades[0].text))
        return reported

    # -- 部门整体支出：年度目标、重点工作任务 --

    def annual_goals(self) -> list[dict[str, Any]]:
        header = next(((i, cell) for i, row in enumerate(self.rows) for cell in row
                       if not cell.copy and self.vocabulary.is_block("annual_goals", cell.text)), None)
        if header is None:
            return []
        self.label(header[1])
        for cell in self.rows[header[0]]:
            if not cell.copy and cell.text and cell is not header[1] and len(cell.text) <= 20:
                self.label(cell)
        goals = []
        for i in range(header[0] + 1, len(self.rows)):
            cells = [cell for cell in self.rows[i] if cell.text and not cell.copy]
            if not cells or not re.match(r"^20\d\d$", normalize_text(cells[0].text)):
                break
            entry: dict[str, Any] = {"year": int(normalize_text(cells[0].text))}
            path: Path = ("goals", "annual", len(goals))
            self.provenance[path + ("year",)] = cells[0]
            if len(cells) > 1:
                entry["target"] = self.keep(path + ("target",), cells[1])
            if len(cells) > 2:
                entry["achieved"] = self.keep(path + ("achieved",), cells[2])
            goals.append(entry)
        return goals

    def key_tasks(self) -> list[dict[str, Any]]:
        words = self.vocabulary.words("key_tasks.columns")
        header = None
        for i, row in enumerate(self.rows):
            if any(not c.copy and words.match(c.text, loose=False) == "name" for c in row):
                header = i
                break
        if header is None:
            return []
        for i in range(max(0, header - 1), header):
            for cell in self.rows[i]:
                if not cell.copy and self.vocabulary.is_block("key_tasks", cell.text):
                    self.label(cell)
        columns: dict[int, str] = {}
        for i in (header + 1, header):  # 批复金额 spans 总额 / 财政拨款 / 其他资金 on the row below, read first
            for cell in self.rows[i] if i < len(self.rows) else []:
                if cell.copy or not cell.text:
                    continue
                key = words.match(cell.text)
                if key and key not in columns.values() and cell.column not in columns:
                    columns[cell.column] = key
                    self.label(cell)
                elif key or label_key(cell.text) in ("批复金额", "金额"):
                    self.label(cell)
        tasks = []
        for i in range(header + 2, len(self.rows)):
            cells = self.rows[i]
            first = next((c for c in cells if c.text and not c.copy), None)
            if first is None:
                continue
            if _SECTION.match(normalize_text(first.text)) or self.vocabulary.is_block("indicators", first.text) \
                    or self.vocabulary.words("indicators.columns").match(first.text, loose=False):
                break
            by_key = {columns[c.column]: c for c in cells if c.column in columns and not c.copy}
            if "name" not in by_key or not by_key["name"].text:
                continue
            path: Path = ("key_tasks", len(tasks))
            task: dict[str, Any] = {"name": self.keep(path + ("name",), by_key["name"])}
            for key in ("level", "content"):
                if key in by_key and by_key[key].text:
                    task[key] = self.keep(path + (key,), by_key[key])
            task["approved"] = {key: self.keep(path + ("approved", key), by_key[key])
                                for key in ("total", "appropriation", "other") if key in by_key}
            for key in ("executed", "rate", "reason"):
                if key in by_key:
                    task[key] = self.keep(path + (key,), by_key[key])
            self.provenance[path] = self.row_cell(i)
            tasks.append(task)
        return tasks


_INFO_NAMES = {"report_number": "报表编号", "fill_unit": "填报单位", "money_unit": "金额单位", "contact": "联系人",
               "phone": "联系电话", "fill_date": "填报日期", "period": "实施周期", "project_type": "项目类型",
               "fund_source": "资金来源", "code": "编码", "upper_department": "上级主管部门"}


def _typed_pairs(columns: list[str], values: list[Cell]) -> list[tuple[str, Cell]]:
    """Figures after a fund row's name, in the header's order; a rate (“100%”) where the order says
    分值 or 得分 belongs to the 执行率 column further on (a row that leaves its 分值 out, as 其中 rows do)."""
    pairs: list[tuple[str, Cell]] = []
    remaining = list(columns)
    values = _drop_trailing_blanks(values)
    while len(values) > len(columns) and values and not values[0].text:
        values = values[1:]  # the blank half of a row name merged over two columns
    rate_at = next((n for n, cell in enumerate(values) if normalize_text(cell.text).endswith("%")), None)
    if rate_at is not None and "rate" in columns and rate_at < columns.index("rate"):
        # Fewer figures than columns before the 执行率: the blank ones are budget columns; keep the two
        # whose ratio is the printed rate (执行数 / 预算数), else take 年初预算数 as the one left blank.
        before_rate = columns[: columns.index("rate")]
        missing = len(before_rate) - rate_at
        if 0 < missing < len(before_rate):
            dropped = _blank_columns(before_rate, missing, values[:rate_at], values[rate_at])
            remaining = [c for c in columns if c not in dropped]
    for cell in values:
        if not remaining:
            break
        column = remaining.pop(0)
        text = normalize_text(cell.text)
        while text.endswith("%") and column in ("weight", "score") and "rate" in remaining:
            column = remaining.pop(0)
        pairs.append((column, cell))
    return pairs


def _reads_as_figures(pairs: list[tuple[str, Cell]]) -> bool:
    """Do the cells under the budget columns look like figures (a text grid whose columns line up)?"""
    budget = [cell for key, cell in pairs if key in ("initial_budget", "full_year_budget", "executed")]
    return bool(budget) and any(cell.text for cell in budget) and all(
        not cell.text or _VALUE_LIKE.match(normalize_text(cell.text).replace(" ", "")) for cell in budget)


def _drop_trailing_blanks(cells: list[Cell]) -> list[Cell]:
    end = len(cells)
    while end and not cells[end - 1].text:
        end -= 1
    return cells[:end]


def _blank_columns(before_rate: list[str], missing: int, figures: list[Cell], rate: Cell) -> set[str]:
    """Which columns before the 执行率 a row left blank: the choice whose 执行数 / 预算数 is the printed rate,
    preferring 分值 (其中 rows print none), then 年初预算数."""
    from decimal import Decimal, InvalidOperation
    from itertools import combinations

    def number(cell: Cell) -> Decimal | None:
        try:
            return Decimal(normalize_text(cell.text).replace(",", "").rstrip("%"))
        except InvalidOperation:
            return None

    preference = sorted(before_rate, key=lambda c: {"weight": 0, "initial_budget": 1}.get(c, 2))
    choices = sorted(combinations(before_rate, missing),
                     key=lambda chosen: [preference.index(c) for c in chosen])
    printed = number(rate)
    for chosen in choices:
        assigned = dict(zip([c for c in before_rate if c not in chosen], figures))
        budget, executed = assigned.get("full_year_budget"), assigned.get("executed")
        if printed is None or budget is None or executed is None:
            continue
        b, e = number(budget), number(executed)
        if b and e is not None and abs(e / b * 100 - printed) <= Decimal("0.5"):
            return set(chosen)
    return set(choices[0]) if choices else set()


def _is_level(vocabulary: Vocabulary, level: str, text: str) -> bool:
    if not text or len(text) > 30:
        return False
    return vocabulary.words(f"indicators.{level}").match(text, loose=True) is not None


def _money_unit(text: str) -> str | None:
    folded = fold(text)
    if "万元" in folded:
        return "万元"
    if re.search(r"[(（:：]元", folded) or folded.endswith("元)") or folded.endswith("元）"):
        return "元"
    return None


def _unit_from(info: dict[str, Any]) -> str | None:
    text = str(info.get("money_unit") or "")
    if "万元" in text:
        return "万元"
    if "元" in text:
        return "元"
    return None


def _set(data: dict, path: Path, value: Any) -> None:
    target = data
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value


def _narrative_figures(reader: _TableReader, start: int) -> dict[str, Any]:
    """Figures a 自评报告 states in words before its table: 收入合计1,522.66万元 … 占总支出的76.01% …"""
    grid = reader.grid
    lines = [(i, " ".join(c.text for c in grid.rows[i] if c.text)) for i in range(start, reader.begin) if grid.rows[i]]
    figures: dict[str, Any] = {}
    amount = r"([\d,，]+(?:\.\d+)?)万元"

    def find(pattern: str, path: Path) -> None:
        for i, text in lines:
            match = re.search(pattern, normalize_text(text))
            if match:
                target = figures
                for part in path[:-1]:
                    target = target.setdefault(part, {})
                target[path[-1]] = match.group(1)
                first = next((c for c in grid.rows[i] if c.text), grid.rows[i][0])
                reader.provenance[("data",) + path] = Cell("", grid.row_ref(i), first.line, first.column, first.place, copy=True)
                return

    find(r"收入合计" + amount, ("收支", "收入合计"))
    find(r"财政拨款收入" + amount, ("收支", "财政拨款收入"))
    find(r"财政拨款收入[\d,.]+万元,占总收入的([\d.]+%)", ("收支", "财政拨款收入占比"))
    find(r"支出合计" + amount, ("收支", "支出合计"))
    find(r"基本支出" + amount, ("收支", "基本支出"))
    find(r"基本支出[\d,.]+万元,占总支出的([\d.]+%)", ("收支", "基本支出占比"))
    find(r"项目支出" + amount, ("收支", "项目支出"))
    find(r"项目支出[\d,.]+万元,占总支出的([\d.]+%)", ("收支", "项目支出占比"))
    find(r"“?三公”?经费支出决算数" + amount, ("三公经费", "决算数"))
    find(r"车辆购置" + amount, ("三公经费", "车辆购置"))
    find(r"内设(\d+)个科室", ("人员", "科室"))
    find(r"有职工(\d+)人", ("人员", "职工"))
    find(r"行政(\d+)人", ("人员", "行政"))
    find(r"事业(\d+)人", ("人员", "事业"))
    return figures


# ------------------------------------------------------------------ the 自评报告 around the tables ----
#
# A 自评报告 is prose before its table (the seed: 一、部门基本情况 … 七、其他需说明的情况, then the
# 部门整体 table, then seven project tables). Its sections are found by their headings, whose words
# are the vocabulary's `report_sections`; the text of each becomes the case's `report:`. Narrative is
# never a table cell: it is read from the rows outside every table, and never makes an import fail.

REPORT_KEYS = ("overview", "goals", "self_evaluation", "conclusion", "problems", "use_of_results", "experience",
               "other", "prepared_by", "reviewed_by", "date")
REPORT_SECTION_NAMES = {"overview": "基本情况", "goals": "绩效目标", "self_evaluation": "自评工作情况",
                        "conclusion": "评价结论", "problems": "存在的问题", "use_of_results": "结果应用",
                        "experience": "经验做法", "other": "其他说明"}
MAX_SECTION_CHARS = 20_000  # a real section is a few pages; a longer one is left out whole, never cut short
MAX_HEADING_CHARS = 30  # a heading's words after its number; a longer line is text
MAX_PREAMBLE_LINES = 3  # lines just above a report's first heading that may say whose report it is (its title)
MAX_LABEL_CHARS = 60  # a heading, a signature or a title line is short: longer text is never folded to be compared

# A heading's number, on folded text (ordinary widths, no spaces): 一、 1. （一） （1） 第一部分. Each
# kind of numbering is a level of the report; `(?!\d)` keeps 1.1 and 20.5 from reading as "1.".
_NUMBERING = re.compile(
    r"^(?:第(?P<part>[一二三四五六七八九十]+)(?:部分|章|节)[、.,:：]?"
    r"|(?P<cn>[一二三四五六七八九十]+)[、.,]"
    r"|\((?P<cn_paren>[一二三四五六七八九十]+)\)[、.,]?"
    r"|(?P<num>\d{1,2})(?:[、,]|\.(?!\d))"
    r"|\((?P<num_paren>\d{1,2})\)[、.,]?)")
_STYLES = ("part", "cn", "num", "cn_paren", "num_paren", "")  # outermost first: a tie goes to the outer level
_DATE_LINE = re.compile(r"^(?:20\d\d年\d{1,2}月\d{1,2}日|20\d\d[-./]\d{1,2}[-./]\d{1,2}"
                        r"|[二〇零○一三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日)$")
_LINE_SPACE = " \t\u3000\xa0"


def _chinese_number(text: str) -> int | None:
    digits = "一二三四五六七八九"
    if text == "十":
        return 10
    if len(text) == 1 and text in digits:
        return digits.index(text) + 1
    match = re.fullmatch(r"([一二三四五六七八九]?)十([一二三四五六七八九]?)", text)
    if match is None:
        return None
    tens = digits.index(match.group(1)) + 1 if match.group(1) else 1
    return tens * 10 + (digits.index(match.group(2)) + 1 if match.group(2) else 0)


@dataclass(frozen=True)
class _Heading:
    key: str  # the case's `report:` key the section fills
    style: str  # its numbering, one of _STYLES ("" for none)
    number: int  # 0 without numbering
    rest: str  # text after the heading's colon on the same line (七、其他需说明的情况：无)


def _heading(text: str, vocabulary: Vocabulary) -> _Heading | None:
    """The section a line heads, if it is a heading: a short line, no sentence in it, naming a section."""
    head, rest = _before_colon(text.split("\n", 1)[0])
    if len(head) > MAX_LABEL_CHARS:
        return None
    folded = fold(head)
    if not folded or _SENTENCE.search(folded):
        return None
    match = _NUMBERING.match(folded)
    style, number = "", 0
    if match is not None:
        style = match.lastgroup or ""
        value = match.group(style)
        number = int(value) if value.isdigit() else _chinese_number(value) or 0
        if not number:
            return None
        folded = folded[match.end():]
    if not folded or len(folded) > MAX_HEADING_CHARS:
        return None
    key = vocabulary.report_sections.match(folded, loose=False)
    if key is None and style:
        key = _named_in(folded, vocabulary)
    if key is None:
        return None
    return _Heading(key, style, number, rest.strip(_LINE_SPACE))


def _before_colon(line: str) -> tuple[str, str]:
    match = re.search(r"[:：]", line)
    return (line[:match.start()], line[match.end():]) if match else (line, "")


def _named_in(words: str, vocabulary: Vocabulary) -> str | None:
    """The section a numbered heading names among other words (二、项目基本情况和绩效目标): the section word
    that starts first in it, the longest there; words of fewer than four characters only as whole headings."""
    key_text = label_key(words)
    best: tuple[int, int, str] | None = None
    for word, key in vocabulary.report_sections.index.items():
        if len(word) < 4:
            continue
        at = key_text.find(word)
        if at >= 0 and (best is None or (at, -len(word)) < (best[0], -best[1])):
            best = (at, len(word), key)
    return best[2] if best else None


def _signature(cells: list[Cell], vocabulary: Vocabulary) -> dict[str, tuple[str, Cell]]:
    """填报人：张三 / 审核人 | 李四 / 2024年3月15日: the report's signature lines, by key."""
    found: dict[str, tuple[str, Cell]] = {}
    for n, cell in enumerate(cells):
        text = cell.text.split("\n", 1)[0].strip(_LINE_SPACE)
        if len(text) > MAX_LABEL_CHARS:
            continue
        if _DATE_LINE.match(fold(text)):
            found.setdefault("date", (text, cell))
            continue
        label, value = _before_colon(text)
        if len(fold(label)) > 10:
            continue
        key = vocabulary.report_signatures.match(label, loose=False)
        if key is None:
            continue
        value = value.strip(_LINE_SPACE)
        following = cells[n + 1].text.strip(_LINE_SPACE) if n + 1 < len(cells) else ""
        if not value and len(following) <= MAX_LABEL_CHARS and \
                vocabulary.report_signatures.match(_before_colon(following)[0], loose=False) is None:
            value = following
        if value:
            found.setdefault(key, (value, cell))
    return found


@dataclass
class _Report:
    preamble: list[str]  # the lines just above its first heading: its title, if it has one
    sections: dict[str, list[str]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    headings: dict[str, Cell] = field(default_factory=dict)
    heading_texts: list[str] = field(default_factory=list)
    ended: tuple[str, int, int] | None = None  # (section, lines, size) where a 备注 / 附件 line was met in it

    def add(self, key: str, text: str) -> None:
        for line in text.split("\n"):
            line = PINYIN.sub("", line.strip(_LINE_SPACE))
            if line and self.sizes.get(key, 0) <= MAX_SECTION_CHARS:
                self.sections[key].append(line)
                self.sizes[key] += len(line) + (1 if len(self.sections[key]) > 1 else 0)

    def end_at(self, key: str) -> None:
        """A 备注 / 附件 line: the report ends here unless another of its sections follows."""
        if self.ended is None:
            self.ended = (key, len(self.sections[key]), self.sizes[key])

    def close(self) -> None:
        if self.ended is not None:
            key, lines, size = self.ended
            del self.sections[key][lines:]
            self.sizes[key] = size
            self.ended = None

    def kind(self, vocabulary: Vocabulary) -> str | None:
        """department or project when its title or headings say so (and not both), else None."""
        said = {kind for text in self.preamble + self.heading_texts for word, kind in vocabulary.report_kinds.index.items()
                if word in label_key(text)}
        return next(iter(said)) if len(said) == 1 else None


def _reports_in(grid: Grid, first: int, end: int, vocabulary: Vocabulary) -> list[_Report]:
    """Every 自评报告 in rows [first, end) of the grid, in order; [] where no section heading is found."""
    rows: list[list[Cell]] = []
    for i in range(first, end):
        cells = [cell for cell in grid.rows[i] if cell.text and not cell.copy]
        if len(cells) == 1 and "\n" in cells[0].text:
            # A paragraph with line breaks (a converter writes a whole report as one): each line a row.
            rows.extend([dataclasses.replace(cells[0], text=line)] for line in cells[0].text.split("\n")
                        if line.strip(_LINE_SPACE))
        elif cells:
            rows.append(cells)
    headings = {n: found for n, cells in enumerate(rows) if (found := _heading(cells[0].text, vocabulary)) is not None}
    if not headings:
        return []
    # The report's own level of numbering is the one that names the most sections: in the seed 一、 names
    # seven and （一） two (部门概况, 部门绩效目标…), so （一） lines are lines of a section's text.
    named: dict[str, set[str]] = {}
    for found in headings.values():
        named.setdefault(found.style, set()).add(found.key)
    level = max(named, key=lambda style: (len(named[style]), -_STYLES.index(style)))
    reports: list[_Report] = []
    report: _Report | None = None
    section: str | None = None
    last = 0
    above: list[str] = []
    for n, cells in enumerate(rows):
        found = headings.get(n)
        if found is not None and found.style != level:
            found = None  # （一）部门概况 under 一、部门基本情况: a sub-heading, a line of the section
        elif found is not None and not found.style and report is not None and found.key == section:
            found = None  # 部门概况 under 基本情况, both unnumbered: a sub-heading too
        if found is not None:
            # A section the report already has, or a number not above the last, starts another report.
            if report is None or found.key in report.sections or (found.style and found.number <= last):
                if report is not None:
                    report.close()
                report = _Report(list(above))
                reports.append(report)
            report.ended = None  # what followed a 备注 in the last section was still the report
            section, last = found.key, found.number
            report.sections[section], report.sizes[section] = [], 0
            report.headings[section] = cells[0]
            report.heading_texts.append(cells[0].text.split("\n", 1)[0][:MAX_LABEL_CHARS])
            rest = cells[0].text.split("\n", 1)[1:]
            for text in [found.rest, *rest] + [cell.text for cell in cells[1:]]:
                report.add(section, text)
            continue
        if section is not None and any(label_key(cells[0].text[:20]).startswith(word) for word in vocabulary.report_ends):
            report.end_at(section)  # 备注 / 附件: kept only if another section follows
        if report is not None and (signed := _signature(cells, vocabulary)):
            for key, value in signed.items():
                report.sections.setdefault(key, [value[0]])
                report.headings.setdefault(key, value[1])
            section = None  # the signature ends the last section; the report may sign on the next lines too
            continue
        if report is None:
            above = (above + [" ".join(cell.text for cell in cells)[:MAX_LABEL_CHARS]])[-MAX_PREAMBLE_LINES:]
        elif section is not None:
            for cell in cells:
                report.add(section, cell.text)
    if report is not None:
        report.close()
    return reports


def _give_reports(reading: Reading, cases: list[ImportedCase], vocabulary: Vocabulary) -> None:
    """Each 自评报告 in the reading to the case it is about: the first table after it whose kind it fits
    (a 部门整体 report goes to the 部门整体 table, never to the project tables after it); a report after the
    last table goes to that table if it has none. Several reports before one table: the nearest."""
    events: list[tuple[list[_Report], ImportedCase | None]] = []
    for number, grid in enumerate(reading.grids):
        start = 0
        for case in sorted((c for c in cases if c.grid == number), key=lambda c: c.first_row):
            events.append((_reports_in(grid, start, case.first_row, vocabulary), case))
            start = max(start, case.end_row)
        events.append((_reports_in(grid, start, len(grid.rows), vocabulary), None))
    pending: _Report | None = None
    given: set[int] = set()
    last_case: ImportedCase | None = None
    after_last: list[_Report] = []
    for reports, case in events:
        if reports:
            pending = reports[-1]  # a sheet holding only the report gives it to the table on the next sheet
        if case is None:
            after_last.extend(reports)
            continue
        if pending is not None and pending.kind(vocabulary) in (None, case.kind):
            _give(case, pending)
            given.add(id(case))
            pending = None
        last_case, after_last = case, []
    if last_case is not None and id(last_case) not in given:
        report = next((r for r in after_last if r.kind(vocabulary) in (None, last_case.kind)), None)
        if report is not None:
            _give(last_case, report)


def _give(case: ImportedCase, report: _Report) -> None:
    written: dict[str, str] = {}
    for key in REPORT_KEYS:
        lines = report.sections.get(key)
        if not lines:
            continue
        if report.sizes.get(key, 0) > MAX_SECTION_CHARS:
            case.report_left_out.append(key)
            continue
        written[key] = "\n".join(lines)
        at = report.headings[key]
        case.provenance[("report", key)] = Cell("", at.ref, at.line, at.column, at.place, copy=True)
    if not written:
        return
    # After what the table says and before what was only checked or not placed: reported, unmapped.
    data = {key: value for key, value in case.data.items() if key not in ("reported", "unmapped")}
    data["report"] = written
    data.update((key, case.data[key]) for key in ("reported", "unmapped") if key in case.data)
    case.data.clear()
    case.data.update(data)


# ------------------------------------------------------------------ one cell per line ----


def _join_wrapped_labels(cells: list[Cell], v: Vocabulary, parts: dict[tuple[str, str], list[Cell]]) -> list[Cell]:
    """A label a web page wrapped over two cells (“年初” / “预算数”, “项目资金” / “(万元)”) made one again."""
    def is_label(text: str) -> bool:
        return bool(len(text) <= 30 and (
            v.fields.match(text, loose=False) or v.words("funds.rows").match(text, loose=False)
            or v.words("funds.columns").match(text, loose=False) or v.words("indicators.columns").match(text, loose=False)
            or v.is_block("funds", text) or v.is_block("goals", text) or v.is_block("indicators", text)
            or v.words("goals.expected").match(text, loose=False) or v.words("goals.achieved").match(text, loose=False)
            or v.words("indicators.level1").match(text, loose=False) or v.words("indicators.level2").match(text, loose=False)))

    joined: list[Cell] = []
    i = 0
    while i < len(cells):
        cell = cells[i]
        j = i + 1
        while j < len(cells) and not cells[j].text and j - i <= 2:
            j += 1  # the blank line between the two halves
        if j < len(cells) and cell.text and cells[j].text and len(cell.text) <= 12:
            after = cells[j].text
            unit_only = re.fullmatch(r"[(（][^()（）]{1,8}[)）]", normalize_text(after)) is not None
            together = cell.text + after
            if (unit_only and is_label(cell.text)) or (len(after) <= 12 and is_label(together)
                                                       and not (is_label(after) and is_label(cell.text)) and not _PLACEHOLDER.match(normalize_text(together))):
                merged = dataclasses.replace(cell, text=together)
                parts[merged.key] = [cell, cells[j]]
                joined.append(merged)
                i = j + 1
                continue
        joined.append(cell)
        i += 1
    return joined


def _reflow(rows: list[list[Cell]], vocabulary: Vocabulary,
            parts: dict[tuple[str, str], list[Cell]]) -> list[list[Cell]]:
    """Rebuild a table's rows from text with one cell per line, using the labels it contains.

    A field label takes the next cell as its value; a run of 项目资金 column labels is a header, and
    each fund row's name takes as many cells as the header has columns; a run of indicator column
    labels is a header (in the form's order where a two-row header was flattened), and each
    indicator row takes its 一级 / 二级 cells where their words appear, then the rest in order.
    Cells are numbered by their place in the rebuilt row, so rows are read as a positional grid.
    """
    v = vocabulary
    cells = _join_wrapped_labels([cell for row in rows for cell in row if not cell.copy], v, parts)
    out: list[list[Cell]] = []

    def kind(cell: Cell) -> str | None:
        text = cell.text
        if not text or len(text) > 30:
            return None
        if v.fields.match(text, loose=False):
            return "field"
        if v.words("funds.rows").match(text, loose=False):
            return "funds-row"
        if v.is_block("goals", text) or v.words("goals.expected").match(text, loose=False) \
                or v.words("goals.achieved").match(text, loose=False):
            return "goals"
        funds = v.words("funds.columns").match(text, loose=False) is not None or v.is_block("funds", text)
        indicator = v.words("indicators.columns").match(text, loose=False) is not None \
            or v.words("indicators.groups").match(text, loose=False) is not None or v.is_block("indicators", text)
        if funds and indicator:
            return "both-col"  # 分值, 得分, 权重: either header
        if funds:
            return "funds-col"
        if indicator:
            return "ind-col"
        if any(label_key(text).startswith(word) for word in v.ends if word) or v.totals.match(text, loose=False):
            return "end"
        return None

    def numbered(row: list[Cell]) -> list[Cell]:
        return [dataclasses.replace(cell, column=n + 1, span=1) for n, cell in enumerate(row)]

    funds_width = 0
    indicator_order: list[str] = []
    i = 0
    n = len(cells)
    while i < n:
        cell = cells[i]
        k = kind(cell)
        if not cell.text:
            i += 1
            continue
        if k == "field":
            row = [cell]
            if i + 1 < n and cells[i + 1].text and kind(cells[i + 1]) is None:
                row.append(cells[i + 1])
                i += 1
            out.append(numbered(row))
            i += 1
        elif k == "funds-col":
            run = []
            while i < n and (kind(cells[i]) in ("funds-col", "both-col") or not cells[i].text):
                if cells[i].text:
                    run.append(cells[i])
                i += 1
            funds_width = sum(1 for c in run if v.words("funds.columns").match(c.text, loose=False))
            out.append(numbered(run))
        elif k == "funds-row":
            row = [cell]
            i += 1
            while i < n and len(row) - 1 < max(funds_width, 1) and kind(cells[i]) is None \
                    and (not cells[i].text or _VALUE_LIKE.match(normalize_text(cells[i].text))):
                row.append(cells[i])
                i += 1
            out.append(numbered(row))
        elif k == "goals":
            run = []
            while i < n and (kind(cells[i]) == "goals" or not cells[i].text):
                if cells[i].text:
                    run.append(cells[i])
                i += 1
            out.append(numbered(run))
            values = []
            while i < n and len(values) < 2 and kind(cells[i]) is None:
                if cells[i].text:
                    values.append(cells[i])
                i += 1
            if values:
                out.append(numbered(values))
        elif k in ("ind-col", "both-col"):
            run = []
            while i < n and (kind(cells[i]) in ("ind-col", "both-col") or not cells[i].text):
                if cells[i].text:
                    run.append(cells[i])
                i += 1
            header, indicator_order = _flatten_header(run, v)
            out.append(header)
        elif k == "end" or k is None and not indicator_order:
            row = [cell]
            i += 1
            if k == "end":
                while i < n and len(row) < 4 and kind(cells[i]) is None and cells[i].text \
                        and (_VALUE_LIKE.match(normalize_text(cells[i].text)) or _GRADE.match(label_key(cells[i].text))):
                    row.append(cells[i])
                    i += 1
                indicator_order = []
            out.append(numbered(row))
        else:
            row, i = _indicator_row(cells, i, indicator_order, v, kind)
            out.append(row)
    return out


def _flatten_header(run: list[Cell], v: Vocabulary) -> tuple[list[Cell], list[str]]:
    """The header's columns in reading order; a two-row header flattened in the form's usual order."""
    words = v.words("indicators.columns")
    groups = v.words("indicators.groups")
    keyed = [(cell, words.match(cell.text)) for cell in run]
    grouped = any(groups.match(cell.text, loose=False) for cell in run)
    columns = [(cell, key) for cell, key in keyed if key]
    seen: set[str] = set()
    unique = []
    for cell, key in columns:
        if key not in seen:
            seen.add(key)
            unique.append((cell, key))
    two_rows = grouped and any(key in ("nature", "unit") for _, key in unique) or \
        [key for _, key in unique].index("level1") > 0 if "level1" in seen else False
    if two_rows:
        unique.sort(key=lambda pair: _INDICATOR_ORDER.index(pair[1]))
    ordered = [dataclasses.replace(cell, column=n + 1, span=1) for n, (cell, _) in enumerate(unique)]
    return ordered, [key for _, key in unique]


def _indicator_row(cells: list[Cell], i: int, order: list[str], v: Vocabulary, kind) -> tuple[list[Cell], int]:  # noqa: ANN001
    n = len(cells)
    slots: dict[str, Cell] = {}
    following = next((c.text for c in cells[i + 1:i + 3] if c.text), "")
    both = _is_level(v, "level1", cells[i].text) and _is_level(v, "level2", cells[i].text)
    if both and not _is_level(v, "level2", following):
        slots["level2"] = cells[i]  # 成本指标, 满意度指标: an 一级 word used as 二级 when no 二级 follows it
        i += 1
    elif "level1" in order and _is_level(v, "level1", cells[i].text):
        slots["level1"] = cells[i]
        i += 1
        if i < n and "level2" in order and _is_level(v, "level2", cells[i].text):
            slots["level2"] = cells[i]
            i += 1
    elif "level2" in order and _is_level(v, "level2", cells[i].text):
        slots["level2"] = cells[i]
        i += 1
    rest = [key for key in order if key not in ("level1", "level2")]
    taken = 0
    for key in rest:
        if i >= n:
            break
        cell = cells[i]
        if taken and cell.text and (kind(cell) in ("end", "ind-col", "both-col", "field", "goals", "funds-row")
                                    or _is_level(v, "level1", cell.text) or _is_level(v, "level2", cell.text)):
            break
        slots[key] = cell
        taken += 1
        i += 1
    row = []
    for number, key in enumerate(order, 1):
        cell = slots.get(key)
        if cell is None:
            row.append(Cell("", "", None, number, "", copy=True))
        else:
            row.append(dataclasses.replace(cell, column=number, span=1))
    return row, i

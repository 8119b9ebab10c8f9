"""Import stage, part 2: recognise 项目支出绩效自评表 and 部门整体支出绩效自评表 in a grid; make cases.

Tables are found by their titles ("2023年度项目支出绩效自评表"), or for a sheet without one by its
labels (项目名称 … 一级指标). Inside a table every field is found by its label, never by a fixed
column, so column order, extra columns, merged cells, traditional characters in labels, full-width
symbols and "≥50个"-style cells are all read. Values are kept as written (the case's scheme reads
"1,522.66" or "38.50万元" exactly); published 分值 / 得分 / 总分 / 等级 go under `reported`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import EngineError, Location, Path, Problem
from .grid import Cell, Grid, read_grids
from .load import Document
from .quantities import normalize_text, split_operator

# Traditional forms of the characters that appear in the tables' labels (and the grade 優).
_TRADITIONAL = str.maketrans({pair[0]: pair[1] for pair in (
    "項项 預预 執执 數数 額额 標标 級级 質质 實实 際际 單单 資资 結结 轉转 撥拨 財财 績绩 總总 評评 優优 達达 滿满 準准 價价 說说 設设 辦办 務务 費费 購购 構构 產产 經经 濟济 協协 調调 責责 門门 據据 應应 別别 雜杂 稱称 萬万 當当 無无 劃划 區区 縣县 發发 開开 關关 與与 為为 對对 個个 時时 間间 會会 現现 進进 過过 還还 點点 從从 處处 況况 態态 續续 號号 業业 織织 組组 記记 計计 證证 論论 議议 護护 農农 險险 戶户 訓训 練练 導导 專专 網网 審审 驗验 補补 減减 勞劳 醫医 藥药 衛卫 環环 廣广 報报 錄录 類类 顯显 響响 線线 維维 範范 節节 約约 細细 終终 給给 統统 絡络 繼继 齊齐 歸归 覽览 標标 衝冲 復复 覈核 適适 備备 註注 舊旧 擔担 貸贷 獎奖 創创 讓让 勢势 擴扩 裝装 規规 則则 觀观 貨货 銷销 償偿 債债 稅税 幣币 賬账 帳账 齡龄 災灾 廳厅 鄉乡 鎮镇 區区 縣县 職职"
).split()})


def label(text: str) -> str:
    """A cell's text as a label to match: simplified, half-width, no spaces or brackets."""
    text = normalize_text(text).translate(_TRADITIONAL)
    return re.sub(r"[\s:：()（）]", "", text)


_PROJECT_TITLE = re.compile(r"(\d{4})年度?项目支出绩效自评表")
_DEPARTMENT_TITLE = re.compile(r"(\d{4})年度?部门整体支出绩效自评表")
_YEAR = re.compile(r"(20\d\d)")

_FUNDS_COLUMNS = {"年初预算数": "initial_budget", "全年预算数": "full_year_budget", "全年执行数": "executed",
                  "分值": "weight", "执行率": "rate", "得分": "score"}
_FUNDS_ROWS = {"年度资金总额": "total", "当年财政拨款": "appropriation", "上年结转": "carried_over", "其他资金": "other"}
_INDICATOR_COLUMNS = [  # (words a header may use, field); the first match wins for a column
    (("一级指标",), "level1"), (("二级指标",), "level2"), (("三级指标", "指标名称"), "name"),
    (("指标性质", "性质"), "nature"), (("度量单位", "计量单位", "单位"), "unit"), (("实际完成值", "完成值"), "actual"),
    (("年度指标值", "指标值", "目标值"), "target"), (("分值", "权重"), "weight"), (("得分",), "score"),
    (("偏差原因", "偏差"), "deviation"),
]
_TASK_COLUMNS = [(("任务名称",), "name"), (("项目级次", "级次"), "level"), (("主要内容",), "content"),
                 (("总额",), "total"), (("财政拨款",), "appropriation"), (("其他资金",), "other"),
                 (("实际支出",), "executed"), (("预算执行率", "执行率"), "rate"), (("原因",), "reason")]
_END_OF_ROWS = ("其他需要说明事项", "其他需说明事项", "总分", "备注", "合计")


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

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))


def import_tables(path: str) -> list[ImportedCase]:
    """Every 项目 / 部门整体 table in the file, each as case data; ImportError_ if there is none."""
    cases: list[ImportedCase] = []
    problems: list[Problem] = []
    for grid in read_grids(path):
        found, trouble = _tables_in(grid)
        cases.extend(found)
        problems.extend(trouble)
    if problems:
        raise ImportError_(problems)
    if not cases:
        raise ImportError_(Problem(
            "没有找到“项目支出绩效自评表”或“部门整体支出绩效自评表”", Location(str(path)),
            hint="表格应有“2023年度项目支出绩效自评表”之类的标题，或有“项目名称”“一级指标”等栏目", code="no-table"))
    return cases


def _tables_in(grid: Grid) -> tuple[list[ImportedCase], list[Problem]]:
    starts = []
    for i, row in enumerate(grid.rows):
        for cell in row:
            text = label(cell.text)
            match = _PROJECT_TITLE.search(text) or _DEPARTMENT_TITLE.search(text)
            if match and len(text) <= 30:
                starts.append((i, "project" if _PROJECT_TITLE.search(text) else "department", int(match.group(1)), cell))
                break
    if not starts and _find(grid.rows, 0, len(grid.rows), "项目名称") is not None:
        year = next((int(m.group(1)) for row in grid.rows for c in row if (m := _YEAR.search(c.text))), None)
        starts.append((0, "project", year, grid.rows[0][0] if grid.rows and grid.rows[0] else Cell("", "", 1)))
    cases, problems = [], []
    previous_end = 0
    for n, (start, kind, year, title) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(grid.rows)
        reader = _TableReader(grid, start, end, year, title)
        try:
            case = reader.project() if kind == "project" else reader.department(previous_end)
            cases.append(case)
        except _Missing as missing:
            problems.append(Problem(
                f"{title.ref}：识别到“{title.text}”，但{missing.what}", Location(grid.source, title.line),
                hint=missing.hint, code="unreadable-table"))
        previous_end = end
    return cases, problems


class _Missing(Exception):
    def __init__(self, what: str, hint: str | None = None):
        super().__init__(what)
        self.what, self.hint = what, hint


def _find(rows: list[list[Cell]], start: int, end: int, *words: str) -> tuple[int, int] | None:
    """(row, column) of the first cell from `start` whose label contains all `words`."""
    for i in range(start, min(end, len(rows))):
        for j, cell in enumerate(rows[i]):
            text = label(cell.text)
            if text and all(word in text for word in words):
                return i, j
    return None


def _map_columns(header_rows: list[list[Cell]], vocabulary: list) -> dict[int, str]:
    """column -> field, from header rows in order of precedence; each field is taken once."""
    columns: dict[int, str] = {}
    for row in header_rows:
        for j, cell in enumerate(row):
            text = label(cell.text)
            if j in columns or not text:
                continue
            for words, key in vocabulary:
                if any(word in text for word in words) and key not in columns.values():
                    columns[j] = key
                    break
    return columns


def _after(row: list[Cell], column: int) -> Cell | None:
    """The first non-empty cell right of `column`."""
    return next((cell for cell in row[column + 1:] if cell.text), None)


def _value(text: str) -> Any:
    """A cell's text as the case keeps it: blank → None, the rest exactly as written."""
    text = text.strip()
    return None if text == "" else text


class _TableReader:
    def __init__(self, grid: Grid, start: int, end: int, year: int | None, title: Cell):
        self.grid, self.rows, self.start, self.end, self.year, self.title = grid, grid.rows, start, end, year, title
        self.provenance: dict[Path, Cell] = {}

    def keep(self, path: Path, cell: Cell | None, value: Any = None) -> Any:
        if cell is not None:
            self.provenance[path] = cell
        return _value(cell.text) if value is None and cell is not None else value

    def labelled(self, *words: str, required: bool = True) -> Cell | None:
        found = _find(self.rows, self.start, self.end, *words)
        if found is None:
            if required:
                raise _Missing(f"没有找到“{''.join(words)}”一栏")
            return None
        return _after(self.rows[found[0]], found[1])

    def row_cell(self, index: int) -> Cell:
        """A whole row, as a cell that names the row."""
        first = next((cell for cell in self.rows[index] if cell.text), self.rows[index][0])
        return Cell("", self.grid.row_ref(index), first.line, first.column, first.place)

    def case(self, kind: str, data: dict[str, Any]) -> ImportedCase:
        return ImportedCase(kind, data, self.provenance, self.grid.source, f"{self.title.text}（{self.title.ref}）")

    # ---------------------------------------------------------------- project table ---

    def project(self) -> ImportedCase:
        name_cell = self.labelled("项目名称")
        if name_cell is None:
            raise _Missing("“项目名称”一栏是空的")
        data: dict[str, Any] = {"scheme": "project-self-eval", "fiscal_year": self.year, "kind": "project",
                                "name": self.keep(("name",), name_cell)}
        self.provenance[("fiscal_year",)] = self.title
        department = self.labelled("主管部门", required=False)
        if department is not None and "实施单位" not in label(department.text):
            data["department"] = self.keep(("department",), department)
        implementer = self.labelled("实施单位", required=False)
        if implementer is not None:
            data["implementer"] = self.keep(("implementer",), implementer)
        data["source"] = {"document": self.grid.source.rsplit("/", 1)[-1], "table": f"{self.title.text}（{self.title.ref}）"}
        funds, reported = self.funds()
        data["funds"] = funds
        goals = self.goals()
        if goals:
            data["goals"] = goals
        data["indicators"] = self.indicator_rows(("indicators",), with_scores=True)
        notes = self.labelled("其他需要说明事项", required=False) or self.labelled("其他需说明事项", required=False)
        if notes is not None:
            data["notes"] = self.keep(("notes",), notes)
        reported.update(self.total_row())
        if reported:
            data["reported"] = reported
        return self.case("project", data)

    def funds(self) -> tuple[dict[str, Any], dict[str, Any]]:
        header = _find(self.rows, self.start, self.end, "全年执行数")
        if header is None:
            raise _Missing("没有找到项目资金表头（年初预算数、全年预算数、全年执行数）")
        row = self.rows[header[0]]
        columns = [_FUNDS_COLUMNS[key] for cell in row for key in _FUNDS_COLUMNS if key in label(cell.text)]
        funds: dict[str, Any] = {"unit": "万元"}
        reported: dict[str, Any] = {}
        for i in range(header[0] + 1, min(header[0] + 6, self.end)):
            cells = self.rows[i]
            at = next(((j, key) for j, cell in enumerate(cells) for word, key in _FUNDS_ROWS.items()
                       if word in label(cell.text)), None)
            if at is None:
                continue
            j, key = at
            values = cells[j + 1:] + [Cell("", cells[-1].ref if cells else "", cells[0].line if cells else 0)] * len(columns)
            entry: dict[str, Any] = {}
            for column, cell in zip(columns, values):
                path = ("funds", key, column)
                if column in ("initial_budget", "full_year_budget", "executed"):
                    entry[column] = self.keep(path, cell)
                elif key == "total" and column in ("weight", "rate", "score"):
                    reported.setdefault("execution", {})[column] = self.keep(("reported", "execution", column), cell)
                elif key == "appropriation" and column == "rate" and cell.text:
                    reported["appropriation_rate"] = self.keep(("reported", "appropriation_rate"), cell)
            funds[key] = entry
        if "total" not in funds:
            raise _Missing("项目资金中没有“年度资金总额”一行")
        return funds, reported

    def goals(self) -> dict[str, Any]:
        header = _find(self.rows, self.start, self.end, "预期目标")
        if header is None:
            return {}
        for i in range(header[0] + 1, min(header[0] + 3, self.end)):
            texts = [cell for cell in self.rows[i]
                     if cell.text and label(cell.text) not in ("绩效指标", "年度总体目标", "总体目标")]
            if texts:
                goals = {"expected": self.keep(("goals", "expected"), texts[0])}
                if len(texts) > 1:
                    goals["achieved"] = self.keep(("goals", "achieved"), texts[1])
                return goals
        return {}

    def indicator_header(self) -> tuple[int, dict[int, str]]:
        found = _find(self.rows, self.start, self.end, "一级指标")
        if found is None:
            raise _Missing("没有找到绩效指标表头（一级指标、二级指标、三级指标……）",
                           "表头须有“一级指标”，以及“三级指标”或“指标名称”、“指标值”、“实际完成值”")
        row_index = found[0]
        # The lower header row wins; the one above (年度指标值 over 性质 / 指标值 / 单位) fills the rest.
        above = [self.rows[row_index - 1]] if row_index > self.start else []
        columns = _map_columns([self.rows[row_index]] + above, _INDICATOR_COLUMNS)
        missing = [name for name, key in (("三级指标", "name"), ("指标值", "target"), ("实际完成值", "actual"))
                   if key not in columns.values()]
        if missing:
            raise _Missing(f"绩效指标表头缺少“{'、'.join(missing)}”", "表头须写明各栏名称")
        return row_index, columns

    def indicator_rows(self, path: Path, with_scores: bool) -> list[dict[str, Any]]:
        header, columns = self.indicator_header()
        rows: list[dict[str, Any]] = []
        carried: dict[str, str] = {}
        for i in range(header + 1, self.end):
            cells = self.rows[i]
            first = label(next((c.text for c in cells if c.text), ""))
            if any(first.startswith(word) for word in _END_OF_ROWS) or re.match(r"^[一二三四五六七八九十]、", first):
                break
            by_key = {key: cells[j] for j, key in columns.items() if j < len(cells)}
            name = by_key.get("name")
            if name is None or not name.text:
                continue
            row: dict[str, Any] = {}
            index = len(rows)
            for level in ("level1", "level2"):
                cell = by_key.get(level)
                if cell is not None and cell.text:
                    carried[level] = cell.text  # merged cells: a blank 一级 / 二级 continues the one above
                    row[level] = self.keep(path + (index, level), cell)
                elif level in carried:
                    row[level] = carried[level]
            row["name"] = self.keep(path + (index, "name"), name)
            self.read_target(row, by_key, path + (index,))
            if "actual" in by_key:
                row["actual"] = self.keep(path + (index, "actual"), by_key["actual"])
            for key in (("weight", "score") if with_scores else ()) + ("deviation",):
                if key in by_key and by_key[key].text:
                    row[key] = self.keep(path + (index, key), by_key[key])
            self.provenance[path + (index,)] = self.row_cell(i)
            rows.append(row)
        if not rows:
            raise _Missing("绩效指标表头下没有指标行")
        return rows

    def read_target(self, row: dict[str, Any], by_key: dict[str, Cell], path: Path) -> None:
        """指标性质, 指标值 and 度量单位, also from a single cell such as "≥50个" or "≤30天"."""
        nature_cell, target_cell, unit_cell = by_key.get("nature"), by_key.get("target"), by_key.get("unit")
        target_text = target_cell.text if target_cell is not None else ""
        operator, rest = split_operator(target_text) if target_text else (None, "")
        nature = nature_cell.text if nature_cell is not None and nature_cell.text else operator
        if nature is None:
            nature = "定性" if target_text and not re.match(r"^[\d.,，-]", rest) else "≥"
        row["nature"] = nature
        if nature_cell is not None and nature_cell.text:
            self.provenance[path + ("nature",)] = nature_cell
        unit = unit_cell.text if unit_cell is not None and unit_cell.text else None
        if unit is None and rest:
            match = re.match(r"^[+-]?[\d.,，]+\s*(.+)$", normalize_text(rest))
            if match:
                unit = match.group(1)
        row["target"] = self.keep(path + ("target",), target_cell, rest or None) if target_cell else None
        row["unit"] = unit
        if unit_cell is not None and unit_cell.text:
            self.provenance[path + ("unit",)] = unit_cell

    def total_row(self) -> dict[str, Any]:
        found = _find(self.rows, self.start, self.end, "总分")
        if found is None:
            return {}
        cells = [cell for cell in self.rows[found[0]][found[1] + 1:] if cell.text]
        reported: dict[str, Any] = {}
        numbers = [cell for cell in cells if re.match(r"^[\d.]+$", normalize_text(cell.text))]
        words = [cell for cell in cells if cell not in numbers]
        if len(numbers) >= 2:
            reported["total_weight"] = self.keep(("reported", "total_weight"), numbers[0])
            reported["total"] = self.keep(("reported", "total"), numbers[1])
        elif numbers:
            reported["total"] = self.keep(("reported", "total"), numbers[0])
        if words:
            reported["grade"] = self.keep(("reported", "grade"), words[0], label(words[0].text))
        return reported

    # ---------------------------------------------------------------- department table ---

    def department(self, narrative_start: int) -> ImportedCase:
        name_cell = self.labelled("部门名称")
        if name_cell is None:
            raise _Missing("“部门名称”一栏是空的")
        data: dict[str, Any] = {"scheme": "department-self-eval", "fiscal_year": self.year, "kind": "department",
                                "name": self.keep(("name",), name_cell)}
        data["department"] = data["name"]
        data["source"] = {"document": self.grid.source.rsplit("/", 1)[-1], "table": f"{self.title.text}（{self.title.ref}）"}
        goals: dict[str, Any] = {}
        duties = self.labelled("部门职责", required=False)
        if duties is not None:
            goals["duties"] = self.keep(("goals", "duties"), duties)
        overall = self.labelled("总体绩效目标", required=False)
        if overall is not None:
            goals["overall"] = self.keep(("goals", "overall"), overall)
        annual = self.annual_goals()
        if annual:
            goals["annual"] = annual
        if goals:
            data["goals"] = goals
        data["key_tasks"] = self.key_tasks()
        data["indicators"] = self.indicator_rows(("indicators",), with_scores=False)
        notes = self.labelled("其他需说明事项", required=False) or self.labelled("其他需要说明事项", required=False)
        if notes is not None:
            data["notes"] = self.keep(("notes",), notes)
        figures = self.narrative_figures(narrative_start)
        if figures:
            data["data"] = figures
        return self.case("department", data)

    def annual_goals(self) -> list[dict[str, Any]]:
        header = _find(self.rows, self.start, self.end, "财年")
        if header is None:
            return []
        goals = []
        for i in range(header[0] + 1, self.end):
            cells = [cell for cell in self.rows[i] if cell.text]
            if not cells or not re.match(r"^20\d\d$", cells[0].text):
                break
            entry: dict[str, Any] = {"year": int(cells[0].text)}
            if len(cells) > 1:
                entry["target"] = self.keep(("goals", "annual", len(goals), "target"), cells[1])
            if len(cells) > 2:
                entry["achieved"] = self.keep(("goals", "annual", len(goals), "achieved"), cells[2])
            goals.append(entry)
        return goals

    def key_tasks(self) -> list[dict[str, Any]]:
        header = _find(self.rows, self.start, self.end, "任务名称")
        if header is None:
            raise _Missing("没有找到“部门年度重点工作任务”表头（任务名称、批复金额……）")
        # 批复金额 spans 总额 / 财政拨款 / 其他资金 on the row below, which is read first.
        columns = _map_columns([self.rows[header[0] + 1], self.rows[header[0]]], _TASK_COLUMNS)
        tasks = []
        for i in range(header[0] + 2, self.end):
            cells = self.rows[i]
            first = label(next((c.text for c in cells if c.text), ""))
            if not first:
                continue
            if re.match(r"^[一二三四五六七八九十]、", first):
                break
            by_key = {key: cells[j] for j, key in columns.items() if j < len(cells)}
            path = ("key_tasks", len(tasks))
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

    def narrative_figures(self, start: int) -> dict[str, Any]:
        """Figures a 自评报告 states in words: 收入合计1,522.66万元 … 占总支出的76.01% …"""
        lines = [(i, " ".join(c.text for c in self.rows[i] if c.text)) for i in range(start, self.start) if self.rows[i]]
        figures: dict[str, Any] = {}
        amount = r"([\d,，]+(?:\.\d+)?)万元"

        def find(pattern: str, path: Path, group: int = 1) -> None:
            for i, text in lines:
                match = re.search(pattern, normalize_text(text))
                if match:
                    target = figures
                    for part in path[:-1]:
                        target = target.setdefault(part, {})
                    target[path[-1]] = match.group(group)
                    self.provenance[("data",) + path] = self.row_cell(i)
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


# ------------------------------------------------------------------ writing the case ----

_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_YAML_WORDS = {"", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n"}
_SCHEMA_LINES = {"project": "# yaml-language-server: $schema={schemas}/case.schema.json"}


def yaml_scalar(value: Any, in_flow: bool = False) -> str:
    """One value as YAML text that reads back as the same value (numbers stay exact decimals)."""
    if value is None:
        return "~"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN_NUMBER.match(text):
        return text
    special = text.lower() in _YAML_WORDS or re.match(r"^[-+.\d]", text) or text[0] in "!&*?|>'\"%@`#{}[],:-~="
    awkward = any(mark in text for mark in (": ", " #", "\n", "\t")) or text != text.strip()
    if special or awkward or (in_flow and any(ch in text for ch in ",[]{}:#")):
        return _double_quoted(text)
    return text


def _double_quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def flow_mapping(mapping: dict[str, Any]) -> str:
    """A mapping on one line, as YAML flow style: {a: 1, b: {c: 2}}."""
    parts = []
    for key, value in mapping.items():
        rendered = flow_mapping(value) if isinstance(value, dict) else yaml_scalar(value, in_flow=True)
        parts.append(f"{key}: {rendered}")
    return "{" + ", ".join(parts) + "}"


def case_yaml(case: ImportedCase, schema_path: str = "../../schemas/case.schema.json") -> str:
    """The case as readable YAML in the case format, each value or row commented with where it was read."""
    provenance = case.provenance
    lines = [
        f"# yaml-language-server: $schema={schema_path}",
        f"# 由 engine import 自 {case.source} 导入：{case.title}",
        "# 每个数值后的注释是它在原文件中的位置；原表所填的分值、得分、总分、等级在 reported 下，只供核对。",
    ]

    def comment(path: Path) -> str:
        cell = provenance.get(path)
        return f"  # {cell.ref}" if cell else ""

    def emit(value: Any, path: Path, indent: int) -> None:
        pad = "  " * indent
        for key, item in value.items():
            here = path + (key,)
            if isinstance(item, dict):
                if item and all(not isinstance(v, (dict, list)) for v in item.values()) and len(item) <= 6 and path:
                    lines.append(f"{pad}{key}: {flow_mapping(item)}{_row_comment(here, item)}")
                else:
                    lines.append(f"{pad}{key}:{comment(here)}")
                    emit(item, here, indent + 1)
            elif isinstance(item, list):
                lines.append(f"{pad}{key}:{comment(here)}" if item else f"{pad}{key}: []")
                for i, entry in enumerate(item):
                    if isinstance(entry, dict):
                        lines.append(f"{pad}  - {flow_mapping(entry)}{_row_comment(here + (i,), entry)}")
                    else:
                        lines.append(f"{pad}  - {yaml_scalar(entry)}{comment(here + (i,))}")
            else:
                lines.append(f"{pad}{key}: {yaml_scalar(item)}{comment(here)}")

    def _row_comment(path: Path, entry: dict[str, Any]) -> str:
        if path in provenance:
            return f"  # {provenance[path].ref}"
        refs = list(dict.fromkeys(provenance[path + (key,)].ref for key in entry if path + (key,) in provenance))
        if not refs:
            return ""
        return f"  # {refs[0]}" if len(refs) == 1 else f"  # {refs[0]} … {refs[-1]}"

    emit(case.data, (), 0)
    return "\n".join(lines) + "\n"


def case_document(case: ImportedCase) -> Document:
    """The imported case as a document whose positions are the cells of the original table."""
    positions = {path: (cell.line, cell.column or None, cell.place or case.source) for path, cell in case.provenance.items()}
    positions.setdefault((), (case.provenance[("name",)].line if ("name",) in case.provenance else 1, None, case.source))
    return Document(case.source, case.data, positions)


def suggested_file_name(case: ImportedCase) -> str:
    name = re.sub(r"[\\/:*?\"<>|\s]+", "-", case.name).strip("-") or "case"
    prefix = "项目" if case.kind == "project" else "部门整体"
    return f"{prefix}-{name}.yaml"

"""Report stage: the 自评报告 as a Word document, from a template staff edit in Word themselves.

The template is an ordinary .docx with docxtpl's Jinja2 tags in Chinese ({{ 总分 }}, {{ 基本情况 }},
{%p for 项 in 失分指标 %} …); `engine report` fills it with the case's narrative sections, the
computed figures and the scored table, inserted as a real Word table with the official layout.
The default template (templates/report.docx, built by templates/make_report_template.py) follows
the sections of the 沾益 report; a bureau points `--template` at its own.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from .errors import EngineError, Location, Problem
from .export import official_cells, place, print_layout
from .files import read_regular
from .model import CaseData, Result
from .quantities import fixed, plain_number
from .rules import branch_label

DEFAULT_TEMPLATE = Path(__file__).resolve().parent / "templates" / "report.docx"
MAX_TEMPLATE_BYTES = 20 * 1024 * 1024
NOT_WRITTEN = "（待填写）"
# case `report:` key -> the name the template uses; the case's own words, never rewritten
NARRATIVE = (
    ("overview", "基本情况"), ("goals", "绩效目标"), ("self_evaluation", "自评工作情况"), ("conclusion", "评价结论"),
    ("problems", "存在问题"), ("use_of_results", "结果应用"), ("experience", "经验做法"), ("other", "其他说明"),
    ("prepared_by", "填报人"), ("reviewed_by", "审核人"), ("date", "日期"),
)
_TABLE_FONT = "宋体"
# The ten columns of the official grid on the 16 cm of an A4 page between the template's margins:
# 一级 二级 三级 性质 指标值 单位 实际完成值 分值 得分 偏差原因 (the 项目资金 block shares the same grid).
_TABLE_CM = 16.0  # the width of A4 between the template's margins
# Where a figure needs more than its column's share (113.41 under 全年预算数, 100.00% under 执行率),
# the widest text columns give up width, never below _TEXT_FLOOR_CM.
_TEXT_FLOOR_CM = 1.1
# No column narrower than two characters and the cell's padding: 本级 on one line, 指标性质 on two.
_COLUMN_FLOOR_CM = 0.9
_FONT_PT = 9
_CELL_MARGIN_CM = 0.2  # 57 twips on each side
# Advance widths in em of the widest fonts a figure may fall back to (DejaVu Sans Bold): a figure is
# never broken over two lines, whichever font the printing machine has.
_EM = {**dict.fromkeys("0123456789", 0.70), ".": 0.38, ",": 0.38, "%": 1.0, "-": 0.42, "+": 0.84,
       "≥": 0.84, "≤": 0.84, "=": 0.84, "万": 1.0, "元": 1.0}
_FIGURE = re.compile(r"[-+≥≤=]?[\d.,]+%?")


class TemplateError(EngineError):
    kind = "template"


def report_context(result: Result, case: CaseData | None) -> dict[str, Any]:
    """Everything a template may name: the narrative as the case wrote it, and the figures as computed."""
    data = case.document.data if case is not None and isinstance(getattr(case.document, "data", None), dict) else {}
    written = data.get("report") if isinstance(data.get("report"), dict) else {}
    context: dict[str, Any] = {}
    for key, name in NARRATIVE:
        value = written.get(key)
        context[name] = str(value).strip() if value not in (None, "") else ""
    goals = data.get("goals") if isinstance(data.get("goals"), dict) else {}
    if not context["绩效目标"] and goals:
        parts = [f"预期目标：{str(goals['expected']).rstrip('。；;')}" if goals.get("expected") else "",
                 f"实际完成情况：{str(goals['achieved']).rstrip('。；;')}" if goals.get("achieved") else ""]
        stated = "；".join(part for part in parts if part)
        context["绩效目标"] = stated + "。" if stated else ""
    if not context["其他说明"] and data.get("notes"):
        context["其他说明"] = str(data["notes"])
    for _, name in NARRATIVE[:8]:
        if name != "绩效目标":  # a section of its own only where the case states goals
            context[name] = _paragraphs(context[name] or NOT_WRITTEN)
    places = result.places
    identity = result.case
    kind = {"project": "项目支出绩效自评表", "department": "部门整体支出绩效自评表"}.get(identity.get("kind"), "绩效自评表")
    unit = identity.get("department") or identity.get("implementer") or identity.get("name") or ""
    name = identity.get("name") or ""
    context.update({
        "单位": unit, "名称": name, "年度": identity.get("fiscal_year", ""), "主管部门": identity.get("department") or "",
        "实施单位": identity.get("implementer") or "", "方案": result.scheme.get("title", ""),
        "报告名称": f"{name}绩效自评报告" if kind == "项目支出绩效自评表" else "部门整体支出绩效自评报告",
        "表名": f"{identity.get('fiscal_year', '')}年度{kind}",
        "总分": fixed(result.total, places), "满分": fixed(result.max_total, places), "等级": result.grade,
    })
    execution = next((i for i in result.indicators if i.id == "execution"), None)
    rate = result.values.get("预算执行率")
    context["预算执行率"] = fixed(rate, 2) if rate is not None and not isinstance(rate, str) and hasattr(rate, "quantize") else ""
    context["执行率得分"] = fixed(execution.score, places) if execution is not None else ""
    sentence = (f"经自评，{name}{identity.get('fiscal_year', '')}年度绩效自评得分 {context['总分']} 分"
                f"（满分 {context['满分']} 分），自评等级为“{result.grade}”。")
    if context["预算执行率"] and execution is not None:
        sentence += (f"预算执行率 {context['预算执行率']}%，该项得分 {context['执行率得分']} 分"
                     f"（分值 {plain_number(execution.weight)} 分）。")
    context["结论"] = sentence
    lost = []
    for indicator in result.indicators:
        if indicator.score >= indicator.weight:
            continue
        reason = indicator.source.deviation if indicator.from_case else None
        lost.append({
            "序号": len(lost) + 1, "名称": " / ".join([*indicator.path, indicator.name]) if indicator.path else indicator.name,
            "分值": plain_number(indicator.weight), "得分": fixed(indicator.score, places),
            "失分": fixed(indicator.weight - indicator.score, places),
            "原因": (reason or "").strip() or ("原表未说明" if indicator.from_case else branch_label(indicator.branch, indicator.rule)),
        })
    context["失分指标"] = lost
    context["核对不符"] = [line for check in result.checks if check.status == "failed"
                       for line in (check.message, *(f"　　{detail}" for detail in check.details))]
    return context


def _paragraphs(text: str) -> Any:
    """The case's text with each of its lines a paragraph of the report (docxtpl's \\a), escaped."""
    from docxtpl import Listing

    return Listing("\a".join(line.strip() for line in text.splitlines() if line.strip()))


def render_docx(result: Result, case: CaseData | None, template: str | Path | None = None) -> bytes:
    """The filled report as .docx bytes; a template that is not a Word file, or whose tags do not
    parse, is refused with its name and the reason."""
    from docxtpl import DocxTemplate  # imported here: scoring never pays for Word
    from jinja2 import TemplateError as JinjaError
    from jinja2.sandbox import SandboxedEnvironment

    source = str(template or DEFAULT_TEMPLATE)
    raw = read_regular(source, MAX_TEMPLATE_BYTES, "Word 模板")
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        raise TemplateError(Problem("模板不是 Word 文档（.docx）", Location(source), code="bad-template",
                                    hint="在 Word 或 WPS 中另存为 .docx 再用"))
    try:
        document = DocxTemplate(io.BytesIO(raw))
        context = report_context(result, case)
        context["评分表"] = _score_table(document, result, case)
        # A bureau's template is a file from elsewhere: its tags run sandboxed, with nothing but the context.
        document.render(context, jinja_env=SandboxedEnvironment(), autoescape=True)
        output = io.BytesIO()
        document.save(output)
    except JinjaError as error:
        line = getattr(error, "lineno", None)
        raise TemplateError(Problem(f"模板中的标记有误：{error}", Location(source, line), code="bad-template",
                                    hint="标记写法如 {{ 总分 }}、{%p for 项 in 失分指标 %} … {%p endfor %}")) from None
    except (KeyError, ValueError, zipfile.BadZipFile) as error:
        raise TemplateError(Problem(f"模板无法使用：{error}", Location(source), code="bad-template")) from None
    return output.getvalue()


def _score_table(document: Any, result: Result, case: CaseData | None) -> Any:
    """The official table (its merged cells as on the printed form) as a Word table in a sub-document."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    grid = official_cells(result, case)
    columns = 10
    placed = _on_grid(grid, columns)
    subdoc = document.new_subdoc()
    table = subdoc.add_table(rows=len(grid), cols=columns)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row_index, column_index, text, colspan, rowspan, style in placed:
        cell = table.cell(row_index, column_index)
        if colspan > 1 or rowspan > 1:
            cell = cell.merge(table.cell(row_index + rowspan - 1, column_index + colspan - 1))
        paragraph = cell.paragraphs[0]
        paragraph.alignment = (WD_ALIGN_PARAGRAPH.RIGHT if style in ("n", "s") else
                               WD_ALIGN_PARAGRAPH.CENTER if style == "h" else WD_ALIGN_PARAGRAPH.LEFT)
        run = paragraph.add_run(text)
        run.font.size = Pt(9)
        run.font.bold = style in ("h", "s")
        run.font.name = _TABLE_FONT
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), _TABLE_FONT)
        if style == "h":
            shading = OxmlElement("w:shd")
            shading.set(qn("w:val"), "clear")
            shading.set(qn("w:fill"), "F2F2F2")
            cell._tc.get_or_add_tcPr().append(shading)
    table.autofit = False
    margins = OxmlElement("w:tblCellMar")  # narrow cell padding, as printed forms have: 100.00 fits a 1.1 cm column
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), "57")
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.append(margins)
    widths = _column_widths(placed, print_layout(grid, columns).widths)
    # Word reads each cell's width, LibreOffice the table grid's: both are set.
    for grid_column, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths):
        grid_column.set(qn("w:w"), str(int(Cm(width).twips)))
    for index, width in enumerate(widths):
        for cell in table.columns[index].cells:
            cell.width = Cm(width)
    for row in table.rows:  # a row is never split across two pages
        row._tr.get_or_add_trPr().append(_on("w:cantSplit"))
    if grid and grid[0][0][0] == "一级指标":  # a table that starts with its header row repeats it on every page
        table.rows[0]._tr.get_or_add_trPr().append(_on("w:tblHeader"))
    return subdoc


def _column_widths(placed: list[tuple[int, int, str, int, int, str]], layout: tuple[float, ...]) -> list[float]:
    """The print layout's widths (those of the xlsx and the web page) on the report's 16 cm, each column then
    widened where a figure of this table would not fit it on one line."""
    columns = len(layout)
    widths = [width / sum(layout) * _TABLE_CM for width in layout]
    need = [_COLUMN_FLOOR_CM] * columns
    for _, column, text, colspan, _, _ in placed:
        if colspan == 1 and column < columns:
            for figure in _FIGURE.findall(text):
                em = sum(_EM.get(char, 1.0) for char in figure)
                need[column] = max(need[column], em * _FONT_PT * 2.54 / 72 + _CELL_MARGIN_CM)
    for column in range(columns):
        deficit = need[column] - widths[column]
        givers = sorted((c for c in range(columns) if c != column and need[c] == _COLUMN_FLOOR_CM), key=lambda c: -widths[c])
        for giver in givers:
            if deficit <= 0:
                break
            taken = min(max(widths[giver] - _TEXT_FLOOR_CM, 0.0), deficit)
            widths[giver] -= taken
            widths[column] += taken
            deficit -= taken
    return [round(width, 2) for width in widths]


def _on(tag: str) -> Any:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement(tag)
    element.set(qn("w:val"), "true")
    return element


def _on_grid(grid: list[list[tuple[str, int, int, str]]], columns: int) -> list[tuple[int, int, str, int, int, str]]:
    """Each cell placed as the print layout places it (export.place), clipped to the Word table's grid."""
    return [(row, column, text, min(colspan, columns - column), min(rowspan, len(grid) - row), style)
            for row, column, text, colspan, rowspan, style in place(grid) if column < columns]

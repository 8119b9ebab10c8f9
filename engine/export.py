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
from decimal import Decimal
from typing import Any

from .model import CaseData, GroupResult, IndicatorResult, Result
from .quantities import fixed, is_blank, parse_number, plain_number, ValueProblem
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


# ------------------------------------------------------------------ HTML ------------------


def _h(text: str) -> str:
    """Text in HTML: markup escaped, control characters shown as marks (the page may be printed to a terminal)."""
    return html.escape(clean(str(text)))


_CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
       "SimSun", "Songti SC", sans-serif; font-size: 10.5pt; color: #111; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 15pt; text-align: center; margin: 4mm 0 2mm; }
p.scheme { text-align: center; color: #444; margin: 0 0 4mm; font-size: 9pt; }
table { border-collapse: collapse; width: 100%; page-break-inside: auto; }
tr { page-break-inside: avoid; }
th, td { border: 0.6pt solid #333; padding: 1.2mm 1.5mm; vertical-align: middle; }
th { background: #f2f2f2; font-weight: 600; text-align: center; }
td.n, td.s { text-align: right; white-space: nowrap; }
td.s { font-weight: 600; background: #fffbe6; }
.summary { margin: 4mm 0; font-size: 12pt; }
.summary strong { font-size: 14pt; }
.checks { margin: 3mm 0; padding: 2mm 3mm; border: 0.6pt solid #c33; background: #fff5f5; }
.checks h2, .chart h2 { font-size: 11pt; margin: 0 0 2mm; }
.checks li { margin: 1mm 0; }
.checks li.ok { color: #275; }
.chart { margin-top: 4mm; page-break-inside: avoid; }
footer { margin-top: 4mm; color: #666; font-size: 8pt; }
"""


def render_html(result: Result, case: CaseData | None = None) -> str:
    places = result.places
    body = [f"<h1>{_h(_title(result))}</h1>",
            f'<p class="scheme">评价方案：{_h(result.scheme["title"])}（{_h(str(result.scheme["id"]))} '
            f'{_h(result.scheme["fiscal_year"])}）</p>', "<table>",
            "<colgroup>" + "".join(f'<col style="width:{w}%">' for w in (11, 11, 15, 6, 9, 7, 9, 7, 8, 17)) + "</colgroup>"]
    for row in official_cells(result, case):
        cells = []
        for text, colspan, rowspan, style in row:
            tag = "th" if style == "h" else "td"
            attributes = (f' colspan="{colspan}"' if colspan > 1 else "") + (f' rowspan="{rowspan}"' if rowspan > 1 else "")
            attributes += f' class="{style}"' if style in ("n", "s", "t") else ""
            cells.append(f"<{tag}{attributes}>{_h(text)}</{tag}>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    body.append("</table>")
    body.append(f'<p class="summary">总分 <strong id="total">{fixed(result.total, places)}</strong> / '
                f'{fixed(result.max_total, places)}　等级 <strong id="grade">{_h(result.grade)}</strong></p>')
    failed = [c for c in result.checks if c.status == "failed"]
    if failed:
        body.append('<section class="checks"><h2>勾稽核对不符（原表所填与其自身数字不一致，得分按规则计算）</h2><ul>')
        for check in failed:
            details = "".join(f"<br>　{_h(d)}" for d in check.details)
            body.append(f"<li>{_h(check.message)}{details}</li>")
        body.append("</ul></section>")
    elif result.checks:
        body.append(f'<section class="checks" style="border-color:#3a7;background:#f3fbf6">'
                    f'<ul><li class="ok">勾稽核对：{len(result.checks)} 项均无不符</li></ul></section>')
    subtotals = _subtotal_rows(result.groups, places)
    if subtotals:
        body.append("<h2 style=\"font-size:11pt\">分项得分</h2><table><tr><th>指标</th><th>分值</th><th>得分</th>"
                    "<th>得分率</th></tr>" + "".join(
                        f'<tr><td style="padding-left:{2 + 5 * depth}mm">{_h(name)}</td><td class="n">{weight}</td>'
                        f'<td class="s">{score}</td><td class="n">{share}</td></tr>'
                        for depth, name, weight, score, share in subtotals) + "</table>")
    body.append('<section class="chart"><h2>各部分得分与分值</h2>' + svg_chart(result) + "</section>")
    body.append(f"<footer>由 budget-eval-engine 按方案文件 {_h(str(result.scheme.get('file', '')))} 计算；"
                f"案例文件 {_h(str(result.case.get('file', '')))}。</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_h(_title(result))}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


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
    width, label_width, bar_height, gap = 640, 150, 18, 10
    scale_max = max((weight for _, weight, _ in parts), default=Decimal(1)) or Decimal(1)
    usable = width - label_width - 110
    height = len(parts) * (bar_height + gap) + gap
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'role="img" aria-label="各部分得分与分值" font-family="inherit" font-size="12">']
    for i, (name, weight, score) in enumerate(parts):
        y = gap + i * (bar_height + gap)
        full = float(weight / scale_max) * usable
        got = float(score / scale_max) * usable if weight else 0.0
        out.append(f'<text x="{label_width - 6}" y="{y + bar_height - 4}" text-anchor="end">{_h(name)}</text>')
        out.append(f'<rect x="{label_width}" y="{y}" width="{full:.1f}" height="{bar_height}" fill="#e6e6e6" stroke="#999"/>')
        out.append(f'<rect x="{label_width}" y="{y}" width="{got:.1f}" height="{bar_height}" fill="#2f7ebd"/>')
        out.append(f'<text x="{label_width + full + 6:.1f}" y="{y + bar_height - 4}">'
                   f'{fixed(score, result.places)} / {plain_number(weight)}</text>')
    out.append("</svg>")
    return "".join(out)


# ------------------------------------------------------------------ xlsx ------------------


def render_xlsx(result: Result, case: CaseData | None = None) -> bytes:
    """The official layout as a workbook: merged cells, borders, numbers as numbers, checks on a second sheet."""
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "自评表"
    thin = Side(style="thin", color="333333")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    xlsx_text(sheet.cell(1, 1), _title(result).split("：")[0])  # "2023年度项目支出绩效自评表", as the official title
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=10)
    sheet.cell(1, 1).font = Font(size=14, bold=True)
    sheet.cell(1, 1).alignment = Alignment(horizontal="center")
    occupied: set[tuple[int, int]] = set()
    row_number = 2
    for cells in official_cells(result, case):
        column = 1
        for text, colspan, rowspan, style in cells:
            while (row_number, column) in occupied:
                column += 1
            target = sheet.cell(row_number, column)
            value = _xlsx_value(text, style)
            if isinstance(value, str):
                xlsx_text(target, value)
            else:
                target.value = value
            if isinstance(target.value, Decimal) and text.endswith("%"):
                target.number_format = "0.00%"
            elif isinstance(target.value, Decimal):
                target.number_format = "0.00" if "." in text and len(text.split(".")[1]) == 2 else "General"
            target.alignment = Alignment(horizontal="center" if style == "h" else "left" if style == "t" else "right",
                                         vertical="center", wrap_text=True)
            if style == "h":
                target.font = Font(bold=True)
                target.fill = PatternFill("solid", fgColor="F2F2F2")
            if style == "s":
                target.font = Font(bold=True)
            if colspan > 1 or rowspan > 1:
                sheet.merge_cells(start_row=row_number, start_column=column, end_row=row_number + rowspan - 1,
                                  end_column=column + colspan - 1)
            for r in range(row_number, row_number + rowspan):
                for c in range(column, column + colspan):
                    occupied.add((r, c))
                    sheet.cell(r, c).border = border
            column += colspan
        row_number += 1
    failed = [check for check in result.checks if check.status == "failed"]
    if failed:  # beside the table, as the printed form has them; the full list is on the next sheet
        row_number += 1
        sheet.cell(row_number, 1).value = "勾稽核对不符（原表所填与其自身数字不一致，得分按规则计算）"  # our own text
        sheet.cell(row_number, 1).font = Font(bold=True, color="AA2222")
        for text in [line for check in failed for line in (check.message, *check.details)]:
            row_number += 1
            xlsx_text(sheet.cell(row_number, 1), text)
            sheet.merge_cells(start_row=row_number, start_column=1, end_row=row_number, end_column=10)
    for letter, width in zip("ABCDEFGHIJ", (12, 14, 22, 8, 10, 8, 11, 8, 9, 22)):
        sheet.column_dimensions[letter].width = width
    checks = workbook.create_sheet("勾稽核对")
    checks.append(["核对", "结果", "说明"])
    for check in result.checks:
        checks.append(xlsx_row(checks, [check.name, {"passed": "通过", "failed": "不符", "skipped": "未核对"}[check.status],
                                        check.message]))
        for detail in check.details:
            checks.append(xlsx_row(checks, ["", "", detail]))
    checks.column_dimensions["A"].width, checks.column_dimensions["C"].width = 26, 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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


def _xlsx_value(text: str, style: str) -> Any:
    if style in ("n", "s") and text and not is_blank(text):
        try:
            if text.endswith("%"):
                return Decimal(text[:-1]) / 100
            return Decimal(text)
        except ArithmeticError:
            return text
    return text


FORMATS = {"markdown": render_markdown, "csv": render_csv, "html": render_html, "xlsx": render_xlsx}

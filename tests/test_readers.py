"""The read stage: every common file as a grid of located cells, the format judged from the content.

Each reader is fed a small table made the way such files are made (openpyxl, python-docx, a saved web
page, text with each kind of separator) and must give the same cells in the same places, with the
location a person can find. Bad files are refused with a Chinese message naming the file, exit 2,
and nothing written.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.read import Grid, ReadError, read_bytes, read_file
from engine.read.text import LAYOUTS

from conftest import ROOT

SEED_TABLE = (ROOT / "tests" / "data" / "seeds" / "000_9a5c883a7752c8ed.txt").read_text(encoding="utf-8")
PROJECT = ROOT / "schemes" / "project-self-eval" / "2023.yaml"
LOCKED = ROOT / "tests" / "data" / "import" / "locked.xlsx"

# One small project table, as a clerk would type it into any of the formats.
TITLE = "2023年度项目支出绩效自评表"
ROWS = [
    ["项目名称", "乡村道路养护", "", "", "", "", "", "", ""],
    ["主管部门", "某县交通运输局", "", "", "实施单位", "某县公路事务中心", "", "", ""],
    ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", ""],
    ["", "年度资金总额", "50", "50", "45", "10", "90%", "9", ""],
    ["", "其中：当年财政拨款", "50", "50", "45", "—", "90%", "—", ""],
    ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分"],
    ["产出指标", "数量指标", "养护里程", "≥", "120", "公里", "120", "45", "45"],
    ["", "质量指标", "路况优良率", "≥", "90", "%", "81", "45", "40.5"],
    ["总分", "", "", "", "", "", "", "100", "94.5"],
]


def text_rows(rows: list[list[str]]) -> list[list[str]]:
    return [[cell for cell in row] for row in rows]


def cells_of(grid: Grid) -> list[list[str]]:
    return [[cell.text for cell in row if not cell.copy] for row in grid.rows]


def non_empty(grid: Grid) -> list[str]:
    return [cell.text for row in grid.rows for cell in row if cell.text and not cell.copy]


def imported(path: Path, *extra: str):
    return CliRunner().invoke(main, ["import", str(path), *extra])


# ------------------------------------------------------------------ text layouts ----

@pytest.mark.parametrize("layout, render", [
    ("tabs", lambda rows: "\n".join("\t".join(row) for row in rows)),
    ("pipes", lambda rows: "\n".join(["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
                                     + ["| " + " | ".join(row) + " |" for row in rows[1:]])),
    ("pipes", lambda rows: "\n".join("｜".join(row) for row in rows)),  # full-width bars
    ("csv", lambda rows: "\n".join(",".join(f'"{cell}"' if "," in cell else cell for cell in row) for row in rows)),
])
def test_separated_text_keeps_every_cell_in_its_column(layout, render, tmp_path):
    path = tmp_path / "table.txt"
    path.write_text(TITLE + "\n" + render(ROWS) + "\n", encoding="utf-8")
    reading = read_file(path)
    assert reading.format == LAYOUTS[layout]
    grid = reading.grids[0]
    body = [row for row in cells_of(grid) if len(row) > 1]
    assert body == ROWS  # blank cells kept: columns line up
    line = 6 if render(ROWS).startswith("|") else 5  # a Markdown table has its rule line under the header
    row = next(row for row in grid.rows if len(row) > 1 and row[1].text == "年度资金总额")
    cell = row[3]  # its 全年预算数, as an error message names it
    assert (cell.text, cell.ref, cell.line, cell.column) == ("50", f"第 {line} 行第 4 列", line, 4)


def test_runs_of_spaces_split_cells_and_single_spaces_stay_inside_them(tmp_path):
    path = tmp_path / "pdf-copy.txt"
    path.write_text(f"{TITLE}\n项目名称    乡村 道路养护\n主管部门\u3000某县交通运输局\u3000实施单位\u3000某县公路事务中心\n", encoding="utf-8")
    reading = read_file(path)
    assert reading.format == LAYOUTS["spaces"]
    assert [row for row in cells_of(reading.grids[0]) if row][1:] == [["项目名称", "乡村 道路养护"],
                                              ["主管部门", "某县交通运输局", "实施单位", "某县公路事务中心"]]


def test_one_cell_per_line_keeps_blank_cells_of_a_pasted_web_page(tmp_path):
    # A web page pasted: every cell on its own line with a blank line after it; an empty cell is one more blank pair.
    path = tmp_path / "page.txt"
    path.write_text("项目名称\n\n乡村道路养护\n\n主管部门\n\n\n\n实施单位\n\n某县公路事务中心\n", encoding="utf-8")
    grid = read_file(path).grids[0]
    assert grid.stream and read_file(path).format == LAYOUTS["lines"]
    assert [row[0].text for row in grid.rows] == ["项目名称", "乡村道路养护", "主管部门", "", "实施单位", "某县公路事务中心"]
    assert grid.rows[5][0].ref == "第 11 行"


@pytest.mark.parametrize("encoding, bom", [("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
                                           ("gb18030", b"")])
def test_text_in_the_encodings_windows_tools_write(encoding, bom, tmp_path):
    # Excel's “Unicode 文本” is UTF-16 with a byte-order mark; Chinese Windows tools write GBK / GB18030.
    path = tmp_path / "table.txt"
    path.write_bytes(bom + ("\r\n".join("\t".join(row) for row in [[TITLE]] + ROWS) + "\r\n").encode(encoding))
    grid = read_file(path).grids[0]
    assert cells_of(grid)[0] == [TITLE] and grid.rows[6][2].text == "三级指标"


# ------------------------------------------------------------------ workbooks ----

def make_workbook(path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "项目表"
    sheet["A1"] = TITLE
    sheet.merge_cells("A1:I1")
    for r, row in enumerate(ROWS, 2):
        for c, text in enumerate(row, 1):
            if text:
                value = float(text) if text.replace(".", "", 1).isdigit() else text
                sheet.cell(r, c, value)
    sheet["G5"] = 0.9  # 执行率 as a number formatted as a percentage, as Excel keeps it
    sheet["G5"].number_format = "0.00%"
    sheet["E5"] = 0.1 + 0.2 + 44.7  # binary noise Excel would not show: 45.00000000000001
    sheet.merge_cells("A4:A6")  # 项目资金（万元） over the fund rows
    sheet.merge_cells("A8:A9")  # 一级指标 产出指标 over two rows
    second = workbook.create_sheet("说明")
    second["A1"] = "填表说明"
    workbook.save(path)


def test_xlsx_cells_merged_and_formatted_as_the_clerk_saw_them(tmp_path):
    path = tmp_path / "自评表.xlsx"
    make_workbook(path)
    reading = read_file(path)
    assert reading.format == "Excel 工作簿（.xlsx）" and [g.sheet for g in reading.grids] == ["项目表", "说明"]
    grid = reading.grids[0]
    title = grid.rows[0][0]
    assert (title.text, title.span, title.ref) == (TITLE, 9, "项目表!A1")
    rate = next(cell for cell in grid.rows[4] if cell.ref == "项目表!G5")
    assert rate.text == "90%"
    executed = next(cell for cell in grid.rows[4] if cell.ref == "项目表!E5")
    assert executed.text == "45"
    under = grid.rows[8][0]  # A9 lies under the merged 产出指标: it repeats it, as a copy of A8
    assert (under.text, under.copy, under.ref) == ("产出指标", True, "项目表!A8")


@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_old_excel_and_opendocument_workbooks_read_from_the_corpus(kind):
    name = {"xls": "he-langfang-2019-nuantong", "ods": "yn-lijiang-gucheng-2020-weipian"}[kind]
    reading = read_file(ROOT / "tests" / "data" / "real" / "formats" / f"{name}.{kind}")
    assert reading.format.endswith(f"（.{kind}）")
    texts = non_empty(reading.grids[0])
    assert "项目名称" in texts or "項(xiàng)目名稱" in texts


def test_a_workbook_is_recognised_whatever_its_name(tmp_path):
    path = tmp_path / "从邮件保存的附件.txt"
    make_workbook(path)
    assert read_file(path).format == "Excel 工作簿（.xlsx）"


# ------------------------------------------------------------------ Word, web pages, PDF ----

def make_document():  # noqa: ANN201
    import docx

    document = docx.Document()
    document.add_paragraph(TITLE)
    table = document.add_table(rows=len(ROWS), cols=9)
    for r, row in enumerate(ROWS):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    return document, table


def test_docx_tables_with_merged_cells_and_the_title_paragraph(tmp_path):
    document, table = make_document()
    table.cell(6, 0).merge(table.cell(7, 0))  # 产出指标 over two rows (vertical merge)
    table.cell(0, 1).merge(table.cell(0, 8))  # the project name across the row
    table.cell(6, 0).text = "产出指标"
    table.cell(0, 1).text = "乡村道路养护"
    path = tmp_path / "报告.docx"
    document.save(path)
    reading = read_file(path)
    assert reading.format == "Word 文档（.docx）"
    grid = reading.grids[0]
    assert grid.rows[0][0].text == TITLE and grid.rows[0][0].ref == "第 1 段"
    name = grid.rows[1][1]
    assert (name.text, name.span, name.ref) == ("乡村道路养护", 8, "表 1 第 1 行第 2 列")
    continued = grid.rows[8][0]
    assert (continued.text, continued.copy, continued.ref) == ("产出指标", True, "表 1 第 7 行第 1 列")


def test_html_rowspan_colspan_layout_tables_and_scripts(tmp_path):
    page = f"""<html><head><meta charset="utf-8"><title>页面标题不读</title><script>var x = "项目名称";</script></head>
<body><table><tr><td>
  <h3>{TITLE}</h3>
  <table border="1">
    <tr><td>项目名称</td><td colspan="3">乡村道路养护</td></tr>
    <tr><td rowspan="2">产出指标</td><td>数量指标</td><td>养护里程</td><td>120</td></tr>
    <tr><td>质量指标</td><td>路况优良率</td><td>90</td></tr>
  </table>
</td></tr></table></body></html>"""
    path = tmp_path / "page.htm"
    path.write_text(page, encoding="utf-8")
    reading = read_file(path)
    assert reading.format == "网页（HTML）"
    grid = reading.grids[0]
    assert cells_of(grid) == [[TITLE], ["项目名称", "乡村道路养护"], ["产出指标", "数量指标", "养护里程", "120"],
                              ["质量指标", "路况优良率", "90"]]
    below = grid.rows[3][0]
    assert (below.text, below.copy, below.column) == ("产出指标", True, 1)
    assert grid.rows[1][1].span == 3 and grid.rows[3][1].column == 2
    assert read_bytes(page.encode("utf-8"), "saved-as.txt").format == "网页（HTML）"  # judged by content


def test_pdf_table_with_its_title_from_the_corpus():
    reading = read_file(ROOT / "tests" / "data" / "real" / "formats" / "ah-guichi-2022-cunji.pdf")
    assert reading.format == "PDF 文档（按表格线读取）"
    grid = reading.grids[0]
    texts = non_empty(grid)
    assert "项目支出绩效自评表" in texts and "村级补助及运转经费" in texts
    cell = next(c for row in grid.rows for c in row if c.text == "村级补助及运转经费")
    assert cell.ref.startswith("第 1 页表 1 第 ")


# ------------------------------------------------------------------ refusals ----

def test_a_password_protected_workbook(tmp_path):
    result = imported(LOCKED, "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr == (f"{LOCKED}: 文件设置了打开密码，无法读取"
                             "（提示：请在 Excel 或 Word 中输入密码打开，取消密码后另存，再导入）\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"", "文件是空的"),
    ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "这是一张图片，里面的表格无法读取"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le") + b"\0" * 20,
     "这是旧版 Word 文档（.doc），无法直接读取"),
    ("report.rtf", b"{\\rtf1\\ansi 2023}", "这是 RTF 格式的文档，无法直接读取"),
    ("broken.xlsx", b"PK\x03\x04" + b"\0" * 30, "文件像是压缩包（Excel 或 Word），但已损坏或不完整"),
    ("binary.txt", bytes(range(256)) * 8, "这是二进制文件，不是文本表格"),
])
def test_files_no_reader_takes(name, content, message, tmp_path):
    path = tmp_path / name
    path.write_bytes(content)
    result = imported(path, "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: {message}")
    assert not (tmp_path / "out").exists()


def test_a_zip_that_is_no_office_file(tmp_path):
    path = tmp_path / "tables.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "项目名称\t测试\n")
    result = imported(path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: 这是一个压缩包，但不是 Excel、Word 或 OpenDocument 表格")


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<" * 60_000_000)
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(buffer.getvalue())
    result = imported(path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: 压缩包中的“xl/workbook.xml”解压后过大（60,000,000 字节，上限 41,943,040 字节）")


def test_members_each_within_bounds_but_too_much_together(tmp_path, monkeypatch):
    import engine.read as read

    monkeypatch.setattr(read, "MAX_UNZIPPED_BYTES", 2_000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(3):
            archive.writestr(f"xl/part{n}.xml", bytes(range(256)) * 3)
    path = tmp_path / "big.xlsx"
    path.write_bytes(buffer.getvalue())
    result = imported(path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: 压缩包解压后过大（2,304 字节，文件本身 {len(buffer.getvalue()):,} 字节，"
                                    "上限 2,000 字节）")


def test_a_folder_and_a_missing_file(tmp_path):
    assert imported(tmp_path).stderr.startswith(f"{tmp_path}: 这是一个文件夹，不是表格文件")
    missing = tmp_path / "没有这个文件.xlsx"
    result = imported(missing)
    assert result.exit_code == 2 and result.stderr.startswith(f"{missing}: 文件不存在")


def test_an_unknown_layout_says_what_was_seen(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("会议纪要\n\n一、本年度工作回顾\n二、存在问题\n", encoding="utf-8")
    result = imported(path, "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: 按每行一个单元格的文本读取（3 行，3 个非空单元格），没有找到自评表的标题")
    assert "也没有认出“项目名称”“一级指标”等栏目" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_table_cut_off_half_way(tmp_path):
    path = tmp_path / "cut.txt"
    rows = ROWS[:4]  # the copy ends inside the 项目资金 block
    path.write_text(TITLE + "\n" + "\n".join("\t".join(row) for row in rows) + "\n", encoding="utf-8")
    result = imported(path, "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr == (
        f"{path}:1: 识别到“{TITLE}”（第 1 行第 1 列），按制表符分隔的文本读取，但没有找到绩效指标表头"
        "（一级指标、二级指标、三级指标、指标值、实际完成值……）；已认出的栏目：" + TITLE +
        "、项目名称、主管部门、实施单位、年初预算数、全年预算数、全年执行数、分值、执行率、得分、项目资金(万元)、年度资金总额"
        "（提示：表头须有“一级指标”或“三级指标（指标名称）”，以及“指标值”“实际完成值”）\n")
    assert not (tmp_path / "out").exists()


def test_too_large_a_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import engine.read as read

    monkeypatch.setattr(read, "MAX_TABLE_FILE_BYTES", 1000)
    path = tmp_path / "big.txt"
    path.write_text("项目名称\t" + "很长" * 2000, encoding="utf-8")
    with pytest.raises(ReadError) as caught:
        read_file(path)
    assert "文件过大（12,013 字节，上限 1,000 字节）" in str(caught.value)


# ------------------------------------------------------------------ the whole way in ----

@pytest.mark.parametrize("suffix", ["xlsx", "docx", "html", "txt"])
def test_the_same_table_imports_the_same_from_every_format(suffix, tmp_path):
    path = tmp_path / f"自评表.{suffix}"
    if suffix == "xlsx":
        make_workbook(path)
    elif suffix == "docx":
        make_document()[0].save(path)
    elif suffix == "html":
        body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in ROWS)
        path.write_text(f"<html><body><p>{TITLE}</p><table>{body}</table></body></html>", encoding="utf-8")
    else:
        path.write_text(TITLE + "\n" + "\n".join("\t".join(row) for row in ROWS) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(PROJECT), str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    import json
    from decimal import Decimal

    data = json.loads(result.stdout, parse_float=Decimal)
    # 执行率 45 / 50 = 90.00 % → 10 × 0.9 = 9.00; 养护里程 120 ≥ 120 → 45; 路况优良率 81 / 90 × 45 = 40.50
    assert [i["score"] for i in data["indicators"]] == [Decimal("9.00"), Decimal("45.00"), Decimal("40.50")]
    assert data["total"] == Decimal("94.50") and data["grade"] == "优"


def test_a_pasted_table_on_standard_input(tmp_path):
    pasted = (TITLE + "\n" + "\n".join("\t".join(row) for row in ROWS) + "\n").encode("utf-8")
    result = CliRunner().invoke(main, ["import", "-"], input=pasted)
    assert result.exit_code == 0, result.output
    assert "name: 乡村道路养护" in result.stdout
    assert "按制表符分隔的文本读取，找到 1 张表" in result.stderr
    scored = CliRunner().invoke(main, ["score", str(PROJECT), "-"], input=pasted)
    assert scored.exit_code == 0 and "总分 94.50 / 100.00　等级 优" in scored.stdout


# ------------------------------------------------------------------ arbitrary input ----

def _table_like_text():  # noqa: ANN202
    from hypothesis import strategies as st

    words = st.sampled_from(["项目名称", "2023年度项目支出绩效自评表", "年度资金总额", "一级指标", "三级指标", "指标值",
                             "实际完成值", "分值", "得分", "产出指标", "≥", "90%", "1,522.66", "—", "", "總分", "优",
                             "项目资金（万元）", "年初预算数", "全年预算数", "全年执行数", "执行率", "|", "<td>", "</tr>"])
    separators = st.sampled_from(["\t", " | ", "  ", ",", "\n", "\n\n", "｜", "\u3000"])
    return st.lists(st.tuples(words, separators), max_size=60).map(lambda parts: "".join(w + s for w, s in parts))


def test_arbitrary_bytes_and_table_like_text_never_crash_the_way_in():
    """Whatever a file holds, reading and recognising it ends in cases or a located EngineError."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from engine.errors import EngineError
    from engine.importer import import_reading

    suffixes = st.sampled_from(["t.txt", "t.csv", "t.html", "t.xlsx", "t.docx", "t.pdf", "t.md"])
    prefixes = st.sampled_from([b"", b"PK\x03\x04", b"%PDF-1.4\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"<html><table>",
                                codecs.BOM_UTF16_LE, codecs.BOM_UTF8])
    content = st.one_of(st.binary(max_size=2000), _table_like_text().map(lambda text: text.encode("utf-8")))

    @settings(max_examples=1500, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(prefixes, content, suffixes)
    def attempt(prefix: bytes, body: bytes, name: str) -> None:
        try:
            cases = import_reading(read_bytes(prefix + body, name))
        except EngineError as error:
            assert error.problems and all(problem.message for problem in error.problems)
            return
        for case in cases:
            assert case.data["name"] and case.data["indicators"]

    attempt()


def test_forms_that_print_values_and_weights_inside_their_labels(tmp_path):
    # 安徽: a label and its value in one cell, 一级 labels carrying their share, operator and unit in the
    # 指标值 cell, 定性 targets in words; a row the clerk left as the template's “指标2：” is skipped.
    path = tmp_path / "安徽.txt"
    path.write_text("\n".join("\t".join(row) for row in [
        ["项目支出绩效自评表"], ["（2022年度）"],
        ["项目名称：委托业务项目", "", "主管部门", "某镇人民政府"],
        ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        ["", "年度资金总额：", "90", "90", "89.974", "10", "99.97%", "10"],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        ["", "产出指标(50分)", "数量指标", "委托业务项目数量", "≥50个", "50", "50", "50", ""],
        ["", "", "", "指标2：", "", "", "", "", ""],
        ["", "效益指标(40分)", "社会效益指标", "对基建市场公平的影响", "效果明显", "达成预期指标", "40", "40", ""],
    ]) + "\n", encoding="utf-8")
    result = imported(path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "name: 委托业务项目  # 第 3 行第 1 列" in lines
    assert "fiscal_year: 2022  # 第 2 行第 1 列" in lines  # the year line, read as such
    assert ("  - {level1: 产出指标, level2: 数量指标, name: 委托业务项目数量, nature: ≥, target: 50, unit: 个, actual: 50, "
            "weight: 50, score: 50, deviation: ~}  # 第 7 行") in lines
    assert ("  - {level1: 效益指标, level2: 社会效益指标, name: 对基建市场公平的影响, nature: 定性, target: 效果明显, unit: ~, "
            "actual: 达成预期指标, weight: 40, score: 40, deviation: ~}  # 第 9 行") in lines
    assert "  level1_weights: {产出指标: 50, 效益指标: 40}  # 第 7 行第 2 列 … 第 9 行第 2 列" in lines
    assert "unmapped" not in result.stdout  # “指标2：” is the form's, recognised and skipped

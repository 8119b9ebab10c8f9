"""The 自评报告 around the tables becomes the case's `report:` (issue 14): read by its section headings.

Every expected text here is written by hand from the source it is imported from (the seed's lines 7–19,
the paragraphs the test writes), never copied from the importer's output.
"""

from __future__ import annotations

import io

import docx
import pytest
import yaml
from click.testing import CliRunner

from engine.cli import main
from engine.importer import case_yaml, import_tables
from engine.load import load_document
from engine.recognise import MAX_SECTION_CHARS

from conftest import ROOT

SEED = ROOT / "tests" / "data" / "seeds" / "000_9a5c883a7752c8ed.txt"
if not SEED.exists():  # a checkout without the copy: the shared original
    SEED = ROOT.parent / "shared" / "seeds" / "000_9a5c883a7752c8ed.txt"
HAND_TRANSCRIBED = ROOT / "cases" / "zhanyi-2023" / "department.yaml"
PROJECT_SCHEME = ROOT / "schemes" / "project-self-eval" / "2023.yaml"
DEPARTMENT_SCHEME = ROOT / "schemes" / "department-self-eval" / "2023.yaml"

TABLE_TITLE = "2023年度项目支出绩效自评表"
TABLE = [
    ["项目名称", "乡村道路养护", "", "", "", "", "", "", ""],
    ["主管部门", "某县交通运输局", "", "", "实施单位", "某县公路事务中心", "", "", ""],
    ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", ""],
    ["", "年度资金总额", "50", "50", "45", "10", "90%", "9", ""],
    ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分"],
    ["产出指标", "数量指标", "养护里程", "≥", "120", "公里", "120", "45", "45"],
    ["", "质量指标", "路况优良率", "≥", "90", "%", "81", "45", "40.5"],
    ["总分", "", "", "", "", "", "", "100", "94.5"],
]


def table_text() -> str:
    return TABLE_TITLE + "\n" + "\n".join("\t".join(row) for row in TABLE) + "\n"


def written_and_read_back(case, tmp_path) -> dict:
    """The case as `engine import` writes it, loaded again as `engine score` would."""
    path = tmp_path / "case.yaml"
    path.write_text(case_yaml(case), encoding="utf-8")
    return load_document(path).data


# ------------------------------------------------------------------ the seed ----


def test_the_seed_gives_its_report_to_the_department_case_as_transcribed_by_hand(tmp_path):
    cases = import_tables(SEED)
    department, projects = cases[0], cases[1:]
    hand = yaml.safe_load(HAND_TRANSCRIBED.read_text(encoding="utf-8"))["report"]
    imported = department.data["report"]
    assert list(imported) == list(hand) == ["overview", "self_evaluation", "conclusion", "problems", "use_of_results",
                                            "experience", "other"]
    for key in hand:
        assert imported[key] == hand[key], key
    # What the seed's cells say, line for line: 一、 is the report's level, so (一) and 1. are lines of a section;
    # each cell of a row is a line; 备注 after 七 is the page's note, not section 七.
    assert imported["self_evaluation"].split("\n")[2:5] == ["(二) 自评组织过程", "1. 前期准备",
                                                            "成立绩效评价领导小组，统一安排部署2023年度绩效评价工作，围绕年初确定的重点工作目标，"
                                                            "梳理各项工作的完成情况，制定整体支出绩效评价指标，分析单位整体支出绩效情况，"
                                                            "查找单位在执行过程中存在的问题，并有针对性的采取整改措施。"]
    assert imported["other"] == "无"
    assert imported["problems"] == "对绩效评价工作的重要性认识有待进一步提高，资金支出结构有待进一步优化。"
    # the department's report is the department's: none of the seven project tables after it gets it
    assert [case.kind for case in projects] == ["project"] * 7
    assert all("report" not in case.data for case in projects)
    # written and read back exactly, each section commented with the line its heading is on
    assert written_and_read_back(department, tmp_path)["report"] == hand
    text = case_yaml(department)
    assert "  other: 无  # 第 19 行第 1 列" in text and "  overview: " in text


def accounted(case, grid) -> tuple[set, set]:
    """The table's non-empty cells, and those read, recognised as labels or listed unmapped (test_real_tables)."""
    in_table = {cell.key for row in grid.rows[case.first_row:case.end_row] for cell in row if cell.text and not cell.copy}
    read = {cell.key for path, cell in case.provenance.items() if path[0] != "unmapped" and cell.text}
    return in_table, read | {cell.key for cell in case.labels if cell.text} | {cell.key for cell in case.unmapped}


def test_narrative_is_not_counted_among_the_cells_of_a_table():
    from engine.read import read_file

    [grid] = read_file(SEED).grids
    department = import_tables(SEED)[0]
    in_table, placed = accounted(department, grid)
    assert placed == in_table  # no cell lost, and none of the report's 7 rows (lines 7–19) counted as one
    assert department.first_row == 22 and all(cell.line >= 23 for cell in department.table_cells)
    assert {path for path in department.provenance if path[0] == "report"} == {
        ("report", key) for key in ("overview", "self_evaluation", "conclusion", "problems", "use_of_results",
                                    "experience", "other")}


def test_engine_import_says_what_it_read_and_engine_report_writes_the_sections(tmp_path):
    out = tmp_path / "cases"
    result = CliRunner().invoke(main, ["import", str(SEED), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "自评报告正文 7 节读入 report：基本情况、自评工作情况、评价结论、存在的问题、结果应用、经验做法、其他说明" in result.stderr
    assert result.stderr.count("自评报告正文") == 1  # the project tables get none
    case = out / "部门整体-曲靖市沾益区财政局.yaml"
    report = tmp_path / "报告.docx"
    made = CliRunner().invoke(main, ["report", str(DEPARTMENT_SCHEME), str(case), "-o", str(report)])
    assert made.exit_code == 0, made.output
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(report.read_bytes())).paragraphs)
    assert "（待填写）" not in text  # every section of the seed was read
    for line in ("(三) 部门整体收支情况", "1. 前期准备", "2. 组织实施", "单位2023年度资金绩效表现较为稳定",
                 "对绩效评价工作的重要性认识有待进一步提高，资金支出结构有待进一步优化。"):
        assert f"\n{line}" in text, line


# ------------------------------------------------------------------ a project report in Word ----


PROJECT_REPORT = [  # numbered 1. / 2. …, in words other than the seed's, with （1） sub-headings and a signature
    "2023年度乡村道路养护项目支出绩效自评报告",
    "1. 项目概况",
    "乡村道路养护项目由某县公路事务中心实施。",
    "（1）项目基本情况",
    "全年养护农村公路120公里，年初预算50万元。",
    "2. 绩效目标完成情况",
    "养护里程达到120公里；路况优良率81%，目标为90%。",
    "3. 自评工作开展情况",
    "　　成立自评小组，逐项核对台账和票据。",  # a paragraph indented with ideographic spaces, as Word documents are
    "4. 自评结论",
    "自评得分94.5分，等级为优。",
    "5. 存在的问题及原因",
    "路况优良率未达目标：雨季集中，部分路段未及时修补。",
    "6. 自评结果应用",
    "结果报县财政局，作为下年度预算安排的参考。",
    "7. 主要经验和做法",
    "按路段落实养护责任人。",
    "8. 其他需要说明的问题：无",
    "填报人：张三",
    "审核人：李四",
    "2024年3月15日",
]
PROJECT_REPORT_CASE = {
    "overview": "乡村道路养护项目由某县公路事务中心实施。\n（1）项目基本情况\n全年养护农村公路120公里，年初预算50万元。",
    "goals": "养护里程达到120公里；路况优良率81%，目标为90%。",
    "self_evaluation": "成立自评小组，逐项核对台账和票据。",
    "conclusion": "自评得分94.5分，等级为优。",
    "problems": "路况优良率未达目标：雨季集中，部分路段未及时修补。",
    "use_of_results": "结果报县财政局，作为下年度预算安排的参考。",
    "experience": "按路段落实养护责任人。",
    "other": "无",
    "prepared_by": "张三",
    "reviewed_by": "李四",
    "date": "2024年3月15日",
}


def word_document(paragraphs: list[str], tables: int = 1) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    for _ in range(tables):
        document.add_paragraph(TABLE_TITLE)
        table = document.add_table(rows=len(TABLE), cols=len(TABLE[0]))
        for r, row in enumerate(TABLE):
            for c, text in enumerate(row):
                table.cell(r, c).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_project_report_in_word_before_its_table_fills_the_project_case(tmp_path):
    path = tmp_path / "自评报告.docx"
    path.write_bytes(word_document(PROJECT_REPORT))
    [case] = import_tables(path)
    assert case.kind == "project" and case.name == "乡村道路养护"
    assert case.data["report"] == PROJECT_REPORT_CASE
    assert written_and_read_back(case, tmp_path)["report"] == PROJECT_REPORT_CASE
    assert "  overview: " in case_yaml(case) and "# 第 2 段" in case_yaml(case)  # where the section's heading is
    made = CliRunner().invoke(main, ["report", str(PROJECT_SCHEME), str(path), "-o", str(tmp_path / "报告.docx")])
    assert made.exit_code == 0, made.output
    text = "\n".join(p.text for p in docx.Document(tmp_path / "报告.docx").paragraphs)
    assert "\n（1）项目基本情况\n全年养护农村公路120公里，年初预算50万元。" in text
    assert "\n路况优良率未达目标：雨季集中，部分路段未及时修补。" in text


def test_a_report_after_its_table_and_a_web_page_with_headings(tmp_path):
    # The table first and the report after it: the one table takes it.
    path = tmp_path / "表在前.docx"
    document = docx.Document()
    document.add_paragraph(TABLE_TITLE)
    table = document.add_table(rows=len(TABLE), cols=len(TABLE[0]))
    for r, row in enumerate(TABLE):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    for text in ["一、基本情况", "本项目养护农村公路。", "二、存在的问题", "无。"]:
        document.add_paragraph(text)
    document.save(path)
    [case] = import_tables(path)
    assert case.data["report"] == {"overview": "本项目养护农村公路。", "problems": "无。"}

    page = tmp_path / "公开.html"
    cells = "".join("<tr>" + "".join(f"<td>{text}</td>" for text in row) + "</tr>" for row in TABLE)
    page.write_text(f"<html><body><h2>项目支出绩效自评报告</h2><h3>一、项目基本情况</h3><p>本项目养护农村公路。</p>"
                    f"<p>&nbsp;</p><h3>二、综合评价结论</h3><p>总体完成。<br>得分较高。</p>"
                    f"<p>{TABLE_TITLE}</p><table>{cells}</table></body></html>", encoding="utf-8")
    [case] = import_tables(page)
    assert case.data["report"] == {"overview": "本项目养护农村公路。", "conclusion": "总体完成。\n得分较高。"}


def test_a_department_report_is_never_given_to_a_project_table(tmp_path):
    path = tmp_path / "部门.txt"
    path.write_text("2023年度部门整体支出绩效自评报告\n一、部门基本情况\t本部门有职工12人。\n"
                    "四、存在的问题和整改情况\t无\n\n" + table_text(), encoding="utf-8")
    [case] = import_tables(path)
    assert case.kind == "project" and "report" not in case.data


def test_a_note_ends_the_report_only_where_no_section_follows_it(tmp_path):
    path = tmp_path / "备注.txt"
    path.write_text("一、基本情况\t本单位有职工8人。\n备注：职工含退休人员。\n二、存在的问题\t无\n\n"
                    "备注：涉密信息按规定不公开。\n- 一级指标包含产出指标、效益指标。\n\n" + table_text(), encoding="utf-8")
    [case] = import_tables(path)
    assert case.data["report"] == {"overview": "本单位有职工8人。\n备注：职工含退休人员。", "problems": "无"}


# ------------------------------------------------------------------ nothing to read ----


@pytest.mark.parametrize("source", [
    ROOT / "tests" / "data" / "real" / "formats" / "sh-putuo-2022-tiyu-jiesuan.docx",
    ROOT / "tests" / "data" / "real" / "hb-ezhou-2019-disanfang.html",
])
def test_a_document_with_no_report_gets_no_report_key(source, tmp_path):
    for case in import_tables(source):
        assert "report" not in case.data
        assert "\nreport:" not in case_yaml(case)


def test_text_that_names_sections_without_being_headings_is_not_a_report(tmp_path):
    path = tmp_path / "说明.docx"
    path.write_bytes(word_document([
        "关于乡村道路养护项目的说明",
        "1. 存在的问题已经整改完毕，详见附件。",  # a sentence, not a heading
        "基本情况请见下表",  # a heading's words among others, with no number
        "（一）问题清单与整改落实情况汇总表及其附件目录一览（供参考）",  # longer than any heading
    ]))
    [case] = import_tables(path)
    assert "report" not in case.data


# ------------------------------------------------------------------ hostile documents ----


def test_headings_repeated_the_report_nearest_the_table_is_the_one(tmp_path):
    paragraphs = []
    for n in range(300):  # three hundred reports, one after another, each restarting at 一、
        paragraphs += ["一、基本情况", f"第{n}稿。", "二、存在的问题", f"问题{n}。", "二、存在的问题", f"又一个问题{n}。"]
    path = tmp_path / "重复.docx"
    path.write_bytes(word_document(paragraphs))
    [case] = import_tables(path)
    # 二、 after 二、 starts a new report (a section a report already has, a number not above the last): the one
    # nearest the table is the last one, holding only the second 二、 of the last round
    assert case.data["report"] == {"problems": "又一个问题299。"}


def test_a_section_longer_than_any_real_one_is_left_out_whole_and_the_rest_kept(tmp_path):
    # 100 paragraphs of 500 characters: 50,000 characters and 99 line breaks, past MAX_SECTION_CHARS (20,000)
    long_lines = [("项" * 499) + str(n % 10) for n in range(100)]
    path = tmp_path / "长.docx"
    path.write_bytes(word_document(["一、基本情况", *long_lines, "二、存在的问题", "无。", "三、其他需说明的情况", "无"]))
    [case] = import_tables(path)
    assert MAX_SECTION_CHARS == 20_000
    assert case.data["report"] == {"problems": "无。", "other": "无"}
    assert case.report_left_out == ["overview"]
    result = CliRunner().invoke(main, ["import", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "自评报告的“基本情况”一节超过 20,000 个字符，不像一节正文，未读入（没有截断）" in result.stderr


def test_a_section_of_exactly_the_limit_is_kept_exactly(tmp_path):
    # 40 lines: 39 of 500 characters and one of 461, with 39 line breaks: 39 × 500 + 461 + 39 = 20,000
    lines = ["段" * 500] * 39 + ["尾" * 461]
    path = tmp_path / "满.docx"
    path.write_bytes(word_document(["一、基本情况", *lines]))
    [case] = import_tables(path)
    assert len(case.data["report"]["overview"]) == 20_000
    assert case.data["report"]["overview"] == "\n".join(lines)
    assert written_and_read_back(case, tmp_path)["report"]["overview"] == "\n".join(lines)
    path.write_bytes(word_document(["一、基本情况", *lines[:-1], "尾" * 462]))
    [case] = import_tables(path)
    assert "report" not in case.data and case.report_left_out == ["overview"]


def test_a_whole_report_in_one_paragraph_with_line_breaks(tmp_path):
    # A converter's output: one Word paragraph, its lines joined by line breaks (headings of 6, 7 and 10
    # characters, three texts of 6,000 and 5 breaks = 18,028 characters; a paragraph past 20,000 is refused by
    # the reader like a cell, tests/hostile/tables docx-paragraph-of-thirty-thousand-characters).
    body = ["一、基本情况", "甲" * 6_000, "二、存在的问题", "乙" * 6_000, "三、其他需说明的情况", "丙" * 6_000]
    assert len("\n".join(body)) == 6 + 6_000 + 7 + 6_000 + 10 + 6_000 + 5 == 18_028
    path = tmp_path / "一段.docx"
    path.write_bytes(word_document(["\n".join(body)]))
    [case] = import_tables(path)
    assert case.data["report"] == {"overview": "甲" * 6_000, "problems": "乙" * 6_000, "other": "丙" * 6_000}


def test_control_and_bidi_characters_in_a_section_read_back_exactly(tmp_path):
    text = ("一、基本情况\t本单位\x1b[2J\x07有职工\u202e12\u202c人。\x85续\u2028行\n"
            "二、存在的问题\t\"引号\" #不是注释: 也不是键\n"
            "三、其他需说明的情况\t- 无\n\n")
    path = tmp_path / "控制.txt"
    path.write_text(text + table_text(), encoding="utf-8")
    [case] = import_tables(path)
    expected = {"overview": "本单位\x1b[2J\x07有职工\u202e12\u202c人。\x85续\u2028行",
                "problems": "\"引号\" #不是注释: 也不是键", "other": "- 无"}
    assert case.data["report"] == expected
    written = case_yaml(case)
    assert "\x1b" not in written and "\u202e" not in written and "\u2028" not in written
    assert written_and_read_back(case, tmp_path)["report"] == expected


def test_a_bureau_adds_its_own_heading_words(tmp_path, monkeypatch):
    monkeypatch.delenv("ENGINE_VOCABULARY", raising=False)
    path = tmp_path / "本县.txt"
    path.write_text("一、单位简介\t本中心有职工8人。\n二、问题与不足\t台账不全。\n\n" + table_text(), encoding="utf-8")
    [case] = import_tables(path)
    assert "report" not in case.data  # the shipped words know neither heading
    words = tmp_path / "本县词表.yaml"
    words.write_text("version: 1\nreport_sections:\n  overview: [单位简介]\n  problems: [问题与不足]\n", encoding="utf-8")
    [case] = import_tables(path, vocabulary=[words])
    assert case.data["report"] == {"overview": "本中心有职工8人。", "problems": "台账不全。"}

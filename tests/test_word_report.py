"""The 自评报告 in Word: filled from a template staff edit, printed on A4 as a clerk would print it.

The documents are converted by headless LibreOffice to PDF (one run for all of them) and read back
with pypdf: page count, page size, the seed's sections in order, every cell of the table present.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

import engine
from engine.errors import EngineError
from engine.export import official_cells
from engine.word_report import DEFAULT_TEMPLATE, render_docx, report_context

from conftest import ROOT, ZHANYI_PROJECTS, dump_yaml, project_case, write_case

PROJECT = ROOT / "schemes/project-self-eval/2023.yaml"
DEPARTMENT = (ROOT / "schemes/department-self-eval/2023.yaml", ROOT / "cases/zhanyi-2023/department.yaml")
ZHONGFANG = (ROOT / "schemes/four-dimension/2023.yaml", ROOT / "cases/zhongfang-2023/department.yaml")
A4 = (595, 842)  # points, rounded
FIRE = next(path for path in ZHANYI_PROJECTS if path.stem == "fire-insurance")
SEED_SECTIONS = ["一、基本情况", "二、绩效自评工作情况", "三、评价情况分析及综合评价结论", "四、存在的问题和整改情况",
                 "五、绩效自评结果应用", "六、主要经验及做法", "七、其他需说明的情况"]


def scored(scheme_path, case_path):
    scheme = engine.load_scheme(scheme_path)
    case = engine.load_case(scheme, case_path)
    return engine.evaluate(scheme, case), case


def docx_text(data: bytes) -> tuple[str, list[list[str]]]:
    document = Document(io.BytesIO(data))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    tables = [[cell.text for row in table.rows for cell in row.cells] for table in document.tables]
    return paragraphs, tables


def test_the_conclusion_of_a_full_marks_project():
    result, case = scored(PROJECT, FIRE)  # 农村房屋火灾保险服务
    context = report_context(result, case)
    # 执行率 38.50 / 38.50 = 100 % → 10; three rows of 30 met → 100.00, 优
    assert context["结论"] == ("经自评，农村房屋火灾保险服务2023年度绩效自评得分 100.00 分（满分 100.00 分），自评等级为“优”。"
                             "预算执行率 100.00%，该项得分 10.00 分（分值 10 分）。")
    assert context["失分指标"] == [] and context["核对不符"] == []
    assert context["绩效目标"] == "预期目标：为全区农村房屋投保火灾保险；实际完成情况：完成。"


def test_lost_points_are_listed_with_the_reason_the_case_gives(tmp_path):
    rows = [{"level1": "产出指标", "level2": "数量指标", "name": "培训人次", "nature": "≥", "target": 90, "unit": "人次",
             "actual": 60, "weight": 90, "deviation": "受汛期影响，两期培训推迟到次年"}]
    case_path = write_case(tmp_path, project_case(rows=rows, funds={
        "total": {"initial_budget": 100, "full_year_budget": 100, "executed": 80},
        "appropriation": {"initial_budget": 100, "full_year_budget": 100, "executed": 80}}))
    result, case = scored(PROJECT, case_path)
    context = report_context(result, case)
    # 执行率 80 / 100 → 8.00 (lost 2.00, no reason on a scheme indicator: the rule's words);
    # 培训人次 60 / 90 × 90 = 60.00 (lost 30.00) with the case's 偏差原因
    assert context["失分指标"] == [
        {"序号": 1, "名称": "预算执行率", "分值": "10", "得分": "8.00", "失分": "2.00", "原因": "未达到满分值，按比例得分"},
        {"序号": 2, "名称": "产出指标 / 数量指标 / 培训人次", "分值": "90", "得分": "60.00", "失分": "30.00",
         "原因": "受汛期影响，两期培训推迟到次年"},
    ]
    text, _ = docx_text(render_docx(result, case))
    assert "2. 产出指标 / 数量指标 / 培训人次：分值 90，得分 60.00，失 30.00 分。原因：受汛期影响，两期培训推迟到次年" in text
    assert "自评等级为“中”" in text  # 8 + 60 = 68.00 → 中 (60 ≤ 68 < 80)


def test_the_table_is_a_real_word_table_with_every_cell():
    result, case = scored(PROJECT, FIRE)
    _, tables = docx_text(render_docx(result, case))
    assert len(tables) == 1
    expected = {text for row in official_cells(result, case) for text, *_ in row if text}
    assert expected <= set(tables[0])
    assert {"农村房屋火灾保险服务", "38.50", "30.00", "100.00", "优"} <= set(tables[0])


def test_the_narrative_of_the_case_in_the_seed_order():
    result, case = scored(*DEPARTMENT)
    text, _ = docx_text(render_docx(result, case))
    positions = [text.index(section) for section in SEED_SECTIONS]
    assert positions == sorted(positions)
    assert "(三) 部门整体收支情况\n2023年本单位收入合计1,522.66万元。" in text  # one paragraph per line of the case
    assert "对绩效评价工作的重要性认识有待进一步提高，资金支出结构有待进一步优化。" in text
    assert "（待填写）" not in text  # every section of the seed is transcribed


def test_a_template_edited_in_word_changes_the_report_without_code(tmp_path):
    template = Document(DEFAULT_TEMPLATE)
    heading = next(p for p in template.paragraphs if p.text == "四、存在的问题和整改情况")
    heading.runs[0].text = "四、问题与整改"
    template.add_paragraph("本报告经局务会审定，单位负责人签字：{{ 审核人 }}")
    edited = tmp_path / "局里的模板.docx"
    template.save(edited)
    result, case = scored(PROJECT, FIRE)
    text, _ = docx_text(render_docx(result, case, edited))
    assert "四、问题与整改" in text and "四、存在的问题和整改情况" not in text
    assert "本报告经局务会审定，单位负责人签字：" in text


@pytest.mark.parametrize("tag, words", [
    ("{{ 总分.__class__.__mro__ }}", "模板中的标记有误"),          # the sandbox refuses internals
    ("{{ cycler.__init__.__globals__ }}", "模板中的标记有误"),
    ("{% for x in %}", "模板中的标记有误"),
])
def test_a_hostile_or_broken_template_is_refused(tag, words, tmp_path):
    template = Document(DEFAULT_TEMPLATE)
    template.add_paragraph(tag)
    path = tmp_path / "bad.docx"
    template.save(path)
    result, case = scored(PROJECT, FIRE)
    with pytest.raises(EngineError) as raised:
        render_docx(result, case, path)
    assert words in str(raised.value) and str(path) in str(raised.value)


def test_a_template_that_is_not_word_is_refused(tmp_path):
    path = tmp_path / "not.docx"
    path.write_text("{{ 总分 }}", encoding="utf-8")
    result, case = scored(PROJECT, FIRE)
    with pytest.raises(EngineError, match="模板不是 Word 文档"):
        render_docx(result, case, path)


def test_case_text_cannot_inject_word_markup(tmp_path):
    data = project_case(name="<w:p>注入</w:p>{{ 总分 }}&")
    data["report"] = {"problems": "</w:t></w:r></w:p>{% for x in y %}"}
    result, case = scored(PROJECT, write_case(tmp_path, data))
    text, tables = docx_text(render_docx(result, case))
    assert "</w:t></w:r></w:p>{% for x in y %}" in text  # shown as written, never parsed
    assert "<w:p>注入</w:p>{{ 总分 }}&" in tables[0]


# ------------------------------------------------------------------ printed ---------------


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """Every report rendered, converted to PDF in one LibreOffice run, read back page by page."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed to print the reports: apt-get install libreoffice-writer-nogui"
    folder = tmp_path_factory.mktemp("reports")
    sources = {path.stem: (PROJECT, path) for path in ZHANYI_PROJECTS}
    sources["zhanyi-department"], sources["zhongfang-department"] = DEPARTMENT, ZHONGFANG
    for name, (scheme_path, case_path) in sources.items():
        result, case = scored(scheme_path, case_path)
        (folder / f"{name}.docx").write_bytes(render_docx(result, case))
    profile = folder / "profile"
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(folder), *sorted(str(p) for p in folder.glob("*.docx"))], check=True,
                   capture_output=True)
    return {name: PdfReader(folder / f"{name}.pdf") for name in sources}


def test_every_page_is_a4(printed):
    for name, pdf in printed.items():
        for page in pdf.pages:
            assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == A4, name


@pytest.mark.parametrize("stem", [path.stem for path in ZHANYI_PROJECTS])
def test_a_project_report_is_its_sections_then_the_table_on_one_page(printed, stem):
    pdf = printed[stem]
    # the seven sections fit one page for a project with short narrative; the table starts a page and fits it
    assert len(pdf.pages) == 2
    body, table = pdf.pages[0].extract_text(), pdf.pages[1].extract_text()
    positions = [body.replace(" ", "").index(section) for section in SEED_SECTIONS]
    assert positions == sorted(positions)
    assert "项目名称" in table and "总分" in table and "100.00" in table and "优" in table


def test_the_department_reports_keep_the_seed_order_and_the_whole_table(printed):
    text = "".join(page.extract_text() for page in printed["zhanyi-department"].pages).replace(" ", "").replace("\n", "")
    positions = [text.index(section) for section in SEED_SECTIONS]
    assert positions == sorted(positions)
    for words in ("资金覆盖全体职工", "干部满意度", "100.00", "12.50", "7.50"):
        assert words in text
    zhongfang = "".join(page.extract_text() for page in printed["zhongfang-department"].pages).replace(" ", "").replace("\n", "")
    assert "总分100.0093.72优" in zhongfang and "重点工作完成率" in zhongfang  # 100.00 no longer broken over two lines
    assert Decimal("93.72") == Decimal("13.45") + Decimal("31.27") + Decimal("30") + Decimal("19")  # the 中方 total


def test_no_figure_is_broken_over_two_lines(printed):
    # "总分 100.0" then "0" on the next line was what a 1.3 cm 分值 column printed for the 沾益 department
    for name, pdf in printed.items():
        for page in pdf.pages:
            assert re.search(r"\d\.\d?\n\d\s", page.extract_text()) is None, name
    last = printed["zhanyi-department"].pages[-1].extract_text()
    assert "总分 100.00 100.00 优" in last  # 分值 100.00 (10 + 4 × 12.5 + 4 × 7.5 + 10), 得分 the same, 优


def test_a_wide_figure_widens_its_column_and_the_table_keeps_its_width():
    from engine.word_report import _column_widths
    # Ten columns of equal layout width: 1.6 cm each of the 16 cm. "12,345,678.90" under 全年预算数 (column 5):
    # 10 digits × 0.70 em + 3 separators × 0.38 em = 8.14 em; at 9 pt (0.3175 cm an em) 2.58 cm, with the
    # cell's 0.2 cm of padding 2.78 cm. The 1.18 cm it lacks comes from the text columns, none below 1.1 cm:
    # 0.5 from column 0, 0.5 from column 1, 0.18 from column 2.
    placed = [(0, 5, "12,345,678.90", 1, 1, "n"), (0, 9, "无偏差", 1, 1, "")]
    widths = _column_widths(placed, (10.0,) * 10)
    assert widths[5] == pytest.approx(2.78, abs=0.01)
    assert widths[:3] == pytest.approx([1.1, 1.1, 1.42], abs=0.01)
    assert sum(widths) == pytest.approx(16.0)


def test_engine_report_writes_the_docx_and_never_over_an_input(tmp_path):
    from click.testing import CliRunner

    from engine.cli import main

    output = tmp_path / "报告.docx"
    result = CliRunner().invoke(main, ["report", str(DEPARTMENT[0]), str(DEPARTMENT[1]), "-o", str(output)])
    assert result.exit_code == 0 and f"已写入 {output}" in result.stderr
    text, tables = docx_text(output.read_bytes())
    assert "曲靖市沾益区财政局" in text and len(tables) == 1
    again = CliRunner().invoke(main, ["report", str(DEPARTMENT[0]), str(DEPARTMENT[1]), "-o", str(output)])
    assert again.exit_code == 2 and "文件已存在，未覆盖" in again.stderr
    template = tmp_path / "模板.docx"
    template.write_bytes(DEFAULT_TEMPLATE.read_bytes())
    onto = CliRunner().invoke(main, ["report", str(PROJECT), str(FIRE), "--template", str(template), "-o", str(template),
                                     "--force"])
    assert onto.exit_code == 2 and "输入文件" in onto.stderr
    assert template.read_bytes() == DEFAULT_TEMPLATE.read_bytes()
    docx = CliRunner().invoke(main, ["score", str(PROJECT), str(FIRE), "--format", "docx"])
    assert docx.exit_code == 2 and "docx 须用 -o 指定输出文件" in docx.stderr

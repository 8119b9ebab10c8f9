"""The scored table as a clerk prints it: the xlsx through LibreOffice, the HTML page through Chromium, both to PDF.

Every xlsx is converted in one headless LibreOffice run and read back with pypdf: the size and number of
the pages, the text of every cell, the fonts and their printed sizes. The workbook's own print settings
(paper, orientation, fit to width, print titles, row heights, fonts, number formats) are checked as well.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

import engine
from engine.cli import main
from engine.export import FONT, _subtotal_rows, official_cells, print_layout, wrapped_lines

from conftest import PROJECT_SCHEME, ROOT, ZHANYI_PROJECTS

DEPARTMENT = (ROOT / "schemes/department-self-eval/2023.yaml", ROOT / "cases/zhanyi-2023/department.yaml")
ZHONGFANG = (ROOT / "schemes/four-dimension/2023.yaml", ROOT / "cases/zhongfang-2023/department.yaml")
SOURCES = {**{path.stem: (PROJECT_SCHEME, path) for path in ZHANYI_PROJECTS},
           "zhanyi-department": DEPARTMENT, "zhongfang-department": ZHONGFANG}
A4 = [595, 842]  # points, rounded; either way up
HEADINGS = ("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分",
            "偏差原因分析及改进措施")
CHECKS_HEADING = "核对结果说明"  # the column headings of the second sheet, 勾稽核对


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def scored(scheme_path, case_path):
    scheme = engine.load_scheme(scheme_path)
    case = engine.load_case(scheme, case_path)
    return engine.evaluate(scheme, case), case


def flat(text: str) -> str:
    """Text with every space and line break taken out, so that a wrapped cell reads as it was written, and in
    NFKC (a PDF may name 一 by its Kangxi radical ⼀, the glyph the font shares between them)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def headed(text: str) -> bool:
    """Does the page carry the column headings (each wrapped heading is printed after the row's other cells)?"""
    return all(flat(heading) in flat(text) for heading in HEADINGS)


class Printed:
    """One exported table: its case, its workbook, and the PDF LibreOffice printed from it."""

    def __init__(self, scheme_path, case_path, xlsx: Path):
        self.result, self.case = scored(scheme_path, case_path)
        self.workbook = openpyxl.load_workbook(xlsx)
        self.pdf = PdfReader(xlsx.with_suffix(".pdf"))
        texts = [page.extract_text() for page in self.pdf.pages]
        self.table_pages = [text for text in texts if CHECKS_HEADING not in flat(text)]
        self.check_pages = [text for text in texts if CHECKS_HEADING in flat(text)]

    @property
    def sheet(self):
        return self.workbook["自评表"]


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, Printed]:
    """Every table exported by `engine score --format xlsx`, all converted to PDF in one LibreOffice run."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed to print the tables: apt-get install libreoffice-calc-nogui"
    folder = tmp_path_factory.mktemp("print")
    for name, (scheme_path, case_path) in SOURCES.items():
        result = invoke("score", scheme_path, case_path, "--format", "xlsx", "-o", folder / f"{name}.xlsx")
        assert result.exit_code == 0, result.output
    profile = folder / "profile"
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(folder), *sorted(str(p) for p in folder.glob("*.xlsx"))], check=True,
                   capture_output=True)
    return {name: Printed(*SOURCES[name], folder / f"{name}.xlsx") for name in SOURCES}


# ------------------------------------------------------------------ pages -------------------


def test_every_page_is_a4_the_way_up_the_workbook_says(printed):
    for name, table in printed.items():
        portrait = table.sheet.page_setup.orientation == "portrait"
        for page in table.pdf.pages:
            size = [round(float(page.mediabox.width)), round(float(page.mediabox.height))]
            assert sorted(size) == A4, name
            assert (size[0] < size[1]) == portrait, name


@pytest.mark.parametrize("stem", [path.stem for path in ZHANYI_PROJECTS])
def test_a_project_table_prints_on_one_page(printed, stem):
    # the table on one page, then the 勾稽核对 sheet on one of its own
    table = printed[stem]
    assert (len(table.table_pages), len(table.check_pages)) == (1, 1)
    assert len(table.pdf.pages) == 2 and CHECKS_HEADING in flat(table.pdf.pages[1].extract_text())
    assert table.sheet.page_setup.orientation == "portrait"  # as the official form is


def test_the_department_tables_print_on_the_pages_they_need(printed):
    # 沾益: the form's head (部门总体目标, three 年度目标, seven 重点工作任务) and the indicators' heading with the
    # 预算执行率 row take 788.75 pt of rows; fitting the width scales the table by 0.86, so a page holds
    # 734 / (0.86 × 1.04) = 819 pt less 6 of slack: the 产出指标 rows (4 × 18 pt) would need 860 and start
    # page 2 under the repeated headings, 一级 groups whole. 中方: 23 indicator rows, then 分项得分 (ten
    # subtotals) and the signatures, 794 pt of rows against the 734 pt an A4 page holds between its margins:
    # two pages, the 效果 rows (never split from their merged 一级指标), 总分, 分项得分 and the signatures
    # together on the second, under the repeated headings.
    zhanyi, zhongfang = printed["zhanyi-department"], printed["zhongfang-department"]
    assert (len(zhanyi.table_pages), len(zhanyi.check_pages)) == (2, 1)
    head, rest = (flat(text) for text in zhanyi.table_pages)
    assert all(flat(words) in head for words in ("部门名称", "部门总体目标", "一、部门年度目标", "二、部门年度重点工作任务",
                                                 "土地出让业务", "三、部门整体支出绩效指标", "预算执行率"))
    assert "资金覆盖全体职工" not in head and headed(rest) and "资金覆盖全体职工" in rest and "总分100.00100.00优" in rest
    assert (len(zhongfang.table_pages), len(zhongfang.check_pages)) == (2, 1)
    assert all(headed(text) for text in zhongfang.table_pages)  # the print titles
    first, second = (flat(text) for text in zhongfang.table_pages)
    assert "重点工作完成率" in first and "经济效益" not in first  # the merged 效果 / 履职效益 rows are not split
    for words in ("经济效益", "社会公众或服务对象满意度", "总分100.0093.72优", "分项得分", "投入1513.4589.7%",
                  "填报人：", "审核人：", "日期："):
        assert flat(words) in second, words


def test_every_cell_of_the_table_is_printed(printed):
    for name, table in printed.items():
        text = flat("".join(table.table_pages))
        cells = [cell[0] for row in official_cells(table.result, table.case) for cell in row]
        cells += [part for row in _subtotal_rows(table.result.groups, table.result.places) for part in row[1:]]
        for cell in cells:
            assert flat(cell) in text, (name, cell)
        title = f"{table.result.case['fiscal_year']}年度"
        assert all(flat(words) in text for words in (title, "填报人：", "审核人：", "日期：")), name


def test_the_print_is_not_shrunk_to_tiny_type_nor_set_in_a_serif(printed):
    # fitting a table to the page's width scales it; its 10 pt text must still print at 8.5 pt or more (a
    # heading shrunk onto one line rather than wrapped at its last character, 实施单位, at 8 pt or more), and
    # the figures (bold ones too) in a sans like the characters, never in a fallback serif
    for name, table in printed.items():
        sizes: list[float] = []

        def seen(text, cm, tm, font, size, sizes=sizes):
            if text.strip():
                sizes.append(size * tm[3] * cm[3])

        for page in table.pdf.pages:
            page.extract_text(visitor_text=seen)
            fonts = [str(font.get_object()["/BaseFont"]) for font in page["/Resources"]["/Font"].values()]
            assert fonts and not [font for font in fonts if "Serif" in font], (name, fonts)
        assert min(sizes) >= 8, (name, min(sizes))
        assert sorted(sizes)[len(sizes) // 10] >= 8.5, name  # all but the few shrunk headings


# ------------------------------------------------------------------ the workbook ------------


def test_the_workbook_is_set_up_for_a4(printed):
    for name, table in printed.items():
        sheet = table.sheet
        setup = sheet.page_setup
        assert (int(setup.paperSize), int(setup.fitToWidth), int(setup.fitToHeight)) == (9, 1, 0), name
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_options.horizontalCentered
        heading = next(row[0].row for row in sheet.iter_rows() if row[0].value == "一级指标")
        assert sheet.print_title_rows == f"${heading}:${heading}", name
        assert (round(sheet.page_margins.left * 25.4), round(sheet.page_margins.top * 25.4)) == (18, 20)
        assert sheet.print_area == f"'自评表'!$A$1:$J${sheet.max_row}"
        checks = table.workbook["勾稽核对"]
        assert (int(checks.page_setup.paperSize), int(checks.page_setup.fitToWidth)) == (9, 1)


def test_every_cell_is_set_in_songti_and_every_score_is_a_number_to_the_places(printed):
    for name, table in printed.items():
        sheet = table.sheet
        cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
        assert {cell.font.name for cell in cells} == {FONT}, name
        heading = next(row for row in sheet.iter_rows() if row[0].value == "一级指标")
        score_column = next(cell.column for cell in heading if cell.value == "得分")
        total = next(row for row in sheet.iter_rows() if row[0].value == "总分")
        scores = [sheet.cell(r, score_column) for r in range(heading[0].row + 1, total[0].row + 1)]
        scores = [cell for cell in scores if cell.value is not None]  # not the 其他需要说明事项 spanning the column
        assert scores and all(isinstance(c.value, (int, float)) and c.number_format == "0.00" for c in scores), name
        assert all(c.font.b for c in scores), name
        assert Decimal(str(scores[-1].value)).quantize(Decimal("0.01")) == table.result.total
    theme = printed["fin-network"].workbook.loaded_theme.decode("utf-8")  # what cells left to the theme use
    assert theme.count(f'<a:latin typeface="{FONT}"/>') == 2 and theme.count(f'<a:ea typeface="{FONT}"/>') == 2


def test_the_subtotals_of_a_four_dimension_table(printed):
    sheet = printed["zhongfang-department"].sheet
    rows = [[cell.value for cell in row if cell.value is not None] for row in sheet.iter_rows()]
    start = rows.index(["分项得分"])
    assert rows[start + 1] == ["指标", "分值", "得分", "得分率"]
    assert rows[start + 2] == ["投入", 15, 13.45, 0.897]
    assert rows[start + 3] == ["目标设定", 5, 4.25, 0.85]
    shares = [sheet.cell(start + 3, 9), sheet.cell(start + 3, 7)]  # 得分率 as 89.7%, 得分 as 13.45
    assert [cell.number_format for cell in shares] == ["0.0%", "0.00"]
    assert sheet.cell(start + 4, 1).alignment.indent == 1  # 目标设定 under 投入
    for name in ("zhanyi-department", "fin-network"):  # no dimensions: no 分项得分
        assert "分项得分" not in [cell.value for row in printed[name].sheet.iter_rows() for cell in row]


def test_row_heights_hold_the_wrapped_text(printed):
    # A row is as tall as the lines its fullest cell wraps to, counted from the text's width (CJK counts
    # two) and the width of the cell (merged cells: their columns together); no text spills into the next.
    for name, table in printed.items():
        sheet = table.sheet
        widths = [sheet.column_dimensions[letter].width for letter in "ABCDEFGHIJ"]
        heights = {row: sheet.row_dimensions[row].height for row in range(1, sheet.max_row + 1)}
        assert all(height and height >= 8 for height in heights.values()), name
        for merged in sheet.merged_cells.ranges:
            cell = sheet.cell(merged.min_row, merged.min_col)
            if isinstance(cell.value, str) and cell.alignment.wrap_text:
                lines = wrapped_lines(cell.value, sum(widths[merged.min_col - 1:merged.max_col]), cell.font.sz)
                room = sum(heights[r] for r in range(merged.min_row, merged.max_row + 1))
                assert room >= lines * 14.5 * cell.font.sz / 10, (name, cell.value)
    fin = printed["fin-network"].sheet
    goals = next(row for row in fin.iter_rows() if str(row[2].value).startswith("为全区提供稳定"))
    assert fin.row_dimensions[goals[0].row].height >= 3 * 14.5 > 15  # three lines, not the default 15 pt


def test_the_layout_turns_a_wide_table_sideways():
    # the seven 沾益 projects are portrait; a table whose least widths overflow a portrait page is landscape
    for path in ZHANYI_PROJECTS:
        result, case = scored(PROJECT_SCHEME, path)
        assert not print_layout(official_cells(result, case)).landscape, path.stem
    wide = [[(f"第{n}列" + "很长的指标名称" * 2, 1, 1, "t") for n in range(10)]]
    assert print_layout(wide).landscape


# ------------------------------------------------------------------ HTML ------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("headless Chromium is needed for this test: install Debian's chromium (.ci/run does)")


def _print_html(scheme_path, case_path, folder: Path) -> PdfReader:
    page, pdf = folder / "page.html", folder / "page.pdf"
    assert invoke("score", scheme_path, case_path, "--format", "html", "-o", page).exit_code == 0
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={folder / 'profile'}"]
    subprocess.run([_chromium(), *flags, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri()],
                   capture_output=True, check=False)  # Chromium's exit status says little; the PDF is checked
    return PdfReader(pdf)


def test_a_department_page_repeats_its_headings_and_ends_with_more_than_the_footer(tmp_path):
    pdf = _print_html(*ZHONGFANG, tmp_path)
    pages = [page.extract_text() for page in pdf.pages]
    assert len(pages) == 2
    for page, text in zip(pdf.pages, pages):
        assert "".join(HEADINGS) in flat(text)  # the <thead>, repeated by the browser
        assert sorted(round(float(x)) for x in page.mediabox[2:]) == A4
    last = flat(pages[-1])
    footer = flat(next(line for line in pages[-1].splitlines() if "budget-eval-engine" in line))
    assert last.replace(footer, "") != "" and "社会公众或服务对象满意度" in last and "分项得分" in last
    assert "总分93.72/100.00" in last and flat("填报人：") in last
    result, _ = scored(*ZHONGFANG)
    lines = [flat(line) for text in pages for line in text.splitlines()]
    for indicator in result.indicators:  # every 三级指标 name on one line: no character left alone
        assert any(flat(indicator.name) in line for line in lines), indicator.name


def test_a_project_page_prints_on_one_page(tmp_path):
    pdf = _print_html(PROJECT_SCHEME, ZHANYI_PROJECTS[0], tmp_path)
    assert len(pdf.pages) == 1
    text = flat(pdf.pages[0].extract_text())
    assert "".join(HEADINGS) in text and flat("填报人：") in text and "各部分得分与分值" in text

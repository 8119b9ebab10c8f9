"""The read stage is bounded: what a file says about its size is checked before any reader pays for it.

The hostile corpus (tests/hostile/tables) runs each attack through the command line; these tests hold
the reading itself to exact outcomes: the survey of a workbook agrees with calamine on every real one,
a limit is a limit (the last row in, the next one out), clipping a merged range changes nothing a
person sees, a sheet away from A1 keeps its cell references, and every refusal names its file and place.
Files are made by the corpus's own makers.
"""

from __future__ import annotations

import importlib.util
import io
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.read import MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS, ReadError, read_file
from engine.read.sheet import survey

from conftest import ROOT

FORMATS = ROOT / "tests" / "data" / "real" / "formats"
_spec = importlib.util.spec_from_file_location("hostile_tables_make", ROOT / "tests" / "hostile" / "tables" / "make.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)


def refusal(path: Path) -> str:
    with pytest.raises(ReadError) as caught:
        read_file(path)
    return str(caught.value)


def texts(path: Path) -> list[list[tuple[str, str]]]:
    return [[(cell.text, cell.ref) for cell in row if not cell.copy] for row in read_file(path).grids[0].rows]


# ------------------------------------------------------------------ workbooks ----

@pytest.mark.parametrize("path", sorted(p for p in FORMATS.iterdir() if p.suffix in (".xlsx", ".xls", ".ods")),
                         ids=lambda p: p.name)
def test_the_survey_sees_each_real_workbook_as_calamine_does(path, monkeypatch):
    import python_calamine

    import engine.read.sheet as sheet

    seen = []
    monkeypatch.setattr(sheet, "_check_extent", lambda name, height, width, cells, source: seen.append((name, height, width)))
    survey(path.read_bytes(), str(path), path.suffix[1:])
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    expected = [(name, workbook.get_sheet_by_index(i).height, workbook.get_sheet_by_index(i).width)
                for i, name in enumerate(workbook.sheet_names)]
    assert seen == expected


def test_a_merged_range_over_a_whole_column_is_clipped_and_changes_nothing(tmp_path):
    plain, merged = tmp_path / "plain.xlsx", tmp_path / "merged.xlsx"
    make.xlsx_table(plain)
    make.xlsx_merged_whole_column(merged)
    assert texts(merged) == texts(plain)


def test_a_title_merged_to_xfd1_spans_the_table_not_the_sheet(tmp_path):
    path = tmp_path / "t.xlsx"
    make.xlsx_merged_whole_row(path)
    title = read_file(path).grids[0].rows[0][0]
    assert (title.text, title.ref, title.span) == (make.TITLE, "项目表!A1", 9)


def test_a_sheet_away_from_a1_keeps_its_references_and_merges(tmp_path):
    rows = [[""] * 9 for _ in range(4)] + [["", "", *row] for row in make.table()]
    path = tmp_path / "t.xlsx"
    make._xlsx(path, [("项目表", make._sheet_xml(rows, "", ["C5:K5", "C8:C9"]))])
    grid = read_file(path).grids[0]
    title = grid.rows[0][0]
    assert (title.text, title.ref, title.line, title.column, title.span) == (make.TITLE, "项目表!C5", 5, 3, 9)
    funds = [cell for cell in grid.rows[4] if cell.copy]  # 项目资金 over two rows, its copy in the row below
    assert [(cell.text, cell.ref, cell.line) for cell in funds] == [("项目资金（万元）", "项目表!C8", 9)]


@pytest.mark.parametrize("rows, refused", [(MAX_ROWS, False), (MAX_ROWS + 1, True)])
def test_the_row_limit_of_a_workbook_is_exact(rows, refused, tmp_path):
    path = tmp_path / "t.xlsx"
    body = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, rows + 1))
    make._xlsx(path, [("表", make._sheet_xml([], body))])
    if refused:
        assert refusal(path) == (f"{path}: 工作表“表”过大（{rows:,} 行 × 1 列）（提示：一张自评表不会超过 20,000 行、256 列；"
                                 "请删去多余的行列后另存）")
    else:
        assert len(read_file(path).grids[0].rows) == rows


def test_cells_outside_any_row_element_are_counted_where_calamine_puts_them(tmp_path):
    path = tmp_path / "t.xlsx"
    make.xlsx_far_row(path)
    assert refusal(path).startswith(f"{path}: 工作表“项目表”过大（1,048,576 行 × 9 列）")


def test_an_ods_with_libreoffices_trailing_rows_reads_like_the_plain_table(tmp_path):
    ods, xlsx = tmp_path / "t.ods", tmp_path / "t.xlsx"
    make.ods_trailing_empty_rows(ods)
    make.xlsx_table(xlsx)
    # the .ods has its title unmerged: compare what each row holds
    assert [[text for text, _ in row if text] for row in texts(ods)] == [[text for text, _ in row if text]
                                                                          for row in texts(xlsx)]


def test_an_xls_made_by_hand_reads_like_the_xlsx(tmp_path):
    xls, xlsx = tmp_path / "t.xls", tmp_path / "t.xlsx"
    make.xls_table(xls)
    make.xlsx_table(xlsx)
    assert texts(xls) == texts(xlsx)


def test_the_xls_reader_reads_streams_from_the_mini_stream_too(tmp_path):
    """A workbook stream under 4,096 bytes lives in the root entry's mini stream; the real .xls of the
    corpus has one for its summary; its Workbook stream is read the long way and agrees with calamine."""
    from engine.read.ole import biff_sheets, read_stream

    raw = (FORMATS / "he-langfang-2019-nuantong.xls").read_bytes()
    assert read_stream(raw, ("\x05SummaryInformation",)) is not None
    [sheet] = biff_sheets(read_stream(raw, ("Workbook",)), 100)
    assert (sheet.name, sheet.bottom + 1, sheet.right + 1, len(sheet.merged)) == ("自评表", 39, 8, 28)


def test_a_panic_inside_calamine_is_a_located_refusal_not_a_traceback(tmp_path, monkeypatch):
    """pyo3 turns a Rust panic into PanicException, a BaseException that `except Exception` lets through."""
    import python_calamine

    class PanicException(BaseException):
        pass

    def panic(stream):  # noqa: ANN001, ANN202
        raise PanicException("range end index 2 out of range for slice of length 0")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", panic)
    path = tmp_path / "t.xlsx"
    make.xlsx_table(path)
    assert refusal(path) == (f"{path}: 无法作为Excel 工作簿（.xlsx）读取：range end index 2 out of range for slice of "
                             "length 0（提示：请用 Excel 或 WPS 打开后重新保存）")


# ------------------------------------------------------------------ zip containers ----

def test_a_zip_whose_end_record_is_missing_is_broken_not_a_crash(tmp_path):
    path = tmp_path / "t.xlsx"
    make.xlsx_table(path)
    raw = path.read_bytes()
    path.write_bytes(raw[:raw.rfind(b"PK\x05\x06")])
    assert refusal(path).startswith(f"{path}: 文件像是压缩包（Excel 或 Word），但已损坏或不完整")


def test_a_stored_member_whose_size_lies_is_refused(tmp_path):
    path = tmp_path / "t.xlsx"
    make._zip_raw(path, [("xl/workbook.xml", b"<workbook/>", 0, 0, 11, 5)])
    assert refusal(path).startswith(f"{path}: 压缩包中的“xl/workbook.xml”解压后与声明的大小（5 字节）不符")


@pytest.mark.parametrize("damage", ["checksum", "local name", "version"])
def test_what_zipfile_would_refuse_on_reading_a_member_is_refused_before_any_is_read(damage, tmp_path):
    """Found by mutating real files: a bad CRC on an .ods mimetype, a local header naming another member,
    a 'version needed' past zipfile's escaped as BadZipFile and NotImplementedError (exit 3)."""
    path = tmp_path / "t.ods"
    make.ods_trailing_empty_rows(path)
    raw = bytearray(path.read_bytes())
    if damage == "checksum":
        raw[14] ^= 0xFF  # the first local header's CRC
        at = raw.find(b"PK\x01\x02")
        raw[at + 16] ^= 0xFF  # and the directory's, so both agree and only the data disagrees
    elif damage == "local name":
        raw[30] = ord("M")  # "mimetype" -> "Mimetype" in the local header only
    else:
        at = raw.find(b"PK\x01\x02")
        raw[at + 6] = 255  # version needed to extract: 25.5
    path.write_bytes(bytes(raw))
    assert refusal(path).startswith(f"{path}: 文件像是压缩包（Excel 或 Word），但已损坏或不完整")


def test_an_encrypted_zip_member_is_refused(tmp_path):
    path = tmp_path / "t.xlsx"
    make._zip_raw(path, [("xl/workbook.xml", b"x", 0, 0, 1, 1)])
    raw = bytearray(path.read_bytes())
    raw[6] |= 1  # the local header's flag bits
    at = raw.rfind(b"PK\x01\x02")
    raw[at + 8] |= 1  # and the directory's
    path.write_bytes(bytes(raw))
    assert refusal(path).startswith(f"{path}: 压缩包中的“xl/workbook.xml”使用了加密")


# ------------------------------------------------------------------ Word, web pages, text ----

def test_a_docx_table_row_at_the_column_limit_is_read_and_one_more_is_refused(tmp_path):
    for columns, refused in ((MAX_COLUMNS, False), (MAX_COLUMNS + 1, True)):
        path = tmp_path / f"t{columns}.docx"
        make._docx(path, make._docx_table([[f"c{i}" for i in range(columns)]]))
        if refused:
            assert refusal(path).startswith(f"{path}: 表 1过大（1 行 × {columns} 列）")
        else:
            assert len(read_file(path).grids[0].rows[0]) == columns


def test_a_web_page_cell_too_long_is_refused_with_its_place(tmp_path):
    path = tmp_path / "t.html"
    rows = make.table()
    rows[2][1] = "某" * (MAX_CELL_CHARS + 1)
    path.write_text(make._page(make._html_table(rows)), encoding="utf-8")
    assert refusal(path).startswith(f"{path}: 表 1 第 3 行第 2 列的内容过长（{MAX_CELL_CHARS + 1:,} 个字符，上限 20,000 个）")


@pytest.mark.parametrize("separator", ["\t", " | ", ","])
def test_a_line_at_the_column_limit_is_read_and_one_more_is_refused(separator, tmp_path):
    suffix = ".csv" if separator == "," else ".txt"
    for columns in (MAX_COLUMNS, MAX_COLUMNS + 1):
        path = tmp_path / f"t{columns}{suffix}"
        line = separator.join(f"c{i}" for i in range(columns))
        path.write_text(f"{line}\n{line}\n", encoding="utf-8")
        if columns > MAX_COLUMNS:
            assert f"第 1 行的单元格过多（超过 {MAX_COLUMNS} 个）" in refusal(path)
        else:
            assert [len(row) for row in read_file(path).grids[0].rows[:2]] == [columns, columns]


def test_a_text_at_the_line_limit_is_judged_and_one_line_more_is_refused(tmp_path):
    from engine.read.text import MAX_TEXT_LINES

    path = tmp_path / "t.txt"
    path.write_text("项目名称\n" * (MAX_TEXT_LINES - 1), encoding="utf-8")  # the last line break ends a line
    assert "文本的行数过多" not in refusal(path)  # read, and too many rows for a table
    path.write_text("项目名称\n" * MAX_TEXT_LINES, encoding="utf-8")
    assert refusal(path).startswith(f"{path}: 文本的行数过多（{MAX_TEXT_LINES + 1:,} 行，上限 {MAX_TEXT_LINES:,} 行）")


# ------------------------------------------------------------------ files that are not files ----

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_as_a_table_is_refused_without_waiting_for_a_writer(tmp_path):
    path = tmp_path / "自评表.xlsx"
    os.mkfifo(path)
    result = CliRunner().invoke(main, ["import", str(path), "-o", str(tmp_path / "out.yaml")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: 这不是普通文件（可能是管道、设备或套接字），不能读取")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_device_named_as_a_table_is_refused_without_reading_it():
    assert refusal(Path("/dev/zero")).startswith("/dev/zero: 这不是普通文件")


def test_a_folder_named_as_a_table_still_points_to_batch(tmp_path):
    assert refusal(tmp_path) == f"{tmp_path}: 这是一个文件夹，不是表格文件（提示：导入一个文件夹里的全部表格请用 engine batch）"


# ------------------------------------------------------------------ PDF ----

@pytest.mark.parametrize("path", sorted(FORMATS.glob("*.pdf")), ids=lambda p: p.name)
def test_real_pdfs_are_well_within_the_pdf_bounds(path):
    import pdfplumber

    from engine.read.pdf_bounds import MAX_PDF_PAGE_CONTENT, check_pages, check_streams

    raw = path.read_bytes()
    check_streams(raw, str(path))
    with pdfplumber.open(io.BytesIO(raw)) as pdf:
        assert check_pages(pdf.doc, str(path), 200) == len(pdf.pages)
        assert max(sum(len(s.get_data()) for s in page.page_obj.contents) for page in pdf.pages) * 10 < MAX_PDF_PAGE_CONTENT


def test_a_deflate_stream_is_measured_whatever_its_dictionary_says(tmp_path):
    """The filter written as a name with #xx escapes, or not written at all: measured from the data."""
    import zlib

    from engine.read.pdf_bounds import check_streams

    bomb = zlib.compress(bytes(64 << 20), 9)
    for dictionary in (b"<< /Length %d /Filter /Fl#61teDecode >>" % len(bomb), b"<< /Length %d >>" % len(bomb)):
        raw = b"%PDF-1.4\n1 0 obj\n" + dictionary + b"\nstream\n" + bomb + b"\nendstream\nendobj\n"
        with pytest.raises(ReadError) as caught:
            check_streams(raw, "t.pdf")
        assert str(caught.value).startswith("t.pdf: PDF 中有一段压缩数据解压后过大")


def test_zip_members_are_not_limited_by_what_real_files_hold(tmp_path):
    """Every real .xlsx, .docx and .ods of the corpus passes the zip checks with room to spare."""
    from engine.read import MAX_MEMBER_BYTES, MAX_ZIP_RATIO
    from engine.read.archive import open_archive

    for path in sorted(FORMATS.iterdir()):
        if path.suffix in (".xlsx", ".docx", ".ods"):
            archive = open_archive(path.read_bytes(), str(path))
            worst = max(archive.infolist(), key=lambda info: info.file_size)
            assert worst.file_size * 20 < MAX_MEMBER_BYTES
            assert all(info.file_size < MAX_ZIP_RATIO / 4 * max(info.compress_size, 1) for info in archive.infolist()
                       if info.file_size > 1 << 16)
    assert zipfile.is_zipfile(FORMATS / "ah-guichi-2022-cunji.xlsx")

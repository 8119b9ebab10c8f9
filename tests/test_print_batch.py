"""The 复核 workbook of a 200-case district, printed as a 绩效股 clerk would print it (LibreOffice → PDF).

Every page is A4, the 结果 sheet prints one page wide (every column's heading on every page of it),
and every case's project name and computed total appear in the printed text.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import openpyxl
from pypdf import PdfReader

from conftest import PROJECT_SCHEME
from test_batch_review import district_of, invoke

A4 = {(595, 842), (842, 595)}


def test_the_district_workbook_prints_on_a4_one_page_wide(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed to print the workbook: apt-get install libreoffice-calc-nogui"
    district_of(tmp_path / "cases", 200)
    book = tmp_path / "复核.xlsx"
    invoke("batch", PROJECT_SCHEME, tmp_path / "cases", "-o", book)
    sheet = openpyxl.load_workbook(book)["结果"]
    headers = [cell.value for cell in sheet[1]]
    names = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    totals = [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(names) == 200
    profile = tmp_path / "profile"
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(book)], check=True, capture_output=True)
    pdf = PdfReader(tmp_path / "复核.pdf")
    sizes = {(round(float(page.mediabox.width)), round(float(page.mediabox.height))) for page in pdf.pages}
    assert sizes <= A4
    pages = [re.sub(r"\s+", "", page.extract_text()) for page in pdf.pages]
    text = "".join(pages)
    for name, total in zip(names, totals):
        assert re.sub(r"\s+", "", str(name)) in text
        assert f"{total:.2f}" in text  # written with the scheme's two places, never “100”
    results = [page for page in pages if any(re.sub(r"\s+", "", str(n)) in page for n in names)]
    # one page wide: each page of the 结果 sheet carries the first and the last column's heading
    assert results and all("主管部门" in page and str(headers[-1]) in page for page in results)

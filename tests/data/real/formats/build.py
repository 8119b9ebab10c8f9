"""Build Word, Excel, OpenDocument, PDF, Markdown and CSV versions of some corpus tables from their .html.

The published tables reached us as web pages; a clerk as often has the same table as a Word attachment,
an Excel sheet or a PDF. Each version is made the way such files are made: python-docx writes a Word table
with its cells merged as on the page, openpyxl a sheet with merged ranges, LibreOffice (headless) turns the
Word file into PDF and the workbook into .xls and .ods. The files are committed, so the tests need none of
these tools; run this again (python tests/data/real/formats/build.py) after changing an entry's .html.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import lxml.html

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent
ENTRIES = {  # entry -> the versions built for it
    "ah-guichi-2022-cunji": ("docx", "xlsx", "pdf"),
    "he-langfang-2019-nuantong": ("docx", "xlsx", "pdf", "xls"),
    "yn-lijiang-gucheng-2020-weipian": ("docx", "xlsx", "pdf", "ods"),
    "sh-putuo-2022-tiyu-jiesuan": ("docx", "xlsx", "pdf", "md", "unruled.pdf"),
    "sc-qingshen-2023-gongzi": ("docx", "xlsx", "pdf", "csv"),
    "ah-jinzhai-2023-chagu": ("docx", "xlsx", "pdf"),
}


def page(entry: str) -> tuple[list[str], list[list[tuple[str, int, int]]]]:
    """The page's lines above the table, and the table as rows of (text, colspan, rowspan)."""
    root = lxml.html.fromstring((CORPUS / f"{entry}.html").read_bytes())
    table = root.find(".//table")
    before = []
    for element in root.iter("p", "h1", "h2", "h3", "h4", "div"):
        if element.getparent() is not None and table not in element.iterancestors() and \
                element.sourceline < table.sourceline and element.text_content().strip():
            before.append(" ".join(element.text_content().split()))
    rows = []
    for tr in table.iter("tr"):
        rows.append([("\n".join(" ".join(line.split()) for line in td.text_content().strip().splitlines() if line.strip()),
                      int(td.get("colspan", 1)), int(td.get("rowspan", 1))) for td in tr if td.tag in ("td", "th")])
    return before, rows


def grid(rows: list[list[tuple[str, int, int]]]) -> tuple[int, list[tuple[int, int, int, int, str]]]:
    """Place every cell on the grid the HTML table model defines: (row, column, rowspan, colspan, text)."""
    taken: set[tuple[int, int]] = set()
    placed = []
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for text, colspan, rowspan in row:
            while (r, c) in taken:
                c += 1
            placed.append((r, c, rowspan, colspan, text))
            for dr in range(rowspan):
                for dc in range(colspan):
                    taken.add((r + dr, c + dc))
            c += colspan
            width = max(width, c)
    return width, placed


def build_docx(entry: str, target: Path, ruled: bool = True) -> None:
    import docx
    from docx.shared import Pt

    before, rows = page(entry)
    width, placed = grid(rows)
    document = docx.Document()
    for line in before:
        paragraph = document.add_paragraph(line)
        paragraph.runs[0].font.size = Pt(14 if "自评表" in line else 10.5)
    table = document.add_table(rows=len(rows), cols=width)
    if ruled:
        table.style = "Table Grid"  # without rules a PDF reader has only the words' positions to go by
    for r, c, rowspan, colspan, text in placed:
        cell = table.cell(r, c)
        if rowspan > 1 or colspan > 1:
            cell = cell.merge(table.cell(min(r + rowspan, len(rows)) - 1, c + colspan - 1))
        cell.text = text
    document.core_properties.title = before[0] if before else entry
    document.save(target)


def build_xlsx(entry: str, target: Path) -> None:
    import openpyxl
    from openpyxl.styles import Alignment

    before, rows = page(entry)
    width, placed = grid(rows)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "自评表"
    for n, line in enumerate(before, 1):
        sheet.cell(n, 1, line)
        sheet.merge_cells(start_row=n, start_column=1, end_row=n, end_column=max(width, 1))
    top = len(before) + 1
    for r, c, rowspan, colspan, text in placed:
        cell = sheet.cell(top + r, 1 + c, text)
        cell.data_type = "s"  # “=8个” is what the clerk typed, not a formula
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if rowspan > 1 or colspan > 1:
            sheet.merge_cells(start_row=top + r, start_column=1 + c,
                              end_row=min(top + r + rowspan - 1, top + len(rows) - 1), end_column=c + colspan)
    workbook.save(target)


def build_markdown(entry: str, target: Path) -> None:
    """A Markdown table as a web page's text is often pasted: merged cells written once, the rest blank."""
    before, rows = page(entry)
    width, placed = grid(rows)
    cells = [[""] * width for _ in rows]
    for r, c, _, _, text in placed:
        cells[r][c] = text.replace("\n", " ")
    lines = [*before, ""]
    lines.append("| " + " | ".join(cells[0]) + " |")
    lines.append("|" + "---|" * width)
    lines.extend("| " + " | ".join(row) + " |" for row in cells[1:])
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_csv(entry: str, target: Path) -> None:
    """CSV as Excel saves it: one line per row, merged cells blank after the first, a byte-order mark."""
    before, rows = page(entry)
    width, placed = grid(rows)
    cells = [[""] * width for _ in rows]
    for r, c, _, _, text in placed:
        cells[r][c] = text
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in before:
        writer.writerow([line] + [""] * (width - 1))
    writer.writerows(cells)
    target.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))


def convert(source: Path, kind: str, target: Path) -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        sys.exit("LibreOffice (soffice) is needed for pdf, xls and ods: apt-get install libreoffice-writer-nogui libreoffice-calc-nogui")
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([office, "--headless", f"-env:UserInstallation=file://{folder}/profile", "--convert-to", kind,
                        "--outdir", folder, str(source)], check=True, capture_output=True, timeout=300)
        shutil.move(Path(folder) / f"{source.stem}.{kind}", target)


def main() -> None:
    for entry, kinds in ENTRIES.items():
        for kind in kinds:
            target = HERE / f"{entry}.{kind}"
            if kind == "docx":
                build_docx(entry, target)
            elif kind == "xlsx":
                build_xlsx(entry, target)
            elif kind == "md":
                build_markdown(entry, target)
            elif kind == "csv":
                build_csv(entry, target)
            elif kind == "pdf":
                convert(HERE / f"{entry}.docx", "pdf", target)
            elif kind == "unruled.pdf":
                with tempfile.TemporaryDirectory() as folder:
                    unruled = Path(folder) / f"{entry}.unruled.docx"
                    build_docx(entry, unruled, ruled=False)
                    convert(unruled, "pdf", target)
            else:
                convert(HERE / f"{entry}.xlsx", kind, target)
            print(target.relative_to(CORPUS))


if __name__ == "__main__":
    main()

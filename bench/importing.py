"""Import benchmark: tables per second per format, against parsing the same file with its own library.

    python bench/importing.py [--repeat 5]

For each format of the corpus (tests/data/real: text, web pages, Word, Excel, PDF …) every file is
imported (read → recognise) in this process, and the same files are parsed by the library the reader
uses (lxml for a web page, python-docx, python-calamine, pdfplumber, or a plain decode for text): the
figure printed is import time ÷ parse time, with min–max over repetitions. Then the readers' bounds:
the largest sheet a reader accepts (rows × columns at the limits) is built and read, and a text table
at N rows is compared with N/10 rows (linear: ≈ 10×), and an oversized file is refused before it is read.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.importer import import_tables  # noqa: E402
from engine.read import MAX_COLUMNS, MAX_ROWS, MAX_TABLE_FILE_BYTES, ReadError, read_file  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "real"


def parse_only(path: Path) -> None:
    """What the format's own library costs for the file, without our reading or recognising."""
    raw = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        import lxml.html

        lxml.html.document_fromstring(raw)
    elif suffix == ".docx":
        import docx

        document = docx.Document(io.BytesIO(raw))
        for table in document.tables:
            for row in table.rows:
                [cell.text for cell in row.cells]
    elif suffix in (".xlsx", ".xls", ".ods"):
        import python_calamine

        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(raw))
        for index in range(len(workbook.sheet_names)):
            workbook.get_sheet_by_index(index).to_python()
    elif suffix == ".pdf":
        import pdfplumber

        with pdfplumber.open(io.BytesIO(raw)) as pdf:
            for page in pdf.pages:
                page.find_tables()
                page.extract_words()
    else:
        raw.decode("utf-8", errors="replace").splitlines()


def importable(path: Path) -> bool:
    try:
        import_tables(path)
        return True
    except Exception:  # noqa: BLE001 - refused files are timed too, but apart
        return False


def best_of(function, repeat: int) -> list[float]:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def corpus_files() -> list[Path]:
    import yaml

    return sorted(CORPUS / item["file"] for expect in CORPUS.glob("*.expect.yaml")
                  for item in yaml.safe_load(expect.read_text(encoding="utf-8"))["files"])


def per_format(repeat: int) -> None:
    files = corpus_files()
    groups: dict[str, list[Path]] = defaultdict(list)
    for path in files:
        groups[path.suffix.lower()].append(path)
    print(f"{'format':8} {'files':>5} {'imported':>8} {'tables/s':>9}   import ÷ library parse (min–max)")
    for suffix, paths in sorted(groups.items()):
        ok = [p for p in paths if importable(p)]

        def run_import() -> None:
            for path in paths:
                try:
                    import_tables(path)
                except Exception:  # noqa: BLE001
                    pass

        def run_parse() -> None:
            for path in paths:
                parse_only(path)

        ours = best_of(run_import, repeat)
        theirs = best_of(run_parse, repeat)
        ratios = [a / b for a, b in zip(ours, theirs)]
        rate = len(paths) / min(ours)
        print(f"{suffix:8} {len(paths):5d} {len(ok):8d} {rate:9.1f}   {statistics.median(ratios):5.2f}× "
              f"({min(ratios):.2f}–{max(ratios):.2f})")


def bounds() -> None:
    import openpyxl

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        columns = 12
        rows = MAX_ROWS - 1
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("大表")
        for r in range(rows):
            sheet.append([f"指标{r}", r, r * 2, "≥90%"] + [""] * (columns - 4))
        path = folder / "largest.xlsx"
        workbook.save(path)
        start = time.perf_counter()
        grid = read_file(path).grids[0]
        elapsed = time.perf_counter() - start
        print(f"largest sheet accepted: {len(grid.rows):,} rows × {columns} columns (limits {MAX_ROWS:,} rows, "
              f"{MAX_COLUMNS} columns) read in {elapsed:.2f} s")

        line = "\t".join(["产出指标", "数量指标", "养护里程", "≥", "120", "公里", "120", "45", "45"])
        small, large = folder / "small.txt", folder / "large.txt"
        small.write_text("\n".join([line] * 1_900), encoding="utf-8")
        large.write_text("\n".join([line] * 19_000), encoding="utf-8")
        t_small = min(best_of(lambda: read_file(small), 5))
        t_large = min(best_of(lambda: read_file(large), 5))
        print(f"text table 19,000 rows vs 1,900: {t_large / t_small:.1f}× the time (linear would be 10×)")

        huge = folder / "huge.txt"
        with open(huge, "wb") as stream:
            stream.truncate(MAX_TABLE_FILE_BYTES * 50)  # a sparse file: large on paper, nothing on disk
        start = time.perf_counter()
        try:
            read_file(huge)
            print("oversized file: NOT refused")
        except ReadError:
            print(f"oversized file ({MAX_TABLE_FILE_BYTES * 50:,} bytes) refused before reading, in "
                  f"{(time.perf_counter() - start) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one pass per format, no bounds (a smoke run)")
    args = parser.parse_args()
    per_format(1 if args.quick else args.repeat)
    if not args.quick:
        print()
        bounds()


if __name__ == "__main__":
    main()

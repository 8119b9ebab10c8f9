"""Checks of this class: what an export wrote, read back the way a spreadsheet reads it.

Each function receives the entry's work folder and asserts on the .csv / .xlsx files written there.
The rules are restated here by hand, not imported from the engine, so a mistake in the engine's
rule is not repeated in the test.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

STARTS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?%?\Z")


def _dangerous(text: str) -> bool:
    """A text cell a spreadsheet would act on: longer than one character, starting (after blanks) with a
    formula sign and not a plain number, or starting with a tab or line break."""
    if len(text) < 2:
        return False
    if text[0] in "\t\r\n":
        return True
    head = text.lstrip(" \u3000\u00a0")
    return len(head) > 1 and head.startswith(STARTS) and not PLAIN_NUMBER.match(head)


def _only(work: Path, suffix: str) -> Path:
    found = sorted(path for path in work.glob(f"*{suffix}") if not path.name.startswith("."))
    assert len(found) == 1, found
    return found[0]


def _csv_cells(work: Path) -> list[str]:
    text = _only(work, ".csv").read_bytes().decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def csv_safe(work: Path) -> None:
    """No cell of the written CSV would run as a formula, and the hostile text is there, apostrophe first."""
    cells = _csv_cells(work)
    live = [cell for cell in cells if _dangerous(cell)]
    assert not live, live
    assert any(cell[:1] == "'" and (cell[1:2] in "\t\n" or cell[1:].lstrip(" \u3000").startswith(STARTS))
               for cell in cells), cells


def csv_numbers_plain(work: Path) -> None:
    """Figures and scores (the case's -5, the computed 0.00) are written as bare numbers, never prefixed."""
    cells = _csv_cells(work)
    assert "-5" in cells and "0.00" in cells, cells
    assert not any(cell.startswith("'") and PLAIN_NUMBER.match(cell[1:]) for cell in cells), cells
    assert not [cell for cell in cells if _dangerous(cell)]


def _workbook_cells(work: Path):
    import openpyxl

    workbook = openpyxl.load_workbook(_only(work, ".xlsx"))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def xlsx_safe(work: Path) -> None:
    """No formula or error cell; every text a spreadsheet would act on is a string marked quotePrefix."""
    cells = _workbook_cells(work)
    assert not [(c.coordinate, c.value) for c in cells if c.data_type in ("f", "e")]
    hostile = [c for c in cells if isinstance(c.value, str) and _dangerous(c.value)]
    assert hostile, "the hostile text is missing from the workbook"
    assert all(c.data_type == "s" and c.quotePrefix for c in hostile), [(c.coordinate, c.value) for c in hostile]


def xlsx_error_code_as_text(work: Path) -> None:
    """“#N/A” written by a case is the text #N/A, not Excel's error value."""
    cells = _workbook_cells(work)
    assert not [c.coordinate for c in cells if c.data_type in ("f", "e")]
    assert any(c.value == "#N/A" and c.data_type == "s" for c in cells)


def xlsx_controls_shown(work: Path) -> None:
    """An escape sequence in a name is written (XML cannot hold ESC) as the visible mark ␛, not dropped."""
    cells = _workbook_cells(work)
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert any("␛" in text for text in texts), texts
    assert not any(re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text) for text in texts)

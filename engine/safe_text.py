"""Report stage: case text made safe to show — on a terminal, in a spreadsheet, in Markdown.

Cases travel by e-mail and USB stick, so a project name can carry an escape sequence that recolours or
retitles the terminal, a bidi override that shows its letters in reverse, or a leading `=` that Excel
runs as a formula. Whatever the case wrote is kept where a program reads it (JSON, the value of an
xlsx cell) and neutralised where a person or a spreadsheet would act on it:

- control characters (C0 but tab and line breaks, DEL, C1) and bidi controls become visible marks
  (ESC shows as ␛, a C1 or bidi control as �) — nothing is silently dropped, and each mark is one
  column wide, so tables stay aligned; CJK text, full-width punctuation, ≥ and ≤ pass untouched;
- on one line of a terminal table, line breaks and tabs become spaces, so a name cannot start a
  line that looks like the engine's own (“总分 100.00 / 100.00　等级 优”);
- a CSV cell that a spreadsheet would read as a formula gets a leading apostrophe (OWASP);
- a Markdown cell has the characters that would end the cell, start a link or raw HTML escaped.
"""

from __future__ import annotations

import re
from typing import Any

# Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the invisible marks
# (U+061C, U+200E, U+200F): no budget table needs them, and they reorder what is shown around them.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_MARKED = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029]")
_ONE_LINE = re.compile("\r\n|[\r\n\t\u2028\u2029]")

# What a spreadsheet may read as the start of a formula. The full-width forms are refused as well:
# LibreOffice reads them as text, but spreadsheets in CJK locales convert full-width input to
# half-width, and no real table cell starts with one followed by more text.
FORMULA_STARTS = "=+-@＝＋－＠"
_LEADING_BLANKS = " \u3000\u00a0"
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)%?\Z")


def _mark(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode's control pictures: ␀ … ␛ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def clean(text: str) -> str:
    """Text for a file people open: line breaks as `\\n`, tabs kept, every other control a visible mark."""
    return _MARKED.sub(_mark, _LINE_BREAKS.sub("\n", text))


def printable(text: Any) -> str:
    """Text for one line of a terminal: line breaks and tabs as spaces, every other control a visible mark."""
    return _MARKED.sub(_mark, _ONE_LINE.sub(" ", str(text)))


def printable_lines(text: str) -> str:
    """A rendered block for a terminal: its own line breaks kept, each line made `printable`."""
    return "\n".join(printable(line) for line in text.split("\n"))


def formula_like(text: str) -> bool:
    """Would a spreadsheet read this text cell as a formula (or split it on a leading tab or line break)?

    A lone sign (the 指标性质 “=”) and a plain number (-5.00, +3, 12%) cannot hold a formula and stay as
    they are; anything longer that starts with = + - @ (or, after blanks, with one of them), or starts
    with a tab or line break, is formula-like.
    """
    if len(text) < 2:
        return False
    if text[0] in "\t\r\n":
        return True
    head = text.lstrip(_LEADING_BLANKS)
    return len(head) > 1 and head[0] in FORMULA_STARTS and not _PLAIN_NUMBER.match(head)


def csv_cell(value: Any) -> Any:
    """A CSV cell: text cleaned and, when a spreadsheet would run it, prefixed with an apostrophe."""
    if not isinstance(value, str):
        return value
    text = clean(value)
    return "'" + text if formula_like(text) else text


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~\[\]|])")


def markdown_cell(value: Any) -> str:
    """Text inside a Markdown table cell or line: one line, no raw HTML, no link, no cell break."""
    text = printable("" if value is None else value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)

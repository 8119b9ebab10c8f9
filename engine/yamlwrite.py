r"""Writing YAML that people read and edit: values that read back exactly as they were, on readable lines.

Used wherever the engine writes YAML a person keeps — imported cases, blank case templates, the resolved
scheme: numbers stay exact decimals as written, text that YAML would misread (a trailing colon, `yes`,
a leading `-`, `<<`, control characters) is quoted, and short mappings go on one line in flow style.

Every function here is total: for any text, reading the YAML back (`engine.load.parse_document`, or
PyYAML's `safe_load`) gives the same text. Characters YAML cannot carry as they are — C0 and C1
controls, DEL, the line and paragraph separators, a byte-order mark, bidi controls that would reorder
what an editor shows — are written as `\x..` / `\u....` escapes in double quotes. The one exception is
a lone surrogate (half of a UTF-16 pair): no UTF-8 file can hold it and libyaml refuses its escape,
so it is written as U+FFFD. A quoted value longer than a line may be is folded over several lines
with escaped line breaks, which YAML joins without adding anything; a key too long for YAML's simple
keys (1,024 characters) is written as an explicit `? key`. Comments are one line, escaped the same way.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_YAML_WORDS = {"", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", "<<", "="}

# What is written escaped: everything outside YAML's printable set, the characters it would take for
# line breaks (\x85, U+2028, U+2029), tab, the BOM, and the bidi controls (an override inside a value
# can make an editor show text other than what the file holds).
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNPRINTABLE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff{_BIDI}\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
FOLD_AT = 4_000  # characters of a quoted value per line before it is folded (the loader takes 100,000)
MAX_SIMPLE_KEY = 1_000  # YAML's implicit keys stop at 1,024 characters


def yaml_scalar(value: Any, in_flow: bool = False, typed: bool = False, indent: int = 0) -> str:
    """One value as YAML text that reads back as the same value (numbers stay exact decimals).

    A case keeps figures as the table wrote them, as text, and they are meant to read back as numbers;
    with `typed`, text stays text (a version "2025.1" is quoted) and only real numbers are bare.
    `indent` is where the value's line starts: a long value folds onto lines indented past it.
    """
    if value is None:
        return "~"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    text = _whole(str(value))
    if _PLAIN_NUMBER.match(text):
        return double_quoted(text) if typed else text
    if not text:
        return '""'
    special = text.lower() in _YAML_WORDS or re.match(r"^[-+.\d]", text) or text[0] in "!&*?|>'\"%@`#{}[],:-~=<"
    awkward = (any(mark in text for mark in (": ", " #", ":\t")) or text.endswith(":") or text != text.strip()
               or _UNPRINTABLE.search(text) is not None or len(text) > FOLD_AT)
    if special or awkward or (in_flow and any(ch in text for ch in ",[]{}:#?")):
        return double_quoted(text, indent)
    return text


def yaml_key(key: Any, indent: int = 0) -> str:
    """A mapping key that reads back as the same text (a key that looks like a number is quoted).

    A key longer than MAX_SIMPLE_KEY is returned as an explicit key, `? "…"` — write it with
    `key_value`, which puts its value on the line after. `indent` is where the key's line starts."""
    text = _whole(str(key))
    rendered = double_quoted(text) if _PLAIN_NUMBER.match(text) else yaml_scalar(text, in_flow=True)
    if len(rendered) > MAX_SIMPLE_KEY:
        return "? " + double_quoted(text, indent + 2)
    return rendered


def key_value(pad: str, key: Any, rest: str) -> str:
    """`key: rest` at `pad`, or an explicit key on its own line when it is too long to be a simple one.
    `rest` is what follows the colon: `" value  # comment"`, or `"  # comment"` before a nested block."""
    rendered = yaml_key(key, len(pad))
    if rendered.startswith("? "):
        return f"{pad}{rendered}\n{pad}:{rest}"
    return f"{pad}{rendered}:{rest}"


def double_quoted(text: str, indent: int = 0, fold: bool = True) -> str:
    """`text` in double quotes, escaped so that it reads back exactly; folded past FOLD_AT characters."""
    units = [_escape(ch) for ch in _whole(text)]
    if not fold or sum(map(len, units)) <= FOLD_AT:
        return '"' + "".join(units) + '"'
    lines: list[str] = []
    line: list[str] = []
    width = 0
    pad = " " * (indent + 2)
    for unit in units:
        if width >= FOLD_AT:
            lines.append("".join(line))
            line, width = [], 0
        if not line and lines and unit == " ":
            unit = "\\x20"  # a continuation line's leading space would be taken for indentation
        line.append(unit)
        width += len(unit)
    lines.append("".join(line))
    return '"' + ("\\\n" + pad).join(lines) + '"'


def _escape(ch: str) -> str:
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    if not _UNPRINTABLE.match(ch):
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _whole(text: str) -> str:
    """A surrogate pair (from a UTF-16 source) as its one character; a lone surrogate as U+FFFD."""
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))


def yaml_comment(text: Any) -> str:
    """Text for a `# …` comment: one line, every character YAML or an editor would act on escaped."""
    return "".join(_escape(ch) if ch not in '"\\' else ch for ch in _whole(str(text)))


def flow_mapping(mapping: dict[str, Any], typed: Any = False) -> str:
    """A mapping on one line, as YAML flow style: {a: 1, b: {c: 2}}.

    `typed` is a bool, or a function of the key telling whether that value's text stays text."""
    parts = []
    for key, value in mapping.items():
        keeps_text = typed(key) if callable(typed) else typed
        if isinstance(value, dict):
            rendered = flow_mapping(value, typed)
        elif isinstance(value, list):
            rendered = flow_value(value)
        else:
            rendered = yaml_scalar(value, in_flow=True, typed=keeps_text)
        name = yaml_key(key)
        parts.append(f"{name} : {rendered}" if name.startswith("? ") else f"{name}: {rendered}")
    return "{" + ", ".join(parts) + "}"


def flow_value(value: Any, indent: int = 0, in_flow: bool = False) -> str:
    """Any value on one line: a scalar as `yaml_scalar` writes it (text kept text), a list or mapping in
    flow style."""
    if isinstance(value, dict):
        return flow_mapping(value, typed=True)
    if isinstance(value, list):
        return "[" + ", ".join(flow_value(entry, in_flow=True) for entry in value) + "]"
    return yaml_scalar(value, in_flow=in_flow, typed=True, indent=indent)


def document_yaml(data: Any, positions: dict, here: str, folder: Any = None) -> str:
    """A whole document as block YAML, each line commented with the file and line its value came from.

    `positions` maps paths to (line, column[, file]); `here` is the file a position without a file is in;
    files are shown relative to `folder`. What `engine resolve` prints: the scheme as the engine sees it
    after `extends`, and where each part of it was written.
    """
    import os

    lines: list[str] = []

    def where(path: tuple) -> str:
        position = positions.get(path)
        if not position:
            return ""
        file = position[2] if len(position) > 2 and position[2] else here
        shown = os.path.relpath(file, folder) if folder else file
        return f"  # {yaml_comment(shown)}:{position[0]}"

    def emit(value: Any, path: tuple, indent: int, first_prefix: str | None = None) -> None:
        pad = "  " * indent
        items = list(value.items())
        for n, (key, item) in enumerate(items):
            lead = first_prefix if (first_prefix is not None and n == 0) else pad
            here_path = path + (key,)
            if isinstance(item, dict) and item:
                lines.append(key_value(lead, key, where(here_path)))
                emit(item, here_path, indent + 1)
            elif isinstance(item, list) and item:
                lines.append(key_value(lead, key, where(here_path)))
                for i, entry in enumerate(item):
                    if isinstance(entry, dict) and entry:
                        emit(entry, here_path + (i,), indent + 2, first_prefix=f"{pad}  - ")
                    else:
                        lines.append(f"{pad}  - {flow_value(entry, len(pad) + 2)}{where(here_path + (i,))}")
            else:
                rendered = "{}" if isinstance(item, dict) else "[]" if isinstance(item, list) else \
                    yaml_scalar(item, typed=True, indent=len(pad))
                lines.append(key_value(lead, key, f" {rendered}{where(here_path)}"))

    emit(data, (), 0)
    return "\n".join(lines) + "\n"

"""Writing YAML that people read and edit: values that read back exactly as they were, on readable lines.

Used wherever the engine writes YAML a person keeps — imported cases, blank case templates, the resolved
scheme: numbers stay exact decimals as written, text that YAML would misread (a trailing colon, `yes`,
a leading `-`, control characters) is quoted, and short mappings go on one line in flow style.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_YAML_WORDS = {"", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n"}


def yaml_scalar(value: Any, in_flow: bool = False, typed: bool = False) -> str:
    """One value as YAML text that reads back as the same value (numbers stay exact decimals).

    A case keeps figures as the table wrote them, as text, and they are meant to read back as numbers;
    with `typed`, text stays text (a version "2025.1" is quoted) and only real numbers are bare.
    """
    if value is None:
        return "~"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    text = str(value)
    if _PLAIN_NUMBER.match(text):
        return _double_quoted(text) if typed else text
    if not text:
        return '""'
    special = text.lower() in _YAML_WORDS or re.match(r"^[-+.\d]", text) or text[0] in "!&*?|>'\"%@`#{}[],:-~="
    awkward = (any(mark in text for mark in (": ", " #", ":\t")) or text.endswith(":") or text != text.strip()
               or _UNPRINTABLE.search(text) is not None)
    if special or awkward or (in_flow and any(ch in text for ch in ",[]{}:#")):
        return _double_quoted(text)
    return text


def yaml_key(key: Any) -> str:
    """A mapping key that reads back as the same text (a key that looks like a number is quoted)."""
    text = str(key)
    return _double_quoted(text) if _PLAIN_NUMBER.match(text) else yaml_scalar(text, in_flow=True)


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def _double_quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", escaped) + '"'


def flow_mapping(mapping: dict[str, Any]) -> str:
    """A mapping on one line, as YAML flow style: {a: 1, b: {c: 2}}."""
    parts = []
    for key, value in mapping.items():
        rendered = flow_mapping(value) if isinstance(value, dict) else yaml_scalar(value, in_flow=True)
        parts.append(f"{yaml_key(key)}: {rendered}")
    return "{" + ", ".join(parts) + "}"


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
        return f"  # {shown}:{position[0]}"

    def emit(value: Any, path: tuple, indent: int, first_prefix: str | None = None) -> None:
        pad = "  " * indent
        items = list(value.items())
        for n, (key, item) in enumerate(items):
            lead = first_prefix if (first_prefix is not None and n == 0) else pad
            here_path = path + (key,)
            if isinstance(item, dict) and item:
                lines.append(f"{lead}{yaml_key(key)}:{where(here_path)}")
                emit(item, here_path, indent + 1)
            elif isinstance(item, list) and item:
                lines.append(f"{lead}{yaml_key(key)}:{where(here_path)}")
                for i, entry in enumerate(item):
                    if isinstance(entry, dict) and entry:
                        emit(entry, here_path + (i,), indent + 2, first_prefix=f"{pad}  - ")
                    else:
                        lines.append(f"{pad}  - {yaml_scalar(entry, typed=True)}{where(here_path + (i,))}")
            else:
                rendered = "{}" if isinstance(item, dict) else "[]" if isinstance(item, list) else yaml_scalar(item, typed=True)
                lines.append(f"{lead}{yaml_key(key)}: {rendered}{where(here_path)}")

    emit(data, (), 0)
    return "\n".join(lines) + "\n"

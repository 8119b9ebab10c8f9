"""Shared error vocabulary: every problem knows where it sits in the file a person edits.

One root (`EngineError`) with two branches: `SchemeError` for problems in a scheme (the
author's fault, found before any case is seen) and `CaseError` for problems in a case's data.
An error carries one or more `Problem`s, so validation can collect everything before it reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .safe_text import printable

PathPart = str | int
Path = tuple[PathPart, ...]


def format_path(path: Sequence[PathPart]) -> str:
    """`("indicators", 3, "weight")` -> `indicators[3].weight`; keys with dots are quoted."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _plain_key(part):
            text += f".{part}" if text else part
        else:
            text += f'["{part}"]'
    return text


def _plain_key(key: str) -> bool:
    return bool(key) and not any(ch in key for ch in '.[]" ')


@dataclass(frozen=True)
class Location:
    """A place in a file; line and column count from 1, as editors show them."""

    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file or "<输入>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, told in Chinese to the person who can fix it."""

    message: str
    location: Location = field(default_factory=Location)
    path: Path = ()
    hint: str | None = None
    code: str = "invalid"

    def __str__(self) -> str:
        """One line for a terminal: the file name, path and message may quote the input, so controls show as marks."""
        text = f"{self.location}: "
        if self.path:
            text += f"{format_path(self.path)}："
        text += self.message
        if self.hint:
            text += f"（提示：{self.hint}）"
        return printable(text)

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.file or "", loc.line or 0, loc.column or 0, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "path": format_path(self.path),
            "message": self.message,
            "hint": self.hint,
        }


class EngineError(Exception):
    """Root of every error the engine reports to a user; holds one or more problems."""

    kind = "input"

    def __init__(self, problems: Problem | Iterable[Problem]):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = sorted(problems, key=Problem.sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "problems": [p.to_dict() for p in self.problems]}


class SchemeError(EngineError):
    """The scheme is wrong: found while loading, validating or compiling it."""

    kind = "scheme"


class CaseError(EngineError):
    """A case's data is wrong or incomplete for its scheme."""

    kind = "case"

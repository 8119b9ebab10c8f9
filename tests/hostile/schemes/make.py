"""Makers for the schemes class: YAML that would crash or bloat the C parser, and special files an extends
may point at. Each writes (or creates) the file at `path`."""

from __future__ import annotations

import os
from pathlib import Path

KB = 1024
MB = 1024 * KB


def dash_chain(path: Path) -> None:
    """500 KB of `- - - - …` on one line: 256,000 nested block sequences (SIGSEGV in the C composer)."""
    path.write_text("- " * (250 * KB) + "x\n", encoding="utf-8")


def short_dash_chain(path: Path) -> None:
    """40,000 nested sequences on one line: fewer marks than the node limit, so only the depth check stops it."""
    path.write_text("- " * 40_000 + "x\n", encoding="utf-8")


def question_chain(path: Path) -> None:
    """`? ? ? …`: nested complex keys, 40,000 deep."""
    path.write_text("? " * 40_000 + "x\n", encoding="utf-8")


def indented_keys(path: Path) -> None:
    """3,000 mappings nested by indentation, one more space a level."""
    path.write_text("".join(" " * i + "k:\n" for i in range(3000)), encoding="utf-8")


def indented_items(path: Path) -> None:
    """1,500 levels of `- k:` each two spaces deeper: a sequence and a mapping a line."""
    path.write_text("".join(" " * (2 * i) + "- k:\n" for i in range(1500)), encoding="utf-8")


def case_deep_under_a_key(path: Path) -> None:
    """A real-looking case whose funds hide 40,000 nested sequences."""
    path.write_text("scheme: project-self-eval\nfiscal_year: 2023\nname: x\nfunds:\n  " + "- " * 40_000 + "1\n",
                    encoding="utf-8")


def huge_plain(path: Path) -> None:
    """One plain scalar of 5 MB less a little (the file limit is 5 MiB)."""
    path.write_text("name: " + "x" * (5 * MB - 100) + "\n", encoding="utf-8")


def huge_quoted(path: Path) -> None:
    path.write_text('name: "' + "x" * (5 * MB - 100) + '"\n', encoding="utf-8")


def long_block_scalar(path: Path) -> None:
    """A block scalar of 60,000 short lines: each line short, the value 120,000 characters."""
    path.write_text("name: |\n" + "  x\n" * 60_000, encoding="utf-8")


def flow_numbers(path: Path) -> None:
    """[1,1,1,…]: 2 million tiny flow nodes in 4 MB (seconds and most of a gigabyte when composed)."""
    path.write_text("a: [" + "1," * 2_000_000 + "1]\n", encoding="utf-8")


def flow_mapping(path: Path) -> None:
    path.write_text("a: {" + "a: 1, " * 800_000 + "b: 1}\n", encoding="utf-8")


def question_keys(path: Path) -> None:
    """`? a` a line: a million explicit keys, each a duplicate of the first."""
    path.write_text("? a\n" * 1_000_000, encoding="utf-8")


def fifo(path: Path) -> None:
    os.mkfifo(path)


ROOT = Path(__file__).resolve().parents[3]


def case_of_5000_digits(path: Path) -> None:
    """沾益 fire-insurance with a 5,000-digit 全年执行数: more digits than Python converts to int."""
    text = (ROOT / "cases/zhanyi-2023/projects/fire-insurance.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("executed: 38.50}   # 年度资金总额", "executed: " + "9" * 5000 + "}   # 年度资金总额", 1),
                    encoding="utf-8")


def scheme_of_5000_digits(path: Path) -> None:
    """The project scheme with a 5,000-digit weight."""
    text = (ROOT / "schemes/project-self-eval/2023.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("    weight: 10\n", "    weight: 1" + "0" * 4999 + "\n", 1), encoding="utf-8")

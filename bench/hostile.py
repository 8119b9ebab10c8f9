"""Hostile-input benchmark: the CPU time and peak memory of refusing each hostile input.

    python bench/hostile.py

Each formula of tests/hostile/formulas.yaml is put into the shipped project scheme and loaded (and a
case scored when it loads), and each YAML trap is parsed, in this process: printed are the CPU seconds
(process time, so a busy machine does not inflate it) and the peak memory (tracemalloc) of the worst
ones, each against its limit — 1 s and 100 MB — and the count over the limit. The test suite checks
only that every input is refused or bounded with a located message; the bounds are measured here.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from engine.errors import EngineError  # noqa: E402
from engine.load import load_document, parse_document  # noqa: E402

SECONDS, MEGABYTES = 1.0, 100
SCHEME = ROOT / "schemes" / "project-self-eval" / "2023.yaml"
CASE = ROOT / "cases" / "zhanyi-2023" / "projects" / "fire-insurance.yaml"
ORIGINAL = "formula: ratio(全年执行数, 全年预算数, if_zero=na) * 100"


def formula_text(spec) -> str:  # noqa: ANN001
    if isinstance(spec, dict):
        return spec.get("prefix", "") + spec["repeat"] * spec["times"] + spec.get("then", "") + \
            spec.get("close", "") * spec["times"]
    return spec


def measured(action) -> tuple[float, float, str]:  # noqa: ANN001
    tracemalloc.start()
    start = time.process_time()
    try:
        action()
        outcome = "accepted"
    except EngineError:
        outcome = "refused"
    seconds = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return seconds, peak, outcome


def formulas(folder: Path) -> list[tuple[str, float, float, str]]:
    rows = []
    text = SCHEME.read_text(encoding="utf-8")
    for case in load_document(ROOT / "tests" / "hostile" / "formulas.yaml").data:
        if case.get("cycle"):
            body = text.replace("derived:\n", 'derived:\n  甲: {formula: 乙 + 1}\n  乙: {formula: "甲 * 2"}\n', 1)
        else:
            body = text.replace(ORIGINAL, "formula: " + json.dumps(formula_text(case["formula"]), ensure_ascii=False))
        path = folder / "hostile.yaml"
        path.write_text(body, encoding="utf-8")

        def attempt() -> None:
            engine.score_file(engine.load_scheme(path), CASE)

        rows.append((f"formula: {case['name']}", *measured(attempt)))
    return rows


def yaml_traps() -> list[tuple[str, float, float, str]]:
    laughs = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 9) + "]" for i in range(1, 10)]
    traps = {
        "billion laughs": "\n".join(laughs),
        "200,000 nested flow brackets": "a: " + "[" * 200_000 + "]" * 200_000,
        "5 MB of one scalar": "a: " + "x" * (5 * 1024 * 1024 - 10),
        "100,000 keys": "\n".join(f"k{i}: {i}" for i in range(100_000)),
    }
    return [(f"yaml: {name}", *measured(lambda text=text: parse_document(text, "trap.yaml"))) for name, text in traps.items()]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        rows = formulas(Path(folder)) + yaml_traps()
    rows.sort(key=lambda row: -max(row[1] / SECONDS, row[2] / MEGABYTES))
    print(f"{len(rows)} hostile inputs; the ten most costly, as a share of the limits ({SECONDS:g} s CPU, {MEGABYTES} MB):")
    for name, seconds, peak, outcome in rows[:10]:
        print(f"  {seconds / SECONDS:6.1%} of the time  {peak / MEGABYTES:6.1%} of the memory  {outcome:8}  {name}")
    over = [row for row in rows if row[1] > SECONDS or row[2] > MEGABYTES]
    print(f"over a limit: {len(over)}" + "".join(f"\n  {name}: {s:.2f} s, {m:.0f} MB" for name, s, m, _ in over))


if __name__ == "__main__":
    main()

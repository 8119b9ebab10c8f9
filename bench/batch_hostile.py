"""What poisoned cases cost a batch: `engine batch` on 10,000 good cases, then on the same with one case of
every hostile class beside them, and JSON Lines read in one pass.

    python bench/batch_hostile.py [--cases 10000] [--jobs N] [--lines 8000] [--before PATH]

The good cases are the seven 沾益 projects with varied figures (budget ×0.5–2, 执行率 70–105 %). The
poisoned folder holds one of each class: a FIFO, a socket and a link to /dev/zero under case names, a
link loop, a link to the folder itself, an unreadable folder, a broken YAML, an alias bomb, a 400 KB
block-sequence nesting (it crashed the YAML C parser), a figure of 1e999999999, a case whose worker is
killed by SIGSEGV (the ENGINE_TEST_CRASH_ON hook, so the recovery path is timed whatever the parser
does), and a .jsonl with a line nested 100,000 deep, a 2 MB line, a 5,000-digit number and NaN. Printed:
both times and their ratio (target < 2), with the check that the poisoned run exits 1 with 10,000 scored
rows plus one located error row per poisoned case. Then JSON Lines: the time for N/4 and N lines
(linear: ≈ 4×; the old per-line re-read was quadratic: ≈ 16×), and with `--before PATH` (a source tree
with engine/ and schemas/, e.g. `git archive 7484c87 engine schemas | tar -x -C /tmp/before`) the same
N lines on that code. Every command runs as a separate process, as a user would run it.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCHEME = ROOT / "schemes" / "project-self-eval" / "2023.yaml"
PROJECTS = sorted((ROOT / "cases" / "zhanyi-2023" / "projects").glob("*.yaml"))
FUNDS = re.compile(r"(?m)^  (total|appropriation):(\s*)\{initial_budget: ([\d.]+), full_year_budget: ([\d.]+), "
                   r"executed: ([\d.]+)\}")
CENT = Decimal("0.01")
CRASHING = "crash-the-worker.yaml"


def _makers():
    spec = importlib.util.spec_from_file_location("hostile_batch_make", ROOT / "tests" / "hostile" / "batch" / "make.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def varied(text: str, rng: random.Random, number: int) -> str:
    """A project with its figures changed: budget ×0.5–2, executed 70–105 % of it."""
    factor = Decimal(rng.randint(50, 200)) / 100
    rate = Decimal(rng.randint(70, 105)) / 100
    budget = None

    def funds(match: re.Match) -> str:
        nonlocal budget
        if budget is None:
            budget = (Decimal(match.group(4)) * factor).quantize(CENT)
        executed = (budget * rate).quantize(CENT)
        return (f"  {match.group(1)}:{match.group(2)}{{initial_budget: {budget}, full_year_budget: {budget}, "
                f"executed: {executed}}}")

    text = FUNDS.sub(funds, text)
    return re.sub(r"(?m)^name: (.+)$", lambda m: f"name: {m.group(1)}（{number}）", text, count=1)


def generate_good(folder: Path, count: int, seed: int = 2023) -> None:
    rng = random.Random(seed)
    texts = [p.read_text(encoding="utf-8") for p in PROJECTS]
    folder.mkdir(parents=True)
    for number in range(count):
        (folder / f"case{number:06d}.yaml").write_text(varied(texts[number % len(texts)], rng, number), encoding="utf-8")


def generate_poisoned(folder: Path) -> list[str]:
    """One case of each hostile class; returns the names each error row must carry (one row each)."""
    make = _makers()
    folder.mkdir(parents=True)
    fire = PROJECTS[1].read_text(encoding="utf-8")
    make.fifo(folder / "fifo.yaml")
    make.socket(folder / "socket.yaml")
    make.link_to_dev_zero(folder / "dev-zero.yaml")
    make.link_to_itself(folder / "loop.yaml")
    make.link_to_here(folder / "here")  # adds no row: the folder is walked once
    make.locked_folder(folder / "locked")
    make.deep_yaml(folder / "deep-sequences.yaml")
    (folder / "broken.yaml").write_text("scheme: project-self-eval\nname: [unclosed\n", encoding="utf-8")
    (folder / "alias-bomb.yaml").write_text(
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
                                                            for i in range(8)), encoding="utf-8")
    (folder / "huge-number.yaml").write_text(fire.replace("executed: 38.50}", "executed: 1e999999999}", 1), encoding="utf-8")
    (folder / CRASHING).write_text(fire, encoding="utf-8")
    lines = folder / "poisoned.jsonl"
    make.jsonl_deep_line(lines)  # line 1 and 3 are good cases, line 2 nested 100,000 deep
    with open(lines, "a", encoding="utf-8") as stream:
        stream.write('{"name": "' + "长" * 700_000 + '"}\n')  # line 4: 2.1 MB
        stream.write('{"funds": ' + "9" * 5000 + "}\n")  # line 5
        stream.write('{"funds": NaN}\n')  # line 6
    return ["fifo.yaml", "socket.yaml", "dev-zero.yaml", "loop.yaml", "/locked", "deep-sequences.yaml", "broken.yaml",
            "alias-bomb.yaml", "huge-number.yaml", CRASHING, "poisoned.jsonl:2", "poisoned.jsonl:4", "poisoned.jsonl:5",
            "poisoned.jsonl:6"]


def run(arguments: list[str], *, tree: Path = ROOT, environment: dict | None = None) -> tuple[float, int, str]:
    """Wall time, exit code and stderr of `python -m engine …` run from the source tree `tree`."""
    env = {**os.environ, "PYTHONPATH": str(tree), **(environment or {})}
    start = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "engine", *arguments], cwd=tree, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return time.perf_counter() - start, completed.returncode, completed.stderr


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))[1:]


def jsonl(path: Path, count: int) -> None:
    from engine.load import load_document
    from engine.report import dumps

    texts = [dumps(load_document(p).data, indent=0).replace("\n", "") for p in PROJECTS]
    with open(path, "w", encoding="utf-8") as stream:
        for number in range(count):
            stream.write(texts[number % len(texts)] + "\n")


def main() -> list[str]:
    """Run and print; the targets missed (empty when all are met), for bench/run.py to report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--lines", type=int, default=8_000)
    parser.add_argument("--before", type=Path, default=None, help="a source tree of earlier code, for the JSON Lines timing")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="engine-bench-hostile-"))
    failures = []
    try:
        good, poisoned = work / "good", work / "poisoned"
        print(f"generating {options.cases:,} cases and the poisoned folder in {work} …")
        generate_good(good, options.cases)
        expected = generate_poisoned(poisoned)
        jobs = ["--jobs", str(options.jobs)]
        clean, clean_code, _ = run(["batch", str(SCHEME), str(good), "-o", str(work / "clean.csv"), *jobs])
        dirty, dirty_code, printed = run(["batch", str(SCHEME), str(good), str(poisoned), "-o", str(work / "poisoned.csv"),
                                          *jobs], environment={"ENGINE_TEST_CRASH_ON": CRASHING})
        table = rows(work / "poisoned.csv") if (work / "poisoned.csv").exists() else []
        scored = [r for r in table if not r[7]]
        errors = [r for r in table if r[7]]
        good_scored = sum(1 for r in scored if Path(r[0]).parent == good)
        located = {name: [r for r in errors if name in r[0] and r[7].startswith(r[0])] for name in expected}

        lines = work / "lines.jsonl"
        quarter = work / "quarter.jsonl"
        jsonl(lines, options.lines)
        jsonl(quarter, options.lines // 4)
        small, _, _ = run(["batch", str(SCHEME), str(quarter), "-o", str(work / "q.csv"), *jobs])
        large, large_code, _ = run(["batch", str(SCHEME), str(lines), "-o", str(work / "l.csv"), *jobs])
        before = None
        if options.before is not None:
            before, _, _ = run(["batch", str(SCHEME), str(lines), "-o", str(work / "b.csv"), *jobs], tree=options.before)
    finally:
        locked = work / "poisoned" / "locked"
        if locked.exists() and not locked.is_symlink():
            locked.chmod(0o755)
        shutil.rmtree(work, ignore_errors=True)

    def line(label: str, value: str, target: str, ok: bool) -> None:
        print(f"  {label:46s} {value:>24s}   {target:22s} {'ok' if ok else 'MISSED'}")
        if not ok:
            failures.append(label)

    print(f"\n{options.cases:,} cases, --jobs {options.jobs}, {os.cpu_count()} CPU cores")
    line("clean batch", f"{clean:.2f} s (exit {clean_code})", "exit 0", clean_code == 0)
    line(f"with {len(expected)} poisoned cases", f"{dirty:.2f} s (exit {dirty_code})", "exit 1", dirty_code == 1)
    line("poisoned / clean", f"{dirty / clean:.2f}×", "< 2", dirty / clean < 2)
    line("good cases scored beside the poison", f"{good_scored:,}", f"{options.cases:,}", good_scored == options.cases)
    line("rows: scored + error", f"{len(scored):,} + {len(errors):,}", f"{options.cases + 2:,} + {len(expected)}",
         (len(scored), len(errors)) == (options.cases + 2, len(expected)))
    missing = [name for name, found in located.items() if len(found) != 1]
    line("one located error row per poisoned case", "all" if not missing else "missing: " + "、".join(missing), "all",
         not missing)
    shown = len([x for x in printed.splitlines() if x.startswith(str(poisoned))])
    line("error lines on the terminal", f"{shown}", "≤ 20", shown <= 20)
    print()
    line(f"JSON Lines, {options.lines // 4:,} lines", f"{small:.2f} s", "", True)
    line(f"JSON Lines, {options.lines:,} lines", f"{large:.2f} s (exit {large_code})", "exit 0", large_code == 0)
    line("  growth for 4× the lines", f"{large / small:.2f}×", "linear ≈ 4×, < 8×", large / small < 8)
    if before is not None:
        line(f"JSON Lines, {options.lines:,} lines, {options.before}", f"{before:.2f} s", "", True)
        line("  before / now", f"{before / large:.1f}×", "", True)
    return failures


if __name__ == "__main__":
    sys.exit(1 if main() else 0)

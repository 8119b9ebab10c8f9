"""End-to-end benchmark of `engine batch`, its memory, and the cold start of `engine score`.

    python bench/batch.py [--cases 20000] [--turns 3] [--lines 2000 20000] [--memory 2000 20000]
    python bench/batch.py --full     # the issue's sizes: lines 2,000 / 200,000, memory 20,000 / 200,000 inputs

Generates N project case files (20 indicator rows each, with what a published table reports: see
bench/evaluation.py), the same cases as one JSON Lines file, and times every command as a separate
process, as a user runs it. Each figure is paired with its baseline measured in the same run, in
alternation (baseline, measured, baseline, measured …), so a busy machine slows both alike; the ratio
is printed as the median of the turns with their min–max.

Targets (issue 15):
- `engine batch --jobs 1` over the YAML files ≥ 100 % of a loop that only parses them with PyYAML's
  C loader (must: ≥ 85 %);
- over the same cases as JSON Lines ≥ 2× the YAML-folder rate, and linear: the rate at the larger
  line count ≥ 0.9× the rate at the smaller;
- `--jobs 2` ≥ 1.85× `--jobs 1` (on a quiet machine: with another process busy a second core is not
  there to be had — the line says how busy the machine was);
- peak memory at the larger input count ≤ 1.1× at the smaller;
- a cold `engine score` ≤ 1.0× a bare import of its dependencies.
Exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from evaluation import synthetic_case  # noqa: E402

SCHEME = ROOT / "schemes" / "project-self-eval" / "2023.yaml"
CASE = ROOT / "cases" / "zhanyi-2023" / "projects" / "fire-insurance.yaml"
ENGINE = str(Path(sys.executable).parent / "engine")

PARSE_ONLY = """
import sys, yaml
from pathlib import Path
for path in sorted(Path(sys.argv[1]).glob("*.yaml")):
    yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
"""
# The libraries a scorer of YAML cases checked by JSON Schema and printed as a table imports (the baseline
# of issues 6 and 15; `engine score` itself checks through a generated gate and never imports jsonschema).
# The packages `engine score` imports or may import (pyproject's dependencies on its path): simpleeval
# always, fastjsonschema whenever a scheme is new or changed, jsonschema to name an invalid file's problems.
# (Until 2026-11-30 simpleeval and fastjsonschema were left out, though the engine always paid for the first.)
BARE_IMPORTS = "import yaml, jsonschema, fastjsonschema, simpleeval, click, tabulate"


def generate(folder: Path, count: int, seed: int = 2023) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"case{i:06d}.yaml").write_text(synthetic_case(rng, 20), encoding="utf-8")


def generate_lines(target: Path, count: int, seed: int = 2023) -> None:
    """The same synthetic cases as JSON Lines, one case a line (numbers as JSON numbers)."""
    import yaml

    rng = random.Random(seed)
    with target.open("w", encoding="utf-8") as out:
        for _ in range(count):
            data = yaml.load(synthetic_case(rng, 20), Loader=yaml.CSafeLoader)
            out.write(json.dumps(data, ensure_ascii=False) + "\n")


# As installed code runs: compiled to bytecode once and read from __pycache__ after (a machine that sets
# PYTHONDONTWRITEBYTECODE would have every run compile the engine's modules from their source).
_ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def run(command: list[str]) -> float:
    start = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env=_ENVIRONMENT)
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed:\n{completed.stderr}")
    return elapsed


def paired(baseline: list[str], measured: list[str], turns: int) -> tuple[float, float, list[float]]:
    """Best seconds of each, and each turn's ratio baseline time / measured time (> 1: measured faster)."""
    ratios, best_base, best_measured = [], float("inf"), float("inf")
    for _ in range(turns):
        base, took = run(baseline), run(measured)
        best_base, best_measured = min(best_base, base), min(best_measured, took)
        ratios.append(base / took)
    return best_base, best_measured, ratios


def peak_memory(command: list[str]) -> int:
    """Peak resident memory (KiB) of one run, by GNU time when present (the largest of the processes)."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    if os.path.exists(gnu_time):
        completed = subprocess.run([gnu_time, "-f", "%M", *command], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        return int(completed.stderr.strip().splitlines()[-1])
    import resource

    run(command)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def load_average() -> str:
    try:
        return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    except OSError:
        return f"{os.cpu_count()} cores"


class Report:
    def __init__(self) -> None:
        self.missed: list[str] = []

    def ratio(self, label: str, figures: str, ratios: list[float], target: float, must: float | None = None,
              unit: str = "×") -> None:
        median = statistics.median(ratios)
        shown = (f"{median:.0%} ({min(ratios):.0%}–{max(ratios):.0%})" if unit == "%" else
                 f"{median:.2f}× ({min(ratios):.2f}–{max(ratios):.2f})")
        wanted = f"≥ {target:.0%}" if unit == "%" else f"≥ {target:.2f}×"
        ok = median >= target
        verdict = "ok" if ok else ("MISSED (must met)" if must is not None and median >= must else "MISSED")
        if not ok:
            self.missed.append(f"{label}: {shown} (target {wanted})")
        print(f"  {label:38s} {figures:>34s}   {shown:>22s}  {wanted:>8s}  {verdict}")

    def at_most(self, label: str, figures: str, values: list[float], limit: float) -> None:
        median = statistics.median(values)
        shown = f"{median:.2f}× ({min(values):.2f}–{max(values):.2f})" if len(values) > 1 else f"{median:.2f}×"
        ok = median <= limit
        if not ok:
            self.missed.append(f"{label}: {shown} (target ≤ {limit:.2f}×)")
        print(f"  {label:38s} {figures:>34s}   {shown:>22s}  ≤ {limit:.2f}×  {'ok' if ok else 'MISSED'}")


def main() -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000, help="case files timed (default 20,000, as issue 6 measured)")
    parser.add_argument("--turns", type=int, default=3, help="turns of each pair (default 3)")
    parser.add_argument("--lines", type=int, nargs=2, default=[2_000, 20_000], help="JSON Lines sizes compared")
    parser.add_argument("--memory", type=int, nargs=2, default=[2_000, 20_000], help="input counts compared for memory")
    parser.add_argument("--full", action="store_true", help="the issue's sizes: --lines 2000 200000 --memory 20000 200000")
    options = parser.parse_args()
    if options.full:
        options.lines, options.memory = [2_000, 200_000], [20_000, 200_000]
    n = options.cases
    report = Report()
    work = Path(tempfile.mkdtemp(prefix="engine-bench-"))
    try:
        cases = work / "cases"
        print(f"generating {n:,} case files, JSON Lines of {options.lines[1]:,} lines and a folder of "
              f"{options.memory[1]:,} files in {work} …")
        generate(cases, n)
        generate_lines(work / "cases.jsonl", n)
        print(f"\n{n:,} cases of 20 rows, {load_average()} at the start")
        batch = [ENGINE, "batch", "--force", str(SCHEME)]
        parse, one, ratios = paired([sys.executable, "-c", PARSE_ONLY, str(cases)],
                                    batch + [str(cases), "-o", str(work / "one.csv"), "--jobs", "1"], options.turns)
        report.ratio("batch --jobs 1 vs parse only (C loader)", f"{n / one:,.0f} vs {n / parse:,.0f} cases/s", ratios,
                     1.00, 0.85, unit="%")
        folder_one, lines_one, ratios = paired(
            batch + [str(cases), "-o", str(work / "folder.csv"), "--jobs", "1"],
            batch + [str(work / "cases.jsonl"), "-o", str(work / "lines.csv"), "--jobs", "1"], options.turns)
        report.ratio("JSON Lines vs the YAML folder, --jobs 1", f"{n / lines_one:,.0f} vs {n / folder_one:,.0f} cases/s",
                     ratios, 2.0)
        one_job, two_jobs, ratios = paired(batch + [str(cases), "-o", str(work / "one.csv"), "--jobs", "1"],
                                           batch + [str(cases), "-o", str(work / "two.csv"), "--jobs", "2"], options.turns)
        report.ratio("--jobs 2 vs --jobs 1", f"{n / two_jobs:,.0f} vs {n / one_job:,.0f} cases/s", ratios, 1.85)
        same = (work / "one.csv").read_bytes() == (work / "two.csv").read_bytes()
        print(f"  {'same results with 1 and 2 jobs':38s} {'yes' if same else 'NO':>34s}")
        if not same:
            report.missed.append("results differ between --jobs 1 and --jobs 2")

        small, large = options.lines
        generate_lines(work / "small.jsonl", small, seed=11)
        generate_lines(work / "large.jsonl", large, seed=11)
        small_seconds = large_seconds = float("inf")
        per_turn = []
        for _ in range(options.turns):
            a = run(batch + [str(work / "small.jsonl"), "-o", str(work / "s.csv"), "--jobs", "1"])
            b = run(batch + [str(work / "large.jsonl"), "-o", str(work / "l.csv"), "--jobs", "1"])
            small_seconds, large_seconds = min(small_seconds, a), min(large_seconds, b)
            per_turn.append((large / b) / (small / a))
            if b > 120:
                break  # one turn of a long run says enough
        report.ratio(f"JSON Lines rate, {large:,} vs {small:,} lines",
                     f"{large / large_seconds:,.0f} vs {small / small_seconds:,.0f} lines/s", per_turn, 0.90)
        (work / "lines.jsonl").unlink(missing_ok=True)

        little, big = options.memory
        shutil.rmtree(cases, ignore_errors=True)
        generate(work / "few", little, seed=7)
        generate(work / "many", big, seed=7)
        memory_small = peak_memory(batch + [str(work / "few"), "-o", str(work / "m1.csv"), "--jobs", "1"])
        memory_big = peak_memory(batch + [str(work / "many"), "-o", str(work / "m2.csv"), "--jobs", "1"])
        report.at_most(f"peak memory, {big:,} vs {little:,} files",
                       f"{memory_big / 1024:.1f} vs {memory_small / 1024:.1f} MiB", [memory_big / memory_small], 1.10)

        run([ENGINE, "score", str(SCHEME), str(CASE)])  # writes the bytecode of every module a score imports
        imports, score, ratios = paired([sys.executable, "-c", BARE_IMPORTS],
                                        [ENGINE, "score", str(SCHEME), str(CASE)], max(7, options.turns))
        report.at_most("cold start: engine score vs bare imports", f"{score:.3f} vs {imports:.3f} s",
                       [1 / ratio for ratio in ratios], 1.00)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"  ({load_average()} at the end)")
    return report.missed


if __name__ == "__main__":
    missed = main()
    if missed:
        print("targets missed: " + "; ".join(missed))
    sys.exit(1 if missed else 0)

"""End-to-end benchmark of `engine batch`, its memory, and the cold start of `engine score`.

    python bench/batch.py [--cases 20000]

Generates N project case files (a 28-line case with 20 indicator rows each), then times: a plain
loop that only parses them with PyYAML's C loader; `engine batch` with one job; with two jobs.
Peak memory of the batch is compared at N and N/10 cases, and one `engine score` against a bare
import of its dependencies. Every command is run as a separate process, as a user would.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
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


def generate(folder: Path, count: int, seed: int = 2023) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"case{i:06d}.yaml").write_text(synthetic_case(rng, 20), encoding="utf-8")


def timed(command: list[str], repeat: int = 1) -> tuple[float, int]:
    """Best wall time of `command` and its peak resident memory (KiB)."""
    best, peak = float("inf"), 0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        elapsed = time.perf_counter() - start
        if completed.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} failed:\n{completed.stderr}")
        best = min(best, elapsed)
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return best, peak


def peak_memory(command: list[str]) -> int:
    """Peak resident memory of one run, measured by GNU time when present (children of children included)."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    if os.path.exists(gnu_time):
        completed = subprocess.run([gnu_time, "-f", "%M", *command], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        return int(completed.stderr.strip().splitlines()[-1])
    return timed(command)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    options = parser.parse_args()
    n, small = options.cases, max(options.cases // 10, 1)
    work = Path(tempfile.mkdtemp(prefix="engine-bench-"))
    try:
        big, little = work / "big", work / "small"
        print(f"generating {n:,} and {small:,} case files in {work} …")
        generate(big, n)
        generate(little, small, seed=7)
        parse, _ = timed([sys.executable, "-c", PARSE_ONLY, str(big)])
        one, _ = timed([ENGINE, "batch", str(SCHEME), str(big), "-o", str(work / "one.csv"), "--jobs", "1"])
        two, _ = timed([ENGINE, "batch", str(SCHEME), str(big), "-o", str(work / "two.csv"), "--jobs", "2"])
        same = (work / "one.csv").read_bytes() == (work / "two.csv").read_bytes()
        memory_big = peak_memory([ENGINE, "batch", str(SCHEME), str(big), "-o", str(work / "m1.csv"), "--jobs", "1"])
        memory_small = peak_memory([ENGINE, "batch", str(SCHEME), str(little), "-o", str(work / "m2.csv"), "--jobs", "1"])
        imports, _ = timed([sys.executable, "-c", "import yaml, jsonschema, click, tabulate"], repeat=5)
        score, _ = timed([ENGINE, "score", str(SCHEME), str(CASE)], repeat=5)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def line(label: str, value: str, target: str, ok: bool) -> None:
        print(f"  {label:42s} {value:>22s}   {target:18s} {'ok' if ok else 'MISSED'}")

    print(f"\n{n:,} cases, {os.cpu_count()} CPU cores")
    line("parse only, PyYAML C loader", f"{n / parse:,.0f} cases/s", "", True)
    line("engine batch --jobs 1", f"{n / one:,.0f} cases/s", "≥ 70 % of parse", n / one >= 0.7 * n / parse)
    print(f"  {'':42s} {one and parse / one:>21.0%}")
    line("engine batch --jobs 2", f"{n / two:,.0f} cases/s", "≥ 1.6 × jobs 1", one / two >= 1.6)
    print(f"  {'':42s} {one / two:>20.2f}×")
    line("same results with 1 and 2 jobs", "yes" if same else "NO", "identical", same)
    line(f"peak memory, {n:,} vs {small:,} cases", f"{memory_big / 1024:.0f} / {memory_small / 1024:.0f} MiB",
         "≤ 1.2 ×", memory_big <= 1.2 * memory_small)
    line("cold start: engine score vs imports", f"{score:.3f} / {imports:.3f} s", "≤ 1.5 ×", score <= 1.5 * imports)
    print(f"  {'':42s} {score / imports:>20.2f}×")


if __name__ == "__main__":
    main()

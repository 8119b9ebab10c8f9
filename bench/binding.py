"""Benchmark: binding a case to its scheme, against parsing the same text with PyYAML's C loader.

    python bench/binding.py [--cases N] [--rows R ...] [--turns K]   (or python bench/run.py)

The cases are bench/evaluation.py's seeded synthetic project cases (R indicator rows each). In each
turn the same texts are parsed with yaml.CSafeLoader (the baseline), loaded with our loader, loaded
and bound by bind_case (the plain schema gate, then the scheme's compiled binder) and loaded and
bound by bind_checked (the schema validators, then the checking binder). Binding is timed as a case
is in a batch — right after it was loaded — so a bind costs load-and-bind less load. Each figure is
printed per case and as a share of the C loader's parse, the median of the turns with min–max.

Target (issue 15): bind_case ≤ 10 % of the parse (must: ≤ 20 %), so that `engine batch` can keep up
with a loop that only parses.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine.api import load_scheme  # noqa: E402
from engine.bind import bind_case, bind_checked  # noqa: E402
from engine.load import parse_document  # noqa: E402
from evaluation import synthetic_case  # noqa: E402

SCHEME = ROOT / "schemes" / "project-self-eval" / "2023.yaml"
TARGET, MUST = 0.10, 0.20


def per_case(run, texts: list[str]) -> float:
    start = time.perf_counter()
    run(texts)
    return (time.perf_counter() - start) / len(texts)


def main() -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--rows", type=int, nargs="+", default=[3, 20])
    parser.add_argument("--turns", type=int, default=9)
    options = parser.parse_args()
    scheme = load_scheme(SCHEME)
    missed = []

    def parse(texts):
        for text in texts:
            yaml.load(text, Loader=yaml.CSafeLoader)

    def load(texts):
        for i, text in enumerate(texts):
            parse_document(text, f"case-{i}.yaml")

    def load_and_bind(texts):
        for i, text in enumerate(texts):
            _, problems = bind_case(scheme, parse_document(text, f"case-{i}.yaml"))
            assert not problems

    def load_and_check(texts):
        for i, text in enumerate(texts):
            bind_checked(scheme, parse_document(text, f"case-{i}.yaml"))

    for rows in options.rows:
        rng = random.Random(2023)
        texts = [synthetic_case(rng, rows) for _ in range(options.cases)]
        load_and_bind(texts[:10])  # the compiled binder and gate are made on first use
        turns = []
        for _ in range(options.turns):
            parsed, loaded = per_case(parse, texts), per_case(load, texts)
            bound, checked = per_case(load_and_bind, texts) - loaded, per_case(load_and_check, texts) - loaded
            turns.append((parsed, bound, checked))
        parsed = statistics.median(turn[0] for turn in turns)
        print(f"{rows} rows, {options.cases} cases, {options.turns} turns; C loader parse {parsed * 1e6:.0f} µs a case")
        for label, index in (("bind_case (gate + compiled binder)", 1), ("bind_checked (validators + checking binder)", 2)):
            ratios = [turn[index] / turn[0] for turn in turns]
            cost = statistics.median(turn[index] for turn in turns)
            print(f"  {label:44s} {cost * 1e6:6.0f} µs  {statistics.median(ratios):6.1%} of the parse "
                  f"({min(ratios):.1%}–{max(ratios):.1%})")
        share = statistics.median(turn[1] / turn[0] for turn in turns)
        verdict = "met" if share <= TARGET else "must met" if share <= MUST else "MISSED"
        print(f"  target ≤ {TARGET:.0%} (must ≤ {MUST:.0%}): {verdict}")
        if share > MUST:
            missed.append(f"binding {rows} rows: {share:.1%} of the parse")
    return missed


if __name__ == "__main__":
    sys.exit(1 if main() else 0)

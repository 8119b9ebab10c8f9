"""Benchmark: the compiled project scheme against a hand-written scorer of the same rules.

    python bench/evaluation.py [--cases N] [--rows R] [--seed S]   (or python bench/run.py for everything)

Both score the same seeded synthetic project cases (R indicator rows each, mixed ≥ / ≤ / =)
with the same Decimal arithmetic and half-up rounding; the script checks they agree on every
total, then prints cases per second for each and the engine's share of the hand-written rate.
Only evaluation is timed: the cases are read and checked once beforehand, as a batch would.
"""

from __future__ import annotations

import argparse
import decimal
import random
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from engine.formula import DECIMAL_CONTEXT  # noqa: E402
from engine.load import parse_document  # noqa: E402
from engine.validate import bind_case  # noqa: E402

SCHEME = ROOT / "schemes" / "project-self-eval" / "2023.yaml"
CENT = Decimal("0.01")
GRADES = ((Decimal(90), "优"), (Decimal(80), "良"), (Decimal(60), "中"), (Decimal(0), "差"))


def synthetic_case(rng: random.Random, rows: int) -> str:
    """A project case as YAML text: random amounts, R rows whose 分值 add up to 90."""
    budget = Decimal(rng.randint(1_000, 500_000)) / 100
    executed = (budget * Decimal(rng.randint(70, 105)) / 100).quantize(CENT)
    weights = [90 // rows] * rows
    weights[0] += 90 - sum(weights)
    lines = [
        "scheme: project-self-eval", "fiscal_year: 2023", "kind: project", f"name: 合成项目{rng.randint(1, 10**6)}",
        "funds:",
        f"  total: {{initial_budget: {budget}, full_year_budget: {budget}, executed: {executed}}}",
        f"  appropriation: {{initial_budget: {budget}, full_year_budget: {budget}, executed: {executed}}}",
        "indicators:",
    ]
    for i, weight in enumerate(weights):
        nature = rng.choice(["≥", "≥", "≤", "="])
        target = rng.randint(1, 500)
        actual = Decimal(rng.randint(0, target * 130)) / 100
        lines.append(f"  - {{level1: 产出指标, level2: 数量指标, name: 指标{i}, nature: \"{nature}\", "
                     f"target: {target}, unit: 个, actual: {actual}, weight: {weight}}}")
    return "\n".join(lines) + "\n"


ZERO, HUNDRED, OVER_COMPLETION = Decimal(0), Decimal(100), Decimal(130)


def hand_written_score(budget: Decimal, executed: Decimal, rows: list[tuple]) -> tuple[list, Decimal, str]:
    """The same rules written directly in Python, giving what the table needs: each row's score
    (with the over-completion flag the deviation check reads), the total and the grade."""
    rate = executed / budget * HUNDRED
    execution = Decimal(10) if rate >= HUNDRED else (rate / HUNDRED * 10).quantize(CENT, ROUND_HALF_UP)
    scores = [(execution, False)]
    total = execution
    for nature, target, actual, weight in rows:
        if actual < 0:
            actual = ZERO
        over = False
        if nature == "≤":
            if target == 0:
                score = weight if actual <= 0 else ZERO
            else:
                score = weight if actual <= target else target / actual * weight
        elif target == 0:
            score = weight if nature == "≥" or actual <= 0 else ZERO
        elif actual >= target:
            score, over = weight, actual * HUNDRED >= target * OVER_COMPLETION
        else:
            score = actual / target * weight
        score = score.quantize(CENT, ROUND_HALF_UP)
        scores.append((score, over))
        total += score
    grade = next(name for low, name in GRADES if total >= low)
    return scores, total, grade


def timed(function, items, repeat: int) -> tuple[float, list]:
    """Best-of-`repeat` seconds to run `function` over `items`, and what it returned. Results are
    kept small, as a streaming batch would, so the timing is not of the garbage collector."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        results = [function(item) for item in items]
        best = min(best, time.perf_counter() - start)
    return best, results


def engine_scorer(scheme, checks: bool):
    def score(case):
        result = engine.evaluate(scheme, case, checks=checks)
        return result.total, result.grade
    return score


def hand_scorer(plain):
    _, total, grade = hand_written_score(*plain)
    return total, grade


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2_000)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--repeat", type=int, default=5, help="best of this many runs (default 5)")
    options = parser.parse_args()

    rng = random.Random(options.seed)
    scheme = engine.load_scheme(SCHEME)
    cases = []
    for i in range(options.cases):
        case, problems = bind_case(scheme, parse_document(synthetic_case(rng, options.rows), f"synthetic-{i}.yaml"))
        assert not problems, problems
        cases.append(case)
    plain = [
        (case.values["全年预算数"], case.values["全年执行数"],
         [(row.nature, row.target, row.actual, row.weight) for row in case.rows["performance"]])
        for case in cases
    ]

    with decimal.localcontext(DECIMAL_CONTEXT):
        hand_seconds, hand_results = timed(hand_scorer, plain, options.repeat)
    engine_seconds, engine_results = timed(engine_scorer(scheme, checks=False), cases, options.repeat)
    checked_seconds, checked_results = timed(engine_scorer(scheme, checks=True), cases, options.repeat)
    assert hand_results == engine_results == checked_results

    hand_rate, engine_rate = options.cases / hand_seconds, options.cases / engine_seconds
    checked_rate = options.cases / checked_seconds
    checks = len(scheme.checks)
    print(f"{options.cases} synthetic project cases, {options.rows} indicator rows each; totals and grades agree")
    print(f"  hand-written scorer               : {hand_rate:10,.0f} cases/s")
    print(f"  compiled scheme, scores           : {engine_rate:10,.0f} cases/s   {engine_rate / hand_rate:4.0%} of hand-written (target ≥ 60 %)")
    print(f"  compiled scheme, + {checks} cross-checks : {checked_rate:10,.0f} cases/s   {checked_rate / hand_rate:4.0%} (the hand-written scorer checks nothing)")


if __name__ == "__main__":
    main()

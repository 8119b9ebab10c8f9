"""The planned evaluator (engine/evaluate_plan.py) gives exactly the general path's result, or leaves the case to it.

Every case here is scored twice — by `engine.evaluate` (the scheme's generated function, falling back to
the general path) and by `evaluate_general` (the general path alone) — with and without cross-checks, and
the two results must be the same byte for byte: the JSON of result_to_dict, and the exact Decimals of the
records, values, total and checks. A case neither path can score must fail with the same problems.
"""

from __future__ import annotations

import copy
import json
import random
from decimal import Decimal
from pathlib import Path

import pytest

import engine
from engine.errors import CaseError, EngineError
from engine.evaluate import evaluate_general, evaluate_planned
from engine.evaluate_plan import evaluator_source
from engine.load import load_document, parse_document
from engine.report import result_to_dict
from engine.scheme_tests import _case_document, find_test_files
from engine.validate import bind_case

from conftest import PROJECT_SCHEME, ROOT, dump_yaml

SHIPPED_CASES = sorted((ROOT / "cases").rglob("*.yaml"))
SCHEME_TEST_FILES = find_test_files([ROOT / "schemes"])


def outcome(score, scheme, case, checks: bool) -> str:
    """Everything a result holds, exactly, or the problems that stopped it."""
    try:
        result = score(scheme, case, checks)
    except CaseError as error:
        return "problems:\n" + "\n".join(str(problem) for problem in error.problems)
    as_json = json.dumps(result_to_dict(result), ensure_ascii=False, default=repr)
    exact = repr((result.records, result.total, result.grade, result.checks, result.values, result.notes,
                  result.places, result.scheme, result.case, result.max_total))
    return as_json + "\n" + exact


def assert_same(scheme, case) -> bool:
    """Both paths agree with and without checks; True when the planned evaluator scored it itself."""
    for checks in (False, True):
        assert outcome(engine.evaluate, scheme, case, checks) == outcome(evaluate_general, scheme, case, checks)
    return evaluate_planned(scheme, case, True) is not None


# ---------------------------------------------------------------- synthetic project cases --

QUALITATIVE = {"达成": (80, 100), "好": (80, 100), "部分达成": (60, 79), "一般": (60, 79), "未达成": (0, 59)}


def money(rng: random.Random, low: int = 0, high: int = 500_000) -> Decimal:
    return Decimal(rng.randint(low, high)) / 100


def synthetic_project(rng: random.Random) -> dict:
    """A 项目支出 case with every irregularity the scheme meets, each at a few percent."""
    rows = []
    count = rng.randint(1, 25)
    weights = [90 // count] * count
    weights[0] += 90 - sum(weights)
    if rng.random() < 0.1:
        weights[-1] += rng.choice([-1, 5])  # 分值 not adding up to 90
    level1s = ["产出指标", "效益指标", "满意度指标"] + (["成本指标"] if rng.random() < 0.1 else [])
    for i, weight in enumerate(weights):
        nature = rng.choice(["≥", "≥", "≤", "=", "定性", "正向指标", "反向指标"])
        row = {"level1": rng.choice(level1s), "level2": rng.choice(["数量指标", "质量指标", ""]), "name": f"指标{i}",
               "nature": nature, "unit": rng.choice(["%", "个", "万元"]), "weight": weight}
        if nature == "定性":
            level = rng.choice(list(QUALITATIVE))
            low, high = QUALITATIVE[level]
            row.update(target="达成", actual=level)
            row["score"] = Decimal(rng.randint(low, high)) * weight / 100
            if rng.random() < 0.03:
                row["score"] = weight + 1  # outside its band: an error the general path reports
        else:
            target = 0 if rng.random() < 0.08 else rng.randint(1, 500)
            if rng.random() < 0.05 and row["unit"] == "%":
                target, actual = 95, Decimal("0.93")  # a % written as a decimal
            else:
                actual = Decimal(rng.randint(0, max(target, 1) * 200)) / 100  # up to 200 %: over-completion
                if rng.random() < 0.03:
                    actual = -actual
            row.update(target=target, actual=actual)
            if rng.random() < 0.5:
                row["score"] = Decimal(weight) if rng.random() < 0.6 else money(rng, 0, max(weight, 1) * 120)
        row["deviation"] = rng.choice([None, "无", "", "进度滞后", "无偏差"])
        if row["deviation"] is None:
            del row["deviation"]
        rows.append(row)

    budget = money(rng, 1, 500_000)
    rate = rng.choice([Decimal(rng.randint(50, 99)), Decimal(100), Decimal(rng.randint(101, 130)), Decimal("99.995")])
    executed = (budget * rate / 100).quantize(Decimal("0.01"))
    if rng.random() < 0.03:
        budget = executed = Decimal(0)  # 0 / 0: not applicable, full marks
    elif rng.random() < 0.02:
        budget = Decimal(0)  # executed without a budget: the formula fails
    appropriation = (budget * Decimal(rng.randint(50, 100)) / 100).quantize(Decimal("0.01"))
    appropriation_executed = min(appropriation, executed)
    funds = {
        "total": {"initial_budget": budget, "full_year_budget": budget, "executed": executed},
        "appropriation": {"initial_budget": appropriation, "full_year_budget": appropriation,
                          "executed": appropriation_executed},
        "other": {"initial_budget": budget - appropriation, "full_year_budget": budget - appropriation,
                  "executed": executed - appropriation_executed},
    }
    if rng.random() < 0.1:
        funds["total"]["full_year_budget"] += 1  # 其中 not adding up
    if rng.random() < 0.1:
        del funds["total"]["initial_budget"]
    if rng.random() < 0.05:
        funds["total"]["initial_budget"] = budget + 5  # 全年预算数 below 年初
    if rng.random() < 0.1:
        del funds["appropriation"]  # no 财政拨款: its rate does not apply
    if rng.random() < 0.05:
        funds["total"] = {"initial_budget": None, "full_year_budget": None, "executed": None}  # scored from the parts
    if rng.random() < 0.03:
        funds["total"]["executed"] = None  # blank: an error

    case = {"scheme": "project-self-eval", "fiscal_year": 2023, "kind": "project",
            "name": f"合成项目{rng.randint(1, 10 ** 6)}", "funds": funds, "indicators": rows}
    if rng.random() < 0.6:
        exact_rate = (executed / budget * 100).quantize(Decimal("0.01")) if budget else Decimal(100)
        shown = rng.choice([exact_rate, exact_rate, exact_rate + 1, exact_rate / 100])
        reported = {"execution": {"weight": rng.choice([10, 10, 5]), "rate": f"{shown}%",
                                  "score": rng.choice([10, Decimal("9.5"), None])}}
        if rng.random() < 0.7:
            reported["appropriation_rate"] = f"{rng.choice([exact_rate, Decimal(100)])}%"
        reported["total"] = rng.choice([None, Decimal(rng.randint(40, 100)), Decimal(100)])
        reported["grade"] = rng.choice([None, "优", "良", "中", "差"])
        case["reported"] = {key: value for key, value in reported.items() if value is not None}
        case["reported"]["execution"] = {k: v for k, v in reported["execution"].items() if v is not None}
    return case


def bound(scheme, data: dict, name: str):
    case, problems = bind_case(scheme, parse_document(dump_yaml(data), name))
    return None if problems else case


def test_five_thousand_synthetic_project_cases():
    scheme = engine.load_scheme(PROJECT_SCHEME)
    rng = random.Random(15)
    scored = planned = 0
    statuses: set[tuple[str, str]] = set()
    for i in range(5_000):
        case = bound(scheme, synthetic_project(rng), f"synthetic-{i}.yaml")
        if case is None:
            continue
        scored += 1
        planned += assert_same(scheme, case)
        try:
            statuses.update((check.id, check.status) for check in evaluate_general(scheme, case).checks)
        except CaseError:
            pass
    # The cases reach what they are meant to: most bind, most take the planned path, every check
    # passes, fails and is skipped somewhere (level1 shares aside: this scheme does not declare them).
    assert scored > 4_500 and planned > scored * 0.6, (scored, planned)
    never = {("weights-add-up", "skipped"), ("deviation-reasons", "skipped"), ("percent-scale", "skipped")}
    wanted = {(check.id, status) for check in scheme.checks for status in ("passed", "failed", "skipped")} - never
    assert wanted <= statuses, sorted(wanted - statuses)


# ---------------------------------------------------------------- shipped cases and schemes --

def scheme_of(case_path: Path):
    data = load_document(case_path).data
    path = engine.api.find_scheme_file(case_path, data["scheme"], data["fiscal_year"])
    return engine.load_scheme(path)


@pytest.mark.parametrize("case_path", SHIPPED_CASES, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_case_and_variants(case_path):
    """Each shipped case with its scheme, then 200 variants: figures blanked, zeroed or scaled."""
    scheme = scheme_of(case_path)
    document = load_document(case_path)
    assert_same(scheme, engine.load_case(scheme, case_path))
    rng = random.Random(str(case_path.name))
    for i in range(200):
        data = copy.deepcopy(document.data)
        _vary(data, rng)
        case = bound(scheme, data, f"{case_path.name}-{i}")
        if case is not None:
            assert_same(scheme, case)


def _vary(data, rng: random.Random) -> None:
    """Blank, zero or scale a few of the figures anywhere in the case (a row's, the funds', a table's)."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in list(items):
        if isinstance(value, (dict, list)):
            _vary(value, rng)
        elif isinstance(value, (int, Decimal)) and not isinstance(value, bool) and rng.random() < 0.08:
            data[key] = rng.choice([None, 0, Decimal(value) * Decimal(rng.randint(0, 300)) / 100, -1])


@pytest.mark.parametrize("test_file", SCHEME_TEST_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_scheme_test_case(test_file):
    """Every case of every shipped scheme's test file (department and 中方 four-dimension shapes among them)."""
    document = load_document(test_file)
    scheme = engine.load_scheme(test_file.parent / document.data["scheme"])
    for i, test in enumerate(document.data["tests"]):
        try:
            case_document = _case_document(document, ("tests", i), test)
        except EngineError:
            continue
        case, problems = bind_case(scheme, case_document, check_year=test.get("year") != "any")
        if not problems:
            assert_same(scheme, case)


def test_the_department_shapes_take_the_planned_path():
    for scheme_path, case_path in (("department-self-eval/2023.yaml", "zhanyi-2023/department.yaml"),
                                   ("four-dimension/2023.yaml", "zhongfang-2023/department.yaml"),
                                   ("project-self-eval/2023.yaml", "zhanyi-2023/projects/fire-insurance.yaml")):
        scheme = engine.load_scheme(ROOT / "schemes" / scheme_path)
        case = engine.load_case(scheme, ROOT / "cases" / case_path)
        assert evaluate_planned(scheme, case, checks=True) is not None, case_path


def test_a_formula_that_negates_a_name_is_not_read_as_the_name(tmp_path):
    """The general path once took `-a` (whose only name is a) for a; both paths compute it now."""
    text = PROJECT_SCHEME.read_text(encoding="utf-8").replace(
        "  - id: execution-weight\n    name: 预算执行率分值与方案一致\n    reported: 原表执行率分值\n",
        "  - id: execution-weight\n    name: 预算执行率分值与方案一致\n    reported: -原表执行率分值\n")
    assert "-原表执行率分值" in text
    path = tmp_path / "scheme.yaml"
    path.write_text(text, encoding="utf-8")
    scheme = engine.load_scheme(path)
    data = load_document(ROOT / "cases" / "zhanyi-2023" / "projects" / "fire-insurance.yaml").data
    case = bound(scheme, data, "fire-insurance.yaml")
    for score in (engine.evaluate, evaluate_general):
        check = next(c for c in score(scheme, case).checks if c.id == "execution-weight")
        assert check.status == "failed" and "原表 -10" in check.message


def test_the_generated_source_can_be_read(monkeypatch, capsys):
    scheme = engine.load_scheme(PROJECT_SCHEME)
    source = evaluator_source(scheme)
    assert "# 预算执行率 = ratio(全年执行数, 全年预算数, if_zero=na) * 100, to 2 places" in source
    monkeypatch.setenv("ENGINE_DEBUG_EVALUATOR", "1")
    fresh = engine.load_scheme(PROJECT_SCHEME)
    case = engine.load_case(fresh, ROOT / "cases" / "zhanyi-2023" / "projects" / "fire-insurance.yaml")
    # The first case a scheme scores goes the general way (a cold `engine score` plans nothing); the second is planned.
    first = engine.evaluate(fresh, case)
    assert "evaluator" not in fresh.plans and capsys.readouterr().err == ""
    second = engine.evaluate(fresh, case)
    assert "def evaluate_planned(_case, _with_checks):" in capsys.readouterr().err
    assert "evaluator" in fresh.plans
    assert json.dumps(result_to_dict(first), default=str) == json.dumps(result_to_dict(second), default=str)


def test_every_edge_case_scores_alike_both_ways(tmp_path):
    """The edge cases (tests/data/edge_cases.yaml) set what the shipped schemes leave at their defaults —
    zero_target: refuse, over_completion_deduction, linear ≤, natures, funds_total … — so the planned
    evaluator's folded rules meet each setting here; each case is scored both ways and must agree."""
    from test_edge_cases import CASES, case_data, scheme_path

    planned = 0
    for i, entry in enumerate(CASES):
        if "error" in entry["expect"]:
            continue
        folder = tmp_path / str(i)
        folder.mkdir()
        scheme = engine.load_scheme(scheme_path(entry, folder))
        case, problems = bind_case(scheme, parse_document(dump_yaml(case_data(entry)), f"{entry['id']}.yaml"))
        assert not problems, (entry["id"], problems)
        planned += assert_same(scheme, case)
    assert planned > len(CASES) // 2, planned  # most are scored by the planned evaluator itself

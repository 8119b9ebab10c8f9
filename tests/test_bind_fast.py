"""The compiled binder reads a case exactly as the checking binder does, or leaves it to it.

5,000 generated cases (seeded) are bound both ways: wherever the compiled binder gives a CaseData,
every field equals the checking binder's — compared by value and by repr, so 1.50 is not 1.5 — and
the scored result renders to the same JSON, byte for byte; wherever the checking binder finds a
problem, the compiled binder must have given up. Then each kind of irregularity on its own: the
compiled binder gives up and bind_case reports the checking binder's located problems.
"""

from __future__ import annotations

import copy
import random
from decimal import Decimal

import pytest
import yaml

from engine.api import load_scheme
from engine.bind import bind_case, bind_checked, binder_source, compiled_binder
from engine.errors import EngineError
from engine.evaluate import evaluate
from engine.load import Document, load_document, parse_document
from engine.report import render_json
from engine.validate import bind_case as bind_case_from_validate
from engine.validate import plain_gate

from conftest import ROOT

PROJECT_SCHEMES = ("project-self-eval/2023", "project-self-eval-anhui/2023", "project-self-eval-sichuan/2023")
SCHEMES = {name: load_scheme(ROOT / "schemes" / f"{name}.yaml")
           for name in PROJECT_SCHEMES + ("department-self-eval/2023", "four-dimension/2023")}
DEPARTMENT = load_document(ROOT / "cases" / "zhanyi-2023" / "department.yaml").data
FOUR_DIMENSION = load_document(ROOT / "cases" / "zhongfang-2023" / "department.yaml").data


class _Dumper(yaml.SafeDumper):
    """Writes a case as a clerk would: Decimals as the plain numbers they are."""


_Dumper.add_representer(Decimal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:float", str(value)))


def as_yaml(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=None, width=10_000)


# ------------------------------------------------------------ generated cases ---------


def rough(rng: random.Random, regular: list, irregular: list, messy: bool) -> object:
    """A value from `regular`, or in a messy case now and then one from `irregular` (a problem or a slow path)."""
    return rng.choice(irregular if messy and rng.random() < 0.04 else regular)


def amount(rng: random.Random, messy: bool) -> object:
    """A figure as tables write it: mostly a number, sometimes text with separators or a unit."""
    value = Decimal(rng.randint(0, 5_000_000)) / 100
    return rough(rng, [value, value, value, int(value), f"{value:,}", f"{value}万元", str(value)],
                 [None, "—", "", Decimal(rng.randint(0, 10**6)) / 10**6, "abc", True, Decimal("1E-14"), "5户"], messy)


def funds_row(rng: random.Random, messy: bool) -> dict:
    return {column: amount(rng, messy) for column in ("initial_budget", "full_year_budget", "executed")
            if rng.random() < 0.97 or column == "initial_budget"}


DIRECTED = ["≥", "≥", "≤", "=", "正向指标", "反向指标", "正向", ">=", "＞", "大于", "越高越好"]
QUALITATIVE = ["定性", "定性指标"]
QUANTITATIVE = ["定量", "定量指标", None, ""]
PERCENT_UNITS = ["%", "％", "百分比", None, ""]
OTHER_UNITS = ["个", "户", "天", " 个 ", "万元"]


def indicator_row(rng: random.Random, weight: object, messy: bool) -> dict:
    nature = rng.choice(DIRECTED * 3 + QUALITATIVE + QUANTITATIVE)
    unit = rng.choice(PERCENT_UNITS + OTHER_UNITS)
    number = Decimal(rng.randint(0, 500)) / rng.choice([1, 1, 10, 100])
    percent = "%" if unit in PERCENT_UNITS and rng.random() < 0.5 else ""
    if nature in QUALITATIVE:
        target = rough(rng, ["高", "好", "达成", "≥90%", None], [Decimal(5)], messy)
        actual = rough(rng, ["高", "达成年度指标", "部分达成", "较好", None, "基本健全"], [Decimal(5)], messy)
    else:
        operator = rng.choice(["≥", "≤", "="]) if nature in QUANTITATIVE else ""
        target = rough(rng, [f"{operator}{number}{percent}"] if operator else [number, number, int(number), f"{number}{percent}"],
                       ["", None, "九十", f"≤{number}", -1], messy)
        actual = rough(rng, [number * Decimal(rng.randint(50, 150)) / 100, int(number), f"≥{number}{percent}", f"{number}"],
                       [None, "—", -1, Decimal("1E-14"), True, "很多"], messy)
    row = {"level1": rng.choice(["产出指标", "效益指标", "满意度指标", "产出指标 ", "ＡＢ", ""]),
           "level2": rng.choice(["数量指标", "质量指标", "时效指标", "社会效益指标", ""]),
           "name": rng.choice(["保险户数", "完成率", "满意度", " 全角１２ ", "x"]),
           "nature": rough(rng, [nature], ["神秘", 5], messy), "target": target, "unit": unit, "actual": actual,
           "weight": weight}
    if rng.random() < 0.5:
        row["score"] = rough(rng, [weight, Decimal("9.5"), None, "—", "8分"], ["满分", True], messy)
    if rng.random() < 0.5:
        row["deviation"] = rng.choice(["无偏差", " 未完成 ", "—", None, ""])
    if messy and rng.random() < 0.03:
        del row[rng.choice(list(row))]
    return row


def weights(rng: random.Random, count: int, messy: bool) -> list:
    written = [round(Decimal(90) / count, rng.choice([0, 1, 2])) for _ in range(count)]
    return [rough(rng, [w, w, int(w), str(w)], [None, Decimal("3.333"), -1, "—"], messy) for w in written]


def project_case(rng: random.Random, messy: bool) -> tuple[str, dict]:
    scheme = rng.choice(PROJECT_SCHEMES)
    funds: dict = {}
    if rng.random() < 0.3:
        funds["unit"] = rough(rng, ["元", "万元", "万元", "亿元"], ["个"], messy)
    funds["total"] = funds_row(rng, messy)
    for part in ("appropriation", "carried_over", "other"):  # 其中 rows
        if rng.random() < 0.7:
            funds[part] = funds_row(rng, messy)
    if rng.random() < 0.05:  # 年度资金总额 left blank or 0, the 其中 rows hold the money
        funds["total"] = {"initial_budget": None, "full_year_budget": rng.choice([None, 0, "—"]), "executed": None}
    case: dict = {"scheme": SCHEMES[scheme].id, "fiscal_year": rough(rng, [2023], [2022], messy),
                  "kind": rough(rng, ["project"], ["department"], messy), "name": f"项目{rng.randint(1, 10**6)}"}
    if rng.random() < 0.7:
        case["department"] = rng.choice(["曲靖市沾益区财政局", None])
    case["funds"] = funds
    case["indicators"] = [indicator_row(rng, weight, messy) for weight in weights(rng, rng.randint(1, 25), messy)]
    if rng.random() < 0.5:
        case["reported"] = {"execution": {"weight": 10, "rate": rng.choice(["100.00%", Decimal("98.5"), "—"]), "score": 10},
                            "total": rng.choice([Decimal("95.5"), 100, None]), "grade": rough(rng, ["优", "良", None], [1], messy)}
    if messy and rng.random() < 0.02:
        case["stray"] = 1
    return scheme, case


def department_case(rng: random.Random, messy: bool) -> tuple[str, dict]:
    case = copy.deepcopy(DEPARTMENT)
    for section in case.get("data", {}).values():
        if isinstance(section, dict):
            for key in section:
                if rng.random() < 0.3:
                    section[key] = amount(rng, messy)
    tasks = case["key_tasks"]
    rng.shuffle(tasks)
    del tasks[rng.randint(0, len(tasks)):]
    for task in tasks:
        if rng.random() < 0.3:
            task["executed"] = amount(rng, messy)
        if rng.random() < 0.2:
            task["approved"]["other"] = rough(rng, [amount(rng, messy), None], ["x"], messy)
        if rng.random() < 0.2:
            task["rate"] = rng.choice(["99%", Decimal("100"), None])
    rows = case["indicators"]
    for _ in range(rng.randint(0, 4)):
        rows.append(indicator_row(rng, None, messy))
    for row in rows:
        row["level1"] = rng.choice(["产出指标", "效益指标", "满意度指标"])  # the 一级 the scheme shares its weights among
    rng.shuffle(rows)
    if messy and rng.random() < 0.2:
        rows[0]["weight"] = 5  # this scheme shares the weights out: a 分值 in the case is a problem
    if messy and rng.random() < 0.2:
        rows[0]["level1"] = "未知指标"
    return "department-self-eval/2023", case


ANSWERS = ["是", "是", "否", "符合", "不符合", "√", "×", True, False, "yes"]


def four_dimension_case(rng: random.Random, messy: bool) -> tuple[str, dict]:
    case = copy.deepcopy(FOUR_DIMENSION)
    for section in case["data"].values():
        if isinstance(section, dict):
            for key in section:
                if rng.random() < 0.2:
                    section[key] = amount(rng, messy)
    for key, answer in list(case["assessments"].items()):
        if isinstance(answer, list) and rng.random() < 0.3:
            case["assessments"][key] = [rough(rng, ANSWERS, ["", None, "也许"], messy)
                                        for _ in answer[: rough(rng, [len(answer)], [1], messy)]]
        elif isinstance(answer, dict) and rng.random() < 0.3:
            case["assessments"][key] = rough(rng, [{"score": Decimal(rng.randint(0, 40)) / 10}, Decimal("2.5"), "3分"],
                                             [{"score": 99}, "不适用", {"not_applicable": "无此项"}], messy)
    if messy and rng.random() < 0.05:
        del case["assessments"][rng.choice(list(case["assessments"]))]
    if rng.random() < 0.3:
        case["personalized_indicators"] = [
            {"name": f"个性指标{i}", "nature": rough(rng, ["≥", "定性"], [""], messy), "target": amount(rng, messy),
             "actual": amount(rng, messy)}
            for i in range(rng.randint(0, 4))]
    return "four-dimension/2023", case


def generated_cases(count: int, seed: int = 15):
    rng = random.Random(seed)
    for i in range(count):
        kind, messy = rng.random(), rng.random() < 0.5
        make = project_case if kind < 0.7 else department_case if kind < 0.85 else four_dimension_case
        scheme, data = make(rng, messy)
        if rng.random() < 0.05:  # a JSON Lines case: one position for the whole line
            yield scheme, Document("cases.jsonl", data, {(): (i + 1, 1)})
        else:
            yield scheme, parse_document(as_yaml(data), f"case-{i}.yaml")


# ------------------------------------------------------------ both ways ---------------


def fields(case) -> tuple:
    return (case.source, case.identity, case.values, case.rows, case.locations, case.tables, case.assessments,
            case.scoring, case.notes)


def scored(scheme, case) -> str:
    try:
        return render_json(evaluate(scheme, case))
    except EngineError as error:
        return repr(error.to_dict())


def compiled(scheme, document):
    """What the compiled binder makes of the document: a CaseData, or None when it gives up."""
    if not plain_gate("case")(document.data):
        return None
    try:
        return compiled_binder(scheme)(document, True)
    except Exception:  # noqa: BLE001 - giving up by raising is giving up
        return None


def test_five_thousand_cases_bind_alike():
    read_fast = checked_problems = 0
    for scheme_name, document in generated_cases(5000):
        scheme = SCHEMES[scheme_name]
        slow, problems = bind_checked(scheme, document)
        fast = compiled(scheme, document)
        public = bind_case(scheme, document)
        if problems:
            checked_problems += 1
            assert fast is None, (document.source, problems[:2])
            assert public == (None, problems)
            continue
        assert public[1] == [] and fields(public[0]) == fields(slow)
        if fast is None:
            continue
        read_fast += 1
        assert fields(fast) == fields(slow), document.source
        assert repr(fields(fast)) == repr(fields(slow)), document.source
        assert scored(scheme, fast) == scored(scheme, slow), document.source
    # The test means something only if both paths are walked often.
    assert read_fast > 1500 and checked_problems > 1000, (read_fast, checked_problems)


def test_shipped_cases_are_read_by_the_compiled_binder():
    pairs = [("project-self-eval/2023", path) for path in sorted((ROOT / "cases" / "zhanyi-2023" / "projects").glob("*.yaml"))]
    pairs += [("department-self-eval/2023", ROOT / "cases" / "zhanyi-2023" / "department.yaml"),
              ("four-dimension/2023", ROOT / "cases" / "zhongfang-2023" / "department.yaml")]
    for scheme_name, path in pairs:
        scheme, document = SCHEMES[scheme_name], load_document(path)
        fast = compiled(scheme, document)
        assert fast is not None, path
        slow, problems = bind_checked(scheme, document)
        assert not problems
        assert repr(fields(fast)) == repr(fields(slow))
        assert scored(scheme, fast) == scored(scheme, slow)


# ------------------------------------------------------------ each irregularity -------

BASE = """\
scheme: project-self-eval
fiscal_year: 2023
kind: project
name: 样例项目
funds:
  total: {initial_budget: 100, full_year_budget: 100, executed: 95.5}
  appropriation: {initial_budget: 100, full_year_budget: 100, executed: 95.5}
indicators:
  - {level1: 产出指标, level2: 数量指标, name: 户数, nature: "≥", target: 100, unit: 户, actual: 100, weight: 30}
  - {level1: 效益指标, level2: 社会效益指标, name: 覆盖率, nature: "=", target: 100, unit: "%", actual: 98, weight: 30}
  - {level1: 满意度指标, level2: 满意度指标, name: 满意度, nature: "≥", target: 90, unit: "%", actual: 95, weight: 30}
"""

# (what is irregular, the text replaced, its replacement, the problems the checking binder finds: (path, code, line))
IRREGULAR = [
    ("another scheme", "scheme: project-self-eval", "scheme: four-dimension", [("scheme", "wrong-scheme", 1)]),
    ("another year", "fiscal_year: 2023", "fiscal_year: 2022", [("fiscal_year", "wrong-year", 2)]),
    ("another kind", "kind: project", "kind: department", [("kind", "invalid", 3)]),
    ("a stray key (the schema)", "name: 样例项目", "name: 样例项目\nstray: 1", [("stray", "schema-additionalProperties", 5)]),
    ("a required figure missing", "executed: 95.5}\n  appropriation", "}\n  appropriation",
     [("funds.total.executed", "bad-input", 6)]),
    ("a required figure blank", "full_year_budget: 100, executed: 95.5}\n  appropriation",
     "full_year_budget: 100, executed: —}\n  appropriation", [("funds.total.executed", "bad-input", 6)]),
    ("a figure that is not one", "executed: 95.5}\n  appropriation", "executed: 九十五}\n  appropriation",
     [("funds.total.executed", "bad-input", 6)]),
    ("a unit that does not convert", "executed: 95.5}\n  appropriation", "executed: 95.5户}\n  appropriation",
     [("funds.total.executed", "bad-input", 6)]),
    ("too many decimals", "executed: 95.5}\n  appropriation", "executed: 95.1234567890123}\n  appropriation",
     [("funds.total.executed", "bad-input", 6)]),
    ("a nature the scheme does not know", 'nature: "≥", target: 100, unit: 户', 'nature: 神秘, target: 100, unit: 户',
     [("indicators[0].nature", "bad-row", 9)]),
    ("an operator against the nature", 'nature: "≥", target: 100, unit: 户', 'nature: 反向指标, target: "≥100", unit: 户',
     [("indicators[0].nature", "bad-row", 9)]),
    ("a blank target", 'target: 100, unit: 户', 'target: "", unit: 户', [("indicators[0].target", "bad-row", 9)]),
    ("a blank actual", "actual: 100, weight: 30}", "actual: ~, weight: 30}", [("indicators[0].actual", "bad-row", 9)]),
    ("a negative target", 'target: 100, unit: 户', 'target: -5, unit: 户', [("indicators[0].target", "bad-row", 9)]),
    ("a weight with more places", "actual: 100, weight: 30}", "actual: 100, weight: 30.125}",
     [("indicators[0].weight", "bad-row", 9)]),
    ("a blank weight", "actual: 100, weight: 30}", "actual: 100, weight: —}", [("indicators[0].weight", "bad-row", 9)]),
    ("a boolean figure", "actual: 100, weight: 30}", "actual: true, weight: 30}",
     [("indicators[0].actual", "schema-type", 9)]),
    ("the rows missing", "indicators:\n  - {level1: 产出指标", "rows:\n  - {level1: 产出指标",
     [("rows", "schema-additionalProperties", 8)]),
]


@pytest.mark.parametrize("what, old, new, expected", IRREGULAR, ids=[case[0] for case in IRREGULAR])
def test_each_irregularity_is_left_to_the_checking_binder(what, old, new, expected):
    scheme = SCHEMES["project-self-eval/2023"]
    assert compiled(scheme, parse_document(BASE, "base.yaml")) is not None
    assert old in BASE
    document = parse_document(BASE.replace(old, new, 1), "case.yaml")
    assert compiled(scheme, document) is None
    case, problems = bind_case(scheme, document)
    assert case is None
    assert problems == bind_checked(scheme, document)[1]
    from engine.errors import format_path
    assert [(format_path(p.path), p.code, p.location.line) for p in problems] == expected


# Irregular, yet no problem: the compiled binder gives up (or reads it the checking binder's way) and the
# case reads the same as before.
TOLERATED = [
    ("funds in 元", "funds:\n", "funds:\n  unit: 元\n"),
    ("a blank 年度资金总额 with money in the 其中 rows", "total: {initial_budget: 100, full_year_budget: 100, executed: 95.5}",
     "total: {initial_budget: ~, full_year_budget: ~, executed: ~}"),
    ("an operator in the 指标值", 'nature: "≥", target: 100, unit: 户', 'nature: 定量, target: "≥100户", unit: 户'),
    ("a written nature", 'nature: "≥", target: 100, unit: 户', 'nature: 正向指标, target: 100, unit: 户'),
    ("a blank nature and an operator", 'nature: "≥", target: 100, unit: 户', 'nature: ~, target: "≤100", unit: 户'),
    ("a 定性 row", 'nature: "≥", target: 100, unit: 户, actual: 100', 'nature: 定性, target: 高, unit: ~, actual: 达成年度指标'),
    ("text figures", "executed: 95.5}\n  appropriation", 'executed: "95.50万元"}\n  appropriation'),
    ("trailing zeros past twelve places", "executed: 95.5}\n  appropriation", "executed: 95.50000000000000}\n  appropriation"),
    ("a full-width unit", "unit: 户", "unit: ％"),
]


@pytest.mark.parametrize("what, old, new", TOLERATED, ids=[case[0] for case in TOLERATED])
def test_tolerated_irregularities_read_the_same(what, old, new):
    scheme = SCHEMES["project-self-eval/2023"]
    document = parse_document(BASE.replace(old, new, 1), "case.yaml")
    slow, problems = bind_checked(scheme, document)
    assert not problems
    case, none = bind_case(scheme, document)
    assert none == [] and repr(fields(case)) == repr(fields(slow))
    fast = compiled(scheme, document)
    if fast is not None:
        assert repr(fields(fast)) == repr(fields(slow))


def test_binder_source_is_there_to_read(capsys, monkeypatch):
    scheme = load_scheme(ROOT / "schemes" / "project-self-eval" / "2023.yaml")  # a new instance: not yet compiled
    source = binder_source(scheme)
    assert source.startswith("def bind(document, check_year):") and "# 全年执行数: funds.total.executed" in source
    monkeypatch.setenv("ENGINE_DEBUG_BINDER", "1")
    compiled_binder(scheme)
    assert capsys.readouterr().err.strip() == source.strip()


def test_bind_case_is_still_importable_from_validate():
    assert bind_case_from_validate is bind_case

"""`engine score` output compared exactly with golden files.

The golden comparisons check layout only: the columns, their order, the words and the places
people and tools read. Regenerate them on purpose with
`python -m pytest tests/test_cli_golden.py --update-golden`, then read the diff before committing.
Their figures are not trusted because they were once the engine's output: every 得分, subtotal,
得分率 and total in a score golden is read back out of it and compared with the hand-worked
figures (test_golden_figures_are_the_hand_worked_ones below, and the tests it names); every other
number in them is the case's own figure, as written, or a rate asserted in those tests.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from engine.cli import main

from conftest import ROOT, ZHANYI_PROJECTS

GOLDEN = ROOT / "tests" / "golden"
SCHEME = "schemes/project-self-eval/2023.yaml"


def invoke(monkeypatch, *args):
    monkeypatch.chdir(ROOT)  # relative paths, as a user types them, appear in the output
    return CliRunner().invoke(main, list(args))


def compare(name: str, text: str, update: bool):
    path = GOLDEN / name
    if update:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {name}; run pytest with --update-golden to create it"
    assert text == path.read_text(encoding="utf-8")


PAIRS = [(SCHEME, str(case.relative_to(ROOT)), f"score-{case.stem}.txt") for case in ZHANYI_PROJECTS] + [
    ("schemes/four-dimension/2023.yaml", "cases/zhongfang-2023/department.yaml", "score-zhongfang-department.txt"),
    ("schemes/department-self-eval/2023.yaml", "cases/zhanyi-2023/department.yaml", "score-zhanyi-department.txt"),
]


@pytest.mark.parametrize("scheme, case, golden", PAIRS, ids=[golden for _, _, golden in PAIRS])
def test_score_table(scheme, case, golden, monkeypatch, update_golden):
    result = invoke(monkeypatch, "score", scheme, case)
    assert result.exit_code == 0
    compare(golden, result.stdout, update_golden)


def test_score_json(monkeypatch, update_golden):
    result = invoke(monkeypatch, "score", SCHEME, "cases/zhanyi-2023/projects/startup-loan.yaml", "--format", "json")
    assert result.exit_code == 0
    compare("score-startup-loan.json", result.stdout, update_golden)


def test_json_contract(monkeypatch):
    """The keys other tools rely on, and exact decimals with the scheme's two places."""
    result = invoke(monkeypatch, "score", SCHEME, "cases/zhanyi-2023/projects/startup-loan.yaml", "--format", "json")
    data = json.loads(result.stdout, parse_float=Decimal)
    assert {"total", "max_total", "grade", "indicators", "groups", "checks", "scheme", "case"} <= set(data)
    assert '"total": 100.00,' in result.stdout and '"max_total": 100.00,' in result.stdout
    assert data["grade"] == "优"
    assert data["scheme"]["id"] == "project-self-eval" and data["scheme"]["fiscal_year"] == 2023
    assert data["case"]["name"] == "创业担保贷款工作及奖补"
    for indicator in data["indicators"]:
        assert {"name", "path", "weight", "score"} <= set(indicator)
        assert indicator["score"].as_tuple().exponent == -2
    row = data["indicators"][2]
    assert (row["name"], row["path"], row["score"]) == ("贷款审批时间", ["效益指标", "经济效益指标"], Decimal("30.00"))
    assert all({"id", "ok", "message"} <= set(check) for check in data["checks"])
    assert all(check["ok"] is True for check in data["checks"])
    assert data["groups"]["score"] == Decimal("100.00")


def test_partial_scores_in_json_have_exactly_two_places(tmp_path, monkeypatch):
    # ≥ 90 with 85, 分值 30 → 85 / 90 × 30 = 28.333… → 28.33 (never 28.333333 or 28.329999)
    text = (ROOT / "cases/zhanyi-2023/projects/land-transfer.yaml").read_text(encoding="utf-8")
    text = text.replace("name: 业务合规率, nature: \"≥\", target: 90, unit: \"%\", actual: 90",
                        "name: 业务合规率, nature: \"≥\", target: 90, unit: \"%\", actual: 85")
    case = tmp_path / "partial.yaml"
    case.write_text(text, encoding="utf-8")
    result = invoke(monkeypatch, "score", SCHEME, str(case), "--format", "json")
    assert '"score": 28.33,' in result.stdout
    # 10 + 28.33 + 30 + 30 = 98.33
    assert '"total": 98.33,' in result.stdout


def test_strict_exits_1_when_a_check_fails(tmp_path, monkeypatch):
    text = (ROOT / "cases/zhanyi-2023/projects/land-transfer.yaml").read_text(encoding="utf-8")
    case = tmp_path / "grade.yaml"
    case.write_text(text.replace("grade: 优", "grade: 良"), encoding="utf-8")
    assert invoke(monkeypatch, "score", SCHEME, str(case)).exit_code == 0
    result = invoke(monkeypatch, "score", SCHEME, str(case), "--strict")
    assert result.exit_code == 1
    assert "✗ 等级与总分相符：原表为“良”，按规则应为“优”" in result.stdout


# The hand-worked figures of every score golden: 得分 column top to bottom, then the total.
# 沾益 projects: the published tables (../shared/seeds/000_…): 执行率 10 of 10, three rows 30 of 30, 总分 100
# (test_zhanyi_projects.py). 沾益 department: 10, 产出 50 / 4 rows = 12.50, 效益 30 / 4 = 7.50, 满意度 10
# (test_department_zhanyi.py). 中方: test_four_dimension.EXPECTED, worked indicator by indicator.
def _hand_worked() -> dict[str, tuple[list[str], str]]:
    from test_four_dimension import EXPECTED as ZHONGFANG

    figures = {f"score-{case.stem}.txt": (["10.00", "30.00", "30.00", "30.00"], "100.00") for case in ZHANYI_PROJECTS}
    figures["score-zhanyi-department.txt"] = (["10.00"] + ["12.50"] * 4 + ["7.50"] * 4 + ["10.00"], "100.00")
    figures["score-zhongfang-department.txt"] = (list(ZHONGFANG.values()), "93.72")
    return figures


def _read_scores(text: str) -> tuple[list[str], str, list[tuple[str, str, str]]]:
    """The 得分 column of the indicator table, the total, and the subtotal lines (分值, 得分, 得分率)."""
    tables = text.split("\n\n")
    indicator_table = next(block for block in tables if block.startswith("一级指标"))
    scores = [line.split()[-1] for line in indicator_table.splitlines()[2:]]
    total = text.split("总分 ", 1)[1].split(" ", 1)[0]
    subtotals = []
    for block in tables:
        if block.startswith("分项得分"):
            subtotals = [tuple(line.split()[-3:]) for line in block.splitlines()[3:]]
    return scores, total, subtotals


@pytest.mark.parametrize("golden", sorted(_hand_worked()), ids=sorted(_hand_worked()))
def test_golden_figures_are_the_hand_worked_ones(golden):
    scores, total, subtotals = _read_scores((GOLDEN / golden).read_text(encoding="utf-8"))
    expected_scores, expected_total = _hand_worked()[golden]
    assert scores == expected_scores
    assert total == expected_total
    assert sum(Decimal(score) for score in scores) == Decimal(total)  # the total is the sum of the rounded rows
    for weight, score, rate in subtotals:  # 得分率 = 得分 / 分值, to one place: 13.45 / 15 = 89.67 % → 89.7%
        assert Decimal(rate.rstrip("%")) == (Decimal(score) / Decimal(weight) * 100).quantize(Decimal("0.1"), "ROUND_HALF_UP")


def test_json_golden_figures_are_the_published_ones():
    data = json.loads((GOLDEN / "score-startup-loan.json").read_text(encoding="utf-8"), parse_float=Decimal)
    # the published 创业担保贷款 table: 执行率 10, three rows of 30, 总分 100, 优
    assert [i["score"] for i in data["indicators"]] == [Decimal("10.00")] + [Decimal("30.00")] * 3
    assert (data["total"], data["grade"]) == (Decimal("100.00"), "优")

"""The 中方 four-dimension method on the 中方 case: every indicator worked by hand from the seed.

Figures from ../shared/seeds/004_2efc897d2232fb20.txt unless the case marks them 假设 (assumed).
Weights are the scheme's (the plan publishes none): 投入 15, 过程 35, 产出 30, 效果 20.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import engine
from engine.errors import CaseError

from conftest import ROOT, dump_yaml

SCHEME = ROOT / "schemes" / "four-dimension" / "2023.yaml"
CASE = ROOT / "cases" / "zhongfang-2023" / "department.yaml"

EXPECTED = {
    # 投入 / 目标设定
    "goal-reasonable": "2.00",        # checklist share, 3 of 3 met → 2
    "indicator-clarity": "2.25",      # 3 of 4 met (④ 否) → 3 × 3/4 = 2.25
    # 投入 / 预算配置
    "staff-control": "3.00",          # 在岗 12 / 编制 12 = 100 % ≤ 100 % → full 3
    "three-public-change": "3.00",    # (0 − 0) / 0: both years 0 → 变动率 0 % ≤ 0 → full 3
    "key-project-guarantee": "3.20",  # 140.00 / 165.72 = 84.48 % → tier ≥ 80 → 80 % × 4 = 3.20
    # 过程 / 预算执行
    "execution-completion": "5.00",   # (304.35 + 165.72) / (304.35 + 165.72) = 100 % → full 5
    "budget-adjustment": "0.00",      # |470.07 − 266.87| / 470.07 = 43.23 % > 30 % → 0
    "public-expense-control": "2.00", # 28.50 / 30.00 = 95 % ≤ 100 % → full 2
    "three-public-control": "3.00",   # 实际 0 / 预算 0: counts as not over (0 %) → full 3
    "procurement": "2.85",            # 11.40 / 12.00 = 95 % → 0.95 × 3 = 2.85
    # 过程 / 预算管理
    "budget-rules": "3.00",           # 3 of 3 → 3
    "funds-compliance": "4.00",       # deduct mode, 0 not met → 4 − 0 × 1 = 4
    "funds-reasonableness": "1.50",   # 1 of 2 met (① 否) → 3 × 1/2 = 1.50
    "rectification": "2.00",          # 1 of 1 → 2
    # 过程 / 资产管理
    "asset-rules": "2.00",            # 3 of 3 → 2
    "asset-safety": "3.00",           # 5 of 5 → 3
    "fixed-asset-use": "2.92",        # 48.60 / 50.00 = 97.2 % → 0.972 × 3 = 2.916 → 2.92
    # 产出
    "key-work": "30.00",              # 8 / 8 = 100 % → 30
    # 效果 / 履职效益
    "economic-benefit": "3.50",       # assessor 3.5 within 0–4
    "social-benefit": "4.00",         # assessor 4
    "ecological-benefit": "3.50",     # assessor 3.5
    "satisfaction": "8.00",           # 93 % ≥ full_at 90 % → full 8
}


@pytest.fixture(scope="module")
def scheme():
    return engine.load_scheme(SCHEME)


@pytest.fixture(scope="module")
def result(scheme):
    return engine.score_file(scheme, CASE)


def test_every_indicator(result):
    assert {i.id: format(i.score, "f") for i in result.indicators} == EXPECTED


def test_the_rates_behind_them(result):
    values = result.values
    # |(304.35 + 165.72) − (216.11 + 50.76)| / (304.35 + 165.72) = 203.20 / 470.07 = 43.2276…% → 43.23 %
    # (the 中方 plan divides by 预算数; 53号 counts any change, up or down)
    assert format(values["预算调整率"], "f") == "43.23"
    assert values["三公经费控制率"] == 0      # 0 / 0 by the scheme's if_zero=0
    assert values["三公经费变动率"] == 0
    assert values["在职人员控制率"] == 100
    # the rates the score table prints in its 实际完成值 column
    assert format(values["重点项目预算保障率"], "f") == "84.48"   # 140.00 / 165.72 = 84.4798… → 84.48
    assert format(values["公用经费控制率"], "f") == "95.00"       # 28.50 / 30.00
    assert format(values["政府采购完成率"], "f") == "95.00"       # 11.40 / 12.00
    assert format(values["固定资产利用率"], "f") == "97.20"       # 48.60 / 50.00
    assert format(values["预算执行完成率"], "f") == "100.00"      # 470.07 / 470.07


def test_subtotals_total_and_grade(result):
    groups = {g.name: g for g in result.groups.children}
    # 投入 = 2 + 2.25 + 3 + 3 + 3.20 = 13.45
    # 过程 = (5 + 0 + 2 + 3 + 2.85) + (3 + 4 + 1.50 + 2) + (2 + 3 + 2.92) = 12.85 + 10.50 + 7.92 = 31.27
    # 产出 = 30; 效果 = 3.5 + 4 + 3.5 + 8 = 19
    assert {name: format(g.score, "f") for name, g in groups.items()} == {
        "投入": "13.45", "过程": "31.27", "产出": "30.00", "效果": "19.00"}
    assert [g.weight for g in groups.values()] == [15, 35, 30, 20]
    inner = {c.name: format(c.score, "f") for c in groups["过程"].children}
    assert inner == {"预算执行": "12.85", "预算管理": "10.50", "资产管理": "7.92"}
    # 13.45 + 31.27 + 30 + 19 = 93.72 → 优 (≥ 90)
    assert result.total == Decimal("93.72")
    assert result.grade == "优"
    # the case lists no 个性化指标 and reports no 结转结余资金: both checks say so rather than pass
    assert {c.id: c.status for c in result.checks if c.status != "passed"} == {
        "personalized-indicators": "skipped", "carryover-vs-execution": "skipped"}


def test_json_groups_tree(monkeypatch):
    from click.testing import CliRunner
    import json
    from engine.cli import main
    out = CliRunner().invoke(main, ["score", str(SCHEME), str(CASE), "--format", "json"])
    data = json.loads(out.stdout, parse_float=Decimal)
    process = next(g for g in data["groups"]["children"] if g["name"] == "过程")
    assert (process["weight"], process["score"]) == (Decimal("35.00"), Decimal("31.27"))
    execution = next(g for g in process["children"] if g["name"] == "预算执行")
    assert [c["name"] for c in execution["children"]][:2] == ["预算执行完成率", "预算调整率"]


# ------------------------------------------------------------------ edge cases ------

def variant(tmp_path, edit):
    """The 中方 case with one edit applied to its data."""
    data = engine.load_case(engine.load_scheme(SCHEME), CASE).document.data
    edit(data)
    path = tmp_path / "case.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


def test_no_procurement_at_all_redistributes_its_weight(tmp_path, scheme):
    # 政府采购 0 / 0 → not applicable, its 3 points shared by the other four of 预算执行 (12 points):
    # 执行完成率 5 × 15/12 = 6.25, 调整率 2 × 15/12 = 2.50, 公用 2.50, 三公控制 3.75, 采购 0.
    def edit(data):
        data["data"]["政府采购"] = {"预算": 0, "实际": 0}
    result = engine.score_file(scheme, variant(tmp_path, edit))
    by_id = {i.id: i for i in result.indicators}
    assert by_id["procurement"].not_applicable == "redistribute"
    assert (by_id["procurement"].weight, by_id["procurement"].score) == (0, 0)
    assert [by_id[i].weight for i in ("execution-completion", "budget-adjustment", "public-expense-control",
                                      "three-public-control")] == [Decimal("6.25"), Decimal("2.50"), Decimal("2.50"),
                                                                   Decimal("3.75")]
    # 预算执行 = 6.25 + 0 + 2.50 + 3.75 = 12.50; total = 93.72 − 12.85 + 12.50 = 93.37
    assert result.total == Decimal("93.37")
    assert result.max_total == Decimal("100.00")


def test_rectification_declared_not_applicable_gets_full_marks(tmp_path, scheme):
    def edit(data):
        data["assessments"]["rectification"] = {"not_applicable": "近三年未发现问题"}
    result = engine.score_file(scheme, variant(tmp_path, edit))
    rectification = next(i for i in result.indicators if i.id == "rectification")
    assert (rectification.score, rectification.not_applicable) == (Decimal("2.00"), "full_marks")


def test_not_applicable_where_the_scheme_does_not_allow_it(tmp_path, scheme):
    def edit(data):
        data["assessments"]["asset-safety"] = "不适用"
    with pytest.raises(CaseError, match="方案未允许指标“资产管理安全性”不适用"):
        engine.score_file(scheme, variant(tmp_path, edit))


def test_unanswered_checklist_item_is_located(tmp_path, scheme):
    def edit(data):
        data["assessments"]["asset-safety"] = ["是", "是", None, "是", "是"]
    path = variant(tmp_path, edit)
    with pytest.raises(CaseError) as caught:
        engine.score_file(scheme, path)
    problem = caught.value.problems[0]
    assert problem.message == "评价要点 ③“资产处置是否规范”未作答"
    assert problem.path == ("assessments", "asset-safety", 2)
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "asset-safety" in text)
    assert problem.location.line in (line, line + 3)  # flow or block list, wherever the dumper put the item


def test_wrong_number_of_answers(tmp_path, scheme):
    def edit(data):
        data["assessments"]["goal-reasonable"] = ["是", "是"]
    with pytest.raises(CaseError, match="评价要点共 3 项，回答了 2 项"):
        engine.score_file(scheme, variant(tmp_path, edit))


def test_missing_assessment(tmp_path, scheme):
    def edit(data):
        del data["assessments"]["social-benefit"]
    with pytest.raises(CaseError, match=r"缺少评价人对指标“社会效益”的判断（assessments.social-benefit）"):
        engine.score_file(scheme, variant(tmp_path, edit))


def test_assessor_score_outside_its_bounds(tmp_path, scheme):
    def edit(data):
        data["assessments"]["economic-benefit"] = {"score": Decimal("4.5")}
    with pytest.raises(CaseError) as caught:
        engine.score_file(scheme, variant(tmp_path, edit))
    problem = caught.value.problems[0]
    assert problem.message == "指标“经济效益”的评价人打分应在 0–4 分之间，实际为 4.5"
    assert problem.path == ("assessments", "economic-benefit", "score")
    assert problem.location.line is not None


def test_missing_input_is_named(tmp_path, scheme):
    def edit(data):
        del data["data"]["人员"]["编制数"]
    with pytest.raises(CaseError, match=r"缺少输入“编制人数”（data.人员.编制数）"):
        engine.score_file(scheme, variant(tmp_path, edit))


def test_zero_staffing_is_an_error_not_a_silent_zero(tmp_path, scheme):
    def edit(data):
        data["data"]["人员"]["编制数"] = 0
    with pytest.raises(CaseError, match=r"除数为 0.*在职人员数 = 12，编制数 = 0"):
        engine.score_file(scheme, variant(tmp_path, edit))


def test_unknown_assessment_id_has_a_did_you_mean(tmp_path, scheme):
    def edit(data):
        data["assessments"]["asset-safty"] = data["assessments"].pop("asset-safety")
    with pytest.raises(CaseError) as caught:
        engine.score_file(scheme, variant(tmp_path, edit))
    unknown = next(p for p in caught.value.problems if p.code == "unknown-id")
    assert unknown.message == "方案中没有编号为“asset-safty”的指标"
    assert unknown.hint.startswith("是否想写：asset-safety")


def test_overstaffing_loses_half_a_point_per_point(tmp_path, scheme):
    # 13 / 12 = 108.333 % → 8.333 points over × 0.5 = 4.17 > 3 → 0; with 编制 25: 26/25 = 104 % → 3 − 4 × 0.5 = 1
    def edit(data):
        data["data"]["人员"].update({"编制数": 25, "在职人员数": 26})
    result = engine.score_file(scheme, variant(tmp_path, edit))
    assert next(i for i in result.indicators if i.id == "staff-control").score == Decimal("1.00")

"""The seven published 沾益 项目支出绩效自评表 reproduce exactly, and their cross-checks pass.

The expected figures are the published ones, transcribed into each case's `reported` section
and rows' `score` from ../shared/seeds/000_9a5c883a7752c8ed.txt: 预算执行率 10 of 10, every
indicator row 30 of 30, 总分 100, 等级 优.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import engine

from conftest import ZHANYI_PROJECTS

EXPECTED_NAMES = {
    "财政专网信息化建设专项资金", "结算补助专项资金", "农村房屋火灾保险服务", "行政执法业务培训及能力提升",
    "行政事业单位内控报告编制", "创业担保贷款工作及奖补", "土地出让业务",
}


def test_all_seven_tables_are_transcribed(project_scheme):
    names = {engine.load_case(project_scheme, p).identity["name"] for p in ZHANYI_PROJECTS}
    assert names == EXPECTED_NAMES


@pytest.mark.parametrize("case_path", ZHANYI_PROJECTS, ids=[p.stem for p in ZHANYI_PROJECTS])
def test_published_scores_reproduce(case_path, project_scheme):
    result = engine.score_file(project_scheme, case_path)
    execution, *rows = result.indicators
    # 预算执行率: 执行数 = 预算数 in every table → 100 % × 10 = 10
    assert (execution.name, execution.weight, execution.score) == ("预算执行率", Decimal(10), Decimal("10.00"))
    assert len(rows) == 3
    for row in rows:
        assert row.weight == Decimal(30)
        assert row.score == row.reported_score == Decimal(30)
    # 总分 = 10 + 30 + 30 + 30 = 100 → 优 (≥ 90)
    assert result.total == Decimal("100.00")
    assert result.grade == "优"
    failed = [c.message for c in result.checks if c.status != "passed"]
    assert failed == []


def test_the_checks_do_find_a_wrong_published_score(tmp_path, project_scheme):
    # Publish 25 for a row that earns 30 (B 92 = A 92): the row check and the total check must fail.
    text = (ZHANYI_PROJECTS[0].parent / "fin-network.yaml").read_text(encoding="utf-8")
    text = text.replace("actual: 92, weight: 30, score: 30", "actual: 92, weight: 30, score: 25")
    text = text.replace("  total: 100\n", "  total: 95\n")
    case = tmp_path / "wrong.yaml"
    case.write_text(text, encoding="utf-8")
    result = engine.score_file(project_scheme, case)
    assert result.total == Decimal("100.00")  # a failed check never changes the score
    failed = {c.id: c for c in result.checks if c.status == "failed"}
    assert set(failed) == {"row-scores", "total"}
    assert "原表得分 25，按规则计算 30.00，相差 -5.00" in failed["row-scores"].details[0]
    assert "wrong.yaml:" in failed["row-scores"].details[0]
    assert failed["total"].message == "总分与原表一致：原表 95，按规则计算 100.00，相差 -5.00"


def test_the_checks_find_a_rate_that_does_not_match_the_amounts(tmp_path, project_scheme):
    # 113.41 / 113.41 = 100 %, but the table says 95.00 %: a difference of -5.00 points
    text = (ZHANYI_PROJECTS[0].parent / "fin-network.yaml").read_text(encoding="utf-8")
    text = text.replace("execution: {weight: 10, rate: 100.00%", "execution: {weight: 10, rate: 95.00%")
    case = tmp_path / "rate.yaml"
    case.write_text(text, encoding="utf-8")
    result = engine.score_file(project_scheme, case)
    failed = [c for c in result.checks if c.status == "failed"]
    assert [c.id for c in failed] == ["execution-rate"]
    assert failed[0].message == "执行率与金额相符：原表 95.00，按规则计算 100.00，相差 -5.00"


def test_sub_rows_that_do_not_add_up_are_reported(tmp_path, project_scheme):
    # 年度资金总额 left at 0 while 当年财政拨款 holds the money: the add-up checks fail, scoring goes on
    text = (ZHANYI_PROJECTS[0].parent / "fin-network.yaml").read_text(encoding="utf-8")
    text = text.replace("total:         {initial_budget: 113.41, full_year_budget: 113.41, executed: 113.41}",
                        "total:         {initial_budget: 0, full_year_budget: 113.41, executed: 113.41}")
    case = tmp_path / "sub.yaml"
    case.write_text(text, encoding="utf-8")
    result = engine.score_file(project_scheme, case)
    failed = {c.id: c.message for c in result.checks if c.status == "failed"}
    assert set(failed) == {"funds-initial-add-up"}
    assert "年初预算数 = 0" in failed["funds-initial-add-up"]
    assert "财政拨款年初预算数 = 113.41" in failed["funds-initial-add-up"]

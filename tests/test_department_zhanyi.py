"""The 沾益 部门整体支出绩效自评表: scored by the department-self-eval scheme, its figures cross-checked."""

from __future__ import annotations

from decimal import Decimal

import pytest

import engine

from conftest import ROOT

SCHEME = ROOT / "schemes" / "department-self-eval" / "2023.yaml"
CASE = ROOT / "cases" / "zhanyi-2023" / "department.yaml"


@pytest.fixture(scope="module")
def scheme():
    return engine.load_scheme(SCHEME)


def test_scores(scheme):
    result = engine.score_file(scheme, CASE)
    scores = [(i.name, i.weight, i.score) for i in result.indicators]
    # 预算执行率: Σ实际支出 365.32 / Σ批复金额 365.32 = 100 % → 10
    assert scores[0] == ("预算执行率", Decimal(10), Decimal("10.00"))
    # 产出 50 over 4 rows = 12.5 each; 效益 30 over 4 = 7.5; 满意度 10 over 1; every row meets its target
    assert [w for _, w, _ in scores[1:]] == [Decimal("12.50")] * 4 + [Decimal("7.50")] * 4 + [Decimal(10)]
    assert all(weight == score for _, weight, score in scores)
    # 10 + 50 + 30 + 10 = 100 → 优
    assert (result.total, result.grade) == (Decimal("100.00"), "优")


def test_every_cross_check_passes_on_the_published_figures(scheme):
    result = engine.score_file(scheme, CASE)
    statuses = {c.id: c.status for c in result.checks}
    # 1,157.34 + 365.32 = 1,522.66; 1,157.34 / 1,522.66 = 76.01 %; 365.32 / 1,522.66 = 23.99 %;
    # 38.50 + 113.41 + 189.55 + 6.00 + 6.00 + 3.86 + 8.00 = 365.32; each task 100.00 % of its amount.
    assert statuses == dict.fromkeys(statuses, "passed")
    assert {"spending-adds-up", "basic-share", "project-share", "key-tasks-add-up", "key-task-rates"} <= set(statuses)
    assert result.values["批复金额合计"] == Decimal("365.32")


def altered(tmp_path, old, new):
    text = CASE.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "department.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_an_altered_project_total_fails_the_named_checks(tmp_path, scheme):
    result = engine.score_file(scheme, altered(tmp_path, "项目支出: 365.32", "项目支出: 365.23"))
    failed = {c.id: c.message for c in result.checks if c.status == "failed"}
    # Σ tasks 365.32 vs 365.23: −0.09; 1,157.34 + 365.23 = 1,522.57 vs 1,522.66: +0.09.
    # 365.23 / 1,522.66 = 23.986 %, still 23.99 % within 0.01, so that check passes.
    assert failed == {
        "key-tasks-add-up": "重点任务批复金额合计等于项目支出：原表 365.23，按规则计算 365.32，相差 -0.09",
        "spending-adds-up": "基本支出 + 项目支出 = 支出合计：原表 1522.66，按规则计算 1522.57，相差 0.09",
    }
    assert result.total == Decimal("100.00")  # checks never change the score


def test_a_task_rate_that_does_not_match_its_amounts_is_listed_with_its_line(tmp_path, scheme):
    # 土地出让业务: 8.00 / 8.00 = 100 %, but the table says 98.00 %
    path = altered(tmp_path, "executed: 8.00, rate: 100.00%", "executed: 8.00, rate: 98.00%")
    result = engine.score_file(scheme, path)
    check = next(c for c in result.checks if c.id == "key-task-rates")
    assert check.status == "failed"
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "rate: 98.00%" in text)
    assert check.details == (
        f"{path}:{line}:5: 土地出让业务：各任务执行率与金额相符：原表 98.00，按规则计算 100.00，相差 -2.00",)


def test_a_level1_the_scheme_does_not_weigh_is_an_error(tmp_path, scheme):
    path = altered(tmp_path, "{level1: 满意度指标,", "{level1: 满意指标,")
    with pytest.raises(engine.CaseError, match="方案未给一级指标“满意指标”分值") as caught:
        engine.score_file(scheme, path)
    assert caught.value.problems[0].hint == "是否想写：满意度指标？"


def test_a_check_that_cannot_be_computed_says_why_and_scoring_goes_on(tmp_path, scheme):
    # 支出合计 0: the share checks divide by it. They are skipped with the reason; the score stands.
    path = altered(tmp_path, "支出合计: 1,522.66", "支出合计: 0")
    result = engine.score_file(scheme, path)
    checks = {c.id: c for c in result.checks}
    assert checks["basic-share"].status == "skipped"
    message = checks["basic-share"].message
    assert "无法计算（1157.34 / 0：除数为 0" in message and "支出合计 = 0" in message
    assert checks["spending-adds-up"].status == "failed"
    assert result.total == Decimal("100.00")

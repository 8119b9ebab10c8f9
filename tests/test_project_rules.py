"""Every project-level row rule of domain.md §1, scored through the whole pipeline.

The cases live in tests/data/project_rows.yaml with the hand arithmetic beside each expected
score; adding a case there adds a test here.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import engine
from engine.errors import CaseError

from conftest import project_case, read_data, scheme_variant, write_case

ROW_CASES = read_data("project_rows.yaml")
LINEAR_LINE = ('"≤": {rule: at_most, variant: ratio}', '"≤": {rule: at_most, variant: linear}')


@pytest.fixture(scope="module")
def linear_scheme(tmp_path_factory):
    path = scheme_variant(tmp_path_factory.mktemp("linear"), *LINEAR_LINE)
    return engine.load_scheme(path)


def _score_row(tmp_path, scheme, spec):
    row = {"level1": "产出指标", "level2": "数量指标", "name": spec["id"], **spec["row"]}
    # The execution row is full (100 / 100 → 10); the rest of the 90 points sit in a filler row
    # that scores in full, so the total checks stay meaningful.
    filler = {"level1": "满意度指标", "level2": "满意度", "name": "填充", "nature": "≥", "target": 1,
              "unit": "%", "actual": 1, "weight": 90 - spec["row"]["weight"]}
    case = write_case(tmp_path, project_case(rows=[row, filler]))
    return engine.score_file(scheme, case)


@pytest.mark.parametrize("spec", ROW_CASES, ids=[c["id"] for c in ROW_CASES])
def test_row_rule(spec, tmp_path, project_scheme, linear_scheme):
    scheme = linear_scheme if spec.get("variant") == "linear" else project_scheme
    if "error" in spec:
        with pytest.raises(CaseError) as caught:
            _score_row(tmp_path, scheme, spec)
        assert spec["error"] in str(caught.value)
        assert "case.yaml:" in str(caught.value)  # located in the case file
        return
    result = _score_row(tmp_path, scheme, spec)
    row = next(i for i in result.indicators if i.name == spec["id"])
    assert format(row.score, "f") == spec["score"]
    assert row.branch == spec["branch"]
    if "flags" in spec:
        assert list(row.flags) == spec["flags"]


def test_the_shipped_scheme_really_has_the_ratio_variant(project_scheme, linear_scheme):
    rule = project_scheme.row_templates()[0].by_nature["≤"]
    assert (rule.kind, rule.variant) == ("at_most", "ratio")
    assert linear_scheme.row_templates()[0].by_nature["≤"].variant == "linear"


def test_execution_rate_partial(tmp_path, project_scheme):
    # 执行率 = 189.55 / 200.00 = 0.94775 → 94.775 %, judged as shown: 94.78 % (rate_places 2, half-up);
    # 得分 = 0.9478 × 10 = 9.478 → 9.48
    funds = {"total": {"initial_budget": Decimal("200.00"), "full_year_budget": Decimal("200.00"),
                       "executed": Decimal("189.55")}}
    rows = [
        {"level1": "产出指标", "level2": "数量指标", "name": "培训人次", "nature": "≥", "target": 500,
         "unit": "人次", "actual": 450, "weight": 30},
        {"level1": "效益指标", "level2": "社会效益指标", "name": "能力提升", "nature": "≥", "target": 90,
         "unit": "%", "actual": 85, "weight": 30},
        {"level1": "效益指标", "level2": "时效指标", "name": "审批时间", "nature": "≤", "target": 30,
         "unit": "天", "actual": 36, "weight": 30},
    ]
    result = engine.score_file(project_scheme, write_case(tmp_path, project_case(rows=rows, funds=funds)))
    execution = result.indicators[0]
    assert execution.name == "预算执行率"
    assert execution.score == Decimal("9.48")
    assert result.values["预算执行率"] == Decimal("94.78")
    # Rows: 450/500×30 = 27.00; 85/90×30 = 28.33; 30/36×30 = 25.00 (ratio).
    assert [i.score for i in result.indicators[1:]] == [Decimal("27.00"), Decimal("28.33"), Decimal("25.00")]
    # Total = 9.48 + 27.00 + 28.33 + 25.00 = 89.81 → 良 (80 ≤ 89.81 < 90)
    assert result.total == Decimal("89.81")
    assert result.grade == "良"


def test_execution_over_budget_is_capped(tmp_path, project_scheme):
    # 执行率 = 120 / 100 = 120 % → 1.2 × 10 = 12, capped at the weight 10
    funds = {"total": {"initial_budget": 100, "full_year_budget": 100, "executed": 120}}
    result = engine.score_file(project_scheme, write_case(tmp_path, project_case(funds=funds)))
    assert result.indicators[0].score == Decimal("10.00")


def test_zero_budget_and_zero_spending_is_not_applicable_with_full_marks(tmp_path, project_scheme):
    # 0 / 0: the scheme declares if_zero=na and not_applicable: full_marks → 10 of 10, marked as such
    funds = {"total": {"initial_budget": 0, "full_year_budget": 0, "executed": 0}}
    result = engine.score_file(project_scheme, write_case(tmp_path, project_case(funds=funds)))
    execution = result.indicators[0]
    assert (execution.score, execution.not_applicable) == (Decimal("10.00"), "full_marks")


def test_spending_without_budget_is_an_error_naming_the_figures(tmp_path, project_scheme):
    funds = {"total": {"initial_budget": 0, "full_year_budget": 0, "executed": 5}}
    with pytest.raises(CaseError) as caught:
        engine.score_file(project_scheme, write_case(tmp_path, project_case(funds=funds)))
    message = str(caught.value)
    assert "除数为 0" in message and "全年执行数 = 5" in message and "全年预算数 = 0" in message


def test_amounts_with_separators_and_units(tmp_path, project_scheme):
    # "1,522.66" and "1，522.66万元" are the same 1522.66 万元; "15226600元" is 1522.66 万元 too
    funds = {"total": {"initial_budget": "1,522.66", "full_year_budget": "1，522.66万元", "executed": "15226600元"}}
    result = engine.score_file(project_scheme, write_case(tmp_path, project_case(funds=funds)))
    assert result.values["预算执行率"] == Decimal("100.00")
    assert result.indicators[0].score == Decimal("10.00")


def test_unit_mismatch_is_refused(tmp_path, project_scheme):
    funds = {"total": {"initial_budget": 100, "full_year_budget": 100, "executed": "100户"}}
    with pytest.raises(CaseError) as caught:
        engine.score_file(project_scheme, write_case(tmp_path, project_case(funds=funds)))
    assert "单位不符：应为 万元，写的是 户" in str(caught.value)
    assert "funds.total.executed" in str(caught.value)

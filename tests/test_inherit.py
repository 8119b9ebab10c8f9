"""`extends:`: a year's scheme inherits the last one and changes only what it lists, by id."""

from __future__ import annotations

from decimal import Decimal

import pytest

import engine
from engine.errors import EngineError

from conftest import ROOT

BASE = ROOT / "schemes" / "four-dimension" / "2023.yaml"
CASE = ROOT / "cases" / "zhongfang-2023" / "department.yaml"


def child(tmp_path, body: str, name: str = "2024.yaml"):
    path = tmp_path / name
    path.write_text(f"extends: {BASE}\nfiscal_year: 2024\n{body}", encoding="utf-8")
    return path


def scheme_of(path):
    return engine.load_scheme(path)


def test_shipped_2024_changes_two_weights_and_a_tier(tmp_path):
    new = engine.load_scheme(ROOT / "schemes" / "four-dimension" / "2024.yaml")
    leaves = {leaf.id: leaf for leaf in new.leaves()}
    assert (leaves["staff-control"].weight, leaves["key-project-guarantee"].weight) == (4, 3)
    assert [t.bound for t in leaves["key-project-guarantee"].rule.tiers][:2] == [90, 85]
    assert new.fiscal_year == 2024 and len(new.leaves()) == 22 and new.title.startswith("部门整体支出绩效评价")


def test_remove_and_add(tmp_path):
    path = child(tmp_path, """\
indicators:
  - {id: procurement, remove: true}
  - id: performance-review
    under: budget-execution
    after: three-public-control
    name: 绩效自评完成及时性
    weight: 3
    rule: assessor
""")
    scheme = scheme_of(path)
    group = next(g for g in engine.model.walk(scheme.root) if getattr(g, "id", "") == "budget-execution")
    assert [c.id for c in group.children] == [
        "execution-completion", "budget-adjustment", "public-expense-control", "three-public-control", "performance-review"]
    case = CASE.read_text(encoding="utf-8").replace("economic-benefit:", "performance-review: 2.5\n  economic-benefit:")
    case_path = tmp_path / "case.yaml"
    case_path.write_text(case.replace("fiscal_year: 2023", "fiscal_year: 2024"), encoding="utf-8")
    result = engine.score_file(scheme, case_path)
    # 93.72 − procurement 2.85 + performance-review 2.5 = 93.37
    assert result.total == Decimal("93.37")


def test_an_error_in_the_child_points_at_the_child_file(tmp_path):
    path = child(tmp_path, "indicators:\n  - {id: staff-control, weight: 4, value: 在职人员控制}\n")
    with pytest.raises(EngineError) as caught:
        scheme_of(path)
    problem = next(p for p in caught.value.problems if p.code == "unknown-name")
    assert problem.location.file == str(path) and problem.location.line == 4
    assert problem.hint == "是否想写：在职人员控制率？"


def test_an_error_the_change_exposes_in_the_base_points_at_the_base_file(tmp_path):
    # Raising one child's weight breaks its group's declared total, which is written in the base file.
    path = child(tmp_path, "indicators:\n  - {id: staff-control, weight: 5}\n")
    with pytest.raises(EngineError) as caught:
        scheme_of(path)
    problem = next(p for p in caught.value.problems if "预算配置" in p.message)
    assert problem.location.file == str(BASE)
    line = next(i for i, text in enumerate(BASE.read_text(encoding="utf-8").splitlines(), 1) if "id: budget-allocation" in text)
    assert problem.location.line == line + 2  # the group's `weight: 10`
    assert "“预算配置”分值为 10，但下级分值之和为 12" in problem.message
    # …and the grand total, whose list the child file rewrote, is reported against the child.
    total = next(p for p in caught.value.problems if "应为满分 100" in p.message)
    assert total.location.file == str(tmp_path / "2024.yaml")


@pytest.mark.parametrize("body, message", [
    ("indicators:\n  - {id: staff-contrl, remove: true}\n", "要删除的“staff-contrl”在继承的方案中不存在"),
    ("indicators:\n  - {id: brand-new, weight: 1, rule: assessor, name: 新}\n", "新增指标须写 under"),
    ("indicators:\n  - {id: brand-new, under: nowhere, weight: 1, rule: assessor, name: 新}\n", "没有分组“nowhere”"),
])
def test_patch_mistakes_are_located(tmp_path, body, message):
    with pytest.raises(EngineError) as caught:
        scheme_of(child(tmp_path, body))
    assert message in str(caught.value)
    assert str(tmp_path / "2024.yaml") + ":4:" in str(caught.value)


def test_inheritance_cycle_and_missing_base(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nfiscal_year: 2024\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nfiscal_year: 2025\n", encoding="utf-8")
    with pytest.raises(EngineError, match="方案继承形成循环"):
        scheme_of(tmp_path / "a.yaml")
    (tmp_path / "c.yaml").write_text("extends: nothing.yaml\nfiscal_year: 2024\n", encoding="utf-8")
    with pytest.raises(EngineError, match="找不到继承的方案文件"):
        scheme_of(tmp_path / "c.yaml")


def test_inputs_merge_by_name(tmp_path):
    path = child(tmp_path, "inputs:\n  满意度: {label: 满意度（问卷）, from: data.满意度, type: rate, unit: \"%\"}\n")
    scheme = scheme_of(path)
    assert scheme.inputs["满意度"].label == "满意度（问卷）"
    assert "编制数" in scheme.inputs  # the rest is inherited

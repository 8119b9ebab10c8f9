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


# ------------------------------------------------------------------ say only what changed (issue 11) ----

PROJECT = ROOT / "schemes" / "project-self-eval" / "2023.yaml"
FIRE = ROOT / "cases" / "zhanyi-2023" / "projects" / "fire-insurance.yaml"

# One row of each nature; the ≤ row is over its target, so the two ≤ variants give different scores.
FOUR_NATURES = """\
scheme: project-self-eval
fiscal_year: 2025
kind: project
name: 四种性质
funds: {unit: 万元, total: {initial_budget: 100, full_year_budget: 100, executed: 90}}
indicators:
  - {level1: 产出指标, level2: 数量指标, name: 培训人次, nature: "≥", target: 500, unit: 人次, actual: 400, weight: 30}
  - {level1: 产出指标, level2: 时效指标, name: 办结时限, nature: "≤", target: 30, unit: 天, actual: 36, weight: 30}
  - {level1: 效益指标, level2: 社会效益指标, name: 覆盖率, nature: "=", target: 100, unit: "%", actual: 100, weight: 20}
  - {level1: 满意度指标, level2: 服务对象满意度指标, name: 工作成效, nature: 定性, target: 达成, actual: 达成, weight: 10, score: 9}
"""


def project_child(tmp_path, body: str, year: int = 2025):
    path = tmp_path / f"{year}.yaml"
    path.write_text(f"extends: {PROJECT}\nfiscal_year: {year}\n{body}", encoding="utf-8")
    return path


def test_a_one_line_by_nature_patch_changes_only_the_rows_it_names(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text(FOUR_NATURES, encoding="utf-8")
    path = project_child(tmp_path, 'indicators:\n  - {id: performance, by_nature: {"≤": {variant: linear}}}\n')
    assert engine.api.validate_files([path])[0].problems == []
    linear = engine.score_file(engine.load_scheme(path), case)
    scores = [r.score for r in linear.indicators]
    # 执行率 90 / 100 = 90 % → 10 × 0.9 = 9.00
    # ≥ 400 / 500 × 30 = 24.00;  ≤ linear: (1 − (36 − 30) / 30) × 30 = 0.8 × 30 = 24.00
    # = 100 ≥ 100 → 20.00;  定性 达成, the assessor's 9 inside 80–100 % of 10 → 9.00
    assert scores == [Decimal("9.00"), Decimal("24.00"), Decimal("24.00"), Decimal("20.00"), Decimal("9.00")]
    # the inherited ratio variant: 30 / 36 × 30 = 25.00 — the only row that differs
    ratio = project_child(tmp_path, "", 2026)
    base_case = tmp_path / "case2026.yaml"
    base_case.write_text(FOUR_NATURES.replace("2025", "2026"), encoding="utf-8")
    assert [r.score for r in engine.score_file(engine.load_scheme(ratio), base_case).indicators] == \
        [Decimal("9.00"), Decimal("24.00"), Decimal("25.00"), Decimal("20.00"), Decimal("9.00")]


def test_a_checks_patch_changes_one_expected_figure(tmp_path):
    # A bureau whose 预算执行率 is worth 20: the weight, the rows' total and the check's expected 分值.
    path = project_child(tmp_path, """\
indicators:
  - {id: execution, weight: 20}
  - {id: performance, weight_total: 80}
checks:
  - {id: execution-weight, computed: 20}
""", 2023)
    scheme = engine.load_scheme(path)
    case = FIRE.read_text(encoding="utf-8").replace("weight: 30, score: 30", "weight: 26.67, score: 26.67", 2)
    case = case.replace("execution: {weight: 10, rate: 100.00%, score: 10}", "execution: {weight: 20, rate: 100.00%, score: 20}")
    case = case.replace("weight: 30, score: 30", "weight: 26.66, score: 26.66").replace("total_weight: 100", "total_weight: 100")
    case_path = tmp_path / "case.yaml"
    case_path.write_text(case, encoding="utf-8")
    result = engine.score_file(scheme, case_path)
    status = {check.id: check.status for check in result.checks}
    # 20 (执行率 100 %) + 26.67 + 26.67 + 26.66 = 100.00; the printed 执行率分值 20 is what the check now expects
    assert result.total == Decimal("100.00") and status["execution-weight"] == "passed"
    assert status["weights-add-up"] == "passed"


def test_remove_a_grade_a_check_and_an_indicator(tmp_path):
    path = project_child(tmp_path, """\
grades:
  - {name: 中, remove: true}
  - {name: 合格, min: 60}
checks:
  - {id: percent-scale, remove: true}
""")
    scheme = engine.load_scheme(path)
    assert [(g.name, g.min) for g in scheme.grades] == [("优", 90), ("良", 80), ("合格", 60), ("差", 0)]
    assert "percent-scale" not in [c.id for c in scheme.checks] and len(scheme.checks) == 14
    assert scheme.version == "2025.1"  # not the inherited 2023.1
    removed = project_child(tmp_path, "indicators:\n  - {id: execution, remove: true}\n", 2027)
    with pytest.raises(EngineError) as caught:  # a check of the base still reads the removed indicator's score
        engine.load_scheme(removed)
    line = next(i for i, text in enumerate(PROJECT.read_text(encoding="utf-8").splitlines(), 1)
                if "computed: score.execution" in text)
    assert str(caught.value).startswith(f"{PROJECT}:{line}:15: checks[8].computed：未知名称“score.execution”")


@pytest.mark.parametrize("body, line, message", [
    ("grades:\n  - {name: 中等, remove: true}\n", 4, "要删除的“中等”在继承的方案中不存在（提示：是否想写：中？）"),
    ("checks:\n  - {id: percent-scal, remove: true}\n", 4, "要删除的“percent-scal”在继承的方案中不存在"),
    ('indicators:\n  - id: performance\n    by_nature: {"=": {remove: true}}\n', 5,
     "指标性质“=”既没有计分规则，也没有写明不予计分"),
    ("grades:\n  - {name: 良, min: 95}\n", 4, "等级应从高到低排列：“良”的下限 95 高于上一档“优”的 90"),
])
def test_a_resolved_scheme_is_refused_where_the_user_edited_it(tmp_path, body, line, message):
    path = project_child(tmp_path, body)
    [check] = engine.api.validate_files([path])
    assert any(str(p).startswith(f"{path}:{line}:") and message in str(p) for p in check.problems), check.problems


def test_a_nature_refused_on_purpose(tmp_path):
    path = project_child(tmp_path, 'indicators:\n  - {id: performance, by_nature: {"=": refuse}}\n')
    case = tmp_path / "case.yaml"
    case.write_text(FOUR_NATURES, encoding="utf-8")
    with pytest.raises(EngineError) as caught:
        engine.score_file(engine.load_scheme(path), case)
    assert str(caught.value) == f"{case}:9:5: 方案“project-self-eval”规定性质为“=”的指标行不予计分"


def test_resolve_prints_the_merged_scheme_with_where_each_line_came_from(tmp_path):
    from click.testing import CliRunner

    from engine.cli import main
    from engine.load import parse_document

    path = project_child(tmp_path, 'indicators:\n  - {id: performance, by_nature: {"≤": {variant: linear}}}\n')
    result = CliRunner().invoke(main, ["resolve", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "fiscal_year: 2025  # 2025.yaml:2" in lines
    assert any(line.strip().startswith("variant: linear  # 2025.yaml:4") for line in lines)
    assert any(line.strip().startswith("rule: at_most  # ") and "project-self-eval/2023.yaml:" in line for line in lines)
    assert parse_document(result.stdout).data == engine.inherit.load_scheme_document(path).data


def test_new_year_writes_the_scheme_and_its_tests_and_a_case_of_that_year_scores(tmp_path):
    import shutil

    from click.testing import CliRunner

    from engine.cli import main

    folder = tmp_path / "schemes" / "project-self-eval"
    folder.mkdir(parents=True)
    shutil.copy(PROJECT, folder / "2023.yaml")
    (folder / "2023.test.yaml").write_text(
        (PROJECT.parent / "2023.test.yaml").read_text(encoding="utf-8").replace("../../cases", str(ROOT / "cases")),
        encoding="utf-8")
    refused = CliRunner().invoke(main, ["score", str(folder / "2023.yaml"), str(tmp_path / "case.yaml")])
    case = tmp_path / "case.yaml"
    case.write_text(FIRE.read_text(encoding="utf-8").replace("fiscal_year: 2023", "fiscal_year: 2024"), encoding="utf-8")
    refused = CliRunner().invoke(main, ["score", str(folder / "2023.yaml"), str(case)])
    assert refused.exit_code == 2 and f"engine new-year {folder / '2023.yaml'} 2024" in refused.stderr
    made = CliRunner().invoke(main, ["new-year", str(folder / "2023.yaml"), "2024"])
    assert made.exit_code == 0 and made.stdout == f"已写入 {folder / '2024.yaml'}\n已写入 {folder / '2024.test.yaml'}\n"
    assert (folder / "2024.yaml").read_text(encoding="utf-8").endswith(
        'extends: 2023.yaml\nfiscal_year: 2024\nversion: "2024.1"\n')
    scored = CliRunner().invoke(main, ["score", str(folder / "2024.yaml"), str(case)])
    assert scored.exit_code == 0 and "［project-self-eval 2024 版本 2024.1］" in scored.stdout
    assert "总分 100.00 / 100.00　等级 优" in scored.stdout
    tested = CliRunner().invoke(main, ["test", str(folder / "2024.test.yaml")])
    assert tested.exit_code == 0 and tested.stdout.endswith("24 passed, 0 failed\n")
    again = CliRunner().invoke(main, ["new-year", str(folder / "2023.yaml"), "2024"])
    assert again.exit_code == 2 and "文件已存在，未覆盖" in again.stderr


def test_diff_counts_the_cases_it_could_not_score_apart(tmp_path):
    from click.testing import CliRunner

    from engine.cli import main

    path = project_child(tmp_path, 'indicators:\n  - {id: performance, by_nature: {"=": refuse}}\n', 2023)
    result = CliRunner().invoke(main, ["diff", str(PROJECT), str(path), "--cases", str(ROOT / "cases" / "zhanyi-2023")])
    assert result.exit_code == 1
    # Of the seven 沾益 tables, 财政专网, 火灾保险 and 内控报告 have “=” rows: those three cannot be scored any
    # more; the other four score as before. (The folder's department case belongs to another scheme.)
    assert ("案例重新计分：4 个案例，0 个的总分或等级有变化；另有 3 个案例无法计分，列在后面"
            "（另有 1 个文件不是方案“project-self-eval”的案例，未计分）") in result.stdout
    assert "无法计分的案例（3 个）：" in result.stdout and "  ~ 绩效指标 指标性质 = 的规则 等于（=） → 不予计分" in result.stdout


@pytest.mark.parametrize("variant, lines", [
    ("hubei", ["  ~ 预算执行率 分值 10 → 20", "  ~ 绩效指标 各行分值合计 90 → 80"]),
    ("anhui", ["  ~ 绩效指标 各一级指标分值 （无） → 产出指标 50、效益指标 30、满意度指标 10",
               "  + level1-shares 各一级指标分值与规定相符（内置 level1_shares）"]),
    ("sichuan", ["  + 单位资金全年预算数 取自 funds.unit_funds.full_year_budget（money，万元）"]),
])
def test_diff_names_what_a_regional_variant_changes(variant, lines):
    from click.testing import CliRunner

    from engine.cli import main

    result = CliRunner().invoke(main, ["diff", str(PROJECT), str(ROOT / "schemes" / f"project-self-eval-{variant}" / "2023.yaml")])
    assert result.exit_code == 0
    for line in lines:
        assert line in result.stdout.splitlines()

"""Authoring commands: validate, explain, test, diff, schema — exact output against golden files.

The golden comparisons check layout only (the engine once wrote them). The figures that matter are
asserted by hand beside each comparison, with the arithmetic in a comment, and every indicator of
the cases they run is worked by hand in test_four_dimension.py and test_zhanyi_projects.py.
Regenerate goldens on purpose with `python -m pytest tests/test_authoring.py --update-golden`
and read the diff before committing.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from engine.cli import main

from conftest import ROOT
from test_cli_golden import compare

PLANTED = "tests/data/planted-errors.yaml"


def invoke(monkeypatch, *args):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code in (0, 1, 2) and "内部错误" not in result.output, result.output  # never exit 3
    return result


def planted_lines() -> dict[str, int]:
    lines = (ROOT / PLANTED).read_text(encoding="utf-8").splitlines()
    return {m.group(1): i for i, line in enumerate(lines, 1) if (m := re.search(r"# planted: ([\w-]+)", line))}


def test_validate_reports_every_planted_error_with_its_line(monkeypatch, update_golden):
    result = invoke(monkeypatch, "validate", PLANTED)
    assert result.exit_code == 1
    compare("validate-planted.txt", result.stdout, update_golden)
    lines = planted_lines()
    found = {int(m.group(1)) for m in re.finditer(r"planted-errors\.yaml:(\d+):\d+:", result.stdout)}
    duplicate_id_line = lines["formula-refused"] - 3  # the second "id: staff"
    expected = {lines["grade-gap"], lines["cycle"] - 0, lines["unknown-name"], lines["weights"],
                duplicate_id_line, lines["formula-refused"], lines["unknown-key"], lines["tiers"]}
    assert expected <= found, f"missing lines {sorted(expected - found)}"
    for message in ("0–10 分没有等级", "派生值循环引用：甲 → 乙 → 甲", "未知名称“编制人数”", "是否想写：编制数",
                    "“投入”分值为 40，但下级分值之和为 30", "指标编号“staff”重复", "下划线", "不认识的键“wieght”",
                    "是否想写：weight", "各档界限应从大到小排列"):
        assert message in result.stdout


def test_validate_json(monkeypatch):
    result = invoke(monkeypatch, "validate", PLANTED, "--format", "json")
    data = json.loads(result.stdout)
    assert data[0]["kind"] == "scheme" and data[0]["ok"] is False
    assert {p["code"] for p in data[0]["problems"]} >= {"grade-gap", "cycle", "unknown-name", "weights", "duplicate-id"}
    assert all(p["line"] for p in data[0]["problems"])


def test_validate_clean_files_and_kinds(monkeypatch, update_golden):
    result = invoke(monkeypatch, "validate", "schemes", "cases")
    assert result.exit_code == 0
    compare("validate-shipped.txt", result.stdout, update_golden)


def test_validate_unreadable_file_exits_2(tmp_path, monkeypatch):
    broken = tmp_path / "broken.yaml"
    broken.write_text("scheme: [unclosed\n", encoding="utf-8")
    result = invoke(monkeypatch, "validate", str(broken))
    assert result.exit_code == 2
    assert "YAML 语法错误" in result.stdout


def test_explain_partial_case(tmp_path, monkeypatch, update_golden):
    case = ROOT / "tests" / "data" / "partial-project.yaml"
    result = invoke(monkeypatch, "explain", "schemes/project-self-eval/2023.yaml", str(case.relative_to(ROOT)))
    assert result.exit_code == 0
    compare("explain-partial-project.txt", result.stdout, update_golden)
    # The branch text the issue asks for, and the margin to the next grade with the largest shortfalls.
    assert "实际完成值 85 < 指标值 90 → 85 / 90 × 30 = 28.333333…" in result.stdout
    assert "四舍五入保留 2 位：28.333333… → 28.33" in result.stdout
    assert "距 优 差 0.19 分；失分最多：审批时间（失 5.00 分）" in result.stdout


def test_explain_department(monkeypatch, update_golden):
    result = invoke(monkeypatch, "explain", "schemes/four-dimension/2023.yaml", "cases/zhongfang-2023/department.yaml")
    assert result.exit_code == 0
    compare("explain-zhongfang-department.txt", result.stdout, update_golden)
    assert "= ratio(abs(470.07 - 266.87), 470.07) * 100" in result.stdout
    assert "已是最高等级 优，高出下限 3.72 分" in result.stdout


def test_explain_one_indicator_and_an_unknown_one(monkeypatch):
    result = invoke(monkeypatch, "explain", "schemes/four-dimension/2023.yaml", "cases/zhongfang-2023/department.yaml",
                    "预算调整率")
    assert result.stdout.count("【") == 1 and "落在" not in result.stdout
    assert "计分值 43.23 不属于以上各档 → 0% × 2 = 0" in result.stdout  # |470.07 − 266.87| / 470.07
    unknown = invoke(monkeypatch, "explain", "schemes/four-dimension/2023.yaml", "cases/zhongfang-2023/department.yaml",
                     "预算调整")
    assert unknown.exit_code == 2
    assert "没有指标“预算调整”" in unknown.stderr and "是否想写：预算调整率" in unknown.stderr


def test_score_explain_appends_the_sheet(monkeypatch):
    result = invoke(monkeypatch, "score", "schemes/project-self-eval/2023.yaml",
                    "cases/zhanyi-2023/projects/startup-loan.yaml", "--explain")
    assert "总分 100.00 / 100.00　等级 优" in result.stdout
    assert "实际完成值 25 ≤ 指标值 30 → 得满分 30" in result.stdout


def test_engine_test_passes_on_every_shipped_scheme(monkeypatch, update_golden):
    result = invoke(monkeypatch, "test", "--coverage")
    assert result.exit_code == 0
    compare("test-shipped.txt", result.stdout, update_golden)
    assert re.search(r"^\d+ passed, 0 failed$", result.stdout, re.M)


def test_a_wrong_expectation_fails_with_a_readable_diff(tmp_path, monkeypatch):
    wrong = tmp_path / "wrong.test.yaml"
    wrong.write_text(f"""\
scheme: {ROOT / 'schemes/project-self-eval/2023.yaml'}
tests:
  - name: 正确的期望
    case: {ROOT / 'cases/zhanyi-2023/projects/fire-insurance.yaml'}
    expect: {{total: 100, grade: 优}}
  - name: 错误的期望
    case: {ROOT / 'cases/zhanyi-2023/projects/fire-insurance.yaml'}
    set: {{indicators.2.actual: 85}}
    expect: {{total: 98.34, grade: 良, scores: {{农户满意度: 28.34}}, checks: {{total: passed}}}}
""", encoding="utf-8")
    result = invoke(monkeypatch, "test", str(wrong))
    assert result.exit_code == 1
    # 85 / 90 × 30 = 28.33; total 10 + 30 + 30 + 28.33 = 98.33 → 优; the published total 100 no longer matches
    assert "  ✓ 正确的期望" in result.stdout
    assert f"  ✗ 错误的期望（{wrong}:6:5）" in result.stdout
    assert "      总分：期望 98.34，实际 98.33" in result.stdout
    assert "      等级：期望 良，实际 优" in result.stdout
    assert "      指标 农户满意度［performance-3］得分：期望 28.34，实际 28.33" in result.stdout
    assert "      核对 total：期望 passed，实际 failed" in result.stdout
    assert result.stdout.rstrip().endswith("1 passed, 1 failed")


DIFF_ARGS = ("diff", "schemes/four-dimension/2023.yaml", "schemes/four-dimension/2024.yaml")


def test_diff_with_cases(monkeypatch, update_golden):
    result = invoke(monkeypatch, *DIFF_ARGS, "--cases", "cases/")
    assert result.exit_code == 0
    compare("diff-four-dimension-2023-2024.txt", result.stdout, update_golden)
    assert "~ 在职人员控制率 分值 3 → 4" in result.stdout
    # 中方: staff-control +1 (3 → 4), key-project 3.20 → 1.80 (84.48 % < 85 %, ≥ 70 tier, 60 % × 3): 93.72 → 93.32
    assert "cases/zhongfang-2023/department.yaml：总分 93.72 → 93.32（-0.40），等级 优" in result.stdout


def test_diff_finds_the_case_whose_grade_flips(tmp_path, monkeypatch):
    # 重点工作 8 → 9 交办、完成 8: 8/9 × 30 = 26.67 → 2023 total 93.72 − 3.33 = 90.39 (优);
    # under 2024 it loses another 0.40 → 89.99 (良).
    text = (ROOT / "cases/zhongfang-2023/department.yaml").read_text(encoding="utf-8")
    text = text.replace("交办数: 8 ", "交办数: 9 ")
    (tmp_path / "near-the-line.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "unchanged.yaml").write_text((ROOT / "cases/zhongfang-2023/department.yaml").read_text(encoding="utf-8"),
                                             encoding="utf-8")
    result = invoke(monkeypatch, *DIFF_ARGS, "--cases", str(tmp_path))
    assert f"{tmp_path / 'near-the-line.yaml'}：总分 90.39 → 89.99（-0.40），等级 优 → 良，等级改变" in result.stdout
    assert "案例重新计分：2 个案例，2 个的总分或等级有变化" in result.stdout


def test_diff_of_identical_schemes(monkeypatch):
    result = invoke(monkeypatch, "diff", "schemes/four-dimension/2023.yaml", "schemes/four-dimension/2023.yaml")
    assert "两个方案的计分规则没有差别。" in result.stdout


@pytest.mark.parametrize("kind", ["scheme", "case", "test"])
def test_schema_command_prints_the_shipped_schema(kind, monkeypatch):
    result = invoke(monkeypatch, "schema", kind)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))

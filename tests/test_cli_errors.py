"""Bad input: exit code 2, a Chinese message with file:line:column and the path, no traceback."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from engine.cli import main

from conftest import PROJECT_SCHEME, ZHANYI_PROJECTS, scheme_variant

FIRE = next(p for p in ZHANYI_PROJECTS if p.stem == "fire-insurance")


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code in (0, 1, 2) and "内部错误" not in result.output, result.output  # never exit 3
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    return result


def edited_case(tmp_path, old, new, name="case.yaml"):
    text = FIRE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path, needle):
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_yaml_syntax_error(tmp_path):
    case = edited_case(tmp_path, "kind: project", "kind: [project")
    result = run("score", PROJECT_SCHEME, case)
    assert result.exit_code == 2
    assert re.search(r"case\.yaml:\d+:\d+: YAML 语法错误", result.output)


def test_weight_written_in_words(tmp_path):
    case = edited_case(tmp_path, "actual: 100, weight: 30", "actual: 100, weight: 三十")
    result = run("score", PROJECT_SCHEME, case)
    assert result.exit_code == 2
    line = line_of(case, "weight: 三十")
    column = case.read_text(encoding="utf-8").splitlines()[line - 1].index("三十") + 1
    assert f"case.yaml:{line}:{column}: indicators[0].weight：应为数字，实际为“三十”" in result.output


def test_unknown_name_in_a_formula_has_a_did_you_mean(tmp_path):
    scheme = scheme_variant(tmp_path, "formula: ratio(全年执行数, 全年预算数, if_zero=na) * 100",
                            "formula: ratio(全年执行数, 全年预算, if_zero=na) * 100")
    result = run("score", scheme, FIRE)
    assert result.exit_code == 2
    line = line_of(scheme, "ratio(全年执行数, 全年预算,")
    assert f"variant.yaml:{line}:14: derived.预算执行率.formula：未知名称“全年预算”" in result.output
    assert "是否想写：全年预算数" in result.output


@pytest.mark.parametrize("formula, message", [
    ("ratio(全年执行数, 全年预算数).__class__", "不能访问对象的属性"),
    ("(lambda: 1)()", "只能调用函数表中的函数"),
    ("lambda: 1", "不能定义函数（lambda）"),
    ("open('/etc/passwd')", "未知函数“open”"),
    ("__import__('os').system('true')", "只能调用函数表中的函数"),
    ("__import__('os')", "未知函数“__import__”"),
    ("全年执行数.__class__", "以下划线或 func_ 开头"),
])
def test_formulas_outside_the_language_are_refused(tmp_path, formula, message):
    scheme = scheme_variant(tmp_path, "formula: ratio(全年执行数, 全年预算数, if_zero=na) * 100",
                            f'formula: "{formula}"')
    result = run("score", scheme, FIRE)
    assert result.exit_code == 2
    line = line_of(scheme, formula)
    assert f"variant.yaml:{line}:14: derived.预算执行率.formula：" in result.output
    assert message in result.output


def test_missing_input_names_it(tmp_path):
    case = edited_case(tmp_path, "full_year_budget: 38.50, executed: 38.50}   # 年度资金总额",
                       "executed: 38.50}   # 年度资金总额")
    result = run("score", PROJECT_SCHEME, case)
    assert result.exit_code == 2
    line = line_of(case, "# 年度资金总额")
    assert (f"case.yaml:{line}:3: funds.total.full_year_budget：缺少输入“年度资金总额·全年预算数”"
            in result.output)


def test_case_for_another_fiscal_year(tmp_path):
    case = edited_case(tmp_path, "fiscal_year: 2023", "fiscal_year: 2022")
    result = run("score", PROJECT_SCHEME, case)
    assert result.exit_code == 2
    line = line_of(case, "fiscal_year: 2022")
    assert f"case.yaml:{line}:14: fiscal_year：案例年度为 2022，方案年度为 2023，年度不符" in result.output


def test_unknown_key_suggests_the_right_one(tmp_path):
    case = edited_case(tmp_path, "implementer:", "implementor:")
    result = run("score", PROJECT_SCHEME, case)
    assert result.exit_code == 2
    assert "不认识的键“implementor”（提示：是否想写：implementer" in result.output


def test_every_problem_is_reported_at_once(tmp_path):
    case = edited_case(tmp_path, "fiscal_year: 2023", "fiscal_year: 2022")
    text = case.read_text(encoding="utf-8").replace("actual: 90, weight: 30", "actual: 九十, weight: 30")
    case.write_text(text, encoding="utf-8")
    result = run("score", PROJECT_SCHEME, case)
    assert result.exit_code == 2
    lines = [l for l in result.output.splitlines() if l.startswith(str(case))]
    assert len(lines) == 2
    assert "fiscal_year" in lines[0] and "indicators[2].actual" in lines[1]  # sorted by position


def test_missing_file():
    result = run("score", PROJECT_SCHEME, "no/such/case.yaml")
    assert result.exit_code == 2
    assert "no/such/case.yaml: 文件不存在" in result.output


def test_duplicate_keys_are_reported_not_silently_dropped(tmp_path):
    case = edited_case(tmp_path, "kind: project", "kind: project\nname: 另一个名字")
    result = run("score", PROJECT_SCHEME, case)
    assert result.exit_code == 2
    assert "键“name”重复出现" in result.output


def test_a_scheme_passed_as_the_case(tmp_path):
    result = run("score", PROJECT_SCHEME, PROJECT_SCHEME)
    assert result.exit_code == 2
    assert "缺少必填项“name”" in result.output


def test_json_format_reports_errors_as_json(tmp_path):
    case = edited_case(tmp_path, "fiscal_year: 2023", "fiscal_year: 2022")
    result = CliRunner().invoke(main, ["score", str(PROJECT_SCHEME), str(case), "--format", "json"])
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["kind"] == "case"
    assert payload["problems"][0]["path"] == "fiscal_year"
    assert payload["problems"][0]["line"] == line_of(case, "fiscal_year: 2022")


@pytest.mark.parametrize("args, message", [
    (["score", "s.yaml"], "命令行有误：缺少 CASE"),
    (["score", "s.yaml", "c.yaml", "--formt", "json"], "命令行有误：没有选项 --formt；是否想写：--format"),
    (["score", "s.yaml", "c.yaml", "--format", "xml"], "命令行有误：--format 的值不对"),
    (["scor"], "命令行有误：没有命令 scor；是否想写：score"),
])
def test_command_line_mistakes_are_told_in_chinese(args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.stderr and "--help 查看用法" in result.stderr

"""The formula language: exact Decimal arithmetic, an allow-list, and parsing once per scheme."""

from __future__ import annotations

import ast
from decimal import Decimal

import pytest
import simpleeval

import engine
from engine.formula import NA, FormulaError, NotApplicable, compile_formula, ratio

from conftest import PROJECT_SCHEME, ZHANYI_PROJECTS


def run(source, **values):
    return compile_formula(source, values).evaluate({k: Decimal(str(v)) for k, v in values.items()})


def test_literals_are_exact_decimals():
    assert run("0.1 + 0.2") == Decimal("0.3")  # a float would give 0.30000000000000004
    assert run("1e-7 * 3") == Decimal("3E-7")
    assert run("1000000000000 * 10000") == Decimal("10000000000000000")


def test_chinese_names():
    # 85 / 90 × 30 = 28.333…; round(…, 2) is half-up
    assert run("round(实际完成值 / 指标值 * 分值, 2)", 实际完成值=85, 指标值=90, 分值=30) == Decimal("28.33")


def test_round_is_half_up_not_bankers():
    assert run("round(9.325, 2)") == Decimal("9.33")  # round(9.325, 2) on floats is 9.32
    assert run("四舍五入(2.5)") == Decimal("3")       # banker's rounding would give 2


def test_ratio_zero_rules():
    assert ratio(Decimal(0), Decimal(0), if_zero=Decimal(1)) == Decimal(1)
    with pytest.raises(NotApplicable):
        ratio(Decimal(0), Decimal(0), if_zero=NA)
    with pytest.raises(ZeroDivisionError, match="除数为 0"):
        ratio(Decimal(5), Decimal(0), if_zero=Decimal(1))  # 5 / 0 is not 0 / 0


def test_dotted_names():
    assert compile_formula("funds.executed / funds.budget", ["funds.executed", "funds.budget"]).evaluate(
        {"funds.executed": Decimal(3), "funds.budget": Decimal(4)}) == Decimal("0.75")


@pytest.mark.parametrize("source, message", [
    ("().__class__", "不能访问对象的属性"),
    ("a.__class__", "下划线"),
    ("_k0", "下划线"),
    ("lambda: 1", "lambda"),
    ("[x for x in a]", "推导式"),
    ("{1: 2}", "字典"),
    ("a[0]", "下标"),
    ("eval('1')", "未知函数“eval”"),
    ("min", "是函数"),
    ("'x' * 3", "文字只能用于比较"),
    ("a if b else c", "未知名称“b”"),
    ("a ~ 1", "语法错误"),
    ("1" * 50, "数字过长"),
    ("(" * 1000 + "1" + ")" * 1000, "公式过长"),
    ("-" * 100 + "1", "嵌套过深"),
    ("max(" + ",".join(["a"] * 450) + ")", "过于复杂"),
    ("max(a, key=a)", "没有参数“key”"),
    ("ratio(a)", "参数个数不对"),
])
def test_refused(source, message):
    with pytest.raises(FormulaError) as caught:
        compile_formula(source, ["a", "c"])
    assert message in caught.value.message


def test_a_huge_power_is_bounded_at_run_time():
    formula = compile_formula("9 ** 9 ** 9", [])
    with pytest.raises(simpleeval.NumberTooHigh):  # refused at once, not computed
        formula.evaluate({})


def test_unknown_name_offset_points_at_it():
    with pytest.raises(FormulaError) as caught:
        compile_formula("a + 实际完成 / 2", ["a", "实际完成值"])
    assert caught.value.offset == 4
    assert caught.value.hint == "是否想写：实际完成值？"


def test_formulas_are_parsed_once_per_scheme_not_per_case(monkeypatch):
    scheme = engine.load_scheme(PROJECT_SCHEME)
    cases = [engine.load_case(scheme, path) for path in ZHANYI_PROJECTS]
    parses = []
    real_parse = ast.parse
    monkeypatch.setattr(ast, "parse", lambda *a, **k: parses.append(a) or real_parse(*a, **k))
    for case in cases:  # the first cases: the scheme's evaluator is planned once (its rules' snippets parsed)
        assert engine.evaluate(scheme, case).total == Decimal("100.00")
    assert not any("ratio(" in str(args[0]) for args in parses)  # no formula among them: those were parsed at load
    planned = len(parses)
    for _ in range(15):  # 15 × 7 = 105 cases more: nothing parsed again
        for case in cases:
            assert engine.evaluate(scheme, case).total == Decimal("100.00")
    assert len(parses) == planned
    engine.load_scheme(PROJECT_SCHEME)  # the counter does see a scheme being compiled
    assert len(parses) > 0

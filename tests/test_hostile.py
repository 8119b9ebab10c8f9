"""Hostile input: formulas from tests/hostile/formulas.yaml, YAML traps, numbers, writes that fail.

Everything here must end in a located message (or a bounded result), never a traceback. How long each
refusal takes and how much memory it needs is measured by `python bench/hostile.py` (every one under
1 s and 100 MB on this machine class): a clock or a memory bound inside the suite would fail on a busy
machine, so the suite asserts outcomes only.
"""

from __future__ import annotations

import codecs
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import engine
from engine.cli import main
from engine.errors import CaseError, EngineError, SchemeError
from engine.load import MAX_FILE_BYTES, MAX_SCALAR_CHARS, LoadError, load_document, parse_document

from conftest import PROJECT_SCHEME, ROOT, ZHANYI_PROJECTS, project_case, write_case

HOSTILE = load_document(ROOT / "tests" / "hostile" / "formulas.yaml").data
FIRE = next(p for p in ZHANYI_PROJECTS if p.stem == "fire-insurance")
ORIGINAL = "formula: ratio(全年执行数, 全年预算数, if_zero=na) * 100"


def test_the_corpus_is_big_enough():
    assert len(HOSTILE) >= 30


def formula_text(spec) -> str:
    if isinstance(spec, dict):
        return spec.get("prefix", "") + spec["repeat"] * spec["times"] + spec.get("then", "") + \
            spec.get("close", "") * spec["times"]
    return spec


def hostile_scheme(tmp_path: Path, case: dict) -> tuple[Path, int]:
    text = PROJECT_SCHEME.read_text(encoding="utf-8")
    if case.get("cycle"):
        text = text.replace("derived:\n", 'derived:\n  甲: {formula: 乙 + 1}\n  乙: {formula: "甲 * 2"}\n', 1)
        marker = "甲: {formula"
    else:
        text = text.replace(ORIGINAL, "formula: " + json.dumps(formula_text(case["formula"]), ensure_ascii=False))
        marker = "formula: \""
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if marker in t)
    return path, line


@pytest.mark.parametrize("case", HOSTILE, ids=[c["name"] for c in HOSTILE])
def test_hostile_formula(case, tmp_path):
    path, line = hostile_scheme(tmp_path, case)

    def attempt():
        try:
            scheme = engine.load_scheme(path)
        except (SchemeError, LoadError) as error:
            return "refused", error
        try:
            return "scored", engine.score_file(scheme, FIRE)
        except CaseError as error:
            return "bounded", error

    outcome, value = attempt()
    if "refused" in case:
        assert outcome == "refused", f"not refused: {outcome}"
        # A formula longer than any one YAML value may be never reaches the formula checker: its line is
        # refused by the loader first.
        words = case["refused"] if len(formula_text(case.get("formula", ""))) <= MAX_SCALAR_CHARS else "行过长"
        problem = next(p for p in value.problems if words in p.message)
        assert problem.location.file == str(path)
        assert line - 3 <= problem.location.line <= line  # the formula, or the entry it belongs to
    else:
        assert outcome == "bounded", f"expected a located error, got {outcome}"
        problem = next(p for p in value.problems if case["bounded"] in p.message)
        assert problem.location.file == str(path) and problem.location.line is not None


# ------------------------------------------------------------------ YAML traps ----------


def located_load_error(raw: bytes | str, name: str = "trap.yaml") -> EngineError:
    def attempt():
        try:
            parse_document(raw, name)
        except EngineError as error:
            return error
        return None

    error = attempt()
    assert error is not None, "the trap was accepted"
    assert all(p.location.file == name for p in error.problems)
    return error


def test_billion_laughs_is_refused_quickly():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        ref = chr(96 + i)
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{ref}"] * 9) + "]")
    error = located_load_error("\n".join(lines))
    assert "别名（&/*）展开过大" in str(error)


def test_merge_key_chains_do_not_explode():
    lines = ["m0: &m0 {k: 1}"] + [f"m{i}: &m{i}\n  <<: [*m{i - 1}, *m{i - 1}, *m{i - 1}]\n  x{i}: {i}" for i in range(1, 40)]
    document = parse_document("\n".join(lines), "merge.yaml")
    assert len(document.data["m39"]) == 40  # k and x1 … x39: merged once each, however often referred to


def test_deep_flow_nesting_is_refused_before_the_parser_sees_it():
    error = located_load_error("a: " + "[" * 200_000 + "]" * 200_000)
    assert "嵌套过深" in str(error)


def test_deep_block_nesting_is_refused():
    text = "".join(" " * i + f"k{i}:\n" for i in range(300)) + " " * 300 + "v: 1\n"
    assert "嵌套过深" in str(located_load_error(text))


def test_a_file_over_the_size_limit(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * (MAX_FILE_BYTES + 10))
    with pytest.raises(EngineError, match="文件过大"):
        load_document(big)


def test_duplicate_keys_are_reported_with_both_lines():
    error = located_load_error("name: 甲\nkind: project\nname: 乙\n")
    assert "键“name”重复出现（第 1 行已写过）" in str(error) and "trap.yaml:3:1" in str(error)


def test_a_tab_for_indentation():
    error = located_load_error("funds:\n\ttotal: 1\n")
    assert "制表符" in str(error)


def test_a_byte_order_mark_is_fine():
    document = parse_document(codecs.BOM_UTF8 + "name: 测试\n".encode("utf-8"), "bom.yaml")
    assert document.data == {"name": "测试"}


def test_gbk_and_gb18030_files_are_decoded():
    assert parse_document("name: 农村房屋火灾保险服务\n".encode("gbk"), "gbk.yaml").data["name"] == "农村房屋火灾保险服务"
    assert parse_document("name: 𠀀部门\n".encode("gb18030"), "gb.yaml").data["name"] == "𠀀部门"


def test_bytes_that_are_no_known_encoding():
    error = located_load_error(b"name: \xff\xfe\xfa\x80\x81\xff\n")
    assert "编码" in str(error) or "YAML" in str(error)


@pytest.mark.parametrize("name, magic, words", [
    ("table.xlsx", b"PK\x03\x04" + b"\0" * 40, "文件像是压缩包（Excel 或 Word），但已损坏或不完整"),
    ("table.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 40, "这是旧版 Office 文件，但不是 Excel 工作簿"),
    ("case.yaml", b"PK\x03\x04" + b"\0" * 40, "这是一个 Excel 或压缩文件，不是 YAML 文本（提示：Excel 表格请先用 engine import"),
])
def test_a_spreadsheet_given_as_a_case(name, magic, words, tmp_path):
    # A workbook where a case is expected is read as a table (score takes tables directly); a damaged
    # one is refused for what it is, and a .yaml holding a workbook is pointed to engine import.
    path = tmp_path / name
    path.write_bytes(magic)
    result = CliRunner().invoke(main, ["score", str(PROJECT_SCHEME), str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: ") and words in result.stderr


@pytest.mark.parametrize("text, words", [("", "应为映射"), ("# 只有注释\n", "应为映射"), ("- a\n- b\n", "应为映射"),
                                         ("just words", "应为映射"), ("a: !!python/object:os.system x\n", "不支持的 YAML 标签")])
def test_documents_that_are_not_cases(text, words, tmp_path):
    path = tmp_path / "odd.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(PROJECT_SCHEME), str(path)])
    assert result.exit_code == 2 and result.stderr.startswith(f"{path}:") and words in result.stderr


# ------------------------------------------------------------------ numbers -------------


def test_no_float_between_input_and_output(tmp_path):
    # 0.1 + 0.2 must equal 0.3 exactly for the add-up check to pass; floats give 0.30000000000000004.
    funds = {"total": {"initial_budget": Decimal("0.3"), "full_year_budget": Decimal("0.3"), "executed": Decimal("0.3")},
             "appropriation": {"initial_budget": Decimal("0.1"), "full_year_budget": Decimal("0.1"), "executed": Decimal("0.1")},
             "carried_over": {"initial_budget": Decimal("0.2"), "full_year_budget": Decimal("0.2"), "executed": Decimal("0.2")},
             "other": {"initial_budget": "—", "full_year_budget": "—", "executed": "—"}}
    result = engine.score_file(engine.load_scheme(PROJECT_SCHEME), write_case(tmp_path, project_case(funds=funds)))
    assert {c.id: c.status for c in result.checks}["funds-budget-add-up"] == "passed"


def test_tiny_and_huge_amounts_stay_exact(tmp_path):
    # 1e-7 万元 of 3e-7: 33.33…%; 10^12 万元 budgets: executed 999,999,999,999.99 of 1,000,000,000,000
    scheme = engine.load_scheme(PROJECT_SCHEME)
    case = project_case(funds={"total": {"initial_budget": "3e-7", "full_year_budget": "3e-7", "executed": "1e-7"}})
    result = engine.score_file(scheme, write_case(tmp_path, case))
    assert result.indicators[0].score == Decimal("3.33")  # 1/3 × 10 = 3.333… → 3.33
    big = project_case(funds={"total": {"initial_budget": 1000000000000, "full_year_budget": 1000000000000,
                                        "executed": Decimal("999999999999.99")}})
    result = engine.score_file(scheme, write_case(tmp_path, big, "big.yaml"))
    # 999,999,999,999.99 / 1,000,000,000,000 × 100 = 99.999999999999 % exactly (no float on the way),
    # judged as shown at 2 places: 100.00 % → 10 × 1.0000 = 10.00
    assert result.values["预算执行率"] == Decimal("100.00")
    assert result.indicators[0].score == Decimal("10.00")


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN"])
def test_nan_and_infinity_in_yaml_are_refused(value):
    assert "不接受无穷大或非数值" in str(located_load_error(f"x: {value}\n"))


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "inf"])
def test_nan_and_infinity_as_text_are_not_numbers(value, tmp_path):
    case = project_case(funds={"total": {"initial_budget": 1, "full_year_budget": 1, "executed": value}})
    with pytest.raises(CaseError, match="应为数字"):
        engine.score_file(engine.load_scheme(PROJECT_SCHEME), write_case(tmp_path, case))


def test_nan_in_json_lines_is_refused(tmp_path):
    source = tmp_path / "cases.jsonl"
    source.write_text('{"scheme": "project-self-eval", "fiscal_year": 2023, "name": "x", "funds": NaN}\n',
                      encoding="utf-8")
    result = CliRunner().invoke(main, ["batch", str(PROJECT_SCHEME), str(source), "-o", str(tmp_path / "r.csv")])
    assert result.exit_code == 1 and "不接受 NaN" in result.stderr


# ------------------------------------------------------------------ no data loss --------


def test_a_failed_write_leaves_the_previous_file(tmp_path, monkeypatch):
    out = tmp_path / "report.html"
    out.write_text("the previous report", encoding="utf-8")

    def broken_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    result = CliRunner().invoke(main, ["score", str(PROJECT_SCHEME), str(FIRE), "--format", "html", "-o", str(out),
                                       "--force"])
    assert result.exit_code == 2 and "写文件失败" in result.stderr and "原文件未改动" in result.stderr
    assert out.read_text(encoding="utf-8") == "the previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left behind


@pytest.mark.parametrize("command", [
    ["score", "{scheme}", "{case}", "--format", "json", "-o", "{case}", "--force"],
    ["score", "{scheme}", "{case}", "-o", "{scheme}", "--force"],
    ["import", "{table}", "-o", "{table}", "--force"],
    ["batch", "{scheme}", "{case}", "-o", "{csv}", "--force"],
])
def test_no_command_writes_over_its_input(command, tmp_path):
    scheme, case = tmp_path / "scheme.yaml", tmp_path / "case.yaml"
    scheme.write_bytes(PROJECT_SCHEME.read_bytes())
    case.write_bytes(FIRE.read_bytes())
    table = tmp_path / "table.txt"
    table.write_bytes((ROOT / "tests/data/seeds/000_9a5c883a7752c8ed.txt").read_bytes())
    csv_input = tmp_path / "cases.csv"
    csv_input.write_bytes(table.read_bytes())
    files = {"scheme": scheme, "case": case, "table": table, "csv": csv_input}
    before = {name: path.read_bytes() for name, path in files.items()}
    arguments = [part.format(**{k: str(v) for k, v in files.items()}) for part in command]
    if command[0] == "batch":
        arguments[2] = str(csv_input)  # the input file is also named as the output
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 2 and "输入文件" in result.stderr
    assert {name: path.read_bytes() for name, path in files.items()} == before


def test_a_document_of_too_many_nodes_is_refused_before_it_is_built():
    # 100,000 one-line keys make 200,000 nodes; the count is made on the text, before the C composer runs.
    error = located_load_error("\n".join(f"k{i}: {i}" for i in range(100_000)))
    assert str(error) == "trap.yaml:1:1: YAML 的项目过多（约 100,000 项，上限 50,000 项）（提示：真实的方案或案例不会有这么多项；请检查文件来源）"

"""The words of regional forms are data: a bureau adds its own and a refused table imports, no code changed."""

from __future__ import annotations

import json
from decimal import Decimal

from click.testing import CliRunner

from engine.cli import main
from engine.vocabulary import label_key, load_vocabulary

from conftest import ROOT

PROJECT = ROOT / "schemes" / "project-self-eval" / "2023.yaml"

# A county form in words the shipped vocabulary does not know: 经费名称, 核定预算, 实际拨付, 绩效完成值.
LOCAL_FORM = "\n".join("\t".join(row) for row in [
    ["2023年度项目支出绩效自评表"],
    ["经费名称", "农村公路养护补助"],
    ["主管部门", "某县交通运输局"],
    ["项目资金（万元）", "", "年初预算数", "核定预算", "实际拨付", "分值", "执行率", "得分"],
    ["", "年度资金总额", "80", "80", "72", "10", "90%", "9"],
    ["一级指标", "二级指标", "三级指标", "指标值", "绩效完成值", "分值", "得分"],
    ["产出指标", "数量指标", "养护里程（公里）", "≥200", "200", "90", "90"],
]) + "\n"

LOCAL_WORDS = """# yaml-language-server: $schema=../schemas/vocabulary.schema.json
# 本县表格的写法，加在系统词表之后
version: 1
fields:
  project_name: [经费名称]
funds:
  columns:
    full_year_budget: [核定预算]
    executed: [实际拨付]
indicators:
  columns:
    actual: [绩效完成值]
"""


def test_a_synonym_in_a_vocabulary_file_makes_a_refused_form_import(tmp_path, monkeypatch):
    monkeypatch.delenv("ENGINE_VOCABULARY", raising=False)
    table = tmp_path / "县表.txt"
    table.write_text(LOCAL_FORM, encoding="utf-8")
    refused = CliRunner().invoke(main, ["import", str(table)])
    assert refused.exit_code == 2
    assert "没有找到“项目名称”一栏" in refused.stderr and "--vocabulary" in refused.stderr

    words = tmp_path / "本县词表.yaml"
    words.write_text(LOCAL_WORDS, encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(PROJECT), str(table), "--vocabulary", str(words), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout, parse_float=Decimal)
    # 执行率 72 / 80 = 90.00 % → 10 × 0.9 = 9.00; 养护里程 200 ≥ 200 → 90; total 99.00
    assert [i["score"] for i in data["indicators"]] == [Decimal("9.00"), Decimal("90.00")]
    assert data["total"] == Decimal("99.00")


def test_the_bureau_file_is_found_beside_the_schemes_or_named_by_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("ENGINE_VOCABULARY", raising=False)
    table = tmp_path / "县表.txt"
    table.write_text(LOCAL_FORM, encoding="utf-8")
    (tmp_path / "schemes").mkdir()
    (tmp_path / "schemes" / "vocabulary.yaml").write_text(LOCAL_WORDS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["import", "县表.txt"])
    assert result.exit_code == 0 and "name: 农村公路养护补助" in result.stdout

    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    (elsewhere / "words.yaml").write_text(LOCAL_WORDS, encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("ENGINE_VOCABULARY", str(elsewhere / "words.yaml"))
    result = CliRunner().invoke(main, ["import", str(table)])
    assert result.exit_code == 0 and "full_year_budget: 80" in result.stdout


def test_a_broken_vocabulary_file_is_located(tmp_path):
    words = tmp_path / "词表.yaml"
    words.write_text("version: 1\nfunds:\n  columns:\n    executed: 实际拨付\n", encoding="utf-8")
    table = tmp_path / "表.txt"
    table.write_text(LOCAL_FORM, encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(table), "--vocabulary", str(words)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{words}:4:15: funds.columns.executed：")


def test_labels_match_whatever_the_script_width_brackets_and_numbering():
    # Traditional characters through OpenCC; full-width forms; （万元）, (A), ①, 其中：, 1. and spaces removed.
    assert label_key("項目資金（萬元）") == "项目资金"
    assert label_key("其中：當年財政撥款") == "当年财政拨款"
    assert label_key("全年預算數(A)") == "全年预算数"
    assert label_key("小计③=①+②") == "小计"
    assert label_key("１．實 際 完 成 值") == "实际完成值"
    vocabulary = load_vocabulary([])
    assert vocabulary.words("funds.columns").match("調整後預算數") == "full_year_budget"
    assert vocabulary.natures.match("反向指標", loose=False) == "≤"


def test_a_table_in_traditional_characters_imports(tmp_path):
    table = tmp_path / "繁體.txt"
    table.write_text("\n".join("\t".join(row) for row in [
        ["2023年度項目支出績效自評表"],
        ["項目名稱", "鄉村道路養護"],
        ["項目資金（萬元）", "", "年初預算數", "全年預算數", "全年執行數", "分值", "執行率", "得分"],
        ["", "年度資金總額", "50", "50", "50", "10", "100%", "10"],
        ["一級指標", "二級指標", "三級指標", "指標性質", "指標值", "度量單位", "實際完成值", "分值", "得分"],
        ["產出指標", "數量指標", "養護里程", "正向指標", "120", "公里", "120", "90", "90"],
    ]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(table)])
    assert result.exit_code == 0, result.output
    assert "name: 鄉村道路養護" in result.stdout  # values are kept as written
    assert "{level1: 產出指標, level2: 數量指標, name: 養護里程, nature: ≥, target: 120, unit: 公里, actual: 120" \
        in result.stdout  # 正向指標 is ≥


def test_report_section_headings_are_words_of_the_vocabulary_and_checked_like_the_rest(tmp_path):
    vocabulary = load_vocabulary([])
    # a heading is compared as a label: numbering, width, script and spaces do not matter
    for heading, key in (("部门基本情况", "overview"), ("自評工作開展情況", "self_evaluation"),
                         ("存在的问题和整改情况", "problems"), ("绩效自评结果应用", "use_of_results"),
                         ("主要經驗及做法", "experience"), ("其他需要说明的问题", "other")):
        assert vocabulary.report_sections.match(heading, loose=False) == key, heading
    assert vocabulary.report_signatures.match("填报人", loose=False) == "prepared_by"
    assert "备注" in vocabulary.report_ends
    assert vocabulary.report_kinds.index["部门整体"] == "department" and vocabulary.report_kinds.index["项目支出"] == "project"
    # a key the case has no place for is refused where it is written
    words = tmp_path / "词表.yaml"
    words.write_text("version: 1\nreport_sections:\n  overveiw: [单位简介]\n", encoding="utf-8")
    table = tmp_path / "表.txt"
    table.write_text(LOCAL_FORM, encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(table), "--vocabulary", str(words)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{words}:3:3: ")
    assert "overveiw" in result.stderr

"""Real tables in and out: import (text, xlsx) with the variations real forms show, check, export, round trip."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner

import engine
from engine.cli import main
from engine.importer import case_document, import_tables
from engine.quantities import parse_number
from engine.validate import bind_case

from conftest import PROJECT_SCHEME, ROOT, ZHANYI_PROJECTS

SEED = ROOT / "tests" / "data" / "seeds" / "000_9a5c883a7752c8ed.txt"
SHARED_SEED = ROOT.parent / "shared" / "seeds" / "000_9a5c883a7752c8ed.txt"
DEPARTMENT_SCHEME = ROOT / "schemes" / "department-self-eval" / "2023.yaml"
ARTIFACTS = ROOT / "tests" / "artifacts"


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code in (0, 1, 2) and "内部错误" not in result.output, result.output  # never exit 3
    return result


def score_imported(case, scheme):
    data, problems = bind_case(scheme, case_document(case))
    assert problems == [], problems
    return engine.evaluate(scheme, data), data


# ------------------------------------------------------------------ the seed ----------


def test_the_test_copy_of_the_seed_is_the_shared_one():
    if SHARED_SEED.exists():  # CI has ../shared beside the checkout; a bare clone has only the copy
        assert SEED.read_bytes() == SHARED_SEED.read_bytes()
    assert SEED.read_bytes().count("项目支出绩效自评表".encode()) == 7


def test_the_seed_yields_eight_cases_that_score_like_the_hand_written_ones():
    imported = import_tables(str(SEED))
    assert [c.kind for c in imported] == ["department"] + ["project"] * 7
    project, department = engine.load_scheme(PROJECT_SCHEME), engine.load_scheme(DEPARTMENT_SCHEME)
    hand_written = {engine.load_case(project, p).identity["name"]: p for p in ZHANYI_PROJECTS}
    for case in imported:
        scheme = project if case.kind == "project" else department
        path = hand_written[case.name] if case.kind == "project" else ROOT / "cases" / "zhanyi-2023" / "department.yaml"
        expected_data = engine.load_case(scheme, path)
        expected = engine.evaluate(scheme, expected_data)
        result, data = score_imported(case, scheme)
        # the figures the scheme reads, value by value
        assert data.values == expected_data.values, case.name
        for mine, theirs in zip(data.rows.get("performance", ()), expected_data.rows.get("performance", ())):
            for field in ("level1", "level2", "name", "nature", "target", "unit", "actual", "weight", "reported_score",
                          "deviation"):
                assert getattr(mine, field) == getattr(theirs, field), (case.name, field)
        # and what they score
        assert [(i.id, i.name, i.weight, i.score, i.branch) for i in result.indicators] == \
               [(i.id, i.name, i.weight, i.score, i.branch) for i in expected.indicators]
        assert (result.total, result.grade) == (expected.total, expected.grade)
        assert [(c.id, c.status) for c in result.checks] == [(c.id, c.status) for c in expected.checks]


def test_import_command_writes_cases_with_provenance_and_never_overwrites(tmp_path):
    out = tmp_path / "cases"
    result = invoke("import", SEED, "-o", out)
    assert result.exit_code == 0
    files = sorted(out.glob("*.yaml"))
    assert len(files) == 8
    fire = (out / "项目-农村房屋火灾保险服务.yaml").read_text(encoding="utf-8")
    assert "保险户数" in fire and "# 第 " in fire  # every row says which line of the source it came from
    assert invoke("validate", *files, "--scheme", PROJECT_SCHEME).exit_code in (0, 1)
    assert invoke("score", PROJECT_SCHEME, out / "项目-农村房屋火灾保险服务.yaml").exit_code == 0
    before = fire
    again = invoke("import", SEED, "-o", out)
    assert again.exit_code == 2 and "文件已存在，未覆盖" in again.stderr
    assert (out / "项目-农村房屋火灾保险服务.yaml").read_text(encoding="utf-8") == before
    assert invoke("import", SEED, "-o", out, "--force").exit_code == 0


def test_import_refuses_to_write_onto_its_input(tmp_path):
    copy = tmp_path / "table.txt"
    shutil.copy(SEED, copy)
    result = invoke("import", copy, "-o", copy, "--force")
    assert result.exit_code == 2
    assert copy.read_bytes() == SEED.read_bytes()


def test_check_the_seed_finds_nothing_wrong():
    result = invoke("check", SEED)
    assert result.exit_code == 0
    assert "共 8 张表或案例，0 张有不符" in result.stdout


# ------------------------------------------------------------------ variations --------

HEADER = ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"]


def project_table(rows, funds=None, header=HEADER, title="2023年度项目支出绩效自评表", labels=None, execution_weight="10",
                  total=("100", "100", "优")) -> str:
    """A project table as tab-separated text, shaped like the seed's."""
    labels = labels or {}
    funds = funds or {"年度资金总额": ["100.00", "100.00", "100.00"], "其中：当年财政拨款": ["100.00", "100.00", "100.00"],
                      "上年结转资金": ["", "", ""], "其他资金": ["—", "—", "—"]}
    lines = [title, "", "\t".join([labels.get("项目名称", "项目名称"), "", "测试项目"]),
             "\t".join(["主管部门", "", "测试局", "", "", "实施单位", "测试局"]),
             "\t".join([labels.get("项目资金", "项目资金 (万元)"), "", "", labels.get("年初预算数", "年初预算数"),
                        labels.get("全年预算数", "全年预算数"), labels.get("全年执行数", "全年执行数"), "分值", "执行率", "得分"])]
    for name, values in funds.items():
        extra = [execution_weight, "100.00%", execution_weight] if "总额" in name else ["—", "", "—"]
        lines.append("\t".join(["", "", labels.get(name, name)] + values + extra))
    lines += ["\t".join(["年度 总体 目标", "预期目标", "", "", "", "实际完成情况"]), "\t".join(["", "完成测试", "", "", "", "完成"]),
              "\t".join(header)]
    lines += ["\t".join(row) for row in rows]
    lines += ["其他需要说明事项\t\t\t无", "\t".join(["总分"] + [""] * 6 + list(total))]
    return "\n".join(lines) + "\n"


def ROW(*cells):
    return list(cells)


def only_case(tmp_path, text, name="table.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    cases = import_tables(str(path))
    assert len(cases) == 1
    return cases[0]


def scored(tmp_path, text):
    case = only_case(tmp_path, text)
    result, data = score_imported(case, engine.load_scheme(PROJECT_SCHEME))
    return case, result, data


def test_columns_in_another_order_with_extra_columns(tmp_path):
    header = ["三级指标", "一级指标", "备注", "二级指标", "实际完成值", "指标值", "度量单位", "指标性质", "得分", "分值", "偏差原因"]
    rows = [ROW("培训人次", "产出指标", "随便写", "数量指标", "450", "500", "人次", "≥", "27", "30", "部分未完成"),
            ROW("满意度", "满意度指标", "", "满意度指标", "90", "90", "%", "≥", "60", "60", "无")]
    _, result, data = scored(tmp_path, project_table(rows, header=header))
    row = data.rows["performance"][0]
    assert (row.name, row.level1, row.level2, row.target, row.actual, row.weight) == (
        "培训人次", "产出指标", "数量指标", Decimal(500), Decimal(450), Decimal(30))
    assert result.indicators[1].score == Decimal("27.00")  # 450 / 500 × 30


def test_operator_and_unit_in_the_target_cell(tmp_path):
    header = ["一级指标", "二级指标", "三级指标", "指标值", "实际完成值", "分值", "得分"]
    rows = [ROW("产出指标", "数量指标", "新增设备", "≥50个", "40", "20", "16"),       # 40 / 50 × 20 = 16
            ROW("产出指标", "时效指标", "办结时间", "≤30天", "36", "20", "16.67"),   # 30 / 36 × 20 = 16.67
            ROW("效益指标", "社会效益指标", "覆盖率", "100%", "90", "25", "22.5"),   # no operator: ≥; 90/100 × 25
            ROW("满意度指标", "满意度指标", "满意度", "≥100百分比", "95", "25", "23.75")]
    _, result, data = scored(tmp_path, project_table(rows, header=header))
    rows_read = data.rows["performance"]
    assert [(r.nature, r.target, r.unit) for r in rows_read] == [
        ("≥", Decimal(50), "个"), ("≤", Decimal(30), "天"), ("≥", Decimal(100), "%"), ("≥", Decimal(100), "%")]
    assert [i.score for i in result.indicators[1:]] == [Decimal("16.00"), Decimal("16.67"), Decimal("22.50"), Decimal("23.75")]
    assert all(c.status != "failed" for c in result.checks if c.id == "row-scores")


def test_amounts_with_separators_and_units(tmp_path):
    funds = {"年度资金总额": ["1,522.66", "1，522.66", "1522.66万元"], "其中：当年财政拨款": ["15226600元", "1,522.66", "1,522.66"],
             "上年结转资金": ["", "", ""], "其他资金": ["—", "—", "—"]}
    rows = [ROW("产出指标", "数量指标", "完成数", "≥", "90", "%", "90", "90", "90", "无")]
    _, result, data = scored(tmp_path, project_table(rows, funds=funds))
    assert data.values["年初预算数"] == data.values["全年预算数"] == data.values["全年执行数"] == Decimal("1522.66")
    assert data.values["财政拨款年初预算数"] == Decimal("1522.66")  # 15,226,600 元 = 1,522.66 万元
    assert {c.id: c.status for c in result.checks}["funds-initial-add-up"] == "passed"


def test_dashes_slashes_and_blank_cells(tmp_path):
    funds = {"年度资金总额": ["100", "100", "100"], "其中：当年财政拨款": ["100", "100", "100"],
             "上年结转资金": ["/", "", "—"], "其他资金": ["—", "/", ""]}
    rows = [ROW("产出指标", "数量指标", "完成数", "≥", "90", "%", "90", "90", "", "/")]
    case, result, data = scored(tmp_path, project_table(rows, funds=funds))
    assert case.data["funds"]["carried_over"] == {"initial_budget": "/", "full_year_budget": None, "executed": "—"}
    assert data.values["结转年初预算数"] == 0 and data.values["其他全年执行数"] == 0
    assert data.rows["performance"][0].reported_score is None and data.rows["performance"][0].deviation is None


def test_a_signature_line_gives_what_was_signed_and_nothing_of_its_blanks(tmp_path):
    rows = [ROW("产出指标", "数量指标", "完成数", "≥", "90", "%", "90", "90", "90", "无")]
    text = project_table(rows) + "填报人：\t张三\t审核人：\t\t日期：　年　月　日\n"
    case = only_case(tmp_path, text)
    assert case.data["info"] == {"联系人": "张三"}  # 审核人 left blank, the date a form blank: neither is data
    assert "unmapped" not in case.data
    blank = project_table(rows) + "填报人：\t审核人：\t日期：\t____年__月__日\n"
    case = only_case(tmp_path, blank)
    assert "info" not in case.data and "unmapped" not in case.data


def test_full_width_and_variant_symbols(tmp_path):
    rows = [ROW("产出指标", "数量指标", "甲", "≧", "90", "％", "95", "30", "30", "无"),
            ROW("产出指标", "数量指标", "乙", "≦", "30", "天", "20", "30", "30", "无"),
            ROW("效益指标", "效益", "丙", "＞", "80", "％", "40", "20", "10", "未达成"),   # 40 / 80 × 20 = 10
            ROW("满意度指标", "满意度", "丁", "＝", "100", "%", "100", "10", "10", "无")]
    _, result, data = scored(tmp_path, project_table(rows))
    assert [r.nature for r in data.rows["performance"]] == ["≥", "≤", "≥", "="]
    assert [r.unit for r in data.rows["performance"]][0] == "%"
    assert [i.score for i in result.indicators[1:]] == [Decimal("30.00"), Decimal("30.00"), Decimal("10.00"), Decimal("10.00")]


def test_traditional_characters_in_labels(tmp_path):
    header = ["一級指標", "二級指標", "三級指標", "指標性質", "指標值", "度量單位", "實際完成值", "分值", "得分", "偏差原因分析及改進措施"]
    labels = {"項目名稱": "項目名稱", "項目資金": "項目資金（萬元）", "年初預算數": "年初預算數", "全年預算數": "全年預算數",
              "全年執行數": "全年執行數", "年度資金總額": "年度資金總額"}
    funds = {"年度資金總額": ["50", "50", "50"], "其中：當年財政撥款": ["50", "50", "50"], "上年結轉資金": ["", "", ""],
             "其他資金": ["—", "—", "—"]}
    rows = [ROW("產出指標", "數量指標", "完成數", "≥", "90", "%", "90", "90", "90", "無偏差")]
    text = project_table(rows, funds=funds, header=header, labels=labels).replace("项目名称", "項目名稱")
    _, result, data = scored(tmp_path, text.replace("2023年度项目支出绩效自评表", "2023年度項目支出績效自評表"))
    assert data.values["全年执行数"] == Decimal(50)
    assert result.total == Decimal("100.00")


def test_an_execution_rate_worth_20_is_imported_and_reported(tmp_path):
    rows = [ROW("产出指标", "数量指标", "完成数", "≥", "90", "%", "90", "80", "80", "无")]
    case, result, _ = scored(tmp_path, project_table(rows, execution_weight="20"))
    assert case.data["reported"]["execution"]["weight"] == "20"
    # The national scheme gives 预算执行率 10: the table's 20 and its rows (80) are reported, not re-weighted.
    statuses = {c.id: c.status for c in result.checks}
    assert statuses["execution-weight"] == "failed" and statuses["weights-add-up"] == "failed"


def test_a_zero_total_row_with_money_in_the_sub_rows_is_imported_as_written(tmp_path):
    funds = {"年度资金总额": ["0", "0", "0"], "其中：当年财政拨款": ["30", "30", "30"], "上年结转资金": ["", "", ""],
             "其他资金": ["—", "—", "—"]}
    rows = [ROW("产出指标", "数量指标", "完成数", "≥", "90", "%", "90", "90", "90", "无")]
    case, result, _ = scored(tmp_path, project_table(rows, funds=funds))
    assert case.data["funds"]["total"]["executed"] == "0"
    statuses = {c.id: c.status for c in result.checks}
    assert statuses["funds-budget-add-up"] == statuses["funds-executed-add-up"] == "failed"
    # Scored from the 其中 rows (funds_total: from_parts, the national scheme's default): 30 / 30 = 100 % → 10,
    # and said so under the score; the contradiction itself stays with the cross-checks above.
    execution = next(i for i in result.indicators if i.id == "execution")
    assert (execution.score, execution.not_applicable) == (Decimal("10.00"), None)
    assert result.notes == ("年度资金总额一行为空或为 0，而其中各项有数：按方案（funds_total: from_parts）以其中各项之和计分"
                            "（年初预算数 30，全年预算数 30，全年执行数 30）；原表与其中各项的矛盾见勾稽核对",)


def test_published_scores_that_break_the_rules_are_found(tmp_path):
    rows = [ROW("产出指标", "数量指标", "政府采购执行率", "≥", "100", "%", "72.74", "2", "2", "无"),
            ROW("产出指标", "数量指标", "其他", "≥", "90", "%", "90", "88", "88", "无")]
    path = tmp_path / "published.txt"
    path.write_text(project_table(rows, total=("100", "100", "优")), encoding="utf-8")
    result = invoke("check", path)
    assert result.exit_code == 1
    # 72.74 / 100 × 2 = 1.4548 → 1.45; published 2 → a difference of 0.55
    assert "“政府采购执行率”原表得分 2，按规则计算 1.45，相差 0.55" in result.stdout
    assert "总分与原表一致：原表 100，按规则计算 99.45，相差 0.55" in result.stdout


def test_xlsx_with_merged_cells_and_several_sheets(tmp_path):
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "说明"
    notes["A1"] = "本工作簿第二张表是自评表"
    sheet = workbook.create_sheet("项目自评")
    text = project_table([ROW("产出指标", "数量指标", "甲", "≥", "90", "%", "81", "45", "40.5", "原因"),
                          ROW("", "质量指标", "乙", "=", "100", "%", "100", "45", "45", "无")])
    for r, line in enumerate(text.splitlines(), 1):
        for c, value in enumerate(line.split("\t"), 1):
            if value:
                sheet.cell(r, c).value = float(value) if value.replace(".", "").isdigit() else value
    first = next(r for r in range(1, 40) if sheet.cell(r, 3).value == "甲")
    sheet.merge_cells(start_row=first, start_column=1, end_row=first + 1, end_column=1)  # 产出指标 over two rows
    sheet.merge_cells(start_row=3, start_column=3, end_row=3, end_column=10)              # 项目名称 value across
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    case = import_tables(str(path))[0]
    assert case.provenance[("indicators", 0, "name")].ref == f"项目自评!C{first}"
    result, data = score_imported(case, engine.load_scheme(PROJECT_SCHEME))
    assert [r.level1 for r in data.rows["performance"]] == ["产出指标", "产出指标"]
    assert result.indicators[1].score == Decimal("40.50")  # 81 / 90 × 45


def test_a_layout_it_cannot_read(tmp_path):
    text = "2023年度项目支出绩效自评表\n项目名称\t\t测试\n年度资金总额\t1\n"
    path = tmp_path / "odd.txt"
    path.write_text(text, encoding="utf-8")
    result = invoke("import", path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"{path}:1: 识别到“2023年度项目支出绩效自评表”（第 1 行第 1 列），按制表符分隔的文本读取，"
        "但没有找到绩效指标表头（一级指标、二级指标、三级指标、指标值、实际完成值……）；"
        "已认出的栏目：2023年度项目支出绩效自评表、项目名称"
        "（提示：表头须有“一级指标”或“三级指标（指标名称）”，以及“指标值”“实际完成值”）\n")
    nothing = tmp_path / "nothing.txt"
    nothing.write_text("这不是自评表\n", encoding="utf-8")
    result = invoke("import", nothing)
    assert result.exit_code == 2
    assert "按每行一个单元格的文本读取（1 行，1 个非空单元格），没有找到自评表的标题" in result.stderr


# ------------------------------------------------------------------ export ------------


def test_round_trip_through_xlsx(tmp_path):
    scheme = engine.load_scheme(PROJECT_SCHEME)
    for original in import_tables(str(SEED))[1:]:
        case_file = tmp_path / f"{original.name}.yaml"
        from engine.importer import case_yaml
        case_file.write_text(case_yaml(original), encoding="utf-8")
        exported = tmp_path / f"{original.name}.xlsx"
        assert invoke("score", PROJECT_SCHEME, case_file, "--format", "xlsx", "-o", exported).exit_code == 0
        again = import_tables(str(exported))[0]
        # The blank signature line under the printed table (填报人： 审核人： 日期：　年　月　日) is the
        # form's, not data: nothing of it comes back as 联系人 or 填报日期, nothing is left unmapped.
        assert _numbers(again.data, skip=("source",)) == _numbers(original.data, skip=("source",)), original.name
        assert "unmapped" not in again.data, original.name
        _, data = score_imported(again, scheme)
        assert engine.evaluate(scheme, data).total == Decimal("100.00")


def _numbers(value, skip=()):
    """Case data with every number-like text read as a Decimal, so 30 and 30.00 compare equal."""
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items() if k not in skip}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    try:
        number = parse_number(value, "%" if isinstance(value, str) and value.endswith("%") else None)
        return number if number is not None else value
    except Exception:  # noqa: BLE001 - text stays text
        return value


def test_markdown_and_csv(tmp_path):
    md = invoke("score", PROJECT_SCHEME, ROOT / "tests/data/partial-project.yaml", "--format", "markdown")
    assert "| 效益指标 | 社会效益指标 | 能力提升 | ≥ | 90 | % | 85 | 30 | 28.33 |" in md.stdout
    assert "**等级：良**" in md.stdout
    out = tmp_path / "score.csv"
    assert invoke("score", PROJECT_SCHEME, ROOT / "tests/data/partial-project.yaml", "--format", "csv", "-o", out).exit_code == 0
    text = out.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff一级指标,二级指标,三级指标")
    assert "效益指标,时效指标,审批时间,≤,30,天,36,30,25.00,performance-3" in text
    assert "总分,,,,,,,100.00,89.81," in text


def test_xlsx_needs_an_output_file_and_never_overwrites(tmp_path):
    assert invoke("score", PROJECT_SCHEME, ZHANYI_PROJECTS[0], "--format", "xlsx").exit_code == 2
    out = tmp_path / "x.xlsx"
    out.write_text("keep me", encoding="utf-8")
    result = invoke("score", PROJECT_SCHEME, ZHANYI_PROJECTS[0], "--format", "xlsx", "-o", out)
    assert result.exit_code == 2 and out.read_text(encoding="utf-8") == "keep me"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("headless Chromium is needed for this test: install Debian's chromium (.ci/run does)")


def test_html_report_renders_in_a_real_browser(tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = ARTIFACTS / "zhongfang-department.html"
    result = invoke("score", ROOT / "schemes/four-dimension/2023.yaml", ROOT / "cases/zhongfang-2023/department.yaml",
                    "--format", "html", "-o", page, "--force")
    assert result.exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # standalone
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    browser = _chromium()
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True)
    assert '<strong id="total">93.72</strong>' in dom.stdout
    assert '<strong id="grade">优</strong>' in dom.stdout
    screenshot = ARTIFACTS / "zhongfang-department.png"
    subprocess.run([browser, *flags, f"--screenshot={screenshot}", "--window-size=900,1400", page.as_uri()],
                   capture_output=True)
    assert screenshot.exists() and screenshot.stat().st_size > 10_000
    pdf = ARTIFACTS / "zhongfang-department.pdf"
    subprocess.run([browser, *flags, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri()],
                   capture_output=True)
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")


def test_xlsx_shows_the_failed_checks_beside_the_table(tmp_path):
    # The published 得分 of 25 for a row that earns 30 must be listed under the table on the same sheet.
    case = tmp_path / "wrong.yaml"
    case.write_text(ZHANYI_PROJECTS[0].read_text(encoding="utf-8").replace(
        "actual: 92, weight: 30, score: 30", "actual: 92, weight: 30, score: 25"), encoding="utf-8")
    out = tmp_path / "wrong.xlsx"
    assert invoke("score", PROJECT_SCHEME, case, "--format", "xlsx", "-o", out).exit_code == 0
    texts = [c for row in openpyxl.load_workbook(out)["自评表"].iter_rows(values_only=True) for c in row if c]
    assert "勾稽核对不符（原表所填与其自身数字不一致，得分按规则计算）" in texts
    assert any("原表得分 25，按规则计算 30.00，相差 -5.00" in str(t) for t in texts)
    again = import_tables(str(out))[0]  # the notes under the table do not disturb a re-import
    assert again.data["reported"]["total"] == "100"


def test_comma_separated_tables(tmp_path):
    # The seed saved from Excel as CSV: cells with commas ("1,522.66") are quoted.
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in SEED.read_text(encoding="utf-8").splitlines():
        writer.writerow(line.split("\t"))
    path = tmp_path / "seed.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    cases = import_tables(str(path))
    assert len(cases) == 8
    project = engine.load_scheme(PROJECT_SCHEME)
    result, _ = score_imported(next(c for c in cases if c.name == "结算补助专项资金"), project)
    assert (result.total, result.grade) == (Decimal("100.00"), "优")
    department, _ = score_imported(cases[0], engine.load_scheme(DEPARTMENT_SCHEME))
    assert all(c.status == "passed" for c in department.checks)

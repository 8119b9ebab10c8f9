"""The review (复核) of a batch: who scored themselves wrongly, the lowest totals, each 主管部门, the 三级
indicators that lost most, failed cross-checks by unit — on the page and in the workbook, naming units and
projects, not files. Every expected figure below is worked by hand from the table of cases."""

from __future__ import annotations

import random
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import PROJECT_SCHEME, ZHANYI_PROJECTS

import engine.batch as batching
import engine.batch_report as batch_report
from engine.cli import main

# The seven 沾益 projects, in file order, and the name of the 满意度 row each carries (their third row:
# all are ≥ 90 %, 分值 30, so an actual a below 90 scores a / 90 × 30 = a / 3, half-up to two places).
SATISFACTION = {"fin-network": "预算单位满意度", "fire-insurance": "农户满意度", "internal-control-report": "财务人员满意度",
                "land-transfer": "群众满意度", "law-enforcement-training": "执法人员满意度",
                "settlement-subsidy": "预算单位财务人员满意度", "startup-loan": "贷款人满意度"}
DEPARTMENTS = ["沾益区财政局", "沾益区教育体育局", "沾益区卫生健康局", "沾益区农业农村局"]

# Forty cases, ten per 主管部门, case i built from project i % 7. Only the 满意度 row's 实际完成值 varies; the
# other rows and 预算执行率 keep full marks (10 + 30 + 30), so total = 70 + actual / 3 (30 from 90 up).
ACTUALS = [
    [90, 87, 84, 81, 78, 90, 75, 66, 90, 85],  # 财政局:   100 99 98 97 96 100 95 92 100 98.33 (85/3 = 28.333 → 28.33)
    [60, 90, 54, 72, 90, 48, 81, 90, 66, 69],  # 教育体育局: 90 100 88 94 100 86 97 100 92 93
    [30, 45, 36, 90, 24, 39, 51, 42, 33, 27],  # 卫生健康局: 80 85 82 100 78 83 87 84 81 79
    [0, 3, 90, 6, 12, 18, 9, 15, 21, 80],      # 农业农村局: 70 71 100 72 74 76 73 75 77 96.67 (80/3 = 26.667 → 26.67)
]
# Exactly five cases report another total than their figures earn (case number: reported total, grade):
MISREPORTED = {
    15: ("96", "优"),  # 教育体育局 #6: earns 70 + 48/3 = 86.00 良; reports 96 优: +10.00
    24: ("90", "优"),  # 卫生健康局 #5: earns 70 + 24/3 = 78.00 中; reports 90 优: +12.00
    30: ("85", "良"),  # 农业农村局 #1: earns 70 + 0 = 70.00 中; reports 85 良: +15.00
    7: ("95", "优"),   # 财政局 #8: earns 70 + 66/3 = 92.00 优; reports 95 优: +3.00
    28: ("79", "中"),  # 卫生健康局 #9: earns 70 + 33/3 = 81.00 良; reports 79 中: −2.00 (lower than earned)
}
WRONG_ROW_SCORE = 2  # 财政局 #3: total right (98), but its 满意度 row is reported as 30 where it earns 84/3 = 28


def project_name(i: int) -> str:
    return f"{_source(i).read_text(encoding='utf-8').split('name: ', 1)[1].splitlines()[0]}·{i + 1:02d}"


def implementer(i: int) -> str:
    return f"{DEPARTMENTS[i // 10][3:]}第{i % 10 + 1}所"


def _source(i: int) -> Path:
    return ZHANYI_PROJECTS[i % len(ZHANYI_PROJECTS)]


def _grade(total: Decimal) -> str:
    return "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"


def write_case(path: Path, source: Path, name: str, department: str, unit: str, actuals: list[int],
               reported: tuple[str, str] | None = None, row_scores: list[str] | None = None,
               executed: str | None = None) -> None:
    """A 沾益 project with its three rows' 实际完成值 (and the 得分 its table reports) replaced; its reported
    total and grade are what the rows earn unless `reported` says otherwise."""
    text = source.read_text(encoding="utf-8")
    text = re.sub(r"^name: .*$", f"name: {name}", text, count=1, flags=re.M)
    text = re.sub(r"^department: .*$", f"department: {department}", text, count=1, flags=re.M)
    text = re.sub(r"^implementer: .*$", f"implementer: {unit}", text, count=1, flags=re.M)
    total = Decimal(0)
    lines = text.splitlines()
    rows = [n for n, line in enumerate(lines) if line.startswith("  - {level1:")]
    assert len(rows) == 3, source
    for n, actual, written in zip(rows, actuals, row_scores or [None] * 3):
        target = Decimal(re.search(r"target: ([\d.]+)", lines[n]).group(1))
        if re.search(r'nature: "≤"', lines[n]):  # 贷款审批时间 ≤ 30 天: kept as it is (25 天, full marks)
            score = Decimal(30)
        else:
            score = min(Decimal(30), (Decimal(actual) / target * 30).quantize(Decimal("0.01"), ROUND_HALF_UP))
            lines[n] = re.sub(r"actual: [^,]+", f"actual: {actual}", lines[n])
        total += score
        reason = "无偏差" if score == 30 else "满意度调查未达预期，已整改"
        lines[n] = re.sub(r"score: [^,]+, deviation: [^}]+", f"score: {written or score}, deviation: {reason}", lines[n])
    text = "\n".join(lines) + "\n"
    execution = Decimal(10)
    if executed is not None:
        budget = Decimal(re.search(r"total: +\{initial_budget: ([\d.]+)", text).group(1))
        rate = (Decimal(executed) / budget * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        execution = min(Decimal(10), (rate / 10).quantize(Decimal("0.01"), ROUND_HALF_UP))
        for key in ("total", "appropriation"):
            text = re.sub(rf"^(  {key}: +\{{.*executed: )[\d.]+", rf"\g<1>{executed}", text, count=1, flags=re.M)
        text = text.replace("rate: 100.00%, score: 10}", f"rate: {rate}%, score: {execution}}}")
        text = text.replace("appropriation_rate: 100.00%", f"appropriation_rate: {rate}%")
    total += execution
    total_text, grade = reported or (format(total, "f"), _grade(total))
    text = re.sub(r"^  total: 100$", f"  total: {total_text}", text, count=1, flags=re.M)
    text = re.sub(r"^  grade: 优$", f"  grade: {grade}", text, count=1, flags=re.M)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def district(tmp_path) -> Path:
    folder = tmp_path / "district"
    folder.mkdir()
    for i in range(40):
        actual = ACTUALS[i // 10][i % 10]
        scores = None
        if i == WRONG_ROW_SCORE:
            scores = [None, None, "30"]
        write_case(folder / f"case{i:03d}.yaml", _source(i), project_name(i), DEPARTMENTS[i // 10], implementer(i),
                   [_full(i, 0), _full(i, 1), actual], MISREPORTED.get(i), scores)
    return folder


def _full(i: int, row: int) -> int:
    """The actual a row already has in the shipped project (they all score full marks)."""
    line = [x for x in _source(i).read_text(encoding="utf-8").splitlines() if x.startswith("  - {level1:")][row]
    return int(re.search(r"actual: (\d+)", line).group(1))


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code in (0, 1) and "内部错误" not in result.output, result.output
    return result


def review(folder: Path, out: Path, *options) -> batch_report.Summary:
    return batching.run_batch(PROJECT_SCHEME, [folder], out, jobs=2, **dict(options)).summary


# ------------------------------------------------------------------ what the review finds


def test_exactly_the_five_misreported_cases_largest_difference_first(district, tmp_path):
    summary = review(district, tmp_path / "r.csv")
    assert summary.cases == 40 and summary.errors == 0 and summary.compared == 40
    listed = [(e.name, e.department, e.implementer, e.reported_total, e.total, e.difference, e.reported_grade, e.grade)
              for e in summary.misreports()]
    assert listed == [
        (project_name(30), "沾益区农业农村局", "农业农村局第1所", Decimal("85"), Decimal("70.00"), Decimal("15.00"), "良", "中"),
        (project_name(24), "沾益区卫生健康局", "卫生健康局第5所", Decimal("90"), Decimal("78.00"), Decimal("12.00"), "优", "中"),
        (project_name(15), "沾益区教育体育局", "教育体育局第6所", Decimal("96"), Decimal("86.00"), Decimal("10.00"), "优", "良"),
        (project_name(7), "沾益区财政局", "财政局第8所", Decimal("95"), Decimal("92.00"), Decimal("3.00"), "优", "优"),
        (project_name(28), "沾益区卫生健康局", "卫生健康局第9所", Decimal("79"), Decimal("81.00"), Decimal("-2.00"), "中", "良"),
    ]
    assert summary.misreported == 5


def test_the_lowest_ten_whatever_their_grades(district, tmp_path):
    summary = review(district, tmp_path / "r.csv")
    # Nobody is 差 (the lowest total is 70): the list is there all the same. 农业农村局's #1–#9 but #3 (70, 71,
    # 72 … 77, in total order: #1 70, #2 71, #4 72, #7 73, #5 74, #8 75, #6 76, #9 77), then 卫生健康局 #5 78, #10 79.
    assert summary.grade_counts.get("差", 0) == 0
    assert [(e.order, e.total, e.grade) for e in summary.lowest()] == [
        (30, Decimal("70.00"), "中"), (31, Decimal("71.00"), "中"), (33, Decimal("72.00"), "中"),
        (36, Decimal("73.00"), "中"), (34, Decimal("74.00"), "中"), (37, Decimal("75.00"), "中"),
        (35, Decimal("76.00"), "中"), (38, Decimal("77.00"), "中"), (24, Decimal("78.00"), "中"),
        (29, Decimal("79.00"), "中")]
    assert [e.name for e in review(district, tmp_path / "r3.csv", ("lowest", 3)).lowest()] == [
        project_name(30), project_name(31), project_name(33)]


def test_per_department_worked_by_hand(district, tmp_path):
    rows = {row.department: row for row in review(district, tmp_path / "r.csv").by_department()}
    # 财政局: 100 + 99 + 98 + 97 + 96 + 100 + 95 + 92 + 100 + 98.33 = 975.33 → mean 97.533 → 97.53
    # 教育体育局: 90 + 100 + 88 + 94 + 100 + 86 + 97 + 100 + 92 + 93 = 940 → 94.00
    # 卫生健康局: 80 + 85 + 82 + 100 + 78 + 83 + 87 + 84 + 81 + 79 = 839 → 83.90
    # 农业农村局: 70 + 71 + 100 + 72 + 74 + 76 + 73 + 75 + 77 + 96.67 = 784.67 → 78.467 → 78.47
    assert [(r.department, r.count, r.mean, r.lowest) for r in rows.values()] == [
        ("沾益区农业农村局", 10, Decimal("78.47"), Decimal("70.00")),  # weakest first
        ("沾益区卫生健康局", 10, Decimal("83.90"), Decimal("78.00")),
        ("沾益区教育体育局", 10, Decimal("94.00"), Decimal("86.00")),
        ("沾益区财政局", 10, Decimal("97.53"), Decimal("92.00"))]
    # grade mix: 优 ≥ 90, 良 ≥ 80, 中 ≥ 60
    assert rows["沾益区财政局"].grades == {"优": 10}
    assert rows["沾益区教育体育局"].grades == {"优": 8, "良": 2}  # 88, 86
    assert rows["沾益区卫生健康局"].grades == {"良": 7, "优": 1, "中": 2}  # 100; 78, 79
    assert rows["沾益区农业农村局"].grades == {"中": 8, "优": 2}  # 100, 96.67
    assert [rows[d].misreported for d in DEPARTMENTS] == [1, 1, 2, 1]


def test_the_three_level_indicator_that_lost_most(district, tmp_path):
    losses = review(district, tmp_path / "r.csv").top_losses(3)
    # 满意度 rows lose 30 − a/3. 群众满意度 (land-transfer, cases 3, 10, 17, 24, 31, 38; actuals 81, 60, 90, 24,
    # 3, 21) loses 3 + 10 + 0 + 22 + 29 + 23 = 87.00 in 5 cases; 农户满意度 (cases 1, 8, 15, 22, 29, 36: 87, 90, 48,
    # 36, 27, 9) 1 + 0 + 14 + 18 + 21 + 27 = 81.00 in 5; 贷款人满意度 (6, 13, 20, 27, 34: 75, 72, 30, 42, 12)
    # 5 + 6 + 20 + 16 + 26 = 73.00 in 5.
    assert [tuple(row) for row in losses] == [("群众满意度", "满意度指标", 5, Decimal("87.00")),
                                              ("农户满意度", "满意度指标", 5, Decimal("81.00")),
                                              ("贷款人满意度", "满意度指标", 5, Decimal("73.00"))]


def test_failed_cross_checks_by_unit(district, tmp_path):
    summary = review(district, tmp_path / "r.csv")
    # the five misreports fail 总分与原表一致 (and those whose grade differs, 等级与总分相符: 30, 24, 15, 28);
    # case 2 fails 各指标得分与原表一致 only
    assert summary.with_failed_checks == 6
    assert [(e.department, e.implementer, e.failed_checks) for e in summary.failures_by_unit()] == [
        ("沾益区财政局", "财政局第3所", ("各指标得分与原表一致",)),
        ("沾益区财政局", "财政局第8所", ("总分与原表一致",)),
        ("沾益区教育体育局", "教育体育局第6所", ("总分与原表一致", "等级与总分相符")),
        ("沾益区卫生健康局", "卫生健康局第5所", ("总分与原表一致", "等级与总分相符")),
        ("沾益区卫生健康局", "卫生健康局第9所", ("总分与原表一致", "等级与总分相符")),
        ("沾益区农业农村局", "农业农村局第1所", ("总分与原表一致", "等级与总分相符")),
    ]  # grouped by 主管部门 in the order they first appear, each in input order


# ------------------------------------------------------------------ what the reviewer reads


def test_the_terminal_names_units_and_projects_not_files(district, tmp_path):
    result = invoke("batch", PROJECT_SCHEME, district, "-o", tmp_path / "r.csv", "--lowest", "3")
    lines = result.stdout.splitlines()
    assert "等级：优 21，良 9，中 10，差 0" in lines  # 10 + 8 + 1 + 2; 2 + 7; 2 + 8
    mis = next(line for line in lines if line.startswith("自评与计分不符"))
    assert mis.startswith(f"自评与计分不符：5 个，差额最大的：{project_name(30)}（农业农村局第1所）自评 85.00 良，计分 70.00 中；")
    low = next(line for line in lines if line.startswith("总分最低的"))
    assert low == (f"总分最低的 3 个：{project_name(30)}（农业农村局第1所） 70.00（中）；"
                   f"{project_name(31)}（农业农村局第2所） 71.00（中）；{project_name(33)}（农业农村局第4所） 72.00（中）")
    assert ("按主管部门（平均分从低到高）：沾益区农业农村局 78.47（10 个）；沾益区卫生健康局 83.90（10 个）；"
            "沾益区教育体育局 94.00（10 个）；沾益区财政局 97.53（10 个）") in lines  # as worked out below
    assert "失分最多的三级指标：群众满意度（满意度指标）共失 87.00 分（5 个案例）" in result.stdout
    assert ".yaml" not in result.stdout.replace(str(tmp_path / "r.csv"), "")


def test_the_review_page(district, tmp_path):
    page = tmp_path / "复核.html"
    invoke("batch", PROJECT_SCHEME, district, "-o", page)
    html = page.read_text(encoding="utf-8")
    section = html.split('<section id="自评不符">')[1].split("</section>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section)[1:]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]
    assert [c[:8] for c in cells] == [
        ["沾益区农业农村局", "农业农村局第1所", project_name(30), "85.00", "70.00", "+15.00", "良", "中"],
        ["沾益区卫生健康局", "卫生健康局第5所", project_name(24), "90.00", "78.00", "+12.00", "优", "中"],
        ["沾益区教育体育局", "教育体育局第6所", project_name(15), "96.00", "86.00", "+10.00", "优", "良"],
        ["沾益区财政局", "财政局第8所", project_name(7), "95.00", "92.00", "+3.00", "优", "优"],
        ["沾益区卫生健康局", "卫生健康局第9所", project_name(28), "79.00", "81.00", "-2.00", "中", "良"]]
    # the file comes last, small, under the folder every case is in (named once, above)
    assert [c[8] for c in cells] == [f"case{i:03d}.yaml" for i in (30, 24, 15, 7, 28)] and 'class="file"' in rows[0]
    assert f"“文件”一栏为 {district}/ 下的路径" in html
    for heading in ("自评与计分不符", "总分最低的 10 个", "按主管部门", "失分最多的三级指标", "勾稽核对不符（按单位）",
                    "已计分的案例（40 个，按输入顺序）"):
        assert f"<h2>{heading}</h2>" in html
    # the two charts and a grade-mix bar per 主管部门; headers repeat on each printed page
    assert html.count("<svg") == 2 + 4 and html.count("<thead>") == 6


def test_the_workbook(district, tmp_path):
    book = tmp_path / "复核.xlsx"
    invoke("batch", PROJECT_SCHEME, district, "-o", book)
    workbook = openpyxl.load_workbook(book)
    assert workbook.sheetnames == ["结果", "自评不符", "最低", "按主管部门", "失分指标", "核对不符", "汇总"]
    sheet = workbook["结果"]
    header = [c.value for c in sheet[1]]
    assert header == ["主管部门", "实施单位", "项目", "总分", "满分", "等级", "自评总分", "自评等级", "差额（自评−计分）",
                      "预算执行率", "产出指标", "效益指标", "满意度指标", "勾稽核对不符", "错误", "文件"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:P41"  # 16 columns, a header and 40 cases
    assert all(c.font.b and c.fill.fgColor.rgb.endswith("DDE6F0") for c in sheet[1])
    for letter in "ABC":  # 主管部门, 实施单位, 项目: wider than Excel's 8.43, and wide enough for the longest
        assert sheet.column_dimensions[letter].width > 12
    assert sheet.column_dimensions["C"].width >= 2 * len("预算单位财务人员满意度") - 4  # CJK: two columns each
    row = {h: c for h, c in zip(header, sheet[2 + 30])}  # case 30
    assert (row["主管部门"].value, row["实施单位"].value, row["总分"].value, row["自评总分"].value) == (
        "沾益区农业农村局", "农业农村局第1所", 70, 85)
    assert row["差额（自评−计分）"].value == 15 and row["满意度指标"].value == 0
    assert all(row[h].number_format == "0.00" for h in ("总分", "满分", "自评总分", "满意度指标"))
    assert [c.value for c in workbook["自评不符"]["C"][1:]] == [project_name(i) for i in (30, 24, 15, 7, 28)]
    assert workbook["按主管部门"]["C2"].value == pytest.approx(78.47) and workbook["按主管部门"]["C2"].number_format == "0.00"
    assert workbook["失分指标"]["A2"].value == "群众满意度" and workbook["失分指标"]["C2"].value == 5
    for name in workbook.sheetnames[:-1]:
        assert workbook[name].freeze_panes == "A2" and workbook[name].auto_filter.ref.startswith("A1:")
    formulas = [c.coordinate for s in workbook for r in s.iter_rows() for c in r if c.data_type == "f"]
    assert formulas == []


def test_no_self_reported_figures_nothing_to_compare(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    text = ZHANYI_PROJECTS[1].read_text(encoding="utf-8")
    (folder / "a.yaml").write_text(text.split("reported:")[0], encoding="utf-8")
    summary = review(folder, tmp_path / "r.csv")
    assert (summary.cases, summary.compared, summary.misreported) == (1, 0, 0)
    assert "自评与计分不符：0 个（1 个案例未填自评总分和等级，未比对）" in summary.render()


def test_batch_report_does_not_import_batch():
    source = Path(batch_report.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from \.batch import|from engine\.batch import|import engine\.batch\b)", source, re.M)


# ------------------------------------------------------------------ a district of 200


def district_of(folder: Path, count: int, seed: int = 14) -> None:
    """`count` varied 沾益 projects in eight 主管部门, about one in twenty misreporting its total."""
    rng = random.Random(seed)
    departments = ["财政局", "教育体育局", "卫生健康局", "农业农村局", "住房和城乡建设局", "交通运输局", "水务局",
                   "人力资源和社会保障局"]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        source = ZHANYI_PROJECTS[i % len(ZHANYI_PROJECTS)]
        department = "曲靖市沾益区" + departments[rng.randrange(len(departments))]
        actuals = [_full(i, row) if rng.random() < 0.6 else rng.randrange(40, 100) for row in range(3)]
        reported = None
        if rng.random() < 0.05:
            reported = (str(rng.choice([100, 98, 95, 92, 90])), "优")
        budget = Decimal(re.search(r"total: +\{initial_budget: ([\d.]+)", source.read_text(encoding="utf-8")).group(1))
        executed = None
        if rng.random() < 0.3:
            executed = format((budget * Decimal(rng.randrange(70, 100)) / 100).quantize(Decimal("0.01")), "f")
        write_case(folder / f"case{i:04d}.yaml", source, f"{project_name(i).rsplit('·')[0]}·{i + 1:03d}", department,
                   f"{department[6:]}{rng.choice(['机关', '第一中心', '第二中心', '服务站', '管理所'])}", actuals,
                   reported, executed=executed)


def test_a_district_of_two_hundred(tmp_path):
    district_of(tmp_path / "cases", 200)
    book, page = tmp_path / "r.xlsx", tmp_path / "r.html"
    for out in (book, page):
        invoke("batch", PROJECT_SCHEME, tmp_path / "cases", "-o", out)
    workbook = openpyxl.load_workbook(book)
    assert workbook["结果"].max_row == 201 and workbook["结果"].auto_filter.ref.endswith("201")
    assert workbook["按主管部门"].max_row == 9  # eight 主管部门
    html = page.read_text(encoding="utf-8")
    assert html.count("<tr>") > 200

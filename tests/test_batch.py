"""`engine batch`: many cases, bad ones skipped and reported, deterministic, atomic, summarised."""

from __future__ import annotations

import csv
import io
import json
import shutil
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner

import engine.batch as batching
from engine.cli import main

from conftest import PROJECT_SCHEME, ROOT, ZHANYI_PROJECTS

SEED = ROOT / "tests" / "data" / "seeds" / "000_9a5c883a7752c8ed.txt"


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code in (0, 1, 2) and "内部错误" not in result.output, result.output  # never exit 3
    return result


@pytest.fixture
def folder(tmp_path):
    """The seven 沾益 projects, one broken copy (分值 written as 三十), and one for another year."""
    cases = tmp_path / "cases"
    cases.mkdir()
    for path in ZHANYI_PROJECTS:
        shutil.copy(path, cases / path.name)
    text = ZHANYI_PROJECTS[0].read_text(encoding="utf-8")
    (cases / "broken.yaml").write_text(text.replace("weight: 30, score: 30", "weight: 三十, score: 30", 1),
                                       encoding="utf-8")
    (cases / "other-year.yaml").write_text(text.replace("fiscal_year: 2023", "fiscal_year: 2022"), encoding="utf-8")
    (cases / "notes.test.yaml").write_text("not a case", encoding="utf-8")  # test files are not cases
    return cases


def rows(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_a_broken_file_is_reported_and_the_rest_are_scored(folder, tmp_path):
    out = tmp_path / "results.csv"
    result = invoke("batch", PROJECT_SCHEME, folder, "-o", out, "--jobs", "1")
    assert result.exit_code == 1
    line = next(i for i, t in enumerate((folder / "broken.yaml").read_text(encoding="utf-8").splitlines(), 1) if "三十" in t)
    assert f"broken.yaml:{line}:" in result.stderr and "应为数字，实际为“三十”" in result.stderr
    assert "other-year.yaml:5:14: fiscal_year：案例年度为 2022" in result.stderr
    assert "2 个案例出错未计分" in result.stderr
    table = rows(out)
    assert table[0] == ["案例", "名称", "主管部门", "总分", "满分", "等级", "勾稽核对不符", "错误"]
    scored = [r for r in table[1:] if not r[7]]
    assert len(scored) == 7 and all((r[3], r[5]) == ("100.00", "优") for r in scored)
    # Summary by hand: seven tables at 100.00 → 优 7, mean = min = max = 100.00
    assert "共 9 个案例：7 个已计分，2 个出错未计分" in result.stdout
    assert "等级：优 7，良 0，中 0，差 0" in result.stdout
    assert "总分：平均 100.00，最低 100.00，最高 100.00" in result.stdout


def test_one_and_two_jobs_give_identical_results(folder, tmp_path):
    for suffix in ("csv", "jsonl"):
        one, two = tmp_path / f"one.{suffix}", tmp_path / f"two.{suffix}"
        invoke("batch", PROJECT_SCHEME, folder, SEED, "-o", one, "--jobs", "1")
        invoke("batch", PROJECT_SCHEME, folder, SEED, "-o", two, "--jobs", "2")
        assert one.read_bytes() == two.read_bytes()
    records = [json.loads(line, parse_float=Decimal) for line in (tmp_path / "one.jsonl").read_text(encoding="utf-8").splitlines()]
    # 9 files in the folder (2 broken) + the seed's 7 project tables (its department table is another scheme's)
    assert len(records) == 9 + 8
    good = [r for r in records if "total" in r]
    assert len(good) == 14 and all(r["total"] == Decimal("100.00") for r in good)
    assert sum("error" in r for r in records) == 3


def test_an_interrupted_write_leaves_no_partial_file_and_keeps_the_old_one(folder, tmp_path, monkeypatch):
    out = tmp_path / "results.csv"
    out.write_text("previous results\n", encoding="utf-8")
    calls = {"n": 0}
    real = batching.CsvWriter.add

    def failing_add(self, record):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(28, "No space left on device")
        real(self, record)

    monkeypatch.setattr(batching.CsvWriter, "add", failing_add)
    result = invoke("batch", PROJECT_SCHEME, folder, "-o", out, "--jobs", "1", "--force")
    assert result.exit_code != 0
    assert out.read_text(encoding="utf-8") == "previous results\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".results")] == []


def test_results_are_not_overwritten_without_force_nor_written_onto_an_input(folder, tmp_path):
    out = tmp_path / "results.csv"
    out.write_text("keep", encoding="utf-8")
    result = invoke("batch", PROJECT_SCHEME, folder, "-o", out)
    assert result.exit_code == 2 and "结果文件已存在，未覆盖" in result.stderr and out.read_text() == "keep"
    target = folder / "fin-network.yaml"
    before = target.read_bytes()
    assert invoke("batch", PROJECT_SCHEME, folder, "-o", target, "--force").exit_code == 2
    assert target.read_bytes() == before


def test_jsonl_input_one_case_per_line(tmp_path):
    from engine.load import load_document
    from engine.report import dumps

    lines = [dumps(load_document(p).data, indent=0).replace("\n", "") for p in ZHANYI_PROJECTS[:3]]
    lines.insert(1, "{not json")
    source = tmp_path / "cases.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    result = invoke("batch", PROJECT_SCHEME, source, "-o", out, "--jobs", "2")
    assert result.exit_code == 1
    assert f"{source}:2:2: 这一行不是有效的 JSON" in result.stderr
    table = rows(out)[1:]
    assert [r[0] for r in table] == [f"{source}:1", f"{source}:2", f"{source}:3", f"{source}:4"]
    assert [r[3] for r in table] == ["100.00", "", "100.00", "100.00"]


def test_html_summary_and_xlsx(folder, tmp_path):
    page = tmp_path / "summary.html"
    assert invoke("batch", PROJECT_SCHEME, folder, "-o", page).exit_code == 1
    html = page.read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and 'aria-label="等级分布"' in html and 'aria-label="总分分布"' in html
    assert '<strong id="cases">9</strong>' in html and "出错未计分的案例" in html
    book = tmp_path / "r.xlsx"
    assert invoke("batch", PROJECT_SCHEME, folder, "-o", book).exit_code == 1
    workbook = openpyxl.load_workbook(book)
    results = list(workbook["结果"].iter_rows(values_only=True))
    assert results[0][:4] == ("案例", "名称", "主管部门", "总分") and len(results) == 10
    assert any(row[0] == "等级：优 7，良 0，中 0，差 0" for row in workbook["汇总"].iter_rows(values_only=True))


def test_losses_are_summed_per_indicator(tmp_path):
    # Two cases losing points: 预算执行率 9.48 (loses 0.52) and the partial project's rows.
    summary = batching.Summary(["优", "良", "中", "差"])
    summary.add({"case": "a", "total": "89.81", "grade": "良", "failed_checks": [], "error": None,
                 "losses": [("预算执行率", "0.52"), ("效益指标（项目自带指标）", "6.67")]})
    summary.add({"case": "b", "total": "99.48", "grade": "优", "failed_checks": ["x"], "error": None,
                 "losses": [("预算执行率", "0.52")]})
    assert summary.top_losses() == [("效益指标（项目自带指标）", Decimal("6.67"), 1), ("预算执行率", Decimal("1.04"), 2)]
    assert summary.mean == Decimal("94.65")  # (89.81 + 99.48) / 2 = 94.645 → 94.65
    assert summary.histogram[17] == 1 and summary.histogram[19] == 1


def test_the_summary_names_who_is_at_the_lowest_grade():
    summary = batching.Summary(["优", "良", "中", "差"])
    for name, total, grade in (("甲", "95.00", "优"), ("乙", "55.50", "差"), ("丙", "41.00", "差")):
        summary.add({"case": name, "total": total, "grade": grade, "failed_checks": [], "error": None, "losses": []})
    text = summary.render()
    assert "等级：优 1，良 0，中 0，差 2" in text
    assert "总分：平均 63.83，最低 41.00，最高 95.00" in text  # (95 + 55.5 + 41) / 3 = 63.833… → 63.83
    assert "等级为“差”的案例：乙（55.50）、丙（41.00）" in text

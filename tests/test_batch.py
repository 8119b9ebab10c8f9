"""`engine batch`: many cases, bad ones skipped and reported, deterministic, atomic, summarised."""

from __future__ import annotations

import csv
import decimal
import errno
import importlib
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import PROJECT_SCHEME, ROOT, ZHANYI_PROJECTS

import engine.batch as batching
from engine.cli import main

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


def leftovers(folder):
    """Temporary files (`.results.csv.<pid>-<random>.partial`) anywhere under `folder`."""
    return sorted(str(p) for p in folder.rglob(".*") if p.name.endswith((".partial", ".tmp")))


def test_a_broken_file_is_reported_and_the_rest_are_scored(folder, tmp_path):
    out = tmp_path / "results.csv"
    result = invoke("batch", PROJECT_SCHEME, folder, "-o", out, "--jobs", "1")
    assert result.exit_code == 1
    line = next(i for i, t in enumerate((folder / "broken.yaml").read_text(encoding="utf-8").splitlines(), 1) if "三十" in t)
    assert f"broken.yaml:{line}:" in result.stderr and "应为数字，实际为“三十”" in result.stderr
    assert "other-year.yaml:5:14: fiscal_year：案例年度为 2022" in result.stderr
    assert "2 个案例出错未计分" in result.stderr
    table = rows(out)
    # the columns other programs read stay where they were; 实施单位 and the self-reported figures come after
    assert table[0] == ["案例", "名称", "主管部门", "总分", "满分", "等级", "勾稽核对不符", "错误", "实施单位", "自评总分", "自评等级"]
    scored = [r for r in table[1:] if not r[7]]
    assert len(scored) == 7 and all((r[3], r[5]) == ("100.00", "优") for r in scored)
    # Summary by hand: seven tables at 100.00 → 优 7, mean = min = max = 100.00
    assert "共 9 个案例：7 个已计分，2 个出错未计分" in result.stdout
    assert "等级：优 7，良 0，中 0，差 0" in result.stdout
    assert "总分：平均 100.00，最低 100.00，最高 100.00" in result.stdout
    assert "自评与计分不符：0 个" in result.stdout.splitlines()  # each of the seven reports 100 and 优
    fire = next(r for r in scored if r[1] == "农村房屋火灾保险服务")
    assert fire[8:] == ["曲靖市沾益区财政局", "100", "优"]


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


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_disk_leaves_no_partial_file_and_keeps_the_old_one(jobs, folder, tmp_path, monkeypatch):
    out = tmp_path / "results.csv"
    out.write_text("previous results\n", encoding="utf-8")
    calls = {"n": 0}
    real = batching.CsvWriter.add

    def failing_add(self, record):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, record)

    monkeypatch.setattr(batching.CsvWriter, "add", failing_add)
    result = invoke("batch", PROJECT_SCHEME, folder, "-o", out, "--jobs", jobs, "--force")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"{out}: 写结果文件失败：磁盘空间不足，原文件未改动（未留下不完整的结果文件）"
    assert out.read_text(encoding="utf-8") == "previous results\n"
    assert leftovers(tmp_path) == []


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
    assert html.count("<svg") == 2 + 1 and 'aria-label="等级分布"' in html  # the charts, one 主管部门's grade mix and 'aria-label="总分分布"' in html
    assert '<strong id="cases">9</strong>' in html and "出错未计分的案例" in html
    book = tmp_path / "r.xlsx"
    assert invoke("batch", PROJECT_SCHEME, folder, "-o", book).exit_code == 1
    workbook = openpyxl.load_workbook(book)
    assert workbook.sheetnames == ["结果", "自评不符", "最低", "按主管部门", "失分指标", "核对不符", "汇总"]
    results = list(workbook["结果"].iter_rows(values_only=True))
    assert results[0][:6] == ("主管部门", "实施单位", "项目", "总分", "满分", "等级") and len(results) == 10
    assert results[0][-1] == "文件"
    assert ("等级", "优 7，良 0，中 0，差 0") in list(workbook["汇总"].iter_rows(values_only=True))


def test_losses_are_summed_per_indicator(tmp_path):
    # Two cases losing points: 预算执行率 9.48 (loses 0.52) and one of the partial project's rows.
    summary = batching.Summary(["优", "良", "中", "差"])
    summary.add({"case": "a", "total": "89.81", "grade": "良", "failed_checks": [], "error": None,
                 "losses": [("预算执行率", "预算执行率", "0.52"), ("效益指标", "群众满意度", "6.67")]})
    summary.add({"case": "b", "total": "99.48", "grade": "优", "failed_checks": ["x"], "error": None,
                 "losses": [("预算执行率", "预算执行率", "0.52")]})
    assert [tuple(row) for row in summary.top_losses()] == [("群众满意度", "效益指标", 1, Decimal("6.67")),
                                                         ("预算执行率", "预算执行率", 2, Decimal("1.04"))]
    assert summary.mean == Decimal("94.65")  # (89.81 + 99.48) / 2 = 94.645 → 94.65
    assert summary.histogram[17] == 1 and summary.histogram[19] == 1


def test_the_summary_names_the_lowest_by_unit_and_project_whatever_their_grades():
    summary = batching.Summary(["优", "良", "中", "差"], lowest_count=2)
    for name, unit, total, grade in (("甲项目", "甲局", "95.00", "优"), ("乙项目", "乙局", "85.50", "良"),
                                     ("丙项目", "丙局", "81.00", "良")):
        summary.add({"case": f"{name}.yaml", "name": name, "department": unit, "implementer": unit, "total": total,
                     "grade": grade, "failed_checks": [], "error": None, "losses": []})
    text = summary.render()
    assert "等级：优 1，良 2，中 0，差 0" in text
    assert "总分：平均 87.17，最低 81.00，最高 95.00" in text  # (95 + 85.5 + 81) / 3 = 87.166… → 87.17
    assert "总分最低的 2 个：丙项目（丙局） 81.00（良）；乙项目（乙局） 85.50（良）" in text  # nobody is 差
    assert ".yaml" not in text


# ------------------------------------------------------------------ one case, one row, whatever it does

CRASH = ("计分进程处理这个案例时异常终止（{how}），单独重试仍然如此；这个案例未计分，其余照常"
         "（提示：可能是文件内容触发了所用程序库的缺陷（如嵌套极深的 YAML），请把这个文件报告给维护者）")


@pytest.mark.parametrize("jobs", ["1", "2", "3"])
@pytest.mark.parametrize("how, shown", [("segv", "信号 SIGSEGV"), ("exit", "退出码 70"), ("kill", "信号 SIGKILL")])
def test_a_case_that_kills_its_worker_is_its_own_row_and_the_batch_goes_on(jobs, how, shown, folder, tmp_path,
                                                                           monkeypatch):
    # The hook (engine/batch.py _test_crash) makes the worker die on these two files as a parser crash would;
    # the first of them is the first case of the folder, so even the first item is recovered.
    monkeypatch.setenv("ENGINE_TEST_CRASH_ON", "fin-network.yaml,land-transfer.yaml")
    monkeypatch.setenv("ENGINE_TEST_CRASH_WITH", how)
    out = tmp_path / "r.csv"
    result = invoke("batch", PROJECT_SCHEME, folder, "-o", out, "--jobs", jobs)
    assert result.exit_code == 1
    table = rows(out)[1:]
    names = sorted(p.name for p in folder.iterdir() if not p.name.endswith(".test.yaml"))
    assert [r[0] for r in table] == [str(folder / name) for name in names]  # input order, each case once
    crashed = {r[0]: r[7] for r in table if "异常终止" in r[7]}
    assert crashed == {str(folder / name): f"{folder / name}: {CRASH.format(how=shown)}"
                       for name in ("fin-network.yaml", "land-transfer.yaml")}
    assert [(r[3], r[5]) for r in table if not r[7]] == [("100.00", "优")] * 5
    assert "共 9 个案例：5 个已计分，4 个出错未计分" in result.stdout


def test_every_case_killing_its_worker_still_ends(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("ENGINE_TEST_CRASH_ON", ",".join(p.name for p in folder.iterdir()))
    out = tmp_path / "r.csv"
    result = invoke("batch", PROJECT_SCHEME, folder, "-o", out, "--jobs", "2")
    assert result.exit_code == 1 and "共 9 个案例：0 个已计分，9 个出错未计分" in result.stdout
    assert sum("异常终止（信号 SIGSEGV）" in r[7] for r in rows(out)[1:]) == 9


def test_a_worker_killed_from_outside_costs_nothing(folder, tmp_path, monkeypatch):
    """A worker that dies once on a case (as if the OOM killer chose it) and not on the retry: the case is scored."""
    evaluation = importlib.import_module("engine.evaluate")  # the module, which engine.evaluate (a function) hides
    marker = tmp_path / "killed-once"
    real = evaluation.evaluate

    def evaluate(scheme, case, *args, **kwargs):
        if case.source.endswith("fire-insurance.yaml") and not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(scheme, case, *args, **kwargs)

    monkeypatch.setattr(evaluation, "evaluate", evaluate)  # forked workers inherit it
    out = tmp_path / "r.csv"
    result = invoke("batch", PROJECT_SCHEME, folder, "-o", out, "--jobs", "2")
    assert marker.exists() and result.exit_code == 1  # 1: broken.yaml and other-year.yaml
    assert "共 9 个案例：7 个已计分，2 个出错未计分" in result.stdout


@pytest.mark.parametrize("error, message", [
    (decimal.Overflow, "数值超出可计算的范围，无法计分"),
    (decimal.InvalidOperation, "数值超出可计算的范围，无法计分"),
    (RecursionError("maximum recursion depth exceeded"), "嵌套过深，无法计分"),
    (MemoryError(), "所需内存过多，无法计分"),
    (KeyError("x"), "无法计分：处理这个案例时程序出错（KeyError：'x'），请把这个文件报告给维护者"),
])
def test_an_exception_while_scoring_one_case_is_that_cases_row(error, message, folder, tmp_path, monkeypatch):
    evaluation = importlib.import_module("engine.evaluate")
    real = evaluation.evaluate

    def evaluate(scheme, case, *args, **kwargs):
        if case.source.endswith("fire-insurance.yaml"):
            raise error
        return real(scheme, case, *args, **kwargs)

    monkeypatch.setattr(evaluation, "evaluate", evaluate)
    out = tmp_path / "r.csv"
    result = invoke("batch", PROJECT_SCHEME, folder, "-o", out, "--jobs", "2")
    assert result.exit_code == 1
    fire = folder / "fire-insurance.yaml"
    assert [r[7] for r in rows(out)[1:] if r[0] == str(fire)] == [f"{fire}: {message}"]
    assert "共 9 个案例：6 个已计分，3 个出错未计分" in result.stdout


def test_a_yaml_file_that_crashed_the_c_parser_is_one_row(folder, tmp_path):
    # 400 KB of nested `- `: a SIGSEGV of the C parser once, refused from its text now; a row either way.
    deep = folder / "deep.yaml"
    deep.write_text("- " * 200_000 + "x\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    result = invoke("batch", PROJECT_SCHEME, folder, "-o", out, "--jobs", "2")
    assert result.exit_code == 1 and "共 10 个案例：7 个已计分，3 个出错未计分" in result.stdout
    assert [r[7].startswith(f"{deep}") for r in rows(out)[1:] if r[0] == str(deep)] == [True]


# ------------------------------------------------------------------ JSON Lines, in one pass

def fire_json() -> str:
    from engine.load import load_document
    from engine.report import dumps

    return dumps(load_document(ZHANYI_PROJECTS[1]).data, indent=0).replace("\n", "")


def test_json_lines_are_read_in_one_pass_with_bounded_lines(tmp_path, monkeypatch):
    source = tmp_path / "cases.jsonl"
    good = fire_json()
    source.write_text("\n".join([good, "[" * 50_000 + "]" * 50_000, '{"name": "' + "x" * 2_000_000 + '"}', good,
                                 "{not json", "", good]), encoding="utf-8")  # the last line has no line break
    opened = []
    real = batching.open_regular
    monkeypatch.setattr(batching, "open_regular", lambda path: opened.append(path) or real(path))
    out = tmp_path / "r.csv"
    result = invoke("batch", PROJECT_SCHEME, source, "-o", out, "--jobs", "2")
    assert result.exit_code == 1 and opened == [str(source)]  # opened once, not once per line
    assert [(r[0], r[3], r[7]) for r in rows(out)[1:]] == [
        (f"{source}:1", "100.00", ""),
        (f"{source}:2", "", f"{source}:2: 这一行嵌套过深（超过 100 层）"),
        (f"{source}:3", "", f"{source}:3: 这一行过长（超过 1,048,576 字节），未读取（提示：JSON Lines 文件每行应为一个案例）"),
        (f"{source}:4", "100.00", ""),
        (f"{source}:5", "", f"{source}:5:2: 这一行不是有效的 JSON：Expecting property name enclosed in double quotes"),
        (f"{source}:7", "100.00", ""),
    ]


def test_a_json_lines_item_carries_its_line_and_never_more_than_the_limit(tmp_path):
    source = tmp_path / "cases.jsonl"
    source.write_bytes(b"\xef\xbb\xbf{}\r\n" + b"y" * (batching.MAX_LINE_BYTES + 10) + b"\n{}")
    items = list(batching.work_items([source]))
    assert [(i.line, i.text, i.refusal is not None) for i in items] == [(1, b"{}\r\n", False), (2, None, True),
                                                                         (3, b"{}", False)]


# ------------------------------------------------------------------ folders

def test_links_loops_repeats_and_special_files_in_a_folder(folder, tmp_path):
    (folder / "here").symlink_to(".")
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..")
    (folder / "loop.yaml").symlink_to("loop.yaml")
    (folder / "soft.yaml").symlink_to("fire-insurance.yaml")
    os.link(folder / "fire-insurance.yaml", folder / "sub" / "hard.yaml")
    os.mkfifo(folder / "pipe.yaml")
    out = tmp_path / "r.csv"
    result = invoke("batch", PROJECT_SCHEME, folder, folder / "fin-network.yaml", "-o", out, "--jobs", "2")
    assert result.exit_code == 1
    table = rows(out)[1:]
    assert sorted(r[0] for r in table if r[7]) == sorted(str(folder / n) for n in (
        "broken.yaml", "other-year.yaml", "loop.yaml", "pipe.yaml"))
    assert len([r for r in table if not r[7]]) == 7  # each of the seven projects once
    assert {r[7] for r in table if r[0] in (str(folder / "loop.yaml"), str(folder / "pipe.yaml"))} == {
        f"{folder / 'loop.yaml'}: 符号链接循环（链接最终指回自己），无法读取",
        f"{folder / 'pipe.yaml'}: 这不是普通文件（可能是管道、设备或套接字），未读取"}
    # here → ., sub/up → .., soft.yaml and sub/hard.yaml → fire-insurance.yaml, fin-network.yaml named again
    assert "有 5 处文件或文件夹重复出现（经链接或重复列出），各只计分一次" in result.stderr.splitlines()


def test_a_large_folder_is_listed_in_sorted_pieces_and_remembers_only_files_reachable_twice(tmp_path, monkeypatch):
    # Seven names read three at a time: three scans of the folder, the names in order, each once.
    monkeypatch.setattr(batching, "LISTING_CHUNK", 3)
    names = [f"case{i}.yaml" for i in (5, 1, 6, 3, 0, 4, 2)]
    for name in names:
        (tmp_path / name).write_text("{}", encoding="utf-8")
    (tmp_path / "a-link.yaml").symlink_to("case4.yaml")  # sorts before its target: still one of them only
    inputs = batching.Inputs([tmp_path])
    items = [Path(item.path).name for item in inputs]
    assert items == ["a-link.yaml"] + sorted(set(names) - {"case4.yaml"})
    assert inputs.repeated == 1
    # the identities kept: the link's target, not the six plain files
    assert len(inputs.seen) == 2  # the folder and case4.yaml


def _as_unprivileged():
    """For a child run as root, who reads any folder: CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped from
    the bounding set before exec, so the engine is refused a chmod 000 folder as anyone else is."""
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_an_unreadable_folder_is_its_own_row_and_the_batch_goes_on(folder, tmp_path):
    locked = folder / "locked"
    locked.mkdir()
    shutil.copy(ZHANYI_PROJECTS[0], locked / "case.yaml")
    locked.chmod(0)
    out = tmp_path / "r.csv"
    try:
        child = subprocess.run([sys.executable, "-m", "engine", "batch", str(PROJECT_SCHEME), str(folder), "-o", str(out)],
                               capture_output=True, text=True, preexec_fn=_as_unprivileged)
    finally:
        locked.chmod(0o755)
    assert child.returncode == 1, child.stderr
    assert f"{locked}: 无法读取文件夹：Permission denied" in child.stderr.splitlines()
    assert "写结果文件失败" not in child.stderr
    table = rows(out)[1:]
    assert [r[7] for r in table if r[0] == str(locked)] == [f"{locked}: 无法读取文件夹：Permission denied"]
    assert len([r for r in table if not r[7]]) == 7


def test_terminal_lists_twenty_errors_and_the_results_file_all(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    for number in range(25):
        (cases / f"broken-{number:02d}.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    result = invoke("batch", PROJECT_SCHEME, cases, "-o", out)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line.split(":")[0] for line in lines[:20]] == [str(cases / f"broken-{n:02d}.yaml") for n in range(20)]
    assert lines[20:] == ["另有 5 个案例出错，见结果文件", "25 个案例出错未计分"]
    assert len(rows(out)) == 26
    page = tmp_path / "r.html"
    invoke("batch", PROJECT_SCHEME, cases, "-o", page)
    assert page.read_text(encoding="utf-8").count("<li>") == 25


def test_jobs_are_capped_and_started_only_as_needed(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert (batching.job_count(None), batching.job_count(3), batching.job_count(100_000)) == (2, 3, 8)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(sys, "platform", "win32")
    assert batching.job_count(None) == 61


def test_no_more_workers_than_items(monkeypatch):
    import engine

    started = []
    real = batching.Pool._start
    monkeypatch.setattr(batching.Pool, "_start", lambda self, single_use: started.append(single_use) or real(self, single_use))
    pool = batching.Pool(str(PROJECT_SCHEME), engine.load_scheme(PROJECT_SCHEME), False, 64)
    scored = list(pool.scored(batching.Item(str(p)) for p in ZHANYI_PROJECTS[:3]))
    assert [item.path for item, _ in scored] == [str(p) for p in ZHANYI_PROJECTS[:3]] and started == [False] * 3


# ------------------------------------------------------------------ Ctrl-C, kill

def _start_hanging_batch(tmp_path, *options):
    """A batch whose first case never finishes (the test hook), running in its own process group."""
    cases = tmp_path / "cases"
    cases.mkdir()
    for path in ZHANYI_PROJECTS:
        shutil.copy(path, cases / path.name)
    out = tmp_path / "results.csv"
    out.write_text("previous results\n", encoding="utf-8")
    environment = {**os.environ, "ENGINE_TEST_CRASH_ON": ZHANYI_PROJECTS[0].name, "ENGINE_TEST_CRASH_WITH": "hang"}
    child = subprocess.Popen([sys.executable, "-m", "engine", "batch", str(PROJECT_SCHEME), str(cases), "-o", str(out),
                              "--force", *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=environment, start_new_session=True)
    while not list(tmp_path.glob(".results.csv.*.partial")):  # the run is under way (it cannot end by itself)
        assert child.poll() is None, child.communicate()
        time.sleep(0.01)
    return child, out


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_prints_one_line_and_leaves_nothing_behind(jobs, tmp_path):
    child, out = _start_hanging_batch(tmp_path, "--jobs", jobs)
    os.killpg(child.pid, signal.SIGINT)  # as the terminal does: to the parent and its workers
    stdout, stderr = child.communicate()
    assert (child.returncode, stdout, stderr) == (130, "", "已中断\n")
    assert leftovers(tmp_path) == [] and out.read_text(encoding="utf-8") == "previous results\n"
    with pytest.raises(ProcessLookupError):
        os.killpg(child.pid, 0)  # no worker left behind


def test_kill_stops_the_workers_and_leaves_nothing_behind(tmp_path):
    child, out = _start_hanging_batch(tmp_path, "--jobs", "2")
    child.terminate()  # SIGTERM to the parent only
    stdout, stderr = child.communicate()
    assert (child.returncode, stdout, stderr) == (130, "", "已中断\n")
    assert leftovers(tmp_path) == [] and out.read_text(encoding="utf-8") == "previous results\n"
    with pytest.raises(ProcessLookupError):
        os.killpg(child.pid, 0)


# ------------------------------------------------------------------ the results file

def test_results_changed_by_another_run_meanwhile_are_not_replaced(folder, tmp_path):
    out = tmp_path / "results.csv"
    out.write_text("results of an earlier run\n", encoding="utf-8")

    def another_run(record):
        if not (tmp_path / "written").exists():
            (tmp_path / "written").touch()
            out.write_text("results of a later run, finished first\n", encoding="utf-8")

    with pytest.raises(batching.OutputError) as caught:
        batching.run_batch(PROJECT_SCHEME, [folder], out, jobs=2, force=True, on_record=another_run)
    aside = tmp_path / "results-1.csv"
    assert str(caught.value.problems[0]) == (
        f"{out}: 结果文件在本次运行期间被改动（可能另有一次运行写入了它），未覆盖；本次结果另存为 {aside}")
    assert out.read_text(encoding="utf-8") == "results of a later run, finished first\n"
    assert len(rows(aside)) == 10 and leftovers(tmp_path) == []


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600)])
def test_results_get_the_permissions_the_umask_gives(mask, expected, folder, tmp_path):
    previous = os.umask(mask)
    try:
        for suffix in ("csv", "jsonl", "xlsx", "html"):
            out = tmp_path / f"r.{suffix}"
            invoke("batch", PROJECT_SCHEME, folder, "-o", out)
            assert stat.S_IMODE(out.stat().st_mode) == expected, suffix
        out = tmp_path / "r.csv"
        out.chmod(0o640)
        invoke("batch", PROJECT_SCHEME, folder, "-o", out, "--force")
        assert stat.S_IMODE(out.stat().st_mode) == 0o640  # a replaced file keeps its own
    finally:
        os.umask(previous)


def test_a_results_file_that_is_a_fifo_is_refused_and_stays(tmp_path):
    out = tmp_path / "results.csv"
    os.mkfifo(out)
    result = invoke("batch", PROJECT_SCHEME, ZHANYI_PROJECTS[0], "-o", out, "--force")
    assert (result.exit_code, result.stderr) == (
        2, f"{out}: 这不是普通文件（是设备、管道或套接字），不能当作输出文件，加 --force 也不会替换它"
           "（提示：请写一个普通的文件名；要输出到屏幕，不写 -o 即可）\n")
    assert stat.S_ISFIFO(os.lstat(out).st_mode) and leftovers(tmp_path) == []


def test_a_row_rendered_by_a_worker_reads_back_as_its_cells():
    from engine.batch import csv_line, csv_row

    record = {"case": "a,b.yaml", "name": '他说"好"', "department": "第一行\n第二行", "implementer": None,
              "total": "90.00", "max_total": "100", "grade": "优", "failed_checks": ["总分与原表一致", "等级与总分相符"],
              "error": None, "reported_total": "=1+1", "reported_grade": None}
    line = csv_line(record)
    assert line.endswith("\r\n") and csv_line(record) == line  # the buffer is emptied between rows
    assert next(csv.reader(io.StringIO(line))) == csv_row(record)
    assert csv_row(record)[9] == "'=1+1"  # a formula-like cell is made text before it is rendered

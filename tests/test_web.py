"""The workbench's routes through Starlette's test client: every page, every download, every refusal.

Each test works on its own copy of the shipped schemes (saving and new-year write into it) and its own
work folder, so that "nothing written" can be checked by listing both.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import openpyxl
import pytest
from starlette.testclient import TestClient

from engine import api
from engine.quantities import plain_number
from engine.web.app import create_app
from engine.web.security import MAX_FILE_BYTES, Secrets

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "schemes" / "project-self-eval" / "2023.yaml"
FIRE = ROOT / "cases" / "zhanyi-2023" / "projects" / "fire-insurance.yaml"
SEED = ROOT / "tests" / "data" / "seeds" / "000_9a5c883a7752c8ed.txt"
LOOPBACK = "http://127.0.0.1:8421"


@pytest.fixture(scope="module")
def fire_xlsx() -> bytes:
    return api.export(PROJECT, FIRE, "xlsx")


def misreported(xlsx: bytes, total: str = "95") -> bytes:
    """The same table with its 总分 cell changed: the figure a clerk mistyped."""
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    sheet = book.active
    row = next(r for r in sheet.iter_rows() if r[0].value == "总分")
    row[8].value = total  # 一级…实际完成值 (7 merged), 分值, 得分
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class Bench:
    def __init__(self, tmp_path: Path, **options):
        self.schemes = tmp_path / "schemes"
        shutil.copytree(ROOT / "schemes", self.schemes)
        self.work = tmp_path / "work"
        self.app = create_app(self.schemes, ROOT / "cases", work=self.work, **options)
        self.client = TestClient(self.app, base_url=LOOPBACK)
        self.csrf = self.app.bench.secrets.csrf

    def post(self, url: str, data: dict | None = None, **kwargs):
        return self.client.post(url, data={"csrf": self.csrf, **(data or {})}, follow_redirects=False, **kwargs)

    def upload(self, name: str, content: bytes):
        return self.post("/score", files={"file": (name, content)})

    def work_files(self) -> list[Path]:
        return sorted(p for p in self.work.rglob("*") if p.is_file())

    def scheme_files(self) -> dict[str, bytes]:
        return {str(p.relative_to(self.schemes)): p.read_bytes() for p in self.schemes.rglob("*") if p.is_file()}


@pytest.fixture
def bench(tmp_path) -> Bench:
    return Bench(tmp_path)


def scored_page(bench: Bench, name: str, content: bytes, query: str = ""):
    response = bench.upload(name, content)
    assert response.status_code == 303, response.text
    return response.headers["location"], bench.client.get(response.headers["location"] + query)


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)<', html, re.S)
    assert match, f"no #{element_id}"
    return match.group(1).strip()


# ------------------------------------------------------------------ pages ----------------


def test_every_page_answers_in_chinese(bench):
    pages = ["/score", "/schemes", "/batch"]
    pages += [f"/schemes/{p.parent.name}/{p.stem}" for p in sorted((bench.schemes).glob("*/[0-9][0-9][0-9][0-9].yaml"))]
    pages += ["/schemes/project-self-eval/2024/edit", "/schemes/project-self-eval/2023/diff?other=project-self-eval/2022"]
    for page in pages:
        response = bench.client.get(page)
        assert response.status_code == 200, (page, response.text[-500:])
        assert '<html lang="zh-CN">' in response.text and "绩效自评工作台" in response.text
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert bench.client.get("/", follow_redirects=False).headers["location"] == "/score"
    htmx = bench.client.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:200]


def test_scores_an_uploaded_xlsx_as_the_official_table(bench, fire_xlsx):
    location, page = scored_page(bench, "沾益火灾保险.xlsx", fire_xlsx)
    assert page.status_code == 200
    assert text_of(page.text, "total") == "100.00" and text_of(page.text, "grade") == "优"
    assert "农村房屋火灾保险服务" in page.text and "保险农户火灾损失" in page.text
    assert 'class="s failed"' not in page.text and "勾稽核对 15 项均无不符" in page.text
    assert re.search(r'data-indicator="performance-\d+"', page.text)  # rows open their calculation sheet


def test_a_misreported_total_is_marked_on_its_cell(bench, fire_xlsx):
    _, page = scored_page(bench, "表.xlsx", misreported(fire_xlsx, "95"))
    cell = re.search(r'<td class="s failed" title="([^"]*)" data-checks="total">100\.00<a class="mark" href="#check-total">①</a>',
                     page.text)
    assert cell, page.text
    assert "原表 95，按规则计算 100.00" in cell.group(1)
    assert re.search(r'<li id="check-total" data-check="total"><span class="num">①</span> 总分与原表一致：原表 95', page.text)
    assert "勾稽核对 1 项不符" in page.text


def test_pasted_text_with_several_tables_offers_each(bench):
    response = bench.post("/score", {"text": SEED.read_text(encoding="utf-8")})
    assert response.status_code == 303
    page = bench.client.get(response.headers["location"])
    assert page.text.count('<option value="') >= 8 and "第 4 张：2023年度项目支出绩效自评表“农村房屋火灾保险服务”" in page.text
    fourth = bench.client.get(response.headers["location"] + "?table=4")
    assert text_of(fourth.text, "total") == "100.00" and "农村房屋火灾保险服务" in fourth.text
    department = bench.client.get(response.headers["location"] + "?table=1")
    assert department.status_code == 200 and "department-self-eval" in department.text
    assert bench.client.get(response.headers["location"] + "?table=9").status_code == 404


def test_the_scheme_is_picked_by_the_case_and_can_be_changed(bench, fire_xlsx):
    location, page = scored_page(bench, "表.xlsx", fire_xlsx)
    assert 'value="project-self-eval/2023" selected' in page.text
    hubei = bench.client.get(location + "?scheme=project-self-eval-hubei/2023")
    assert hubei.status_code == 200 and "（project-self-eval-hubei 2023）" in hubei.text
    assert "案例原写“project-self-eval”2023 年度，现按所选方案“project-self-eval-hubei”2023 年度计分" in hubei.text
    assert text_of(hubei.text, "total") == "110.00"  # 湖北: 执行率 worth 20, and the table's rows keep their 90
    later = bench.client.get(location + "?scheme=project-self-eval/2025")
    assert later.status_code == 200 and "（project-self-eval 2025）" in later.text
    case = bench.client.get(location + "/download/yaml?scheme=project-self-eval/2025").text
    assert "fiscal_year: 2025  # 工作台按所选方案改写（原为 2023）" in case
    assert "fiscal_year: 2023" in bench.client.get(location + "/download/yaml").text  # the upload itself unchanged
    wrong = bench.client.get(location + "?scheme=department-self-eval/2023")
    assert wrong.status_code == 400 and "不能按方案 department-self-eval/2023 计分" in wrong.text
    assert bench.client.get(location + "?scheme=nothing/2023").status_code == 404


def test_a_row_opens_its_calculation_sheet(bench, fire_xlsx):
    location, page = scored_page(bench, "表.xlsx", fire_xlsx)
    row = re.search(r'data-indicator="(performance-\d+)"', page.text).group(1)
    sheet = bench.client.get(f"{location}/explain/{row}?table=1&scheme=project-self-eval/2023")
    assert sheet.status_code == 200 and "计算过程：保险户数" in sheet.text and "30.00" in sheet.text
    execution = bench.client.get(f"{location}/explain/execution")
    assert "计算过程：预算执行率" in execution.text and "38.5" in execution.text
    assert bench.client.get(f"{location}/explain/nothing").status_code == 404


def test_downloads(bench, fire_xlsx):
    location, _ = scored_page(bench, "表.xlsx", misreported(fire_xlsx))
    case = bench.client.get(location + "/download/yaml")
    assert case.status_code == 200 and "name: 农村房屋火灾保险服务" in case.text and "total: 95" in case.text
    assert "filename*=UTF-8''%E5%86%9C" in case.headers["content-disposition"]  # 农村房屋火灾保险服务-案例.yaml
    table = bench.client.get(location + "/download/xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(table.content)).active
    assert ("总分", 100, 100, "优") in [(r[0], *r[-3:]) for r in sheet.iter_rows(values_only=True)]
    page = bench.client.get(location + "/download/html")
    assert page.text.startswith("<!DOCTYPE html>") and '<strong id="total">100.00</strong>' in page.text
    assert "总分与原表一致：原表 95" in page.text
    report = bench.client.get(location + "/download/docx")
    with zipfile.ZipFile(io.BytesIO(report.content)) as docx:
        assert "农村房屋火灾保险服务" in docx.read("word/document.xml").decode("utf-8")
    assert bench.client.get(location + "/download/exe").status_code == 404


def test_a_department_shows_its_subtotals(bench):
    case = ROOT / "cases" / "zhongfang-2023" / "department.yaml"
    _, page = scored_page(bench, "中方.yaml", case.read_bytes())
    result = api.score(ROOT / "schemes" / "four-dimension" / "2023.yaml", case)
    assert text_of(page.text, "total") == f"{result.total:.2f}"
    shown = re.findall(r'<td class="depth-0">(.*?)</td><td class="n">(.*?)</td><td class="n"><strong>(.*?)</strong>', page.text)
    assert shown == [(g.name, plain_number(g.weight), f"{g.score:.2f}") for g in result.groups.children]
    assert ("投入", "15", "13.45") in shown


def test_a_case_file_is_scored_and_a_scheme_file_is_refused(bench):
    _, page = scored_page(bench, "fire.yaml", FIRE.read_bytes())
    assert text_of(page.text, "total") == "100.00"
    refused = bench.upload("2023.yaml", PROJECT.read_bytes())
    assert refused.status_code == 400 and "这是评价方案，不是案例" in refused.text
    assert bench.work_files() == [p for p in bench.work_files() if "fire" in str(p) or "case-" in p.name or p.name == "upload.json"]


def test_a_file_that_is_no_table_is_refused_and_not_kept(bench):
    response = bench.upload("随便.txt", "这不是一张自评表\n只是两行字\n".encode("utf-8"))
    assert response.status_code == 400 and "无法计分" in response.text and "Traceback" not in response.text
    assert bench.work_files() == []
    nothing = bench.post("/score", {"text": "  "})
    assert nothing.status_code == 400 and "请选择一个文件" in nothing.text


def test_case_text_is_escaped_never_live(bench):
    hostile = FIRE.read_text(encoding="utf-8").replace("name: 农村房屋火灾保险服务", 'name: "<script>alert(1)</script><img src=x onerror=alert(2)>"')
    _, page = scored_page(bench, "x.yaml", hostile.encode("utf-8"))
    assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


# ------------------------------------------------------------------ schemes --------------


def test_a_scheme_reads_as_a_table(bench):
    page = bench.client.get("/schemes/project-self-eval/2023").text
    assert "项目支出绩效自评（财预〔2020〕10号）" in page
    assert re.search(r"<td class=\"depth-0\">预算执行率</td><td class=\"n\">10</td><td>按比例计分</td>", page)
    assert "指标性质 ≤" in page and "反向（≤）" in page and "按比例（指标值 / 完成值）" in page
    assert "<td>优</td><td>90 分及以上</td>" in page and "<td>良</td><td>80 分（含）至 90 分</td>" in page
    assert "总分与原表一致" in page
    blank = bench.client.get("/schemes/project-self-eval/2023/template")
    assert blank.status_code == 200 and blank.text == api.template(bench.schemes / "project-self-eval" / "2023.yaml")
    listing = bench.client.get("/schemes").text
    assert 'id="scheme-project-self-eval-2025"' in listing and 'id="scheme-four-dimension-2024"' in listing


def validate_lines(text: str, folder: Path) -> list[str]:
    """What `engine validate` prints for `text` saved at project-self-eval/2023.yaml: the message of each problem."""
    target = folder / "project-self-eval" / "2023.yaml"
    target.write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "engine", "validate", str(target)], capture_output=True, text=True,
                         cwd=folder, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return [line.split(": ", 1)[1] for line in out.stdout.splitlines() if line.startswith(str(target) + ":")]


def test_typed_text_is_checked_as_engine_validate_checks_it(bench, tmp_path):
    text = PROJECT.read_text(encoding="utf-8").replace("    weight: 10\n", "    weigth: 10\n", 1)
    line = text.splitlines().index("    weigth: 10") + 1
    response = bench.post("/schemes/project-self-eval/2023/check", {"text": text.replace("\n", "\r\n")})
    assert response.status_code == 200
    assert f'<div class="mark" data-line="{line}" style="top: {(line - 1) * 20 + 6}px"' in response.text
    assert 'id="marks" hx-swap-oob="true"' in response.text
    shown = [re.sub(r"<[^>]+>|\s+", "", item) for item in re.findall(r"<li data-line=\"\d+\">(.*?)</li>", response.text, re.S)]
    mirror = tmp_path / "mirror"
    shutil.copytree(ROOT / "schemes", mirror)
    expected = validate_lines(text, mirror)
    assert expected and any("不认识的键“weigth”（提示：是否想写：weight？）" in line for line in expected)
    for item, line_text in zip(shown, expected, strict=True):
        assert re.sub(r"\s+", "", line_text) in item.replace("第", ":").replace("行", "").replace("列", "") or \
            line_text.split("：", 1)[-1].replace(" ", "") in item
    clean = bench.post("/schemes/project-self-eval/2023/check", {"text": PROJECT.read_text(encoding="utf-8")})
    assert "检查通过，没有发现问题" in clean.text


def test_save_writes_atomically_and_only_a_valid_scheme(bench):
    target = bench.schemes / "project-self-eval" / "2023.yaml"
    edit = bench.client.get("/schemes/project-self-eval/2023/edit").text
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', edit).group(1)
    original = target.read_bytes()
    bad = original.decode("utf-8").replace("    weight: 10\n", "    weigth: 10\n", 1)
    refused = bench.post("/schemes/project-self-eval/2023/save", {"text": bad, "digest": digest})
    assert refused.status_code == 400 and "未保存：方案有" in refused.text and "weigth: 10" in refused.text
    assert target.read_bytes() == original
    changed = original.decode("utf-8").replace('version: "2023.1"', 'version: "2023.2"')
    before = target.stat().st_ino
    saved = bench.post("/schemes/project-self-eval/2023/save", {"text": changed.replace("\n", "\r\n"), "digest": digest})
    assert saved.status_code == 303 and saved.headers["location"] == "/schemes/project-self-eval/2023?saved=1"
    assert target.read_text(encoding="utf-8") == changed  # CR LF from the browser written as the file's LF
    assert target.stat().st_ino != before  # a new file renamed over the old one, never written in place
    assert sorted(p.name for p in target.parent.iterdir()) == sorted(
        f"{y}{t}.yaml" for y in range(2019, 2026) for t in ("", ".test"))
    assert "已保存" in bench.client.get(saved.headers["location"]).text


def test_save_never_overwrites_a_file_changed_since_it_was_opened(bench):
    target = bench.schemes / "project-self-eval" / "2023.yaml"
    edit = bench.client.get("/schemes/project-self-eval/2023/edit").text
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', edit).group(1)
    theirs = target.read_text(encoding="utf-8").replace('version: "2023.1"', 'version: "2023.9"')
    target.write_text(theirs, encoding="utf-8")  # someone else saved meanwhile
    mine = theirs.replace('version: "2023.9"', 'version: "2023.5"')
    response = bench.post("/schemes/project-self-eval/2023/save", {"text": mine, "digest": digest})
    assert response.status_code == 409 and "文件在你打开之后已被修改" in response.text
    assert 'version: &#34;2023.5&#34;' in response.text or 'version: "2023.5"' in response.text  # her text is kept
    assert target.read_text(encoding="utf-8") == theirs


def test_new_year_from_the_page(bench):
    response = bench.post("/schemes/project-self-eval/2025/new-year", {"year": "2026"})
    assert response.status_code == 303 and response.headers["location"] == "/schemes/project-self-eval/2026?saved=new"
    assert "extends: 2025.yaml" in (bench.schemes / "project-self-eval" / "2026.yaml").read_text(encoding="utf-8")
    assert (bench.schemes / "project-self-eval" / "2026.test.yaml").is_file()
    assert bench.client.get("/schemes/project-self-eval/2026").status_code == 200
    written = (bench.schemes / "project-self-eval" / "2026.yaml").read_bytes()
    again = bench.post("/schemes/project-self-eval/2025/new-year", {"year": "2026"})
    assert again.status_code == 400 and "文件已存在，未覆盖" in again.text
    assert (bench.schemes / "project-self-eval" / "2026.yaml").read_bytes() == written
    bad = bench.post("/schemes/project-self-eval/2025/new-year", {"year": "20x6"})
    assert bad.status_code == 400 and "年度“20x6”不对" in bad.text


def test_diff_with_the_cases_of_a_folder_rescored(bench):
    scheme = bench.schemes / "project-self-eval" / "2024.yaml"  # 2024 gives 执行率 20 points: every total moves
    scheme.write_text(scheme.read_text(encoding="utf-8") + "indicators:\n  - {id: execution, weight: 20}\n"
                      "  - {id: performance, weight_total: 80}\n", encoding="utf-8")
    page = bench.client.get("/schemes/project-self-eval/2024/diff?other=project-self-eval/2023&cases=zhanyi-2023")
    assert page.status_code == 200
    text = re.search(r'id="diff-text">(.*?)</pre>', page.text, re.S).group(1)
    expected = api.diff(PROJECT, scheme, [ROOT / "cases" / "zhanyi-2023"]).text
    assert "案例重新计分：7 个案例" in expected and "fire-insurance.yaml：总分 100.00 → 110.00" in expected
    shown = text.replace("&#34;", '"').replace("&#39;", "'").replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
    assert shown.replace(str(bench.schemes), "S") == expected.replace(str(bench.schemes), "S").replace(str(ROOT / "schemes"), "S")
    refused = bench.client.get("/schemes/project-self-eval/2023/diff?other=project-self-eval/2022&cases=..")
    assert refused.status_code == 400


# ------------------------------------------------------------------ batch ---------------


def ten_cases() -> bytes:
    """Ten cases in a zip: the seven 沾益 projects and three more, each under a name of its own."""
    buffer = io.BytesIO()
    projects = sorted((ROOT / "cases" / "zhanyi-2023" / "projects").glob("*.yaml"))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in projects:
            archive.write(path, f"沾益/{path.name}")
        for n in range(1, 4):
            text = FIRE.read_text(encoding="utf-8").replace("农村房屋火灾保险服务", f"农村房屋火灾保险服务（第{n}乡镇）")
            archive.writestr(f"沾益/乡镇-{n}.yaml", text)
    return buffer.getvalue()


def finished(bench: Bench, location: str):
    """The batch's page once its run is over (the run's thread joined: no clock involved)."""
    run = bench.app.bench.batches[location.rsplit("/", 1)[1]]
    for thread in threading.enumerate():
        if thread.name == f"batch-{run.folder.name}":
            thread.join()
    assert run.done
    assert bench.client.get(location + "/progress").headers.get("hx-refresh") == "true"
    return bench.client.get(location)


def test_a_running_batch_shows_its_progress(bench):
    from engine.web.work import BatchRun

    folder = bench.app.bench.workspace.create([])[1]
    bench.app.bench.batches[folder.name] = BatchRun(folder, PROJECT, "测试批量", "项目", total=7, count=3)
    page = bench.client.get(f"/batch/{folder.name}")
    assert 'hx-get="/batch/' in page.text and 'hx-trigger="every 1s"' in page.text
    progress = bench.client.get(f"/batch/{folder.name}/progress")
    assert text_of(progress.text, "progress-count") == "3" and "/ 7 个文件" in progress.text
    assert bench.client.get(f"/batch/{folder.name}/review").status_code == 409


def test_batch_of_ten_cases_in_a_zip_and_its_review(bench):
    response = bench.post("/batch", {"scheme": "project-self-eval/2023"}, files=[("files", ("十个.zip", ten_cases()))])
    assert response.status_code == 303
    page = finished(bench, response.headers["location"])
    assert text_of(page.text, "batch-cases") == "10" and "10 个已计分" in page.text
    review = bench.client.get(response.headers["location"] + "/review")
    assert review.headers["content-security-policy"].endswith("sandbox")
    for n in range(1, 4):
        assert f"农村房屋火灾保险服务（第{n}乡镇）" in review.text
    for name in ("财政专网信息化建设专项资金", "土地出让业务", "行政事业单位内控报告编制"):
        assert name in review.text
    workbook = openpyxl.load_workbook(io.BytesIO(bench.client.get(response.headers["location"] + "/download/xlsx").content))
    assert workbook.sheetnames[0] == "结果" and workbook["结果"].max_row == 11
    html = bench.client.get(response.headers["location"] + "/download/html")
    assert "attachment" in html.headers["content-disposition"] and html.text == review.text


def test_batch_of_several_files_with_one_not_a_table(bench, fire_xlsx):
    files = [("files", ("a.xlsx", fire_xlsx)), ("files", ("b.xlsx", misreported(fire_xlsx))),
             ("files", ("说明.exe", b"MZ..."))]
    response = bench.post("/batch", {"scheme": "project-self-eval/2023"}, files=files)
    page = finished(bench, response.headers["location"])
    assert text_of(page.text, "batch-cases") == "2" and "说明.exe" in page.text
    review = bench.client.get(response.headers["location"] + "/review").text
    assert "自评与计分不符" in review
    nothing = bench.post("/batch", {"scheme": "project-self-eval/2023"}, files=[("files", ("a.exe", b"MZ"))])
    assert nothing.status_code == 400 and "没有可计分的文件" in nothing.text


# ------------------------------------------------------------------ refusals ------------


def test_an_oversized_upload_is_refused_and_nothing_written(bench):
    response = bench.upload("大.xlsx", b"PK" + b"\0" * MAX_FILE_BYTES)
    assert response.status_code == 413 and "过大" in response.text and "未保存任何文件" in response.text
    assert bench.work_files() == []


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(tmp_path):
    small = Bench(tmp_path, max_body=10_000)
    response = small.upload("a.txt", b"x" * 20_000)
    assert response.status_code == 413 and "上传的内容过大" in response.text
    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(30):
            yield b"y" * 1000
    streamed = small.client.post("/score", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x",
                                                                      "x-csrf-token": small.csrf})
    assert streamed.status_code == 413 and "上传的内容过大" in streamed.text
    assert small.work_files() == []


def zip_with(name: str, data: bytes = b"scheme: x\n", link: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("好的.yaml", FIRE.read_bytes())
        info = zipfile.ZipInfo(name)
        if link:
            info.create_system = 3
            info.external_attr = (0o120777 << 16)
        archive.writestr(info, data)
    return buffer.getvalue()


@pytest.mark.parametrize("entry, link, words", [
    ("../../evil.yaml", False, "不安全的路径“../../evil.yaml”"),
    ("/etc/evil.yaml", False, "不安全的路径“/etc/evil.yaml”"),
    ("a/../../evil.yaml", False, "不安全的路径"),
    ("C:/evil.yaml", False, "不安全的路径"),
    ("link.yaml", True, "含链接“link.yaml”"),
])
def test_a_zip_with_unsafe_entries_is_refused_and_nothing_written(bench, tmp_path, entry, link, words):
    response = bench.post("/batch", {"scheme": "project-self-eval/2023"},
                          files=[("files", ("区.zip", zip_with(entry, b"/etc/passwd" if link else b"x: 1\n", link)))])
    assert response.status_code == 400 and words in response.text and "未解压任何文件" in response.text
    assert bench.work_files() == [] and not (tmp_path / "evil.yaml").exists() and not Path("/etc/evil.yaml").exists()


def test_a_zip_bomb_is_refused(bench):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("炸弹.yaml", b"\0" * (30 * 1024 * 1024))
    response = bench.post("/batch", {"scheme": "project-self-eval/2023"}, files=[("files", ("b.zip", buffer.getvalue()))])
    assert response.status_code == 400 and "压缩包“b.zip”无法使用" in response.text
    assert bench.work_files() == []


def test_a_file_name_cannot_lead_out_of_the_work_folder(bench, tmp_path):
    response = bench.upload("../../../evil.yaml", FIRE.read_bytes())
    assert response.status_code == 303
    assert [p.name for p in bench.work_files() if p.suffix == ".yaml" and not p.name.startswith("case-")] == ["evil.yaml"]
    assert all(bench.work in p.parents for p in bench.work_files()) and not (tmp_path / "evil.yaml").exists()


def test_too_many_files_are_refused(bench):
    files = [("files", (f"{n}.yaml", b"x")) for n in range(201)]
    response = bench.post("/batch", {"scheme": "project-self-eval/2023"}, files=files)
    assert response.status_code == 413 and "文件过多" in response.text
    assert bench.work_files() == []


@pytest.mark.parametrize("host", ["evil.example.com", "evil.example.com:8421", "192.168.1.5:8421", "127.0.0.1.evil.com"])
def test_a_request_for_another_host_is_refused(bench, fire_xlsx, host):
    page = bench.client.get("/score", headers={"host": host})
    assert page.status_code == 421 and "不是本机" in page.text and bench.csrf not in page.text
    post = bench.client.post("/score", data={"csrf": bench.csrf}, files={"file": ("a.xlsx", fire_xlsx)},
                             headers={"host": host})
    assert post.status_code == 421 and bench.work_files() == []


@pytest.mark.parametrize("host", ["127.0.0.1:8421", "localhost:8421", "[::1]:8421", "localhost", "127.0.0.2"])
def test_loopback_hosts_are_served(bench, host):
    assert bench.client.get("/score", headers={"host": host}).status_code == 200


def post_routes(bench: Bench) -> list[str]:
    from starlette.routing import Route

    routes = [r for r in bench.app.app.routes if isinstance(r, Route) and "POST" in (r.methods or ())]
    return [r.path.replace("{scheme}", "project-self-eval").replace("{year}", "2023") for r in routes]


@pytest.mark.parametrize("token", [None, "wrong"])
def test_every_post_without_its_csrf_token_is_refused_and_nothing_written(bench, fire_xlsx, token):
    before = bench.scheme_files()
    paths = post_routes(bench)
    assert sorted(paths) == sorted(["/score", "/schemes/project-self-eval/2023/check", "/schemes/project-self-eval/2023/save",
                                    "/schemes/project-self-eval/2023/new-year", "/batch"])
    for path in paths:
        data = {"text": "x", "digest": "0" * 64, "year": "2030", "scheme": "project-self-eval/2023"}
        if token:
            data["csrf"] = token
        response = bench.client.post(path, data=data, files={"file": ("a.xlsx", fire_xlsx)}, follow_redirects=False)
        assert response.status_code == 403, path
        assert "缺少有效的安全令牌（CSRF），已拒绝，未做任何改动" in response.text
        header = bench.client.post(path, data=data, headers={"x-csrf-token": token or ""}, follow_redirects=False)
        assert header.status_code == 403, path
    assert bench.scheme_files() == before and bench.work_files() == []


def test_only_files_under_the_schemes_folder(bench, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "2023.yaml").write_bytes(PROJECT.read_bytes())
    (bench.schemes / "escape").symlink_to(outside)
    assert "escape" not in bench.client.get("/schemes").text
    for path in ("/schemes/escape/2023", "/schemes/escape/2023/edit", "/schemes/escape/2023/download"):
        response = bench.client.get(path)
        assert response.status_code == 403 and "方案文件夹之外" in response.text
    for path in ("/schemes/..%2F..%2Fetc/2023", "/schemes/project-self-eval/..%2F2023", "/schemes/.hidden/2023"):
        assert bench.client.get(path).status_code in (400, 404)
    text = PROJECT.read_text(encoding="utf-8").replace("version:", f"extends: ../../outside/2023.yaml\nversion:", 1)
    checked = bench.post("/schemes/project-self-eval/2023/check", {"text": text})
    assert "extends 只能指向方案文件夹之内的方案文件" in checked.text
    line = text.splitlines().index("extends: ../../outside/2023.yaml") + 1
    assert f'<div class="mark" data-line="{line}"' in checked.text
    flow = bench.post("/schemes/project-self-eval/2023/check", {"text": '{"extends": "/etc/passwd", scheme: x}'})
    assert "extends 只能指向方案文件夹之内的方案文件" in flow.text and "root:" not in flow.text
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"',
                       bench.client.get("/schemes/project-self-eval/2023/edit").text).group(1)
    before = bench.scheme_files()
    saved = bench.post("/schemes/project-self-eval/2023/save", {"text": text, "digest": digest})
    assert saved.status_code == 400 and bench.scheme_files() == before


def test_remote_use_needs_the_token_printed_at_start(tmp_path):
    keys = Secrets(access="the-token")
    remote = Bench(tmp_path, secrets_=keys, allow_remote=True)
    headers = {"host": "bureau-pc:8421"}
    denied = remote.client.get("/score", headers=headers)
    assert denied.status_code == 401 and "缺少访问令牌" in denied.text
    assert remote.client.get("/score?token=wrong", headers=headers).status_code == 401
    welcome = remote.client.get("/score?token=the-token", headers=headers, follow_redirects=False)
    assert welcome.status_code == 303 and welcome.headers["location"] == "/score"
    assert "workbench_token=the-token" in welcome.headers["set-cookie"] and "HttpOnly" in welcome.headers["set-cookie"]
    assert remote.client.get("/score", headers={**headers, "cookie": "workbench_token=the-token"}).status_code == 200


def test_serve_refuses_a_network_address_unless_asked(tmp_path):
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    refused = subprocess.run([sys.executable, "-m", "engine", "serve", "--schemes", str(ROOT / "schemes"), "--host", "0.0.0.0",
                              "--no-browser"], capture_output=True, text=True, env=env)
    assert refused.returncode == 2 and "拒绝在 0.0.0.0 上提供服务" in refused.stderr and "--allow-remote" in refused.stderr
    missing = subprocess.run([sys.executable, "-m", "engine", "serve", "--schemes", str(tmp_path / "none"), "--no-browser"],
                             capture_output=True, text=True, env=env)
    assert missing.returncode == 2 and "方案文件夹" in missing.stderr and "不存在" in missing.stderr


def test_every_template_and_static_file_is_packaged():
    """`pip install .` takes what pyproject's package-data names: every file the pages need must match it."""
    import fnmatch
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "engine.web" in config["packages"]
    patterns = config["package-data"]["engine.web"]
    web = ROOT / "engine" / "web"
    needed = [p.relative_to(web).as_posix() for folder in ("templates", "static") for p in (web / folder).iterdir()]
    assert "static/htmx.min.js" in needed and "templates/base.html" in needed
    assert [n for n in needed if not any(fnmatch.fnmatch(n, pattern) for pattern in patterns)] == []

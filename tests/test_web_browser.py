"""The workbench in a real browser: Debian's Chromium driven by Selenium through Debian's chromedriver.

One server (`python -m engine serve --port 0`, a subprocess on a free port, on a copy of the schemes)
and one browser for the module. Every wait is for an element or a condition, never for a clock; the
waits are generous (the machine is shared) and nothing is asserted about speed. A missing browser or
driver fails these tests: it is never a reason to skip them.

WORKBENCH_SCREENSHOTS=folder keeps a screenshot of each page there (docs/workbench.png is one).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

from engine import api

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PROJECT = ROOT / "schemes" / "project-self-eval" / "2023.yaml"
FIRE = ROOT / "cases" / "zhanyi-2023" / "projects" / "fire-insurance.yaml"
WAIT = 60  # seconds an element may take to appear on a busy machine; never an assertion about speed


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(address, schemes folder) of a workbench started as a clerk starts it, on a free port."""
    folder = tmp_path_factory.mktemp("served")
    schemes = folder / "schemes"
    shutil.copytree(ROOT / "schemes", schemes)
    process = subprocess.Popen(
        [sys.executable, "-m", "engine", "serve", "--schemes", str(schemes), "--cases", str(ROOT / "cases"),
         "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=folder,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
    try:
        address = None
        for line in process.stdout:  # the first line says where it listens; EOF if it failed to start
            match = re.search(r"已启动：(http://127\.0\.0\.1:\d+/)", line)
            if match:
                address = match.group(1)
                break
        assert address, f"engine serve did not start: {process.stdout.read() if process.poll() is not None else ''}"
        yield address.rstrip("/"), schemes
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.is_file(), "Debian's chromium is needed (apt-get install chromium); .ci/run installs it"
    assert CHROMEDRIVER.is_file(), "Debian's chromedriver is needed (apt-get install chromium-driver); .ci/run installs it"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--lang=zh-CN", "--disable-gpu"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


def wait(browser, condition, timeout: int = WAIT):
    return WebDriverWait(browser, timeout).until(condition)


def shot(browser, name: str) -> None:
    folder = os.environ.get("WORKBENCH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))


def upload(browser, address: str, path: Path) -> None:
    browser.get(address + "/score")
    wait(browser, seen.presence_of_element_located((By.ID, "file"))).send_keys(str(path))
    browser.find_element(By.ID, "score-submit").click()


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tables")
    good = folder / "沾益-农村房屋火灾保险服务.xlsx"
    good.write_bytes(api.export(PROJECT, FIRE, "xlsx"))
    book = openpyxl.load_workbook(good)
    row = next(r for r in book.active.iter_rows() if r[0].value == "总分")
    row[8].value = 95  # the 总分 a clerk mistyped
    bad = folder / "总分填错.xlsx"
    book.save(bad)
    return {"good": good, "bad": bad}


def test_an_xlsx_table_is_scored_100_and_graded_you(browser, served, tables):
    address, _ = served
    browser.get(address + "/score")
    wait(browser, seen.presence_of_element_located((By.ID, "score-form")))
    shot(browser, "score-upload")
    upload(browser, address, tables["good"])
    total = wait(browser, seen.visibility_of_element_located((By.ID, "total")))
    assert total.text == "100.00"
    assert browser.find_element(By.ID, "grade").text == "优"
    assert "勾稽核对 15 项均无不符" in browser.find_element(By.ID, "checks-count").text
    assert not browser.find_elements(By.CSS_SELECTOR, "#scored .failed")
    row = browser.find_element(By.CSS_SELECTOR, "#scored tr[data-indicator^='performance-']")  # a row → its sheet
    row.click()
    sheet = wait(browser, seen.visibility_of_element_located((By.ID, "explain-text")))
    assert "保险户数" in browser.find_element(By.CSS_SELECTOR, "#explain h2").text and "30.00" in sheet.text
    shot(browser, "score-result")


def test_a_misreported_total_is_marked_on_its_cell(browser, served, tables):
    address, _ = served
    upload(browser, address, tables["bad"])
    cell = wait(browser, seen.visibility_of_element_located((By.CSS_SELECTOR, "#scored td.failed[data-checks~='total']")))
    assert cell.text.startswith("100.00")
    assert cell.value_of_css_property("outline-style") == "solid"  # drawn, not only classed
    message = browser.find_element(By.ID, "check-total")
    assert message.is_displayed() and "总分与原表一致：原表 95，按规则计算 100.00，相差 -5.00" in message.text
    assert "勾稽核对 1 项不符" in browser.find_element(By.ID, "checks-count").text
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    shot(browser, "score-misreported")


def _line_of(text: str, wanted: str) -> int:
    return text.split("\n").index(wanted) + 1


def _select_on_line(browser, line: int, word: str) -> None:
    """Put the editor's selection on `word` in `line`, as a clerk double-clicking it would."""
    browser.execute_script("""
        const text = document.getElementById('text'), lines = text.value.split('\\n');
        let start = 0;
        for (let i = 0; i < arguments[0] - 1; i++) start += lines[i].length + 1;
        start += lines[arguments[0] - 1].indexOf(arguments[1]);
        text.focus();
        text.setSelectionRange(start, start + arguments[1].length);""", line, word)


def test_a_misspelt_key_shows_beside_its_line_and_the_fixed_scheme_is_saved(browser, served):
    address, schemes = served
    target = schemes / "project-self-eval" / "2023.yaml"
    original = target.read_text(encoding="utf-8")
    before = target.stat().st_ino
    browser.get(address + "/schemes/project-self-eval/2023")
    wait(browser, seen.visibility_of_element_located((By.ID, "indicators")))
    shot(browser, "scheme-view")
    browser.find_element(By.ID, "edit").click()
    editor = wait(browser, seen.visibility_of_element_located((By.ID, "text")))
    wait(browser, seen.text_to_be_present_in_element((By.ID, "check-state"), "检查通过"))
    line = _line_of(original, "    weight: 10")
    _select_on_line(browser, line, "weight")
    editor.send_keys("weigth")  # typed: htmx checks it once typing pauses
    beside = (By.CSS_SELECTOR, f"#marks .mark[data-line='{line}']")
    wait(browser, seen.text_to_be_present_in_element(beside, "不认识的键“weigth”"))  # the check of the whole word
    mark = browser.find_element(*beside)
    assert mark.is_displayed() and "是否想写：weight" in mark.get_attribute("title")
    listed = browser.find_element(By.CSS_SELECTOR, f"#checks li[data-line='{line}']")
    assert f"第 {line} 行" in listed.text and "不认识的键“weigth”（提示：是否想写：weight？）" in listed.text
    listed.click()  # goes to the line: the mark is level with the line's number in the gutter
    number = browser.find_elements(By.CSS_SELECTOR, "#gutter .inner div")[line - 1]
    wait(browser, lambda _: abs(number.rect["y"] - mark.rect["y"]) < 1 and 0 < mark.rect["y"] < editor.rect["y"] + editor.rect["height"])
    shot(browser, "scheme-edit")

    _select_on_line(browser, line, "weigth")
    editor.send_keys("weight")
    _select_on_line(browser, _line_of(original, 'version: "2023.1"'), "2023.1")
    editor.send_keys("2023.2")
    wait(browser, seen.text_to_be_present_in_element((By.ID, "check-state"), "检查通过"))
    assert not browser.find_elements(By.CSS_SELECTOR, "#marks .mark")
    browser.find_element(By.ID, "save").click()
    assert "已保存" in wait(browser, seen.visibility_of_element_located((By.ID, "saved"))).text
    assert target.read_text(encoding="utf-8") == original.replace('version: "2023.1"', 'version: "2023.2"')
    assert target.stat().st_ino != before  # renamed over the old file, not written in place
    assert not [p.name for p in target.parent.iterdir() if not re.fullmatch(r"\d{4}(\.test)?\.yaml", p.name)]


def test_ten_cases_in_a_zip_are_reviewed(browser, served, tmp_path):
    address, _ = served
    archive = tmp_path / "沾益十个项目.zip"
    names = []
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted((ROOT / "cases" / "zhanyi-2023" / "projects").glob("*.yaml")):
            zipped.write(path, f"沾益/{path.name}")
            names.append(re.search(r"^name: (\S+)", path.read_text(encoding="utf-8"), re.M).group(1))
        for n in range(1, 4):
            name = f"农村房屋火灾保险服务第{n}乡镇"
            zipped.writestr(f"沾益/乡镇-{n}.yaml", FIRE.read_text(encoding="utf-8").replace("农村房屋火灾保险服务", name))
            names.append(name)
    assert len(names) == 10
    browser.get(address + "/batch")
    wait(browser, seen.presence_of_element_located((By.ID, "files"))).send_keys(str(archive))
    shot(browser, "batch-upload")
    browser.find_element(By.ID, "batch-submit").click()
    assert wait(browser, seen.visibility_of_element_located((By.ID, "batch-cases"))).text == "10"
    shot(browser, "batch-review")
    wait(browser, seen.frame_to_be_available_and_switch_to_it((By.ID, "review")))
    try:
        listed = wait(browser, seen.presence_of_element_located((By.CSS_SELECTOR, "table.cases tbody")))
        text = listed.text
        for name in names:
            assert name in text
        assert len(listed.find_elements(By.TAG_NAME, "tr")) == 10
    finally:
        browser.switch_to.default_content()

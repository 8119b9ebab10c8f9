"""The hostile corpus: every file under tests/hostile/<class>/manifest.yaml, run as a user would.

Each entry lays out a few files in a fresh folder (copied, written, or made by the class's
`make.py` — FIFOs, zip bombs, sparse files), runs one `engine` command on them and asserts:

- the exit code the entry names, and never 3 (an internal error) nor a signal;
- no traceback and no “内部错误” in what was printed;
- a refusal (exit 2) is told in Chinese and names the file it is about (`located`);
- the words the entry expects in the output or in a written file, and those it must not contain;
- a file that existed before a failed run (`previous`) is byte for byte as it was.

Entries marked `isolate: true` run in a child process, so that a crash of the YAML C parser or a
hang shows up as a failure of that entry rather than of the test run. No entry has a time limit:
how long each refusal takes is measured by `python bench/hostile.py`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.load import load_document

from conftest import ROOT

HOSTILE = ROOT / "tests" / "hostile"
SENTINEL = b"the previous output, which a failed run must leave as it was\n"
PLACES = {"root": str(ROOT), "project": str(ROOT / "schemes/project-self-eval/2023.yaml"),
          "four": str(ROOT / "schemes/four-dimension/2023.yaml"),
          "department": str(ROOT / "schemes/department-self-eval/2023.yaml"),
          "fire": str(ROOT / "cases/zhanyi-2023/projects/fire-insurance.yaml"),
          "zhongfang": str(ROOT / "cases/zhongfang-2023/department.yaml")}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _entries():
    for manifest in sorted(HOSTILE.glob("*/manifest.yaml")):
        for entry in load_document(manifest).data or ():
            yield pytest.param(manifest.parent, entry, id=f"{manifest.parent.name}/{entry['id']}")


ENTRIES = list(_entries())


def test_the_corpus_holds_every_class():
    assert len(ENTRIES) >= 150
    ids = [param.id for param in ENTRIES]
    assert len(ids) == len(set(ids))


def _maker(folder: Path, name: str):
    spec = importlib.util.spec_from_file_location(f"hostile_{folder.name}_make", folder / "make.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def _fill(text: str, places: dict[str, str]) -> str:
    for key, value in places.items():
        text = text.replace("{" + key + "}", value)
    return text


def _lay_out(folder: Path, entry: dict, work: Path, places: dict[str, str]) -> None:
    for name, spec in (entry.get("files") or {}).items():
        target = work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, str):
            target.write_text(_fill(spec, places), encoding="utf-8")
        elif "copy" in spec:
            data = (ROOT / spec["copy"]).read_bytes() if not spec["copy"].startswith("{") else \
                Path(_fill(spec["copy"], places)).read_bytes()
            for old, new in spec.get("replace") or ():
                old_bytes, new_bytes = str(old).encode("utf-8"), _fill(str(new), places).encode("utf-8")
                assert data.count(old_bytes) >= 1, f"{entry['id']}: nothing to replace for {old!r}"
                data = data.replace(old_bytes, new_bytes)
            target.write_bytes(data)
        elif "text" in spec:
            target.write_text(_fill(spec["text"], places), encoding="utf-8")
        elif "bytes" in spec:
            target.write_bytes(bytes.fromhex(spec["bytes"]))
        elif "make" in spec:
            _maker(folder, spec["make"])(target)
        else:
            raise AssertionError(f"{entry['id']}: unknown file spec {spec}")


def _run(arguments: list[str], isolate: bool, work: Path, stdin: str | None) -> tuple[int, str]:
    if isolate:
        completed = subprocess.run([sys.executable, "-m", "engine", *arguments], cwd=work, capture_output=True,
                                   input=(stdin or "").encode("utf-8"), env={**os.environ, "ENGINE_DEBUG": ""})
        return completed.returncode, completed.stdout.decode("utf-8", "replace") + completed.stderr.decode("utf-8", "replace")
    result = CliRunner().invoke(main, arguments, input=stdin, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout + result.stderr


@pytest.mark.parametrize("folder, entry", [param.values for param in ENTRIES], ids=[param.id for param in ENTRIES])
def test_hostile_input(folder, entry, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    places = {**PLACES, "dir": str(work)}
    _lay_out(folder, entry, work, places)
    previous = work / entry["previous"] if entry.get("previous") else None
    if previous is not None:
        previous.write_bytes(SENTINEL)
    monkeypatch.chdir(work)
    arguments = [_fill(str(part), places) for part in entry["run"]]
    code, printed = _run(arguments, entry.get("isolate", False), work, entry.get("stdin"))
    assert code in (0, 1, 2), f"exit {code}: {printed[-2000:]}"
    assert code == entry["exit"], printed[-2000:]
    assert "Traceback" not in printed and "内部错误" not in printed, printed[-2000:]
    if code == 2:
        assert CJK.search(printed), printed
    if entry.get("located"):
        assert _fill(entry["located"], places) in printed, printed[-2000:]
    for words in entry.get("message") or ():
        assert _fill(words, places) in printed, printed[-2000:]
    for words in entry.get("not_printed") or ():
        assert _fill(words, places) not in printed, printed[-2000:]
    written = (work / entry["output"]).read_bytes() if entry.get("output") else None
    for words in entry.get("in_output") or ():
        assert written is not None and _fill(words, places).encode("utf-8") in written, written[:2000] if written else None
    for words in entry.get("not_in_output") or ():
        assert written is not None and _fill(words, places).encode("utf-8") not in written
    if previous is not None and code != 0:
        assert previous.read_bytes() == SENTINEL
    check = entry.get("check")
    if check:
        _maker(folder, check)(work)  # a class's own assertion on what was written (e.g. no xlsx formula cells)

"""Arbitrary bytes given as a table, under every suffix the readers know, to every command that reads tables.

Whatever the bytes, the command ends with exit 0, 1 or 2 and no internal error: a refusal is a
located message, never a traceback. Inputs are derandomized, so a failure reproduces.
"""

from __future__ import annotations

import io
import zipfile

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main

from conftest import FUZZ, PROJECT_SCHEME, ROOT

SUFFIXES = [".txt", ".tsv", ".csv", ".html", ".htm", ".md", ".xlsx", ".xls", ".ods", ".docx", ".pdf", ".yaml", ".jsonl"]
SEED = (ROOT / "tests/data/seeds/000_9a5c883a7752c8ed.txt").read_bytes()
SETTINGS = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def _zip_of(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in dict(members).items():  # a zip of duplicate names is another test's business
            archive.writestr(name, data)
    return buffer.getvalue()


# Bytes that look like the formats enough to reach their parsers: a zip with office-like members,
# a mangled copy of a real table, HTML fragments, pure noise.
OFFICE_MEMBERS = ["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml",
                  "word/document.xml", "content.xml", "mimetype", "xl/_rels/workbook.xml.rels"]
noise = st.binary(max_size=600)
zips = st.lists(st.tuples(st.sampled_from(OFFICE_MEMBERS), st.binary(max_size=200)), max_size=4).map(_zip_of)
mangled = st.tuples(st.integers(0, len(SEED)), st.integers(0, 400), st.binary(max_size=40)).map(
    lambda t: SEED[:t[0]] + t[2] + SEED[t[0] + t[1]:])
html = st.lists(st.sampled_from(["<table>", "<tr>", "<td>", "</td>", "</tr>", "</table>", "项目名称", "预算执行率",
                                 "年度资金总额", "100", "<td colspan=99999>", "<td rowspan=99999>", "&#0;", "\x00",
                                 "<!--", "<script>", "≥90%"]), max_size=60).map(lambda parts: "".join(parts).encode())
contents = st.one_of(noise, zips, mangled, html)


def _run(tmp_path, arguments: list[str]) -> None:
    FUZZ["inputs"] += 1
    result = CliRunner().invoke(main, arguments)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        FUZZ["tracebacks"] += 1
        raise result.exception
    if result.exit_code not in (0, 1, 2) or "内部错误" in result.output + result.stderr:
        FUZZ["exit-3"] += 1
    assert result.exit_code in (0, 1, 2), result.stderr
    assert "内部错误" not in result.stdout + result.stderr
    FUZZ["located errors" if result.exit_code == 2 else "results"] += 1


@SETTINGS
@given(data=contents, suffix=st.sampled_from(SUFFIXES),
       command=st.sampled_from(["import", "score", "check", "explain", "batch"]))
def test_any_bytes_as_a_table(data, suffix, command, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bytes")
    table = folder / f"table{suffix}"
    table.write_bytes(data)
    arguments = {
        "import": ["import", str(table), "-o", str(folder / "out.yaml"), "--force"],
        "score": ["score", str(PROJECT_SCHEME), str(table)],
        "check": ["check", str(table)],
        "explain": ["explain", str(PROJECT_SCHEME), str(table)],
        "batch": ["batch", str(PROJECT_SCHEME), str(folder), "-o", str(folder / "results.csv"), "--force"],
    }[command]
    _run(folder, arguments)

"""Published 绩效自评表 from across China, imported exactly as found (tests/data/real, README.md there).

Every file of every corpus entry is imported with the CLI as a clerk would (`engine import FILE -o DIR`):
either the case is written and matches the figures written by hand in `<id>.expect.yaml`, or the
import is refused, exit 2, with a message that names the format read, the title and what was found.
What the importer cannot yet read of a file is listed in the entry as `gaps` — the exact differences
— so a fix and a regression both show here. Every cell of every imported table is accounted for:
read into the case, recognised as a label, or listed under `unmapped`.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from engine.cli import main
from engine.importer import import_tables
from engine.load import load_document
from engine.read import read_file

from conftest import ROOT
from real.compare import differences

CORPUS = ROOT / "tests" / "data" / "real"
ENTRIES = sorted(CORPUS.glob("*.expect.yaml"))


def entry(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


FILES = [(path, item) for path in ENTRIES for item in entry(path)["files"]]
FILE_IDS = [item["file"] for _, item in FILES]


def run_import(source: Path, target: Path, *extra: str):
    return CliRunner().invoke(main, ["import", str(source), "-o", str(target), *extra])


@pytest.mark.parametrize("expect_path, item", FILES, ids=FILE_IDS)
def test_every_corpus_file_imports_or_is_refused_clearly(expect_path, item, tmp_path):
    expected = entry(expect_path)
    source = CORPUS / item["file"]
    out = tmp_path / "cases"
    extra = ("--year", str(item["year"])) if "year" in item else ()
    if "year" in item:  # the table prints no year: refused without one, read with the year the clerk gives
        refused = run_import(source, out)
        assert refused.exit_code == 2, refused.output
        assert "没有找到年度" in refused.stderr and "--year" in refused.stderr
    result = run_import(source, out, *extra)
    if "refused" in item:
        assert result.exit_code == 2, result.output
        assert not out.exists() or not any(out.iterdir()), "nothing may be written when the import is refused"
        message = result.stderr
        assert message.startswith(f"{source}"), message
        assert "读取" in message, "the refusal names the format it read the file as"
        for fragment in [item["refused"]] if isinstance(item["refused"], str) else item["refused"]:
            assert fragment in message, message
        return
    assert result.exit_code == 0, result.output
    written = sorted(out.glob("*.yaml"))
    assert len(written) == item.get("tables", 1), [p.name for p in written]
    case = load_document(written[0]).data  # the written case reads back as YAML
    assert case["fiscal_year"] == expected["fiscal_year"]
    assert case["kind"] == expected["form"]
    assert differences(expected["import"], case) == item.get("gaps", [])
    # None of the stored documents carries a 自评报告 around its table (each read for one: the 项目基本情况 /
    # 存在问题 / 结果应用 of qingshen and shidian are rows inside the table); one that did would list its
    # sections, as the source words them, under import.report
    assert case.get("report") == expected["import"].get("report")


@pytest.mark.parametrize("expect_path, item", [(p, i) for p, i in FILES if "refused" not in i],
                         ids=[i["file"] for _, i in FILES if "refused" not in i])
def test_no_cell_is_lost(expect_path, item):
    """Cells read + cells recognised as labels + cells listed as unmapped = the non-empty cells of the table."""
    source = CORPUS / item["file"]
    cases = import_tables(source, year=item.get("year"))
    grids = read_file(source).grids
    for case in cases:
        # Counted from the file itself: every non-empty cell in the rows the table spans.
        rows = grids[case.grid].rows[case.first_row:case.end_row]
        in_table = {cell.key for row in rows for cell in row if cell.text and not cell.copy}
        # (A value read from a merged cell's copy is the merged cell: the copy carries its key.)
        read = {cell.key for path, cell in case.provenance.items() if path[0] != "unmapped" and cell.text}
        labels = {cell.key for cell in case.labels if cell.text}
        unmapped = {cell.key for cell in case.unmapped}
        assert not unmapped & (read | labels), "a cell listed as unmapped was also read"
        assert (read | labels | unmapped) == in_table, (sorted(in_table - read - labels - unmapped),
                                                        sorted((read | labels | unmapped) - in_table))
        assert len(case.data.get("unmapped", [])) == len(unmapped)
        for listed, cell in zip(case.data.get("unmapped", []), case.unmapped):
            assert listed["at"] == cell.ref


def test_the_corpus_is_what_its_readme_says():
    """At least 30 tables from 8 provinces, 2019–2024, both forms, scored and unscored; a README row each."""
    entries = [entry(path) for path in ENTRIES]
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert len(entries) >= 30
    assert len({e["province"] for e in entries}) >= 8
    assert {e["fiscal_year"] for e in entries} >= {2019, 2020, 2021, 2022, 2023, 2024}
    assert {e["form"] for e in entries} == {"project", "department"}
    assert any(e.get("score") for e in entries) and any(not e.get("score") for e in entries)
    for e in entries:
        assert f"| {e['id']} |" in readme, f"{e['id']} has no row in tests/data/real/README.md"
        for item in e["files"]:
            assert (CORPUS / item["file"]).is_file(), item["file"]
    formats = {Path(item["file"]).suffix for e in entries for item in e["files"]}
    assert {".txt", ".html", ".docx", ".xlsx", ".pdf"} <= formats


CHECKED = [(path, entry(path)) for path in ENTRIES if "engine" in entry(path)]


@pytest.mark.parametrize("expect_path, expected", CHECKED, ids=[e["id"] for _, e in CHECKED])
def test_engine_check_finds_what_the_reviewer_found(expect_path, expected):
    """engine check on the table itself: the inconsistencies written down by hand, the ones the engine adds
    (each verified and explained), and the checks that could not run reported as not run, never as passed."""
    import json

    from engine.api import check_files

    engine = expected["engine"]
    [checked] = check_files([CORPUS / engine["file"]], ROOT / engine["scheme"])
    assert checked.result is not None, checked.problems
    status = {check.id: check.status for check in checked.result.checks}
    failed = {check_id for check_id, state in status.items() if state == "failed"}
    assert failed == set(engine["failed"])
    assert {check_id for check_id in engine["not_run"] if status.get(check_id) != "skipped"} == set()
    ours = set(status)
    found_by_hand = {finding["check"] for finding in expected.get("findings") or []} & ours
    assert found_by_hand <= failed | set(engine.get("missed", {})), found_by_hand - failed
    assert set(engine.get("also_found", {})) == failed - found_by_hand
    result = CliRunner().invoke(main, ["check", str(CORPUS / engine["file"]), "--scheme", str(ROOT / engine["scheme"])])
    assert result.exit_code == 1 and "不符" in result.output
    if engine.get("score"):
        scored = CliRunner().invoke(main, ["score", str(ROOT / engine["scheme"]), str(CORPUS / engine["file"]),
                                           "--format", "json"])
        assert scored.exit_code == 0, scored.output
        data = json.loads(scored.stdout, parse_float=Decimal)
        hand = expected["score"]
        assert data["total"] == Decimal(hand["total"]) and data["grade"] == hand["grade"]
        scores = [indicator["score"] for indicator in data["indicators"]]
        assert scores == [Decimal(hand["execution"])] + [Decimal(row) for row in hand["rows"]]

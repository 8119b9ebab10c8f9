"""`engine score` output compared exactly with golden files.

The golden files pin the layout people and tools read. Regenerate them on purpose with
`python -m pytest tests/test_cli_golden.py --update-golden`, then read the diff before committing.
The scores inside them are asserted independently, by hand, in test_zhanyi_projects.py.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from engine.cli import main

from conftest import ROOT, ZHANYI_PROJECTS

GOLDEN = ROOT / "tests" / "golden"
SCHEME = "schemes/project-self-eval/2023.yaml"


def invoke(monkeypatch, *args):
    monkeypatch.chdir(ROOT)  # relative paths, as a user types them, appear in the output
    return CliRunner().invoke(main, list(args))


def compare(name: str, text: str, update: bool):
    path = GOLDEN / name
    if update:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {name}; run pytest with --update-golden to create it"
    assert text == path.read_text(encoding="utf-8")


PAIRS = [(SCHEME, str(case.relative_to(ROOT)), f"score-{case.stem}.txt") for case in ZHANYI_PROJECTS] + [
    ("schemes/four-dimension/2023.yaml", "cases/zhongfang-2023/department.yaml", "score-zhongfang-department.txt"),
    ("schemes/department-self-eval/2023.yaml", "cases/zhanyi-2023/department.yaml", "score-zhanyi-department.txt"),
]


@pytest.mark.parametrize("scheme, case, golden", PAIRS, ids=[golden for _, _, golden in PAIRS])
def test_score_table(scheme, case, golden, monkeypatch, update_golden):
    result = invoke(monkeypatch, "score", scheme, case)
    assert result.exit_code == 0
    compare(golden, result.stdout, update_golden)


def test_score_json(monkeypatch, update_golden):
    result = invoke(monkeypatch, "score", SCHEME, "cases/zhanyi-2023/projects/startup-loan.yaml", "--format", "json")
    assert result.exit_code == 0
    compare("score-startup-loan.json", result.stdout, update_golden)


def test_json_contract(monkeypatch):
    """The keys other tools rely on, and exact decimals with the scheme's two places."""
    result = invoke(monkeypatch, "score", SCHEME, "cases/zhanyi-2023/projects/startup-loan.yaml", "--format", "json")
    data = json.loads(result.stdout, parse_float=Decimal)
    assert {"total", "max_total", "grade", "indicators", "groups", "checks", "scheme", "case"} <= set(data)
    assert '"total": 100.00,' in result.stdout and '"max_total": 100.00,' in result.stdout
    assert data["grade"] == "优"
    assert data["scheme"]["id"] == "project-self-eval" and data["scheme"]["fiscal_year"] == 2023
    assert data["case"]["name"] == "创业担保贷款工作及奖补"
    for indicator in data["indicators"]:
        assert {"name", "path", "weight", "score"} <= set(indicator)
        assert indicator["score"].as_tuple().exponent == -2
    row = data["indicators"][2]
    assert (row["name"], row["path"], row["score"]) == ("贷款审批时间", ["效益指标", "经济效益指标"], Decimal("30.00"))
    assert all({"id", "ok", "message"} <= set(check) for check in data["checks"])
    assert all(check["ok"] is True for check in data["checks"])
    assert data["groups"]["score"] == Decimal("100.00")


def test_partial_scores_in_json_have_exactly_two_places(tmp_path, monkeypatch):
    # ≥ 90 with 85, 分值 30 → 85 / 90 × 30 = 28.333… → 28.33 (never 28.333333 or 28.329999)
    text = (ROOT / "cases/zhanyi-2023/projects/land-transfer.yaml").read_text(encoding="utf-8")
    text = text.replace("name: 业务合规率, nature: \"≥\", target: 90, unit: \"%\", actual: 90",
                        "name: 业务合规率, nature: \"≥\", target: 90, unit: \"%\", actual: 85")
    case = tmp_path / "partial.yaml"
    case.write_text(text, encoding="utf-8")
    result = invoke(monkeypatch, "score", SCHEME, str(case), "--format", "json")
    assert '"score": 28.33,' in result.stdout
    # 10 + 28.33 + 30 + 30 = 98.33
    assert '"total": 98.33,' in result.stdout


def test_strict_exits_1_when_a_check_fails(tmp_path, monkeypatch):
    text = (ROOT / "cases/zhanyi-2023/projects/land-transfer.yaml").read_text(encoding="utf-8")
    case = tmp_path / "grade.yaml"
    case.write_text(text.replace("grade: 优", "grade: 良"), encoding="utf-8")
    assert invoke(monkeypatch, "score", SCHEME, str(case)).exit_code == 0
    result = invoke(monkeypatch, "score", SCHEME, str(case), "--strict")
    assert result.exit_code == 1
    assert "✗ 等级与总分相符：原表为“良”，按规则应为“优”" in result.stdout

"""`engine template`: a blank case that has every place its scheme reads."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import engine
from engine.cli import main
from engine.errors import CaseError
from engine.load import parse_document
from engine.validate import bind_case

from conftest import ROOT

SCHEMES = sorted(p for p in (ROOT / "schemes").rglob("20*.yaml") if not p.name.endswith(".test.yaml"))


@pytest.mark.parametrize("path", SCHEMES, ids=[str(p.relative_to(ROOT)) for p in SCHEMES])
def test_the_template_has_every_place_the_scheme_reads(path):
    scheme = engine.load_scheme(path)
    text = CliRunner().invoke(main, ["template", str(path)]).stdout
    document = parse_document(text, "template.yaml")
    _, problems = bind_case(scheme, document)
    messages = [p.message for p in problems]
    # Blank, never missing: every input and table the scheme reads is already there to be filled in.
    assert not [m for m in messages if "缺少输入" in m or "缺少数据表" in m or "缺少评价人" in m]
    assert any("不能为空" in m or "应为" in m for m in messages)


def test_a_filled_template_scores(tmp_path):
    text = CliRunner().invoke(main, ["template", str(ROOT / "schemes/project-self-eval/2023.yaml")]).stdout
    filled = (text.replace("name: ~", "name: 新项目", 1)
              .replace("initial_budget: ~  # 年度资金总额", "initial_budget: 50  # 年度资金总额")
              .replace("full_year_budget: ~  # 年度资金总额", "full_year_budget: 50  # 年度资金总额")
              .replace("executed: ~  # 年度资金总额", "executed: 45  # 年度资金总额")
              .replace("{level1: ~, level2: ~, name: ~, nature: ≥, target: ~, unit: ~, actual: ~, weight: ~",
                       "{level1: 产出指标, level2: 数量指标, name: 完成数, nature: ≥, target: 10, unit: 个, actual: 8, weight: 90"))
    case = tmp_path / "new.yaml"
    case.write_text(filled, encoding="utf-8")
    result = engine.score(ROOT / "schemes/project-self-eval/2023.yaml", case)
    # 45 / 50 = 90 % → 9.00; 8 / 10 × 90 = 72.00; total 81.00 → 良
    assert [i.score for i in result.indicators] == [pytest.approx(9), pytest.approx(72)]
    assert (str(result.total), result.grade) == ("81.00", "良")


def test_template_never_overwrites(tmp_path):
    out = tmp_path / "case.yaml"
    out.write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(main, ["template", str(ROOT / "schemes/four-dimension/2023.yaml"), "-o", str(out)])
    assert result.exit_code == 2 and out.read_text(encoding="utf-8") == "mine"

"""What must hold of every result, whatever the case: the fuzz tests and the edge cases assert it.

- every indicator scores between 0 and its weight;
- the total is the sum of the rounded indicator scores, at the scheme's places;
- the grade is the band the total falls in;
- explain states the same total as score;
- scoring the same case again gives the same bytes.
"""

from __future__ import annotations

from decimal import Decimal

import engine
from engine.explain import explain
from engine.quantities import fixed
from engine.report import render_json, render_table


def assert_invariants(scheme: engine.CompiledScheme, case, result) -> None:
    for indicator in result.indicators:
        assert Decimal(0) <= indicator.score <= indicator.weight, (indicator.id, indicator.score, indicator.weight)
        assert indicator.score == indicator.score.quantize(Decimal(1).scaleb(-result.places)), indicator
    assert result.total == sum((i.score for i in result.indicators), Decimal(0))
    band = next(grade.name for grade in scheme.grades if result.total >= grade.min) if any(
        result.total >= grade.min for grade in scheme.grades) else scheme.grades[-1].name
    assert result.grade == band, (result.total, result.grade, band)
    sheet = explain(scheme, case, result)
    assert f"总分 {fixed(result.total, result.places)} / " in sheet
    again = engine.evaluate(scheme, case)
    assert render_json(again) == render_json(result)
    assert render_table(again) == render_table(result)

"""Shared vocabulary of the stages: the compiled scheme, a case's checked data, and results.

Nouns only; the stages (validate, compile, evaluate, report) create and read these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .errors import Location, Path
from .formula import Formula

# ---------------------------------------------------------------- scheme ---------------


@dataclass(frozen=True)
class GradeBand:
    """A grade and the lowest total that earns it (inclusive)."""

    name: str
    min: Decimal


@dataclass(frozen=True)
class InputSpec:
    """A value the scheme reads from a case, under the name its formulas use."""

    name: str
    label: str
    type: str  # money | rate | count | number | text | bool | level
    unit: str | None
    source: Path
    required: bool
    blank: str  # what a blank cell means: "error" | "zero" | "absent"
    options: tuple[str, ...] = ()
    location: Location = field(default_factory=Location)

    @property
    def numeric(self) -> bool:
        return self.type in ("money", "rate", "count", "number")


@dataclass(frozen=True)
class DerivedValue:
    """A named formula over inputs and other derived values."""

    name: str
    label: str
    formula: Formula
    unit: str | None
    places: int | None
    location: Location


@dataclass(frozen=True)
class QualitativeBand:
    """达成 / 部分达成 / 未达成: the share of the weight (percent) an assessor may give."""

    name: str
    aliases: tuple[str, ...]
    low: Decimal  # inclusive
    high: Decimal  # exclusive, except for the band that reaches 100
    top: bool


@dataclass(frozen=True)
class Leaf:
    """An indicator with a weight and a rule (or formula) that scores it."""

    id: str
    name: str
    path: tuple[str, ...]
    weight: Decimal
    rule: Any  # a rule object from engine.rules
    params: dict[str, Formula]
    not_applicable: str | None  # None | "full_marks" | "redistribute"
    location: Location
    description: str = ""
    unit: str | None = None  # of the value it scores, for display


@dataclass(frozen=True)
class RowTemplate:
    """Indicator rows that each case brings (项目的绩效指标), scored by their 指标性质."""

    id: str
    name: str
    path: tuple[str, ...]
    source: Path
    by_nature: dict[str, Any]  # canonical nature -> rule object
    location: Location
    weight_total: Decimal | None = None


@dataclass(frozen=True)
class Group:
    """A dimension or sub-dimension of the indicator tree; its weight is its children's sum."""

    id: str
    name: str
    path: tuple[str, ...]
    weight: Decimal | None  # None when rows inside it take their weights from the case
    children: tuple["Group | Leaf | RowTemplate", ...]
    location: Location


@dataclass(frozen=True)
class Check:
    """A cross-check (勾稽关系) run on every case; a failure is reported, never fatal."""

    id: str
    name: str
    kind: str  # assert | compare | builtin name
    formulas: dict[str, Formula]
    tolerance: Decimal
    message: str | None
    location: Location
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CompiledScheme:
    """A scheme ready to score any number of cases; formulas are compiled exactly once."""

    id: str
    title: str
    fiscal_year: int
    version: str
    description: str
    source: str
    places: int
    max_total: Decimal
    grades: tuple[GradeBand, ...]
    inputs: dict[str, InputSpec]
    derived: tuple[DerivedValue, ...]  # in dependency order
    root: Group
    checks: tuple[Check, ...]
    qualitative_bands: tuple[QualitativeBand, ...]
    over_completion: Decimal | None  # percent of 指标值 above which a reason is required
    case_kind: str | None = None
    document: Any = field(default=None, repr=False, compare=False)

    def leaves(self) -> list[Leaf]:
        return [node for node in walk(self.root) if isinstance(node, Leaf)]

    def row_templates(self) -> list[RowTemplate]:
        return [node for node in walk(self.root) if isinstance(node, RowTemplate)]


def walk(node: Group | Leaf | RowTemplate):
    yield node
    if isinstance(node, Group):
        for child in node.children:
            yield from walk(child)


# ---------------------------------------------------------------- case -----------------


@dataclass(frozen=True)
class IndicatorRow:
    """One 绩效指标 row of a project table, as the case wrote it, with numbers read exactly."""

    index: int
    level1: str
    level2: str
    name: str
    nature: str  # canonical: ≥ ≤ = 定性
    nature_written: str
    target: Decimal | str | None
    unit: str | None
    actual: Decimal | str | None
    weight: Decimal
    reported_score: Decimal | None
    deviation: str | None
    location: Location


@dataclass(frozen=True)
class CaseData:
    """A case checked against its scheme: every input typed, every row read."""

    source: str
    identity: dict[str, Any]
    values: dict[str, Any]
    rows: dict[str, tuple[IndicatorRow, ...]]
    locations: dict[str, Location]  # input name -> where the case wrote it
    document: Any = field(default=None, repr=False, compare=False)


# ---------------------------------------------------------------- results --------------


@dataclass(frozen=True)
class IndicatorResult:
    """One scored indicator (a scheme leaf or a case row)."""

    id: str
    name: str
    path: tuple[str, ...]
    weight: Decimal
    score: Decimal
    raw_score: Decimal
    rule: str
    branch: str
    values: dict[str, Any]
    flags: tuple[str, ...] = ()
    not_applicable: str | None = None
    reported_score: Decimal | None = None
    location: Location | None = None
    from_case: bool = False  # a row the case brought; its figures are shown as written


@dataclass(frozen=True)
class GroupResult:
    id: str
    name: str
    weight: Decimal
    score: Decimal
    children: tuple["GroupResult | IndicatorResult", ...]


@dataclass(frozen=True)
class CheckResult:
    id: str
    name: str
    status: str  # passed | failed | skipped
    message: str
    details: tuple[str, ...] = ()

    @property
    def ok(self) -> bool | None:
        return {"passed": True, "failed": False}.get(self.status)


@dataclass(frozen=True)
class Result:
    """What the official table needs: scores with how they were reached, total, grade, checks."""

    scheme: dict[str, Any]
    case: dict[str, Any]
    indicators: tuple[IndicatorResult, ...]
    groups: GroupResult
    total: Decimal
    max_total: Decimal
    grade: str
    checks: tuple[CheckResult, ...]
    values: dict[str, Any]
    places: int

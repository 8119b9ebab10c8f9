"""Shared vocabulary of the stages: the compiled scheme, a case's checked data, and results.

Nouns only; the stages (validate, compile, evaluate, report) create and read these.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, NamedTuple

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
class TableSpec:
    """A list in the case (年度重点工作任务 …) whose columns formulas read as `表名.列名`."""

    name: str
    label: str
    source: Path
    row_name: Path | None  # where, inside a row, the name people call it by is written
    columns: dict[str, InputSpec]  # each column's source is relative to the row
    location: Location
    required: bool = True  # False: a case without the list simply has no rows

    def column_name(self, column: str) -> str:
        return f"{self.name}.{column}"


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


SLOTS = ("target", "actual", "assessed")


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

    @cached_property
    def score_name(self) -> str:
        """The name check formulas use for this indicator's score."""
        return f"score.{self.id}"

    @cached_property
    def slot_formulas(self) -> tuple[tuple[int, Formula], ...]:
        """(position in (target, actual, assessed), formula) for each parameter the rule reads."""
        return tuple((SLOTS.index(slot), formula) for slot, formula in self.params.items())

    @cached_property
    def uses_weight(self) -> bool:
        return any(name in ("weight", "分值") for formula in self.params.values() for name in formula.names)


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
    score_rows: Any = field(default=None, repr=False, compare=False)  # rules.compile_row_scorer(by_nature)
    weight_split: dict[str, Decimal] | None = None  # 一级指标 -> weight shared by its rows; None: from the case
    refused: frozenset[str] = frozenset()  # natures the scheme does not score on purpose (by_nature: refuse)
    level1_shares: dict[str, Decimal] | None = None  # 一级指标 -> what its rows' weights must add up to (a check)
    natures: Any = None  # quantities.NatureWords: how the 指标性质 cell is read; None: the defaults


@dataclass(frozen=True)
class Group:
    """A dimension or sub-dimension of the indicator tree; its weight is its children's sum."""

    id: str
    name: str
    path: tuple[str, ...]
    weight: Decimal | None  # None when rows inside it take their weights from the case
    children: tuple["Group | Leaf | RowTemplate", ...]
    location: Location

    @cached_property
    def leaves(self) -> tuple[Leaf, ...]:
        return tuple(child for child in self.children if isinstance(child, Leaf))


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
    for_each: str | None = None  # a table: the check runs on each of its rows


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
    derived: tuple[DerivedValue, ...]  # in dependency order, those the scores need first
    root: Group
    checks: tuple[Check, ...]
    qualitative_bands: tuple[QualitativeBand, ...]
    over_completion: Decimal | None  # percent of 指标值 above which a reason is required
    case_kind: str | None = None
    document: Any = field(default=None, repr=False, compare=False)
    tables: dict[str, TableSpec] = field(default_factory=dict)
    scoring_derived: int = 0  # derived[:scoring_derived] are what the indicators need
    funds_total: str = "from_parts"  # a 年度资金总额 row left blank or 0 while its 其中 rows hold money
    # What evaluate generates for this scheme on first use (its planned evaluator); a copy made with
    # dataclasses.replace starts empty, so it never runs a plan made for another tree.
    plans: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @cached_property
    def quantum(self) -> Decimal:
        """The smallest step of a score: 0.01 for two places."""
        return Decimal(1).scaleb(-self.places)

    def leaves(self) -> list[Leaf]:
        return [node for node in walk(self.root) if isinstance(node, Leaf)]

    @cached_property
    def identity(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "fiscal_year": self.fiscal_year,
                "version": self.version, "file": self.source}

    def row_templates(self) -> list[RowTemplate]:
        return [node for node in walk(self.root) if isinstance(node, RowTemplate)]


def walk(node: Group | Leaf | RowTemplate):
    yield node
    if isinstance(node, Group):
        for child in node.children:
            yield from walk(child)


# ---------------------------------------------------------------- case -----------------


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """One 绩效指标 row of a project table, as the case wrote it, with numbers read exactly."""

    id: str  # <template id>-<row number>
    template: str  # id of the row template that scores it
    path: tuple[str, ...]  # the groups above it: the template's, then 一级 and 二级
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
class TableRow:
    """One row of a case's table, its columns read by their names in the scheme."""

    label: str
    values: dict[str, Any]
    location: Location


@dataclass(frozen=True)
class CaseData:
    """A case checked against its scheme: every input typed, every row read."""

    source: str
    identity: dict[str, Any]
    values: dict[str, Any]  # inputs, and each table column as a tuple under `表名.列名`
    rows: dict[str, tuple[IndicatorRow, ...]]
    locations: dict[str, Location]  # input name -> where the case wrote it
    document: Any = field(default=None, repr=False, compare=False)
    tables: dict[str, tuple[TableRow, ...]] = field(default_factory=dict)
    assessments: dict[str, Any] = field(default_factory=dict)  # leaf id -> answers, a score, or NotApplicable
    scoring: dict[str, Any] = field(default_factory=dict)  # inputs scored with another value than written (why: notes)
    notes: tuple[str, ...] = ()  # what the binder decided that a reader of the result must know


# ---------------------------------------------------------------- results --------------


class IndicatorResult(NamedTuple):
    """One scored indicator: a scheme leaf or a case row (its `source`), and how it scored.

    Kept to the figures evaluation produces; names, paths and units are read from the source,
    so scoring a row costs one small tuple.
    """

    source: Leaf | IndicatorRow
    rule: str
    weight: Decimal
    score: Decimal  # rounded half-up to the scheme's places
    raw_score: Decimal
    branch: str
    flags: tuple[str, ...] = ()
    target: Any = None
    actual: Any = None
    not_applicable: str | None = None

    @property
    def id(self) -> str:
        return self.source.id

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def path(self) -> tuple[str, ...]:
        return self.source.path

    @property
    def from_case(self) -> bool:
        """A row the case brought: its figures are shown as written."""
        return isinstance(self.source, IndicatorRow)

    @property
    def unit(self) -> str | None:
        return self.source.unit

    @property
    def nature(self) -> str | None:
        return self.source.nature if isinstance(self.source, IndicatorRow) else None

    @property
    def reported_score(self) -> Decimal | None:
        return self.source.reported_score if isinstance(self.source, IndicatorRow) else None

    @property
    def location(self) -> Location:
        return self.source.location


@dataclass(frozen=True)
class GroupResult:
    """A group of the indicator tree as scored: its subtotal and its children's results."""

    id: str
    name: str
    weight: Decimal
    score: Decimal
    children: tuple["GroupResult | IndicatorResult", ...]
    from_case: bool = False  # a 一级 / 二级 group of a case's own rows, not one the scheme defines


@dataclass(frozen=True)
class CheckResult:
    """One cross-check's outcome, with the message a reader sees when it did not pass."""

    id: str
    name: str
    status: str  # passed | failed | skipped
    message: str
    details: tuple[str, ...] = ()

    @property
    def ok(self) -> bool | None:
        return {"passed": True, "failed": False}.get(self.status)


@dataclass
class Result:
    """What the official table needs: scores with how they were reached, total, grade, checks."""

    scheme: dict[str, Any]
    case: dict[str, Any]
    records: list[tuple] = field(repr=False)  # IndicatorResult fields as plain tuples, cheapest to make
    total: Decimal
    grade: str
    checks: tuple[CheckResult, ...]
    values: dict[str, Any]
    places: int
    tree: Group = field(repr=False)
    notes: tuple[str, ...] = ()  # decisions the scheme made about this case that a reader must know

    @cached_property
    def indicators(self) -> tuple[IndicatorResult, ...]:
        """Every scored indicator in table order: the scheme's leaves and the case's rows."""
        make = IndicatorResult._make
        return tuple(make(record) for record in self.records)

    @cached_property
    def max_total(self) -> Decimal:
        """The full mark of this case: the weights of its indicators (with a case's own rows)."""
        return sum((record[2] for record in self.records), Decimal(0))  # each record's weight, as IndicatorResult names it

    @cached_property
    def groups(self) -> GroupResult:
        """The indicator tree with a subtotal at every level, built when first asked for."""
        by_id = {indicator.id: indicator for indicator in self.indicators}
        rows: dict[str, list[IndicatorResult]] = defaultdict(list)
        for indicator in self.indicators:
            if indicator.from_case:
                rows[indicator.source.template].append(indicator)
        return _group_result(self.tree, by_id, rows)


def _group_result(group: Group, by_id: dict, rows: dict) -> GroupResult:
    children: list[GroupResult | IndicatorResult] = []
    for child in group.children:
        if isinstance(child, Leaf):
            if child.id in by_id:
                children.append(by_id[child.id])
        elif isinstance(child, RowTemplate):
            children.extend(_row_groups(child, rows.get(child.id, [])))
        else:
            children.append(_group_result(child, by_id, rows))
    return _subtotal(group.id, group.name, children)


def _row_groups(template: RowTemplate, results: list[IndicatorResult]) -> list[GroupResult]:
    """Case rows under their 一级 and 二级 指标, in the order the case lists them."""
    by_level: dict[str, dict[str, list[IndicatorResult]]] = defaultdict(lambda: defaultdict(list))
    for result in results:
        by_level[result.source.level1][result.source.level2].append(result)
    groups = []
    for level1, level2s in by_level.items():
        inner: list[GroupResult | IndicatorResult] = []
        for level2, members in level2s.items():
            if level2:
                inner.append(_subtotal(f"{template.id}:{level1}/{level2}", level2, members, from_case=True))
            else:
                inner.extend(members)
        groups.append(_subtotal(f"{template.id}:{level1}", level1, inner, from_case=True))
    return groups


def _subtotal(id: str, name: str, children: list, from_case: bool = False) -> GroupResult:
    weight = sum((child.weight for child in children), Decimal(0))
    score = sum((child.score for child in children), Decimal(0))
    return GroupResult(id, name, weight, score, tuple(children), from_case)

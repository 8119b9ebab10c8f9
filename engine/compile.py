"""Stage 3, compile: turn a validated scheme document into an executable `CompiledScheme`.

Every formula is checked and compiled here, once; unknown names get a did-you-mean, derived
values are put in dependency order and cycles among them are refused. Nothing here sees a case.
"""

from __future__ import annotations

import dataclasses
import decimal
import graphlib
from decimal import Decimal
from typing import Any

from .errors import Path, Problem, SchemeError
from .formula import (
    DECIMAL_CONTEXT, FORMULA_FAILURES, Formula, FormulaError, NotApplicable, compile_formula, failure_reason, suggest,
)
from .load import Document
from .model import (
    Check, CompiledScheme, DerivedValue, GradeBand, Group, InputSpec, Leaf, QualitativeBand, RowTemplate, TableSpec,
    walk,
)
from .rules import (
    RULE_KINDS, Assessor, AtLeast, AtMost, Checklist, Deduction, Equal, FormulaRule, Proportional, Qualitative, Tier,
    OverCut, Tiered, compile_row_scorer, plain_words,
)
from .quantities import NatureWords, ValueProblem, plain_number, within_range

NATURES = ("≥", "≤", "=", "定性")
DEFAULT_RATE_PLACES = 2  # domain.md: rates to 2 places, judged as shown  # every nature a row can carry: each is scored or refused on purpose
from .validate import as_decimal, describe_value

DEFAULT_PLACES = 2
ZERO, HUNDRED = Decimal(0), Decimal(100)


def _is_places(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 12
DEFAULT_OVER_COMPLETION = Decimal(130)
# A compare allows a cent of rounding; 结转结余率 0 is questioned once 执行率 is 5 points or more below 100 %.
DEFAULT_TOLERANCE = {"compare": Decimal("0.01"), "carryover_vs_execution": Decimal(5)}
# 财预〔2020〕10号: 达成 80–100 %, 部分达成 60–80 %, 未达成 0–60 % of the weight.
NATIONAL_BANDS = (
    QualitativeBand("达成", ("达成年度指标", "达成预期指标", "完成", "已完成"), Decimal(80), Decimal(100), True),
    QualitativeBand("部分达成", ("部分达成年度指标并具有一定效果", "部分达成年度指标", "部分完成"), Decimal(60), Decimal(80), False),
    QualitativeBand("未达成", ("未达成年度指标且效果较差", "未达成年度指标", "未完成"), Decimal(0), Decimal(60), False),
)
ROW_RULES = ("at_least", "at_most", "equal", "qualitative")
LEAF_NAMES = ("weight", "分值")
RESULT_NAMES = ("total", "grade", "max_total", "总分", "等级", "满分")


def parse_source_path(text: str) -> Path:
    """"funds.total.executed" -> ("funds", "total", "executed"); "rows.0" -> ("rows", 0)."""
    return tuple(int(part) if part.isdigit() else part for part in text.split("."))


_MALFORMED = (KeyError, TypeError, AttributeError, IndexError, ValueProblem)


class _Compiler:
    def __init__(self, document: Document, lenient: bool = False):
        self.document = document
        self.data = document.data
        self.problems: list[Problem] = []
        self.lenient = lenient
        rate_places = self.data.get("rate_places", DEFAULT_RATE_PLACES) if isinstance(self.data, dict) else None
        # Out of 0–6 or not a whole number is the shape check's to report; compiling goes on with the default.
        self.rate_places = rate_places if _is_places(rate_places) else DEFAULT_RATE_PLACES

    def guarded(self, build, *args):
        """build(*args); in lenient mode a part too malformed to build (already reported) is skipped."""
        if not self.lenient:
            return build(*args)
        try:
            return build(*args)
        except _MALFORMED:
            return None

    def formula(self, path: Path, names: set[str] | frozenset[str]) -> Formula | None:
        source = self.data_at(path)
        try:
            formula = compile_formula(source, names)
        except FormulaError as exc:
            where = f"（公式第 {exc.offset + 1} 个字符处）" if isinstance(source, str) and len(source) > 1 else ""
            self.problems.append(self.document.problem(path, f"{exc.message}{where}", exc.hint, exc.code))
            return None
        return dataclasses.replace(formula, location=self.document.locate(path), path=path)

    def number(self, value: Any, path: Path, fallback: Decimal = Decimal(1)) -> Decimal:
        """A number of the scheme (a weight, an edge, a setting) as an exact Decimal; one that is not a
        number, or beyond what a table could hold, is a located problem (and `fallback` lets compiling go on
        to find the others)."""
        try:
            return as_decimal(value)
        except ValueProblem as exc:
            self.problems.append(self.document.problem(path, exc.message, exc.hint, "bad-number"))
            return fallback

    def data_at(self, path: Path) -> Any:
        value = self.data
        for part in path:
            value = value[part]
        return value

    def run(self) -> CompiledScheme:
        data = self.data
        places = (data.get("rounding") or {}).get("places", DEFAULT_PLACES)
        max_total = self.number(data.get("max_total", 100), ("max_total",), Decimal(100))
        grades = tuple(sorted(
            (GradeBand(g["name"], self.number(g["min"], ("grades", i, "min"), ZERO)) for i, g in enumerate(data["grades"])),
            key=lambda g: g.min, reverse=True))
        inputs = self.inputs()
        tables = self.tables()
        columns = frozenset(table.column_name(c) for table in tables.values() for c in table.columns)
        derived = self.derived(frozenset(inputs) | columns)
        self.units = {name: spec.unit for name, spec in inputs.items()} | {d.name: d.unit for d in derived}
        # Declared names stay in scope even when their own formula failed, so one mistake is reported once.
        scope = frozenset(inputs) | columns | frozenset(data.get("derived") or {})
        self.bands = self.qualitative_bands()
        quantitative = data.get("quantitative_default", "≥")
        self.natures = NatureWords.of(data.get("natures"), None if quantitative == "refuse" else quantitative)
        over = data.get("over_completion")
        self.over_completion = self.number(over, ("over_completion",)) if over is not None else DEFAULT_OVER_COMPLETION
        children = self.nodes(data["indicators"], ("indicators",), (), scope)
        has_rows = any(isinstance(n, RowTemplate) for n in children) or any(
            isinstance(n, Group) and n.weight is None for n in children)
        root = Group("root", data["title"], (), None if has_rows else max_total, children, self.document.locate(()))
        leaf_ids = {f"score.{node.id}" for node in walk(root) if isinstance(node, Leaf)}
        derived, scoring_derived = _scoring_first(derived, root)
        checks = self.checks(scope | set(RESULT_NAMES) | leaf_ids, tables)
        if self.problems:
            raise SchemeError(self.problems)
        return CompiledScheme(
            id=data["scheme"], title=data["title"], fiscal_year=data["fiscal_year"],
            version=str(data.get("version", "")), description=data.get("description", ""),
            source=self.document.source, places=places, max_total=max_total, grades=grades,
            inputs=inputs, derived=derived, root=root, checks=checks, qualitative_bands=self.bands,
            over_completion=self.over_completion, case_kind=data.get("applies_to"), document=self.document,
            tables=tables, scoring_derived=scoring_derived, funds_total=data.get("funds_total", "from_parts"),
        )

    def input_spec(self, name: str, spec: dict, path: Path, default_source: Path) -> InputSpec:
        required = spec.get("required", True)
        return InputSpec(
            name=name, label=spec.get("label", name), type=spec["type"], unit=spec.get("unit"),
            source=parse_source_path(spec["from"]) if "from" in spec else default_source,
            required=required, blank=spec.get("blank", "error" if required else "absent"),
            options=tuple(spec.get("options", ())), location=self.document.locate(path),
        )

    def inputs(self) -> dict[str, InputSpec]:
        specs = {name: self.guarded(self.input_spec, name, spec, ("inputs", name), ("data", name))
                 for name, spec in (self.data.get("inputs") or {}).items()}
        return {name: spec for name, spec in specs.items() if spec is not None}

    def tables(self) -> dict[str, TableSpec]:
        tables = {}
        for name, spec in (self.data.get("tables") or {}).items():
            columns = {column: self.input_spec(column, column_spec, ("tables", name, "columns", column), (column,))
                       for column, column_spec in spec["columns"].items()}
            row_name = parse_source_path(spec["row_name"]) if "row_name" in spec else None
            tables[name] = TableSpec(name, spec.get("label", name), parse_source_path(spec["from"]), row_name,
                                     columns, self.document.locate(("tables", name)), spec.get("required", True))
        return tables

    def derived(self, names_in: frozenset[str]) -> tuple[DerivedValue, ...]:
        declared = self.data.get("derived") or {}
        names = names_in | frozenset(declared)
        compiled: dict[str, DerivedValue] = {}
        for name, spec in declared.items():
            formula = self.guarded(self.formula, ("derived", name, "formula"), names)
            if formula is None:
                continue
            # A rate is judged at the places it is shown (rate_places, default 2): 89.995 % is 90.00 %.
            places = spec.get("places", self.rate_places if spec.get("unit") == "%" else None)
            compiled[name] = DerivedValue(
                name, spec.get("label", name), formula, spec.get("unit"), places,
                self.document.locate(("derived", name)))
        sorter = graphlib.TopologicalSorter(
            {name: [n for n in d.formula.names if n in declared] for name, d in compiled.items()})
        try:
            order = list(sorter.static_order())
        except graphlib.CycleError as exc:
            cycle = exc.args[1]
            self.problems.append(self.document.problem(
                ("derived", cycle[0]), f"派生值循环引用：{' → '.join(cycle)}", "派生值不能直接或间接引用自己", "cycle"))
            return ()
        return tuple(compiled[name] for name in order if name in compiled)

    def qualitative_bands(self) -> tuple[QualitativeBand, ...]:
        declared = self.data.get("qualitative_bands")
        if not declared:
            return NATIONAL_BANDS
        bands = []
        for i, b in enumerate(declared):
            low = self.number(b["min"], ("qualitative_bands", i, "min"), ZERO)
            high = self.number(b["max"], ("qualitative_bands", i, "max"), HUNDRED)
            bands.append(QualitativeBand(b["name"], tuple(plain_words(a) for a in b.get("aliases", ())), low, high,
                                         high == 100))
        return tuple(bands)

    def qualitative_as_target(self) -> str | None:
        """The band a 定性 result written exactly as its 指标值 reaches: the scheme's choice, else the top band."""
        chosen = self.data.get("qualitative_as_target")
        if chosen == "refuse":
            return None
        if chosen is None:
            return next((band.name for band in self.bands if band.top), None)
        if chosen not in {band.name for band in self.bands}:
            self.problems.append(self.document.problem(
                ("qualitative_as_target",), f"qualitative_as_target 应为定性分档之一（{'、'.join(b.name for b in self.bands)}）或 refuse，实际为“{chosen}”"))
            return None
        return chosen

    def make_rule(self, kind: str, options: dict[str, Any], path: Path = ()) -> Any:
        over = options.get("over_completion")
        over_completion = self.number(over, path + ("over_completion",)) if over is not None else self.over_completion
        cut = self.over_cut(options, path)
        if kind == "at_least":
            return AtLeast(over_completion, options.get("zero_target", self.data.get("zero_target", "full")), cut)
        if kind == "equal":
            return Equal(over_completion, cut)
        if kind == "at_most":
            return AtMost(options.get("variant", "ratio"))
        if kind == "qualitative":
            return Qualitative(self.bands, self.qualitative_as_target())
        if kind == "proportional":
            return Proportional()
        if kind == "tiered":
            tiers = tuple(
                Tier(self.number(t["max" if "max" in t else "min"], path + ("tiers", i, "max" if "max" in t else "min"))
                     if ("max" in t or "min" in t) else None,
                     self.number(t["share"], path + ("tiers", i, "share")))
                for i, t in enumerate(options["tiers"]))
            return Tiered(tiers, lower_better=any("max" in t for t in options["tiers"]))
        if kind == "deduction":
            deduct, share = self.constant_of_weight(path + ("deduct",), options)
            per = self.number(options.get("per", 1), path + ("per",))
            if per <= 0:
                self.problems.append(self.document.problem(
                    path + ("per",), f"per（每扣一档的幅度）应为正数，实际为 {plain_number(per)}", code="bad-number"))
            return Deduction(options.get("direction", "over"), per, deduct,
                             options.get("partial", "proportional"), share)
        if kind == "checklist":
            per_item = options.get("per_item")
            return Checklist(tuple(options["items"]), options.get("mode", "share"),
                             self.number(per_item, path + ("per_item",)) if per_item is not None else None)
        if kind == "assessor":
            low, high = options.get("bounds", (0, 100))
            return Assessor(self.number(low, path + ("bounds", 0), ZERO), self.number(high, path + ("bounds", 1), HUNDRED))
        return FormulaRule()

    def over_cut(self, options: dict[str, Any], path: Path) -> OverCut | None:
        """The over-completion deduction of a row rule, else the scheme's; `none` switches it off."""
        declared = options.get("over_completion_deduction", self.data.get("over_completion_deduction"))
        if not isinstance(declared, dict):
            return None
        where = path + ("over_completion_deduction",) if "over_completion_deduction" in options else ("over_completion_deduction",)
        cut = OverCut(self.number(declared["from"], where + ("from",)), self.number(declared.get("per", 10), where + ("per",)),
                      self.number(declared["share"], where + ("share",)))
        if cut.start < 100 or cut.per <= 0 or cut.share <= 0:
            where = path + ("over_completion_deduction",) if "over_completion_deduction" in options else ("over_completion_deduction",)
            self.problems.append(self.document.problem(
                where, f"超额完成调减的设置不合理：from {plain_number(cut.start)}、per {plain_number(cut.per)}、share {plain_number(cut.share)}",
                "from 应不小于 100（完成值占指标值的百分比），per 与 share 应为正数"))
            return None
        return cut

    def constant_of_weight(self, path: Path, options: dict[str, Any]) -> tuple[Decimal, Decimal | None]:
        """A setting that may be written as a formula of the indicator's weight (`weight / 10`):
        its value at the indicator's weight, and, when it depends on the weight, its share of it."""
        if "deduct" not in options:
            return Decimal(1), None
        formula = self.formula(path, frozenset(LEAF_NAMES))
        if formula is None:
            return Decimal(1), None
        weight = self.number(options["weight"], path[:-1] + ("weight",))
        with decimal.localcontext(DECIMAL_CONTEXT):
            try:
                value = formula.evaluate({"weight": weight, "分值": weight})
            except NotApplicable:
                value = "na"
            except FORMULA_FAILURES as exc:
                self.problems.append(self.document.problem(
                    path, f"每档扣分的公式“{formula.source}”以分值 {plain_number(weight)} 计算出错：{failure_reason(exc)}",
                    code="formula-failed"))
                return Decimal(1), None
            if isinstance(value, bool) or not isinstance(value, Decimal) or not within_range(value) or value <= 0:
                shown = describe_value(value) if not isinstance(value, Decimal) else f" {value:.6E}" \
                    if not within_range(value) else f" {plain_number(value)}"
                self.problems.append(self.document.problem(
                    path, f"每档扣分应为正数（不超过 16 位整数），实际为{shown}", code="bad-number"))
                return Decimal(1), None
            share = value / weight if formula.names and weight else None
        return value, share

    def nodes(self, nodes: list, path: Path, parents: tuple[str, ...], scope: frozenset[str]) -> tuple:
        built = (self.guarded(self.node, node, path + (i,), parents, scope) for i, node in enumerate(nodes))
        return tuple(node for node in built if node is not None)

    def node(self, node: dict, path: Path, parents: tuple[str, ...], scope: frozenset[str]) -> Group | Leaf | RowTemplate:
        location = self.document.locate(path)
        if "children" in node:
            inner = parents + (node["name"],)
            children = self.nodes(node["children"], path + ("children",), inner, scope)
            fixed = all(getattr(child, "weight", None) is not None for child in children)
            weight = sum((child.weight for child in children), Decimal(0)) if fixed else None
            return Group(node["id"], node["name"], parents, weight, children, location)
        if "rows" in node:
            by_nature = {}
            refused = frozenset(nature for nature, choice in node["by_nature"].items() if choice == "refuse")
            unscored = [nature for nature in NATURES if nature not in node["by_nature"]]
            if unscored:
                self.problems.append(self.document.problem(
                    path + ("by_nature",), f"指标性质“{'”“'.join(unscored)}”既没有计分规则，也没有写明不予计分",
                    "每种性质（≥、≤、=、定性）都要写规则；有意不接受某种性质时写 refuse，如 \"=\": refuse",
                    "nature-unscored"))
            for nature, choice in node["by_nature"].items():
                if choice == "refuse":
                    continue
                options = choice if isinstance(choice, dict) else {"rule": choice}
                if options["rule"] not in ROW_RULES:
                    self.problems.append(self.document.problem(
                        path + ("by_nature", nature), f"指标行只能用 {'、'.join(ROW_RULES)} 计分，不能用 {options['rule']}"))
                    continue
                by_nature[nature] = self.make_rule(options["rule"], options, path + ("by_nature", nature))
            total = node.get("weight_total")
            weight = node.get("weight", "from_row")
            split = {level: self.number(w, path + ("weight", "split", level)) for level, w in weight["split"].items()} \
                if isinstance(weight, dict) else None
            return RowTemplate(node["id"], node["name"], parents, parse_source_path(node["rows"]), by_nature,
                               location, self.number(total, path + ("weight_total",)) if total is not None else None,
                               compile_row_scorer(by_nature), split, refused,
                               {level: self.number(w, path + ("level1_shares", level)) for level, w in node["level1_shares"].items()}
                               if node.get("level1_shares") else None, self.natures)
        kind = node.get("rule") or "formula"
        rule = self.make_rule(kind, node, path)
        names = scope | set(LEAF_NAMES)
        params = {}  # slot (target / actual / assessed) -> formula
        rule_class = RULE_KINDS[kind]
        for param, slot in {**rule_class.params, **getattr(rule_class, "optional_params", {})}.items():
            if param in node:
                formula = self.formula(path + (param,), names)
                if formula is not None:
                    params[slot] = formula
        measured = params.get("actual")
        unit = self.units.get(measured.names[0]) if measured is not None and len(measured.names) == 1 else None
        return Leaf(node["id"], node["name"], parents, self.number(node["weight"], path + ("weight",)), rule, params,
                    node.get("not_applicable"), location, node.get("description", ""), unit)

    def checks(self, names: set[str], tables: dict[str, TableSpec]) -> tuple[Check, ...]:
        checks = (self.guarded(self.check, i, spec, names, tables) for i, spec in enumerate(self.data.get("checks") or []))
        return tuple(check for check in checks if check is not None)

    def check(self, i: int, spec: dict, names: set[str], tables: dict[str, TableSpec]) -> Check | None:
        path = ("checks", i)
        scope = frozenset(names)
        table = spec.get("for_each")
        if table is not None:
            if table not in tables:
                self.problems.append(self.document.problem(
                    path + ("for_each",), f"没有名为“{table}”的数据表", suggest(table, tables), "unknown-name"))
                return None
            scope |= frozenset(tables[table].columns)  # a row's own columns, by their bare names
        formulas = {}
        for key in ("assert", "reported", "computed", "execution", "carryover"):
            if key in spec:
                formula = self.formula(path + (key,), scope)
                if formula is not None:
                    formulas[key] = formula
        kind = spec.get("builtin") or ("assert" if "assert" in spec else "compare")
        tolerance = self.number(spec.get("tolerance", DEFAULT_TOLERANCE.get(kind, DEFAULT_TOLERANCE["compare"])),
                                path + ("tolerance",), ZERO)
        return Check(spec["id"], spec["name"], kind, formulas, tolerance, spec.get("message"),
                     self.document.locate(path), table)


def _scoring_first(derived: tuple[DerivedValue, ...], root: Group) -> tuple[tuple[DerivedValue, ...], int]:
    """Derived values the indicators need (directly or through others) first, those only checks use after.

    Scoring without cross-checks then computes only the first part.
    """
    by_name = {d.name: d for d in derived}
    needed: set[str] = set()
    pending = [name for leaf in walk(root) if isinstance(leaf, Leaf)
               for formula in leaf.params.values() for name in formula.names]
    while pending:
        name = pending.pop()
        if name in by_name and name not in needed:
            needed.add(name)
            pending.extend(by_name[name].formula.names)
    first = tuple(d for d in derived if d.name in needed)
    return first + tuple(d for d in derived if d.name not in needed), len(first)


def compile_scheme(document: Document) -> CompiledScheme:
    """Compile a scheme document that has passed `validate.check_scheme`; raise SchemeError."""
    return _Compiler(document).run()


def compile_problems(document: Document) -> list[Problem]:
    """The formula problems of a scheme that may also be malformed elsewhere: for reporting only."""
    compiler = _Compiler(document, lenient=True)
    try:
        compiler.run()
    except SchemeError as error:
        return error.problems
    except _MALFORMED:
        return compiler.problems
    return []

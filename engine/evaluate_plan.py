"""Stage 4, evaluate (planned path): one generated function per scheme, for the common case.

`plan_evaluator(scheme)` writes the scheme out as straight-line Python, once: its derived values with
their formulas inlined as expressions, each indicator's slots and its rule's own snippet (as the row
scorers of engine.rules inline them), the row templates' generated scorers, the total, the grade, and
each cross-check as the comparison that passes it. The function returns exactly the Result the general
path (engine.evaluate._Evaluation) returns, or None for a case it leaves to that path: a blank input,
a value that does not apply, a formula or a rule that fails on the case's figures, an input the binder
scored with another value (case.scoring), an assessor's 不适用. The general path, unchanged, is the one
that says what is wrong. A check that does not plainly pass is written by the general path's own check
methods ("settled"), so its message and details are theirs, word for word; a passing check, or one
skipped for a blank input, costs a comparison and a result made once per scheme.

ENGINE_DEBUG_EVALUATOR=1 prints each generated function to stderr when it is planned;
`evaluator_source(scheme)` returns it.
"""

from __future__ import annotations

import ast
import copy
import keyword
import os
import re
import sys
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from .evaluate import _NO_REASON, _SHORTFALL_BRANCHES, PERCENT_SLIP, RECORD_CHECKS, _Evaluation
from .formula import FORMULA_FAILURES, FUNCTIONS, NA, Formula, NotApplicable, ratio
from .model import (
    Check, CheckResult, CompiledScheme, DerivedValue, Group, IndicatorResult, Leaf, Result, RowTemplate,
    walk,
)
from .quantities import _MAX_INTEGER_DIGITS, PERCENT
from .rules import RuleError, inline_snippet, row_scoring_source, snippet_names

DEBUG_VARIABLE = "ENGINE_DEBUG_EVALUATOR"
Planned = Callable[[Any, bool], "Result | None"]

# The snippet's own variables and the names it shares with the row scorers; a value of the scheme
# written with one of these names gets another local name, so it never overwrites them.
_SNIPPET_LOCALS = {"W", "A", "B", "S", "N", "raw", "branch", "flags", "row", "kind", "score"}
_RESULT_NAMES = {"total": "_total", "总分": "_total", "grade": "_grade", "等级": "_grade",
                 "max_total": "_max_total", "满分": "_max_total"}
_LEAF_WEIGHT_NAMES = ("weight", "分值")


def _skipped_for_blanks(check: Check, pairs: tuple[tuple[str, Any], ...]) -> CheckResult:
    """The general path's message for a check whose formula meets blank inputs (evaluate._skipped)."""
    missing = "、".join(name for name, value in pairs if value is None)
    return CheckResult(check.id, check.name, "skipped", f"{check.name}：{missing}未填写，未核对")


def _settle(scheme: CompiledScheme, case: Any, records: list, outcomes: list, unsettled: list[int],
            computed: dict[str, Any], total: Decimal, grade: str) -> None:
    """The checks the plan could not pass, worded by the general path on the same values: the builtins
    over the rows from the records themselves, the others by an _Evaluation holding what run_checks sees."""
    general = None
    for index in unsettled:
        check = scheme.checks[index]
        worded = RECORD_CHECKS.get(check.kind) if check.for_each is None else None
        if worded is not None:
            outcomes[index] = worded(check, scheme, case, records)
            continue
        if general is None:
            general = _Evaluation.__new__(_Evaluation)
            general.scheme, general.case, general.records = scheme, case, records
            general.problems, general.failed, general.template, general.quantum = [], {}, None, scheme.quantum
            values = dict(case.values)
            values.update(computed)
            values.update({"total": total, "总分": total, "grade": grade, "等级": grade,
                           "max_total": scheme.max_total, "满分": scheme.max_total})
            general.values = values
            general.indicators = tuple(IndicatorResult._make(record) for record in records)
        outcomes[index] = general.run_check(check)


def plan_evaluator(scheme: CompiledScheme) -> Planned:
    """The scheme's generated evaluator: `planned(case, with_checks) -> Result | None`."""
    source, namespace = _Planner(scheme).source()
    if os.environ.get(DEBUG_VARIABLE):
        print(f"# planned evaluator of {scheme.source}\n{source}", file=sys.stderr)
    exec(compile(source, f"<planned evaluator {scheme.id}>", "exec"), namespace)  # noqa: S102 - built from the checked scheme
    planned = namespace["evaluate_planned"]
    planned.source = source
    return planned


def evaluator_source(scheme: CompiledScheme) -> str:
    """The Python the scheme is planned into, for people reading what a case runs through."""
    return _Planner(scheme).source()[0]


class _Planner:
    def __init__(self, scheme: CompiledScheme):
        self.scheme = scheme
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {
            "__builtins__": {}, "Decimal": Decimal, "ROUND_HALF_UP": ROUND_HALF_UP, "na": NA, "ratio": ratio,
            "_NotApplicable": NotApplicable, "_Result": Result,
            # quantities.within_range as one comparison: |v| < 10 ** 16 is `adjusted() < 16` for a finite v,
            # an infinity falls outside, and a NaN raises InvalidOperation, which sends the case (or the
            # check) to the general path.
            "_RANGE_LOW": -Decimal(10) ** _MAX_INTEGER_DIGITS, "_RANGE_HIGH": Decimal(10) ** _MAX_INTEGER_DIGITS,
            "_IRREGULAR": (NotApplicable, RuleError, *FORMULA_FAILURES),
            "_FORMULA_FAILURES": (NotApplicable, *FORMULA_FAILURES), "_settle": _settle,
            "_skipped_for_blanks": _skipped_for_blanks, "_scheme": scheme,
            "_quantum": scheme.quantum, "_identity": scheme.identity, "_tree": scheme.root, "_places": scheme.places,
            "_max_total": scheme.max_total, "len": len, "abs": abs, "tuple": tuple, "str": str,
        }
        self.namespace.update((name, function.implementation) for name, function in FUNCTIONS.items())
        self.namespace.update(snippet_names())
        self.reserved = set(self.namespace) | _SNIPPET_LOCALS | set(keyword.kwlist)
        self.locals: dict[str, str] = dict(_RESULT_NAMES)  # value name -> its local variable
        self.taken = set(self.locals.values())
        self.constants: dict[tuple, str] = {}
        self.inputs = set(scheme.inputs) | {table.column_name(column) for table in scheme.tables.values()
                                            for column in table.columns}
        self.scoring = {d.name for d in scheme.derived[: scheme.scoring_derived]}
        self.checking = {d.name for d in scheme.derived[scheme.scoring_derived:]}
        self.loaded: set[str] = set()
        self.present: set[str] = set()
        self.cells: dict[str, str] = {}  # a table column -> the local holding the current row's cell
        self.leaves = [node for node in walk(scheme.root) if isinstance(node, Leaf)]
        self.templates = [node for node in walk(scheme.root) if isinstance(node, RowTemplate)]

    # ------------------------------------------------------------------ names -------

    def emit(self, line: str, depth: int = 1) -> None:
        self.lines.append("    " * depth + line)

    def local(self, name: str) -> str:
        """The local variable holding a value of the scheme: its own name where Python allows it."""
        if name in self.locals:
            return self.locals[name]
        candidate = re.sub(r"\W", "_", name)
        if (not candidate.isidentifier() or candidate in self.reserved or candidate in self.taken
                or candidate.startswith("_") or not name.replace(".", "_") == candidate):
            candidate = f"_value_{len(self.taken)}"
        self.locals[name] = candidate
        self.taken.add(candidate)
        return candidate

    def constant(self, value: Any, hint: str = "") -> str:
        """A global holding `value`, named after it where it is a number (_100, _0_01)."""
        key = (type(value), repr(value)) if isinstance(value, (Decimal, str, int, tuple, frozenset)) else (id(value),)
        if key in self.constants:
            return self.constants[key]
        if isinstance(value, Decimal):
            base = "_" + str(value).replace(".", "_").replace("-", "minus").replace("+", "")
        else:
            base = "_" + re.sub(r"\W", "_", hint or "constant").upper()  # upper case: never one of the locals
        name = base if base.isidentifier() and base not in self.namespace else f"{base}_{len(self.constants)}"
        while name in self.namespace:
            name += "_"
        self.namespace[name] = value
        self.constants[key] = name
        return name

    def expression(self, formula: Formula, weight: str | None = None, cells: dict[str, str] | None = None) -> str:
        """The formula as a Python expression over the locals: the same tree the formula's code was
        compiled from, its names renamed, so it computes exactly what eval(formula.code) computes."""
        if formula.constant is not None:
            return self.constant(formula.constant)
        tree = copy.deepcopy(formula.tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                if node.id in formula.namespace and node.id not in FUNCTIONS and node.id != "na":
                    node.id = self.constant(formula.namespace[node.id])
                elif node.id in FUNCTIONS or node.id == "na":
                    pass
                elif node.id in _LEAF_WEIGHT_NAMES and weight is not None:
                    node.id = weight
                elif cells and node.id in cells:
                    node.id = cells[node.id]
                else:
                    node.id = self.local(node.id)
        self.namespace.setdefault("_power", formula.namespace["_power"])
        return ast.unparse(_RatioInlined().visit(tree).body)

    @staticmethod
    def bare(formula: Formula) -> bool:
        """Just a name: the general path reads it without running it (and without the range check)."""
        return formula.constant is None and isinstance(formula.tree.body, ast.Name)

    def load_inputs(self, names: Any, depth: int) -> None:
        for name in names:
            if name in self.inputs and name not in self.loaded:
                self.loaded.add(name)
                self.emit(f"{self.local(name)} = _values.get({name!r})", depth)

    # ------------------------------------------------------------------ source ------

    def source(self) -> tuple[str, dict[str, Any]]:
        scheme = self.scheme
        assessed = {leaf.id for leaf in self.leaves if leaf.rule.reads_assessment}
        self.lines.append("def evaluate_planned(_case, _with_checks):")
        self.emit(f'"""{scheme.id} {scheme.version}: the common case, straight through; None: the general path."""')
        if assessed:
            self.emit("# An indicator the case declares not applicable takes the general path, as does a value")
            self.emit("# the binder scored other than as written (case.scoring).")
            self.emit("_assessments = _case.assessments")
            self.emit(f"if _case.scoring or not _assessments.keys() <= {self.constant(frozenset(assessed), 'assessed_ids')}:")
        else:
            self.emit("# A value the binder scored other than as written (case.scoring), or an indicator the case")
            self.emit("# declares not applicable, takes the general path.")
            self.emit("if _case.scoring or _case.assessments:")
        self.emit("return None", 2)
        self.emit("_values = _case.values")
        needed = [name for d in scheme.derived[: scheme.scoring_derived] for name in d.formula.names] + [
            name for leaf in self.leaves for formula in leaf.params.values() for name in formula.names]
        self.load_inputs(dict.fromkeys(needed), 1)
        blanks = [self.local(name) for name in dict.fromkeys(needed) if name in self.inputs]
        self.present = {name for name in needed if name in self.inputs}  # never blank past this test
        if blanks:
            self.emit("# A blank input: the general path names it.")
            self.emit(f"if {' or '.join(f'{local} is None' for local in blanks)}:")
            self.emit("return None", 2)
        self.emit("_records = []")
        self.emit("_append = _records.append")
        self.emit("_total = ZERO  # each score added as it is made: exact, so in any order")
        self.emit("try:")
        for derived in scheme.derived[: scheme.scoring_derived]:
            self.scoring_derived(derived)
        self.score_group(scheme.root)
        self.emit("except _IRREGULAR:")
        self.emit("# Not applicable, a formula or rule failing on these figures, a row no rule scores:", 2)
        self.emit("# the general path scores it or says why not.", 2)
        self.emit("return None", 2)
        for i, band in enumerate(scheme.grades):
            self.emit(f"{'if' if i == 0 else 'elif'} _total >= {self.constant(band.min)}:")
            self.emit(f"_grade = {band.name!r}", 2)
        self.emit("else:" if scheme.grades else "if True:")
        self.emit(f"_grade = {scheme.grades[-1].name!r}" if scheme.grades else "_grade = None", 2)
        scored = ", ".join(f"{d.name!r}: {self.local(d.name)}" for d in scheme.derived[: scheme.scoring_derived])
        self.emit("if not _with_checks:")
        self.emit(f"return _Result(_identity, _case.identity, _records, _total, _grade, (), {{{scored}}}, _places, "
                  "_tree, _case.notes)", 2)
        self.checks()
        every = ", ".join(f"{d.name!r}: {self.plain(d)}" for d in scheme.derived)
        self.emit(f"return _Result(_identity, _case.identity, _records, _total, _grade, tuple(_outcomes), {{{every}}}, "
                  "_places, _tree, _case.notes)")
        return "\n".join(self.lines) + "\n", self.namespace

    def plain(self, derived: DerivedValue) -> str:
        local = self.local(derived.name)
        if derived.name in self.checking:
            return f"None if {local}.__class__ is _NotApplicable else {local}"
        return local

    # ------------------------------------------------------------------ scoring -----

    def computed_value(self, target: str, formula: Formula, places: int | None, depth: int,
                       on_failure: str = "return None", weight: str | None = None) -> None:
        """target = the formula's value as formula_value gives it, rounded to `places` if a number."""
        self.emit(f"{target} = {self.expression(formula, weight)}", depth)
        checks = []
        if not self.bare(formula) and formula.constant is None:
            checks.append("range")
        if not checks and places is None:
            return
        self.emit(f"if {target}.__class__ is Decimal:", depth)
        if checks:
            self.emit(f"if not _RANGE_LOW < {target} < _RANGE_HIGH:", depth + 1)
            self.emit(on_failure, depth + 2)
        if places is not None:
            self.emit(f"{target} = {target}.quantize({self.constant(Decimal(1).scaleb(-places))}, ROUND_HALF_UP)", depth + 1)

    def scoring_derived(self, derived: DerivedValue) -> None:
        self.emit(f"# {derived.name} = {_one_line(derived.formula.source)}"
                  + (f", to {derived.places} places" if derived.places is not None else ""), 2)
        self.computed_value(self.local(derived.name), derived.formula, derived.places, 2)

    def score_group(self, group: Group) -> None:
        for child in group.children:
            if isinstance(child, Leaf):
                self.score_leaf(child)
            elif isinstance(child, RowTemplate):
                self.score_rows(child)
            else:
                self.score_group(child)

    def score_leaf(self, leaf: Leaf) -> None:
        index = self.leaves.index(leaf)
        weight = self.constant(leaf.weight)
        rule = self.constant(leaf.rule, f"rule_{index}")
        record = self.constant(leaf, f"leaf_{leaf.id}")
        self.emit(f"# {leaf.name} ({leaf.id}): {leaf.rule.kind}, 分值 {leaf.weight}", 2)
        slots = ["None", "None", "None"]  # target, actual, assessed
        if leaf.rule.reads_assessment:
            slot = 1 if leaf.rule.kind == "checklist" else 2
            slots[slot] = "_assessed"
            self.emit(f"_assessed = _assessments.get({leaf.id!r})", 2)
            self.emit("if _assessed.__class__ is _NotApplicable:", 2)
            self.emit("return None", 3)
        for position, formula in leaf.slot_formulas:
            if formula.constant is not None:
                slots[position] = self.constant(formula.constant)
            else:
                slots[position] = ("_target", "_actual", "_assessed")[position]
                self.computed_value(slots[position], formula, None, 2, weight=weight)
        target, actual, assessed = slots
        # rule.score runs the snippet straight away on numbers (a target not below 0), else reads them first.
        tests: list[str] | None = []
        for slot in (target, actual):
            value = self.namespace.get(slot) if slot.startswith("_") and slot not in ("_target", "_actual") else None
            if slot == "None" or (value is not None and (value.__class__ is not Decimal or (slot is target and value < 0))):
                tests = None
                break
            if value is None:
                tests.append(f"{slot}.__class__ is Decimal" + (f" and {slot} >= ZERO" if slot is target else ""))
        if tests is not None:
            known = {name: self.namespace[slot] for name, slot in (("W", weight), ("A", target), ("S", assessed))
                     if slot in self.namespace and slot not in ("_target", "_actual", "_assessed")}
            if assessed == "None":
                known["S"] = None
            body, bound = inline_snippet(leaf.rule, f"_leaf{index}", known)
            self.namespace.update(bound)
            depth = 2
            if tests:
                self.emit(f"if {' and '.join(tests)}:", 2)
                depth = 3
            for slot, value in (("W", weight), ("A", target), ("B", actual), ("S", assessed)):
                if re.search(rf"\b{slot}\b", body):
                    self.emit(f"{slot} = {value}", depth)
            for line in body.splitlines():
                self.emit(line, depth)
        if tests is None or tests:
            if tests:
                self.emit("else:", 2)
            self.emit(f"raw, branch, flags = {rule}.score({weight}, {target}, {actual}, {assessed})", 3 if tests else 2)
        score = self.local(leaf.score_name)
        self.emit(f"{score} = raw.quantize(_quantum, ROUND_HALF_UP)", 2)
        self.emit(f"_append(({record}, {leaf.rule.kind!r}, {weight}, {score}, raw, branch, flags, {target}, {actual}, None))", 2)
        self.emit(f"_total += {score}", 2)

    def score_rows(self, template: RowTemplate) -> None:
        index = self.templates.index(template)
        # The row scorer's own statements, inlined (rules.row_scoring_source): a RuleError, or a row whose
        # nature no rule scores, sends the case to the general path, which reports the row.
        body, bound = row_scoring_source(template.by_nature, f"_row{index}", "return None\n", "_quantum", "_append", "_total")
        self.namespace.update(bound)
        self.emit(f"# {template.name} ({template.id}): the case's rows, each by its nature's rule", 2)
        self.emit(f"_rows_from_{index} = len(_records)", 2)
        self.emit(f"for row in _case.rows.get({template.id!r}, ()):", 2)
        for line in body.splitlines():
            self.emit(line, 3)
        self.emit(f"_rows_to_{index} = len(_records)", 2)

    # ------------------------------------------------------------------ checks ------

    def checks(self) -> None:
        scheme = self.scheme
        self.emit("# Cross-checks read the inputs as the table wrote them (case.scoring is empty here).")
        check_names = [name for check in scheme.checks for formula in check.formulas.values() for name in formula.names]
        check_names += [name for d in scheme.derived[scheme.scoring_derived:] for name in d.formula.names]
        if any(check.kind == "percent_scale" for check in scheme.checks):
            check_names += [spec.name for spec in scheme.inputs.values() if spec.type == "rate"]
        self.load_inputs(dict.fromkeys(check_names), 1)
        for derived in scheme.derived[scheme.scoring_derived:]:
            self.checking_derived(derived)
        self.emit("_outcomes = []")
        self.emit("_outcome = _outcomes.append")
        self.emit("_unsettled = []  # checks the general path words: failed, or skipped for a reason it explains")
        self.row_loop()
        for index, check in enumerate(scheme.checks):
            self.emit(f"# {check.id}: {check.name}")
            if check.for_each is not None:
                method = self.check_each_row if check.kind in ("assert", "compare") else None
            else:
                method = getattr(self, f"check_{check.kind}", None)
            if method is None or not method(index, check):
                self.unsettled(index, 1)
        computed = ", ".join([f"{d.name!r}: {self.local(d.name)}" for d in scheme.derived]
                             + [f"{leaf.score_name!r}: {self.local(leaf.score_name)}" for leaf in self.leaves])
        self.emit("if _unsettled:")
        self.emit(f"_settle(_scheme, _case, _records, _outcomes, _unsettled, {{{computed}}}, _total, _grade)", 2)

    def unsettled(self, index: int, depth: int) -> None:
        self.emit("_outcome(None)", depth)
        self.emit(f"_unsettled.append({index})", depth)

    def passed(self, check: Check) -> str:
        return self.constant(CheckResult(check.id, check.name, "passed", check.name), f"passed_{check.id}")

    def skipped(self, check: Check, why: str) -> str:
        return self.constant(CheckResult(check.id, check.name, "skipped", f"{check.name}：{why}，未核对"),
                             f"skipped_{check.id}")

    def checking_derived(self, derived: DerivedValue) -> None:
        """A derived value only checks read: blank or not applicable as the general path leaves it."""
        local = self.local(derived.name)
        self.emit(f"# {derived.name} = {_one_line(derived.formula.source)} (for the checks)")
        first = True
        for name in derived.formula.names:
            if (name in self.inputs and name not in self.present) or name in self.checking:
                self.emit(f"{'if' if first else 'elif'} {self.local(name)} is None:")
                self.emit(f"{local} = None", 2)
                first = False
            if name in self.checking:
                self.emit(f"elif {self.local(name)}.__class__ is _NotApplicable:")
                self.emit(f"{local} = {self.local(name)}", 2)
        depth = 1
        if not first:
            self.emit("else:")
            depth = 2
        self.emit("try:", depth)
        self.computed_value(local, derived.formula, derived.places, depth + 1)
        self.emit("except _NotApplicable as _signal:", depth)
        self.emit(f"{local} = _signal", depth + 1)
        self.emit("except _FORMULA_FAILURES:", depth)
        self.emit("return None  # the general path tells the check why it could not run", depth + 1)

    def guards(self, index: int, check: Check, formulas: list[Formula], skip_blanks: bool = True) -> bool:
        """The general path's order: the first formula with a blank (or not applicable) value decides."""
        first = True
        for formula in formulas:
            blanks = [name for name in formula.names if name in self.inputs and name not in self.present]
            unclear = [name for name in formula.names if name in self.checking]
            if not blanks and not unclear:
                continue
            keyword_ = "if" if first else "elif"
            first = False
            if not unclear and skip_blanks:
                self.emit(f"{keyword_} {' or '.join(f'{self.local(n)} is None' for n in blanks)}:")
                if len(blanks) == 1:
                    self.emit(f"_outcome({self.skipped(check, f'{blanks[0]}未填写')})", 2)
                else:
                    pairs = ", ".join(f"({n!r}, {self.local(n)})" for n in blanks)
                    self.emit(f"_outcome(_skipped_for_blanks({self.constant(check, f'check_{check.id}')}, ({pairs},)))", 2)
            else:
                tests = []
                for name in formula.names:
                    if name in self.inputs and name not in self.present:
                        tests.append(f"{self.local(name)} is None")
                    elif name in self.checking:
                        tests.append(f"{self.local(name)} is None or {self.local(name)}.__class__ is _NotApplicable")
                self.emit(f"{keyword_} {' or '.join(tests)}:")
                self.unsettled(index, 2)
        if not first:
            self.emit("else:")
        return not first

    def in_range(self, formula: Formula, local: str) -> str:
        return "" if self.bare(formula) or formula.constant is not None else f" and _RANGE_LOW < {local} < _RANGE_HIGH"

    def formulas_of(self, check: Check) -> list[Formula] | None:
        """The formulas of an assert or compare check, in the order the general path runs them."""
        keys = ("assert",) if check.kind == "assert" else ("reported", "computed")
        if any(key not in check.formulas for key in keys):
            return None
        return [check.formulas[key] for key in keys]

    def passing(self, check: Check, depth: int, cells: dict[str, str] | None = None) -> None:
        """_passed = whether the assert or compare check plainly passes (a failure of its formulas: no)."""
        self.emit("try:", depth)
        if check.kind == "compare":
            reported, computed = check.formulas["reported"], check.formulas["computed"]
            self.emit(f"_reported = {self.expression(reported, cells=cells)}", depth + 1)
            self.emit(f"_computed = {self.expression(computed, cells=cells)}", depth + 1)
            self.emit("_passed = (_reported.__class__ is Decimal and _computed.__class__ is Decimal"
                      f"{self.in_range(reported, '_reported')}{self.in_range(computed, '_computed')}"
                      f" and abs(_reported - _computed) <= {self.constant(check.tolerance)}"
                      " or _reported.__class__ is str and _reported == _computed)", depth + 1)
        else:
            formula = check.formulas["assert"]
            if isinstance(formula.tree.body, ast.Compare) or self.bare(formula) or formula.constant is not None:
                self.emit(f"_passed = {self.expression(formula, cells=cells)}", depth + 1)
            else:
                self.emit(f"_value = {self.expression(formula, cells=cells)}", depth + 1)
                self.emit("_passed = _value and (_value.__class__ is not Decimal or _RANGE_LOW < _value < _RANGE_HIGH)",
                          depth + 1)
        self.emit("except _FORMULA_FAILURES:", depth)
        self.emit("_passed = False", depth + 1)

    def check_compare(self, index: int, check: Check) -> bool:
        formulas = self.formulas_of(check)
        if formulas is None:
            return False
        depth = 2 if self.guards(index, check, formulas) else 1
        self.passing(check, depth)
        self.outcome(index, check, "_passed", depth)
        return True

    check_assert = check_compare

    def check_each_row(self, index: int, check: Check) -> bool:
        """An assert or compare on every row of a table: all rows passing pass it; any other row, and the
        general path words the check (its failing rows, or why rows were skipped)."""
        formulas = self.formulas_of(check)
        table = self.scheme.tables.get(check.for_each)
        if formulas is None or table is None:
            return False
        columns = set(table.columns)
        names = list(dict.fromkeys(name for formula in formulas for name in formula.names))
        cells = {name: self.cell(name) for name in names if name in columns}
        blanks = [cells[name] if name in cells else self.local(name) for name in names
                  if name in cells or (name in self.inputs and name not in self.present) or name in self.checking]
        self.emit("_passed = True")
        self.emit(f"for _table_row in _case.tables.get({check.for_each!r}, ()):")
        self.emit("_cells = _table_row.values", 2)
        for name, local in cells.items():
            fallback = f", {self.local(name)}" if name in self.inputs or name in self.checking else ""
            self.emit(f"{local} = _cells.get({name!r}{fallback})", 2)
        unclear = [f"{local} is None" for local in blanks] + [
            f"{self.local(name)}.__class__ is _NotApplicable" for name in names if name in self.checking and name not in cells]
        if unclear:
            self.emit(f"if {' or '.join(unclear)}:", 2)
            self.emit("_passed = False", 3)
            self.emit("break", 3)
        self.passing(check, 2, cells)
        self.emit("if not _passed:", 2)
        self.emit("break", 3)
        self.emit("else:")
        self.emit(f"if not _case.tables.get({check.for_each!r}):", 2)
        self.emit(f"_passed = None  # no rows: skipped, the case has no {table.label}", 3)
        self.emit("if _passed is None:")
        why = f"案例没有“{table.label}”"
        self.emit(f"_outcome({self.skipped(check, why)})", 2)
        self.emit("elif _passed:")
        self.emit(f"_outcome({self.passed(check)})", 2)
        self.emit("else:")
        self.unsettled(index, 2)
        return True

    def cell(self, name: str) -> str:
        """The local holding a table row's cell of this column (the same for every table's loop)."""
        if name not in self.cells:
            candidate = f"cell_{name}"
            if not candidate.isidentifier() or candidate in self.taken or candidate in self.reserved:
                candidate = f"_cell_{len(self.taken)}"
            self.taken.add(candidate)
            self.cells[name] = candidate
        return self.cells[name]

    def check_carryover_vs_execution(self, index: int, check: Check) -> bool:
        """Passes when 执行率 is a number and 结转结余率 (the check's formula) a number that is not 0 while
        执行率 is more than `tolerance` below 100; a carry-over read from the rows is left to the general path."""
        execution, carryover = check.formulas.get("execution"), check.formulas.get("carryover")
        if execution is None or carryover is None:
            return False
        depth = 2 if self.guards(index, check, [execution, carryover], skip_blanks=False) else 1
        self.emit("try:", depth)
        self.emit(f"_execution = {self.expression(execution)}", depth + 1)
        self.emit(f"_carryover = {self.expression(carryover)}", depth + 1)
        self.emit(f"_passed = (_execution.__class__ is Decimal{self.in_range(execution, '_execution')}"
                  f" and _carryover.__class__ is Decimal{self.in_range(carryover, '_carryover')}", depth + 1)
        shown = f"_execution.quantize({self.constant(self.scheme.quantum)}, ROUND_HALF_UP)"
        self.emit(f"           and not (_carryover == ZERO and {shown} < {self.constant(Decimal(100) - check.tolerance)}))",
                  depth + 1)
        self.emit("except _FORMULA_FAILURES:", depth)
        self.emit("_passed = False", depth + 1)
        self.outcome(index, check, "_passed", depth)
        return True

    def outcome(self, index: int, check: Check, test: str, depth: int) -> None:
        self.emit(f"if {test}:", depth)
        self.emit(f"_outcome({self.passed(check)})", depth + 1)
        self.emit("else:", depth)
        self.unsettled(index, depth + 1)

    # The builtins over the case's rows share one loop, which notes what each would find.
    _ROW_BUILTINS = ("weights_add_up", "level1_shares", "row_scores_match", "row_scores_within_weight",
                     "deviation_reasons", "percent_scale")

    def row_loop(self) -> None:
        kinds = {check.kind: check for check in self.scheme.checks if check.for_each is None}
        if not any(kind in kinds for kind in self._ROW_BUILTINS) or not self.templates:
            return
        self.emit("# One pass over the scored rows for the row checks; a finding is worded by the general path.")
        flags = []
        if "weights_add_up" in kinds:
            self.emit(f"_weight_sum = {self.constant(sum((leaf.weight for leaf in self.leaves), Decimal(0)))}")
        for index, template in enumerate(self.templates):
            if "weights_add_up" in kinds:
                self.emit(f"_row_weights_{index} = ZERO")
            if "level1_shares" in kinds and template.level1_shares:
                self.emit(f"_level1_{index} = {{}}")
        for name in ("match_checked", "match_found", "within_checked", "within_found", "deviation_found",
                     "percent_found"):
            flags.append(name)
            self.emit(f"_{name} = False")
        for index, template in enumerate(self.templates):
            self.emit(f"for _r in _records[_rows_from_{index}:_rows_to_{index}]:")
            self.emit("_row = _r[0]", 2)
            if "weights_add_up" in kinds:
                self.emit(f"_row_weights_{index} += _row.weight", 2)
            if "level1_shares" in kinds and template.level1_shares:
                self.emit(f"_level1_{index}[_row.level1] = _level1_{index}.get(_row.level1, ZERO) + _row.weight", 2)
            if "row_scores_match" in kinds or "row_scores_within_weight" in kinds:
                self.emit("_reported_score = _row.reported_score", 2)
                self.emit("if _reported_score is not None:", 2)
                if "row_scores_within_weight" in kinds:
                    self.emit("_within_checked = True", 3)
                    self.emit("if _reported_score > _row.weight or _reported_score < ZERO:", 3)
                    self.emit("_within_found = True", 4)
                if "row_scores_match" in kinds:
                    tolerance = self.constant(kinds["row_scores_match"].tolerance)
                    self.emit("if _row.nature != '定性':  # a 定性 row's 得分 is the assessor's input", 3)
                    self.emit("_match_checked = True", 4)
                    self.emit(f"if abs(_reported_score - _r[3]) > {tolerance}:", 4)
                    self.emit("_match_found = True", 5)
            if "deviation_reasons" in kinds:
                below_top = {f"band:{band.name}" for band in self.scheme.qualitative_bands if not band.top}
                needing = self.constant(frozenset(_SHORTFALL_BRANCHES | below_top | {"over_deducted", "over_deducted_all"}),
                                        "needs_reason")
                self.emit(f"if (_r[5] in {needing} or 'over_completion' in _r[6]) and "
                          f"(_row.deviation or '').strip() in {self.constant(frozenset(_NO_REASON), 'no_reason')}:", 2)
                self.emit("_deviation_found = True", 3)
            if "percent_scale" in kinds:
                self.emit(f"if (_row.unit == {self.constant(PERCENT, 'percent')} and _row.actual.__class__ is Decimal "
                          "and _row.target.__class__ is Decimal", 2)
                self.emit(f"        and ZERO < _row.actual <= {self.constant(PERCENT_SLIP)} < _row.target):", 2)
                self.emit("_percent_found = True", 3)
        if "weights_add_up" in kinds:
            self.emit(f"_weight_sum += {' + '.join(f'_row_weights_{i}' for i in range(len(self.templates)))}")

    def check_weights_add_up(self, index: int, check: Check) -> bool:
        if not self.templates:  # the leaves' weights alone: known now
            if sum((leaf.weight for leaf in self.leaves), Decimal(0)) != self.scheme.max_total:
                return False
            self.emit(f"_outcome({self.passed(check)})")
            return True
        tests = [f"_weight_sum == {self.constant(self.scheme.max_total)}"]
        tests += [f"_row_weights_{i} == {self.constant(t.weight_total)}" for i, t in enumerate(self.templates)
                  if t.weight_total is not None]
        self.outcome(index, check, " and ".join(tests), 1)
        return True

    def check_level1_shares(self, index: int, check: Check) -> bool:
        declared = [(i, t) for i, t in enumerate(self.templates) if t.level1_shares]
        if not declared:
            self.emit(f"_outcome({self.skipped(check, '方案没有规定各一级指标的分值')})")
            return True
        tests = []
        for i, template in declared:
            shares = self.constant(template.level1_shares, f"level1_shares_{template.id}")
            tests.append(f"_level1_{i}.keys() == {shares}.keys()")
            tests += [f"abs(_level1_{i}[{level!r}] - {self.constant(share)}) <= {self.constant(check.tolerance)}"
                      for level, share in template.level1_shares.items()]
        self.outcome(index, check, " and ".join(tests), 1)
        return True

    def row_outcome(self, index: int, check: Check, found: str, checked: str | None) -> bool:
        if not self.templates:
            return False
        self.emit(f"if {found}:")
        self.unsettled(index, 2)
        if checked is not None:
            self.emit(f"elif not {checked}:")
            self.emit(f"_outcome({self.skipped(check, '原表未填得分')})", 2)
        self.emit("else:")
        self.emit(f"_outcome({self.passed(check)})", 2)
        return True

    def check_row_scores_match(self, index: int, check: Check) -> bool:
        return self.row_outcome(index, check, "_match_found", "_match_checked")

    def check_row_scores_within_weight(self, index: int, check: Check) -> bool:
        return self.row_outcome(index, check, "_within_found", "_within_checked")

    def check_deviation_reasons(self, index: int, check: Check) -> bool:
        return self.row_outcome(index, check, "_deviation_found", None)

    def check_percent_scale(self, index: int, check: Check) -> bool:
        if not self.templates:
            return False
        rates = [self.local(spec.name) for spec in self.scheme.inputs.values() if spec.type == "rate"]
        slip = self.constant(PERCENT_SLIP)
        found = " or ".join(["_percent_found"] + [f"{r}.__class__ is Decimal and ZERO < {r} <= {slip}" for r in rates])
        return self.row_outcome(index, check, found, None)


class _RatioInlined(ast.NodeTransformer):
    """ratio(a, b, …) of two names as `a / b` where ratio itself would just divide (both Decimal, b not 0),
    the call otherwise: the same value, without a call in the common case."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if not (isinstance(node.func, ast.Name) and node.func.id == "ratio" and len(node.args) == 2
                and all(isinstance(arg, ast.Name) for arg in node.args)):
            return node
        a, b = (ast.Name(arg.id, ast.Load()) for arg in node.args)
        decimal_ = [ast.Compare(ast.Attribute(ast.Name(arg.id, ast.Load()), "__class__", ast.Load()), [ast.Is()],
                                [ast.Name("Decimal", ast.Load())]) for arg in node.args]
        test = ast.BoolOp(ast.And(), [*decimal_, ast.Name(b.id, ast.Load())])
        return ast.IfExp(test, ast.BinOp(a, ast.Div(), b), node)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())

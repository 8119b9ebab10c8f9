"""Property-based fuzzing: thousands of formulas and YAML documents, none may end in a traceback.

Every input must end in a located error or a result, and every result must keep the invariants of
tests/invariants.py (0 ≤ row score ≤ weight, total = sum of rounded rows, grade = band of the total,
explain's total = score's, the same bytes when scored again). Counts are printed at the end of the run
("fuzz: … inputs tried, … located errors, … results, … tracebacks, … exit-3"); tracebacks must be 0, and
so must exit-3: the commands run on hostile files by tests/test_no_exit_3.py that ended in an internal error.
Hypothesis runs derandomized, so CI sees the same inputs each time and a failure reproduces.
"""

from __future__ import annotations

import copy
import decimal

import simpleeval
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.errors import EngineError
from engine.evaluate import _FORMULA_FAILURES
from engine.formula import DECIMAL_CONTEXT, FormulaError, NotApplicable, compile_formula, trace
from engine.load import load_document, parse_document
from engine.validate import bind_case

from conftest import FUZZ, PROJECT_SCHEME, ZHANYI_PROJECTS, dump_yaml
from invariants import assert_invariants

EXAMPLES = 5_000
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                         suppress_health_check=list(HealthCheck))
NAMES = ["a", "b", "全年执行数", "weight", "分值"]
TOKENS = NAMES + [
    "c", "未知", "na", "True", "1", "0", "2.5", "0.1", "-3", "1e400", "10", "99999999999999999999", "9", "100",
    "+", "-", "*", "/", "%", "**", "==", "!=", "<", "<=", ">", ">=", "and", "or", "not", "if", "else",
    "(", ")", ",", ".", "[", "]", "{", "}", ":", "=", "'x'", '"达成"', "if_zero=", "if_zero=na", "if_infinite=1",
    "min", "max", "abs", "ratio", "clamp", "round", "四舍五入", "floor", "ceil", "sum", "count",
    "open", "eval", "__import__", "__class__", "_k0", "lambda", "for", "in", "import", "yield", "x:=", "f'{1}'",
    "\t", "\n", "；", "（", "）", "\x00", "\u202e",
]


def grammar(depth: int = 3):
    """Formulas that are mostly well-formed, to reach evaluation often."""
    leaf = st.one_of(st.sampled_from(NAMES), st.decimals(allow_nan=False, allow_infinity=False, places=3,
                                                         min_value=-10 ** 6, max_value=10 ** 6).map(str))
    if depth == 0:
        return leaf
    sub = grammar(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/", "%", "**", "<", ">=", "==", "and", "or"]), sub)
        .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["min", "max", "abs", "floor", "ceil", "round"]), st.lists(sub, min_size=1, max_size=3))
        .map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(sub, sub, st.sampled_from(["", ", if_zero=0", ", if_zero=na", ", if_infinite=1"]))
        .map(lambda t: f"ratio({t[0]}, {t[1]}{t[2]})"),
        st.tuples(sub, sub, sub).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        sub.map(lambda s: f"-{s}"),
    )


values = st.fixed_dictionaries({name: st.decimals(allow_nan=False, allow_infinity=False, places=2,
                                                  min_value=-10 ** 9, max_value=10 ** 9) for name in NAMES})


def run_formula(text: str, values: dict) -> None:
    FUZZ["inputs"] += 1
    try:
        formula = compile_formula(text, NAMES)
    except FormulaError as error:
        assert isinstance(error.offset, int) and error.message
        FUZZ["located errors"] += 1
        return
    except Exception:
        FUZZ["tracebacks"] += 1
        raise
    with decimal.localcontext(DECIMAL_CONTEXT):
        try:
            value = formula.evaluate(values)
        except (NotApplicable, *_FORMULA_FAILURES):
            FUZZ["located errors"] += 1  # the evaluate stage turns these into located problems
            return
        except Exception:
            FUZZ["tracebacks"] += 1
            raise
    FUZZ["results"] += 1
    try:
        explained = trace(formula, values).value  # simpleeval's walk over the same checked tree
    except (NotApplicable, simpleeval.InvalidExpression, *_FORMULA_FAILURES):
        return
    assert explained == value or (explained != explained and value != value)


@FUZZ_SETTINGS
@given(tokens=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12), separator=st.sampled_from(["", " "]),
       values=values)
def test_token_soup_formulas(tokens, separator, values):
    run_formula(separator.join(tokens), values)


@FUZZ_SETTINGS
@given(text=grammar(), values=values)
def test_grammatical_formulas(text, values):
    run_formula(text, values)


# ------------------------------------------------------------------ documents -----------

SCHEME = engine.load_scheme(PROJECT_SCHEME)
BASE = load_document(ZHANYI_PROJECTS[2]).data
YAML_BITS = ["a", "b", ":", ": ", "- ", "\n", "  ", "\t", "[", "]", "{", "}", ",", "'", '"', "&x ", "*x", "<<: ", "!!str ",
             "!!python/object ", "#", "1", "0.5", "-", ".inf", "~", "null", "yes", "名称", "scheme", "funds", "indicators",
             "project-self-eval", "2023", "%", "|", ">", "?", "\x00", "\ufeff", "—"]


def run_document(raw: str | bytes) -> None:
    FUZZ["inputs"] += 1
    try:
        document = parse_document(raw, "fuzz.yaml")
        case, problems = bind_case(SCHEME, document)
        if problems:
            raise EngineError(problems)
        result = engine.evaluate(SCHEME, case)
    except EngineError as error:
        # located in the case, or (for a formula that fails on its figures) in the scheme, with a line
        assert all(p.location.file and p.location.line for p in error.problems), error
        FUZZ["located errors"] += 1
    except Exception:
        FUZZ["tracebacks"] += 1
        raise
    else:
        FUZZ["results"] += 1
        assert_invariants(SCHEME, case, result)  # a result is a right one: bounds, sums, grade, explain, bytes


@FUZZ_SETTINGS
@given(bits=st.lists(st.sampled_from(YAML_BITS), max_size=40))
def test_yaml_soup(bits):
    run_document("".join(bits))


junk = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 30, 10 ** 30), st.text(max_size=8),
                 st.decimals(allow_nan=False, allow_infinity=False, places=4), st.sampled_from(["三十", "95%", "1,522.66",
                 "38.50万元", "≥50个", "—", "/", "", "定性", "达成", "2022", 2022, "NaN", "1e-7"]),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from paths(value, prefix + (i,))


ALL_PATHS = [p for p in paths(BASE) if p]


@FUZZ_SETTINGS
@given(changes=st.lists(st.tuples(st.sampled_from(ALL_PATHS), st.sampled_from(["set", "delete"]), junk), max_size=4))
def test_mutated_cases(changes):
    data = copy.deepcopy(BASE)
    for path, action, value in changes:
        parent = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            if action == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    run_document(dump_yaml(data))

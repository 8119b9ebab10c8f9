"""The formula language: a small allow-list over Python expression syntax, checked once.

A formula is parsed with `ast.parse`, every node is checked against an allow-list (the idea
and the limits are simpleeval's), numeric literals become exact `Decimal`s taken from the
text as written, and the checked tree is compiled to one code object. Scoring a case runs that
code object with a namespace of values; it never parses again. Nothing outside the function
table below is callable, no attribute of any object is reachable, and no name that starts
with an underscore can be written, so a formula cannot reach Python internals or the system.
"""

from __future__ import annotations

import ast
import decimal
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from types import CodeType
from typing import Any, Callable, Collection, Mapping

import simpleeval

from . import quantities
from .errors import Location

MAX_FORMULA_LENGTH = 2_000
# The arithmetic of every formula and rule: exact to 28 significant digits, half-up where a
# rounding is asked for, and anything that would silently lose a value raises instead.
DECIMAL_CONTEXT = decimal.Context(
    prec=28, rounding=decimal.ROUND_HALF_UP, Emax=999_999, Emin=-999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
MAX_NODES = 400
MAX_DEPTH = 40
MAX_STRING_LITERAL = 200
MAX_LITERAL_DIGITS = 40
MAX_ROUND_PLACES = 12


# What running a checked formula on values can raise: each is told as the formula's failure on those
# values (failure_reason), never as an internal error.
FORMULA_FAILURES = (ArithmeticError, TypeError, ValueError, simpleeval.InvalidExpression, RecursionError, MemoryError)


class FormulaError(ValueError):
    """A formula that is not in the language; `offset` is the 0-based character it points at."""

    def __init__(self, message: str, offset: int = 0, hint: str | None = None, code: str = "formula"):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint
        self.code = code


class NotApplicable(Exception):
    """Raised inside a formula by `ratio(..., if_zero=na)`: the indicator does not apply."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _NotApplicableMarker:
    def __repr__(self) -> str:
        return "na"


NA = _NotApplicableMarker()
"""The value of the name `na` in formulas: 'not applicable' as an `if_zero` choice."""


def _to_decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"{what}应为数字，实际为 {value!r}")


def ratio(a: Any, b: Any, if_zero: Any = None, if_infinite: Any = None) -> Decimal:
    """a / b, where 0 / 0 gives `if_zero` and x / 0 (x ≠ 0) gives `if_infinite`.

    Either may be a number or `na`; left out, a zero denominator is an error that names it.
    """
    if a.__class__ is Decimal and b.__class__ is Decimal and b:
        return a / b
    a, b = _to_decimal(a, "ratio 的分子"), _to_decimal(b, "ratio 的分母")
    if b == 0:
        choice, label = (if_zero, "0 / 0") if a == 0 else (if_infinite, f"{a} / 0")
        if choice is NA:
            raise NotApplicable(f"{label}，按方案规定为不适用")
        if choice is None:
            raise ZeroDivisionError(f"{label}：除数为 0，方案未规定此时如何计分（可在 ratio 中写 if_zero=…）")
        return _to_decimal(choice, "if_zero")
    return a / b


def round_half_up(value: Any, places: Any = 0) -> Decimal:
    """四舍五入 to `places` decimals (never banker's rounding)."""
    places = int(_to_decimal(places, "保留位数"))
    if not 0 <= places <= MAX_ROUND_PLACES:
        raise ValueError(f"保留位数应在 0–{MAX_ROUND_PLACES} 之间，实际为 {places}")
    return quantities.round_half_up(_to_decimal(value, "round 的参数"), places)


def clamp(value: Any, low: Any, high: Any) -> Decimal:
    """`value` held inside [low, high]."""
    return max(_to_decimal(low, "下限"), min(_to_decimal(high, "上限"), _to_decimal(value, "clamp 的参数")))


def _min(*values: Any) -> Any:
    return min(values)


def _max(*values: Any) -> Any:
    return max(values)


def _column(values: Any, what: str) -> tuple:
    if not isinstance(values, tuple):
        raise TypeError(f"{what} 的参数应为数据表的一列（表名.列名），实际为 {values!r}")
    return values


def _sum(values: Any) -> Decimal:
    """The total of a table column; blank cells the scheme reads as 0 count as 0."""
    total = Decimal(0)
    for value in _column(values, "sum"):
        total += _to_decimal(value, "sum 的各项")
    return total


def _count(values: Any) -> Decimal:
    return Decimal(len(_column(values, "count")))


def _floor(value: Any) -> Decimal:
    return _to_decimal(value, "floor 的参数").to_integral_value(rounding=ROUND_FLOOR)


def _ceil(value: Any) -> Decimal:
    return _to_decimal(value, "ceil 的参数").to_integral_value(rounding=ROUND_CEILING)


def _power(base: Any, exponent: Any) -> Decimal:
    # simpleeval's limit on the exponent; Decimal's own exponent range bounds the result.
    return simpleeval.safe_power(base, exponent)


@dataclass(frozen=True)
class Function:
    """A function formulas may call: its implementation and how many arguments it takes."""

    implementation: Callable[..., Any]
    min_args: int
    max_args: int | None
    keywords: tuple[str, ...] = ()
    help: str = ""


FUNCTIONS: dict[str, Function] = {
    "min": Function(_min, 1, None, help="min(a, b, …) 取最小值"),
    "max": Function(_max, 1, None, help="max(a, b, …) 取最大值"),
    "abs": Function(abs, 1, 1, help="abs(x) 绝对值"),
    "ratio": Function(ratio, 2, 2, ("if_zero", "if_infinite"),
                      "ratio(a, b, if_zero=…, if_infinite=…) 比率 a/b，分母为 0 时按方案规定"),
    "clamp": Function(clamp, 3, 3, help="clamp(x, 下限, 上限) 限定在区间内"),
    "round": Function(round_half_up, 1, 2, help="round(x, 位数) 四舍五入"),
    "四舍五入": Function(round_half_up, 1, 2, help="四舍五入(x, 位数)"),
    "sum": Function(_sum, 1, 1, help="sum(表名.列名) 一列之和"),
    "count": Function(_count, 1, 1, help="count(表名.列名) 行数"),
    "floor": Function(_floor, 1, 1, help="floor(x) 向下取整"),
    "ceil": Function(_ceil, 1, 1, help="ceil(x) 向上取整"),
}
RESERVED_NAMES = frozenset(FUNCTIONS) | {"na", "True", "False", "None"}

_BINARY_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%", ast.Pow: "**"}
_UNARY_OPERATORS = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not"}
_COMPARISONS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_REFUSED = {
    ast.Lambda: "公式里不能定义函数（lambda）",
    ast.ListComp: "公式里不能使用推导式或循环",
    ast.SetComp: "公式里不能使用推导式或循环",
    ast.DictComp: "公式里不能使用推导式或循环",
    ast.GeneratorExp: "公式里不能使用推导式或循环",
    ast.Subscript: "公式里不能使用下标 [ ]",
    ast.Starred: "公式里不能使用 * 展开参数",
    ast.NamedExpr: "公式里不能赋值（:=）",
    ast.JoinedStr: "公式里不能使用格式化字符串",
    ast.Await: "公式里不能使用 await",
    ast.Yield: "公式里不能使用 yield",
    ast.YieldFrom: "公式里不能使用 yield",
    ast.List: "公式里不能使用列表",
    ast.Tuple: "公式里不能使用元组",
    ast.Dict: "公式里不能使用字典",
    ast.Set: "公式里不能使用集合",
    ast.Slice: "公式里不能使用切片",
}


@dataclass(frozen=True, eq=False)
class Formula:
    """A checked formula, compiled once; `evaluate` runs it on a namespace of values."""

    source: str
    names: tuple[str, ...]
    code: CodeType = field(repr=False)
    namespace: dict[str, Any] = field(repr=False)
    tree: ast.Expression = field(repr=False)
    constant: Decimal | None = None  # the value, when the formula uses no names (e.g. `100`)
    # Where the scheme writes it (set by the compile stage), so a failure on a case's figures points there.
    location: Location | None = None
    path: tuple = ()

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        return eval(self.code, self.namespace, values)  # noqa: S307 - the tree was allow-listed


def compile_formula(source: Any, known_names: Collection[str]) -> Formula:
    """Check `source` against the language and the names in scope; compile it once."""
    if isinstance(source, (int, Decimal)) and not isinstance(source, bool):
        source = str(source)
    if not isinstance(source, str):
        raise FormulaError(f"公式应为文字，实际为 {type(source).__name__}")
    if len(source) > MAX_FORMULA_LENGTH:
        raise FormulaError(f"公式过长（{len(source):,} 个字符，上限 {MAX_FORMULA_LENGTH:,}）", code="formula-too-long")
    text = source.strip()
    if not text:
        raise FormulaError("公式为空")
    try:
        with warnings.catch_warnings():  # Python's own warnings about odd literals would reach the terminal
            warnings.simplefilter("ignore")
            tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        offset = max((exc.offset or 1) - 1, 0) if exc.lineno in (None, 1) else _offset_of(text, exc.lineno, exc.offset)
        raise FormulaError(f"公式语法错误：{_syntax_message(exc)}", offset, code="formula-syntax") from None
    except (RecursionError, MemoryError):
        raise FormulaError("公式嵌套过深", code="formula-too-deep") from None
    except ValueError as exc:  # e.g. a NUL character
        raise FormulaError(f"公式含有不允许的字符（{exc}）", code="formula-syntax") from None
    checker = _Checker(text, frozenset(unicodedata.normalize("NFKC", n) for n in known_names))
    body = checker.check(tree.body, depth=0)
    expression = ast.fix_missing_locations(ast.Expression(body=body))
    try:
        code = compile(expression, "<公式>", "eval")
    except (RecursionError, MemoryError):  # pragma: no cover - bounded by MAX_DEPTH
        raise FormulaError("公式嵌套过深", code="formula-too-deep") from None
    namespace: dict[str, Any] = {"__builtins__": {}, "_power": _power, "na": NA}
    namespace.update((name, fn.implementation) for name, fn in FUNCTIONS.items())
    namespace.update(checker.constants)
    names = tuple(dict.fromkeys(checker.names_used))
    formula = Formula(source, names, code, namespace, expression)
    if not names:
        formula = Formula(source, names, code, namespace, expression, _constant_value(formula))
    return formula


def _constant_value(formula: Formula) -> Decimal | None:
    """A formula without names has one value; work it out once, or leave it to run (and fail) later."""
    try:
        with decimal.localcontext(DECIMAL_CONTEXT):
            value = formula.evaluate({})
    except Exception:  # noqa: BLE001 - a failure is reported with its location when the formula runs
        return None
    if not isinstance(value, Decimal) or not quantities.within_range(value):
        return None  # out of any figure's range: left to fail, with the case, where it is used
    return value


def _offset_of(text: str, lineno: int, column: int | None) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(line) for line in lines[: lineno - 1]) + max((column or 1) - 1, 0)


def _syntax_message(exc: SyntaxError) -> str:
    message = exc.msg or "无法解析"
    known = {
        "invalid syntax": "无法解析",
        "unexpected EOF while parsing": "公式不完整",
        "'(' was never closed": "括号没有闭合",
        "unmatched ')'": "多了一个右括号",
        "too many nested parentheses": "括号嵌套过深",
        "invalid character": "含有不允许的字符",
        "unterminated string literal": "引号没有闭合",
    }
    for english, chinese in known.items():
        if message.startswith(english):
            return chinese + (f"（{message}）" if message != english else "")
    return message


class _Checker:
    """Walks a parsed formula, refusing anything outside the language and rebuilding the rest."""

    def __init__(self, text: str, known_names: frozenset[str]):
        self.text = text
        self.lines = [line.encode("utf-8") for line in text.splitlines()] or [b""]
        self.known_names = known_names
        self.names_used: list[str] = []
        self.constants: dict[str, Decimal] = {}
        self.node_count = 0

    def _written(self, node: ast.AST) -> str | None:
        """The literal as typed (ast.get_source_segment, without re-splitting the text per literal)."""
        if node.lineno != node.end_lineno:
            return ast.get_source_segment(self.text, node)
        return self.lines[node.lineno - 1][node.col_offset:node.end_col_offset].decode("utf-8")

    def fail(self, node: ast.AST, message: str, hint: str | None = None, code: str = "formula-refused") -> FormulaError:
        return FormulaError(message, self._offset(node), hint, code)

    def _offset(self, node: ast.AST) -> int:
        lineno, column = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        # col_offset counts UTF-8 bytes; turn it into characters for people.
        line = self.text.splitlines()[lineno - 1] if self.text.splitlines() else ""
        column = len(line.encode("utf-8")[:column].decode("utf-8", errors="ignore"))
        return _offset_of(self.text, lineno, column + 1)

    def check(self, node: ast.AST, depth: int, in_comparison: bool = False) -> ast.expr:
        self.node_count += 1
        if self.node_count > MAX_NODES:
            raise self.fail(node, f"公式过于复杂（超过 {MAX_NODES} 个节点）", code="formula-too-complex")
        if depth > MAX_DEPTH:
            raise self.fail(node, f"公式嵌套过深（超过 {MAX_DEPTH} 层）", code="formula-too-deep")
        handler = getattr(self, f"_check_{type(node).__name__}", None)
        if handler is None:
            message = _REFUSED.get(type(node), f"公式里不允许使用 {type(node).__name__} 语法")
            raise self.fail(node, message)
        return handler(node, depth + 1, in_comparison)

    def _check_Constant(self, node: ast.Constant, depth: int, in_comparison: bool) -> ast.expr:
        value = node.value
        if isinstance(value, bool):
            return ast.Constant(value)
        if isinstance(value, (int, float)):
            written = self._written(node) or repr(value)
            digits = sum(ch.isdigit() for ch in written)
            if digits > MAX_LITERAL_DIGITS:
                raise self.fail(node, f"数字过长（{digits} 位，上限 {MAX_LITERAL_DIGITS}）", code="formula-too-long")
            try:
                number = Decimal(written.replace("_", "")) if isinstance(value, float) else Decimal(value)
            except InvalidOperation:
                number = Decimal(value)
            if not number.is_finite() or (number and abs(number.adjusted()) > MAX_LITERAL_DIGITS):
                raise self.fail(node, f"数字超出范围（{written}）", f"公式中的数最多 {MAX_LITERAL_DIGITS} 位、"
                                f"绝对值在 1e±{MAX_LITERAL_DIGITS} 之内", code="formula-too-long")
            name = f"_k{len(self.constants)}"
            self.constants[name] = number
            return ast.Name(id=name, ctx=ast.Load())
        if isinstance(value, str):
            if not in_comparison:
                raise self.fail(node, "文字只能用于比较（如 等级 == \"达成\"）")
            if len(value) > MAX_STRING_LITERAL:
                raise self.fail(node, f"文字过长（上限 {MAX_STRING_LITERAL} 个字符）", code="formula-too-long")
            return ast.Constant(value)
        raise self.fail(node, f"公式里不能使用 {type(value).__name__} 类型的常量")

    def _check_Name(self, node: ast.Name, depth: int, in_comparison: bool) -> ast.expr:
        return self._use_name(node, node.id)

    def _check_Attribute(self, node: ast.Attribute, depth: int, in_comparison: bool) -> ast.expr:
        parts = [node.attr]
        inner: ast.AST = node.value
        while isinstance(inner, ast.Attribute):
            parts.append(inner.attr)
            inner = inner.value
        if not isinstance(inner, ast.Name):
            raise self.fail(node, "公式里不能访问对象的属性", "只能使用方案中声明的名称，如 funds.executed")
        parts.append(inner.id)
        return self._use_name(node, ".".join(reversed(parts)))

    def _use_name(self, node: ast.AST, name: str) -> ast.expr:
        if any(part.startswith(prefix) for part in name.split(".") for prefix in simpleeval.DISALLOW_PREFIXES):
            raise self.fail(node, f"名称“{name}”以下划线或 func_ 开头，出于安全不允许使用", code="formula-refused")
        if name == "na":
            return ast.Name(id="na", ctx=ast.Load())
        if name in FUNCTIONS:
            raise self.fail(node, f"“{name}”是函数，应写成 {name}(…)")
        if name not in self.known_names:
            raise self.fail(node, f"未知名称“{name}”", suggest(name, self.known_names), code="unknown-name")
        self.names_used.append(name)
        return ast.Name(id=name, ctx=ast.Load())

    def _check_BinOp(self, node: ast.BinOp, depth: int, in_comparison: bool) -> ast.expr:
        if type(node.op) not in _BINARY_OPERATORS:
            raise self.fail(node, "公式里只能使用 + - * / % ** 运算")
        left, right = self.check(node.left, depth), self.check(node.right, depth)
        if isinstance(node.op, ast.Pow):
            return ast.Call(func=ast.Name(id="_power", ctx=ast.Load()), args=[left, right], keywords=[])
        return ast.BinOp(left=left, op=node.op, right=right)

    def _check_UnaryOp(self, node: ast.UnaryOp, depth: int, in_comparison: bool) -> ast.expr:
        if type(node.op) not in _UNARY_OPERATORS:
            raise self.fail(node, "公式里不能使用按位取反 ~")
        return ast.UnaryOp(op=node.op, operand=self.check(node.operand, depth))

    def _check_BoolOp(self, node: ast.BoolOp, depth: int, in_comparison: bool) -> ast.expr:
        return ast.BoolOp(op=node.op, values=[self.check(v, depth) for v in node.values])

    def _check_Compare(self, node: ast.Compare, depth: int, in_comparison: bool) -> ast.expr:
        for op in node.ops:
            if type(op) not in _COMPARISONS:
                raise self.fail(node, "公式里只能使用 == != < <= > >= 比较")
        return ast.Compare(
            left=self.check(node.left, depth, True), ops=node.ops,
            comparators=[self.check(c, depth, True) for c in node.comparators])

    def _check_IfExp(self, node: ast.IfExp, depth: int, in_comparison: bool) -> ast.expr:
        return ast.IfExp(test=self.check(node.test, depth), body=self.check(node.body, depth),
                         orelse=self.check(node.orelse, depth))

    def _check_Call(self, node: ast.Call, depth: int, in_comparison: bool) -> ast.expr:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "公式里只能调用函数表中的函数", f"可用：{'、'.join(FUNCTIONS)}")
        name = node.func.id
        function = FUNCTIONS.get(name)
        if function is None:
            hint = suggest(name, FUNCTIONS) or f"可用：{'、'.join(FUNCTIONS)}"
            raise self.fail(node, f"未知函数“{name}”", hint, code="unknown-function")
        count = len(node.args)
        if count < function.min_args or (function.max_args is not None and count > function.max_args):
            raise self.fail(node, f"函数 {name} 的参数个数不对（写了 {count} 个）", function.help)
        args = [self.check(a, depth) for a in node.args]
        keywords = []
        for keyword in node.keywords:
            if keyword.arg is None or keyword.arg not in function.keywords:
                allowed = "、".join(function.keywords) or "无"
                raise self.fail(node, f"函数 {name} 没有参数“{keyword.arg or '**'}”", f"可用的命名参数：{allowed}")
            if any(k.arg == keyword.arg for k in keywords):  # Python's compiler would refuse it, unlocated
                raise self.fail(keyword, f"函数 {name} 的参数“{keyword.arg}”写了两次", "每个命名参数只写一次")
            keywords.append(ast.keyword(arg=keyword.arg, value=self.check(keyword.value, depth)))
        return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=keywords)


def suggest(name: str, candidates: Collection[str]) -> str | None:
    """A did-you-mean hint for `name` among `candidates`, in Chinese, or None."""
    # Ids and keys may be written as numbers (id: 3): compared as the text they are shown as.
    import difflib  # only for a mistake: not on a cold start's path

    name, candidates = str(name), [str(candidate) for candidate in candidates]
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
    if not close:
        return None
    # Chinese names share many characters (…指标, …率); offer only those about as close as the best.
    ratios = [difflib.SequenceMatcher(None, name, c).ratio() for c in close]
    close = [c for c, r in zip(close, ratios) if r >= ratios[0] - 0.1]
    return f"是否想写：{'、'.join(close)}？"


class _Recorder(simpleeval.SimpleEval):
    """simpleeval's tree walk over a checked formula, remembering the value of every call."""

    def __init__(self, formula: Formula, values: Mapping[str, Any]):
        functions = {name: fn.implementation for name, fn in FUNCTIONS.items()}
        functions["_power"] = _power
        names = {key: value for key, value in formula.namespace.items() if key.startswith("_k")}
        names.update((name, values[name]) for name in formula.names)
        names["na"] = NA
        super().__init__(functions=functions, names=names)
        self.calls: list[tuple[ast.Call, Any]] = []

    def _eval_call(self, node: ast.Call) -> Any:
        value = super()._eval_call(node)
        if node.func.id != "_power":
            self.calls.append((node, value))
        return value


@dataclass(frozen=True)
class Trace:
    """A formula worked through for people: names replaced by values, each function's result."""

    substituted: str
    steps: tuple[str, ...]
    value: Any


def trace(formula: Formula, values: Mapping[str, Any]) -> Trace:
    """Work `formula` through on `values` the slow, explainable way (never used for scoring)."""
    recorder = _Recorder(formula, values)
    with decimal.localcontext(DECIMAL_CONTEXT):
        value = recorder.eval(formula.source, previously_parsed=formula.tree.body)
    substituted = _substitute(formula, values)
    steps = tuple(f"{_show_call(node, formula, values)} = {_show(result)}" for node, result in recorder.calls)
    return Trace(substituted, steps, value)


def _show(value: Any) -> str:
    """A value as people read it: figures as written (200.00), long quotients cut to 6 places."""
    if isinstance(value, Decimal):
        if value.as_tuple().exponent < -6:
            return quantities.plain_number(quantities.round_half_up(value, 6)) + "…"
        return format(value, "f")
    if value is NA:
        return "na"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _substitute(formula: Formula, values: Mapping[str, Any]) -> str:
    """The source with every name replaced by its value: `ratio(全年执行数, 全年预算数)` -> `ratio(189.55, 200)`."""
    source = formula.source.strip()
    spans = []
    for node in ast.walk(ast.parse(source, mode="eval")):
        if isinstance(node, (ast.Name, ast.Attribute)) and not isinstance(getattr(node, "ctx", None), ast.Store):
            segment = ast.get_source_segment(source, node)
            name = segment.replace(" ", "") if segment else None
            if name in values:
                spans.append((_char_offset(source, node.lineno, node.col_offset),
                              _char_offset(source, node.end_lineno, node.end_col_offset), _show(values[name])))
    for start, end, text in sorted(spans, reverse=True):
        source = source[:start] + text + source[end:]
    return source


def _char_offset(source: str, lineno: int, byte_column: int) -> int:
    lines = source.splitlines(keepends=True)
    line = lines[lineno - 1] if lines else ""
    return sum(len(l) for l in lines[: lineno - 1]) + len(line.encode("utf-8")[:byte_column].decode("utf-8", "ignore"))


def _show_call(node: ast.Call, formula: Formula, values: Mapping[str, Any]) -> str:
    constants = formula.namespace

    def show(arg: ast.AST) -> str:
        if isinstance(arg, ast.Name):
            if arg.id.startswith("_k"):
                return _show(constants[arg.id])
            return _show(values[arg.id]) if arg.id in values else arg.id
        return "…"
    args = [show(a) for a in node.args] + [f"{k.arg}={show(k.value)}" for k in node.keywords]
    return f"{node.func.id}({', '.join(args)})"


def failure_reason(exc: BaseException) -> str:
    """Why a formula failed on its values, in Chinese (one of FORMULA_FAILURES)."""
    if isinstance(exc, (ZeroDivisionError, decimal.DivisionByZero)) or (
            isinstance(exc, decimal.InvalidOperation) and "division" in repr(exc.args).lower()):
        return str(exc) if str(exc) and "除数" in str(exc) else "除数为 0"
    if isinstance(exc, decimal.InvalidOperation):
        return "无效运算（如 0 除以 0）"
    if isinstance(exc, (decimal.Overflow, simpleeval.NumberTooHigh)):
        return "数值过大"
    if isinstance(exc, (RecursionError, MemoryError)):
        return "计算过于复杂"
    if isinstance(exc, TypeError):  # Python's words for a text or a blank where a number belongs
        text = str(exc)
        names = list(dict.fromkeys(_TYPE_WORDS[name] for name in re.findall(r"[\w.]+", text) if name in _TYPE_WORDS))
        if "not supported between" in text:
            return f"{'与'.join(names) or '这两个值'}不能比较大小（文字只能比较是否相等）"
        odd = [name for name in names if name != "数字"]
        if odd and any(word in text for word in ("operand", "multiply", "concatenate")):
            return f"{'、'.join(odd)}不能做算术运算（应为数字）"
    return str(exc) or type(exc).__name__


_TYPE_WORDS = {"str": "文字", "sequence": "文字", "decimal.Decimal": "数字", "int": "数字", "bool": "是/否",
               "NoneType": "空值", "_NotApplicableMarker": "na（不适用）", "tuple": "数据表的一列"}

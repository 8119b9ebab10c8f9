"""Reading the numbers, units and operators people actually write in budget tables.

Amounts arrive as "1,522.66", "1，522.66" or "38.50万元"; rates as "95%", "95％" or "95百分比";
operators as ≥ ≧ >= ＞ 不低于. Everything here turns such text into exact `Decimal`s and
canonical symbols, or says in Chinese why it cannot. Used by the validate stage.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

BLANK_MARKERS = frozenset({"", "—", "——", "–", "-", "--", "/", "\\", "－", "／", "不适用", "N/A", "n/a"})

PERCENT = "%"
_UNIT_ALIASES = {"%": PERCENT, "百分比": PERCENT, "百分点": PERCENT, "percent": PERCENT}
# How many of the base unit one of each unit is worth; units outside a family never convert.
_UNIT_FAMILIES = {
    "元": ("money", Decimal(1)),
    "万元": ("money", Decimal(10_000)),
    "亿元": ("money", Decimal(100_000_000)),
}

_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*)$")
# No figure in a budget table has more: 10^16 万元 is beyond any budget, and 12 decimals beyond any
# rate. Keeping figures this size also keeps every sum and product exact in 28-digit arithmetic.
_MAX_INTEGER_DIGITS = 16
_MAX_DECIMALS = 12

_NATURES = {
    "≥": "≥", ">=": "≥", "≧": "≥", "⩾": "≥", ">": "≥", "正向": "≥", "不低于": "≥", "大于等于": "≥", "不少于": "≥", "大于": "≥", "高于": "≥", "多于": "≥", "以上": "≥",
    "≤": "≤", "<=": "≤", "≦": "≤", "⩽": "≤", "<": "≤", "反向": "≤", "不高于": "≤", "小于等于": "≤", "不超过": "≤", "小于": "≤", "低于": "≤", "少于": "≤", "不多于": "≤", "以下": "≤", "以内": "≤",
    "=": "=", "==": "=", "等于": "=", "═": "=",
    "定性": "定性",
}
NATURE_LABELS = {"≥": "正向（≥）", "≤": "反向（≤）", "=": "等于（=）", "定性": "定性"}


class ValueProblem(ValueError):
    """A value that cannot be read; the message is Chinese and names what was found."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


def normalize_text(text: str) -> str:
    """Full-width letters, digits and signs to their ordinary forms (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and normalize_text(value) in BLANK_MARKERS)


def normalize_unit(unit: str | None) -> str | None:
    if unit is None:
        return None
    text = normalize_text(str(unit))
    return _UNIT_ALIASES.get(text, text) or None


def parse_number(value: object, unit: str | None = None, given_in: str | None = None) -> Decimal | None:
    """The exact value of `value` expressed in `unit`; None for a blank cell.

    A unit written beside the number must agree with `unit` (元 and 万元 convert); a bare number is in
    `given_in` when the case says so (funds.unit: 元), else already in `unit`. Floats are refused
    because their decimal value is already lost.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueProblem(f"应为数字，实际为 {'是' if value else '否'}（布尔值）")
    if isinstance(value, int):
        return convert_unit(check_magnitude(Decimal(value)), normalize_unit(given_in), normalize_unit(unit))
    if isinstance(value, Decimal):
        return convert_unit(check_magnitude(value), normalize_unit(given_in), normalize_unit(unit))
    if isinstance(value, float):
        raise ValueProblem("内部错误：数值以浮点数传入，精度可能已丢失", "请直接传入文字或 Decimal")
    if not isinstance(value, str):
        raise ValueProblem(f"应为数字，实际为 {type(value).__name__}")
    text = normalize_text(value).replace(",", "").replace(" ", "")
    match = _NUMBER.match(text)
    if not match:
        raise ValueProblem(f"应为数字，实际为“{value}”", "只写阿拉伯数字，可带单位，如 38.50 或 38.50万元")
    digits, written_unit = match.groups()
    if len(digits) > 60:
        raise ValueProblem(f"数字过长（{len(digits)} 个字符）")
    try:
        number = Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise ValueProblem(f"应为数字，实际为“{value}”") from None
    return convert_unit(check_magnitude(number), normalize_unit(written_unit) or normalize_unit(given_in), normalize_unit(unit))


def check_magnitude(number: Decimal) -> Decimal:
    """The number, if a budget table could hold it: at most 16 digits before the point and 12 after."""
    if not number.is_finite():
        raise ValueProblem(f"不接受无穷大或非数值（{number}）")
    if not number:
        return number
    if number.adjusted() >= _MAX_INTEGER_DIGITS:
        raise ValueProblem(f"数值过大（{number:.6E}）", f"整数部分最多 {_MAX_INTEGER_DIGITS} 位")
    # Decimals as written, less trailing zeros (1.50 has 1). Not by normalize(): in a context of limited
    # exponent range it turns 1e-999999999 into 0 and would let it through.
    sign, digits, exponent = number.as_tuple()
    decimals = -(exponent + len(digits) - len("".join(map(str, digits)).rstrip("0")))
    if decimals > _MAX_DECIMALS:
        shown = f"{decimals:,} 位" if decimals < 10_000 else f"{number:.6E}"
        raise ValueProblem(f"小数位数过多（{shown}）", f"最多 {_MAX_DECIMALS} 位小数")
    return number


def within_range(value: Decimal) -> bool:
    """Whether a computed value is one a table could show: finite, at most 16 digits before the point.

    Every figure read is within this, so only a formula of a scheme can leave it (10 ** 40, a product of
    products); past it no rounding at the scheme's places is exact in 28-digit arithmetic."""
    return value.is_finite() and (not value or value.adjusted() < _MAX_INTEGER_DIGITS)


def convert_unit(number: Decimal, written: str | None, expected: str | None) -> Decimal:
    if not written or not expected or written == expected:
        return number
    written_family = _UNIT_FAMILIES.get(written)
    expected_family = _UNIT_FAMILIES.get(expected)
    if written_family and expected_family and written_family[0] == expected_family[0]:
        return number * written_family[1] / expected_family[1]
    raise ValueProblem(f"单位不符：应为 {expected}，写的是 {written}")


def normalize_nature(value: object) -> str:
    """The canonical 指标性质 (≥, ≤, = or 定性) of what was written, or ValueProblem."""
    if not isinstance(value, str) or not value.strip():
        raise ValueProblem(f"指标性质应为 ≥、≤、= 或 定性，实际为“{value}”")
    text = normalize_text(value)
    if text in _NATURES:
        return _NATURES[text]
    if text.startswith("定性"):
        return "定性"
    raise ValueProblem(f"无法识别的指标性质“{value}”", "可写 ≥（正向）、≤（反向）、= 或 定性")


# Words a scheme names natures by when it says nothing (`natures:` adds to these). “定量” names no
# direction: the operator written before the 指标值 (≥95%, ≤5%) gives it, else `quantitative_default`.
DEFAULT_NATURE_WORDS = {
    "≥": ("正向指标", "正向"), "≤": ("反向指标", "反向"), "=": ("等于",), "定性": ("定性指标",),
    "定量": ("定量", "定量指标"),
}
QUANTITATIVE = "定量"


@dataclass(frozen=True)
class NatureWords:
    """How a scheme reads the 指标性质 cell: written word -> ≥, ≤, =, 定性 or 定量 (direction from the 指标值)."""

    words: tuple[tuple[str, str], ...] = ()  # (normalized word, meaning), extra to the operators
    quantitative_default: str | None = "≥"  # None: a 定量 row with no operator in its 指标值 is refused

    @classmethod
    def of(cls, declared: dict | None, quantitative_default: str | None = "≥") -> "NatureWords":
        merged = {nature: list(words) for nature, words in DEFAULT_NATURE_WORDS.items()}
        for nature, words in (declared or {}).items():
            merged.setdefault(nature, []).extend(words)
        pairs = tuple((normalize_text(str(word)), nature) for nature, words in merged.items() for word in words)
        return cls(pairs, quantitative_default)

    @cached_property
    def table(self) -> dict[str, str]:
        return {**_NATURES, **dict(self.words)}

    def accepted(self) -> str:
        return "、".join(["≥", "≤", "=", "定性"] + [word for word, _ in self.words])

    def read(self, written: object, target: object) -> tuple[str, object]:
        """The canonical nature of a row and its 指标值 with any operator taken off (“≥95%” -> “95%”).

        An operator in the 指标值 must agree with the nature written beside it; a blank nature or a
        “定量” one takes its direction from that operator."""
        operator, rest = (None, target)
        if isinstance(target, str):
            operator, remainder = split_operator(target)
            rest = remainder if operator is not None else target
        meaning = None
        if isinstance(written, str) and not is_blank(written):
            text = normalize_text(written)
            meaning = self.table.get(text) or ("定性" if text.startswith("定性") else None)
            if meaning is None:
                raise ValueProblem(f"无法识别的指标性质“{written}”", f"本方案认得：{self.accepted()}（可在方案 natures 中添加写法）")
        elif written is not None and not is_blank(written):
            raise ValueProblem(f"指标性质应为文字，实际为“{written}”")
        if meaning == "定性":
            return meaning, target
        if meaning is None or meaning == QUANTITATIVE:
            if operator is not None:
                return operator, rest
            if meaning is None:
                raise ValueProblem(f"指标性质未填写，指标值“{target}”前也没有 ≥、≤ 或 =",
                                   f"填写指标性质，如 {self.accepted()}")
            if self.quantitative_default is None:
                raise ValueProblem(f"指标性质为“{written}”，指标值“{target}”前没有 ≥、≤ 或 =，无法判定方向",
                                   "在指标值前写明 ≥ 或 ≤；方案规定此时不按正向计（quantitative_default: refuse）")
            return self.quantitative_default, rest
        if operator is not None and operator != meaning:
            raise ValueProblem(f"指标性质为“{written}”（{NATURE_LABELS[meaning]}），指标值却写作“{target}”",
                               "指标性质与指标值前的运算符须一致")
        return meaning, rest


def split_operator(text: str) -> tuple[str | None, str]:
    """"≥50个" -> ("≥", "50个"); text without a leading operator -> (None, text)."""
    normalized = normalize_text(text)
    for symbol in sorted(_NATURES, key=len, reverse=True):
        if symbol != "定性" and normalized.startswith(symbol):
            return _NATURES[symbol], normalized[len(symbol):].strip()
    return None, normalized


def round_half_up(value: Decimal, places: int) -> Decimal:
    """四舍五入 to `places` decimals; Python's round() would round 9.325 to 9.32."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def plain_number(value: Decimal) -> str:
    """How people write a number: 18.000 -> 18, 24.50 -> 24.5, never 1E+1."""
    text = format(value.normalize(), "f")
    return text


def fixed(value: Decimal, places: int) -> str:
    """The value with exactly `places` decimals, half-up: 9.325 -> 9.33 at 2 places."""
    return format(round_half_up(value, places), "f")

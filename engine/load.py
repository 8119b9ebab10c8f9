"""Stage 1, load: read a YAML file into plain data, remembering where every value was written.

Only `yaml.compose` touches the text (the C composer when available); values are built here
from the nodes so that numbers never pass through float, duplicate keys are reported instead
of silently keeping the last one, and alias expansion is bounded.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any

import yaml

from .errors import EngineError, Location, Path, Problem
from .files import read_regular

_PLAIN = "?"  # the tag our composer gives every scalar without an explicit one


class _Composer(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # the C parser and composer when PyYAML has them
    """Composes nodes with positions but leaves scalars untyped: the builder types them itself.

    PyYAML's own tag resolution runs a list of regular expressions in Python for every scalar,
    which costs more than parsing; and its YAML 1.1 rules read yes/no/on/off as booleans and 0123 as
    octal, which is never what a finance clerk means.
    """

    def resolve(self, kind, value, implicit):  # noqa: ANN001 - PyYAML's signature
        if kind is yaml.ScalarNode:
            return _PLAIN
        return _TAG + ("map" if kind is yaml.MappingNode else "seq")

    def descend_resolver(self, current_node, current_index):  # noqa: ANN001 - no path resolvers are used
        return None

    def ascend_resolver(self):
        return None


MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 50_000  # ten times the largest real case or scheme; bounds alias expansion
MAX_DEPTH = 100
MAX_SCALAR_CHARS = 100_000  # one value's text: a hundred times the longest 说明 a real table holds
# A number no figure, weight or setting comes near; past it the text is refused at once rather than
# carried as a Decimal that any arithmetic would overflow (1e999999999) or a 5,000-digit integer.
MAX_NUMBER_DIGITS = 100
MAX_NUMBER_EXPONENT = 100

_TAG = "tag:yaml.org,2002:"
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_NUMBER_START = frozenset("0123456789+-.")
_INTEGER = re.compile(r"^[-+]?[0-9][0-9_]*$")
_DECIMAL = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?$")
_NOT_FINITE = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass
class Document:
    """Plain data from one YAML file plus the position of every value and key in it."""

    source: str
    data: Any
    # path -> (line, column), or (line, column, file) for a value an inherited scheme brought in
    positions: dict[Path, tuple] = field(default_factory=dict)

    def locate(self, path: Path) -> Location:
        """The position of `path`, or of its nearest written ancestor when it is absent."""
        path = tuple(path)
        while path not in self.positions and path:
            path = path[:-1]
        position = self.positions.get(path, (None, None))
        return Location(position[2] if len(position) > 2 and position[2] else self.source, position[0], position[1])

    def problem(self, path: Path, message: str, hint: str | None = None, code: str = "invalid") -> Problem:
        return Problem(message, self.locate(path), tuple(path), hint, code)


class LoadError(EngineError):
    """The file could not be read as YAML at all."""

    kind = "load"


def load_document(file: str | FsPath) -> Document:
    """Read and parse one YAML file; raise `LoadError` with a located message on failure."""
    source = str(file)
    if "\0" in source:  # a path written inside a document (extends, a test's case) can hold any character
        raise LoadError(Problem("文件名中含有空字符（\\0），不是有效的路径", Location(source.replace("\0", "\\0")),
                                code="bad-path"))
    try:
        raw = read_regular(file, MAX_FILE_BYTES, "YAML 文件")
    except EngineError as error:
        raise LoadError(error.problems) from None
    return parse_document(raw, source)


def parse_document(raw: bytes | str, source: str = "<输入>") -> Document:
    text = raw if isinstance(raw, str) else _decode(raw, source)
    # The C parser and composer have no limits of their own: a document too big, too deep or with too
    # long a line is refused from its text, in C-speed passes, before they see it.
    _refuse_too_many_nodes(text, source)
    _refuse_deep_flow(text, source)
    _refuse_long_lines(text, source)
    _refuse_deep_blocks(text, source)
    try:
        root = yaml.compose(text, Loader=_Composer)
    except yaml.MarkedYAMLError as exc:
        raise LoadError(_syntax_problem(exc, source, text)) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        raise LoadError(Problem(f"含有不允许的控制字符（#x{exc.character:04X}）", Location(source, line, column),
                                hint="可能是从别处复制来的隐藏字符，删去即可", code="yaml-control-character")) from None
    except yaml.YAMLError as exc:
        raise LoadError(Problem(f"YAML 无法解析：{exc}", Location(source, 1, 1), code="yaml-syntax")) from None
    except RecursionError:
        raise LoadError(Problem(f"YAML 嵌套过深（超过 {MAX_DEPTH} 层）", Location(source), code="yaml-too-deep")) from None
    builder = _Builder(source)
    data = builder.build(root) if root is not None else None
    if builder.problems:
        raise LoadError(builder.problems)
    builder.positions.setdefault((), (1, 1))  # an empty document is still somewhere: its first line
    return Document(source, data, builder.positions)


def _decode(raw: bytes, source: str) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError(Problem(
            f"文件过大（{len(raw):,} 字节，上限 {MAX_FILE_BYTES:,} 字节）", Location(source), code="file-too-large"))
    if raw.startswith(_ZIP_MAGIC) or raw.startswith(_OLE_MAGIC):
        raise LoadError(Problem(
            "这是一个 Excel 或压缩文件，不是 YAML 文本", Location(source),
            hint="Excel 表格请先用 engine import 转成案例文件", code="not-yaml"))
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            # Files saved by Chinese Windows tools are often GB18030/GBK; it decodes them exactly.
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            line = raw[: utf8_error.start].count(b"\n") + 1
            raise LoadError(Problem(
                "文件编码无法识别（既不是 UTF-8 也不是 GBK/GB18030）", Location(source, line),
                hint="请用文本编辑器另存为 UTF-8 编码", code="encoding")) from None


_BRACKETS_ONLY = re.compile(r"[^\[\]{}]+")
_INNERMOST_PAIR = re.compile(r"\[\]|\{\}")


# Every node of a document is written with one of these: a key (a colon before a space or line end), a
# block item or explicit key (a dash or question mark before a space, anywhere on the line: `- - - x`), an
# explicit value, or a flow item (a comma). Counting them with str.count costs milliseconds for 5 MB;
# marks inside quoted text count too, which only makes the estimate larger.
_NODE_MARKS = (": ", ":\n", ":\t", "- ", "-\n", "-\t", "? ", "?\n", "?\t", ",")


def _refuse_too_many_nodes(text: str, source: str) -> None:
    """Refuse a document of more nodes than any case or scheme has before the C composer builds them all."""
    if len(text) < MAX_NODES:
        return
    marks = sum(text.count(mark) for mark in _NODE_MARKS)
    if marks > MAX_NODES:
        raise LoadError(Problem(f"YAML 的项目过多（约 {marks:,} 项，上限 {MAX_NODES:,} 项）", Location(source, 1, 1),
                                hint="真实的方案或案例不会有这么多项；请检查文件来源", code="yaml-too-many-nodes"))


def _refuse_long_lines(text: str, source: str) -> None:
    """A line longer than any scalar may be: one huge plain or quoted value (or a document of one line)."""
    if len(text) <= MAX_SCALAR_CHARS:
        return
    found = _LONG_LINE.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        raise LoadError(Problem(
            f"第 {line} 行过长（超过 {MAX_SCALAR_CHARS:,} 个字符）", Location(source, line, 1),
            hint=f"方案或案例中的一项文字最多 {MAX_SCALAR_CHARS:,} 个字符；请检查文件来源", code="yaml-too-long"))


_LONG_LINE = re.compile(r"^[^\n]{%d}" % (MAX_SCALAR_CHARS + 1), re.M)
# A line whose content starts at column MAX_DEPTH / 2 or beyond, counting indentation and `- ` / `? ` / `: `
# markers: without one, no node can be more than MAX_DEPTH levels deep (each level needs a column of its own,
# shared at most once by a key and the sequence under it).
_DEEP_COLUMN = re.compile(r"^(?:[ \t]|[-?:](?=[ \t]|$)){%d}" % (MAX_DEPTH // 2), re.M)
_MARKER = re.compile(r"[-?:](?:[ \t]+|$)")
_KEY = re.compile(r":(?:[ \t]|$)")
_NODE_LINE = re.compile(r"^( *+)(?=[-?:](?:[ \t]|$)|[^\n#]*?:(?:[ \t]|$))", re.M)
_BLOCK_SCALAR = re.compile(r"(?:^|[ \t])[|>][-+0-9]*[ \t]*(?:#.*)?$")


def _refuse_deep_blocks(text: str, source: str) -> None:
    """Refuse block nesting deeper than MAX_DEPTH before the C composer recurses into it (it has no limit
    and crashes the process a few tens of thousands of levels down).

    Each level of block nesting needs a column of its own (a sequence may share its key's column once):
    indentation, or one more `- ` / `? ` / `key: ` on the same line. A document with no line reaching
    column MAX_DEPTH / 2 is passed at once; any other is walked line by line, keeping the open nodes'
    columns on a stack. (Possessive *+ and ++ below: a failed match does not give spaces back one by one.)
    """
    if not _DEEP_COLUMN.search(text):
        return
    open_nodes: list[tuple[int, bool, int]] = []  # (column, is a key, depth)
    block_scalar_owner = -1  # inside a block scalar (| or >): the column of the node that owns it
    # Only lines that open a node matter, and each holds a mark _refuse_too_many_nodes counted: at most
    # MAX_NODES of them, however many lines the text has.
    for found in _NODE_LINE.finditer(text):
        start = found.start()
        end = text.find("\n", start)
        line = text[start:end if end >= 0 else len(text)]
        indent = len(found.group(1))
        if block_scalar_owner >= 0:
            if indent > block_scalar_owner:
                continue
            block_scalar_owner = -1
        column, nodes = indent, []
        for marker in _MARKER.finditer(line, indent):
            if marker.start() != column:
                break
            nodes.append((column, False))
            column = marker.end()
        if _KEY.search(line, column) and line[column:column + 1] not in ("[", "{", "#"):
            nodes.append((column, True))
        for column, is_key in nodes:
            while open_nodes and (open_nodes[-1][0] > column or (
                    open_nodes[-1][0] == column and not (open_nodes[-1][1] and not is_key))):
                open_nodes.pop()
            depth = open_nodes[-1][2] + 1 if open_nodes else 1
            if depth > MAX_DEPTH:
                number = text.count("\n", 0, start) + 1
                raise LoadError(Problem(f"YAML 嵌套过深（超过 {MAX_DEPTH} 层）", Location(source, number, column + 1),
                                        hint="真实的方案或案例不会嵌套这么多层；请检查文件来源", code="yaml-too-deep"))
            open_nodes.append((column, is_key, depth))
        if nodes and _BLOCK_SCALAR.search(line):
            block_scalar_owner = nodes[-1][0]


def _refuse_deep_flow(text: str, source: str) -> None:
    """Refuse [[[[…]]]] nested past MAX_DEPTH before the C parser sees it: it recurses without a limit.

    Counting the levels by peeling off innermost bracket pairs keeps the check in C-speed regular
    expressions; brackets inside quoted text count too, which only makes the check stricter.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    brackets = _BRACKETS_ONLY.sub("", text)
    for _ in range(MAX_DEPTH + 1):
        brackets, removed = _INNERMOST_PAIR.subn("", brackets)
        if not removed:
            return
    raise LoadError(Problem(f"YAML 嵌套过深（方括号或花括号超过 {MAX_DEPTH} 层）", Location(source, 1, 1),
                            code="yaml-too-deep"))


_SYNTAX_HINTS = {
    "tab character": "YAML 不允许用制表符（Tab）缩进，请改用空格",
    "found character '\\t'": "YAML 不允许用制表符（Tab）缩进，请改用空格",
    "could not find expected ':'": "检查上一行是否漏了冒号，或缩进是否对齐",
    "mapping values are not allowed": "冒号后要有空格；含冒号的文字请加引号",
    "found undefined alias": "引用了未定义的锚点（&名称）",
}


def _syntax_problem(exc: yaml.MarkedYAMLError, source: str, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    location = Location(source, mark.line + 1, mark.column + 1) if mark else Location(source)
    detail = exc.problem or exc.context or "语法错误"
    hint = next((h for key, h in _SYNTAX_HINTS.items() if key in str(detail)), None)
    if mark is not None and hint is None:
        line = text.splitlines()[mark.line] if mark.line < len(text.splitlines()) else ""
        if "\t" in line[: mark.column + 1]:
            hint = _SYNTAX_HINTS["tab character"]
    return Problem(f"YAML 语法错误：{detail}", location, hint=hint, code="yaml-syntax")


class _Builder:
    """Turns composed YAML nodes into plain values, recording positions by document path."""

    def __init__(self, source: str):
        self.source = source
        self.positions: dict[Path, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.node_count = 0
        self.merged: dict[int, list] = {}  # merge results by node, so `<<: [*a, *a]` chains don't recompute
        self.open: set[int] = set()  # the nodes being built, outermost to here: an alias to one is a cycle
        self.merging: set[int] = set()  # the mappings whose merge keys are being resolved

    def build(self, node: yaml.Node, path: Path = (), depth: int = 0) -> Any:
        self.node_count += 1
        if self.node_count > MAX_NODES:
            raise LoadError(Problem(
                f"文档节点过多（超过 {MAX_NODES:,} 个），可能是别名（&/*）展开过大",
                self._location(node), path, code="yaml-too-large"))
        if depth > MAX_DEPTH:
            raise LoadError(Problem(f"YAML 嵌套过深（超过 {MAX_DEPTH} 层）", self._location(node), path, code="yaml-too-deep"))
        self.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        kind = "map" if isinstance(node, yaml.MappingNode) else "seq"
        if node.tag != _TAG + kind:
            self.problems.append(Problem(
                f"不支持的 YAML 标签 {_shown(node.tag)}（{'映射' if kind == 'map' else '列表'}不写标签）",
                self._location(node), path, hint="删去标签；方案和案例只用 YAML 本身的映射、列表、文字和数字",
                code="bad-tag"))
            return None
        if id(node) in self.open:
            self.problems.append(Problem(
                "别名（*）引用了包含它自己的映射或列表，展开后没有尽头", self._location(node), path,
                hint="别名只能引用写在别处、已经写完的内容", code="yaml-recursive-alias"))
            return None
        self.open.add(id(node))
        try:
            if kind == "map":
                return self._mapping(node, path, depth)
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def _location(self, node: yaml.Node) -> Location:
        return Location(self.source, node.start_mark.line + 1, node.start_mark.column + 1)

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict:
        result: dict = {}
        seen: dict[Any, yaml.Node] = {}
        for key_node, value_node in self._merged_pairs(node, path):
            key = self._scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or isinstance(key, (list, dict)):
                self.problems.append(Problem("键必须是文字", self._location(key_node), path, code="bad-key"))
                continue
            if not isinstance(key, str):
                key = str(key)
            if key in seen and seen[key] is not value_node:
                first = seen[key].start_mark.line + 1
                self.problems.append(Problem(
                    f"键“{key}”重复出现（第 {first} 行已写过）；YAML 只会保留后一个，前一个值会丢失",
                    self._location(key_node), path + (key,), hint="删除或合并重复的键", code="duplicate-key"))
                continue
            seen[key] = value_node
            if not isinstance(value_node, yaml.ScalarNode):
                # A nested block starts on the next line; the key is where a person looks for it.
                self.positions[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, path + (key,), depth + 1)
        return result

    def _merged_pairs(self, node: yaml.MappingNode, path: Path = ()) -> list[tuple[yaml.Node, yaml.Node]]:
        """Resolve `<<: *anchor` merge keys; explicit keys win over merged ones."""
        pairs = node.value
        if not any(_is_merge_key(key) for key, _ in pairs):
            return pairs
        if id(node) in self.merged:
            return self.merged[id(node)]
        if id(node) in self.merging:  # `&a {<<: *a}`: the mapping merges itself
            self.problems.append(Problem(
                "合并键 << 引用了包含它自己的映射，合并没有尽头", self._location(node), path,
                hint="<< 只能引用写在别处、已经写完的映射", code="bad-merge"))
            return [pair for pair in pairs if not _is_merge_key(pair[0])]
        self.merging.add(id(node))
        explicit, merged = [], []
        try:
            for key_node, value_node in pairs:
                if _is_merge_key(key_node):
                    sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                    for source_node in sources:
                        if isinstance(source_node, yaml.MappingNode):
                            merged.extend(self._merged_pairs(source_node, path))
                            if len(merged) > MAX_NODES:
                                raise LoadError(Problem(f"合并键 << 展开过大（超过 {MAX_NODES:,} 项）",
                                                        self._location(node), code="yaml-too-large"))
                        else:
                            self.problems.append(Problem(
                                f"合并键 << 只能引用映射，实际为{_kind_of(source_node)}", self._location(source_node), path,
                                code="bad-merge"))
                else:
                    explicit.append((key_node, value_node))
        finally:
            self.merging.discard(id(node))
        taken = {k.value for k, _ in explicit if isinstance(k, yaml.ScalarNode)}
        kept = []
        for key_node, value_node in merged:  # the first merged source that names a key wins
            if key_node.value not in taken:
                taken.add(key_node.value)
                kept.append((key_node, value_node))
        self.merged[id(node)] = kept + explicit
        return self.merged[id(node)]

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return None
        tag, text = node.tag, node.value
        if len(text) > MAX_SCALAR_CHARS:  # a block scalar of many lines: each was short enough on its own
            self.problems.append(Problem(
                f"文字过长（{len(text):,} 个字符，上限 {MAX_SCALAR_CHARS:,}）", self._location(node), path,
                hint="请检查文件来源", code="yaml-too-long"))
            return None
        if tag == _PLAIN:
            return text if node.style else self._plain(node, path)
        if tag == _TAG + "str":
            return text
        if tag in (_TAG + "int", _TAG + "float", _TAG + "bool", _TAG + "null"):
            return self._plain(node, path)  # an explicit !!int and the like: read the text the same way
        if tag == _TAG + "timestamp":
            return text
        self.problems.append(Problem(
            f"不支持的 YAML 标签 {_shown(tag)}", self._location(node), path,
            hint="删去标签；方案和案例只用 YAML 本身的映射、列表、文字和数字", code="bad-tag"))
        return None

    def _plain(self, node: yaml.ScalarNode, path: Path) -> Any:
        """A plain scalar as YAML 1.2's core schema reads it, with decimals kept exact."""
        text = node.value
        if text in _NULL:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        if text[0] in _NUMBER_START:
            if _INTEGER.match(text) or _DECIMAL.match(text):
                return self._number(node, path, text.replace("_", ""))
            if _NOT_FINITE.match(text):
                self.problems.append(Problem(
                    f"不接受无穷大或非数值（{text}）", self._location(node), path, code="not-finite"))
                return None
        return text

    def _number(self, node: yaml.ScalarNode, path: Path, text: str) -> int | Decimal | None:
        """An int or an exact Decimal, if within what any figure or setting could be; else a located problem."""
        if len(text) <= 15 and "e" not in text and "E" not in text:
            # What nearly every figure is: too short to pass either bound below.
            return Decimal(text) if "." in text else int(text)
        mantissa, _, exponent = text.lower().partition("e")
        digits = sum(ch.isdigit() for ch in mantissa)
        if digits > MAX_NUMBER_DIGITS:
            return self._out_of_range(node, path, f"数字过长（{digits:,} 位）")
        number = Decimal(text) if len(exponent.lstrip("+-")) <= 6 else None
        if number is None or (number and abs(number.adjusted()) > MAX_NUMBER_EXPONENT):
            return self._out_of_range(node, path, f"数字超出范围（{text}）")
        if not exponent and "." not in mantissa:
            return int(text)
        return number

    def _out_of_range(self, node: yaml.ScalarNode, path: Path, message: str) -> None:
        self.problems.append(Problem(
            message, self._location(node), path,
            hint=f"YAML 把它读作数字；数字最多 {MAX_NUMBER_DIGITS} 位、绝对值在 1e±{MAX_NUMBER_EXPONENT} 之内；"
                 "本意是文字的请加引号", code="number-out-of-range"))
        return None


def _shown(tag: str) -> str:
    """A tag as it is written: tag:yaml.org,2002:python/object -> !!python/object."""
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag


def _kind_of(node: yaml.Node) -> str:
    return "列表" if isinstance(node, yaml.SequenceNode) else "映射" if isinstance(node, yaml.MappingNode) else \
        f"“{node.value}”"


def _is_merge_key(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.value == "<<" and not node.style and node.tag in (
        _PLAIN, _TAG + "merge")

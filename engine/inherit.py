"""Stage 1 (continued), load: resolve `extends:` — a scheme that inherits another and says only what changed.

    extends: 2023.yaml          # relative to this file
    fiscal_year: 2024
    indicators:                 # matched by id, at any depth
      - {id: staff-control, weight: 4}                      # change the keys given
      - {id: performance, by_nature: {"≤": {variant: linear}}}   # a mapping merges key by key
      - {id: old-indicator, remove: true}                   # remove
      - {id: new-indicator, under: process, after: x, …}    # add (under a group id, or under: root)
    grades:                     # matched by name
      - {name: 良, min: 85}
    checks:                     # matched by id
      - {id: execution-weight, computed: 20}

The rule is one for the whole file: a mapping merges key by key at any depth (`by_nature`,
`rounding`, a rule's settings), and `key: {remove: true}` drops a key; a list of things with an
identity merges by it — indicators and checks by `id`, grades, qualitative bands and bands by `name`,
tiers by their lower edge `min` — and `remove: true` drops an item; `inputs`, `derived` and `tables`
merge by name (a name set to null is removed); any other value replaces. A scheme that does not
restate `version` gets one from its fiscal year. The result is one document whose every value still
points at the file and line it came from, so validation errors land in the file that holds the text.
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from pathlib import Path as FsPath
from typing import Any

from .errors import Path, Problem
from .formula import suggest
from .load import Document, LoadError, load_document

Positions = dict[Path, tuple]  # relative path -> (line, column, file)
MERGED_BY_NAME = ("inputs", "derived", "tables")
IDENTITY = {"indicators": "id", "children": "id", "checks": "id", "grades": "name", "qualitative_bands": "name",
            "bands": "name", "tiers": "min"}
ORDERED_BY_MIN = ("grades", "tiers")  # a band added by a patch takes its place by its lower edge
PATCH_KEYS = ("id", "remove", "under", "after")


def load_scheme_document(file: str | FsPath) -> Document:
    """A scheme file with everything it `extends` folded in."""
    return _resolve(load_document(file), ())


def _resolve(document: Document, seen: tuple[FsPath, ...]) -> Document:
    data = document.data
    if not isinstance(data, dict) or "extends" not in data:
        return document
    here = FsPath(document.source).resolve()
    if not isinstance(data["extends"], str) or not data["extends"].strip():
        raise LoadError(document.problem(("extends",), "extends 应写被继承的方案文件的路径（如 2023.yaml）",
                                         code="bad-extends"))
    if "\0" in data["extends"]:
        raise LoadError(document.problem(("extends",), "extends 的路径中含有空字符（\\0），不是有效的文件名",
                                         code="bad-extends"))
    base_file = FsPath(document.source).parent / data["extends"]
    if base_file.resolve() in seen + (here,):
        chain = " → ".join(str(p.name) for p in seen + (here, base_file.resolve()))
        raise LoadError(document.problem(("extends",), f"方案继承形成循环：{chain}", code="extends-cycle"))
    try:
        base_document = load_document(base_file)
    except LoadError as error:
        if any(p.code == "file-not-found" for p in error.problems):
            raise LoadError(document.problem(
                ("extends",), f"找不到继承的方案文件 {base_file}", "路径相对于本文件所在的文件夹", "bad-extends")) from None
        if all(p.location.line is None for p in error.problems):  # not read at all (a FIFO, a folder, too big)
            raise LoadError([document.problem(("extends",), f"继承的方案文件 {base_file} 无法读取：{p.message}", p.hint,
                                              "bad-extends") for p in error.problems]) from None
        raise
    if not isinstance(base_document.data, dict):
        data = base_document.data
        found = "空文件" if data is None else "列表" if isinstance(data, list) else f"“{data}”"
        raise LoadError(document.problem(
            ("extends",), f"继承的文件 {base_file} 不是方案：应为映射（键: 值），实际为{found}", code="bad-extends"))
    base = _resolve(base_document, seen + (here,))
    return _Merge(base, document).run()


def _subtree(document: Document, path: Path) -> tuple[Any, Positions]:
    value = document.data
    for part in path:
        value = value[part]
    size = len(path)
    positions = {p[size:]: (*v[:2], _file(v, document)) for p, v in document.positions.items() if p[:size] == path}
    return copy.deepcopy(value), positions


def _file(position: tuple, document: Document) -> str:
    return position[2] if len(position) > 2 else document.source


def _shift(positions: Positions, prefix: Path) -> Positions:
    return {prefix + p: v for p, v in positions.items()}


def _under(positions: Positions, prefix: Path) -> Positions:
    size = len(prefix)
    return {p[size:]: v for p, v in positions.items() if p[:size] == prefix}


def _without(positions: Positions, prefix: Path) -> Positions:
    size = len(prefix)
    return {p: v for p, v in positions.items() if p[:size] != prefix}


def _is_removal(value: Any) -> bool:
    return isinstance(value, dict) and value.get("remove") is True and set(value) <= {"remove"} | set(PATCH_KEYS)


class _Merge:
    def __init__(self, base: Document, child: Document):
        self.base, self.child = base, child
        self.problems: list[Problem] = []

    def run(self) -> Document:
        base_data, base_positions = _subtree(self.base, ())
        base_data.pop("extends", None)
        base_positions = _without(base_positions, ("extends",))
        data: dict[str, Any] = dict(base_data)
        positions: Positions = {p: v for p, v in base_positions.items() if p}
        positions[()] = (*self.child.positions.get((), (1, 1))[:2], self.child.source)
        for key in self.child.data:
            if key == "extends":
                continue
            if key in data:
                value, sub = self.merge(data[key], _under(positions, (key,)), (key,), key)
            else:
                value, sub = _subtree(self.child, (key,))
            data[key] = value
            positions = _without(positions, (key,))
            positions.update(_shift(sub, (key,)))
        if "version" not in self.child.data and "fiscal_year" in self.child.data:
            # Never show the inherited year's version: a new year's scheme is its first version unless it says so.
            data["version"] = f"{self.child.data['fiscal_year']}.1"
            positions = _without(positions, ("version",))
            positions[("version",)] = (*self.child.positions.get(("fiscal_year",), (1, 1))[:2], self.child.source)
        if self.problems:
            raise LoadError(self.problems)
        return Document(self.child.source, data, positions)

    # ---------------------------------------------------------------- one value

    def merge(self, base: Any, base_positions: Positions, path: Path, key: str | None) -> tuple[Any, Positions]:
        """The child's value at `path` laid over `base`: by the rule for its kind."""
        change = self.child.data
        for part in path:
            change = change[part]
        if key in MERGED_BY_NAME and isinstance(base, dict) and isinstance(change, dict):
            return self.by_name(base, base_positions, path)
        if key in IDENTITY and isinstance(base, list) and isinstance(change, list):
            return self.by_identity(base, base_positions, path, key)
        if isinstance(base, dict) and isinstance(change, dict):
            return self.mapping(base, base_positions, path)
        return _subtree(self.child, path)

    def mapping(self, base: dict, base_positions: Positions, path: Path) -> tuple[dict, Positions]:
        merged = dict(base)
        positions = dict(base_positions)
        if path in self.child.positions:  # a mapping the child changed: a problem with it as a whole is the child's
            positions[()] = (*self.child.positions[path][:2], self.child.source)
        change = self.child.data
        for part in path:
            change = change[part]
        for name, value in change.items():
            if _is_removal(value):
                if name not in merged:
                    self.problems.append(self.child.problem(
                        path + (name,), f"要删除的“{name}”在继承的方案中不存在", suggest(str(name), [str(k) for k in merged]),
                        "bad-extends"))
                merged.pop(name, None)
                positions = _without(positions, (name,))
                continue
            if name in merged:
                merged[name], sub = self.merge(merged[name], _under(positions, (name,)), path + (name,), str(name))
            else:
                merged[name], sub = _subtree(self.child, path + (name,))
            positions = _without(positions, (name,))
            positions.update(_shift(sub, (name,)))
        return merged, positions

    def by_name(self, base: dict, base_positions: Positions, path: Path) -> tuple[dict, Positions]:
        """inputs, derived, tables: an entry given replaces the inherited one whole; null removes it."""
        merged, positions = dict(base), dict(base_positions)
        change = self.child.data
        for part in path:
            change = change[part]
        for name, value in change.items():
            positions = _without(positions, (name,))
            if value is None:
                merged.pop(name, None)
                continue
            merged[name], sub = _subtree(self.child, path + (name,))
            positions.update(_shift(sub, (name,)))
        return merged, positions

    # ---------------------------------------------------------------- lists of things with an identity

    def by_identity(self, base: list, base_positions: Positions, path: Path, key: str) -> tuple[list, Positions]:
        nested = key in ("indicators", "children")
        nodes = _nodes_of(base, base_positions, nested)
        field = IDENTITY[key]
        for i, patch in enumerate(self.child_value(path) or []):
            self.apply(nodes, patch, path + (i,), field, key, nested)
        list_position = self.child.positions.get(path)
        items, positions = _flatten(nodes)
        if list_position:
            positions[()] = (*list_position[:2], self.child.source)
        return items, positions

    def child_value(self, path: Path) -> Any:
        value = self.child.data
        for part in path:
            value = value[part]
        return value

    def apply(self, nodes: list["_Node"], patch: Any, path: Path, field: str, key: str, nested: bool) -> None:
        if not isinstance(patch, dict) or (field not in patch and not (field == "min" and ("max" in patch or "share" in patch))):
            what = {"id": "id（编号）", "name": "name（名称）", "min": "min（下限）"}[field]
            self.problems.append(self.child.problem(path, f"继承时每项变更须写 {what}，以便找到要修改、删除或新增的那一项",
                                                    code="bad-extends"))
            return
        if field == "min" and "min" not in patch and "max" in patch:
            field = "max"  # a tier written by its upper edge (预算调整率 ≤10%) is matched by it
        identity = patch.get(field)
        found = _find(nodes, field, identity) if nested else next(
            ((nodes, n) for n in nodes if _same(n.data.get(field), identity, field)), None)
        if patch.get("remove"):
            if found is None:
                known = [str(n.data.get(field)) for n in _walk(nodes)]
                self.problems.append(self.child.problem(
                    path + ((field,) if field in patch else ()), f"要删除的“{identity}”在继承的方案中不存在",
                    suggest(str(identity), known), "bad-extends"))
            else:
                found[0].remove(found[1])
            return
        if found is not None:
            node = found[1]
            for name in patch:
                if name in PATCH_KEYS or name == field:
                    continue
                if name == "children" and node.children is not None:
                    self.problems.append(self.child.problem(
                        path + (name,), "继承时不能整组替换下级指标，请逐个按 id 修改、删除或新增（under）", code="bad-extends"))
                    continue
                if name in node.data:
                    node.data[name], sub = self.merge(node.data[name], _under(node.positions, (name,)), path + (name,), name)
                else:
                    node.data[name], sub = _subtree(self.child, path + (name,))
                node.positions = _without(node.positions, (name,))
                node.positions.update(_shift(sub, (name,)))
            return
        self.add(nodes, patch, path, field, key, nested)

    def add(self, nodes: list["_Node"], patch: dict, path: Path, field: str, key: str, nested: bool) -> None:
        siblings = nodes
        if nested:
            parent_id = patch.get("under")
            if parent_id is None:
                self.problems.append(self.child.problem(
                    path + ("id",), f"继承的方案中没有“{patch['id']}”；新增指标须写 under（上级分组的 id，或 root）",
                    suggest(patch["id"], [str(n.data.get("id")) for n in _walk(nodes)]), "bad-extends"))
                return
            if parent_id != "root":
                parent = _find(nodes, "id", parent_id)
                if parent is None or parent[1].children is None:
                    self.problems.append(self.child.problem(
                        path + ("under",), f"继承的方案中没有分组“{parent_id}”",
                        suggest(parent_id, [str(n.data.get("id")) for n in _walk(nodes)]), "bad-extends"))
                    return
                siblings = parent[1].children
        data, positions = _subtree(self.child, path)
        for name in ("under", "after", "remove"):
            data.pop(name, None)
            positions = _without(positions, (name,))
        # Children that are not a list stay as written: validating the merged scheme reports their shape.
        children = data.pop("children") if nested and isinstance(data.get("children"), list) else None
        node = _Node(data, _without(positions, ("children",)), None)
        if children is not None:
            node.children = _nodes_of(children, _under(positions, ("children",)), True)
        after = patch.get("after")
        if after is not None:
            index = next((i + 1 for i, n in enumerate(siblings) if n.data.get(field) == after), len(siblings))
        elif key in ORDERED_BY_MIN:
            edge = _number(data.get("min"))
            index = next((i for i, n in enumerate(siblings)
                          if edge is not None and (_number(n.data.get("min")) is None or _number(n.data.get("min")) < edge)),
                         len(siblings))
        else:
            index = len(siblings)
        siblings.insert(index, node)


class _Node:
    """One item of a list while merging: its own keys, their positions, and (indicators) its children."""

    def __init__(self, data: dict, positions: Positions, children: list["_Node"] | None):
        self.data, self.positions, self.children = data, positions, children


def _nodes_of(items: list, positions: Positions, nested: bool) -> list[_Node]:
    nodes = []
    for i, item in enumerate(items):
        data = dict(item) if isinstance(item, dict) else item
        own = _under(positions, (i,))
        children = None
        if nested and isinstance(data, dict) and isinstance(data.get("children"), list):
            children = _nodes_of(data.pop("children"), _under(own, ("children",)), True)
            own = _without(own, ("children",))
        nodes.append(_Node(data if isinstance(data, dict) else {"value": data}, own, children))
    return nodes


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None and not isinstance(value, bool) else None
    except (InvalidOperation, ValueError):
        return None


def _same(a: Any, b: Any, field: str) -> bool:
    if field in ("min", "max"):  # tiers are matched by an edge; the bottom (or top) tier has none
        return _number(a) == _number(b)
    return a == b


def _walk(nodes: list[_Node]) -> list[_Node]:
    found = []
    for node in nodes:
        found.append(node)
        found.extend(_walk(node.children or []))
    return found


def _find(nodes: list[_Node], field: str, value: Any) -> tuple[list[_Node], _Node] | None:
    for node in nodes:
        if _same(node.data.get(field), value, field):
            return nodes, node
        if node.children is not None:
            found = _find(node.children, field, value)
            if found is not None:
                return found
    return None


def _flatten(nodes: list[_Node]) -> tuple[list, Positions]:
    positions: Positions = {}
    items = []
    for i, node in enumerate(nodes):
        data = dict(node.data)
        positions.update(_shift(node.positions, (i,)))
        if node.children is not None:
            children, sub = _flatten(node.children)
            data["children"] = children
            if ("id",) in node.positions:
                sub[()] = node.positions[("id",)]
            positions.update(_shift(sub, (i, "children")))
        items.append(data)
    return items, positions

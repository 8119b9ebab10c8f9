"""Stage 1 (continued), load: resolve `extends:` — a scheme that inherits last year's and says only what changed.

    extends: 2023.yaml          # relative to this file
    fiscal_year: 2024
    indicators:                 # changes, matched by indicator id
      - {id: staff-control, weight: 4}                      # replace the keys given
      - {id: old-indicator, remove: true}                   # remove
      - {id: new-indicator, under: process, after: x, …}    # add (under a group id, or under: root)
    checks:                     # the same, by check id
      - {id: total, remove: true}

Other top-level keys replace the inherited ones, except `inputs`, `derived` and `tables`, which
merge by name (a name set to null is removed). The result is one document whose every value
still points at the file and line it came from, so validation errors land in the right file.
"""

from __future__ import annotations

import copy
from pathlib import Path as FsPath
from typing import Any

from .errors import Path, Problem
from .formula import suggest
from .load import Document, LoadError, load_document

Positions = dict[Path, tuple]  # relative path -> (line, column, file)
MERGED_BY_NAME = ("inputs", "derived", "tables")
PATCH_KEYS = ("id", "remove", "under", "after")


def load_scheme_document(file: str | FsPath) -> Document:
    """A scheme file with everything it `extends` folded in."""
    return _resolve(load_document(file), ())


def _resolve(document: Document, seen: tuple[FsPath, ...]) -> Document:
    data = document.data
    if not isinstance(data, dict) or "extends" not in data:
        return document
    here = FsPath(document.source).resolve()
    if not isinstance(data["extends"], str):
        raise LoadError(document.problem(("extends",), "extends 应写上一年度方案文件的路径", code="bad-extends"))
    base_file = FsPath(document.source).parent / data["extends"]
    if base_file.resolve() in seen + (here,):
        chain = " → ".join(str(p.name) for p in seen + (here, base_file.resolve()))
        raise LoadError(document.problem(("extends",), f"方案继承形成循环：{chain}", code="extends-cycle"))
    try:
        base = _resolve(load_document(base_file), seen + (here,))
    except LoadError as error:
        if any(p.code == "file-not-found" for p in error.problems):
            raise LoadError(document.problem(
                ("extends",), f"找不到继承的方案文件 {base_file}", "路径相对于本文件所在的文件夹", "bad-extends")) from None
        raise
    return _Merge(base, document).run()


def _subtree(document: Document, path: Path) -> tuple[Any, Positions]:
    value = document.data
    for part in path:
        value = value[part]
    size = len(path)
    positions = {p[size:]: (*_xy(v), _file(v, document)) for p, v in document.positions.items() if p[:size] == path}
    return copy.deepcopy(value), positions


def _xy(position: tuple) -> tuple:
    return position[:2]


def _file(position: tuple, document: Document) -> str:
    return position[2] if len(position) > 2 else document.source


class _Merge:
    def __init__(self, base: Document, child: Document):
        self.base, self.child = base, child
        self.problems: list[Problem] = []

    def run(self) -> Document:
        data: dict[str, Any] = {}
        positions: Positions = {(): (*_xy(self.child.positions.get((), (1, 1))), self.child.source)}
        keys = list(self.base.data) + [k for k in self.child.data if k not in self.base.data and k != "extends"]
        for key in keys:
            if key == "extends":
                continue
            if key == "indicators" and key in self.child.data:
                value, sub = self.indicators()
            elif key == "checks" and key in self.child.data:
                value, sub = self.by_id("checks")
            elif key in MERGED_BY_NAME and key in self.child.data and key in self.base.data:
                value, sub = self.by_name(key)
            elif key in self.child.data:
                value, sub = _subtree(self.child, (key,))
            else:
                value, sub = _subtree(self.base, (key,))
            data[key] = value
            positions.update({(key,) + p: v for p, v in sub.items()})
        if self.problems:
            raise LoadError(self.problems)
        return Document(self.child.source, data, positions)

    def by_name(self, key: str) -> tuple[dict, Positions]:
        merged, positions = _subtree(self.base, (key,))
        changes = self.child.data[key] or {}
        if not isinstance(changes, dict) or not isinstance(merged, dict):
            return _subtree(self.child, (key,))
        positions[()] = (*_xy(self.child.positions[(key,)]), self.child.source)
        for name, value in changes.items():
            positions = {p: v for p, v in positions.items() if p[:1] != (name,)}
            if value is None:
                merged.pop(name, None)
                continue
            merged[name], sub = _subtree(self.child, (key, name))
            positions.update({(name,) + p: v for p, v in sub.items()})
        return merged, positions

    # ---------------------------------------------------------------- id-matched lists

    def indicators(self) -> tuple[list, Positions]:
        roots = _nodes(self.base, ("indicators",))
        for i, patch in enumerate(self.child.data["indicators"] or []):
            self.apply(roots, patch, ("indicators", i), nested=True)
        return _flatten(roots, ("indicators",), self.child.positions.get(("indicators",)), self.child.source)

    def by_id(self, key: str) -> tuple[list, Positions]:
        entries = [_Node(*_subtree(self.base, (key, i)), []) for i in range(len(self.base.data.get(key) or []))]
        for i, patch in enumerate(self.child.data[key] or []):
            self.apply(entries, patch, (key, i), nested=False)
        return _flatten(entries, (key,), self.child.positions.get((key,)), self.child.source)

    def apply(self, roots: list["_Node"], patch: Any, path: Path, nested: bool) -> None:
        if not isinstance(patch, dict) or "id" not in patch:
            self.problems.append(self.child.problem(path, "继承时每项变更须写 id（要修改、删除或新增的编号）", code="bad-extends"))
            return
        found = _find(roots, patch["id"]) if nested else next(
            ((roots, n) for n in roots if n.data.get("id") == patch["id"]), None)
        if patch.get("remove"):
            if found is None:
                self.problems.append(self.child.problem(
                    path + ("id",), f"要删除的“{patch['id']}”在继承的方案中不存在", suggest(patch["id"], _ids(roots)),
                    "bad-extends"))
            else:
                found[0].remove(found[1])
            return
        if found is not None:
            node = found[1]
            for key in patch:
                if key in PATCH_KEYS:
                    continue
                node.data[key], sub = _subtree(self.child, path + (key,))
                node.positions = {p: v for p, v in node.positions.items() if p[:1] != (key,)}
                node.positions.update({(key,) + p: v for p, v in sub.items()})
            return
        self.add(roots, patch, path, nested)

    def add(self, roots: list["_Node"], patch: dict, path: Path, nested: bool) -> None:
        siblings = roots
        if nested:
            parent_id = patch.get("under")
            if parent_id is None:
                self.problems.append(self.child.problem(
                    path + ("id",), f"继承的方案中没有“{patch['id']}”；新增指标须写 under（上级分组的 id，或 root）",
                    suggest(patch["id"], _ids(roots)), "bad-extends"))
                return
            if parent_id != "root":
                parent = _find(roots, parent_id)
                if parent is None or parent[1].children is None:
                    self.problems.append(self.child.problem(
                        path + ("under",), f"继承的方案中没有分组“{parent_id}”", suggest(parent_id, _ids(roots)),
                        "bad-extends"))
                    return
                siblings = parent[1].children
        data, positions = _subtree(self.child, path)
        for key in ("under", "after"):
            data.pop(key, None)
            positions = {p: v for p, v in positions.items() if p[:1] != (key,)}
        children = data.pop("children", None)
        node = _Node(data, {p: v for p, v in positions.items() if p[:1] != ("children",)}, None)
        if children is not None:
            node.children = _nodes(self.child, path + ("children",))
        after = patch.get("after")
        index = next((i + 1 for i, n in enumerate(siblings) if n.data.get("id") == after), len(siblings))
        siblings.insert(index, node)


class _Node:
    """One indicator (or check) while merging: its own keys, their positions, and its children."""

    def __init__(self, data: dict, positions: Positions, children: list["_Node"] | None):
        self.data, self.positions, self.children = data, positions, children


def _nodes(document: Document, path: Path) -> list[_Node]:
    value = document.data
    for part in path:
        value = value[part]
    nodes = []
    for i in range(len(value or [])):
        data, positions = _subtree(document, path + (i,))
        children = None
        if isinstance(data, dict) and "children" in data:
            del data["children"]
            positions = {p: v for p, v in positions.items() if p[:1] != ("children",)}
            children = _nodes(document, path + (i, "children"))
        nodes.append(_Node(data, positions, children))
    return nodes


def _ids(nodes: list[_Node]) -> list[str]:
    ids = []
    for node in nodes:
        ids.append(str(node.data.get("id")))
        ids.extend(_ids(node.children or []))
    return ids


def _find(nodes: list[_Node], node_id: str) -> tuple[list[_Node], _Node] | None:
    for node in nodes:
        if node.data.get("id") == node_id:
            return nodes, node
        if node.children is not None:
            found = _find(node.children, node_id)
            if found is not None:
                return found
    return None


def _flatten(nodes: list[_Node], path: Path, list_position: tuple | None, source: str) -> tuple[list, Positions]:
    positions: Positions = {(): (*_xy(list_position), source)} if list_position else {}
    items = []
    for i, node in enumerate(nodes):
        data = dict(node.data)
        positions.update({(i,) + p: v for p, v in node.positions.items()})
        if node.children is not None:
            children, sub = _flatten(node.children, (), node.positions.get(("id",)), source)
            data["children"] = children
            positions.update({(i, "children") + p: v for p, v in sub.items()})
        items.append(data)
    return items, positions

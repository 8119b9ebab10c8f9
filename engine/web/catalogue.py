"""The schemes under the workbench's folder: listed by id and year, read as a table, checked as typed.

A scheme is `<folder>/<id>/<year>.yaml`, as `engine new-year` writes them. `check_text` gives the
problems of a scheme's text exactly as `engine validate` finds them, by validating it where it would
stand: in a scratch copy of the schemes folder (links to every other file), so that `extends:` reaches
the same files and nothing is written into the real folder until the clerk saves.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import api
from ..diff import describe_rule
from ..errors import EngineError, Location, Problem
from ..model import CompiledScheme, Group, Leaf, RowTemplate
from ..quantities import plain_number
from .security import Refused, inside, plain_name

_YEAR_FILE = re.compile(r"(\d{4})\.yaml\Z")
KIND_NAMES = {"project": "项目支出", "department": "部门整体支出", None: "通用"}


@dataclass
class SchemeEntry:
    """One scheme file as the lists show it; `problems` when it does not load."""

    id: str
    year: int
    path: Path
    title: str = ""
    kind: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.id}/{self.year}"

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind or "通用")


class Catalogue:
    """The schemes folder: every read and write of a scheme goes through `path`, which keeps it inside."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self._cache: dict[Path, tuple[tuple, CompiledScheme | EngineError]] = {}
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- finding ------

    def path(self, scheme_id: str, year: str | int) -> Path:
        plain_name(scheme_id, "方案编号")
        if not re.fullmatch(r"\d{4}", str(year)):
            raise Refused(400, f"年度“{str(year)[:20]}”不合规定", "年度应为四位数字，如 2024")
        return inside(self.root, scheme_id, f"{year}.yaml")

    def existing(self, scheme_id: str, year: str | int) -> Path:
        path = self.path(scheme_id, year)
        if not path.is_file():
            raise Refused(404, f"方案文件夹中没有 {scheme_id}/{year}.yaml", "请从“方案”页的列表中选择")
        return path

    def entries(self) -> list[SchemeEntry]:
        found = []
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            try:
                plain_name(folder.name)
                inside(self.root, folder.name)
            except Refused:
                continue
            for file in sorted(folder.iterdir()):
                match = _YEAR_FILE.match(file.name)
                if not match or not file.is_file():
                    continue
                try:
                    inside(self.root, folder.name, file.name)
                except Refused:
                    continue  # a link out of the folder is not offered
                entry = SchemeEntry(folder.name, int(match.group(1)), file)
                loaded = self.load(file)
                if isinstance(loaded, EngineError):
                    entry.problems = loaded.problems
                else:
                    entry.title, entry.kind = loaded.title, loaded.case_kind
                found.append(entry)
        return found

    def entry(self, scheme_id: str, year: str | int) -> SchemeEntry:
        path = self.existing(scheme_id, year)
        for entry in self.entries():
            if entry.path == path:
                return entry
        raise Refused(404, f"方案文件夹中没有 {scheme_id}/{year}.yaml", None)

    def load(self, path: Path) -> CompiledScheme | EngineError:
        """The compiled scheme, or the error that stops it; kept while no scheme file of the folder changes
        (a scheme may extend any other)."""
        stamp = self._stamp()
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            loaded: CompiledScheme | EngineError = api.load_scheme(path)
        except EngineError as error:
            loaded = error
        with self._lock:
            self._cache[path] = (stamp, loaded)
        return loaded

    def _stamp(self) -> tuple:
        stamps = []
        for file in sorted(self.root.glob("*/*.yaml")):
            try:
                info = file.stat()
            except OSError:
                continue
            stamps.append((file.name, info.st_mtime_ns, info.st_size, info.st_ino))
        return tuple(stamps)

    def pick(self, scheme_id: Any, year: Any, kind: Any) -> SchemeEntry | None:
        """The scheme a case names (its id and year); else one for its kind and year; else its kind's latest."""
        usable = [e for e in self.entries() if not e.problems]
        for test in (lambda e: e.id == scheme_id and str(e.year) == str(year),
                     lambda e: e.kind == kind and str(e.year) == str(year),
                     lambda e: e.id == scheme_id,
                     lambda e: e.kind == kind):
            chosen = [e for e in usable if test(e)]
            if chosen:
                return max(chosen, key=lambda e: (e.id == "project-self-eval", e.year))
        return usable[0] if usable else None

    def relative(self, path: str | Path) -> str:
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return Path(path).name

    # ----------------------------------------------------------------- checking -----

    def check_text(self, path: Path, text: str) -> list[Problem]:
        """Every problem `engine validate` finds in `text` saved as `path`, located in `path`'s own name."""
        outside = self._extends_outside(path, text)
        if outside:
            return outside
        with tempfile.TemporaryDirectory(prefix="engine-check-") as scratch:
            mirror = Path(scratch) / "schemes"
            target = _mirror(self.root, path, mirror)
            target.write_text(text, encoding="utf-8")
            checks = api.validate_files([target])
            problems = [problem for check in checks for problem in check.problems]
            return [self._relocated(problem, mirror) for problem in problems]

    def _relocated(self, problem: Problem, mirror: Path) -> Problem:
        file = problem.location.file
        if file:
            try:
                file = Path(file).relative_to(mirror).as_posix()
            except ValueError:
                file = self.relative(file)
        return Problem(problem.message, Location(file, problem.location.line, problem.location.column), problem.path,
                       problem.hint, problem.code)

    def _extends_outside(self, path: Path, text: str) -> list[Problem]:
        """`extends:` may name only a file inside the schemes folder (the workbench reads nothing else).
        Read from the parsed text, so that a flow mapping or a quoted key cannot slip past; text that does
        not parse has no extends to follow, and the check that follows reports why."""
        from ..load import parse_document

        try:
            document = parse_document(text, self.relative(path))
        except EngineError:
            return []
        data = document.data
        target = data.get("extends") if isinstance(data, dict) else None
        if not isinstance(target, str) or not target.strip() or "\0" in target:
            return []
        try:
            inside(self.root, *Path(path).resolve().relative_to(self.root).parent.parts, target.strip())
        except (Refused, ValueError):
            line, column = document.positions.get(("extends",), (1, 1))
            return [Problem("extends 只能指向方案文件夹之内的方案文件", Location(self.relative(path), line, column),
                            ("extends",), "写同一文件夹里的文件名，如 2023.yaml", "extends-outside")]
        return []


def _mirror(root: Path, path: Path, mirror: Path) -> Path:
    """`mirror` holds a link to every entry of `root`, and a real folder (of links) on the way to `path`."""
    relative = path.resolve().relative_to(root) if path.is_absolute() else path
    here, there = root, mirror
    there.mkdir()
    for step in relative.parts[:-1]:
        for item in here.iterdir():
            if item.name != step:
                os.symlink(item, there / item.name)
        here, there = here / step, there / step
        there.mkdir()
    for item in here.iterdir():
        if item.name != relative.name:
            os.symlink(item, there / item.name)
    return there / relative.name


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ reading a scheme ------


@dataclass
class IndicatorLine:
    depth: int
    name: str
    weight: str
    rule: str
    details: list[tuple[str, str]]
    group: bool = False


def describe(scheme: CompiledScheme) -> dict[str, Any]:
    """A scheme in words a clerk reads: its grade bands, its indicator tree with weights and rules, its checks."""
    lines: list[IndicatorLine] = []

    def visit(node: Any, depth: int) -> None:
        for child in node.children:
            if isinstance(child, Group):
                lines.append(IndicatorLine(depth, child.name, _weight(child.weight), "", [], group=True))
                visit(child, depth + 1)
            elif isinstance(child, Leaf):
                rule = describe_rule(child.rule)
                details = [(k, v) for k, v in rule.items() if k != "规则"]
                labels = {"actual": "计分值", "target": "指标值", "assessed": "评价人打分"}
                details += [(labels[slot], formula.source) for slot, formula in child.params.items()]
                if child.not_applicable:
                    details.append(("不适用时", {"full_marks": "得满分", "redistribute": "分值分给同级"}.get(
                        child.not_applicable, child.not_applicable)))
                lines.append(IndicatorLine(depth, child.name, _weight(child.weight), rule.get("规则", ""), details))
            elif isinstance(child, RowTemplate):
                details = []
                for nature, rule in child.by_nature.items():
                    described = describe_rule(rule)
                    text = described.pop("规则", "")
                    details.append((f"指标性质 {nature}", "；".join([text, *(f"{k}：{v}" for k, v in described.items())])))
                for nature in sorted(child.refused):
                    details.append((f"指标性质 {nature}", "不予计分"))
                if child.weight_total is not None:
                    details.append(("各行分值合计", plain_number(child.weight_total)))
                if child.level1_shares:
                    details.append(("各一级指标分值", "、".join(f"{k} {plain_number(v)}" for k, v in child.level1_shares.items())))
                weight = ("按一级指标分配：" + "、".join(f"{k} {plain_number(v)}" for k, v in child.weight_split.items())
                          if child.weight_split else "各行自带")
                lines.append(IndicatorLine(depth, child.name + "（各项目自带的指标行）", weight, "按指标性质计分", details))

    visit(scheme.root, 0)
    bands = []
    upper: Decimal | None = None
    for band in sorted(scheme.grades, key=lambda b: b.min, reverse=True):
        bands.append((band.name, plain_number(band.min), "" if upper is None else plain_number(upper)))
        upper = band.min
    checks = [(check.name, check.message or "") for check in scheme.checks]
    inputs = [(spec.name, spec.label, spec.unit or "", "必填" if spec.required else "可不填") for spec in scheme.inputs.values()]
    return {"lines": lines, "bands": bands, "checks": checks, "inputs": inputs,
            "max_total": plain_number(scheme.max_total), "places": scheme.places}


def _weight(value: Decimal | None) -> str:
    return "由案例填写" if value is None else plain_number(value)

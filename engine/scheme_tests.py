"""Scheme test files: cases with the scores, grades, check results or errors they must give.

    # 2023.test.yaml, beside 2023.yaml
    scheme: 2023.yaml
    tests:
      - name: 沾益·农村房屋火灾保险服务
        case: ../../cases/zhanyi-2023/projects/fire-insurance.yaml
        expect: {total: 100, grade: 优, scores: {execution: 10}}
      - name: 编制为 0 时报错
        case: ../../cases/zhongfang-2023/department.yaml
        set: {data.人员.编制数: 0}
        expect: {error: 除数为 0}

`run_test_file` scores each test and compares; `Coverage` records which rule branches, checklist
points and grade bands the tests reached, and which they never did.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any

from .api import load_scheme
from .errors import EngineError, Location, Path, Problem, format_path
from .evaluate import evaluate
from .formula import suggest
from .load import Document, load_document
from .model import CompiledScheme, IndicatorResult, Leaf, Result, RowTemplate, walk
from .quantities import ValueProblem, fixed, parse_number, plain_number
from .rules import branch_label
from .bind import bind_case
from .validate import check_shape, describe_value

TEST_SUFFIX = ".test.yaml"


@dataclass
class TestOutcome:
    name: str
    location: Location
    failures: list[str] = field(default_factory=list)
    result: Result | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class TestFileReport:
    path: str
    scheme: CompiledScheme | None = None
    outcomes: list[TestOutcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def find_test_files(paths: list[str | FsPath]) -> list[FsPath]:
    found: list[FsPath] = []
    for path in map(FsPath, paths):
        found.extend(sorted(path.rglob(f"*{TEST_SUFFIX}")) if path.is_dir() else [path])
    return found


def subdocument(document: Document, path: Path) -> Document:
    """The part of `document` at `path` as a document of its own, positions still in the same file."""
    value = document.data
    for part in path:
        value = value[part]
    size = len(path)
    positions = {p[size:]: v for p, v in document.positions.items() if p[:size] == path}
    return Document(document.source, copy.deepcopy(value), positions)


def run_test_file(path: str | FsPath) -> TestFileReport:
    report = TestFileReport(str(path))
    try:
        document = load_document(path)
    except EngineError as error:
        report.problems = error.problems
        return report
    report.problems = check_shape(document, "test")
    if report.problems:
        return report
    if "\0" in document.data["scheme"]:
        report.problems = [document.problem(("scheme",), "方案文件的路径中含有空字符（\\0），不是有效的文件名", code="bad-path")]
        return report
    scheme_path = FsPath(path).parent / document.data["scheme"]
    try:
        report.scheme = load_scheme(scheme_path)
    except EngineError as error:
        report.problems = error.problems
        return report
    for i, test in enumerate(document.data["tests"]):
        try:
            report.outcomes.append(_run_one(report.scheme, document, ("tests", i), test))
        except TestFileError as error:
            report.problems.extend(error.problems)
    return report


def _run_one(scheme: CompiledScheme, document: Document, path: Path, test: dict) -> TestOutcome:
    outcome = TestOutcome(test["name"], document.locate(path))
    expect = test["expect"]
    try:
        case_document = _case_document(document, path, test)
        case, problems = bind_case(scheme, case_document, check_year=test.get("year") != "any")
        if problems:
            raise EngineError(problems)
        result = evaluate(scheme, case)
    except TestFileError:
        raise  # a `set:` path leading nowhere is the test file's problem, not the scoring's
    except EngineError as error:
        message = "\n".join(str(p) for p in error.problems)
        if "error" not in expect:
            outcome.failures.append(f"计分出错：{message}")
        elif expect["error"] not in message:
            outcome.failures.append(f"错误信息：期望包含“{expect['error']}”，实际为：{message}")
        return outcome
    outcome.result = result
    if "error" in expect:
        outcome.failures.append(f"期望报错（含“{expect['error']}”），实际计分成功：总分 {fixed(result.total, result.places)}")
    outcome.failures.extend(_compare(scheme, result, expect))
    return outcome


def _case_document(document: Document, path: Path, test: dict) -> Document:
    if isinstance(test["case"], str):
        if "\0" in test["case"]:
            raise TestFileError(document.problem(path + ("case",), "案例文件的路径中含有空字符（\\0），不是有效的文件名",
                                                 code="bad-path"))
        case_document = load_document(FsPath(document.source).parent / test["case"])
    else:
        case_document = subdocument(document, path + ("case",))
    problems = []
    for key, value in (test.get("set") or {}).items():
        where = path + ("set", key)
        try:
            _assign(case_document, _set_path(key), value, document.positions.get(where), document.source)
        except ValueProblem as exc:
            problems.append(document.problem(where, exc.message, exc.hint, "bad-set-path"))
    if problems:
        raise TestFileError(problems)
    return case_document


class TestFileError(EngineError):
    """A test that points nowhere — a `set:` path that does not lead to a place in its case, a path that
    cannot be a file name: the test file's mistake, not the scoring's."""

    kind = "test"


def _set_path(key: Any) -> Path:
    parts = str(key).split(".")
    if any(not part.strip() for part in parts):
        raise ValueProblem(f"set 的路径“{key}”中有空的一段", "路径写作 键.键.序号，如 funds.total.executed 或 indicators.0.actual")
    return tuple(int(part) if part.isdigit() else part for part in parts)


def _assign(document: Document, target: Path, value: Any, position: tuple | None, source: str) -> None:
    """Set the case's value at `target`: through mappings (a missing key is added) and list items that exist."""
    data = document.data
    if not isinstance(data, dict):
        raise ValueProblem(f"案例不是映射（实际为{describe_value(data)}），set 无处可设")
    written: list = []  # the path as the case holds it: a mapping's keys are text, as the loader reads them
    for depth, part in enumerate(target):
        last = depth == len(target) - 1
        here = format_path(written) or "案例"
        if isinstance(data, dict):
            written.append(str(part))
            if last:
                data[str(part)] = copy.deepcopy(value)
            else:
                data = data.setdefault(str(part), {})
        elif isinstance(data, list):
            if not isinstance(part, int):
                raise ValueProblem(f"{here} 是列表，路径的下一段应为序号（从 0 数起），实际为“{part}”")
            if part >= len(data):
                raise ValueProblem(f"{here} 只有 {len(data)} 项，没有第 {part} 项（序号从 0 数起）")
            written.append(part)
            if last:
                data[part] = copy.deepcopy(value)
            else:
                data = data[part]
        else:
            raise ValueProblem(f"{here} 是{describe_value(data).strip()}，不是映射或列表，不能再往下设“{part}”",
                               "检查 set 的路径是否写对")
    if position is not None:
        document.positions[tuple(written)] = (*position[:2], source)


def set_problems(document: Document, path: Path, test: dict) -> list[Problem]:
    """What of one test points nowhere — its case path, its `set:` paths (for engine validate)."""
    try:
        _case_document(document, path, test)
    except TestFileError as error:
        return error.problems
    except EngineError:
        return []  # the case itself: reported when the test runs
    return []


def _number(value: Any) -> Decimal:
    try:
        return parse_number(value)
    except ValueProblem:
        return Decimal("NaN")


def _compare(scheme: CompiledScheme, result: Result, expect: dict) -> list[str]:
    failures = []
    places = result.places
    if "total" in expect and _number(expect["total"]) != result.total:
        failures.append(f"总分：期望 {plain_number(_number(expect['total']))}，实际 {fixed(result.total, places)}")
    if "grade" in expect and expect["grade"] != result.grade:
        failures.append(f"等级：期望 {expect['grade']}，实际 {result.grade}")
    for key, expected in (expect.get("scores") or {}).items():
        matches = [i for i in result.indicators if key in (i.id, i.name)]
        if not matches:
            hint = suggest(key, [i.id for i in result.indicators] + [i.name for i in result.indicators])
            failures.append(f"没有指标“{key}”" + (f"（{hint}）" if hint else ""))
        elif len(matches) > 1:
            failures.append(f"名称“{key}”对应 {len(matches)} 个指标，请改用编号：{'、'.join(i.id for i in matches)}")
        elif _number(expected) != matches[0].score:
            failures.append(f"指标 {_named(matches[0])}得分：期望 {plain_number(_number(expected))}，"
                            f"实际 {fixed(matches[0].score, places)}")
    checks = {c.id: c for c in result.checks}
    for check_id, status in (expect.get("checks") or {}).items():
        if check_id not in checks:
            hint = suggest(check_id, checks)
            failures.append(f"没有核对“{check_id}”" + (f"（{hint}）" if hint else ""))
        elif checks[check_id].status != status:
            failures.append(f"核对 {check_id}：期望 {status}，实际 {checks[check_id].status}（{checks[check_id].message}）")
    return failures


def _named(indicator: IndicatorResult) -> str:
    return f"{indicator.name}［{indicator.id}］"


def render_test_report(reports: list[TestFileReport]) -> str:
    lines = []
    passed = failed = 0
    for report in reports:
        scheme = f"（方案 {report.scheme.id} {report.scheme.fiscal_year}）" if report.scheme else ""
        lines.append(f"{report.path}{scheme}")
        for problem in report.problems:
            lines.append(f"  ! {problem}")
        for outcome in report.outcomes:
            if outcome.passed:
                passed += 1
                lines.append(f"  ✓ {outcome.name}")
            else:
                failed += 1
                lines.append(f"  ✗ {outcome.name}（{outcome.location}）")
                lines.extend(f"      {line}" for failure in outcome.failures for line in failure.splitlines())
    lines.append("")
    lines.append(f"{passed} passed, {failed} failed")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ coverage ---------


class Coverage:
    """Which branches of each rule, which checklist points and which grades the tests reached."""

    def __init__(self, scheme: CompiledScheme):
        self.scheme = scheme
        self.reached: set[tuple] = set()

    def add(self, result: Result) -> None:
        self.reached.add(("grade", result.grade))
        for indicator in result.indicators:
            source = indicator.source
            key = source.id if isinstance(source, Leaf) else (source.template, source.nature)
            self.reached.add(("branch", key, indicator.branch))
            if indicator.rule == "checklist" and isinstance(indicator.actual, tuple):
                for i, answer in enumerate(indicator.actual):
                    self.reached.add(("item", source.id, i, answer))

    def lines(self) -> tuple[list[str], int, int]:
        lines, total, missed = [], 0, 0

        def mark(reached: bool, label: str) -> str:
            nonlocal total, missed
            total += 1
            missed += not reached
            return f"{'✓' if reached else '✗'} {label}"

        for node in walk(self.scheme.root):
            if isinstance(node, Leaf):
                branches = list(node.rule.branches())
                if node.not_applicable:
                    branches.append("not_applicable_full" if node.not_applicable == "full_marks"
                                    else "not_applicable_redistributed")
                marks = [mark(("branch", node.id, b) in self.reached, branch_label(b, node.rule.kind)) for b in branches]
                if node.rule.kind == "checklist":
                    for i, item in enumerate(node.rule.items):
                        marks += [mark(("item", node.id, i, True) in self.reached, f"第 {i + 1} 项符合：{item}"),
                                  mark(("item", node.id, i, False) in self.reached, f"第 {i + 1} 项不符合")]
                lines.append(f"  {' / '.join(node.path + (node.name,))}［{node.id}］")
                lines.extend(f"    {m}" for m in marks)
            elif isinstance(node, RowTemplate):
                for nature, rule in node.by_nature.items():
                    lines.append(f"  {node.name}［{node.id}］指标性质 {nature}")
                    lines.extend(f"    {mark(('branch', (node.id, nature), b) in self.reached, branch_label(b, rule.kind))}"
                                 for b in rule.branches())
        grades = [mark(("grade", g.name) in self.reached, g.name) for g in self.scheme.grades]
        lines.append("  等级：" + "  ".join(grades))
        return lines, total, missed

    def render(self) -> str:
        lines, total, missed = self.lines()
        head = f"覆盖情况：方案 {self.scheme.id} {self.scheme.fiscal_year}（{self.scheme.source}）"
        summary = f"  已覆盖 {total - missed} / {total} 项" + (f"，未覆盖 {missed} 项（✗）" if missed else "")
        return "\n".join([head] + lines + [summary]) + "\n"


def coverage_of(reports: list[TestFileReport]) -> list[Coverage]:
    by_scheme: dict[tuple[str, str], Coverage] = {}
    for report in reports:
        if report.scheme is None:
            continue
        key = (report.scheme.source, report.scheme.version)
        coverage = by_scheme.setdefault(key, Coverage(report.scheme))
        for outcome in report.outcomes:
            if outcome.result is not None:
                coverage.add(outcome.result)
    return list(by_scheme.values())


def year_test_file(base: FsPath, target: FsPath, year: int, schema: str = "../../schemas/test.schema.json",
                   scheme_id: str | None = None) -> str:
    """The test file of a new year's scheme: last year's tests run on the new scheme, which says nothing new
    yet, so they must still pass; each case keeps its own year (`year: any`). When the scheme changes,
    the tests whose figures move are updated with it. Last year's test file must be one (TestFileError);
    `scheme_id` spares loading `target` for a file with no tests."""
    from .yamlwrite import document_yaml

    base_tests = base.with_name(base.name.removesuffix(".yaml") + TEST_SUFFIX)
    header = [f"# yaml-language-server: $schema={schema}",
              "#",
              f"# {year} 年度方案的测试：由 engine new-year 从 {base_tests.name} 抄来，对新方案运行同样的案例。",
              f"# 新方案还没有写任何变化，故应全部通过；改了方案之后，把得分有变化的期望值改成手算的新值。"]
    tests = []
    if base_tests.is_file():
        document = load_document(base_tests)
        problems = check_shape(document, "test")
        if problems:
            raise TestFileError(problems)
        for test in document.data.get("tests") or []:
            copied = dict(test)
            error = str((copied.get("expect") or {}).get("error", ""))
            if "年度" not in error:
                copied["year"] = "any"
            tests.append(copied)
    if not tests:
        tests = [{"name": f"{year} 年度方案可以加载并为空白案例报出缺少的输入",
                  "case": {"scheme": scheme_id or load_scheme(target).id, "fiscal_year": year, "name": "空白案例"},
                  "expect": {"error": "缺少"}}]
    body = {"scheme": target.name, "description": f"{year} 年度：继承 {base.name}，计分方法暂无变化。", "tests": tests}
    return "\n".join(header) + "\n" + document_yaml(body, {}, str(target))

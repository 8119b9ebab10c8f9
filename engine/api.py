"""The library's front door: each function chains the stages for one job.

load → validate → compile for a scheme; load → validate (against the compiled scheme) for a
case; then evaluate. Everything the CLI does is one call here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compile import compile_problems, compile_scheme
from .errors import CaseError, EngineError, Location, Problem, SchemeError
from .files import write_atomic
from .formula import suggest
from .inherit import load_scheme_document
from .evaluate import evaluate
from .load import Document, load_document
from .model import CaseData, CompiledScheme, Result
from .bind import bind_case
from .validate import check_scheme, check_shape


def load_scheme(path: str | Path) -> CompiledScheme:
    """Read, validate and compile a scheme file (with what it extends); SchemeError lists every problem."""
    document = load_scheme_document(path)
    problems = check_scheme(document)
    if problems:
        raise SchemeError(_unique(problems + compile_problems(document)))
    return compile_scheme(document)


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


CASE_SUFFIXES = (".yaml", ".yml")


def is_case_file(path: str | Path) -> bool:
    """A case is YAML; anything else given where a case is expected is read as an official table."""
    return str(path) != "-" and Path(path).suffix.lower() in CASE_SUFFIXES


def load_case_document(path: str | Path, scheme: CompiledScheme | None = None, table: int | None = None,
                       vocabulary: list[str | Path] | None = None) -> Document:
    """The case in `path`: a case file as written, or the table of an importable file (the one whose
    kind the scheme scores; `table` picks one by its number when the file holds several)."""
    if is_case_file(path):
        return load_document(path)
    from .importer import case_document, import_tables

    cases = import_tables(path, vocabulary)
    if table is not None:
        if not 1 <= table <= len(cases):
            raise CaseError(Problem(f"文件中只有 {len(cases)} 张表，没有第 {table} 张", Location(str(path)),
                                    code="no-such-table"))
        return case_document(cases[table - 1])
    fitting = [case for case in cases if scheme is None or scheme.case_kind in (None, case.kind)] or cases
    if len(fitting) > 1:
        listing = "；".join(f"第 {cases.index(case) + 1} 张：{case.title.split('（')[0]}“{case.name}”" for case in fitting)
        raise CaseError(Problem(f"文件中有 {len(fitting)} 张可计分的表（{listing}）", Location(str(path)),
                                hint="用 --table N 选一张，或用 engine batch 一次计分全部", code="many-tables"))
    return case_document(fitting[0])


def load_case(scheme: CompiledScheme, path: str | Path, table: int | None = None,
              vocabulary: list[str | Path] | None = None) -> CaseData:
    """Read a case (a case file, or a table to import) and check it supplies what `scheme` needs."""
    case, problems = bind_case(scheme, load_case_document(path, scheme, table, vocabulary))
    if problems:
        raise CaseError(problems)
    return case


def score_file(scheme: CompiledScheme, case_path: str | Path, table: int | None = None,
               vocabulary: list[str | Path] | None = None) -> Result:
    return evaluate(scheme, load_case(scheme, case_path, table, vocabulary))


def score(scheme_path: str | Path, case_path: str | Path, table: int | None = None,
          vocabulary: list[str | Path] | None = None) -> Result:
    """Score one case (a case file or an importable table) by one scheme file."""
    return score_file(load_scheme(scheme_path), case_path, table, vocabulary)


# ------------------------------------------------------------------ authoring tools ----


def find_case_files(paths: list[str | Path]) -> list[Path]:
    """YAML files named directly, and those under folders, in a stable order."""
    found: list[Path] = []
    for path in map(Path, paths):
        found.extend(sorted(path.rglob("*.yaml")) if path.is_dir() else [path])
    return found


def _empty_folders(paths: list[str | Path], finder) -> list[Path]:  # noqa: ANN001 - one of the find_* functions
    """Folders named on the command line with nothing in them to read: asked for and not done is an error."""
    return [Path(path) for path in paths if Path(path).is_dir() and not finder([path])]


def document_kind(document: Document) -> str | None:
    """"scheme", "case" or "test", judged from the keys a file has; None when it is none of them."""
    data = document.data
    if not isinstance(data, dict):
        return None
    if "tests" in data:
        return "test"
    if "indicators" in data and ("grades" in data or "extends" in data) or "extends" in data:
        return "scheme"
    if "scheme" in data and "name" in data:
        return "case"
    return None


def rescore(old: CompiledScheme, new: CompiledScheme, paths: list[str | Path]) -> tuple[list[Rescored], int]:
    from .diff import Rescored
    """Every case of the scheme under `paths` scored by both versions; and how many files were not such cases."""
    rescored, skipped = [], 0
    for path in find_case_files(paths):
        try:
            document = load_document(path)
        except EngineError:
            skipped += 1
            continue
        if document_kind(document) != "case" or document.data.get("scheme") != new.id:
            skipped += 1
            continue
        results = []
        for scheme in (old, new):
            case, problems = bind_case(scheme, document, check_year=False)
            try:
                results.append(evaluate(scheme, case) if case is not None else str(CaseError(problems).problems[0]))
            except CaseError as error:
                results.append(str(error.problems[0]))
        errors = [r for r in results if isinstance(r, str)]
        if errors:
            rescored.append(Rescored(str(path), None, None, errors[0]))
        else:
            rescored.append(Rescored(str(path), results[0], results[1]))
    return rescored, skipped


@dataclass
class DiffReport:
    """What `engine diff` prints, and how many cases failed under either version."""

    text: str
    failed: int = 0  # cases that could not be scored under one of the versions


def diff(old_path: str | Path, new_path: str | Path, cases: list[str | Path] | None = None) -> DiffReport:
    from .diff import diff_schemes, render_diff

    old, new = load_scheme(old_path), load_scheme(new_path)
    changes = diff_schemes(old, new)
    rescored, skipped = rescore(old, new, cases) if cases else (None, 0)
    failed = sum(1 for item in rescored or [] if item.failed)
    return DiffReport(render_diff(old, new, changes, rescored, skipped), failed)


def resolve(scheme_path: str | Path) -> str:
    """The scheme with everything it extends folded in, each line commented with the file and line it came from."""
    from .yamlwrite import document_yaml

    document = load_scheme_document(scheme_path)
    problems = check_scheme(document)
    if problems:
        raise SchemeError(_unique(problems + compile_problems(document)))
    head = (f"# {scheme_path} 合并继承后的完整方案（engine resolve 生成，只供查看）；每行注释是这一项写在哪个文件的哪一行。\n")
    return head + document_yaml(document.data, document.positions, document.source, Path(scheme_path).parent)


def new_year(scheme_path: str | Path, year: int, force: bool = False) -> list[str]:
    """A scheme for `year` beside `scheme_path` that extends it and says only what changes, with its test file."""
    from .scheme_tests import year_test_file

    base = load_scheme(scheme_path)
    source = Path(scheme_path)
    if year == base.fiscal_year:
        raise SchemeError(Problem(f"方案已是 {year} 年度的", Location(str(source)), code="same-year"))
    target = source.with_name(f"{year}.yaml")
    tests = source.with_name(f"{year}.test.yaml")
    existing = [p for p in (target, tests) if p.exists()]
    if existing and not force:
        raise SchemeError([Problem("文件已存在，未覆盖", Location(str(p)), hint="确要覆盖请加 --force",
                                   code="output-exists") for p in existing])
    schema = os.path.relpath(_schemas_folder(target) / "scheme.schema.json", target.parent)
    text = (f"# yaml-language-server: $schema={schema}\n#\n"
            f"# {year} 年度：继承 {base.fiscal_year} 年度方案（{source.name}），只写与之不同的部分；现在与之相同。\n"
            f"# 改分值、规则、分档、等级、核对：按 id（等级按 name、分档按下限）写出要改的键即可，例如\n"
            f"#   indicators:\n#     - {{id: {next(iter(base.leaves())).id}, weight: 12}}\n"
            f"# 改完用 engine diff {source.name} {year}.yaml --cases 案例文件夹 看哪些案例的得分有变化。\n"
            f"extends: {source.name}\nfiscal_year: {year}\nversion: \"{year}.1\"\n")
    test_schema = os.path.relpath(_schemas_folder(target) / "test.schema.json", target.parent)
    # Both made before either is written: last year's test file may be refused, and then nothing is.
    test_text = year_test_file(source, target, year, test_schema, base.id)
    write_atomic(target, text, force=force, inputs=(scheme_path,))
    write_atomic(tests, test_text, force=force, inputs=(scheme_path,))
    return [str(target), str(tests)]


def _schemas_folder(target: Path) -> Path:
    folder = target.resolve().parent
    for parent in [folder, *folder.parents]:
        if (parent / "schemas" / "scheme.schema.json").is_file():
            return parent / "schemas"
    return folder


def explain_file(scheme_path: str | Path, case_path: str | Path, indicator: str | None = None,
                 table: int | None = None, vocabulary: list[str | Path] | None = None) -> str:
    """The calculation sheet for one case (or one of its indicators, by id or name)."""
    from .explain import explain, known_indicators

    scheme = load_scheme(scheme_path)
    case = load_case(scheme, case_path, table, vocabulary)
    result = evaluate(scheme, case)
    if indicator is not None and indicator not in known_indicators(result):
        raise CaseError(Problem(f"没有指标“{indicator}”", Location("命令行参数 INDICATOR"),
                                hint=suggest(indicator, known_indicators(result)), code="unknown-indicator"))
    return explain(scheme, case, result, indicator)


@dataclass
class FileCheck:
    """What `engine validate` found in one file."""

    path: str
    kind: str | None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unreadable: bool = False


def find_scheme_file(case_path: str | Path, scheme_id: str, fiscal_year: Any) -> Path | None:
    """schemes/<id>/<year>.yaml, looked for from the case's folder upwards, then from here."""
    relative = Path("schemes") / str(scheme_id) / f"{fiscal_year}.yaml"
    here = Path.cwd()
    for folder in [*Path(case_path).resolve().parents, here]:
        found = folder / relative
        if found.is_file():
            return found.relative_to(here) if found.is_relative_to(here) else found
    return None


def validate_files(paths: list[str | Path], scheme_path: str | Path | None = None) -> list[FileCheck]:
    """Every problem in each file, by its kind (scheme, case or test file), sorted by position."""
    checks = [FileCheck(str(folder), None, [Problem("文件夹里没有方案、案例或测试文件（*.yaml）", Location(str(folder)),
                                                 code="empty-folder")], unreadable=True)
              for folder in _empty_folders(paths, find_case_files)]
    for path in find_case_files(paths):
        try:
            document = load_document(path)
        except EngineError as error:
            checks.append(FileCheck(str(path), None, error.problems, unreadable=True))
            continue
        kind = "test" if str(path).endswith(".test.yaml") else document_kind(document)
        check = FileCheck(str(path), kind)
        try:
            if kind == "scheme":
                resolved = load_scheme_document(path)
                check.problems = _unique(check_scheme(resolved) + compile_problems(resolved))
            elif kind == "case":
                _validate_case(document, path, scheme_path, check)
            elif kind == "test":
                _validate_test_file(document, path, check)
            else:
                check.problems = [Problem("无法判断这是方案、案例还是测试文件", Location(str(path)),
                                          hint="方案要有 indicators 和 grades；案例要有 scheme 和 name；测试文件要有 tests",
                                          code="unknown-kind")]
        except EngineError as error:
            check.problems = error.problems
        check.problems = sorted(_unique(check.problems), key=Problem.sort_key)
        checks.append(check)
    return checks


def _validate_case(document: Document, path: Path, scheme_path: str | Path | None, check: FileCheck) -> None:
    check.problems = check_shape(document, "case")
    data = document.data
    found = Path(scheme_path) if scheme_path else find_scheme_file(path, data.get("scheme"), data.get("fiscal_year"))
    if found is None:
        check.notes.append(f"未找到方案 schemes/{data.get('scheme')}/{data.get('fiscal_year')}.yaml，"
                           "只检查了格式（可用 --scheme 指定方案）")
        return
    try:
        scheme = load_scheme(found)
    except EngineError:
        check.notes.append(f"方案 {found} 本身有问题，请先检查方案")
        return
    if check.problems:
        return
    case, problems = bind_case(scheme, document)
    check.problems = problems
    if case is not None:
        try:
            evaluate(scheme, case)
        except CaseError as error:
            check.problems = error.problems
    check.notes.append(f"按方案 {found} 检查")


def _validate_test_file(document: Document, path: Path, check: FileCheck) -> None:
    check.problems = check_shape(document, "test")
    if check.problems:
        return
    if "\0" in document.data["scheme"]:
        check.problems.append(document.problem(("scheme",), "方案文件的路径中含有空字符（\\0），不是有效的文件名",
                                               code="bad-path"))
        return
    scheme_file = Path(path).parent / document.data["scheme"]
    try:
        load_scheme(scheme_file)
    except EngineError as error:
        check.problems = error.problems
        return
    from .scheme_tests import set_problems

    for i, test in enumerate(document.data["tests"]):
        case = test["case"]
        if isinstance(case, str) and "\0" not in case and not (Path(path).parent / case).is_file():
            check.problems.append(document.problem(("tests", i, "case"), f"案例文件 {case} 不存在", code="file-not-found"))
        elif test.get("set") or isinstance(case, str) and "\0" in case:
            check.problems.extend(set_problems(document, ("tests", i), test))



# ------------------------------------------------------------------ tables in and out --


TABLE_SUFFIXES = (".txt", ".tsv", ".csv", ".md", ".xlsx", ".xlsm", ".xls", ".ods", ".docx", ".html", ".htm", ".pdf")


def import_file(path: str | Path, output: str | Path | None = None, force: bool = False,
                vocabulary: list[str | Path] | None = None, year: int | None = None) -> list[tuple[str, str, Any]]:
    """Import the official tables in `path` as case YAML: [(target file or "", text, imported case)],
    written when `output` is given."""
    from .importer import case_yaml, import_tables, suggested_file_name

    if output is not None and path != "-" and Path(output).exists() and Path(output).is_file() \
            and Path(path).exists() and Path(output).samefile(path):
        raise CaseError(Problem("不能把结果写到输入文件上，否则原文件会丢失", Location(str(output)),
                                hint="请换一个输出文件名或文件夹", code="output-is-input"))
    cases = import_tables(str(path), vocabulary, year)
    if output is None:
        return [("", case_yaml(case, _schema_reference(Path.cwd() / "x.yaml")), case) for case in cases]
    output = Path(output)
    as_folder = output.is_dir() or str(output).endswith(("/", "\\")) or (
        not output.exists() and output.suffix.lower() not in (".yaml", ".yml"))
    if not as_folder and len(cases) > 1:
        raise CaseError(Problem(f"文件中有 {len(cases)} 张表，不能都写进一个文件", Location(str(output)),
                                hint="-o 后写一个文件夹，每张表存为一个案例文件", code="output-many"))
    targets = [output / suggested_file_name(case) for case in cases] if as_folder else [output]
    if len(set(targets)) < len(targets):  # two tables with the same name: number them
        targets = [t.with_name(f"{t.stem}-{i + 1}{t.suffix}") for i, t in enumerate(targets)]
    existing = [target for target in targets if target.exists()]
    if existing and not force:  # refuse before writing anything, so a rerun never leaves half a folder
        raise CaseError([Problem("文件已存在，未覆盖", Location(str(target)), hint="确要覆盖请加 --force",
                                 code="output-exists") for target in existing])
    written = []
    for case, target in zip(cases, targets):
        text = case_yaml(case, _schema_reference(target))
        write_atomic(target, text, force=force, inputs=(path,) if path != "-" else ())
        written.append((str(target), text, case))
    return written


def _schema_reference(target: Path) -> str:
    """Where the case schema is, relative to `target`, for the editor line at the top of the file."""
    folder = target.resolve().parent
    for parent in [folder, *folder.parents]:
        if (parent / "schemas" / "case.schema.json").is_file():
            return os.path.relpath(parent / "schemas" / "case.schema.json", folder)
    return "case.schema.json"


@dataclass
class CheckedCase:
    """The cross-checks of one case (a case file, or one table of an imported file)."""

    label: str
    result: Result | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def failed(self) -> list:
        return [c for c in self.result.checks if c.status == "failed"] if self.result else []


def check_files(paths: list[str | Path], scheme_path: str | Path | None = None,
                vocabulary: list[str | Path] | None = None) -> list[CheckedCase]:
    """Score each case (or each table in an importable file) and keep its cross-check results."""
    from .importer import case_document, import_tables

    checked: list[CheckedCase] = [
        CheckedCase(str(folder), None, [Problem("文件夹里没有可核对的案例或自评表", Location(str(folder)), code="empty-folder")])
        for folder in _empty_folders(paths, find_table_files)]
    for path in find_table_files(paths):
        try:
            if not is_case_file(path):
                documents = [(f"{path} — {case.title.split('（')[0]}：{case.name}", case_document(case))
                             for case in import_tables(str(path), vocabulary)]
            else:
                documents = [(str(path), load_document(path))]
        except EngineError as error:
            checked.append(CheckedCase(str(path), None, error.problems))
            continue
        for label, document in documents:
            checked.append(_check_document(label, path, document, scheme_path))
    return checked


def find_table_files(paths: list[str | Path]) -> list[Path]:
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in TABLE_SUFFIXES + (".yaml",)
                                and not p.name.endswith(".test.yaml")))
        else:
            found.append(path)
    return found


def _check_document(label: str, path: Path, document: Document, scheme_path: str | Path | None) -> CheckedCase:
    data = document.data if isinstance(document.data, dict) else {}
    found = Path(scheme_path) if scheme_path else find_scheme_file(path, data.get("scheme"), data.get("fiscal_year"))
    if found is None:
        return CheckedCase(label, None, [Problem(
            f"未找到方案 schemes/{data.get('scheme')}/{data.get('fiscal_year')}.yaml", Location(str(path)),
            hint="用 --scheme 指定方案文件", code="scheme-not-found")])
    try:
        scheme = load_scheme(found)
        case, problems = bind_case(scheme, document)
        if problems:
            raise CaseError(problems)
        return CheckedCase(label, evaluate(scheme, case))
    except EngineError as error:
        return CheckedCase(label, None, error.problems)


def export(scheme_path: str | Path, case_path: str | Path, output_format: str, table: int | None = None,
           vocabulary: list[str | Path] | None = None) -> str | bytes:
    """The scored case as markdown, csv, html or xlsx (bytes)."""
    from .export import FORMATS

    scheme = load_scheme(scheme_path)
    case = load_case(scheme, case_path, table, vocabulary)
    return FORMATS[output_format](evaluate(scheme, case), case)


def word_report(scheme_path: str | Path, case_path: str | Path, template_path: str | Path | None = None,
                table: int | None = None, vocabulary: list[str | Path] | None = None) -> bytes:
    """The 自评报告 of a case as .docx bytes, from the default Word template or a bureau's own."""
    from .word_report import render_docx

    scheme = load_scheme(scheme_path)
    case = load_case(scheme, case_path, table, vocabulary)
    return render_docx(evaluate(scheme, case), case, template_path)


def template(scheme_path: str | Path, output: str | Path | None = None, force: bool = False) -> str:
    """A blank case for the scheme, written to `output` when given (never over an existing file without force)."""
    from .template import case_template

    scheme = load_scheme(scheme_path)
    target = Path(output) if output is not None else Path.cwd() / "case.yaml"
    text = case_template(scheme, _schema_reference(target))
    if output is not None:
        write_atomic(output, text, force=force, inputs=(scheme_path,))
    return text

"""What the workbench's pages do with an upload, through the library as the CLI does it: import a table
into case YAML, score a case by a scheme, and run a batch in the background with its progress.
"""

from __future__ import annotations

import io
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import api
from ..errors import EngineError, Location, Problem
from ..model import CaseData, CompiledScheme, Result
from .security import Refused
from .uploads import CASE_SUFFIXES

META = "upload.json"


# ------------------------------------------------------------------ one table ------------


@dataclass
class Upload:
    """An uploaded file (or pasted text) and the cases read from it, one YAML file per table."""

    folder: Path
    name: str
    tables: list[dict[str, str]]  # title, name, kind, year, scheme of each case, in file order

    def case_path(self, table: int) -> Path:
        if not 1 <= table <= len(self.tables):
            raise Refused(404, f"这个文件中没有第 {table} 张表", f"共 {len(self.tables)} 张")
        return self.folder / f"case-{table}.yaml"


def import_upload(folder: Path, source: Path) -> Upload:
    """Read `source` (a case file, or any table `engine import` reads) into case-N.yaml files beside it."""
    tables = []
    if source.suffix.lower() in CASE_SUFFIXES:
        document = api.load_case_document(source)
        if api.document_kind(document) != "case":
            what = {"scheme": "评价方案", "test": "方案测试文件"}.get(api.document_kind(document) or "", "")
            raise api.CaseError(Problem(f"这是{what or '一个 YAML 文件'}，不是案例（自评表数据）", Location(source.name),
                                        hint="计分请上传自评表（Excel、Word、网页、PDF、文本）或案例文件；方案请在“方案”页编辑",
                                        code="not-a-case"))
        (folder / "case-1.yaml").write_bytes(source.read_bytes())
        tables.append(_identity(document.data, ""))
    else:
        for number, (_, text, case) in enumerate(api.import_file(source), 1):
            (folder / f"case-{number}.yaml").write_text(text, encoding="utf-8")
            document = api.load_case_document(folder / f"case-{number}.yaml")
            tables.append(_identity(document.data, case.title.split("（")[0]))
    upload = Upload(folder, source.name, tables)
    (folder / META).write_text(json.dumps({"name": source.name, "tables": tables}, ensure_ascii=False), encoding="utf-8")
    return upload


def _identity(data: Any, title: str) -> dict[str, str]:
    data = data if isinstance(data, dict) else {}
    return {"title": title or "案例文件", "name": str(data.get("name") or "（未写名称）"),
            "kind": str(data.get("kind") or ""), "year": str(data.get("fiscal_year") or ""),
            "scheme": str(data.get("scheme") or "")}


def open_upload(folder: Path) -> Upload:
    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    return Upload(folder, meta["name"], meta["tables"])


@dataclass
class Scored:
    """A case scored by a scheme for the page: the result, or the problems that stopped it."""

    scheme: CompiledScheme | None
    case: CaseData | None = None
    result: Result | None = None
    problems: list[Problem] = field(default_factory=list)
    path: Path | None = None  # the case file scored: the upload's, or its copy naming the chosen scheme
    note: str = ""


def score_case(scheme: CompiledScheme | EngineError, case_path: Path) -> Scored:
    if isinstance(scheme, EngineError):
        return Scored(None, problems=scheme.problems)
    try:
        path, note = case_for(scheme, case_path)
        case = api.load_case(scheme, path)
        return Scored(scheme, case, api.evaluate(scheme, case), path=path, note=note)
    except EngineError as error:
        return Scored(scheme, problems=error.problems, path=case_path)


_TOP_KEY = r"^{}:[^\n]*$"


def case_for(scheme: CompiledScheme, case_path: Path) -> tuple[Path, str]:
    """The case as the chosen scheme takes it: a case names its scheme and year, and the engine scores it by
    no other; a clerk who picks another (this year's method for last year's table, the province's variant)
    gets a copy that names the chosen one, and a note saying so. The upload itself is never changed."""
    data = api.load_case_document(case_path).data
    data = data if isinstance(data, dict) else {}
    written = (str(data.get("scheme")), str(data.get("fiscal_year")))
    if written == (scheme.id, str(scheme.fiscal_year)):
        return case_path, ""
    text = case_path.read_text(encoding="utf-8-sig")
    for key, value in (("scheme", scheme.id), ("fiscal_year", str(scheme.fiscal_year))):
        was = " ".join(str(data.get(key)).split())[:40]
        line = f"{key}: {value}  # 工作台按所选方案改写（原为 {was}）"
        text, found = re.subn(_TOP_KEY.format(key), lambda _: line, text, count=1, flags=re.M)
        if not found:
            return case_path, ""
    variant = case_path.with_name(f"{case_path.stem}.{scheme.id}-{scheme.fiscal_year}.yaml")
    variant.write_text(text, encoding="utf-8")
    return variant, (f"案例原写“{written[0]}”{written[1]} 年度，现按所选方案“{scheme.id}”{scheme.fiscal_year} 年度计分"
                     "（下载的案例 YAML 已相应改写）")


# ------------------------------------------------------------------ a batch -------------


@dataclass
class BatchRun:
    """One batch scored in a thread of its own; the page polls `done` and `count` for its progress."""

    folder: Path
    scheme_path: Path
    scheme_title: str
    noun: str
    total: int
    count: int = 0
    done: bool = False
    problems: list[Problem] = field(default_factory=list)
    cases: int = 0
    errors: int = 0
    grades: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def review(self) -> Path:
        return self.folder / "复核.html"

    @property
    def workbook(self) -> Path:
        return self.folder / "结果.xlsx"

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"batch-{self.folder.name}", daemon=True).start()

    def _run(self) -> None:
        from ..batch import run_batch
        from ..batch_report import write_review_workbook

        records: list[dict[str, Any]] = []
        try:
            outcome = run_batch(self.scheme_path, [self.folder / "inputs"], self.review, jobs=None,
                                on_record=records.append, progress=self._advance)
            stream = io.BytesIO()
            write_review_workbook(stream, outcome.summary, lambda: iter(records), self.noun)
            api.write_atomic(self.workbook, stream.getvalue())
            summary = outcome.summary
            self.cases, self.errors, self.grades = summary.cases, summary.errors, dict(summary.grade_counts)
        except EngineError as error:
            self.problems = error.problems
        except Exception as error:  # noqa: BLE001 - the page says so; the server goes on
            self.problems = [Problem(f"内部错误：{type(error).__name__}: {error}", Location("批量计分"), code="internal")]
        finally:
            self.done = True

    def _advance(self, step: int) -> None:
        self.count += step

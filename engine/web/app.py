"""The workbench's routes: each page reads its request, makes one call into the library (engine.api and
the renderers the CLI uses), and renders a template. Security is in security.py, uploads in uploads.py.

Starlette (a small, well-kept ASGI toolkit: routing, forms, a test client) served by uvicorn; Jinja2
templates with autoescaping; htmx for the parts of a page that change (the scheme editor's checks, a
row's calculation sheet, a batch's progress). No build step, no CDN: htmx is a file of the package.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import api
from ..errors import EngineError, Location, Problem, format_path
from ..quantities import fixed
from . import security
from .catalogue import KIND_NAMES, Catalogue, describe, digest
from .security import (CSRF_FIELD, CSRF_HEADER, MAX_FIELDS, MAX_FILE_BYTES, MAX_FILES, MAX_TEXT_BYTES, BodyTooLarge,
                       Guard, Refused, Secrets, plain_name)
from .table import scored_table, subtotals
from .uploads import BATCH_SUFFIXES, CASE_SUFFIXES, TABLE_SUFFIXES, ZIP_SUFFIX, Entry, Workspace, read_upload, safe_name, zip_entries
from .work import BatchRun, import_upload, open_upload, score_case

HERE = Path(__file__).resolve().parent
DOWNLOADS = {"yaml": ("案例", ".yaml", "text/yaml; charset=utf-8"),
             "xlsx": ("自评表", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
             "html": ("自评表", ".html", "text/html; charset=utf-8"),
             "docx": ("自评报告", ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")}
# A page rendered by the engine (the review, a table) shown inside ours: styles, no script, no requests out.
FRAMED_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"


class Workbench:
    """One workbench process: its schemes folder, cases folder (read only), work folder and secrets."""

    def __init__(self, schemes: Path, cases: Path | None = None, secrets_: Secrets | None = None,
                 work: Path | None = None):
        self.catalogue = Catalogue(schemes)
        self.cases = Path(cases).resolve() if cases is not None and Path(cases).is_dir() else None
        self.secrets = secrets_ or Secrets()
        self.workspace = Workspace(work)
        self.batches: dict[str, BatchRun] = {}
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                                     autoescape=select_autoescape(default=True, default_for_string=True))
        self.templates.globals.update(csrf=self.secrets.csrf, csrf_field=CSRF_FIELD, kind_names=KIND_NAMES, fixed=fixed)
        self.templates.filters["docpath"] = format_path

    # ----------------------------------------------------------------- rendering ----

    def page(self, request: Request | None, template_name: str, code: int = 200, **context: Any) -> HTMLResponse:
        template = self.templates.get_template(template_name)
        return HTMLResponse(template.render(request=request, **context), status_code=code)

    def refusal_page(self, status: int, message: str, hint: str | None) -> bytes:
        # Refused before any route: the page carries no CSRF token (a rebinding page or a remote visitor
        # without the access token must learn nothing from it).
        return self.templates.get_template("error.html").render(status=status, message=message, hint=hint,
                                                                request=None, csrf="").encode("utf-8")

    async def form(self, request: Request, max_files: int = 1) -> FormData:
        """The POSTed form, parsed within limits, its CSRF token checked (htmx header or hidden field)
        before anything in it is used."""
        header = request.headers.get(CSRF_HEADER)
        kind = request.headers.get("content-type", "")
        if not self.secrets.csrf_ok(header) and not kind.startswith(("multipart/form-data",
                                                                     "application/x-www-form-urlencoded")):
            security.check_csrf(self.secrets, None, None)
        try:
            form = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_TEXT_BYTES)
        except (MultiPartException, HTTPException) as error:
            text = str(getattr(error, "detail", None) or error)
            if "Too many files" in text:
                raise Refused(413, f"一次上传的文件过多（至多 {MAX_FILES} 个），已拒绝，未保存任何文件", "请分几次上传")
            if "exceeded maximum size" in text:
                raise Refused(413, f"填写的内容过长（至多 {MAX_TEXT_BYTES // security.MB} MB），已拒绝", None)
            raise Refused(400, "表单内容无法读取，已拒绝", "请从工作台页面重新提交")
        value = form.get(CSRF_FIELD)
        security.check_csrf(self.secrets, header, value if isinstance(value, str) else None)
        files = sum(1 for _, item in form.multi_items() if isinstance(item, UploadFile))
        if files > max_files:
            raise Refused(400 if max_files <= 1 else 413, f"一次上传的文件过多（至多 {max_files} 个），已拒绝，未保存任何文件",
                          "请分几次上传" if max_files > 1 else None)
        return form


# ------------------------------------------------------------------ 计分 ------------------


async def score_form(request: Request) -> Response:
    bench: Workbench = request.app.state.bench
    return bench.page(request, "score_upload.html", tab="score", problems=[])


async def score_upload(request: Request) -> Response:
    bench: Workbench = request.app.state.bench
    form = await bench.form(request, max_files=1)
    upload, text = form.get("file"), form.get("text")
    if isinstance(upload, UploadFile) and upload.filename:
        name = safe_name(upload.filename, "上传的表格")
        raw = await read_upload(upload, MAX_FILE_BYTES)
        if not name.lower().endswith(TABLE_SUFFIXES + CASE_SUFFIXES):
            name += ".txt" if not raw.startswith((b"PK", b"\xd0\xcf", b"%PDF")) else ""
    elif isinstance(text, str) and text.strip():
        name, raw = "粘贴的表格.txt", text.replace("\r\n", "\n").encode("utf-8")
    else:
        return bench.page(request, "score_upload.html", 400, tab="score", problems=[
            Problem("请选择一个文件，或把表格粘贴到文本框里", Location("上传"), code="nothing")])
    if not raw.strip():
        return bench.page(request, "score_upload.html", 400, tab="score", problems=[
            Problem("文件是空的", Location(name), code="empty-file")])
    upload_id, folder = bench.workspace.create([Entry(name, raw)])
    try:
        import_upload(folder, folder / name)
    except EngineError as error:
        shutil.rmtree(folder, ignore_errors=True)
        return bench.page(request, "score_upload.html", 400, tab="score", problems=error.problems, name=name)
    return RedirectResponse(f"/score/{upload_id}", status_code=303)


def _scored(request: Request) -> dict[str, Any]:
    """The upload, its chosen table and scheme, and the case scored by it: what the result page and its
    downloads share."""
    bench: Workbench = request.app.state.bench
    upload = open_upload(bench.workspace.folder(request.path_params["upload"]))
    table = _number(request.query_params.get("table", "1"), "表号")
    case_path = upload.case_path(table)
    identity = upload.tables[table - 1]
    chosen = request.query_params.get("scheme", "")
    if chosen:
        scheme_id, _, year = chosen.partition("/")
        entry = bench.catalogue.entry(scheme_id, year)
    else:
        entry = bench.catalogue.pick(identity["scheme"], identity["year"], identity["kind"])
        if entry is None:
            raise Refused(404, "方案文件夹中没有可用的方案", "请在“方案”页检查方案文件")
    scheme = bench.catalogue.load(entry.path)
    return {"upload": upload, "upload_id": request.path_params["upload"], "table": table, "identity": identity,
            "entry": entry, "scored": score_case(scheme, case_path), "case_path": case_path}


async def score_result(request: Request) -> Response:
    bench: Workbench = request.app.state.bench
    context = _scored(request)
    scored = context["scored"]
    rows, failed, marked, parts = ([], [], set(), [])
    if scored.result is not None:
        rows, failed, marked = scored_table(scored.scheme, scored.case, scored.result)
        parts = subtotals(scored.result)
    query = f"table={context['table']}&scheme={quote(context['entry'].key)}"
    return bench.page(request, "score_result.html", 200 if not scored.problems else 400, tab="score",
                      rows=rows, failed=failed, marked=marked, parts=parts, query=query, entries=bench.catalogue.entries(),
                      numbers=_circled, **context)


async def score_explain(request: Request) -> Response:
    bench: Workbench = request.app.state.bench
    context = _scored(request)
    scored = context["scored"]
    if scored.result is None:
        raise Refused(400, "案例无法按此方案计分，没有计算过程可看", None)
    from ..explain import explain, known_indicators

    indicator = request.path_params["indicator"]
    if indicator not in known_indicators(scored.result):
        raise Refused(404, f"没有指标“{indicator[:40]}”", None)
    text = explain(scored.scheme, scored.case, scored.result, indicator)
    name = next((i.name for i in scored.result.indicators if i.id == indicator), indicator)
    return bench.page(request, "_explain.html", name=name, text=text)


async def score_download(request: Request) -> Response:
    context = _scored(request)
    scored, kind = context["scored"], request.path_params["kind"]
    if kind not in DOWNLOADS:
        raise Refused(404, "没有这种下载格式", "可下载：案例 YAML、xlsx、html、docx")
    if kind == "yaml":
        content: str | bytes = (scored.path or context["case_path"]).read_bytes()
    else:
        if scored.result is None:
            raise Refused(400, "案例无法按此方案计分，请先在页面上看所列问题", None)
        if kind == "docx":
            from ..word_report import render_docx

            content = render_docx(scored.result, scored.case)
        else:
            from ..export import FORMATS

            content = FORMATS[kind](scored.result, scored.case)
    label, suffix, media = DOWNLOADS[kind]
    return _attachment(content, f"{safe_name(context['identity']['name'], '案例')}-{label}{suffix}", media)


# ------------------------------------------------------------------ 方案 ------------------


async def schemes_list(request: Request) -> Response:
    bench: Workbench = request.app.state.bench
    entries = bench.catalogue.entries()
    grouped: dict[str, list] = {}
    for entry in entries:
        grouped.setdefault(entry.id, []).append(entry)
    return bench.page(request, "schemes.html", tab="schemes", grouped=grouped, root=bench.catalogue.root)


def _entry(request: Request):  # noqa: ANN202 - a SchemeEntry
    bench: Workbench = request.app.state.bench
    return bench.catalogue.entry(request.path_params["scheme"], request.path_params["year"])


async def scheme_view(request: Request, code: int = 200, **extra: Any) -> Response:
    bench: Workbench = request.app.state.bench
    entry = _entry(request)
    loaded = bench.catalogue.load(entry.path)
    described = None if isinstance(loaded, EngineError) else describe(loaded)
    folders = sorted(p.name for p in bench.cases.iterdir() if p.is_dir() and not p.name.startswith(".")) \
        if bench.cases is not None else []
    return bench.page(request, "scheme.html", code, tab="schemes", entry=entry, scheme=loaded, described=described,
                      others=[e for e in bench.catalogue.entries() if e.key != entry.key], folders=folders,
                      saved=request.query_params.get("saved"), **extra)


async def scheme_edit(request: Request) -> Response:
    bench: Workbench = request.app.state.bench
    entry = _entry(request)
    raw = entry.path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    problems = bench.catalogue.check_text(entry.path, text)
    return bench.page(request, "scheme_edit.html", tab="schemes", entry=entry, text=text, digest=digest(raw),
                      problems=problems, lines=text.count("\n") + 1)


async def scheme_check(request: Request) -> Response:
    bench: Workbench = request.app.state.bench
    entry = _entry(request)
    form = await bench.form(request, max_files=0)
    text = _text(form)
    problems = bench.catalogue.check_text(entry.path, text)
    return bench.page(request, "_problems.html", entry=entry, problems=problems, oob=True)


async def scheme_save(request: Request) -> Response:
    bench: Workbench = request.app.state.bench
    entry = _entry(request)
    form = await bench.form(request, max_files=0)
    text, opened = _text(form), str(form.get("digest") or "")
    raw = entry.path.read_bytes()
    if digest(raw) != opened:
        return bench.page(request, "scheme_edit.html", 409, tab="schemes", entry=entry, text=text, digest=opened,
                          problems=bench.catalogue.check_text(entry.path, text), lines=text.count("\n") + 1,
                          conflict=True)
    problems = bench.catalogue.check_text(entry.path, text)
    if problems:
        return bench.page(request, "scheme_edit.html", 400, tab="schemes", entry=entry, text=text, digest=opened,
                          problems=problems, lines=text.count("\n") + 1, refused=True)
    if text.encode("utf-8") != raw:
        api.write_atomic(entry.path, text, force=True)
    return RedirectResponse(f"/schemes/{entry.id}/{entry.year}?saved=1", status_code=303)


async def scheme_new_year(request: Request) -> Response:
    bench: Workbench = request.app.state.bench
    entry = _entry(request)
    form = await bench.form(request, max_files=0)
    year = str(form.get("year") or "").strip()
    if not re.fullmatch(r"20\d\d|2100", year):
        return await scheme_view(request, 400, new_year_problems=[
            Problem(f"年度“{year[:20]}”不对", Location("新年度"), hint="写四位数的年度，如 2025", code="bad-year")])
    bench.catalogue.path(entry.id, year)  # inside the folder, or refused
    try:
        api.new_year(entry.path, int(year))
    except EngineError as error:
        return await scheme_view(request, 400, new_year_problems=error.problems)
    return RedirectResponse(f"/schemes/{entry.id}/{year}?saved=new", status_code=303)


async def scheme_diff(request: Request) -> Response:
    bench: Workbench = request.app.state.bench
    entry = _entry(request)
    other_id, _, other_year = request.query_params.get("other", "").partition("/")
    other = bench.catalogue.entry(other_id, other_year)
    folder = request.query_params.get("cases", "")
    cases = None
    if folder:
        if bench.cases is None:
            raise Refused(404, "启动时没有指定案例文件夹", "用 engine serve --cases 文件夹 启动")
        cases = [security.inside(bench.cases, plain_name(folder, "案例文件夹"))]
    try:
        report = api.diff(other.path, entry.path, cases)
        text, problems = report.text, []
    except EngineError as error:
        text, problems = "", error.problems
    return bench.page(request, "diff.html", tab="schemes", entry=entry, other=other, folder=folder, text=text,
                      problems=problems)


async def scheme_download(request: Request) -> Response:
    entry = _entry(request)
    return _attachment(entry.path.read_bytes(), f"{entry.id}-{entry.year}.yaml", "text/yaml; charset=utf-8")


async def scheme_template(request: Request) -> Response:
    entry = _entry(request)
    return _attachment(api.template(entry.path), f"{entry.id}-{entry.year}-空白案例.yaml", "text/yaml; charset=utf-8")


def _text(form: FormData) -> str:
    text = form.get("text")
    if not isinstance(text, str):
        raise Refused(400, "没有收到方案内容", None)
    return text.replace("\r\n", "\n")  # a browser sends a textarea's lines ended by CR LF


# ------------------------------------------------------------------ 批量 ------------------


async def batch_form(request: Request) -> Response:
    bench: Workbench = request.app.state.bench
    return bench.page(request, "batch_upload.html", tab="batch", entries=bench.catalogue.entries(), problems=[])


async def batch_upload(request: Request) -> Response:
    bench: Workbench = request.app.state.bench
    form = await bench.form(request, max_files=MAX_FILES)
    scheme_id, _, year = str(form.get("scheme") or "").partition("/")
    entry = bench.catalogue.entry(scheme_id, year)
    entries: list[Entry] = []
    skipped: list[str] = []
    for upload in form.getlist("files"):
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        name = safe_name(upload.filename)
        raw = await read_upload(upload, security.MAX_REQUEST_BYTES if name.lower().endswith(ZIP_SUFFIX) else MAX_FILE_BYTES)
        if name.lower().endswith(ZIP_SUFFIX):
            unpacked, left = zip_entries(raw, name)
            entries += [Entry(f"inputs/{e.name}", e.data) for e in unpacked]
            skipped += [f"{name}：{n}" for n in left]
        elif name.lower().endswith(BATCH_SUFFIXES):
            entries.append(Entry(f"inputs/{name}", raw))
        else:
            skipped.append(name)
    if len(entries) > MAX_FILES:
        raise Refused(413, f"文件过多（{len(entries)} 个，一次至多 {MAX_FILES} 个），已拒绝，未保存任何文件", "请分几次上传")
    if not entries:
        return bench.page(request, "batch_upload.html", 400, tab="batch", entries=bench.catalogue.entries(), problems=[
            Problem("没有可计分的文件" + (f"（未计分：{'、'.join(skipped[:10])}）" if skipped else ""), Location("上传"),
                    hint="请选择自评表（Excel、Word、网页、PDF、文本）、案例文件（.yaml）或它们的 zip 压缩包",
                    code="nothing")])
    scheme = bench.catalogue.load(entry.path)
    if isinstance(scheme, EngineError):
        raise Refused(400, f"方案 {entry.key} 有问题，无法计分", "请先在“方案”页改正")
    upload_id, folder = bench.workspace.create(entries)
    from ..batch import count_items

    run = BatchRun(folder, entry.path, f"{scheme.title}（{scheme.fiscal_year}）批量计分复核",
                   "项目" if scheme.case_kind == "project" else "名称", count_items([folder / "inputs"]), skipped=skipped)
    bench.batches[upload_id] = run
    run.start()
    return RedirectResponse(f"/batch/{upload_id}", status_code=303)


def _run(request: Request) -> BatchRun:
    bench: Workbench = request.app.state.bench
    upload_id = request.path_params["upload"]
    bench.workspace.folder(upload_id)
    run = bench.batches.get(upload_id)
    if run is None:
        raise Refused(404, "找不到这次批量计分", "请重新上传")
    return run


async def batch_status(request: Request) -> Response:
    bench: Workbench = request.app.state.bench
    return bench.page(request, "batch_status.html", tab="batch", run=_run(request),
                      upload_id=request.path_params["upload"])


async def batch_progress(request: Request) -> Response:
    bench: Workbench = request.app.state.bench
    run = _run(request)
    if run.done:  # the whole page, now with its results
        return Response(status_code=200, headers={"HX-Refresh": "true"})
    return bench.page(request, "_progress.html", run=run, upload_id=request.path_params["upload"])


async def batch_review(request: Request) -> Response:
    run = _finished(request)
    response = HTMLResponse(run.review.read_text(encoding="utf-8"))
    response.headers["content-security-policy"] = FRAMED_POLICY
    return response


async def batch_download(request: Request) -> Response:
    run = _finished(request)
    kind = request.path_params["kind"]
    if kind == "html":
        return _attachment(run.review.read_bytes(), "复核.html", "text/html; charset=utf-8")
    if kind == "xlsx":
        return _attachment(run.workbook.read_bytes(), "结果.xlsx", DOWNLOADS["xlsx"][2])
    raise Refused(404, "没有这种下载格式", "可下载：复核.html、结果.xlsx")


def _finished(request: Request) -> BatchRun:
    run = _run(request)
    if not run.done:
        raise Refused(409, "批量计分尚未完成", "请稍候，完成后页面会自动显示结果")
    if run.problems or not run.review.is_file():
        raise Refused(400, "批量计分没有完成，没有结果可看", None)
    return run


# ------------------------------------------------------------------ shared ----------------


def _number(text: str, what: str) -> int:
    if not re.fullmatch(r"[1-9]\d{0,3}", text):
        raise Refused(400, f"{what}“{text[:20]}”不对", None)
    return int(text)


def _circled(n: int) -> str:
    return chr(0x2460 + n - 1) if 1 <= n <= 20 else f"({n})"


def _attachment(content: str | bytes, name: str, media: str) -> Response:
    body = content.encode("utf-8") if isinstance(content, str) else content
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", name) or "download"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=media, headers={"content-disposition": disposition})


def create_app(schemes: str | Path, cases: str | Path | None = None, *, secrets_: Secrets | None = None,
               allow_remote: bool = False, work: str | Path | None = None,
               max_body: int = security.MAX_REQUEST_BYTES) -> Any:
    """The workbench as an ASGI application (wrapped by the Guard), for uvicorn or a test client."""
    bench = Workbench(Path(schemes), Path(cases) if cases is not None else None, secrets_,
                      Path(work) if work is not None else None)
    routes = [
        Route("/", lambda request: RedirectResponse("/score", status_code=303)),
        Route("/score", score_form), Route("/score", score_upload, methods=["POST"]),
        Route("/score/{upload}", score_result),
        Route("/score/{upload}/explain/{indicator}", score_explain),
        Route("/score/{upload}/download/{kind}", score_download),
        Route("/schemes", schemes_list),
        Route("/schemes/{scheme}/{year}", scheme_view),
        Route("/schemes/{scheme}/{year}/edit", scheme_edit),
        Route("/schemes/{scheme}/{year}/check", scheme_check, methods=["POST"]),
        Route("/schemes/{scheme}/{year}/save", scheme_save, methods=["POST"]),
        Route("/schemes/{scheme}/{year}/new-year", scheme_new_year, methods=["POST"]),
        Route("/schemes/{scheme}/{year}/diff", scheme_diff),
        Route("/schemes/{scheme}/{year}/download", scheme_download),
        Route("/schemes/{scheme}/{year}/template", scheme_template),
        Route("/batch", batch_form), Route("/batch", batch_upload, methods=["POST"]),
        Route("/batch/{upload}", batch_status),
        Route("/batch/{upload}/progress", batch_progress),
        Route("/batch/{upload}/review", batch_review),
        Route("/batch/{upload}/download/{kind}", batch_download),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]

    def refused(request: Request, error: Refused) -> Response:
        return bench.page(request, "error.html", error.status, message=error.message, hint=error.hint, status=error.status)

    def engine_error(request: Request, error: EngineError) -> Response:
        return bench.page(request, "error.html", 400, message="输入有问题：", problems=error.problems, status=400)

    def too_large(request: Request, error: BodyTooLarge) -> Response:
        return refused(request, security.too_large())

    def http_error(request: Request, error: HTTPException) -> Response:
        messages = {404: "没有这个页面", 405: "不能这样访问这个地址"}
        return bench.page(request, "error.html", error.status_code, status=error.status_code,
                          message=messages.get(error.status_code, "请求有误"), hint="请从工作台的页面进入")

    def internal(request: Request, error: Exception) -> Response:
        return bench.page(request, "error.html", 500, status=500, message=f"内部错误：{type(error).__name__}",
                          hint="这是本程序的缺陷，请把这句话和所用文件报告给维护者；你的文件没有被改动")

    app = Starlette(routes=routes, exception_handlers={
        Refused: refused, EngineError: engine_error, BodyTooLarge: too_large, HTTPException: http_error,
        Exception: internal})
    app.state.bench = bench
    guarded = Guard(app, bench.secrets, bench.refusal_page, allow_remote=allow_remote, max_body=max_body)
    guarded.bench = bench  # type: ignore[attr-defined] - for tests and the CLI
    return guarded

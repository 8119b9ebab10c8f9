"""Reading saved web pages (.html / .htm): every data table, with the text around it.

Government pages wrap their content in layout tables; only tables that hold no other table are
read as tables, the rest is text, each block a row of one cell (the title above a table is such
a block). `rowspan` repeats a cell's text into the rows it covers as a `copy`, `colspan` widens
it, following the HTML table model, with spans bounded so a page cannot claim a million cells.

A page is bounded before it is parsed — at most MAX_XML_TAGS tags, counted as `<` in its text — and
after: lxml stops nesting at 256 levels and drops what is deeper, so a page it had to cut is refused
rather than read with its table silently missing.
"""

from __future__ import annotations

from ..errors import Location, Problem
from . import MAX_COLUMNS, MAX_ROWS, MAX_XML_TAGS, Cell, Grid, ReadError, Reading, check_size, clip

FORMAT = "网页（HTML）"
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article", "header",
           "footer", "caption", "center", "blockquote", "pre", "br", "hr", "dt", "dd", "tr", "table", "form", "td", "th"}
_SKIP = {"script", "style", "noscript", "template", "head", "title", "meta", "link", "iframe", "object", "svg"}


def read_html(text: str, source: str) -> Reading:
    import lxml.html
    from lxml import etree

    tags = text.count("<")
    if tags > MAX_XML_TAGS:
        raise ReadError(Problem(f"网页的标签过多（{tags:,} 个，上限 {MAX_XML_TAGS:,} 个）", Location(source),
                                code="table-too-large", hint="一张自评表的网页不会这么大；请只保存含表格的部分"))
    try:
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, no_network=True, huge_tree=False)
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ReadError(Problem(f"网页无法解析：{str(exc)[:200]}", Location(source), code="broken-html")) from None
    for entry in parser.error_log:  # lxml cuts what passes its limits and goes on: refuse rather than read less
        if entry.type_name == "ERR_RESOURCE_LIMIT" or "huge" in entry.message.lower() or "depth" in entry.message:
            what = "的标签嵌套过深（超过 256 层）" if "depth" in entry.message else "中有一段文字过长（超过 10 MB）"
            raise ReadError(Problem(f"网页{what}，无法完整读取", Location(source, entry.line or None),
                                    code="broken-html", hint="真实的网页不会这样；请检查文件来源"))
    builder = _Builder(source)
    body = root.find("body")
    try:
        builder.walk(body if body is not None else root)
    except RecursionError:
        raise ReadError(Problem("网页的标签嵌套过深，无法读取", Location(source), code="broken-html")) from None
    builder.flush(None)
    return Reading(source, FORMAT, [Grid(source, None, builder.rows, FORMAT, merged=True)])


class _Builder:
    def __init__(self, source: str):
        self.source = source
        self.rows: list[list[Cell]] = []
        self.buffer: list[str] = []
        self.buffer_line: int | None = None
        self.tables = 0

    def flush(self, line: int | None) -> None:
        text = "".join(self.buffer)
        self.buffer = []
        for part in text.split("\n"):
            at = self.buffer_line or line or 0
            part = clip(part, self.source, f"第 {at} 行")
            if part:
                self.rows.append([Cell(part, f"第 {at} 行", at, 1, self.source)])
        self.buffer_line = None
        check_size(len(self.rows), 1, self.source, "网页")

    def add(self, text: str | None, line: int | None) -> None:
        if text:
            if self.buffer_line is None and text.strip():
                self.buffer_line = line
            self.buffer.append(text)

    def walk(self, element) -> None:  # noqa: ANN001
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIP:
            self.add(element.tail, element.sourceline)
            return
        if tag == "table" and element.find(".//table") is None:
            self.flush(element.sourceline)
            self.tables += 1
            self.rows.extend(_table_rows(element, self.tables, self.source))
            check_size(len(self.rows), 1, self.source, "网页")
            self.add(element.tail, element.sourceline)
            return
        block = tag in _BLOCKS
        if block:
            self.flush(element.sourceline)
        self.add(element.text, element.sourceline)
        for child in element:
            self.walk(child)
        if block:
            self.add("\n", None)
        self.add(element.tail, element.sourceline)


def _span(value: str | None, limit: int) -> int:
    try:
        return max(1, min(int(str(value).strip() or 1), limit))
    except ValueError:
        return 1


def _table_rows(table, number: int, source: str) -> list[list[Cell]]:  # noqa: ANN001
    place = f"{source}［表 {number}］"
    trs = [tr for tr in table.iter("tr") if _owner(tr) is table]
    check_size(len(trs), 1, source, f"表 {number}")
    pending: dict[int, tuple[Cell, int]] = {}  # grid column -> (origin cell, rows still to cover)
    rows: list[list[Cell]] = []
    for r, tr in enumerate(trs, 1):
        cells: list[Cell] = []
        column = 1
        tds = [td for td in tr if isinstance(td.tag, str) and td.tag in ("td", "th")]

        def fill_pending() -> None:
            nonlocal column
            while column in pending:
                origin, left = pending[column]
                cells.append(Cell(origin.text, origin.ref, tr.sourceline, column, place, origin.span, copy=True))
                if left <= 1:
                    del pending[column]
                else:
                    pending[column] = (origin, left - 1)
                column += origin.span

        for td in tds:
            fill_pending()
            colspan = _span(td.get("colspan"), MAX_COLUMNS)
            rowspan = _span(td.get("rowspan"), MAX_ROWS)
            ref = f"表 {number} 第 {r} 行第 {column} 列"
            cell = Cell(clip(_cell_text(td), source, ref), ref, tr.sourceline, column, place, colspan)
            cells.append(cell)
            if rowspan > 1:
                pending[column] = (cell, min(rowspan - 1, len(trs) - r))
            column += colspan
            check_size(r, column, source, f"表 {number}")
        fill_pending()
        rows.append(cells)
    return rows


def _owner(tr):  # noqa: ANN001, ANN202
    parent = tr.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _cell_text(td) -> str:  # noqa: ANN001
    parts: list[str] = []

    def walk(element) -> None:  # noqa: ANN001
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIP:
            if element.tail:
                parts.append(element.tail)
            return
        if tag in ("br", "p", "div", "li") and parts:
            parts.append("\n")
        if element.text:
            parts.append(element.text)
        for child in element:
            walk(child)
        if element is not td and element.tail:
            parts.append(element.tail)

    walk(td)
    lines = [" ".join(line.split()) for line in "".join(parts).split("\n")]
    return "\n".join(line for line in lines if line)

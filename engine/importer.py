"""Import, end to end: read a file (engine.read), recognise its tables (engine.recognise), write cases.

The case is written as readable YAML in the case format, every value commented with the cell it
came from, and every cell of the table the recogniser could not place listed under `unmapped`.
The sections of a 自评报告 printed around the tables go under `report:`, each commented with where
its heading is: they are narrative, not cells of the table, and are not counted among them.
"""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Any

from .errors import Path
from .load import Document
from .read import Reading, read_file
from .recognise import MAX_SECTION_CHARS, REPORT_SECTION_NAMES, ImportedCase, ImportError_, recognise
from .safe_text import printable
from .vocabulary import load_vocabulary
from .yamlwrite import flow_mapping, key_value, yaml_comment, yaml_scalar

__all__ = ["ImportedCase", "ImportError_", "import_tables", "import_reading", "case_yaml", "case_document",
           "suggested_file_name", "yaml_scalar", "flow_mapping"]


def import_tables(path: str | FsPath, vocabulary: list[str | FsPath] | None = None,
                  year: int | None = None) -> list[ImportedCase]:
    """Every 项目 / 部门整体 table in the file, each as case data; ImportError_ if there is none."""
    return import_reading(read_file(path), vocabulary, year)


def import_reading(reading: Reading, vocabulary: list[str | FsPath] | None = None,
                   year: int | None = None) -> list[ImportedCase]:
    return recognise(reading, load_vocabulary(vocabulary), year)


def import_report(cases: list[ImportedCase], targets: list[str]) -> list[str]:
    """What the import did, for the terminal: the format read, per table how every cell was accounted for,
    and which sections of a 自评报告 it read (or left out, too long to be one).

    Names, titles and cells come from the file, so each is shown on one line with its control and bidi
    characters made visible (`safe_text.printable`): a cell cannot move the cursor, recolour or retitle
    the terminal, or start a line that looks like the engine's own."""
    if not cases:
        return []
    lines = [f"按{cases[0].format or '文本'}读取，找到 {len(cases)} 张表："]
    for n, (case, target) in enumerate(zip(cases, targets), 1):
        cells = len(case.table_cells)
        in_table = {cell.key for cell in case.table_cells}
        label_keys = {cell.key for cell in case.labels} & in_table
        values = len({cell.key for path, cell in case.provenance.items()
                      if path[0] != "unmapped" and cell.text} & in_table - label_keys)
        labels = len(label_keys)
        where = f" → {printable(target)}" if target else ""
        lines.append(f"  {n}. {printable(case.title.split('（')[0])}“{printable(case.name)}”{where}：{cells} 个非空单元格，"
                     f"读入 {values} 个，栏目名 {labels} 个，未识别 {len(case.unmapped)} 个")
        if case.unmapped:
            shown = "、".join(f"{printable(cell.ref)}“{printable(_short(cell.text))}”" for cell in case.unmapped[:3])
            more = f" 等 {len(case.unmapped)} 个" if len(case.unmapped) > 3 else ""
            lines.append(f"     未识别的单元格照原样列在案例的 unmapped 下：{shown}{more}")
        sections = [REPORT_SECTION_NAMES[key] for key in case.data.get("report") or {} if key in REPORT_SECTION_NAMES]
        if sections:
            lines.append(f"     自评报告正文 {len(sections)} 节读入 report：{'、'.join(sections)}")
        for key in case.report_left_out:
            name = REPORT_SECTION_NAMES.get(key, key)
            lines.append(f"     自评报告的“{name}”一节超过 {MAX_SECTION_CHARS:,} 个字符，不像一节正文，未读入（没有截断）")
    return lines


def _short(text: str, limit: int = 16) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


# ------------------------------------------------------------------ writing the case ----

# Where the case format takes a figure: there text that is a plain number ("45", "90.5") is written bare, to
# be read back as the number it is; everywhere else text stays text ("0123", "2023", "1e3" quoted).
_FIGURE_SECTIONS = frozenset({"reported", "data", "assessments"})
_FIGURE_ROWS = frozenset({"funds", "indicators", "key_tasks", "personalized_indicators"})
_FIGURES = frozenset({"initial_budget", "full_year_budget", "executed", "target", "actual", "weight", "score",
                      "coefficient", "rate", "total", "appropriation", "other"})
FLOW_WIDTH = 2_000  # a row longer than this on one line is written as a block, a value to a line


def _keeps_text(path: Path) -> bool:
    if not path or path[0] in _FIGURE_SECTIONS:
        return not path
    last = next((part for part in reversed(path) if isinstance(part, str)), None)
    return not (path[0] in _FIGURE_ROWS and last in _FIGURES)


def case_yaml(case: ImportedCase, schema_path: str = "../../schemas/case.schema.json") -> str:
    """The case as readable YAML in the case format, each value or row commented with where it was read.

    Whatever a cell held reads back the same: text through `yamlwrite` (escaped, quoted, folded as it
    needs), and every comment — the file's name, the table's title, a sheet's name in a cell reference —
    on one line with its control characters escaped, so no cell can add a line to the file."""
    provenance = case.provenance
    lines = [
        f"# yaml-language-server: $schema={yaml_comment(schema_path)}",
        f"# 由 engine import 自 {yaml_comment(case.source)} 导入：{yaml_comment(case.title)}",
        "# 每个数值后的注释是它在原文件中的位置；原表所填的分值、得分、总分、等级在 reported 下，只供核对。",
    ]

    def comment(path: Path) -> str:
        cell = provenance.get(path)
        return f"  # {yaml_comment(cell.ref)}" if cell else ""

    def scalar(value: Any, path: Path, indent: int) -> str:
        return yaml_scalar(value, typed=_keeps_text(path), indent=indent)

    def flow(entry: dict[str, Any], path: Path) -> str:
        return flow_mapping(entry, typed=lambda key: _keeps_text(path + (key,)))

    def emit(value: dict[str, Any], path: Path, indent: int, first: str | None = None) -> None:
        pad = "  " * indent
        for n, (key, item) in enumerate(value.items()):
            lead = first if first is not None and n == 0 else pad
            here = path + (key,)
            if isinstance(item, dict):
                row = flow(item, here) if item and all(not isinstance(v, (dict, list)) for v in item.values()) \
                    and len(item) <= 6 and path else None
                if row is not None and len(row) <= FLOW_WIDTH:
                    lines.append(key_value(lead, key, f" {row}{_row_comment(here, item)}"))
                elif item:
                    lines.append(key_value(lead, key, comment(here)))
                    emit(item, here, indent + 1)
                else:
                    lines.append(key_value(lead, key, " {}"))
            elif isinstance(item, list):
                lines.append(key_value(lead, key, comment(here) if item else " []"))
                for i, entry in enumerate(item):
                    at = here + (i,)
                    if isinstance(entry, dict):
                        row = flow(entry, at)
                        if len(row) <= FLOW_WIDTH or not entry:
                            lines.append(f"{pad}  - {row}{_row_comment(at, entry)}")
                        else:  # too long for one line: a value to a line
                            emit(entry, at, indent + 2, first=f"{pad}  - ")
                    else:
                        lines.append(f"{pad}  - {scalar(entry, at, len(pad) + 4)}{comment(at)}")
            else:
                lines.append(key_value(lead, key, f" {scalar(item, here, len(lead))}{comment(here)}"))

    def _row_comment(path: Path, entry: dict[str, Any]) -> str:
        if path in provenance:
            return f"  # {yaml_comment(provenance[path].ref)}"
        refs = list(dict.fromkeys(provenance[path + (key,)].ref for key in entry if path + (key,) in provenance))
        if not refs:
            return ""
        shown = refs[0] if len(refs) == 1 else f"{refs[0]} … {refs[-1]}"
        return f"  # {yaml_comment(shown)}"

    emit(case.data, (), 0)
    return "\n".join(lines) + "\n"


def case_document(case: ImportedCase) -> Document:
    """The imported case as a document whose positions are the cells of the original table."""
    positions = {path: (cell.line, cell.column or None, cell.place or case.source) for path, cell in case.provenance.items()}
    positions.setdefault((), (case.provenance[("name",)].line if ("name",) in case.provenance else 1, None, case.source))
    return Document(case.source, case.data, positions)


# A file name is at most 255 bytes on Linux, and the writer's temporary file and a "-2" for a second table
# of the same name go around it; Chinese is three bytes a character in UTF-8.
MAX_FILE_NAME_BYTES = 200
_NOT_IN_FILE_NAMES = re.compile(r"[\\/:*?\"<>|\s\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+")


def suggested_file_name(case: ImportedCase) -> str:
    """项目-<name>.yaml: one file name in the output folder whatever the name holds — no path separator,
    control or bidi character, no leading dot, and no longer than MAX_FILE_NAME_BYTES in UTF-8."""
    name = _NOT_IN_FILE_NAMES.sub("-", case.name).strip("-. ") or "case"
    prefix = "项目" if case.kind == "project" else "部门整体"
    room = MAX_FILE_NAME_BYTES - len(f"{prefix}-.yaml".encode("utf-8"))
    name = name.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip("-. ") or "case"
    return f"{prefix}-{name}.yaml"

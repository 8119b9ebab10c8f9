"""Import, end to end: read a file (engine.read), recognise its tables (engine.recognise), write cases.

The case is written as readable YAML in the case format, every value commented with the cell it
came from, and every cell of the table the recogniser could not place listed under `unmapped`.
"""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Any

from .errors import Path
from .load import Document
from .read import Reading, read_file
from .recognise import ImportedCase, ImportError_, recognise
from .vocabulary import load_vocabulary
from .yamlwrite import flow_mapping, yaml_key, yaml_scalar

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
    """What the import did, for the terminal: the format read, and per table how every cell was accounted for."""
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
        where = f" → {target}" if target else ""
        lines.append(f"  {n}. {case.title.split('（')[0]}“{case.name}”{where}：{cells} 个非空单元格，"
                     f"读入 {values} 个，栏目名 {labels} 个，未识别 {len(case.unmapped)} 个")
        if case.unmapped:
            shown = "、".join(f"{cell.ref}“{_short(cell.text)}”" for cell in case.unmapped[:3])
            more = f" 等 {len(case.unmapped)} 个" if len(case.unmapped) > 3 else ""
            lines.append(f"     未识别的单元格照原样列在案例的 unmapped 下：{shown}{more}")
    return lines


def _short(text: str, limit: int = 16) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


# ------------------------------------------------------------------ writing the case ----

def case_yaml(case: ImportedCase, schema_path: str = "../../schemas/case.schema.json") -> str:
    """The case as readable YAML in the case format, each value or row commented with where it was read."""
    provenance = case.provenance
    lines = [
        f"# yaml-language-server: $schema={schema_path}",
        f"# 由 engine import 自 {case.source} 导入：{case.title}",
        "# 每个数值后的注释是它在原文件中的位置；原表所填的分值、得分、总分、等级在 reported 下，只供核对。",
    ]

    def comment(path: Path) -> str:
        cell = provenance.get(path)
        return f"  # {cell.ref}" if cell else ""

    def emit(value: Any, path: Path, indent: int) -> None:
        pad = "  " * indent
        for key, item in value.items():
            here = path + (key,)
            if isinstance(item, dict):
                if item and all(not isinstance(v, (dict, list)) for v in item.values()) and len(item) <= 6 and path:
                    lines.append(f"{pad}{yaml_key(key)}: {flow_mapping(item)}{_row_comment(here, item)}")
                else:
                    lines.append(f"{pad}{yaml_key(key)}:{comment(here)}")
                    emit(item, here, indent + 1)
            elif isinstance(item, list):
                lines.append(f"{pad}{yaml_key(key)}:{comment(here)}" if item else f"{pad}{yaml_key(key)}: []")
                for i, entry in enumerate(item):
                    if isinstance(entry, dict):
                        lines.append(f"{pad}  - {flow_mapping(entry)}{_row_comment(here + (i,), entry)}")
                    else:
                        lines.append(f"{pad}  - {yaml_scalar(entry)}{comment(here + (i,))}")
            else:
                lines.append(f"{pad}{yaml_key(key)}: {yaml_scalar(item)}{comment(here)}")

    def _row_comment(path: Path, entry: dict[str, Any]) -> str:
        if path in provenance:
            return f"  # {provenance[path].ref}"
        refs = list(dict.fromkeys(provenance[path + (key,)].ref for key in entry if path + (key,) in provenance))
        if not refs:
            return ""
        return f"  # {refs[0]}" if len(refs) == 1 else f"  # {refs[0]} … {refs[-1]}"

    emit(case.data, (), 0)
    return "\n".join(lines) + "\n"


def case_document(case: ImportedCase) -> Document:
    """The imported case as a document whose positions are the cells of the original table."""
    positions = {path: (cell.line, cell.column or None, cell.place or case.source) for path, cell in case.provenance.items()}
    positions.setdefault((), (case.provenance[("name",)].line if ("name",) in case.provenance else 1, None, case.source))
    return Document(case.source, case.data, positions)


def suggested_file_name(case: ImportedCase) -> str:
    name = re.sub(r"[\\/:*?\"<>|\s]+", "-", case.name).strip("-") or "case"
    prefix = "项目" if case.kind == "project" else "部门整体"
    return f"{prefix}-{name}.yaml"

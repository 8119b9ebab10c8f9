"""Stage 5, report: render a Result as text for people (table) or JSON for other tools.

Rendering returns strings; only the CLI writes them. Numbers are printed from their Decimal
values: scores with exactly the scheme's places, figures as the case wrote them.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from tabulate import tabulate

from .errors import EngineError
from .model import CheckResult, GroupResult, IndicatorResult, Result
from .quantities import fixed, plain_number
from .rules import FLAG_LABELS
from .safe_text import printable

JSON_FORMAT_VERSION = 1
_LEVEL_NAMES = "一二三四五六七八九"
_DISPLAY_NATURE = {"≥": "≥", "≤": "≤", "=": "=", "定性": "定性"}
_TABLE_NAMES = {"project": "项目支出绩效自评表", "department": "部门整体支出绩效自评表"}


# ------------------------------------------------------------------ JSON -------------


def result_to_dict(result: Result) -> dict[str, Any]:
    """The stable JSON contract: identity, total, grade, flat indicators, group tree, checks."""
    places = result.places
    return {
        "format_version": JSON_FORMAT_VERSION,
        "scheme": result.scheme,
        "case": result.case,
        "total": _score(result.total, places),
        "max_total": _score(result.max_total, places),
        "grade": result.grade,
        "indicators": [_indicator(i, places) for i in result.indicators],
        "groups": _group(result.groups, places),
        "checks": [_check(c) for c in result.checks],
        "notes": list(result.notes),
        "values": {name: Decimal(fixed(v, places)) if isinstance(v, Decimal) else v for name, v in result.values.items()},
    }


def _score(value: Decimal, places: int) -> Decimal:
    return Decimal(fixed(value, places))


def _figure_value(value: Any, indicator: IndicatorResult, places: int) -> Any:
    """Figures a case wrote stay as written; figures the engine computed show the scheme's places."""
    if isinstance(value, Decimal) and not indicator.from_case:
        return Decimal(fixed(value, places))
    return value


def _indicator(indicator: IndicatorResult, places: int) -> dict[str, Any]:
    data = {
        "id": indicator.id,
        "name": indicator.name,
        "path": list(indicator.path),
        "weight": _score(indicator.weight, places),
        "score": _score(indicator.score, places),
        "rule": indicator.rule,
        "branch": indicator.branch,
    }
    figures = {"nature": indicator.nature, "target": indicator.target, "unit": indicator.unit,
               "actual": indicator.actual}
    data.update({key: _figure_value(value, indicator, places) for key, value in figures.items() if value is not None})
    if indicator.reported_score is not None:
        data["reported_score"] = indicator.reported_score
    if indicator.flags:
        data["flags"] = list(indicator.flags)
    if indicator.not_applicable:
        data["not_applicable"] = indicator.not_applicable
    return data


def _group(group: GroupResult, places: int) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "weight": _score(group.weight, places),
        "score": _score(group.score, places),
        "children": [
            _group(child, places) if isinstance(child, GroupResult)
            else {"id": child.id, "name": child.name, "weight": _score(child.weight, places),
                  "score": _score(child.score, places)}
            for child in group.children
        ],
    }


def _check(check: CheckResult) -> dict[str, Any]:
    data = {"id": check.id, "name": check.name, "ok": check.ok, "status": check.status, "message": check.message}
    if check.details:
        data["details"] = list(check.details)
    return data


def dumps(data: Any, indent: int = 2) -> str:
    """JSON text in which every Decimal is written as the exact number it is (28.33, 100.00)."""
    return _encode(data, indent, 0)


def _encode(value: Any, indent: int, level: int) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        if not value:
            return "{}"
        pad, inner = " " * (indent * level), " " * (indent * (level + 1))
        items = [f"{inner}{_json_text(json.dumps(str(k), ensure_ascii=False))}: {_encode(v, indent, level + 1)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if all(not isinstance(v, (dict, list, tuple)) for v in value):
            return "[" + ", ".join(_encode(v, indent, level) for v in value) + "]"
        pad, inner = " " * (indent * level), " " * (indent * (level + 1))
        return "[\n" + ",\n".join(inner + _encode(v, indent, level + 1) for v in value) + f"\n{pad}]"
    return _json_text(json.dumps(value, ensure_ascii=False))


# json.dumps escapes C0 controls but writes DEL, C1 controls, bidi controls and the line separators as they
# are; written as \uXXXX instead, the JSON means the same text but can be printed to a terminal.
_JSON_RAW = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _json_text(encoded: str) -> str:
    return _JSON_RAW.sub(lambda match: f"\\u{ord(match.group()):04x}", encoded)


def render_json(result: Result) -> str:
    return dumps(result_to_dict(result)) + "\n"


def render_error_json(error: EngineError) -> str:
    return dumps(error.to_dict()) + "\n"


# ------------------------------------------------------------------ table ------------


def render_table(result: Result) -> str:
    """The scored table as people read it: one row per indicator, then total, grade, checks."""
    places = result.places
    depth = max((len(i.path) + 1 for i in result.indicators), default=1)
    depth = max(depth, 3)
    headers = [f"{_LEVEL_NAMES[i]}级指标" for i in range(depth)] + ["性质", "指标值", "单位", "实际完成值", "分值", "得分"]
    rows = []
    previous: tuple[str, ...] = ()
    for indicator in result.indicators:
        levels = list(indicator.path) + [indicator.name]
        shown = [
            "" if tuple(levels[: i + 1]) == previous[: i + 1] and i < len(levels) - 1 else level
            for i, level in enumerate(levels)
        ]
        previous = tuple(levels)
        rows.append([printable(cell) for cell in shown + [""] * (depth - len(levels)) + [
            _DISPLAY_NATURE.get(indicator.nature or "", ""),
            _figure(_figure_value(indicator.target, indicator, places)),
            indicator.unit or "",
            _figure(_figure_value(indicator.actual, indicator, places)),
            plain_number(indicator.weight),
            fixed(indicator.score, places) + (" *" if indicator.not_applicable else "") + (" ※" if indicator.flags else ""),
        ]])
    case, scheme = result.case, result.scheme
    table_name = _TABLE_NAMES.get(case.get("kind"), "绩效自评表")
    title = f"{case.get('fiscal_year', '')} 年度{table_name}：{case.get('name', '')}"
    lines = [
        title,
        f"方案：{scheme['title']}［{scheme['id']} {scheme['fiscal_year']}"
        + (f" 版本 {scheme['version']}" if scheme.get("version") else "") + "］",
    ]
    owners = [f"{label}：{case[key]}" for key, label in (("department", "主管部门"), ("implementer", "实施单位")) if case.get(key)]
    if owners:
        lines.append("　".join(owners))
    lines = [printable(line) for line in lines]  # case text on one line each: a name cannot start a line of its own
    lines.append("")
    lines.append(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True,
                          colalign=("left",) * (depth + 4) + ("right", "right")))
    subtotals = render_subtotals(result.groups, places)
    if subtotals:
        lines += ["", "分项得分", subtotals]
    lines.append("")
    footer = [f"总分 {fixed(result.total, places)} / {fixed(result.max_total, places)}　等级 {result.grade}"]
    flagged = [i for i in result.indicators if i.flags]
    if flagged:
        footer.append("※ 提示：" + "；".join(
            f"{i.name}（{'、'.join(FLAG_LABELS.get(flag, flag) for flag in i.flags)}）" for i in flagged))
    if any(i.not_applicable for i in result.indicators):
        footer.append("* 不适用：" + "；".join(
            f"{i.name}（{'按满分计' if i.not_applicable == 'full_marks' else '分值已分给同级指标'}）"
            for i in result.indicators if i.not_applicable))
    footer.extend(f"注：{note}" for note in result.notes)
    lines.extend(printable(line) for line in footer)
    lines.append("")
    lines.extend(render_checks(result.checks))
    return "\n".join(lines) + "\n"


def render_subtotals(root: GroupResult, places: int) -> str:
    """The scheme's own dimensions and sub-dimensions with their subtotals; empty when it has none."""
    rows = []

    def visit(group: GroupResult, depth: int) -> None:
        for child in group.children:
            if isinstance(child, GroupResult) and not child.from_case:
                share = f"{fixed(child.score / child.weight * 100, 1)}%" if child.weight else ""
                label = ("　" * (depth - 1) + "└ " if depth else "") + child.name
                rows.append([printable(label), plain_number(child.weight), fixed(child.score, places), share])
                visit(child, depth + 1)

    visit(root, 0)
    if not rows:
        return ""
    return tabulate(rows, headers=["指标", "分值", "得分", "得分率"], tablefmt="simple", disable_numparse=True,
                    colalign=("left", "right", "right", "right"))


def render_checks(checks: tuple[CheckResult, ...]) -> list[str]:
    if not checks:
        return []
    passed = sum(1 for c in checks if c.status == "passed")
    failed = [c for c in checks if c.status == "failed"]
    skipped = [c for c in checks if c.status == "skipped"]
    summary = f"勾稽核对：{passed} 项通过"
    if failed:
        summary += f"，{len(failed)} 项不符"
    if skipped:
        summary += f"，{len(skipped)} 项未核对"
    lines = [summary]
    for check in failed:
        lines.append(f"  ✗ {check.message}")
        lines.extend(f"      {detail}" for detail in check.details)
    if len(skipped) > 3:  # a case without the published figures: say so once, not once per check
        lines.append(f"  – 未核对（所需的原表数字未填写）：{'、'.join(check.name for check in skipped)}")
    else:
        lines.extend(f"  – {check.message}" for check in skipped)
    return [printable(line) for line in lines]  # messages quote the case's names


def _figure(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, tuple):  # a checklist's answers
        return f"{sum(1 for answer in value if answer)}/{len(value)} 项符合"
    return str(value)


# ------------------------------------------------------------------ validate ---------

_KIND_NAMES = {"scheme": "方案", "case": "案例", "test": "测试文件", None: "文件"}


def render_validation(checks: list) -> str:
    """Every problem as `file:line:col: path：message（提示：…）`, then one line per file and a summary."""
    lines = []
    for check in checks:
        lines.extend(str(problem) for problem in check.problems)
    if lines:
        lines.append("")
    for check in checks:
        state = "无法读取" if check.unreadable else (f"{len(check.problems)} 个问题" if check.problems else "无问题")
        notes = "；".join(check.notes)
        lines.append(printable(f"{check.path}：{_KIND_NAMES[check.kind]}，{state}" + (f"（{notes}）" if notes else "")))
    bad = sum(1 for check in checks if check.problems)
    problems = sum(len(check.problems) for check in checks)
    lines.append(f"共 {len(checks)} 个文件，{len(checks) - bad} 个无问题" + (f"，{bad} 个共有 {problems} 个问题" if bad else ""))
    return "\n".join(lines) + "\n"


def validation_to_dict(checks: list) -> list[dict]:
    return [{"file": check.path, "kind": check.kind, "ok": not check.problems, "unreadable": check.unreadable,
             "problems": [problem.to_dict() for problem in check.problems], "notes": check.notes}
            for check in checks]


# ------------------------------------------------------------------ check ------------


def render_check_results(checked: list) -> str:
    """Each case or table with what was checked, as score says it: passed, failed (with the figures),
    and not checked (with the reason) — a check that could not run is never counted as passed."""
    lines = []
    for item in checked:
        if item.result is None:
            lines.append(printable(f"{item.label}：无法核对"))
            lines.extend(f"  ! {problem}" for problem in item.problems)
            continue
        summary, *details = render_checks(item.result.checks) or ["勾稽核对：没有可核对的项目"]
        lines.append(printable(f"{item.label}：{summary.removeprefix('勾稽核对：')}"))
        lines.extend(details)
    bad = sum(1 for item in checked if item.failed)
    unreadable = sum(1 for item in checked if item.result is None)
    summary = f"共 {len(checked)} 张表或案例，{bad} 张有不符"
    if unreadable:
        summary += f"，{unreadable} 个无法核对"
    lines.append(summary)
    return "\n".join(lines) + "\n"

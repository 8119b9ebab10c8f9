"""Report stage: a batch's summary as a standalone page, with the grade distribution and a histogram of totals in SVG."""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Iterable, Iterator

from .batch import Summary
from .export import _CSS

_COLOURS = ("#2f7ebd", "#4aa36c", "#e0a526", "#d0533f", "#8a6bb8", "#777777")


def render_summary_html(summary: Summary, title: str, errors: Iterable[str] | None = None) -> str:
    return "".join(summary_html_pieces(summary, title, errors))


def summary_html_pieces(summary: Summary, title: str, errors: Iterable[str] | None = None) -> Iterator[str]:
    """The page in pieces, to be written as they come: `errors` (every error's first line, however
    many) is listed in full; without it, the summary's first examples are."""
    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<p class="summary">共 <strong id="cases">{summary.cases + summary.errors}</strong> 个案例：'
             f"{summary.cases} 个已计分，{summary.errors} 个出错未计分</p>"]
    if summary.cases:
        parts.append(f"<p>总分：平均 <strong>{summary.mean}</strong>，最低 {summary.total_min}，最高 {summary.total_max}；"
                     f"勾稽核对有不符的案例 <strong>{summary.with_failed_checks}</strong> 个</p>")
        parts.append('<section class="chart"><h2>等级分布</h2>' + grade_bars(summary) + "</section>")
        parts.append('<section class="chart"><h2>总分分布（每 5 分一档）</h2>' + histogram(summary) + "</section>")
        top = summary.top_losses(10)
        if top:
            rows = "".join(f"<tr><td>{html.escape(key)}</td><td class=\"n\">{lost:.2f}</td><td class=\"n\">{count}</td>"
                           f"<td class=\"n\">{lost / count:.2f}</td></tr>" for key, lost, count in top)
            parts.append("<h2>失分最多的指标</h2><table><tr><th>指标</th><th>合计失分</th><th>失分案例数</th>"
                         f"<th>平均失分</th></tr>{rows}</table>")
        lowest = summary.grades[-1]
        if summary.lowest_grade_cases:
            rows = "".join(f"<tr><td>{html.escape(case)}</td><td class=\"n\">{total}</td></tr>"
                           for case, total in summary.lowest_grade_cases)
            parts.append(f"<h2>等级为“{html.escape(lowest)}”的案例</h2><table><tr><th>案例</th><th>总分</th></tr>{rows}</table>")
        if summary.failed_examples:
            rows = "".join(f"<tr><td>{html.escape(case)}</td><td>{html.escape('；'.join(checks))}</td></tr>"
                           for case, checks in summary.failed_examples)
            more = summary.with_failed_checks - len(summary.failed_examples)
            parts.append("<h2>勾稽核对有不符的案例</h2><table><tr><th>案例</th><th>不符的核对</th></tr>"
                         f"{rows}</table>" + (f"<p>另有 {more} 个未列出，见结果文件。</p>" if more > 0 else ""))
    yield ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
           f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(parts))
    if summary.errors:
        yield f'\n<section class="checks"><h2>出错未计分的案例（{summary.errors} 个）</h2><ul>'
        for message in summary.error_examples if errors is None else errors:
            yield f"<li>{html.escape(message)}</li>"
        yield "</ul></section>"
    yield "\n</body>\n</html>\n"


def grade_bars(summary: Summary) -> str:
    counts = [(grade, summary.grade_counts.get(grade, 0)) for grade in summary.grades]
    most = max((count for _, count in counts), default=0) or 1
    width, bar, gap, label = 640, 22, 10, 80
    height = len(counts) * (bar + gap) + gap
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           f'aria-label="等级分布" font-size="12">']
    for i, (grade, count) in enumerate(counts):
        y = gap + i * (bar + gap)
        length = count / most * (width - label - 120)
        share = f"{Decimal(count * 100) / summary.cases:.1f}%" if summary.cases else ""
        out.append(f'<text x="{label - 8}" y="{y + bar - 6}" text-anchor="end">{html.escape(grade)}</text>')
        out.append(f'<rect x="{label}" y="{y}" width="{length:.1f}" height="{bar}" fill="{_COLOURS[i % len(_COLOURS)]}"/>')
        out.append(f'<text x="{label + length + 6:.1f}" y="{y + bar - 6}">{count}（{share}）</text>')
    out.append("</svg>")
    return "".join(out)


def histogram(summary: Summary) -> str:
    counts = summary.histogram
    most = max(counts) or 1
    width, height, bottom, left = 640, 220, 30, 30
    column = (width - left - 10) / len(counts)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           f'aria-label="总分分布" font-size="10">',
           f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#333"/>']
    for i, count in enumerate(counts):
        bar = count / most * (height - bottom - 20)
        x = left + i * column
        out.append(f'<rect x="{x + 1:.1f}" y="{height - bottom - bar:.1f}" width="{column - 2:.1f}" height="{bar:.1f}" '
                   f'fill="#2f7ebd"><title>{i * 5}–{i * 5 + 5} 分：{count} 个</title></rect>')
        if count:
            out.append(f'<text x="{x + column / 2:.1f}" y="{height - bottom - bar - 3:.1f}" text-anchor="middle">{count}</text>')
        if i % 2 == 0:
            out.append(f'<text x="{x:.1f}" y="{height - bottom + 14}" text-anchor="middle">{i * 5}</text>')
    out.append(f'<text x="{width - 10}" y="{height - bottom + 14}" text-anchor="end">100</text></svg>')
    return "".join(out)

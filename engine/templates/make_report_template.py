"""Builds the default 自评报告 template, report.docx, beside this file.

Run once when the default wording changes (`python engine/templates/make_report_template.py`); the
.docx it writes is what ships and what staff copy and edit in Word. Everything in {{ }} and {% %}
is filled by `engine report` (docxtpl's Jinja2 tags, Chinese names); everything else is plain Word
text and formatting, to be changed in Word, never here.
The seven sections are those of the 沾益 report (../shared/seeds/000_9a5c883a7752c8ed.txt, 一、部门基本情况 …
七、其他需说明的情况), the scored table attached after them.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

HERE = Path(__file__).resolve().parent
BODY_FONT, HEADING_FONT, TITLE_FONT = "仿宋", "黑体", "宋体"


def _font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraph(document, text: str, font: str = BODY_FONT, size: float = 14, bold: bool = False,
               align=None, indent: bool = False, space_after: float = 0):
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_after = Pt(space_after)
    paragraph.paragraph_format.line_spacing = Pt(26)
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    if align is not None:
        paragraph.alignment = align
    _font(paragraph.add_run(text), font, size, bold)
    return paragraph


def _section(document, heading: str, field: str) -> None:
    _paragraph(document, heading, HEADING_FONT, 14)
    _paragraph(document, "{{ " + field + " }}", indent=True)


def build() -> Path:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.0), Cm(2.5)
    section.left_margin, section.right_margin = Cm(2.6), Cm(2.4)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, Pt(14)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)

    _paragraph(document, "{{ 单位 }}", TITLE_FONT, 20, True, WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, "{{ 年度 }}年度{{ 报告名称 }}", TITLE_FONT, 20, True, WD_ALIGN_PARAGRAPH.CENTER, space_after=18)

    _section(document, "一、基本情况", "基本情况")
    _paragraph(document, "{%p if 绩效目标 %}")
    _paragraph(document, "绩效目标：{{ 绩效目标 }}", indent=True)
    _paragraph(document, "{%p endif %}")
    _section(document, "二、绩效自评工作情况", "自评工作情况")
    _paragraph(document, "三、评价情况分析及综合评价结论", HEADING_FONT, 14)
    _paragraph(document, "{{ 评价结论 }}", indent=True)
    _paragraph(document, "{{ 结论 }}", indent=True)
    _paragraph(document, "{%p if 失分指标 %}")
    _paragraph(document, "未得满分的指标及原因：", indent=True)
    _paragraph(document, "{%p for 项 in 失分指标 %}")
    _paragraph(document, "{{ 项.序号 }}. {{ 项.名称 }}：分值 {{ 项.分值 }}，得分 {{ 项.得分 }}，失 {{ 项.失分 }} 分。"
                         "原因：{{ 项.原因 }}", indent=True)
    _paragraph(document, "{%p endfor %}")
    _paragraph(document, "{%p endif %}")
    _paragraph(document, "{%p if 核对不符 %}")
    _paragraph(document, "按评价方案复核，原表有以下勾稽关系不符，须更正或说明：", indent=True)
    _paragraph(document, "{%p for 条 in 核对不符 %}")
    _paragraph(document, "{{ 条 }}", indent=True)
    _paragraph(document, "{%p endfor %}")
    _paragraph(document, "{%p endif %}")
    _section(document, "四、存在的问题和整改情况", "存在问题")
    _section(document, "五、绩效自评结果应用", "结果应用")
    _section(document, "六、主要经验及做法", "经验做法")
    _section(document, "七、其他需说明的情况", "其他说明")

    attached = _paragraph(document, "附：{{ 表名 }}", HEADING_FONT, 14)
    attached.paragraph_format.page_break_before = True  # the table starts on a page of its own
    _paragraph(document, "{{p 评分表 }}")
    _paragraph(document, "填报人：{{ 填报人 }}　　　　审核人：{{ 审核人 }}　　　　日期：{{ 日期 }}", size=12)
    target = HERE / "report.docx"
    document.save(target)
    return target


if __name__ == "__main__":
    print(build())

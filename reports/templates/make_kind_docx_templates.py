"""Build the Word templates of the kinds: target-review.report.docx and evaluation.report.docx.

    python reports/templates/make_kind_docx_templates.py [FOLDER]   (default: this folder)

Plain documents (a title, the project's table, a table per section) that staff
can restyle in Word or WPS; the Jinja tags are docxtpl's (``{%tr ... %}`` for
a whole table row, ``{%p ... %}`` for a whole paragraph) and the names those
of the kind's Markdown template (``review`` for target-review, ``table`` for
evaluation: engine/outputs/review_view.py and table_view.py). The same bytes
each time.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

try:
    from engine.outputs.ooxml import reproducible
except ImportError:  # run from a checkout where evalrun is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from engine.outputs.ooxml import reproducible

FONT = "宋体"


def _document(landscape: bool) -> Document:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    return doc


def _table(doc: Document, header: list[str], row: list[str]):
    """A table: the header, then one row repeated per item (``{%tr for %}`` rows around it)."""
    table = doc.add_table(rows=4, cols=len(header))
    table.style = "Table Grid"
    for col, text in enumerate(header):
        table.cell(0, col).text = text
    table.cell(1, 0).merge(table.cell(1, len(header) - 1)).text = row[0]
    for col, text in enumerate(row[1:-1]):
        table.cell(2, col).text = text
    table.cell(3, 0).merge(table.cell(3, len(header) - 1)).text = row[-1]
    return table


def target_review() -> Document:
    doc = _document(landscape=False)
    doc.add_heading("{{ project.fiscal_year }} 年度项目支出绩效目标申报表（审核）", level=1)
    info = doc.add_table(rows=5, cols=2)
    info.style = "Table Grid"
    for i, (label, value) in enumerate((("项目名称", "{{ project.name }}"), ("主管部门", "{{ project.department }}"),
                                        ("实施单位", "{{ project.implementing_unit }}"),
                                        ("项目属性", "{{ review.continuing_text }}"),
                                        ("申报预算（{{ review.unit }}）", "{{ review.amount }}"))):
        info.cell(i, 0).text, info.cell(i, 1).text = label, value
    doc.add_heading("一、绩效目标", level=2)
    doc.add_paragraph("中长期目标：")
    for text in ("{%p for g in review.long_term %}", "{{ loop.index }}. {{ g }}", "{%p endfor %}"):
        doc.add_paragraph(text)
    doc.add_paragraph("年度目标：")
    for text in ("{%p for g in review.annual %}", "{{ loop.index }}. {{ g }}", "{%p endfor %}"):
        doc.add_paragraph(text)
    doc.add_heading("二、绩效指标", level=2)
    _table(doc, ["一级指标", "二级指标", "三级指标", "年度指标值", "分值", "指标值设定依据及计量方法", "审核"],
           ["{%tr for r in review.rows %}", "{{ r.level1 }}", "{{ r.level2 }}", "{{ r.name }}", "{{ r.target }}",
            "{{ r.weight }}", "{{ r.basis }}", "{{ r.reasons | join('；') if r.reasons else '—' }}", "{%tr endfor %}"])
    doc.add_heading("三、审核意见", level=2)
    doc.add_paragraph("审核意见：{{ review.verdict }}")
    for text in ("{%p for r in review.reasons %}", "{{ loop.index }}. {{ r.rule }}：{{ r.message }}（{{ r.where }}）",
                 "{%p endfor %}"):
        doc.add_paragraph(text)
    doc.add_paragraph("审核规则：{{ ruleset.title }}（{{ ruleset.id }} {{ ruleset.version }}）")
    return doc


def evaluation() -> Document:
    doc = _document(landscape=True)
    doc.add_heading("{{ project.fiscal_year }} 年度{{ project.name }}绩效评价评分表", level=1)
    info = doc.add_table(rows=4, cols=2)
    info.style = "Table Grid"
    for i, (label, value) in enumerate((("项目名称", "{{ project.name }}"), ("主管部门", "{{ project.department }}"),
                                        ("评价组", "{{ table.evaluators }}"), ("评价日期", "{{ table.date | cn_date }}"))):
        info.cell(i, 0).text, info.cell(i, 1).text = label, value
    doc.add_heading("一、评分结果", level=2)
    _table(doc, ["一级指标", "分值", "得分"],
           ["{%tr for g in table.groups %}", "{{ g.name }}", "{{ g.weight }}", "{{ g.score }}", "{%tr endfor %}"])
    doc.add_paragraph("总分：{{ table.total }}　评价等级：{{ table.grade }}")
    doc.add_heading("二、指标评分表", level=2)
    _table(doc, ["一级指标", "二级指标", "三级指标", "分值", "指标解释", "评分标准", "得分", "评分理由"],
           ["{%tr for r in table.rows %}", "{{ r.level1 }}", "{{ r.level2 }}", "{{ r.name }}", "{{ r.weight }}",
            "{{ r.explanation }}", "{{ r.standard }}", "{{ r.score }}", "{{ r.reason }}", "{%tr endfor %}"])
    doc.add_heading("三、评价结论", level=2)
    doc.add_paragraph("{{ table.conclusion }}")
    doc.add_paragraph("评价规则：{{ ruleset.title }}（{{ ruleset.id }} {{ ruleset.version }}）")
    return doc


def main(folder: Path) -> None:
    for name, build in (("target-review.report.docx", target_review), ("evaluation.report.docx", evaluation)):
        buffer = io.BytesIO()
        build().save(buffer)
        (folder / name).write_bytes(reproducible(buffer.getvalue()))  # fixed timestamps: the same bytes every time


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)

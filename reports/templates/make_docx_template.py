"""Build report.docx, the Word template of the department evaluation report.

    python reports/templates/make_docx_template.py [OUTPUT]   (default: report.docx next to this file)

The committed report.docx is what evalrun uses and what staff edit in Word or
WPS; this script only recreates it from scratch (after it has been edited by
hand, prefer editing the .docx), byte for byte the same each time. The Jinja
tags are docxtpl's: ``{{ value }}``,
``{%p ... %}`` for a whole paragraph, ``{%tr ... %}`` for a whole table row,
and evalrun's ``{% vmerge EXPR %}`` for a cell that starts a vertically merged
block where EXPR is true (see engine/outputs/word.py). The names are those of the
Markdown template, report.md.j2.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

try:
    from engine.outputs.ooxml import reproducible
except ImportError:  # run from a checkout where evalrun is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from engine.outputs.ooxml import reproducible

BODY_FONT, HEADING_FONT, TABLE_FONT = "仿宋", "宋体", "宋体"
N = "project.narrative"
KIND = 'project.report.kind | default("部门评价")'
# 自评表 column widths in cm (A..I), 15.6 cm in all: the text width of the page. With 0.1 cm cell margins
# they hold 项目资金, 满意度指标, 全年预算数 and 年度指标值 on one line at 小五 (the HTML report's widths).
WIDTHS = [1.5, 1.8, 1.7, 2.4, 1.8, 1.8, 0.9, 1.45, 2.25]
CELL_MARGIN = 0.1


def set_font(target, name: str, size: float | None = None, bold: bool | None = None) -> None:
    """Font for a style or run, the East Asian slot too (Word picks Chinese glyphs from it)."""
    target.font.name = name
    if size:
        target.font.size = Pt(size)
    if bold is not None:
        target.font.bold = bold
    target.font.color.rgb = RGBColor(0, 0, 0)
    rfonts = target.element.get_or_add_rPr().get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(theme), None)  # theme fonts would win over the names
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(slot), name)


def styles(doc) -> None:
    normal = doc.styles["Normal"]
    set_font(normal, BODY_FONT, 16)  # 三号仿宋, as official documents are set
    lang = OxmlElement("w:lang")  # Chinese text: Word and LibreOffice then apply the Chinese line-breaking rules
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(lang)
    fmt = normal.paragraph_format
    fmt.first_line_indent = Pt(32)
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28)
    fmt.space_before = fmt.space_after = Pt(0)
    for name, font, size in (("Title", HEADING_FONT, 22), ("Heading 1", HEADING_FONT, 16),
                             ("Heading 2", BODY_FONT, 16), ("Heading 3", BODY_FONT, 16)):
        style = doc.styles[name]
        set_font(style, font, size, bold=True)
        style.font.italic = False
        fmt = style.paragraph_format
        fmt.first_line_indent = Pt(0) if name == "Title" else Pt(32)
        fmt.space_before, fmt.space_after = Pt(6), Pt(6)
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(34 if name == "Title" else 28)
        fmt.keep_with_next = True
        if name == "Title":
            fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
            border = style.element.get_or_add_pPr().find(qn("w:pBdr"))
            if border is not None:  # the default Title is underlined with a blue rule
                border.getparent().remove(border)
    table_text = doc.styles.add_style("表格文字", 1)  # 1: paragraph style
    table_text.base_style = normal
    set_font(table_text, TABLE_FONT, 9)  # 小五, as dense forms are set
    fmt = table_text.paragraph_format
    fmt.first_line_indent = Pt(0)
    # exactly 11.5 pt, not Normal's 28 pt nor "single" (whose height is the font's: a stand-in for 宋体 with
    # taller line metrics would push the table onto two pages)
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(11.5)
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    note = doc.styles.add_style("表注", 1)  # the lines under the 自评表: grade, signature, findings
    note.base_style = normal
    set_font(note, TABLE_FONT, 10.5)  # 五号
    fmt = note.paragraph_format
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(14)
    fmt.space_before = Pt(4)
    fmt.alignment = WD_ALIGN_PARAGRAPH.LEFT


def page(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    footer = section.footer.paragraphs[0]  # "— 3 —", the page number as a field
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.paragraph_format.first_line_indent = Pt(0)
    footer.add_run("— ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    shown = OxmlElement("w:r")
    shown_text = OxmlElement("w:t")
    shown_text.text = "1"
    shown.append(shown_text)
    field.append(shown)
    footer._p.append(field)
    footer.add_run(" —")
    for run in footer.runs:
        run.font.size = Pt(14)


def para(doc, text: str = "", style: str | None = None, center: bool = False):
    p = doc.add_paragraph(text, style=style)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.first_line_indent = Pt(0)
    return p


def paragraphs(doc, items: str, line: str = "{{ p }}") -> None:
    """One paragraph per item of a narrative list (the {%p %} lines vanish when rendered)."""
    para(doc, f"{{%p for p in {items} | default([]) %}}")
    para(doc, line)
    para(doc, "{%p endfor %}")


def narrative(doc) -> None:
    cover = para(doc, '{{ project.report.title | default(project.fiscal_year ~ " 年度" ~ project.name ~ "项目支出绩效评价报告") }}',
                 style="Title")
    cover.paragraph_format.space_before = Pt(160)
    para(doc, "部门（单位）名称：{{ project.department }}", center=True)
    para(doc, "{%p if project.report.date is defined %}")
    para(doc, "{{ project.report.date }}", center=True)
    para(doc, "{%p endif %}")
    para(doc).add_run().add_break(WD_BREAK.PAGE)

    para(doc, '{{ project.report.title | default(project.fiscal_year ~ " 年度" ~ project.name ~ "项目支出绩效评价报告") }}',
         style="Title")
    para(doc, f"{{%p if {N}.intro is defined %}}")
    para(doc, f"{{{{ {N}.intro }}}}")
    para(doc, "{%p endif %}")

    doc.add_heading("一、项目基本情况", level=1)
    paragraphs(doc, f"{N}.overview")
    para(doc, "{{ project.fiscal_year }} 年，{% if budget.initial is not none %}年初预算 {{ budget.initial | num }} "
              "{{ budget.unit }}，{% endif %}全年预算 "
              "{{ budget.full_year | num }} {{ budget.unit }}，实际拨付项目资金 {{ budget.executed | num }} {{ budget.unit }}。")

    doc.add_heading(f"二、{{{{ {KIND} }}}}工作开展情况", level=1)
    paragraphs(doc, f"{N}.evaluation_work")

    doc.add_heading("三、绩效评价指标分析", level=1)
    doc.add_heading("（一）预算支出执行情况", level=2)
    para(doc, "{{ project.fiscal_year }}年，{% if budget.initial is not none %}年初预算{{ budget.initial | num }}"
              "{{ budget.unit }}，{% endif %}实际拨付项目资金"
              "{{ budget.executed | num }}{{ budget.unit }}，预算执行率{{ execution.rate_text }}"
              "{% if project.spending %}，其中：{% for s in project.spending %}{{ s.item }}{{ s.amount | num }}"
              "{{ budget.unit }}{{ '、' if not loop.last else '。' }}{% endfor %}{% else %}。{% endif %}")
    paragraphs(doc, f"{N}.execution")
    doc.add_heading("（二）预算支出产出效益情况", level=2)
    paragraphs(doc, f"{N}.outputs_and_benefits")
    doc.add_heading("（三）评价结论", level=2)
    para(doc, "按《{{ ruleset.title }}》评分，{{ execution.name }}得 {{ execution.score | num }} 分"
              "{% for g in groups %}，{{ g.name }}得 {{ g.score | num }} 分{% endfor %}，总分 {{ total | num }} 分"
              "（满分 {{ max_total | num }} 分），评价等级为“{{ grade }}”。")
    para(doc, "{%p if previous %}")  # the year before, when the results store has it
    para(doc, "与上年相比：{{ previous.fiscal_year }} 年度总分 {{ previous.total | num }} 分，评价等级为"
              "“{{ previous.grade }}”（规则 {{ previous.ruleset_version }}），本年{{ previous.change_text }}。")
    para(doc, "{%p endif %}")

    doc.add_heading("四、存在的问题和改进措施", level=1)
    doc.add_heading("（一）存在问题", level=2)
    headed_items(doc, f"{N}.problems", "{{ p.heading }}：")
    doc.add_heading("（二）改进措施", level=2)
    headed_items(doc, f"{N}.improvements", "{{ p.heading }}。", numbered=True)

    doc.add_heading(f"五、{{{{ {KIND} }}}}结果拟应用和公开情况", level=1)
    paragraphs(doc, f"{N}.application")
    para(doc, "{%p if advice %}")  # 评价结果应用, when the ruleset has it
    para(doc, "{{ advice.title }}：{{ advice.text }}。")
    para(doc, "{%p endif %}")


def headed_items(doc, items: str, heading: str, numbered: bool = False) -> None:
    """Paragraphs that may open with a bold heading (problems, improvements)."""
    para(doc, f"{{%p for p in {items} | default([]) %}}")
    p = doc.add_paragraph()
    p.add_run(("{{ loop.index }}." if numbered else "") + "{% if p.heading is defined %}")
    p.add_run(heading).bold = True
    p.add_run("{% endif %}{{ p.text }}")
    para(doc, "{%p endfor %}")


def cell(table, row: int, col: int, text: str = "", left: bool = False):
    c = table.cell(row, col)
    c.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    p = c.paragraphs[0]
    p.style = "表格文字"
    if left:
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT
    if text:
        p.add_run(text)
    return c


def merge(table, row: int, first: int, last: int, text: str = "", left: bool = False, to_row: int | None = None):
    merged = table.cell(row, first).merge(table.cell(to_row if to_row is not None else row, last))
    for p in merged.paragraphs[1:]:  # merging keeps one empty paragraph per cell
        p._p.getparent().remove(p._p)
    return cell(table, row, first, text, left)


def self_evaluation_table(doc) -> None:
    """The 自评表 with its grade and signature line, kept together (keep-with-next on every row, rows never
    split): where it fits on one page it moves whole to the next page if it must, with no forced break
    before it; a longer one simply continues on the next page, between rows."""
    heading = doc.add_heading("{{ project.fiscal_year }} 年度项目支出绩效自评表", level=1)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.first_line_indent = Pt(0)
    heading.paragraph_format.keep_with_next = True
    heading.paragraph_format.space_before = Pt(0)
    heading.paragraph_format.line_spacing = Pt(24)

    table = doc.add_table(rows=14, cols=9)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    margins = OxmlElement("w:tblCellMar")  # narrower than Word's 0.19 cm, so short labels stay on one line
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(round(CELL_MARGIN / 2.54 * 1440)))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.append(margins)
    for row in table.rows:  # a row is never split across two pages, and has room to breathe
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        row.height_rule, row.height = WD_ROW_HEIGHT_RULE.AT_LEAST, Cm(0.45)
    for width, column in zip(WIDTHS, table.columns):
        column.width = Cm(width)  # the grid Word lays the table out on
    for row in table.rows:
        for width, c in zip(WIDTHS, row.cells):
            c.width = Cm(width)
    for c in range(9):
        cell(table, 0, c)  # every cell gets the table style, merged or not
        for r in range(1, 14):
            cell(table, r, c)

    cell(table, 0, 0, "项目支出名称")
    merge(table, 0, 1, 8, "{{ project.name }}")
    cell(table, 1, 0, "主管部门")
    merge(table, 1, 1, 3, "{{ project.department }}")
    merge(table, 1, 4, 5, "实施单位")
    merge(table, 1, 6, 8, "{{ project.implementing_unit }}")

    merge(table, 2, 0, 0, "项目资金（{{ budget.unit }}）", to_row=6)
    merge(table, 2, 1, 2)
    for col, text in enumerate(["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "自评得分"], 3):
        cell(table, 2, col, text)
    merge(table, 3, 1, 2, "年度资金总额")
    for col, text in enumerate(["{{ budget.initial | num }}", "{{ budget.full_year | num }}",
                                "{{ budget.executed | num }}", "{{ execution.weight | num }}",
                                "{{ execution.rate_text }}", "{{ execution.score | num }}"], 3):
        cell(table, 3, col, text)
    for row, (label, key) in enumerate([("其中：当年财政拨款", "current_appropriation"),
                                        ("上年结转资金", "carried_over"), ("其他资金", "other")], 4):
        merge(table, row, 1, 2, label, left=True)
        for col, column in enumerate(("initial", "full_year", "executed"), 3):
            cell(table, row, col, f"{{{{ budget.parts.{key}.{column} | num }}}}")

    merge(table, 7, 0, 0, "年度总体目标", to_row=8)
    merge(table, 7, 1, 4, "预期目标")
    merge(table, 7, 5, 8, "实际完成情况")
    for first, last, key in ((1, 4, "expected"), (5, 8, "achieved")):
        c = merge(table, 8, first, last, "{%p for g in project.goals %}", left=True)
        for text in ("{{ loop.index }}.{{ g." + key + " }}", "{%p endfor %}"):
            c.add_paragraph(text, style="表格文字").alignment = WD_ALIGN_PARAGRAPH.LEFT

    merge(table, 9, 0, 0, "绩效指标", to_row=12)
    for col, text in enumerate(["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "自评得分",
                                "偏差原因分析及改进措施"], 1):
        cell(table, 9, col, text)
    merge(table, 10, 1, 8, "{%tr for r in table_rows %}")
    for col, text in enumerate(["{% vmerge r.group_span %}{{ r.group }}", "{% vmerge r.subgroup_span %}{{ r.subgroup }}",
                                "{{ r.label }}", "{{ r.target }}", "{{ r.actual }}", "{{ r.weight | num }}",
                                "{{ r.score | num }}", "{{ r.explanation }}"], 1):
        cell(table, 11, col, text, left=col in (3, 8))
    merge(table, 12, 1, 8, "{%tr endfor %}")
    merge(table, 13, 0, 5, "总分")
    cell(table, 13, 6, "{{ max_total | num }}")
    cell(table, 13, 7, "{{ total | num }}")
    for p in table._tbl.iter(qn("w:p")):  # each row keeps with the next, the last with the grade below the table
        p.get_or_add_pPr().get_or_add_keepNext()  # every paragraph, merged cells' hidden ones too

    grade = para(doc, "评价等级：{{ grade }}", style="表注")
    grade.paragraph_format.keep_with_next = True
    para(doc, "填表人：　　　　填报日期：　　　　联系电话：　　　　单位负责人签字：", style="表注")
    para(doc, "{%p if findings %}")
    para(doc, "审核提示：", style="表注").paragraph_format.keep_with_next = True  # never alone at a page's foot
    para(doc, "{%p for f in findings %}")
    para(doc, "{{ '错误' if f.severity == 'error' else '提示' }}：{{ f.message }}（{{ f.where }}）", style="表注")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")
    rule = para(doc, style="表格文字")
    rule.add_run("评分规则：{{ ruleset.title }}（{{ ruleset.id }} {{ ruleset.version }}，sha256 {{ ruleset.sha256 }}）；"
                 "得分{{ ruleset.rounding }}。").font.size = Pt(7.5)
    rule.alignment = WD_ALIGN_PARAGRAPH.LEFT
    rule.paragraph_format.line_spacing = Pt(9.5)
    rule.paragraph_format.space_before = Pt(4)


def build(output: Path) -> None:
    doc = Document()
    styles(doc)
    page(doc)
    doc.core_properties.title = "项目支出绩效评价报告模板"
    doc.core_properties.author = "evalrun"
    doc.core_properties.comments = "Jinja tags (docxtpl); regenerate with make_docx_template.py"
    narrative(doc)
    self_evaluation_table(doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    output.write_bytes(reproducible(buffer.getvalue()))  # fixed timestamps: the same bytes every time


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("report.docx"))

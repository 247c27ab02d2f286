"""The Word, Excel and HTML reports of the reference example, read back the way a user opens them."""
from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import docx
import openpyxl
import pytest

from engine import RunOptions, run
from tests.helpers import REFERENCE_PROJECT, REPO, copy_workspace
from tests.helpers import REFERENCE_ROWS

DEPARTMENT = "益阳市商务局"
# (三级指标 or the not-applicable note, 分值, 自评得分) in table order; None where the form is empty.
TABLE_ROWS = [(n, w, s) for n, w, s in REFERENCE_ROWS[1:8]] + [
    ("直接利用外资", 10, 10), ("电商企业直接就业人数", 5, 5), ("不适应", None, None), ("不适应", None, None),
    ("群众满意度", 10, 10)]
GROUP_LABELS = ["产出指标（65分）"] * 7 + ["效益指标（15分）"] * 4 + ["满意度指标（10分）"]


@pytest.fixture
def workspace(reference_workspace):
    """These tests count outputs: only the reference project."""
    return reference_workspace



@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    """All formats of a full run of the example workspace; returns the year's output folder."""
    workspace = copy_workspace(tmp_path_factory.mktemp("outputs") / "ws", reference_only=True)
    outcome = run(RunOptions(ruleset="2025", workspace=workspace))
    assert outcome.ok
    return workspace / "reports" / "out" / "2025"


def report(reports: Path, extension: str) -> Path:
    return reports / DEPARTMENT / f"{REFERENCE_PROJECT}.{extension}"


# ---------------------------------------------------------------- Excel


def test_xlsx_budget_row_holds_the_published_numbers(reports):
    ws = openpyxl.load_workbook(report(reports, "xlsx")).active
    assert ws.title == REFERENCE_PROJECT
    assert [ws[f"{c}4"].value for c in "DEFGHI"] == ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "自评得分"]
    assert ws["B5"].value == "年度资金总额"
    assert [ws[f"{c}5"].value for c in "DEFGI"] == [990, 990, 547.6879, 10, 5.53]
    assert ws["H5"].value == 0.5532 and ws["H5"].number_format == "0.00%"
    assert ws["I5"].number_format == "0.00"
    assert "A4:A8" in ws.merged_cells and "A11:A23" in ws.merged_cells


def test_xlsx_every_indicator_row_in_its_cells(reports):
    ws = openpyxl.load_workbook(report(reports, "xlsx")).active
    assert [ws[f"{c}11"].value.replace("\n", "") for c in "BCDEFGHI"] == [
        "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "自评得分", "偏差原因分析及改进措施"]
    rows = [(ws[f"D{r}"].value, ws[f"G{r}"].value, ws[f"H{r}"].value) for r in range(12, 24)]
    assert rows == [(n, None if w is None else float(w), None if s is None else float(s)) for n, w, s in TABLE_ROWS]
    for r in range(12, 24):
        if ws[f"H{r}"].value is not None:
            assert isinstance(ws[f"H{r}"].value, (int, float)) and ws[f"H{r}"].number_format == "0.00"
    # a label's line breaks are the layout's (test_print checks where they fall)
    assert ws["B12"].value.replace("\n", "") == "产出指标（65分）" and "B12:B18" in ws.merged_cells
    assert ws["B19"].value.replace("\n", "") == "效益指标（15分）" and "B19:B22" in ws.merged_cells
    assert ws["B23"].value.replace("\n", "") == "满意度指标（10分）"
    assert ws["C14"].value == "质量指标" and "C14:C16" in ws.merged_cells
    assert (ws["E12"].value, ws["F12"].value) == ("7000 万美元以上", "7983 万美元")


def test_xlsx_total_and_print_setup(reports):
    ws = openpyxl.load_workbook(report(reports, "xlsx")).active
    assert (ws["A24"].value, ws["G24"].value, ws["H24"].value) == ("总分", 100, 95.53)
    assert "A24:F24" in ws.merged_cells
    assert ws["A25"].value == "评价等级：优"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert all(ws.column_dimensions[c].width >= 4 for c in "ABCDEFGHI")  # widths from the text: 分值 needs 5


def test_year_workbook_has_the_summary_and_every_project_sheet(reports):
    wb = openpyxl.load_workbook(reports / "汇总.xlsx")
    assert wb.sheetnames == ["汇总", REFERENCE_PROJECT]
    ws = wb["汇总"]
    assert [ws[f"{c}3"].value for c in "ABCGH"] == ["序号", "部门", "项目", "总分", "等级"]
    assert [ws[f"{c}4"].value for c in "ABCDEFGH"] == [1, DEPARTMENT, REFERENCE_PROJECT, 990, 547.6879, 0.5532, 95.53, "优"]
    assert (ws["A6"].value, ws["C6"].value, ws["A7"].value, ws["C7"].value) == ("等级分布", "项目数", "优", 1)
    assert wb[REFERENCE_PROJECT]["H24"].value == 95.53


# ---------------------------------------------------------------- Word


def docx_table(reports):
    return docx.Document(str(report(reports, "docx"))).tables[0]


def test_docx_budget_row_holds_the_published_numbers(reports):
    table = docx_table(reports)
    (row,) = [r for r in table.rows if r.cells[1].text == "年度资金总额"]
    assert [c.text for c in row.cells[3:]] == ["990", "990", "547.6879", "10", "55.32%", "5.53"]
    header = table.rows[2]
    assert [c.text for c in header.cells[3:]] == ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "自评得分"]
    assert header.cells[0].text == "项目资金（万元）"


def test_docx_every_indicator_row_and_the_total(reports):
    table = docx_table(reports)
    rows = table.rows[10:22]
    shown = [(r.cells[3].text, r.cells[6].text, r.cells[7].text) for r in rows]
    assert shown == [(n, "" if w is None else str(w), "" if s is None else str(s)) for n, w, s in TABLE_ROWS]
    assert [r.cells[1].text for r in rows] == GROUP_LABELS
    total = table.rows[22]
    assert (total.cells[0].text, total.cells[6].text, total.cells[7].text) == ("总分", "100", "95.53")
    assert len(table.rows) == 23


def test_docx_first_level_groups_are_merged_cells(reports):
    table = docx_table(reports)

    def merge(row, column):  # the row's own cell, not the merged one python-docx returns
        return table.rows[row]._tr.tc_lst[column].vMerge

    assert [merge(i, 1) for i in range(10, 22)] == ["restart"] + ["continue"] * 6 + ["restart"] + ["continue"] * 3 + ["restart"]
    assert [merge(i, 2) for i in range(10, 15)] == ["restart", "continue", "restart", "continue", "continue"]
    assert [merge(i, 0) for i in range(2, 7)] == ["restart"] + ["continue"] * 4  # 项目资金 spans the budget block
    assert ["".join(tc.itertext()) for tc in table.rows[11]._tr.tc_lst[1:3]] == ["", ""]  # covered cells: no text


def test_docx_has_the_report_sections_and_chinese_fonts(reports):
    document = docx.Document(str(report(reports, "docx")))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["一、项目基本情况", "二、部门评价工作开展情况", "三、绩效评价指标分析", "四、存在的问题和改进措施",
                        "五、部门评价结果拟应用和公开情况", "2025 年度项目支出绩效自评表"]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "总分 95.53 分（满分 100 分），评价等级为“优”" in text
    assert "{{" not in text and "{%" not in text
    for style, font in (("Normal", "仿宋"), ("Heading 1", "宋体"), ("表格文字", "宋体")):
        fonts = document.styles[style].element.rPr.rFonts
        assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == font, style
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


def test_committed_word_template_is_what_the_generator_makes(tmp_path):
    """make_docx_template.py still builds a template that renders the same report."""
    workspace = copy_workspace(tmp_path / "ws")
    spec = importlib.util.spec_from_file_location("make_docx_template", REPO / "reports/templates/make_docx_template.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    generator.build(workspace / "reports" / "templates" / "report.docx")
    run(RunOptions(ruleset="2025", workspace=workspace, formats=("docx",)))
    fresh = docx.Document(str(workspace / "reports/out/2025" / DEPARTMENT / f"{REFERENCE_PROJECT}.docx"))
    committed = docx.Document(str(REPO / "reports" / "templates" / "report.docx"))
    generated = docx.Document(str(workspace / "reports" / "templates" / "report.docx"))
    assert [p.text for p in committed.paragraphs] == [p.text for p in generated.paragraphs]
    assert [[c.text for c in r.cells] for r in fresh.tables[0].rows][-1][6:8] == ["100", "95.53"]


# ---------------------------------------------------------------- HTML


class Cells(HTMLParser):
    """The text of every table row, and every URL-bearing attribute."""

    def __init__(self):
        super().__init__()
        self.rows, self.urls, self._cell = [], [], None

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href", "srcset", "poster", "data", "action")]
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_of(reports) -> tuple[str, Cells]:
    text = report(reports, "html").read_text(encoding="utf-8")
    parser = Cells()
    parser.feed(text)
    return text, parser


def test_html_is_self_contained(reports):
    for page in (report(reports, "html"), reports / "汇总.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), page
        assert not re.search(r"<link\b|<script\b|<iframe\b|<img\b|@import|url\(", text, re.I), page
    _, parser = html_of(reports)
    assert parser.urls == []


def test_html_table_holds_every_number(reports):
    text, parser = html_of(reports)
    rows = parser.rows
    assert ["年度资金总额", "990", "990", "547.6879", "10", "55.32%", "5.53"] in rows
    indicator_rows = [r for r in rows if len(r) >= 6 and r[-6] in {n for n, _, _ in TABLE_ROWS}]
    assert [(r[-6], r[-3], r[-2]) for r in indicator_rows] == [
        (n, "" if w is None else str(w), "" if s is None else str(s)) for n, w, s in TABLE_ROWS]
    assert ["总分", "100", "95.53", ""] in rows
    assert 'rowspan="7">产出指标<span class="nobr">（65分）</span>' in text and 'rowspan="3">质量指标' in text
    assert '<html lang="zh-CN">' in text and "@page { size: A4" in text


def test_html_chart_draws_score_against_weight_per_group(reports):
    text, _ = html_of(reports)
    svg = text[text.index("<svg"):text.index("</svg>")]
    for label in ("预算执行率", "产出指标", "效益指标", "满意度指标"):
        assert f">{label}</text>" in svg
    for value in ("5.53 / 10", "65 / 65", "15 / 15", "10 / 10"):
        assert value in svg
    assert svg.count('class="weight"') == 4 and svg.count('class="score') == 4


@pytest.mark.skipif(not shutil.which("chromium"), reason="needs chromium (apt-get install chromium)")
def test_html_renders_in_a_headless_browser(reports, tmp_path):
    page = report(reports, "html")
    result = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
                            capture_output=True, text=True, timeout=120)
    assert "95.53" in result.stdout and "<svg" in result.stdout and "自评表" in result.stdout

"""xlsx: the self-evaluation table (项目支出绩效自评表) as an Excel sheet, and the year workbook.

The layout below is the one place that says which cell holds what; the
writer uses it, and an importer reading a filled-in sheet back should too.
Columns A-I, rows 1-based:

====  ======================================================================
row   cells
====  ======================================================================
1     A1:I1 title "<year> 年度项目支出绩效自评表"
2     A 项目支出名称 | B2:I2 project name
3     A 主管部门 | B3:D3 department | E3:F3 实施单位 | G3:I3 implementing unit
4     A4:A8 项目资金（<unit>） | D..I headers 年初预算数 全年预算数 全年执行数 分值 执行率 自评得分
5     B5:C5 年度资金总额 | D initial | E full year | F executed | G weight | H rate | I score
6-8   B:C 其中：当年财政拨款 / 上年结转资金 / 其他资金 | D amount
9     A9:A10 年度总体目标 | B9:E9 预期目标 | F9:I9 实际完成情况
10    B10:E10 expected goals, one per line "1.…" | F10:I10 achieved, likewise
11    A11:A<last indicator row> 绩效指标 | B..I headers 一级指标 … 偏差原因分析及改进措施
12..  one row per third-level indicator: B 一级 (merged over its group's rows,
      "产出指标（65分）") | C 二级 (merged over its run) | D 三级 | E 年度指标值 |
      F 实际完成值 | G 分值 | H 自评得分 | I 偏差原因分析及改进措施
total the row after the last indicator: A:F 总分 | G full marks | H total score
+1..  below the table, unbordered: 评价等级, the ruleset, the signature line
====  ======================================================================

Numbers are stored as numbers: amounts as given (General), 执行率 as the
published fraction (55.32% -> 0.5532, format 0.00%), 自评得分 with format
0.00. A not-applicable row leaves G and H empty.
"""
from __future__ import annotations

import io
import math
import re
import unicodedata
import weakref
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.cell.cell import MergedCell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter
from openpyxl.utils import get_column_letter

from .ooxml import FixedZipFile
from .targets import format_number

COLUMNS = "ABCDEFGHI"
WIDTHS = {"A": 10, "B": 13, "C": 13, "D": 24, "E": 13, "F": 13, "G": 8, "H": 10, "I": 20}

TITLE_ROW = 1
NAME_ROW = 2
DEPARTMENT_ROW = 3
BUDGET_HEADER_ROW = 4
BUDGET_TOTAL_ROW = 5
BUDGET_PART_ROWS = {6: ("其中：当年财政拨款", "current_appropriation"), 7: ("上年结转资金", "carried_over"),
                    8: ("其他资金", "other")}
BUDGET_COLUMNS = {"initial": "D", "full_year": "E", "executed": "F", "weight": "G", "rate": "H", "score": "I"}
BUDGET_HEADERS = {"initial": "年初预算数", "full_year": "全年预算数", "executed": "全年执行数",
                  "weight": "分值", "rate": "执行率", "score": "自评得分"}
# The labels of the table's blocks (the importer finds blocks by these, and by their common variants).
LABELS = {"name": "项目支出名称", "department": "主管部门", "implementing_unit": "实施单位", "funds": "项目资金",
          "budget_total": "年度资金总额", "goals": "年度总体目标", "expected": "预期目标", "achieved": "实际完成情况",
          "indicators": "绩效指标", "total": "总分"}
GOALS_HEADER_ROW = 9
GOALS_ROW = 10
INDICATOR_HEADER_ROW = 11
FIRST_INDICATOR_ROW = 12
INDICATOR_COLUMNS = {"group": "B", "subgroup": "C", "label": "D", "target": "E", "actual": "F",
                     "weight": "G", "score": "H", "explanation": "I"}
INDICATOR_HEADERS = {"group": "一级指标", "subgroup": "二级指标", "label": "三级指标", "target": "年度指标值",
                     "actual": "实际完成值", "weight": "分值", "score": "自评得分",
                     "explanation": "偏差原因分析及改进措施"}

AMOUNT, RATE, SCORE, WEIGHT = "General", "0.00%", "0.00", "General"
FONT = "宋体"
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_LINE_HEIGHT = 14.5  # points per line of 10.5 pt 宋体
_TEXT_FONT = Font(name=FONT, size=10.5)  # one object for every cell's font, not one per cell


def total_row(view: dict) -> int:
    """The 总分 row of a project's sheet."""
    return FIRST_INDICATOR_ROW + len(view["table_rows"])


def number(value):
    """Decimal -> the same digits as an Excel number (10.00 -> 10, 547.6879 stays)."""
    if value is None or value == "":
        return None
    return Decimal(format_number(Decimal(value)))


def write_table(ws, view: dict) -> None:
    """Fill an empty sheet with one project's 自评表, laid out as documented above."""
    project, budget, execution = view["project"], view["budget"], view["execution"]
    last = total_row(view)
    _set_widths(ws, WIDTHS)

    _put(ws, f"A{TITLE_ROW}", f"{project['fiscal_year']} 年度项目支出绩效自评表", merge_to="I",
         font=Font(name=FONT, size=16, bold=True))
    ws.row_dimensions[TITLE_ROW].height = 30
    _put(ws, f"A{NAME_ROW}", LABELS["name"])
    _put(ws, f"B{NAME_ROW}", project["name"], merge_to="I")
    _put(ws, f"A{DEPARTMENT_ROW}", LABELS["department"])
    _put(ws, f"B{DEPARTMENT_ROW}", project["department"], merge_to="D")
    _put(ws, f"E{DEPARTMENT_ROW}", LABELS["implementing_unit"], merge_to="F")
    _put(ws, f"G{DEPARTMENT_ROW}", project["implementing_unit"], merge_to="I")

    _put(ws, f"A{BUDGET_HEADER_ROW}", f"{LABELS['funds']}（{budget['unit']}）", merge_to=f"A{max(BUDGET_PART_ROWS)}")
    _put(ws, f"B{BUDGET_HEADER_ROW}", "", merge_to="C")
    for key, column in BUDGET_COLUMNS.items():
        _put(ws, f"{column}{BUDGET_HEADER_ROW}", BUDGET_HEADERS[key])
    _put(ws, f"B{BUDGET_TOTAL_ROW}", LABELS["budget_total"], merge_to="C")
    values = {"initial": (budget["initial"], AMOUNT), "full_year": (budget["full_year"], AMOUNT),
              "executed": (budget["executed"], AMOUNT), "weight": (execution["weight"], WEIGHT),
              "rate": (execution["rate_shown"], RATE), "score": (execution["score"], SCORE)}
    for key, column in BUDGET_COLUMNS.items():
        value, fmt = values[key]
        _put(ws, f"{column}{BUDGET_TOTAL_ROW}", number(value), fmt=fmt)
    for row, (label, key) in BUDGET_PART_ROWS.items():
        _put(ws, f"B{row}", label, merge_to="C", align=_LEFT)
        _put(ws, f"{BUDGET_COLUMNS['initial']}{row}", number(budget[key]), fmt=AMOUNT)

    _put(ws, f"A{GOALS_HEADER_ROW}", LABELS["goals"], merge_to=f"A{GOALS_ROW}")
    _put(ws, f"B{GOALS_HEADER_ROW}", LABELS["expected"], merge_to="E")
    _put(ws, f"F{GOALS_HEADER_ROW}", LABELS["achieved"], merge_to="I")
    expected = "\n".join(f"{i}.{g['expected']}" for i, g in enumerate(project["goals"], 1))
    achieved = "\n".join(f"{i}.{g['achieved']}" for i, g in enumerate(project["goals"], 1))
    _put(ws, f"B{GOALS_ROW}", expected, merge_to="E", align=_LEFT)
    _put(ws, f"F{GOALS_ROW}", achieved, merge_to="I", align=_LEFT)

    _put(ws, f"A{INDICATOR_HEADER_ROW}", LABELS["indicators"], merge_to=f"A{max(last - 1, INDICATOR_HEADER_ROW)}")
    for key, column in INDICATOR_COLUMNS.items():
        _put(ws, f"{column}{INDICATOR_HEADER_ROW}", INDICATOR_HEADERS[key])
    for row, item in enumerate(view["table_rows"], FIRST_INDICATOR_ROW):
        if item["group_span"]:
            _put(ws, f"B{row}", item["group"], merge_to=f"B{row + item['group_span'] - 1}")
        if item["subgroup_span"]:
            _put(ws, f"C{row}", item["subgroup"], merge_to=f"C{row + item['subgroup_span'] - 1}")
        _put(ws, f"D{row}", item["label"], align=_LEFT)
        _put(ws, f"E{row}", item["target"])
        _put(ws, f"F{row}", item["actual"])
        _put(ws, f"G{row}", number(item["weight"]), fmt=WEIGHT)
        _put(ws, f"H{row}", number(item["score"]), fmt=SCORE)
        _put(ws, f"I{row}", item["explanation"], align=_LEFT)

    _put(ws, f"A{last}", LABELS["total"], merge_to="F")
    _put(ws, f"G{last}", number(view["max_total"]), fmt=WEIGHT)
    _put(ws, f"H{last}", number(view["total"]), fmt=SCORE)
    _put(ws, f"I{last}", "")
    _borders(ws, f"A{NAME_ROW}:I{last}")
    _fit_rows(ws, NAME_ROW, last)

    ruleset = view["ruleset"]
    notes = [f"评价等级：{view['grade']}",
             f"评分规则：{ruleset['title']}（{ruleset['id']} {ruleset['version']}）；得分{ruleset['rounding']}",
             "填表人：　　　　　填报日期：　　　　　联系电话：　　　　　单位负责人签字："]
    for offset, text in enumerate(notes, 1):
        _put(ws, f"A{last + offset}", text, merge_to="I", align=_LEFT)
    _page_setup(ws, f"A1:I{last + len(notes)}")


def project_workbook(view: dict) -> bytes:
    """One project's workbook: a single sheet with its 自评表."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(view["project"]["name"], set())
    write_table(ws, view)
    return _save(wb)


def projects_workbook(views: list[dict]) -> bytes:
    """One sheet per project, each a 自评表 (the forms `evalrun export` writes for a department)."""
    wb = Workbook()
    taken: set = set()
    for index, view in enumerate(views):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = sheet_title(view["project"]["name"], taken)
        write_table(ws, view)
    return _save(wb)


def sheet_title(name: str, taken: set) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'") or "Sheet"
    title, n = base[:31], 1
    while title.lower() in taken:
        n += 1
        suffix = f"({n})"
        title = base[: 31 - len(suffix)] + suffix
    taken.add(title.lower())
    return title


# ---------------------------------------------------------------- year workbook

SUMMARY_SHEET = "汇总"
SUMMARY_HEADER_ROW = 3
SUMMARY_COLUMNS = {"index": "A", "department": "B", "project": "C", "initial": "D", "executed": "E",
                   "rate": "F", "total": "G", "grade": "H", "findings": "I"}
SUMMARY_HEADERS = {"index": "序号", "department": "部门", "project": "项目", "initial": "年初预算数",
                   "executed": "全年执行数", "rate": "执行率", "total": "总分", "grade": "等级",
                   "findings": "审核提示"}
SUMMARY_FORMATS = {"initial": AMOUNT, "executed": AMOUNT, "rate": RATE, "total": SCORE}
SUMMARY_WIDTHS = {"A": 6, "B": 18, "C": 38, "D": 12, "E": 12, "F": 10, "G": 9, "H": 7, "I": 40}


def year_workbook(summary: dict, views: list[dict]) -> bytes:
    """The year's workbook: the summary sheet first, then each project's 自评表."""
    wb = Workbook()
    ws = wb.active
    taken = {SUMMARY_SHEET.lower()}
    ws.title = SUMMARY_SHEET
    write_summary(ws, summary)
    for view in views:
        write_table(wb.create_sheet(sheet_title(view["project"]["name"], taken)), view)
    return _save(wb)


def write_summary(ws, summary: dict) -> None:
    """Row 1 title, row 2 the ruleset, row 3 headers, then one row per project
    (columns as SUMMARY_COLUMNS), a blank row, and the grade distribution."""
    _set_widths(ws, SUMMARY_WIDTHS)
    _put(ws, "A1", summary["title"], merge_to="I", font=Font(name=FONT, size=16, bold=True))
    _put(ws, "A2", summary["ruleset_line"], merge_to="I", align=_LEFT)
    for key, column in SUMMARY_COLUMNS.items():
        _put(ws, f"{column}{SUMMARY_HEADER_ROW}", SUMMARY_HEADERS[key])
    row = SUMMARY_HEADER_ROW
    for row, item in enumerate(summary["rows"], SUMMARY_HEADER_ROW + 1):
        values = {**item, "findings": "\n".join(item["findings"])}
        for key, column in SUMMARY_COLUMNS.items():
            value = values[key]
            fmt = SUMMARY_FORMATS.get(key)
            _put(ws, f"{column}{row}", number(value) if fmt else value, fmt=fmt,
                 align=_LEFT if key in ("project", "findings") else _CENTER)
    _borders(ws, f"A{SUMMARY_HEADER_ROW}:I{row}")
    _fit_rows(ws, SUMMARY_HEADER_ROW, row)
    row += 2
    _put(ws, f"A{row}", "等级分布", merge_to="B")
    _put(ws, f"C{row}", "项目数")
    _put(ws, f"D{row}", "占比")
    for offset, band in enumerate(summary["distribution"], 1):
        _put(ws, f"A{row + offset}", band["grade"], merge_to="B")
        _put(ws, f"C{row + offset}", band["count"])
        _put(ws, f"D{row + offset}", band["fraction"], fmt="0.0%")
    _borders(ws, f"A{row}:D{row + len(summary['distribution'])}")
    _page_setup(ws, f"A1:I{row + len(summary['distribution'])}", landscape=True)


# ---------------------------------------------------------------- helpers


def _put(ws, ref: str, value, merge_to: str | None = None, fmt: str | None = None,
         align: Alignment = _CENTER, font: Font | None = None) -> None:
    cell = ws[ref]
    cell.value = value
    _style(cell, align, font or _TEXT_FONT, fmt)
    if merge_to:
        end = merge_to if merge_to[-1].isdigit() else f"{merge_to}{cell.row}"
        if end != ref:
            _merge(ws, cell, f"{ref}:{end}")


def _merge(ws, start, area: str) -> None:
    """``ws.merge_cells(area)``, whose copying of the first cell's border to the edges is left out
    while that cell has none (it would give every edge cell no border, a table lookup each)."""
    if start.has_style and start._style.borderId:
        ws.merge_cells(area)
        return
    merged = MergedCellRange(ws, area)
    ws.merged_cells.add(merged)
    cells = merged.cells
    next(cells)  # the first cell stays
    for row, column in cells:
        ws._cells[row, column] = MergedCell(ws, row, column)


def _borders(ws, area: str) -> None:
    border = None
    for line in ws[area]:
        for cell in line:  # every cell of a merged range, or Excel draws gaps
            if border is None:
                cell.border = _BORDER
                border = cell._style.borderId
            else:
                if cell._style is None:
                    cell._style = StyleArray()
                cell._style.borderId = border


# openpyxl looks every style object a cell is given up in the workbook's tables (hashing it field by
# field) to store its index in the cell. A sheet uses a handful of combinations: each is looked up
# once per workbook, and the indexes are copied into the other cells, which is what the lookup
# would store. The saved file is the same, byte for byte.
_STYLE_IDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _style(cell, align: Alignment, font: Font, fmt: str | None) -> None:
    """``cell.alignment, cell.font, cell.number_format = align, font, fmt`` (no format: unchanged)."""
    known = _STYLE_IDS.setdefault(cell.parent.parent, {})
    key = (id(align), id(font), fmt)
    found = known.get(key)
    if found is None:
        cell.alignment = align
        cell.font = font
        if fmt:
            cell.number_format = fmt
        style = cell._style
        # the objects are kept with their indexes, so that their ids are not reused meanwhile
        known[key] = (style.alignmentId, style.fontId, style.numFmtId, align, font)
        return
    style = cell._style
    if style is None:
        style = cell._style = StyleArray()
    style.alignmentId, style.fontId = found[0], found[1]
    if fmt:
        style.numFmtId = found[2]


def _width(text: str) -> int:
    """Display width in Excel's units: a Chinese character counts two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fit_rows(ws, first: int, last: int) -> None:
    """Row heights that show wrapped text whole: Excel never sizes rows with merged cells itself."""
    spans = {}
    for merged in ws.merged_cells.ranges:
        spans[(merged.min_row, merged.min_col)] = merged
    for row in range(first, last + 1):
        lines = 1
        for cell in ws[row]:
            if not isinstance(cell.value, str) or not cell.value:
                continue
            merged = spans.get((row, cell.column))
            if merged is not None and merged.max_row > row:
                continue  # spread over several rows, which have room enough
            columns = range(cell.column, (merged.max_col if merged else cell.column) + 1)
            width = sum(ws.column_dimensions[get_column_letter(c)].width for c in columns) - 1
            lines = max(lines, sum(max(1, math.ceil(_width(p) / max(width, 1))) for p in cell.value.split("\n")))
        ws.row_dimensions[row].height = round(lines * _LINE_HEIGHT + 4, 1)


def _set_widths(ws, widths: dict) -> None:
    for column in COLUMNS:
        ws.column_dimensions[column].width = widths[column]


def _page_setup(ws, area: str, landscape: bool = False) -> None:
    ws.print_area = area
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75


class _Writer(ExcelWriter):
    """openpyxl's writer, each sheet's XML made in memory rather than in a temporary file."""

    def write_worksheet(self, ws):
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = WorksheetWriter(ws, out=io.BytesIO())
        writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], writer.read())
        self.manifest.append(ws)


def _save(wb: Workbook) -> bytes:
    """What ``reproducible(wb.save())`` gives (tests/test_xlsx_styles.py checks it), in one pass."""
    buffer = io.BytesIO()
    with FixedZipFile(buffer) as archive:
        _Writer(wb, archive).write_data()
    return buffer.getvalue()


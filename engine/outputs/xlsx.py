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

Every text is a string cell, never a formula, whatever it starts with: an
indicator named ``=HYPERLINK(...)`` is that text in the cell (and, when it
starts with ``= + - @``, a tab or a line break, the cell is marked as text
with Excel's quote prefix, so that editing it in Excel keeps it text). A
character XML cannot hold (a control character such as a vertical tab) is
written as U+FFFD; project files with one are refused when they are read.

Print layout (``_lay_out``): the column widths are computed from the text
of each sheet (engine.outputs.textfit: Chinese counts double width), as the widths
within one A4 page width that make the table shortest; a label evalrun
writes (headers, 产出指标（65分）, 二级指标) gets its line breaks where a
typesetter would put them, so no bracket is split, and every row is as tall
as its longest cell. The sheet prints on one A4 page when it fits there at
80% or more; otherwise one page wide, with page breaks between first-level
groups and the indicator header repeated on each page.
"""
from __future__ import annotations

import io
import math
import re
import unicodedata
import weakref
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Protection, Side
from openpyxl.cell.cell import MergedCell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

import engine.outputs.textfit as textfit
from engine.outputs.ooxml import FixedZipFile
from engine.rules.targets import format_number

COLUMNS = "ABCDEFGHI"

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
_LINE_HEIGHT = 15.5  # points per line of 10.5 pt text (宋体 needs 13.5, Noto CJK, LibreOffice's stand-in, 15.2)
_ROW_PADDING = 4     # points above and below a row's text
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
        for column in ("initial", "full_year", "executed"):  # each column the table gives for the 其中 row
            _put(ws, f"{BUDGET_COLUMNS[column]}{row}", number(budget["parts"][key][column]), fmt=AMOUNT)

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

    ruleset = view["ruleset"]
    notes = [f"评价等级：{view['grade']}",
             f"评分规则：{ruleset['title']}（{ruleset['id']} {ruleset['version']}）；得分{ruleset['rounding']}",
             "填表人：　　　　　填报日期：　　　　　联系电话：　　　　　单位负责人签字："]
    for offset, text in enumerate(notes, 1):
        _put(ws, f"A{last + offset}", text, merge_to="I", align=_LEFT)
    # Text from the project, wrapped by Excel where it must; every other cell is a label evalrun breaks itself.
    rows = range(FIRST_INDICATOR_ROW, last)
    prose = {f"B{NAME_ROW}", f"B{DEPARTMENT_ROW}", f"G{DEPARTMENT_ROW}", f"B{GOALS_ROW}", f"F{GOALS_ROW}"}
    prose |= {f"{c}{r}" for r in rows for c in "DEFI"} | {f"A{last + n}" for n in range(1, len(notes) + 1)}
    groups = [row for row, item in enumerate(view["table_rows"], FIRST_INDICATOR_ROW) if item["group_span"]]
    _lay_out(ws, NAME_ROW, last + len(notes), prose, breaks_before=[INDICATOR_HEADER_ROW] + groups[1:],
             repeat_row=INDICATOR_HEADER_ROW)


def project_workbook(view: dict) -> bytes:
    """One project's workbook: a single sheet with its 自评表."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(view["project"]["name"], set())
    write_table(ws, view)
    return _save(wb)


def projects_workbook(views: list[dict], locked: bool = False) -> bytes:
    """One sheet per project, each a 自评表 (the forms `evalrun export` writes for a department);
    ``locked``: only the cells a department fills can be changed (see ``lock_approved``)."""
    wb = Workbook()
    taken: set = set()
    for index, view in enumerate(views):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = sheet_title(view["project"]["name"], taken)
        write_table(ws, view)
        if locked:
            lock_approved(ws, view)
    return _save(wb)


def fill_in_cells(view: dict) -> list[str]:
    """The cells of a form a department fills in: 实施单位, 全年执行数 and its 执行率 and 自评得分, the goals
    achieved, each row's 实际完成值, 自评得分 and 偏差原因分析, the 总分's 自评得分, and the lines below the table
    (评价等级, 填表人). Everything else is approved (budget, targets, weights, names) or a label."""
    last = total_row(view)
    cells = [f"G{DEPARTMENT_ROW}"]
    cells += [f"{BUDGET_COLUMNS[k]}{BUDGET_TOTAL_ROW}" for k in ("executed", "rate", "score")]
    cells.append(f"F{GOALS_ROW}")
    for row in range(FIRST_INDICATOR_ROW, last):
        cells += [f"{INDICATOR_COLUMNS[k]}{row}" for k in ("actual", "score", "explanation")]
    cells += [f"H{last}", f"A{last + 1}", f"A{last + 3}"]
    return cells


def lock_approved(ws, view: dict) -> None:
    """Protect the sheet (no password: anyone can open, read and print it) with the cells a department
    fills in left unlocked, so that approved values cannot be changed by mistake. Rows and columns can
    still be resized, for long explanations."""
    spans = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
    for ref in fill_in_cells(view):
        anchor = ws[ref]
        merged = spans.get((anchor.row, anchor.column))
        area = ws.iter_rows(min_row=merged.min_row, max_row=merged.max_row, min_col=merged.min_col,
                            max_col=merged.max_col) if merged else [[anchor]]
        for line in area:
            for cell in line:
                cell.protection = Protection(locked=False)
    ws.protection.sheet = True
    ws.protection.formatRows = False
    ws.protection.formatColumns = False
    ws.protection.formatCells = False


def sheet_title(name: str, taken: set) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\."""
    base = re.sub(r"[\[\]:*?/\\\x00-\x1f\ufffe\uffff]", "_", name).strip("'") or "Sheet"
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
SUMMARY_COLUMNS = {"index": "A", "department": "B", "project": "C", "budget": "D", "executed": "E",
                   "rate": "F", "total": "G", "grade": "H", "findings": "I"}
# D's header is the budget the ruleset's 执行率 divides by (全年预算数 for `executed / full_year`)
SUMMARY_HEADERS = {"index": "序号", "department": "部门", "project": "项目", "budget": "预算数",
                   "executed": "全年执行数", "rate": "执行率", "total": "总分", "grade": "等级",
                   "findings": "审核提示"}
SUMMARY_FORMATS = {"budget": AMOUNT, "executed": AMOUNT, "rate": RATE, "total": SCORE}


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
    """Row 1 title, row 2 the ruleset, the unit and the budget the 执行率 is computed on, row 3 headers, then
    one row per project (columns as SUMMARY_COLUMNS; a flat list that sorts and filters), a blank row, the
    grade distribution, a blank row, and each department's 小计 (columns D-H as above) and the 合计."""
    _put(ws, "A1", summary["title"], merge_to="I", font=Font(name=FONT, size=16, bold=True))
    ws.row_dimensions[1].height = 30
    note = f"金额单位：{summary['unit']}。{summary['rate_note']}{'。' if summary['rate_note'] else ''}"
    _put(ws, "A2", f"{summary['ruleset_line']}。{note}", merge_to="I", align=_LEFT)
    header = SUMMARY_HEADER_ROW
    headers = {**SUMMARY_HEADERS, "budget": summary["budget_basis"]}
    for key, column in SUMMARY_COLUMNS.items():
        _put(ws, f"{column}{header}", headers[key])
    row, prose = header, {"A2"}
    for row, item in enumerate(summary["rows"], header + 1):
        values = {**item, "findings": "\n".join(item["findings"])}
        for key, column in SUMMARY_COLUMNS.items():
            fmt = SUMMARY_FORMATS.get(key)
            _put(ws, f"{column}{row}", number(values[key]) if fmt else values[key], fmt=fmt,
                 align=_LEFT if key in ("project", "findings") else _CENTER)
        prose |= {f"B{row}", f"C{row}", f"I{row}"}
    _borders(ws, f"A{header}:I{row}")
    projects_end = row
    row += 2
    _put(ws, f"A{row}", "等级分布", merge_to="B")
    _put(ws, f"C{row}", "项目数")
    _put(ws, f"D{row}", "占比")
    for offset, band in enumerate(summary["distribution"], 1):
        _put(ws, f"A{row + offset}", band["grade"], merge_to="B")
        _put(ws, f"C{row + offset}", band["count"])
        _put(ws, f"D{row + offset}", band["fraction"], fmt="0.0%")
    _borders(ws, f"A{row}:D{row + len(summary['distribution'])}")
    distribution = row
    row += len(summary["distribution"]) + 2
    subtotals_at = row
    _put(ws, f"A{row}", "部门小计", merge_to="B")
    for column, text in zip("CDEFGHI", ("项目数", summary["budget_basis"], "全年执行数", "执行率", "平均分", "等级",
                                       "说明")):
        _put(ws, f"{column}{row}", text)
    totals = [section["subtotal"] for section in summary["sections"]]
    if summary["grand_total"]:
        totals.append(summary["grand_total"])
    for row, total in enumerate(totals, row + 1):
        _put(ws, f"A{row}", total["label"].removesuffix(" 小计"), merge_to="B")
        _put(ws, f"C{row}", total["count"])
        for column, key, fmt in (("D", "budget", AMOUNT), ("E", "executed", AMOUNT), ("F", "rate", RATE),
                                 ("G", "average", SCORE)):
            _put(ws, f"{column}{row}", number(total[key]), fmt=fmt)
        _put(ws, f"H{row}", total["grades"])
        _put(ws, f"I{row}", f"{total['failed']} 个未能评价，不计入金额" if total["failed"] else "", align=_LEFT)
        prose |= {f"A{row}", f"I{row}"}
    _borders(ws, f"A{subtotals_at}:I{row}")
    if summary["grand_total"]:
        for cell in ws[f"A{row}:I{row}"][0]:
            cell.font = Font(name=FONT, size=10.5, bold=True)
    last_column = _store_columns(ws, summary)
    _lay_out(ws, 2, row, prose, landscape=True, repeat_row=header,
             breaks_before=list(range(header + 2, projects_end + 1)) + [distribution, subtotals_at],
             last_column=last_column)


# The results store's columns, after 审核提示 when the summary has them: 上年得分 and 变化
# (the year before, from the store) and 预算建议 (评价结果应用, from the ruleset).
STORE_COLUMNS = {"previous_total": ("上年得分", SCORE, 9), "change": ("变化", SCORE, 8), "advice": ("预算建议", None, 12)}


def _store_columns(ws, summary: dict) -> str:
    """Write the store's columns (J onwards) on the summary sheet; the last column used."""
    keys = [k for k in STORE_COLUMNS if summary.get("has_previous" if k != "advice" else "has_advice")]
    last = "I"
    for offset, key in enumerate(keys):
        header, fmt, width = STORE_COLUMNS[key]
        last = get_column_letter(10 + offset)
        ws.column_dimensions[last].width = width
        _put(ws, f"{last}{SUMMARY_HEADER_ROW}", header)
        for row, item in enumerate(summary["rows"], SUMMARY_HEADER_ROW + 1):
            value = item.get(key)
            _put(ws, f"{last}{row}", number(value) if fmt and value is not None else (value or None), fmt=fmt)
    if keys:
        _borders(ws, f"J{SUMMARY_HEADER_ROW}:{last}{SUMMARY_HEADER_ROW + len(summary['rows'])}")
    return last


# ---------------------------------------------------------------- helpers


# Characters an XML file cannot hold (openpyxl refuses the controls; the rest would break the file).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# What makes Excel read a typed-in text as a formula (or DDE) when the cell is edited.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def text_cell(cell, value: str) -> None:
    """Put ``value`` in ``cell`` as text: a string cell, never a formula, whatever it starts with."""
    cell.value = _NOT_XML.sub("\ufffd", value)
    cell.data_type = "s"
    if value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True


def _put(ws, ref: str, value, merge_to: str | None = None, fmt: str | None = None,
         align: Alignment = _CENTER, font: Font | None = None) -> None:
    cell = ws[ref]
    if isinstance(value, str):
        text_cell(cell, value)  # a string cell, never a formula, whatever it starts with
    else:
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


# ---------------------------------------------------------------- print layout

# The width of one A4 page in Excel's column units (7 px each, plus 5 px of padding per column) between
# margins of 0.5 inch, portrait and landscape; a sheet wider than this prints smaller (fitToWidth).
PAGE_WIDTH = {False: (8.27 - 1.0) * 96, True: (11.69 - 1.0) * 96}
# The printable height of that page, in points, between margins of 0.75 inch.
PAGE_HEIGHT = {False: (11.69 - 1.5) * 72, True: (8.27 - 1.5) * 72}
MIN_SCALE = 0.8     # a sheet that fits on one page at this scale or more is printed on one page
MIN_WIDTH = 4       # no column narrower than two Chinese characters
MAX_WIDTH = 60


def _text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if cell.number_format in (RATE, "0.0%"):
            return f"{Decimal(str(value)) * 100:.2f}%"
        return format_number(Decimal(str(value)))
    return str(value)


def _lay_out(ws, first: int, last: int, prose: set, landscape: bool = False, repeat_row: int | None = None,
             breaks_before: list | None = None, last_column: str = "I") -> None:
    """Column widths, line breaks of labels, row heights and page setup, computed from the sheet's text.

    ``prose`` are the cells holding running text (Excel wraps it); every other text cell is a label broken
    here at good points. ``breaks_before`` lists the rows a page may break before (first-level groups).
    """
    merged = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
    covered = {(r, c) for m in merged.values() for r in range(m.min_row, m.max_row + 1)
               for c in range(m.min_col, m.max_col + 1)}
    cells = []  # (first row, last row, first column, last column, text, is a label)
    for row in ws.iter_rows(min_row=first, max_row=last, max_col=len(COLUMNS)):
        for cell in row:
            text = _text(cell)
            if not text:
                continue
            span = merged.get((cell.row, cell.column))
            if span is None and (cell.row, cell.column) in covered:
                continue  # covered by a merged cell
            rows = (cell.row, span.max_row if span else cell.row)
            cols = (cell.column, span.max_col if span else cell.column)
            label = cell.coordinate not in prose and not isinstance(cell.value, (int, float, Decimal))
            cells.append((*rows, *cols, text, label))
    fixed = sum(ws.row_dimensions[r].height or 0 for r in range(1, first))  # the title
    sizer = _Sizer(cells)
    widths = _widths(tuple(cells), landscape, fixed, sizer)
    for index, letter in enumerate(COLUMNS, 1):
        ws.column_dimensions[letter].width = widths[index]
    for (top, _, left, right, text, label) in cells:
        # Excel would break a label anywhere (（65分）, 项目支出名/称): evalrun breaks it at good points itself.
        if label and "\n" not in text:
            fitted = "\n".join(textfit.lines(text, _room(widths, left, right)))
            if fitted != text:
                text_cell(ws.cell(top, left), fitted)  # still a string cell, whatever it starts with
    heights = sizer.heights(widths, first, last)
    for row, height in heights.items():
        ws.row_dimensions[row].height = height
    _page_setup(ws, f"A1:{last_column}{last}", heights, landscape, repeat_row, breaks_before or [])


def _widths(cells: tuple, landscape: bool, fixed: float, sizer: "_Sizer") -> dict:
    """sizer.choose(...), remembered: a run writes each project's sheet twice (its workbook, the year's)."""
    key = (cells, landscape, fixed)
    if key not in _WIDTHS:
        if len(_WIDTHS) >= 256:
            _WIDTHS.pop(next(iter(_WIDTHS)))
        _WIDTHS[key] = sizer.choose(PAGE_WIDTH[landscape], PAGE_HEIGHT[landscape], fixed)
    return dict(_WIDTHS[key])


_WIDTHS: dict = {}


def _room(widths: dict, left: int, right: int) -> int:
    """Text units across columns left..right: their widths, less a unit of cell padding."""
    return int(sum(widths[c] for c in range(left, right + 1))) - 1


def _least_width(label: str) -> int:
    """The narrowest column for a label: one line up to five Chinese characters, else two lines at most."""
    longest = max(textfit.width(line) for line in label.split("\n"))
    if longest <= 10:
        return longest + 1
    least = textfit.longest_unbreakable(label) + 1
    while textfit.line_count(label, least - 1) > 2:
        least += 1
    return least


class _Sizer:
    """Column widths that make a table shortest, and its row heights, from its cells' text.

    Each column starts as narrow as its labels allow (_least_width); then the units of width left go, a
    few at a time, to the column where they save the most height per unit; a column stops growing once
    all its text fits on one line, and what no column can use goes to the one with the widest text.
    """

    LOOK_AHEAD = 8  # units a column is tried wider by, to get past widths that save nothing

    def __init__(self, cells: list):
        self.cells = [(top, bottom, tuple(range(left, right + 1)), text) for top, bottom, left, right, text, _ in cells]
        self.lines: dict = {}
        columns = range(1, len(COLUMNS) + 1)
        single = {c: [x for x in cells if x[2] == x[3] == c] for c in columns}
        self.least = {c: max([MIN_WIDTH] + [_least_width(t) for *_, t, label in single[c] if label]) for c in columns}
        self.most = {c: min(MAX_WIDTH, max([self.least[c]] + [max(textfit.width(line) for line in t.split("\n")) + 1
                                                              for *_, t, _ in single[c]])) for c in columns}

    def _text_heights(self, widths: dict) -> tuple[dict, list]:
        """The height of text, without padding, each row needs for its own cells, and the (top, bottom, height)
        of each cell merged over rows; line counts remembered per cell and width."""
        line, lines = _LINE_HEIGHT, self.lines
        heights: dict = {}
        tall = []
        for index, (top, bottom, columns, text) in enumerate(self.cells):
            room = (widths[columns[0]] if len(columns) == 1 else sum(widths[c] for c in columns)) - 1
            count = lines.get((index, room))
            if count is None:
                count = lines[(index, room)] = textfit.line_count(text, int(room))
            need = count * line
            if top == bottom:
                if need > heights.get(top, 0):
                    heights[top] = need
            else:
                tall.append((top, bottom, need))
        return heights, tall

    def heights(self, widths: dict, first: int | None = None, last: int | None = None) -> dict:
        """Each row as tall as its tallest cell; a cell merged over rows gets what it lacks on its last row."""
        line = _LINE_HEIGHT
        text_heights, tall = self._text_heights(widths)
        heights = {row: need + _ROW_PADDING for row, need in text_heights.items()}
        tall = [(top, bottom, need + _ROW_PADDING) for top, bottom, need in tall]
        if first is not None:
            for row in range(first, last + 1):
                heights.setdefault(row, line + _ROW_PADDING)
        for top, bottom, need in tall:
            rows = range(top, bottom + 1)
            for row in rows:
                heights.setdefault(row, line + _ROW_PADDING)
            lack = need - sum(heights[r] for r in rows)
            if lack > 0:
                heights[bottom] += lack
        return {row: round(h, 1) for row, h in heights.items()}

    def total(self, widths: dict) -> float:
        """The table's height: what ``heights`` sums to, computed without the rounding (the search's hot path)."""
        line = _LINE_HEIGHT
        heights, tall = self._text_heights(widths)
        total = sum(heights.values()) + _ROW_PADDING * len(heights)
        for top, bottom, need in tall:  # merged over rows: what those rows lack
            have = sum(heights.get(r, line) + _ROW_PADDING for r in range(top, bottom + 1))
            for r in range(top, bottom + 1):
                if r not in heights:
                    heights[r] = line
                    total += line + _ROW_PADDING
            if need + _ROW_PADDING > have:
                total += need + _ROW_PADDING - have
        return total

    def _grow(self, widths: dict, budget: int, current: float) -> float:
        """Spend units up to ``budget`` where they save the most height; returns the new total height."""
        while (left := budget - sum(widths.values())) > 0:
            best, best_rate, best_step = None, 0.0, 0
            for c in widths:
                for step in range(1, min(left, self.most[c] - widths[c], self.LOOK_AHEAD) + 1):
                    gain = current - self.total({**widths, c: widths[c] + step})
                    if gain > 0:
                        if gain / step > best_rate:
                            best, best_rate, best_step = c, gain / step, step
                        break
            if best is None:
                break
            widths[best] += best_step
            current -= best_rate * best_step
        return current

    def _filled(self, widths: dict, budget: int) -> dict:
        spare = budget - sum(widths.values())
        filled = dict(widths)
        if spare > 0:  # nothing gets shorter: the widest text gets the rest, so the table fills the page
            filled[max(filled, key=lambda c: (self.most[c] - filled[c], -c))] += spare
        return filled

    def choose(self, page_px: float, page_height: float, fixed_height: float) -> dict:
        """The widths for one page's width; or wider, printed smaller (down to MIN_SCALE), where that
        fits the sheet on one page; or the page's width when nothing does."""
        n = len(COLUMNS)
        page = int((page_px - 5 * n) / 7)
        widths = dict(self.least)
        current = self.total(widths)
        first = None
        for budget in range(page, int(page / MIN_SCALE) + 1, 4):
            current = self._grow(widths, budget, current)
            candidate = self._filled(widths, budget)
            first = first or candidate
            scale = min(1.0, page_px / (7 * sum(candidate.values()) + 5 * n))
            if (self.total(candidate) + fixed_height) * scale <= page_height:
                return candidate
        return first


def _page_setup(ws, area: str, heights: dict, landscape: bool, repeat_row: int | None, breaks_before: list) -> None:
    """A4, one page wide; one page tall when the sheet fits there at MIN_SCALE or more, else pages that break
    only before the rows in ``breaks_before``, with ``repeat_row`` printed at the top of each."""
    ws.print_area = area
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_setup.fitToWidth = 1
    width_px = sum(ws.column_dimensions[c].width * 7 + 5 for c in COLUMNS)
    scale = min(1.0, PAGE_WIDTH[landscape] / width_px)
    rows = {row: ws.row_dimensions[row].height or _LINE_HEIGHT + _ROW_PADDING for row in range(1, max(heights) + 1)}
    rows.update(heights)
    page = PAGE_HEIGHT[landscape]
    if sum(rows.values()) * MIN_SCALE <= page:
        ws.page_setup.fitToHeight = 1
        return
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed, each broken between groups
    if repeat_row:
        ws.print_title_rows = f"{repeat_row}:{repeat_row}"
    repeated = rows[repeat_row] if repeat_row else 0
    used = 0.0
    allowed = set(breaks_before)
    last_allowed = None
    for row in sorted(rows):
        if used + rows[row] * scale > page and last_allowed is not None and last_allowed > 1:
            ws.row_breaks.append(Break(id=last_allowed - 1))
            used = repeated * scale + sum(rows[r] for r in range(last_allowed, row)) * scale
            last_allowed = None
        if row in allowed:
            last_allowed = row
        used += rows[row] * scale


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


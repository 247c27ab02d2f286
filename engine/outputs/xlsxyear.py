"""xlsxyear: the year workbook, its 汇总 sheet first and then one 自评表 sheet per project.

The sheets of the projects are those of engine.outputs.xlsx; the 汇总 lists
every project of the year with its budget, 执行率, total, grade and
findings, and, when the results store is used, last year's total, the
change and the budget advice.
"""
from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from engine.outputs.xlsx import number, sheet_title, write_table
from engine.outputs.xlsxcells import _CENTER, _LEFT, _borders, _put, _save
from engine.outputs.xlsxlayout import AMOUNT, FONT, RATE, SCORE
from engine.outputs.xlsxprint import _lay_out


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

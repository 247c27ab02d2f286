"""xlsx: the self-evaluation table (项目支出绩效自评表) as an Excel sheet, one project's or several.

The layout (which cell holds what) is engine.outputs.xlsxlayout; writing the
cells (text never a formula, shared styles, saving) is engine.outputs.xlsxcells;
the column widths, row heights and page setup are engine.outputs.xlsxprint;
the year workbook with its 汇总 is engine.outputs.xlsxyear.
"""
from __future__ import annotations

import re
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font, Protection

from engine.outputs.xlsxcells import _LEFT, _borders, _put, _save
from engine.outputs.xlsxlayout import (
    AMOUNT, BUDGET_COLUMNS, BUDGET_HEADER_ROW, BUDGET_HEADERS, BUDGET_PART_ROWS, BUDGET_TOTAL_ROW, DEPARTMENT_ROW,
    FIRST_INDICATOR_ROW, FONT, GOALS_HEADER_ROW, GOALS_ROW, INDICATOR_COLUMNS, INDICATOR_HEADER_ROW,
    INDICATOR_HEADERS, LABELS, NAME_ROW, RATE, SCORE, TITLE_ROW, WEIGHT,
)
from engine.outputs.xlsxprint import _lay_out
from engine.rules.targets import format_number


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
    """The cells of a form a department fills in: 实施单位, 全年执行数 (also of each 其中 row) and its 执行率 and
    自评得分, the goals achieved, each row's 实际完成值, 自评得分 and 偏差原因分析 (a 其中 row's 实际完成值 only),
    the 总分's 自评得分, and the lines below the table
    (评价等级, 填表人). Everything else is approved (budget, targets, weights, names) or a label."""
    last = total_row(view)
    cells = [f"G{DEPARTMENT_ROW}"]
    cells += [f"{BUDGET_COLUMNS[k]}{BUDGET_TOTAL_ROW}" for k in ("executed", "rate", "score")]
    cells += [f"{BUDGET_COLUMNS['executed']}{row}" for row in BUDGET_PART_ROWS]  # each 其中 row's 全年执行数
    cells.append(f"F{GOALS_ROW}")
    for row, item in enumerate(view["table_rows"], FIRST_INDICATOR_ROW):  # a 其中 row has its actual value only
        keys = ("actual",) if item.get("sub_item") else ("actual", "score", "explanation")
        cells += [f"{INDICATOR_COLUMNS[k]}{row}" for k in keys]
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



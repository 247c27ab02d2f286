"""printfit: how the HTML report's 自评表 should meet the page it is printed on.

A browser keeps a block on one page (``break-inside: avoid``) only by
giving up every other break rule inside it when the block is taller than a
page: a long 自评表 would then break inside a first-level group. So the
report asks for the 自评表 to be kept whole only where it surely fits, and
this module estimates its printed height from the text, with the geometry of
report.css.j2's print rules (keep the two in step): A4 with the Word
template's margins (a text area of 156 × 225 mm), the table at 9 pt with a
line height of 1.15, its columns 14.5 18 17 24 18 18 9 14.5 23 mm.

``form_break``: ``keep`` (surely fits a page: kept whole, on the next page
if it must), ``page`` (about a page: it starts a page, so it is whole there
if it fits and otherwise breaks between groups), ``flow`` (surely longer
than a page: it follows the text and breaks between groups).
"""
from __future__ import annotations

import engine.outputs.textfit as textfit

MM = 72 / 25.4
PAGE_HEIGHT = 225 * MM            # 297 mm less the 37 and 35 mm margins
COLUMNS_MM = (14.5, 18, 17, 24, 18, 18, 9, 14.5, 23)
FONT = 9.0                        # pt, the table's text
LINE = FONT * 1.15
CELL = 2 * 1.0 + 0.75             # pt: padding above and below, and a rule
PADDING_X = 2 * 2.0               # pt: padding left and right
TITLE = 15 * 1.5 + 15 * 0.4       # the form title and the space under it
BODY_LINE = 12 * 1.75             # the grade and signature lines (body text)
FOOT = 2 * BODY_LINE + 8 + 2 * 7.5 * 1.4 + 4  # grade, signature, their margins, the rules line
SURE, UNSURE = 0.92, 1.1          # of a page: the estimate is within some 5% of what a browser prints
HALF = 0.5


def _room(first: int, last: int) -> int:
    """Half-em units of 9 pt text across columns first..last (0-based, inclusive)."""
    points = sum(COLUMNS_MM[first:last + 1]) * MM - PADDING_X
    return int(points / (FONT / 2))


def _lines(text, first: int, last: int | None = None) -> int:
    return textfit.line_count("" if text is None else str(text), _room(first, first if last is None else last))


def _heights(view: dict) -> tuple[float, list]:
    """The printed height in points of the 自评表's first table (with the title and the indicator header),
    and of each first-level group's rows; the last group with the 总分 row, grade, signature and rules."""
    project = view["project"]
    head = [
        max(_lines("项目支出名称", 0), _lines(project["name"], 1, 8)),
        max(_lines("主管部门", 0), _lines(project["department"], 1, 3), _lines(project["implementing_unit"], 6, 8)),
        max(_lines(h, c) for c, h in enumerate(("", "", "", "年初预算数", "全年预算数", "全年执行数"), 0)),
        1, 1, 1, 1,  # 年度资金总额 and the three 其中 rows
        1,           # 预期目标 / 实际完成情况
        max(sum(_lines(f"{i}.{g['expected']}", 1, 4) for i, g in enumerate(project["goals"], 1)),
            sum(_lines(f"{i}.{g['achieved']}", 5, 8) for i, g in enumerate(project["goals"], 1)), 2),
        max(_lines(h, c) for c, h in enumerate(("绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值",
                                                 "实际完成值", "分值", "自评得分", "偏差原因分析及改进措施"))),
    ]
    rows = view["table_rows"]
    lines = [max(_lines(row["label"], 3), _lines(row["target"], 4), _lines(row["actual"], 5),
                 _lines(row["explanation"], 8), 1) for row in rows]
    # a 一级 or 二级 cell merged over rows needs its lines across them: what they lack goes on the last
    for index, row in enumerate(rows):
        for span, text, column in ((row["group_span"], row["group"], 1), (row["subgroup_span"], row["subgroup"], 2)):
            if span:
                lack = _lines(text, column) - sum(lines[index:index + span])
                if lack > 0:
                    lines[index + span - 1] += lack
    groups = [sum(n * LINE + CELL for n in lines[i:i + row["group_span"]])
              for i, row in enumerate(rows) if row["group_span"]]
    end = LINE + CELL + FOOT  # 总分, grade, signature, rules
    if groups:
        groups[-1] += end
    else:
        groups = [end]
    return TITLE + sum(n * LINE + CELL for n in head), groups


def form_height(view: dict) -> float:
    """The printed height in points of the 自评表 with its title, grade, signature and rules line."""
    head, groups = _heights(view)
    return head + sum(groups)


def form_break(height: float) -> str:
    if height <= PAGE_HEIGHT * SURE:
        return "keep"
    return "page" if height <= PAGE_HEIGHT * UNSURE else "flow"


def print_layout(view: dict) -> dict:
    """What the HTML templates need to know about the printed page (``layout`` in their context).

    ``whole_groups``: for each first-level group, whether it is kept on one page; one taller than half a
    page is not (it would move to a new page and break there anyway, leaving a short page behind).
    """
    head, groups = _heights(view)
    height = head + sum(groups)
    return {"form_break": form_break(height), "form_height": round(height, 1), "page_height": round(PAGE_HEIGHT, 1),
            "whole_groups": [group <= PAGE_HEIGHT * HALF for group in groups]}

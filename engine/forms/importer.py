"""importer: the self-evaluation forms (项目支出绩效自评表) departments fill in Excel -> project data.

Every sheet with an indicator header (一级指标 … 三级指标) is one project;
other sheets (a 汇总, notes) are skipped. Blocks are found by their labels,
never by fixed cells, so the layout engine/outputs/xlsx.py writes is read as well as
the usual variations of real forms: blank rows and columns, no title, 一级/二级
cells merged over their rows or written only in the first, weights in the
group header (`产出指标 (65 分)`), numbers written as text, 不适用 rows.
Every cell that cannot be read is an error naming it (FILE.xlsx!Sheet!C12),
and all of a sheet's errors are collected, not only the first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from engine.forms.cells import FormError, Grid, is_blank, label, read_number, text
from engine.forms.indicator_table import INDICATOR_COLUMNS, SCORE_SUFFIXES, _IndicatorTable
from engine.i18n import tr
from engine.rules.targets import format_number
from engine.outputs.xlsxlayout import BUDGET_HEADERS, INDICATOR_HEADERS, LABELS

# The labels evalrun writes come first; the variants after them are seen in real forms.
BUDGET_COLUMNS = {
    "initial": (BUDGET_HEADERS["initial"], "年初预算"),
    "full_year": (BUDGET_HEADERS["full_year"], "全年预算", "调整后预算数"),
    "executed": (BUDGET_HEADERS["executed"], "全年执行", "执行数", "实际执行数", "全年实际支出"),
    "weight": (BUDGET_HEADERS["weight"],),
    "rate": (BUDGET_HEADERS["rate"], "预算执行率"),
    "score": (BUDGET_HEADERS["score"], "得分"),
}
BUDGET_PARTS = {"current_appropriation": ("财政拨款",), "carried_over": ("上年结转",), "other": ("其他资金",)}
NAME_LABELS = (LABELS["name"], "项目名称")
DEPARTMENT_LABELS = (LABELS["department"], "主管部门(单位)", "主管单位")
UNIT_LABELS = (LABELS["implementing_unit"],)
IDENTITY_LABELS = NAME_LABELS + DEPARTMENT_LABELS + UNIT_LABELS
BUDGET_TOTAL_LABELS = (LABELS["budget_total"], "资金总额", "合计")
EXPECTED_LABELS = (LABELS["expected"], "年度目标")
ACHIEVED_LABELS = (LABELS["achieved"], "实际完成", "全年实际完成情况")
_YEAR = re.compile(r"(\d{4})年")
GRADE_LABEL = "评价等级"
_GRADE = re.compile(rf"^\s*{GRADE_LABEL}\s*(?:[:：]\s*(.*))?$")  # not 评价等级达标率, an indicator's name
_GOAL_ITEM = re.compile(r"(?:^|(?<=[\s;；。]))(\d{1,2})[.、．]\s*(?!\d)")

Framework = Callable[[str], "dict | None"]  # department -> {一级: (二级, ...)}, or None when unknown


@dataclass
class SheetImport:
    """One sheet read: the project data (schema key order) or the errors that stop it."""

    sheet: str
    data: dict | None = None
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    notes: dict = field(default_factory=dict)  # what the form states that evalrun computes itself
    skipped: str = ""
    # Where each field the form has a place for was read, written or empty: ("budget", "executed"),
    # ("indicators", 3, "actual"), ("goals", "achieved") -> CellSource. A field with no place in the
    # form (no 自评得分 column, say) is absent: the form does not carry it.
    cells: dict = field(default_factory=dict)
    blocks: dict = field(default_factory=dict)  # "expected"/"achieved" -> the goals' text as written


def read_sheet(ws, filename: str, year: int, department: str | None = None,
               framework: Framework | None = None) -> SheetImport:
    grid = Grid(ws, filename)
    headers = grid.find(INDICATOR_COLUMNS["label"])
    if not headers:
        return SheetImport(ws.title, skipped=tr("import.not_a_form", header=INDICATOR_HEADERS["label"]))
    reader = _Reader(grid, headers[0][0])
    if len(headers) > 1:
        reader.errors.append(grid.error(*headers[1], tr("import.second_table", first=headers[0][0],
                                                        second=headers[1][0])))
    data = reader.read(year, department, framework or (lambda _: None))
    return SheetImport(ws.title, None if reader.errors else data, reader.errors, reader.warnings, reader.notes,
                       cells=reader.cells, blocks=reader.blocks)


def sheet_year(ws, filename: str) -> tuple | None:
    """(year, CellSource) from a 自评表 sheet's title (`2025年度项目支出绩效自评表`), or None."""
    grid = Grid(ws, filename)
    headers = grid.find(INDICATOR_COLUMNS["label"])
    if not headers:
        return None
    for cell in grid.find(("自评表",), last_row=headers[0][0], contains=True):
        found = _YEAR.search(grid.label(*cell))
        if found:
            return int(found[1]), grid.source(*cell)
    return None


class _Reader(_IndicatorTable):
    def __init__(self, grid: Grid, header_row: int):
        self.grid, self.header_row = grid, header_row
        self.errors: list[FormError] = []
        self.warnings: list[FormError] = []
        self.notes: dict = {}
        self.cells: dict = {}
        self.blocks: dict = {}

    def at(self, path: tuple, cell: tuple) -> None:
        """Remember that the field ``path`` is read from ``cell``."""
        self.cells[path] = self.grid.source(*cell)

    def fail(self, cell: tuple, message: str) -> None:
        self.errors.append(self.grid.error(*cell, message))

    def number(self, cell: tuple, what: str, percent: bool = False, suffixes: tuple = ()) -> Decimal | None:
        try:
            value = read_number(self.grid.value(*cell), self.grid.source(*cell), what, percent, suffixes)
        except FormError as exc:
            self.errors.append(exc)
            return None
        if value is not None and value < 0:
            self.fail(cell, tr("import.negative", what=what, value=format_number(value)))
            return None
        return value

    def labelled(self, labels: tuple, what: str, required: bool = True, hint: str = "",
                 path: tuple | None = None) -> str:
        """The text right of the first cell carrying one of ``labels``."""
        cells = self.grid.find(labels, last_row=self.header_row)
        if not cells:
            if required:
                self.errors.append(self.grid.sheet_error(
                    tr("import.no_label", labels=tr("import.or").join(labels[:2]), what=what, hint=hint)))
            return ""
        cell = self.grid.right_of(*cells[0], stop=IDENTITY_LABELS + (LABELS["funds"],))
        if path:
            self.at(path, cell)
        value = text(self.grid.value(*cell))
        if not value and required:
            self.fail(cell, tr("import.label_empty", what=what, label=labels[0], hint=hint))
        return value

    def read(self, year: int, department: str | None, framework: Framework) -> dict:
        self.title(year)
        data = {"project": self.labelled(NAME_LABELS, tr("import.what.project"), path=("project",))}
        if department:
            data["department"] = department
        else:
            data["department"] = self.labelled(DEPARTMENT_LABELS, tr("import.what.department"),
                                               hint=tr("import.hint.department"))
        data["implementing_unit"] = self.labelled(UNIT_LABELS, tr("import.what.unit"), required=False,
                                                  path=("implementing_unit",))
        data["fiscal_year"] = year
        data["budget"] = self.budget()
        goals = self.goals()
        if goals:
            data["goals"] = goals
        groups = framework(data["department"]) if data["department"] else None
        indicators, stated, total = self.indicators(groups)
        if stated:
            data["stated_weights"] = stated
        data["indicators"] = indicators
        if total is not None:
            data["reported_total"] = total
        stated_total = self.notes.get("stated_total")
        if stated_total is not None and stated_total != 100:  # 100 is what a table that says nothing means
            data["stated_total"] = stated_total
        grade = self.grade()
        if grade:
            data["reported_grade"] = grade
        return data

    def grade(self) -> str:
        """The 评价等级 written below the table (`评价等级：优`, or 优 right of a cell `评价等级`), or ""."""
        for cell in self.grid.find((GRADE_LABEL,), first_row=self.header_row + 1, contains=True):
            found = _GRADE.match(text(self.grid.value(*cell)))
            if not found:
                continue
            right = self.grid.right_of(*cell)
            if not found[1] and self.grid.anchor(*right) != self.grid.anchor(*cell) and \
                    not is_blank(self.grid.value(*right)):
                cell = right
            self.at(("reported_grade",), cell)
            grade = (found[1] or "") if cell != right else text(self.grid.value(*cell))
            return "" if is_blank(grade) else grade.strip()
        return ""

    def title(self, year: int) -> None:
        for cell in self.grid.find(("自评表",), last_row=self.header_row, contains=True):
            found = _YEAR.search(self.grid.label(*cell))
            if found and int(found[1]) != year:
                self.warnings.append(self.grid.error(
                    *cell, tr("import.title_year", title=found[1], year=year)))
            return

    # ------------------------------------------------------------ budget

    def budget(self) -> dict:
        budget: dict = {}
        amounts = [w for key in ("initial", "full_year", "executed") for w in BUDGET_COLUMNS[key]]
        header = next(iter(self.grid.find(amounts, last_row=self.header_row - 1)), None)
        if header is None:
            self.errors.append(self.grid.sheet_error(tr("import.no_budget")))
            return budget
        # the block ends where the goals (or the indicators) begin
        later = self.grid.find(EXPECTED_LABELS + (LABELS["goals"],), first_row=header[0] + 1,
                               last_row=self.header_row - 1)
        last_row = later[0][0] - 1 if later else self.header_row - 1
        columns = self._columns(header[0], BUDGET_COLUMNS)
        columns.pop("adjusted", None)
        missing = [BUDGET_HEADERS[k] for k in ("initial", "full_year", "executed") if k not in columns]
        if missing:
            self.fail(header, tr("import.budget_columns", missing=", ".join(missing),
                                 expected=", ".join(BUDGET_HEADERS.values())))
            return budget
        unit, unit_cell = self._unit(last_row)
        if unit:
            budget["unit"] = unit
            self.at(("budget", "unit"), unit_cell)
        rows = self.grid.find(BUDGET_TOTAL_LABELS, first_row=header[0] + 1, last_row=last_row)
        if not rows:
            self.fail(header, tr("import.no_budget_total", label=LABELS["budget_total"]))
            return budget
        row = rows[0][0]
        for key in ("initial", "full_year", "executed"):
            self.at(("budget", key), (row, columns[key]))
            value = self.number((row, columns[key]), BUDGET_HEADERS[key])
            if value is not None:
                budget[key] = value
            elif not self._failed_at(row, columns[key]):
                self.fail((row, columns[key]), tr("import.amount_empty", what=BUDGET_HEADERS[key],
                                                  unit=tr("import.in_unit", unit=unit) if unit else ""))
        for key, words in BUDGET_PARTS.items():
            cells = self.grid.find(words, first_row=row + 1, last_row=last_row, contains=True)
            if cells:
                part = self._fund_part(key, cells[0], columns)
                if part:  # 年初预算数 alone is written as a number, as in the bundled example
                    budget[key] = part["initial"] if list(part) == ["initial"] else part
        if "weight" in columns:
            self.at(("budget_weight",), (row, columns["weight"]))
            weight = self.number((row, columns["weight"]), BUDGET_HEADERS["weight"], suffixes=SCORE_SUFFIXES)
            if weight is not None:
                self.notes["weight"] = weight
        if "rate" in columns:
            self.at(("budget", "reported_rate"), (row, columns["rate"]))
            rate = self.number((row, columns["rate"]), BUDGET_HEADERS["rate"], percent=True)
            if rate is not None:
                # 0.5532 (a fraction, or 55.32% as text) and 55.32 (percent points) both mean 55.32%
                self.notes["rate_percent"] = rate * 100 if rate <= 2 else rate
                self.notes["rate"] = f"{format_number(self.notes['rate_percent'])}%"
        if "score" in columns:
            self.at(("budget", "reported_score"), (row, columns["score"]))
            score = self.number((row, columns["score"]), BUDGET_HEADERS["score"], suffixes=SCORE_SUFFIXES)
            if score is not None:
                budget["reported_score"] = score
        if "rate_percent" in self.notes:  # as the table prints it; a run compares it with the rate computed
            budget["reported_rate"] = self.notes["rate"]
        return budget

    def _fund_part(self, key: str, cell: tuple, columns: dict) -> dict:
        """A 其中 row of 年度资金总额: each of its 年初预算数, 全年预算数, 全年执行数 the form writes."""
        part, what = {}, text(self.grid.value(*cell))
        for column in ("initial", "full_year", "executed"):
            at = (cell[0], columns[column])
            self.at(("budget", key, column), at)
            value = self.number(at, f"{what} {BUDGET_HEADERS[column]}")
            if value is not None:
                part[column] = value
        return part

    def _failed_at(self, row: int, column: int) -> bool:
        source = self.grid.source(row, column)
        return any(e.source == source for e in self.errors)

    def _unit(self, last_row: int) -> tuple:
        """(万元, its cell) from `项目资金（万元）` or `单位：万元`; ("", None) when the form does not say."""
        for cell in self.grid.find((LABELS["funds"], "单位"), last_row=last_row, contains=True):
            written = self.grid.label(*cell)
            found = re.search(r"(亿元|万元|元)", written)
            if found and (LABELS["funds"] in written or re.match(r"^(金额)?单位", written)):
                return found[1], cell
        return "", None

    def _columns(self, row: int, names: dict) -> dict:
        """Which column holds each named header in ``row``; 调整后预算数 is full_year only when 全年预算数 is absent."""
        columns: dict = {}
        for column in range(1, self.grid.columns + 1):
            if self.grid.anchor(row, column) != (row, column):
                continue
            seen = self.grid.label(row, column)
            for key, words in names.items():
                if key not in columns and any(label(w) == seen for w in words):
                    if key == "full_year" and seen == "调整后预算数":
                        columns.setdefault("adjusted", column)
                        continue
                    columns[key] = column
                    break
        if "full_year" not in columns and "adjusted" in columns:
            columns["full_year"] = columns.pop("adjusted")
        return columns

    # ------------------------------------------------------------ goals

    def goals(self) -> list:
        headers = self.grid.find(EXPECTED_LABELS, last_row=self.header_row - 1)
        if headers:
            row, column = headers[0]
            achieved = next((c for r, c in self.grid.find(ACHIEVED_LABELS, row, row)), None)
            expected_text = self._texts_below(row, column)
            achieved_text = self._texts_below(row, achieved) if achieved else ""
            self.at(("goals", "expected"), (min(row + 1, self.header_row - 1), column))
            self.blocks["expected"] = expected_text
            if achieved:
                self.at(("goals", "achieved"), (min(row + 1, self.header_row - 1), achieved))
                self.blocks["achieved"] = achieved_text
        else:
            cells = self.grid.find((LABELS["goals"],), last_row=self.header_row - 1)
            if not cells:
                return []
            cell = self.grid.right_of(*cells[0])
            expected_text = text(self.grid.value(*cell))
            achieved_text = ""
            self.at(("goals", "expected"), cell)
            self.blocks["expected"] = expected_text
        expected, achieved = _items(expected_text), _items(achieved_text)
        if not expected:
            return []
        if achieved and len(achieved) != len(expected):  # numbered differently: keep both texts whole
            expected, achieved = [expected_text], [achieved_text]
        goals = []
        for index, goal in enumerate(expected):
            item = {"expected": goal}
            if index < len(achieved) and achieved[index]:
                item["achieved"] = achieved[index]
            goals.append(item)
        return goals

    def _texts_below(self, row: int, column: int) -> str:
        seen, parts = set(), []
        for below in range(row + 1, self.header_row):
            anchor = self.grid.anchor(below, column)
            if anchor not in seen and anchor[0] > row:
                seen.add(anchor)
                value = self.grid.value(below, column)
                if value is not None:
                    parts.append(str(value).strip())
        return "\n".join(parts)


def _items(block: str) -> list:
    """`1.… 2.…` (on lines or in one line) -> the items without their numbers; unnumbered lines as they are."""
    block = block.strip()
    if not block:
        return []
    marks = list(_GOAL_ITEM.finditer(block))
    if marks and [int(m[1]) for m in marks] == list(range(1, len(marks) + 1)) and marks[0].start() == 0:
        ends = [m.start() for m in marks[1:]] + [len(block)]
        return [block[m.end():end].strip().rstrip("；;，,").strip() for m, end in zip(marks, ends)]
    return [line.strip() for line in block.split("\n") if line.strip()]

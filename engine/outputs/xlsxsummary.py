"""xlsxsummary: the year workbook's 汇总 sheet written row by row, whatever the number of projects.

``xlsxyear.write_summary`` puts every cell of the sheet into openpyxl and lays
it out (``xlsxprint._lay_out``) with the whole sheet in memory: about 18 KB a
project. Here the same sheet is made in passes over the summary's rows (which
may be read from disk, engine.outputs.summarystream), nothing of it kept but
what each pass sums up:

1. the texts of every cell give each column's least and most width, the rows'
   count and, for a long sheet, the rows ``xlsxprint._Sizer._sampled`` would
   take (each column's widest cells, the rest spread evenly);
2. those rows' cells go to the width search, as the whole sheet's sample does;
3. each row is put into the sheet with the cells ``write_summary`` puts there
   (the same styles, merges and borders), its labels broken and its height set
   as ``_lay_out`` would, its page break found as ``_page_setup`` would, then
   written by openpyxl's own row writer into a temporary file and dropped.

The sheet's XML goes into the package from that file in pieces. The bytes are
those of ``write_summary`` and openpyxl's writer (tests/test_summary_stream.py).
"""
from __future__ import annotations

import heapq
import shutil
import tempfile
import zipfile
from decimal import Decimal
from types import SimpleNamespace

from openpyxl.styles import Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.worksheet.pagebreak import Break

import engine.outputs.textfit as textfit
from engine.outputs.ooxml import FIXED_ZIP_TIME
from engine.outputs.xlsx import number
from engine.outputs.xlsxcells import _BORDER, _CENTER, _LEFT, _NOT_XML, _put, text_cell
from engine.outputs.xlsxlayout import AMOUNT, COLUMNS, FONT, RATE, SCORE
from engine.outputs.xlsxprint import (
    _LINE_HEIGHT, _ROW_PADDING, MAX_WIDTH, MIN_SCALE, MIN_WIDTH, PAGE_HEIGHT, PAGE_WIDTH, SAMPLE_ROWS, _least_width,
    _room, _Sizer, _text, spread, widest_per_column, width_budgets,
)
from engine.outputs.xlsxyear import (
    STORE_COLUMNS, SUMMARY_COLUMNS, SUMMARY_FORMATS, SUMMARY_HEADER_ROW, SUMMARY_HEADERS,
)

_TITLE_HEIGHT = 30
_NUMBERS = (int, float, Decimal)


class _Plan:
    """Where everything goes on the sheet (as write_summary places it), and each row's cells."""

    def __init__(self, summary: dict):
        self.summary = summary
        self.header = SUMMARY_HEADER_ROW
        self.count = len(summary["rows"])
        self.projects_end = self.header + self.count
        self.distribution = self.projects_end + 2
        self.subtotals = self.distribution + len(summary["distribution"]) + 2
        self.totals = [section["subtotal"] for section in summary["sections"]]
        if summary["grand_total"]:
            self.totals.append(summary["grand_total"])
        self.last = self.subtotals + len(self.totals)
        self.store = [k for k in STORE_COLUMNS if summary.get("has_previous" if k != "advice" else "has_advice")]
        self.last_column = get_column_letter(9 + len(self.store)) if self.store else "I"
        # rows a page may break before: each project but the first, the distribution, the subtotals
        self.breaks = set(range(self.header + 2, self.projects_end + 1)) | {self.distribution, self.subtotals}

    def rows(self):
        """(row, [(column, value, merge to, number format, alignment, font, prose)]) for every row, in order."""
        summary, header = self.summary, self.header
        title_font = Font(name=FONT, size=16, bold=True)
        yield 1, [(1, summary["title"], "I", None, _CENTER, title_font, False)]
        note = f"金额单位：{summary['unit']}。{summary['rate_note']}{'。' if summary['rate_note'] else ''}"
        yield 2, [(1, f"{summary['ruleset_line']}。{note}", "I", None, _LEFT, None, True)]
        headers = {**SUMMARY_HEADERS, "budget": summary["budget_basis"]}
        cells = [(index, headers[key], None, None, _CENTER, None, False) for index, key in enumerate(SUMMARY_COLUMNS, 1)]
        yield header, cells + [(10 + i, STORE_COLUMNS[key][0], None, None, _CENTER, None, False)
                               for i, key in enumerate(self.store)]
        for row, item in enumerate(summary["rows"], header + 1):
            values = {**item, "findings": "\n".join(item["findings"])}
            cells = []
            for index, key in enumerate(SUMMARY_COLUMNS, 1):
                fmt = SUMMARY_FORMATS.get(key)
                cells.append((index, number(values[key]) if fmt else values[key], None, fmt,
                              _LEFT if key in ("project", "findings") else _CENTER, None, index in (2, 3, 9)))
            for i, key in enumerate(self.store):
                fmt, value = STORE_COLUMNS[key][1], item.get(key)
                cells.append((10 + i, number(value) if fmt and value is not None else (value or None), None, fmt,
                              _CENTER, None, False))
            yield row, cells
        yield self.projects_end + 1, []
        row = self.distribution
        yield row, [(1, "等级分布", "B", None, _CENTER, None, False), (3, "项目数", None, None, _CENTER, None, False),
                    (4, "占比", None, None, _CENTER, None, False)]
        for row, band in enumerate(summary["distribution"], row + 1):
            yield row, [(1, band["grade"], "B", None, _CENTER, None, False),
                        (3, band["count"], None, None, _CENTER, None, False),
                        (4, band["fraction"], None, "0.0%", _CENTER, None, False)]
        yield row + 1, []
        texts = ("项目数", summary["budget_basis"], "全年执行数", "执行率", "平均分", "等级", "说明")
        yield self.subtotals, [(1, "部门小计", "B", None, _CENTER, None, False)] + [
            (index, text, None, None, _CENTER, None, False) for index, text in enumerate(texts, 3)]
        for row, total in enumerate(self.totals, self.subtotals + 1):
            yield row, [(1, total["label"].removesuffix(" 小计"), "B", None, _CENTER, None, True),
                        (3, total["count"], None, None, _CENTER, None, False),
                        *((index, number(total[key]), None, fmt, _CENTER, None, False) for index, key, fmt in (
                            (4, "budget", AMOUNT), (5, "executed", AMOUNT), (6, "rate", RATE), (7, "average", SCORE))),
                        (8, total["grades"], None, None, _CENTER, None, False),
                        (9, f"{total['failed']} 个未能评价，不计入金额" if total["failed"] else "", None, None, _LEFT,
                         None, True)]

    def bordered(self, row: int) -> tuple[int, int] | None:
        """The columns (first, last) of this row that write_summary gives a border, or None."""
        if self.header <= row <= self.projects_end:
            return 1, 9 + len(self.store)
        if self.distribution <= row <= self.distribution + len(self.summary["distribution"]):
            return 1, 4
        if self.subtotals <= row <= self.last:
            return 1, 9
        return None


def _layout_cells(row: int, cells: list) -> list:
    """The cells ``_lay_out`` measures in a row: (top, bottom, left, right, text, is a label), A-I, by column."""
    found = []
    for column, value, merge_to, fmt, _, _, prose in sorted(cells, key=lambda cell: cell[0]):
        if column > len(COLUMNS):
            continue
        if isinstance(value, str):
            value = _NOT_XML.sub("\ufffd", value)
        text = _text(SimpleNamespace(value=value, number_format=fmt or "General"))
        if not text:
            continue
        right = COLUMNS.index(merge_to) + 1 if merge_to else column
        label = not prose and not isinstance(value, _NUMBERS)
        found.append((row, row, column, right, text, label))
    return found


def _widths(plan: _Plan, fixed: float, fitter: textfit.Fitter) -> dict:
    """xlsxprint._Sizer(cells).choose(...) for the whole sheet, from passes over its rows."""
    page_px, page_height = PAGE_WIDTH[True], PAGE_HEIGHT[True]
    columns = range(1, len(COLUMNS) + 1)
    least = dict.fromkeys(columns, MIN_WIDTH)
    widest_line = dict.fromkeys(columns, 0)
    per_column = widest_per_column(SAMPLE_ROWS)
    widest: dict = {c: [] for c in columns}  # heaps of (width, -index, row): each column's widest cells
    rows: list = []  # runs [first, last] of the rows that have cells
    index = 0
    small = []  # every cell, while the sheet might be short enough to need them all
    for row, cells in plan.rows():
        if row < 2:
            continue
        for cell in _layout_cells(row, cells):
            top, _, left, right, text, label = cell
            if left == right:
                if label:
                    least[left] = max(least[left], _least_width(text))
                widest_line[left] = max(widest_line[left], max(fitter.width(line) for line in text.split("\n")) + 1)
            entry = (fitter.width(text), -index, row)
            for column in range(left, right + 1):
                heap = widest[column]
                if len(heap) < per_column:
                    heapq.heappush(heap, entry)
                elif entry > heap[0]:
                    heapq.heapreplace(heap, entry)
            if small is not None:
                small.append(cell)
                if len(small) > 20 * SAMPLE_ROWS:
                    small = None
            if rows and rows[-1][1] in (row, row - 1):
                rows[-1][1] = row
            elif not rows or rows[-1][1] != row:
                rows.append([row, row])
            index += 1
    count = sum(last - first + 1 for first, last in rows)
    budgets, sampled = width_budgets(page_px, page_height, fixed, count)
    if not sampled:  # a sheet of at most SAMPLE_ROWS rows: every cell, as _lay_out measures them
        sizer = _Sizer(small)
        sizer.count_lines = fitter.line_count
        return sizer.choose(page_px, page_height, fixed)
    most = {c: min(MAX_WIDTH, max(least[c], widest_line[c])) for c in columns}
    chosen = {row for heap in widest.values() for _, _, row in heap}
    spread(chosen, (row for first, last in rows for row in range(first, last + 1)), count, SAMPLE_ROWS)
    sample = [(top, bottom, tuple(range(left, right + 1)), text) for row, cells in plan.rows() if row in chosen
              for top, bottom, left, right, text, _ in _layout_cells(row, cells)]
    sizer = _Sizer.sample(sample, least, most)
    sizer.count_lines = fitter.line_count
    return sizer.search(budgets, page_px, page_height, fixed)


class _Pages:
    """xlsxprint._page_setup's page breaks, found as the rows' heights come."""

    def __init__(self, ws, plan: _Plan):
        width_px = sum(ws.column_dimensions[c].width * 7 + 5 for c in COLUMNS)
        self.scale = min(1.0, PAGE_WIDTH[True] / width_px)
        self.page, self.plan = PAGE_HEIGHT[True], plan
        self.total = self.used = 0.0
        self.repeated = 0.0
        self.since: list = []  # heights of the rows from the last row a page may break before
        self.last_allowed = None
        self.breaks: list = []

    def add(self, row: int, height: float) -> None:
        self.total += height
        if row == self.plan.header:
            self.repeated = height
        scale = self.scale
        if self.used + height * scale > self.page and self.last_allowed is not None and self.last_allowed > 1:
            self.breaks.append(self.last_allowed - 1)
            self.used = self.repeated * scale + sum(self.since) * scale
            self.last_allowed = None
        if row in self.plan.breaks:
            self.last_allowed = row
            self.since = []
        self.since.append(height)
        self.used += height * scale

    def finish(self, ws) -> None:
        if self.total * MIN_SCALE <= self.page:
            ws.page_setup.fitToHeight = 1
            return
        ws.page_setup.fitToHeight = 0
        ws.print_title_rows = f"{self.plan.header}:{self.plan.header}"
        for row in self.breaks:
            ws.row_breaks.append(Break(id=row))


class _StreamWriter(WorksheetWriter):
    """openpyxl's sheet writer, the rows built, written and dropped one at a time."""

    def __init__(self, ws, out, plan: _Plan, widths: dict, fitter: textfit.Fitter):
        super().__init__(ws, out=out)
        self.plan, self.widths, self.fitter = plan, widths, fitter
        self.pages = _Pages(ws, plan)

    def write_dimensions(self):
        self.xf.send(SheetDimension(f"A1:{self.plan.last_column}{self.plan.last}").to_tree())

    def write_rows(self):
        xf = self.xf.send(True)
        with xf.element("sheetData"):
            for row, cells in self._rows():
                self.write_row(xf, cells, row)
        self.xf.send(None)
        self.pages.finish(self.ws)

    def _rows(self):
        ws, plan, widths = self.ws, self.plan, self.widths
        border = ws.parent._borders.add(_BORDER)
        bold = plan.last if plan.summary["grand_total"] else None
        for row, cells in plan.rows():
            for column, value, merge_to, fmt, align, font, _ in cells:
                _put(ws, f"{get_column_letter(column)}{row}", value, merge_to=merge_to, fmt=fmt, align=align, font=font)
            bordered = plan.bordered(row)
            if bordered:  # as xlsxcells._borders gives them
                for column in range(bordered[0], bordered[1] + 1):
                    cell = ws.cell(row, column)
                    if cell._style is None:
                        cell._style = StyleArray()
                    cell._style.borderId = border
            if row == bold:
                for column in range(1, 10):
                    ws.cell(row, column).font = Font(name=FONT, size=10.5, bold=True)
            if row >= 2:
                height = _LINE_HEIGHT
                for top, _, left, right, text, label in _layout_cells(row, cells):
                    room = (widths[left] if left == right else sum(widths[c] for c in range(left, right + 1))) - 1
                    height = max(height, self.fitter.line_count(text, int(room)) * _LINE_HEIGHT)
                    if label and "\n" not in text:
                        fitted = "\n".join(textfit.lines(text, _room(widths, left, right)))
                        if fitted != text:
                            text_cell(ws.cell(top, left), fitted)
                ws.row_dimensions[row].height = round(height + _ROW_PADDING, 1)
            self.pages.add(row, ws.row_dimensions[row].height)
            yield row, [ws._cells[key] for key in sorted(key for key in ws._cells if key[0] == row)]
            for key in [key for key in ws._cells if key[0] == row]:
                del ws._cells[key]
            if row > 1:
                del ws.row_dimensions[row]


def write_summary_sheet(ws, summary: dict, archive: zipfile.ZipFile, name: str) -> None:
    """The 汇总 sheet of ``summary`` into the empty sheet ``ws`` and, as XML, into ``archive`` as ``name``."""
    plan = _Plan(summary)
    ws.row_dimensions[1].height = _TITLE_HEIGHT
    # the findings' texts are measured with caches of their own, not kept in textfit's shared ones: the search
    # sets a sample of them at many widths, the rows' heights each once
    widths = _widths(plan, _TITLE_HEIGHT, textfit.Fitter())
    for key in plan.store:
        ws.column_dimensions[get_column_letter(10 + plan.store.index(key))].width = STORE_COLUMNS[key][2]
    for index, letter in enumerate(COLUMNS, 1):
        ws.column_dimensions[letter].width = widths[index]
    ws.print_area = f"A1:{plan.last_column}{plan.last}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_setup.fitToWidth = 1
    with tempfile.TemporaryFile() as out:
        writer = _StreamWriter(ws, out, plan, widths, textfit.Fitter(pieces=0))
        writer.write()
        ws._rels = writer._rels
        out.seek(0)
        entry = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)  # as ooxml.FixedZipFile.writestr makes it
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o600 << 16
        with archive.open(entry, "w") as target:
            shutil.copyfileobj(out, target, 1 << 20)

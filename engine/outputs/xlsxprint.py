"""xlsxprint: how an Excel sheet evalrun writes prints (engine.outputs.xlsx and the year workbook).

The column widths are computed from the text of each sheet
(engine.outputs.textfit: Chinese counts double width), as the widths within
one A4 page width that make the table shortest; a label evalrun writes gets
its line breaks where a typesetter would put them, and every row is as tall
as its longest cell. The sheet prints on one A4 page when it fits there at
80% or more; otherwise one page wide, with page breaks between first-level
groups and the indicator header repeated on each page.
"""
from __future__ import annotations

from decimal import Decimal
from itertools import islice

from openpyxl.worksheet.pagebreak import Break

import engine.outputs.textfit as textfit
from engine.outputs.xlsxcells import text_cell
from engine.outputs.xlsxlayout import COLUMNS, RATE
from engine.rules.targets import format_number

# The width of one A4 page in Excel's column units (7 px each, plus 5 px of padding per column) between
# margins of 0.5 inch, portrait and landscape; a sheet wider than this prints smaller (fitToWidth).
PAGE_WIDTH = {False: (8.27 - 1.0) * 96, True: (11.69 - 1.0) * 96}
# The printable height of that page, in points, between margins of 0.75 inch.
PAGE_HEIGHT = {False: (11.69 - 1.5) * 72, True: (8.27 - 1.5) * 72}
MIN_SCALE = 0.8     # a sheet that fits on one page at this scale or more is printed on one page
MIN_WIDTH = 4       # no column narrower than two Chinese characters
MAX_WIDTH = 60
SAMPLE_ROWS = 200   # a sheet longer than this (a big year's 汇总) has its widths chosen from this many rows
_LINE_HEIGHT = 15.5  # points per line of 10.5 pt text (宋体 needs 13.5, Noto CJK, LibreOffice's stand-in, 15.2)
_ROW_PADDING = 4     # points above and below a row's text
_WIDTHS: dict = {}


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
    """sizer.choose(...), remembered for the last few sheets (a sheet laid out again: the same widths); a
    run lays out each sheet once (engine.outputs.yearbook), so more would only hold memory."""
    key = (cells, landscape, fixed)
    if key not in _WIDTHS:
        if len(_WIDTHS) >= 16:
            _WIDTHS.pop(next(iter(_WIDTHS)))
        _WIDTHS[key] = sizer.choose(PAGE_WIDTH[landscape], PAGE_HEIGHT[landscape], fixed)
    return dict(_WIDTHS[key])


def _room(widths: dict, left: int, right: int) -> int:
    """Text units across columns left..right: their widths, less a unit of cell padding."""
    return int(sum(widths[c] for c in range(left, right + 1))) - 1


def _least_width(label: str) -> int:
    """The narrowest column for a label: one line up to five Chinese characters, else two lines at most."""
    longest = max(textfit.width(line) for line in label.split("\n"))
    if longest <= 10:
        return longest + 1
    # Two lines of w units hold at most 2w units of a paragraph's non-space text: narrower can only give more
    # lines, so the search starts there (the same answer as from the longest unbreakable piece, sooner).
    printed = max(textfit.width("".join(line.split())) for line in label.split("\n"))
    least = max(textfit.longest_unbreakable(label), -(-printed // 2)) + 1
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
        # for the search's one-column changes (_total_with): the cells each column holds, each row's own cells
        self.touching = {c: [i for i, cell in enumerate(self.cells) if c in cell[2]] for c in columns}
        self.row_cells: dict = {}
        for index, (top, bottom, _, _) in enumerate(self.cells):
            if top == bottom:
                self.row_cells.setdefault(top, []).append(index)
        self.tall_cells = [i for i, (top, bottom, _, _) in enumerate(self.cells) if top != bottom]

    count_lines = staticmethod(textfit.line_count)  # textfit.line_count_once for texts seen once (a 汇总's)

    def _count(self, index: int, room: int) -> int:
        count = self.lines.get((index, room))
        if count is None:
            count = self.lines[(index, room)] = self.count_lines(self.cells[index][3], int(room))
        return count

    def _base(self, widths: dict) -> tuple[list, dict]:
        """Each cell's text height at ``widths`` and each row's (its tallest own cell), for _total_with."""
        line = _LINE_HEIGHT
        needs = []
        for index, (_, _, columns, _) in enumerate(self.cells):
            room = (widths[columns[0]] if len(columns) == 1 else sum(widths[c] for c in columns)) - 1
            needs.append(self._count(index, room) * line)
        rows = {}
        for row, indexes in self.row_cells.items():
            need = max(needs[i] for i in indexes)
            if need > 0:
                rows[row] = need
        return needs, rows

    def _total_with(self, base: tuple, widths: dict, column: int, width: int) -> float:
        """``total({**widths, column: width})`` from ``base`` (= _base(widths)): only the cells in ``column``
        and their rows are measured again. Heights are multiples of half a point, so the sums are exact
        and the result is the same number, to the last bit."""
        line = _LINE_HEIGHT
        needs, rows = base
        changed = {}
        for index in self.touching[column]:
            columns = self.cells[index][2]
            room = (width if len(columns) == 1 else sum(width if c == column else widths[c] for c in columns)) - 1
            changed[index] = self._count(index, room) * line
        heights = dict(rows)
        for row in {self.cells[i][0] for i in changed if self.cells[i][0] == self.cells[i][1]}:
            need = max(changed.get(i, needs[i]) for i in self.row_cells[row])
            if need > 0:
                heights[row] = need
            else:
                heights.pop(row, None)
        tall = [(self.cells[i][0], self.cells[i][1], changed.get(i, needs[i])) for i in self.tall_cells]
        return self._summed(heights, tall)

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
                count = self._count(index, room)
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
        return self._summed(*self._text_heights(widths))

    @staticmethod
    def _summed(heights: dict, tall: list) -> float:
        """The table's height from each row's own text height and the cells merged over rows (changes ``heights``)."""
        line = _LINE_HEIGHT
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
            base = self._base(widths)
            for c in widths:
                for step in range(1, min(left, self.most[c] - widths[c], self.LOOK_AHEAD) + 1):
                    gain = current - self._total_with(base, widths, c, widths[c] + step)
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
        budgets, sampled = width_budgets(page_px, page_height, fixed_height, len(self.row_cells))
        return (self._sampled(SAMPLE_ROWS) if sampled else self).search(budgets, page_px, page_height, fixed_height)

    def search(self, budgets: range, page_px: float, page_height: float, fixed_height: float) -> dict:
        """``choose``'s search over the budgets ``width_budgets`` gave, on this sizer (or its sample)."""
        n = len(COLUMNS)
        widths = dict(self.least)
        current = self.total(widths)
        first = None
        for budget in budgets:
            current = self._grow(widths, budget, current)
            candidate = self._filled(widths, budget)
            first = first or candidate
            scale = min(1.0, page_px / (7 * sum(candidate.values()) + 5 * n))
            if (self.total(candidate) + fixed_height) * scale <= page_height:
                return candidate
        return first

    def _sampled(self, limit: int) -> "_Sizer":
        """A sizer over about ``limit`` of the rows: in each column the rows with its widest text, then rows
        evenly spread over the rest; the least and most widths stay those of the whole sheet."""
        rows = sorted(self.row_cells)
        chosen: set = set()
        for column, indexes in self.touching.items():
            single = [i for i in indexes if self.cells[i][0] == self.cells[i][1]]
            widest = sorted(single, key=lambda i: (-textfit.width(self.cells[i][3]), i))[:widest_per_column(limit)]
            chosen.update(self.cells[i][0] for i in widest)
        spread(chosen, rows, len(rows), limit)
        cells = [cell for cell in self.cells if cell[0] in chosen and cell[1] == cell[0]]
        return _Sizer.sample(cells, self.least, self.most)

    @staticmethod
    def sample(cells: list, least: dict, most: dict) -> "_Sizer":
        """A sizer over some rows' cells, (top, bottom, columns, text), each one row tall, with the least and
        most widths of the whole sheet they were taken from."""
        sample = _Sizer.__new__(_Sizer)
        sample.cells, sample.lines = cells, {}
        sample.least, sample.most = least, most
        sample.touching = {c: [i for i, cell in enumerate(cells) if c in cell[2]] for c in range(1, len(COLUMNS) + 1)}
        sample.row_cells = {}
        for index, (top, _, _, _) in enumerate(cells):
            sample.row_cells.setdefault(top, []).append(index)
        sample.tall_cells = []
        return sample


def width_budgets(page_px: float, page_height: float, fixed_height: float, rows: int) -> tuple[range, bool]:
    """The table widths (text units) the search tries, and whether it works on a sample of the ``rows``.

    Every row is at least a line tall: a sheet too long for one page at the smallest scale of the widest
    budget gets the first budget's widths, as the search would find after trying them all; a very long one
    (the 汇总 of a big year) gets them from a sample of its rows, so its time stays linear."""
    n = len(COLUMNS)
    page = int((page_px - 5 * n) / 7)
    budgets = range(page, int(page / MIN_SCALE) + 1, 4)
    smallest = min(1.0, page_px / (7 * budgets[-1] + 5 * n))
    if (rows * (_LINE_HEIGHT + _ROW_PADDING) + fixed_height) * smallest > page_height:
        return budgets[:1], rows > SAMPLE_ROWS
    return budgets, False


def widest_per_column(limit: int) -> int:
    """How many of each column's widest cells a sample of ``limit`` rows takes the rows of."""
    return max(1, limit // (2 * len(COLUMNS)))


def spread(chosen: set, rows, count: int, limit: int) -> None:
    """Add to ``chosen`` rows evenly spread over ``rows`` (``count`` of them, in order), up to ``limit``."""
    step = max(1, count // max(1, limit - len(chosen)))
    chosen.update(islice(rows, 0, step * max(0, limit - len(chosen)), step))


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

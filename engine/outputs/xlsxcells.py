"""xlsxcells: writing the cells of evalrun's sheets, quickly and safely.

Every text is a string cell, never a formula, whatever it starts with: an
indicator named ``=HYPERLINK(...)`` is that text in the cell (and, when it
starts with ``= + - @``, a tab or a line break, the cell is marked as text
with Excel's quote prefix, so that editing it in Excel keeps it text). A
character XML cannot hold (a control character such as a vertical tab) is
written as U+FFFD; project files with one are refused when they are read.

Every cell of a kind shares one font, alignment and border object (openpyxl's
style indexes, set directly), merges copy the border as Excel shows it, and a
workbook is saved in one pass in memory (tests/test_xlsx_styles.py checks all
of it writes what openpyxl's own way writes).
"""
from __future__ import annotations

import io
import re
import weakref

from openpyxl import Workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.writer.excel import ExcelWriter

from engine.outputs.ooxml import FixedZipFile
from engine.outputs.xlsxlayout import FONT

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_TEXT_FONT = Font(name=FONT, size=10.5)  # one object for every cell's font, not one per cell


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

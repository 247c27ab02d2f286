"""The year workbook (汇总.xlsx) made as a run goes, so that its memory does not grow with the year.

``xlsxyear.year_workbook`` lays out the summary sheet and then one 自评表 sheet
per project, all in memory, and saves them at the end: for a province's
thousands of projects that is gigabytes. ``YearSheets`` takes each project's
view as the run evaluates it (it stands in for the list of views
``summary.YearSummary`` keeps), lays out its sheet with the same
``xlsx.write_table`` in a workbook of its own that shares the year
workbook's style tables, turns the sheet into its XML at once and spools
that, compressed, to a temporary file. ``finish`` lays out the summary sheet
and writes the package, with the project sheets copied from the spool one at
a time, straight into a temporary file (not a bytes object) that the run's
staging moves into place. The sheets, their order, names, print areas and
every cell are those of ``xlsxyear.year_workbook`` (tests/test_yearbook.py
compares them); the style table may list the styles in another order.
"""
from __future__ import annotations

import gc
import io
import tempfile
import zlib

from openpyxl import Workbook
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.worksheet import Worksheet

from engine.errors import InternalError
from engine.outputs.ooxml import FixedZipFile
from engine.outputs.xlsx import sheet_title, write_table
from engine.outputs.xlsxcells import _Writer
from engine.outputs.xlsxyear import SUMMARY_SHEET, write_summary

# The tables a cell's style indexes point into: shared, so a sheet laid out elsewhere fits the year workbook.
_SHARED = ("_fonts", "_alignments", "_borders", "_fills", "_number_formats", "_date_formats", "_timedelta_formats",
           "_protections", "_colors", "_cell_styles", "_named_styles", "_table_styles", "_differential_styles")


class YearSheets:
    """The project sheets of the year workbook, one at a time (``append``), then the package (``finish``)."""

    def __init__(self):
        self.book = Workbook()
        self.book.active.title = SUMMARY_SHEET
        self.taken = {SUMMARY_SHEET.lower()}
        self.spool = tempfile.TemporaryFile()
        self.sheets: list = []  # (title, print area, offset in the spool, length)

    def __len__(self) -> int:
        return len(self.sheets)

    def append(self, view: dict) -> None:
        """Lay out one project's 自评表 and spool its XML; nothing of it stays in memory."""
        workbook = Workbook()
        for name in _SHARED:
            setattr(workbook, name, getattr(self.book, name))
        sheet = workbook.active
        sheet.title = sheet_title(view["project"]["name"], self.taken)
        write_table(sheet, view)
        writer = WorksheetWriter(sheet, out=io.BytesIO())
        writer.write()
        if writer._rels or sheet._charts or sheet._images or sheet._comments or sheet._tables or sheet._pivots:
            raise InternalError("a 自评表 sheet refers to other parts; the year workbook cannot be spooled")
        data = zlib.compress(writer.read(), 1)
        offset = self.spool.seek(0, io.SEEK_END)
        self.spool.write(data)
        self.sheets.append((sheet.title, sheet.print_area, offset, len(data)))
        del workbook, sheet, writer
        gc.collect(1)  # a workbook is a web of reference cycles: gone now, not when the CLI next collects

    def finish(self, summary: dict):
        """The workbook's file: the summary sheet first, then every project's (a file object at its start)."""
        book = self.book
        write_summary(book.active, summary)
        for title, print_area, offset, length in self.sheets:
            book._sheets.append(_Spooled(book, title, print_area, offset, length))
        target = tempfile.TemporaryFile()
        with FixedZipFile(target) as archive:
            _SpoolWriter(book, archive, self.spool).write_data()
        self.spool.close()
        target.seek(0)
        return target


class _Spooled(Worksheet):
    """A project sheet already written to the spool: only what the workbook's own parts need of it."""

    print_area = print_titles = auto_filter = legacy_drawing = None  # plain values, not Worksheet's properties

    def __init__(self, parent, title: str, print_area: str | None, offset: int, length: int):
        # Worksheet.__init__ would build everything a sheet can hold, for each of thousands of sheets.
        self._parent, self._WorkbookChild__title = parent, title  # what the `title` property reads
        self.print_area = print_area
        self.offset, self.length = offset, length
        self.defined_names: dict = {}
        self._rels, self._comments, self._pivots, self._charts, self._images = [], [], [], [], []
        self._tables: dict = {}
        self._drawing = None

    @property
    def sheet_state(self):
        return "visible"


class _SpoolWriter(_Writer):
    def __init__(self, workbook, archive, spool):
        super().__init__(workbook, archive)
        self.spool = spool

    def write_worksheet(self, ws):
        if not isinstance(ws, _Spooled):
            return super().write_worksheet(ws)
        self.spool.seek(ws.offset)
        self._archive.writestr(ws.path[1:], zlib.decompress(self.spool.read(ws.length)))
        self.manifest.append(ws)

"""The year workbook (汇总.xlsx) made as a run goes, so that its memory does not grow with the year.

``xlsxyear.year_workbook`` lays out the summary sheet and then one 自评表 sheet
per project, all in memory, and saves them at the end: for a province's
thousands of projects that is gigabytes. ``YearSheets`` takes each project as
the run evaluates it (it stands in for the list of views
``summary.YearSummary`` keeps) and spools its sheet, deflated as the package
will hold it, to a temporary file; ``finish`` lays out the summary sheet and
writes the package, the project sheets copied from the spool as they are,
straight into a temporary file (not a bytes object) that the run's staging
moves into place.

A project's sheet is laid out once. When the run wrote the project's own
workbook (``xlsx.project_workbook``), its sheet is taken from that package:
the same XML, with each cell's style number (``s="7"``, an index into the
package's own style table) changed to the year workbook's number for the same
style, the year's table growing as it would had the sheet been laid out here.
When nothing needs changing, the deflated bytes are copied as they are. A
project with no workbook of its own (an error finding; a department's own
table.xlsx) is laid out here, with ``xlsx.write_table``, in a workbook that
shares the year workbook's style tables. Either way the package is byte for
byte the one laying every sheet out here would give (tests/test_yearbook.py);
its sheets, names, print areas and cells are those of ``xlsxyear.year_workbook``,
whose style table may list the styles in another order.
"""
from __future__ import annotations

import gc
import io
import re
import struct
import tempfile
import zipfile
import zlib
from types import MappingProxyType
from xml.etree import ElementTree

from openpyxl import Workbook
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils import quote_sheetname
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.workbook._writer import WorkbookWriter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.theme import theme_xml
from openpyxl.xml.constants import ARC_APP, ARC_CORE, ARC_ROOT_RELS, ARC_STYLE, ARC_THEME
from openpyxl.xml.functions import tostring

from engine.errors import InternalError
from engine.outputs.ooxml import FixedZipFile
from engine.outputs.rowspill import SpilledList
from engine.outputs.xlsx import sheet_title, write_table
from engine.outputs.xlsxcells import _app_xml, _styles_xml, _Writer
from engine.outputs.yearparts import write_listing_parts
from engine.outputs.xlsxsummary import write_summary_sheet
from engine.outputs.xlsxyear import SUMMARY_SHEET, write_summary

# The tables a cell's style indexes point into: shared, so a sheet laid out elsewhere fits the year workbook.
_SHARED = ("_fonts", "_alignments", "_borders", "_fills", "_number_formats", "_date_formats", "_timedelta_formats",
           "_protections", "_colors", "_cell_styles", "_named_styles", "_table_styles", "_differential_styles")
_SHEET = "xl/worksheets/sheet1.xml"
_CELL_STYLE = re.compile(rb'(<c r="[A-Z]{1,3}[0-9]{1,7}" s=")([0-9]+)"')
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_CUSTOM_FORMATS = 164  # openpyxl numbers a workbook's own number formats from here


class YearSheets:
    """The project sheets of the year workbook, one at a time (``append``), then the package (``finish``)."""

    def __init__(self):
        self.book = Workbook()
        self.book.active.title = SUMMARY_SHEET
        self.taken = {SUMMARY_SHEET.lower()}
        self.spool = tempfile.TemporaryFile()
        # (title, print area, print titles, (offset, length, CRC-32, size) in the spool) of each sheet, in order:
        # on disk too (a year has tens of thousands), a _Spooled made of each only as the package is written
        self.sheets = SpilledList()
        self.styles: dict = {}  # a package's xl/styles.xml -> its style numbers in the year workbook

    def __len__(self) -> int:
        return len(self.sheets)

    def append(self, view: dict, package: bytes | None = None) -> None:
        """One project's 自评表: taken from ``package``, the project's own workbook written by
        ``xlsx.project_workbook``, or else laid out here; spooled, and nothing of it kept in memory."""
        title = sheet_title(view["project"]["name"], self.taken)
        if package is None or not self._append_package(title, package):
            self._append_laid_out(title, view)

    def _append_laid_out(self, title: str, view: dict) -> None:
        workbook = Workbook()
        for name in _SHARED:
            setattr(workbook, name, getattr(self.book, name))
        sheet = workbook.active
        sheet.title = title
        write_table(sheet, view)
        writer = WorksheetWriter(sheet, out=io.BytesIO())
        writer.write()
        if writer._rels or sheet._charts or sheet._images or sheet._comments or sheet._tables or sheet._pivots:
            raise InternalError("a 自评表 sheet refers to other parts; the year workbook cannot be spooled")
        self._spool(title, sheet.print_area, sheet.print_titles or None, writer.read())
        del workbook, sheet, writer
        gc.collect(1)  # a workbook is a web of reference cycles: gone now, not when the CLI next collects

    def _append_package(self, title: str, package: bytes) -> bool:
        """The sheet of a one-sheet package evalrun wrote, its styles renumbered; False: not such a package."""
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            names = archive.namelist()
            if names.count(_SHEET) != 1 or any(n.startswith("xl/worksheets/") and n != _SHEET for n in names):
                return False
            numbers = self._style_numbers(archive.read("xl/styles.xml"))
            names = _print_names(archive.read("xl/workbook.xml"))
            if names is None:
                return False
            area, titles = (f"{quote_sheetname(title)}!{found}" if found else None for found in names)
            info = archive.getinfo(_SHEET)
            if all(local == year for local, year in enumerate(numbers)):
                self._spool_deflated(title, area, titles, info, _raw(archive, info))
                return True
            xml = archive.read(_SHEET)
        if b"customFormat" in xml or b' style="' in xml:  # a row's or a column's own style: not written by evalrun
            return False
        try:
            xml = _CELL_STYLE.sub(lambda m: b'%s%d"' % (m.group(1), numbers[int(m.group(2))]), xml)
        except IndexError:
            return False
        self._spool(title, area, titles, xml)
        return True

    def _style_numbers(self, styles: bytes) -> list:
        """The year workbook's number of each style a package's sheet uses (its cellXfs, in order), its fonts,
        fills, borders and number formats added to the year's tables in the package's order, as laying the sheet
        out in the year workbook would add them. Remembered: most packages of a run have the same styles."""
        known = self.styles.get(styles)
        if known is not None:
            return known
        book, sheet = self.book, Stylesheet.from_tree(ElementTree.fromstring(styles))
        fonts = [book._fonts.add(font) for font in sheet.fonts]
        fills = [book._fills.add(fill) for fill in sheet.fills]
        borders = [book._borders.add(border) for border in sheet.borders]
        formats = {number: _CUSTOM_FORMATS + book._number_formats.add(code)
                   for number, code in sorted(sheet.custom_formats.items())}
        numbers = []
        for style in sheet.cellXfs.xf:
            array = sheet.cell_styles[len(numbers)]
            array.fontId, array.fillId, array.borderId = fonts[style.fontId], fills[style.fillId], borders[style.borderId]
            array.numFmtId = formats.get(style.numFmtId, style.numFmtId)
            array.alignmentId = book._alignments.add(sheet.alignments[array.alignmentId])
            array.protectionId = book._protections.add(sheet.protections[array.protectionId])
            numbers.append(book._cell_styles.add(array))
        self.styles[styles] = numbers
        return numbers

    def _spool(self, title: str, area, titles, xml: bytes) -> None:
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)  # as zipfile deflates
        data = compressor.compress(xml) + compressor.flush()
        self._spool_bytes(title, area, titles, zlib.crc32(xml), len(xml), data)

    def _spool_deflated(self, title: str, area, titles, info: zipfile.ZipInfo, data: bytes) -> None:
        self._spool_bytes(title, area, titles, info.CRC, info.file_size, data)

    def _spool_bytes(self, title, area, titles, crc: int, size: int, data: bytes) -> None:
        offset = self.spool.seek(0, io.SEEK_END)
        self.spool.write(data)
        self.sheets.append((title, area, titles, (offset, len(data), crc, size)))

    def spooled(self, first: int = 2):
        """A _Spooled for each project sheet, numbered from ``first`` (the 汇总 is sheet 1), one at a time."""
        for number, (title, area, titles, entry) in enumerate(self.sheets, first):
            sheet = _Spooled(self.book, title, area, titles, entry)
            sheet._id = number
            yield sheet

    def finish(self, summary: dict, at_once: bool = False):
        """The workbook's file: the summary sheet first, then every project's (a file object at its start).

        The summary sheet is written row by row as its rows are read (engine.outputs.xlsxsummary), or, with
        ``at_once``, laid out whole in memory first (``xlsxyear.write_summary``; the same bytes)."""
        book = self.book
        if at_once:
            write_summary(book.active, summary)
        if at_once:
            book._sheets.extend(self.spooled())
        target = tempfile.TemporaryFile()
        with FixedZipFile(target) as archive:
            _SpoolWriter(book, archive, self.spool, None if at_once else summary, self).write_data()
        self.spool.close()
        target.seek(0)
        return target


def _print_names(workbook: bytes) -> tuple | None:
    """The print area and the print titles (None when not set) of a one-sheet package's sheet, without its
    name (``$A$1:$I$28``, ``$11:$11``); None when the package has other names or sheets."""
    found = {"_xlnm.Print_Area": None, "_xlnm.Print_Titles": None}
    root = ElementTree.fromstring(workbook)
    if len(root.findall(f"{_MAIN}sheets/{_MAIN}sheet")) != 1:
        return None
    for name in root.iter(f"{_MAIN}definedName"):
        if name.get("name") not in found or name.get("localSheetId") != "0" or not name.text:
            return None
        found[name.get("name")] = name.text.rsplit("!", 1)[-1]
    return found["_xlnm.Print_Area"], found["_xlnm.Print_Titles"]


def _raw(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """An entry's deflated bytes, as they are in the package."""
    archive.fp.seek(info.header_offset)
    header = archive.fp.read(zipfile.sizeFileHeader)
    if header[:4] != zipfile.stringFileHeader or info.compress_type != zipfile.ZIP_DEFLATED:
        raise InternalError("a 自评表 workbook evalrun wrote has an unexpected entry")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    archive.fp.seek(info.header_offset + zipfile.sizeFileHeader + name_length + extra_length)
    return archive.fp.read(info.compress_size)


class _Spooled(Worksheet):
    """A project sheet already written to the spool: only what the workbook's own parts need of it."""

    print_area = print_titles = auto_filter = legacy_drawing = None  # plain values, not Worksheet's properties
    # What the writers read of a sheet, empty: shared by every spooled sheet (thousands), never changed.
    _rels = _comments = _pivots = _charts = _images = ()
    _tables = defined_names = MappingProxyType({})
    _drawing = None

    def __init__(self, parent, title: str, print_area: str | None, print_titles: str | None, entry: tuple):
        # Worksheet.__init__ would build everything a sheet can hold, for each of thousands of sheets.
        self._parent, self._WorkbookChild__title = parent, title  # what the `title` property reads
        self.print_area, self.print_titles = print_area, print_titles
        self.entry = entry  # offset and length in the spool, CRC-32 and size of the XML

    @property
    def sheet_state(self):
        return "visible"


class _SpoolWriter(_Writer):
    def __init__(self, workbook, archive, spool, summary: dict | None, sheets: YearSheets):
        super().__init__(workbook, archive)
        self.spool, self.summary, self.sheets = spool, summary, sheets

    def write_worksheet(self, ws):
        if not isinstance(ws, _Spooled):
            if self.summary is None or ws is not self.workbook.worksheets[0]:
                return super().write_worksheet(ws)
            ws._drawing = SpreadsheetDrawing()  # as _Writer.write_worksheet: no charts, no images
            ws._drawing.charts, ws._drawing.images = ws._charts, ws._images
            write_summary_sheet(ws, self.summary, self._archive, ws.path[1:])
            self.manifest.append(ws)
            return None
        offset, length, crc, size = ws.entry
        self.spool.seek(offset)
        self._archive.write_deflated(ws.path[1:], self.spool.read(length), crc, size)
        if self.summary is None:
            self.manifest.append(ws)  # else yearparts lists it, as the other parts listing every sheet

    def write_data(self):
        """_Writer.write_data, the parts that list every sheet written a sheet at a time (yearparts)."""
        if self.summary is None:
            return super().write_data()
        wb, archive = self.workbook, self._archive
        archive.writestr(ARC_APP, _app_xml())
        archive.writestr(ARC_CORE, tostring(wb.properties.to_tree()))
        archive.writestr(ARC_THEME, theme_xml)
        self._write_worksheets()  # the 汇总 alone: the project sheets are not in the workbook's list
        for sheet in self.sheets.spooled():
            self.write_worksheet(sheet)
        self._write_chartsheets()
        self._write_images()
        self._write_charts()
        self._write_external_links()
        archive.writestr(ARC_STYLE, _styles_xml(wb))
        archive.writestr(ARC_ROOT_RELS, WorkbookWriter(wb).write_root_rels())
        write_listing_parts(wb, archive, self.manifest, self.sheets.spooled, len(self.sheets) + 1)

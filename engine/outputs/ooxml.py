"""Office files (zips of XML parts): byte-identical output, and limits on what is read.

openpyxl and python-docx stamp each file with the time it was written (in
the zip entries and in docProps/core.xml). Rewriting those stamps to one
fixed time makes a report reproducible, so a changed byte always means a
changed number or word.

``check_package`` looks at a workbook or a Word template before openpyxl or
python-docx unpacks it: its parts' sizes, and for a workbook its sheets'
cells, rows, columns and merged ranges, each against a stated limit
(``PackageLimits``), so that a small file that inflates to gigabytes is
refused with one clear line instead of exhausting memory.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.parsers import expat

from engine.errors import EvalrunError, Source
from engine.i18n import tr

MB = 1024 * 1024

FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
FIXED_STAMP = "2000-01-01T00:00:00Z"
_STAMPS = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def reproducible(package: bytes) -> bytes:
    """The same Office package with fixed timestamps and a stable entry order."""
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _STAMPS.sub(lambda m: m.group(1) + FIXED_STAMP.encode() + m.group(3), data)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, data)
    return out.getvalue()


class FixedZipFile(zipfile.ZipFile):
    """A zip written as ``reproducible`` rewrites one: every entry deflated, with the fixed time and
    permissions, and docProps/core.xml's stamps fixed. Writing an Office package into it gives the
    same bytes as writing it anywhere and passing the result to ``reproducible``, in one pass."""

    def __init__(self, file):
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        name = zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, zipfile.ZipInfo) else zinfo_or_arcname
        if isinstance(data, str):
            data = data.encode("utf-8")
        if name == "docProps/core.xml":
            data = _STAMPS.sub(lambda m: m.group(1) + FIXED_STAMP.encode() + m.group(3), data)
        entry = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o600 << 16
        super().writestr(entry, data)


# ---------------------------------------------------------------- checking a package before it is opened


@dataclass(frozen=True)
class PackageLimits:
    """What an Office file (a zip of XML parts) may hold before evalrun unpacks it.

    The sizes are those the zip's directory declares; Python's zipfile never
    unpacks more than an entry declares (a lying entry fails its CRC check),
    so a zip bomb is refused here, before any part is read.
    """

    entries: int = 2_000
    unpacked: int = 100 * MB  # all parts together, images included
    xml: int = 20 * MB  # XML parts together
    worksheets_cells: int = 100_000  # cells written in all sheets (a workbook only)
    worksheets_rows: int = 50_000  # row records in all sheets
    columns: int = 1_000  # the highest column a cell may be in (ALL)
    merged_ranges: int = 10_000  # merged ranges in all sheets
    merged_cells: int = 30_000  # cells all merged ranges cover together (openpyxl styles each: ~50 µs a cell)
    styles: int = 2 * MB  # xl/styles.xml: openpyxl builds an object for every style in it
    shared_strings: int = 4 * MB  # xl/sharedStrings.xml: the same for every text in it
    texts: int = 50_000  # the texts in xl/sharedStrings.xml (openpyxl reads them one by one, slowly)
    other_xml: int = 4 * MB  # XML parts other than sheets and shared strings (styles, comments, drawings, ...)
    elements: int = 3_000_000  # XML elements in all sheets, which are read one by one
    template_xml: int = 4 * MB  # a Word template's body, headers, footers and footnotes (rendered as templates)


WORKBOOK_LIMITS = PackageLimits()
WORD_TEMPLATE_LIMITS = PackageLimits(xml=8 * MB, other_xml=8 * MB)  # python-docx reads every part
_TEMPLATE_PARTS = re.compile(r"^word/(document|header\d*|footer\d*|footnotes)\.xml$")


class PackageTooLarge(ValueError):
    """A package over one of its limits; the message says which, in words a user can act on."""


class PackageDamaged(EvalrunError):
    """A package that cannot be unzipped at all."""


def check_package(content: bytes, shown: str, limits: PackageLimits, what: str = "workbook") -> None:
    """Refuse an Office file whose parts would unpack past ``limits``, with an EvalrunError on ``shown``.

    For workbooks (``xl/worksheets/*.xml``) the sheets are also scanned, as a
    stream, for their cells, rows, columns and merged ranges, so that a sheet
    of ten million rows or a merged range over a whole sheet is refused
    before openpyxl would build a cell object for each.
    """
    what = _what(what)
    try:
        _check(content, limits, what)
    except PackageTooLarge as exc:
        raise EvalrunError(str(exc), Source(shown)) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, RuntimeError, NotImplementedError,
            ValueError) as exc:
        raise PackageDamaged(tr("ooxml.damaged", what=what, detail=exc), Source(shown)) from None


def _what(what: str) -> str:
    """The package in words: a workbook or a Word template."""
    return tr("ooxml.what.word_template") if what == "Word template" else tr("ooxml.what.workbook")


def _mb(size: int) -> str:
    return f"{size / MB:,.1f} MB"


def _check(content: bytes, limits: PackageLimits, what: str) -> None:
    archive = zipfile.ZipFile(io.BytesIO(content))
    entries = archive.infolist()
    if len(entries) > limits.entries:
        raise PackageTooLarge(tr("ooxml.parts", what=what, count=f"{len(entries):,}", limit=f"{limits.entries:,}"))
    unpacked = sum(e.file_size for e in entries)
    if unpacked > limits.unpacked:
        raise PackageTooLarge(tr("ooxml.unpacked", what=what, size=_mb(unpacked), limit=_mb(limits.unpacked)))
    xml = [e for e in entries if e.filename.lower().endswith((".xml", ".rels", ".vml"))]
    size = sum(e.file_size for e in xml)
    if size > limits.xml:
        raise PackageTooLarge(tr("ooxml.xml", what=what, size=_mb(size), limit=_mb(limits.xml)))
    rendered = sum(e.file_size for e in xml if _TEMPLATE_PARTS.match(e.filename))
    if rendered > limits.template_xml:
        raise PackageTooLarge(tr("ooxml.template_xml", what=what, size=_mb(rendered), limit=_mb(limits.template_xml)))
    sheets = [e for e in xml if e.filename.startswith("xl/worksheets/") and e.filename.endswith(".xml")]
    for entry in xml:
        if entry.filename == "xl/styles.xml" and entry.file_size > limits.styles:
            raise PackageTooLarge(tr("ooxml.styles", what=what, size=_mb(entry.file_size), limit=_mb(limits.styles)))
        if entry.filename == "xl/sharedStrings.xml" and entry.file_size > limits.shared_strings:
            raise PackageTooLarge(tr("ooxml.shared_strings", what=what, size=_mb(entry.file_size),
                                     limit=_mb(limits.shared_strings)))
        _no_dtd(archive, entry, what)
    other = sum(e.file_size for e in xml if e not in sheets and e.filename != "xl/sharedStrings.xml"
                and not _TEMPLATE_PARTS.match(e.filename))
    if other > limits.other_xml:
        raise PackageTooLarge(tr("ooxml.other_xml", what=what, size=_mb(other), limit=_mb(limits.other_xml)))
    if sheets:
        _SheetScan(archive, sheets, limits, what).run()
    for entry in xml:
        if entry.filename == "xl/sharedStrings.xml":
            _count_texts(archive, entry, limits, what)


def _count_texts(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limits: PackageLimits, what: str) -> None:
    count = 0

    def start(name, attributes):
        nonlocal count
        if name.rsplit(" ", 1)[-1] == "si":
            count += 1
            if count > limits.texts:
                raise PackageTooLarge(tr("ooxml.texts", what=what, limit=f"{limits.texts:,}"))

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = _refuse_dtd(what, entry.filename)
    with archive.open(entry) as handle:
        try:
            parser.ParseFile(handle)
        except expat.ExpatError as exc:
            raise PackageTooLarge(tr("ooxml.texts_invalid", what=what, detail=exc)) from None


def _refuse_dtd(what: str, part: str):
    def refuse(*args):
        raise PackageTooLarge(tr("ooxml.dtd", what=what, part=part))

    return refuse


class _RootReached(Exception):
    pass


def _no_dtd(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, what: str) -> None:
    """Office parts never declare a DTD or entities; one that does is refused (an entity expansion bomb).

    Only the prolog is read: parsing stops at the root element.
    """
    def root(*args):
        raise _RootReached

    parser = expat.ParserCreate()
    parser.StartElementHandler = root
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = _refuse_dtd(what, entry.filename)
    with archive.open(entry) as handle:
        try:
            parser.ParseFile(handle)
        except (_RootReached, expat.ExpatError):
            pass  # a part that is not XML is reported by the reader that needs it


class _SheetScan:
    """Counts the cells, rows and merged ranges of every sheet from the XML stream, stopping at a limit."""

    def __init__(self, archive, sheets, limits: PackageLimits, what: str):
        self.archive, self.sheets, self.limits, self.what = archive, sheets, limits, what
        self.cells = self.rows = self.merged = self.merged_cells = self.elements = 0
        self.sheet = ""

    def run(self) -> None:
        for entry in self.sheets:
            self.sheet = entry.filename.rsplit("/", 1)[-1]
            parser = expat.ParserCreate(namespace_separator=" ")
            parser.StartElementHandler = self.start
            parser.StartDoctypeDeclHandler = self.doctype
            parser.EntityDeclHandler = self.doctype
            with self.archive.open(entry) as handle:
                try:
                    parser.ParseFile(handle)
                except expat.ExpatError as exc:
                    raise PackageTooLarge(tr("ooxml.sheet_invalid", what=self.what, sheet=self.sheet, detail=exc)) from None

    def doctype(self, *args) -> None:
        raise PackageTooLarge(tr("ooxml.sheet_dtd", what=self.what, sheet=self.sheet))

    def start(self, name: str, attributes: dict) -> None:
        limits = self.limits
        self.elements += 1
        if self.elements > limits.elements:
            raise PackageTooLarge(tr("ooxml.elements", what=self.what, limit=f"{limits.elements:,}"))
        local = name.rsplit(" ", 1)[-1]
        if local == "c":
            self.cells += 1
            if self.cells > limits.worksheets_cells:
                raise PackageTooLarge(tr("ooxml.cells", what=self.what, limit=f"{limits.worksheets_cells:,}"))
            reference = attributes.get("r")
            if reference and self._column(reference) > limits.columns:
                raise PackageTooLarge(tr("ooxml.column", what=self.what, sheet=self.sheet, reference=reference,
                                         limit=f"{limits.columns:,}"))
        elif local == "row":
            self.rows += 1
            if self.rows > limits.worksheets_rows:
                raise PackageTooLarge(tr("ooxml.rows", what=self.what, limit=f"{limits.worksheets_rows:,}"))
        elif local == "mergeCell":
            self.merged += 1
            if self.merged > limits.merged_ranges:
                raise PackageTooLarge(tr("ooxml.merged", what=self.what, limit=f"{limits.merged_ranges:,}"))
            self.merged_cells += self._area(attributes.get("ref", ""))
            if self.merged_cells > limits.merged_cells:
                raise PackageTooLarge(tr("ooxml.merged_cells", what=self.what, limit=f"{limits.merged_cells:,}",
                                         sheet=self.sheet, reference=attributes.get("ref", "")))

    @staticmethod
    def _column(reference: str) -> int:
        letters = reference.rstrip("0123456789$").lstrip("$").upper()
        number = 0
        for letter in letters[:8]:
            number = number * 26 + (ord(letter) - 64)
        return number if letters else 0

    def _area(self, reference: str) -> int:
        from openpyxl.utils import range_boundaries  # here: checking a Word template needs no openpyxl

        try:
            min_col, min_row, max_col, max_row = range_boundaries(reference)
        except (ValueError, TypeError):
            raise PackageTooLarge(tr("ooxml.merge_not_range", what=self.what, sheet=self.sheet,
                                     reference=reference[:40])) from None
        if None in (min_col, min_row, max_col, max_row):
            return 1 << 40  # a whole row or column
        return (max_col - min_col + 1) * (max_row - min_row + 1)

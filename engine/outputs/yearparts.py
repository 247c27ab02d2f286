"""yearparts: the year workbook's parts that list every sheet, written a sheet at a time.

``xl/workbook.xml`` (each sheet and its print area), ``xl/_rels/workbook.xml.rels``
and ``[Content_Types].xml`` name every sheet of the package: openpyxl makes each
of them as a tree of objects and a string, about 2 KB a sheet, all at once at
the end. For a year of tens of thousands of projects they are made here as
openpyxl would make them for the 汇总 sheet alone, split after the 汇总's own
entry, and the other sheets' entries (each made by openpyxl's own classes and
serialiser, one at a time) written in between as the part is deflated into the
package. Each split is checked (the 汇总's entry made alone found exactly once
in the whole, else an InternalError: never a workbook with sheets left out).
The bytes are openpyxl's (tests/test_summary_stream.py, tests/test_yearbook.py).
"""
from __future__ import annotations

import zipfile

from openpyxl.packaging.manifest import Override
from openpyxl.packaging.relationship import Relationship
from openpyxl.packaging.workbook import ChildSheet
from openpyxl.workbook._writer import WorkbookWriter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.xml.constants import ARC_CONTENT_TYPES, ARC_WORKBOOK, ARC_WORKBOOK_RELS
from openpyxl.xml.functions import tostring

from engine.errors import InternalError
from engine.outputs.ooxml import FIXED_ZIP_TIME


def open_entry(archive: zipfile.ZipFile, name: str):
    """A writable entry of ``archive``, as ooxml.FixedZipFile.writestr makes one (deflated, fixed stamps)."""
    entry = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o600 << 16
    return archive.open(entry, "w")


def write_listing_parts(wb, archive: zipfile.ZipFile, manifest, spooled, count: int) -> None:
    """workbook.xml, its rels and the content types of ``wb``, whose only sheet is the 汇总, and of the sheets
    ``spooled()`` gives (sheets 2 to ``count``), in the order _Writer.write_data writes them; ``manifest``
    lists the parts written so far but the spooled sheets."""
    first = wb._sheets[:1]
    writer = WorkbookWriter(wb)
    book, rels = writer.write(), writer.write_rels()
    _write_spliced(archive, ARC_WORKBOOK, book, [
        (_xml(ChildSheet(name=first[0].title, sheetId=1, id="rId1")),
         (_xml(ChildSheet(name=ws.title, sheetId=ws._id, id=f"rId{ws._id}")) for ws in spooled())),
        (b"</definedNames>", _names(spooled())),
    ], before_second=True)
    _write_spliced(archive, ARC_WORKBOOK_RELS, rels, [
        (_xml(_sheet_rel(first[0], 1)), (_xml(_sheet_rel(ws, ws._id)) for ws in spooled())),
        (_xml(Relationship(type="styles", Target="styles.xml", Id="rId2")),
         iter([_xml(Relationship(type="styles", Target="styles.xml", Id=f"rId{count + 1}"))])),
        (_xml(Relationship(type="theme", Target="theme/theme1.xml", Id="rId3")),
         iter([_xml(Relationship(type="theme", Target="theme/theme1.xml", Id=f"rId{count + 2}"))])),
    ], replace=(1, 2))
    manifest.append(wb)  # as Manifest._write does; the manifest lists the first sheet, not the spooled ones
    manifest._write_vba(wb)
    manifest._register_mimetypes(filenames=archive.namelist())
    types = tostring(manifest.to_tree())
    _write_spliced(archive, ARC_CONTENT_TYPES, types, [
        (_xml(Override(PartName=first[0].path, ContentType=first[0].mime_type)),
         (_xml(Override(PartName=ws.path, ContentType=ws.mime_type)) for ws in spooled())),
    ])


def _xml(obj) -> bytes:
    return tostring(obj.to_tree())


def _sheet_rel(ws, idx: int) -> Relationship:
    return Relationship(type=ws._rel_type, Target=ws.path, Id=f"rId{idx}")


def _names(sheets):
    """The print titles and areas of the spooled sheets (local to each, numbered from 1: the 汇总 is 0), as
    WorkbookWriter.write_names makes them."""
    for ws in sheets:
        idx = ws._id - 1
        for kind, value in (("Print_Titles", ws.print_titles), ("Print_Area", ws.print_area)):
            if value:
                name = DefinedName(name=kind, localSheetId=idx)
                name.value = value
                yield _xml(name)


def _write_spliced(archive, name: str, alone: bytes, splices: list, before_second: bool = False,
                   replace: tuple = ()) -> None:
    """``alone`` (the part for the first sheet) with, after each splice's marker (before it for the second of a
    workbook: the names go before ``</definedNames>``; in place of it for those in ``replace``), its entries."""
    cuts, position = [], 0
    for index, (marker, _) in enumerate(splices):
        at = alone.find(marker, position)
        if at < 0 or alone.find(marker, at + len(marker)) >= 0:
            raise InternalError(f"{name}: the year workbook's part for its 汇总 alone is not as openpyxl makes it")
        cuts.append((at, at + len(marker)))
        position = at + len(marker)
    with open_entry(archive, name) as target:
        position = 0
        for index, ((start, end), (marker, entries)) in enumerate(zip(cuts, splices)):
            if index in replace:
                target.write(alone[position:start])
            elif before_second and index == 1:
                target.write(alone[position:start])
            else:
                target.write(alone[position:end])
            pending = bytearray()
            for entry in entries:
                pending += entry
                if len(pending) >= 65536:
                    target.write(bytes(pending))
                    pending.clear()
            target.write(bytes(pending))
            position = start if (before_second and index == 1) else end
        target.write(alone[position:])

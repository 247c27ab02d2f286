"""Byte-identical Word and Excel files: the same inputs give the same bytes.

openpyxl and python-docx stamp each file with the time it was written (in
the zip entries and in docProps/core.xml). Rewriting those stamps to one
fixed time makes a report reproducible, so a changed byte always means a
changed number or word.
"""
from __future__ import annotations

import io
import re
import zipfile

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

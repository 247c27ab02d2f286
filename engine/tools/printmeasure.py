"""printmeasure: what engine.tools.printcheck measures on printed pages.

The printable area of each source, read from the document itself (the
HTML's ``@page`` rule, the Word section's margins, the sheets' page
margins), and, from each PDF (with pdfplumber), its pages, how full each is
and where its tables' ruling lines end, and a 汇总's rows read back.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

PT_PER_MM = 72 / 25.4
PT_PER_INCH = 72.0
CLIPPED_TOLERANCE = 0.1  # pt: Chromium clips at the printable area, so a table must end inside it
DRAWN_TOLERANCE = 1.5    # pt: LibreOffice draws a border centred on the margin: half a line may stick out


@dataclass
class Area:
    """The printable area of a page, in points from the page's top left corner."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass
class Page:
    number: int
    width: float
    height: float
    area: Area
    fill: float                      # 0..1 of the printable height, from its top to the lowest mark in it
    table_left: float | None = None  # the outermost ruling lines of the tables on the page, if any
    table_right: float | None = None
    tables_within: bool = True


@dataclass
class Document:
    source: Path
    pdf: Path
    kind: str                         # html, docx, xlsx
    pages: list = field(default_factory=list)
    exempt: set = field(default_factory=set)   # pages the fill rule does not apply to (a Word cover)
    rates: list = field(default_factory=list)  # 汇总 rows read back: (budget, executed, rate %, agrees)
    problems: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


_PAGE_RULE = re.compile(r"@page\s*\{([^}]*)\}")
_LENGTH = re.compile(r"(-?[0-9.]+)(mm|cm|in|pt|px)?")
_UNIT = {"mm": PT_PER_MM, "cm": 10 * PT_PER_MM, "in": PT_PER_INCH, "pt": 1.0, "px": 0.75, None: 0.75}


def html_margins(html: Path) -> tuple:
    """The @page margins (top, right, bottom, left) in points; the last rule that gives them wins."""
    margins = (0.0, 0.0, 0.0, 0.0)
    for rule in _PAGE_RULE.findall(html.read_text(encoding="utf-8")):
        for declaration in rule.split(";"):
            name, _, value = declaration.partition(":")
            if name.strip() == "margin":
                sizes = [float(n) * _UNIT[u] for n, u in _LENGTH.findall(value)]
                if sizes:
                    margins = tuple(_four(sizes))
    return margins


def _four(sizes: list) -> list:
    """CSS margin shorthand: 1 to 4 values -> top, right, bottom, left."""
    if len(sizes) == 1:
        return sizes * 4
    if len(sizes) == 2:
        return [sizes[0], sizes[1], sizes[0], sizes[1]]
    if len(sizes) == 3:
        return [sizes[0], sizes[1], sizes[2], sizes[1]]
    return sizes[:4]


def docx_margins(docx: Path) -> tuple:
    """The first section's margins (top, right, bottom, left) in points, and whether page 1 is a cover."""
    import docx as python_docx

    document = python_docx.Document(str(docx))
    section = document.sections[0]
    margins = tuple(m.pt for m in (section.top_margin, section.right_margin, section.bottom_margin,
                                   section.left_margin))
    cover = False
    for paragraph in document.paragraphs[:12]:  # a title page: a page break within the first paragraphs
        if paragraph._p.xpath(".//w:br[@w:type='page']"):
            cover = True
            break
    return margins, cover


def xlsx_margins(xlsx: Path) -> tuple:
    """The largest page margins of the workbook's sheets (top, right, bottom, left) in points."""
    import openpyxl

    workbook = openpyxl.load_workbook(xlsx)
    sheets = [ws.page_margins for ws in workbook.worksheets]
    return tuple(max(getattr(m, side) for m in sheets) * PT_PER_INCH
                 for side in ("top", "right", "bottom", "left"))


def _objects(page, height: float):
    """(kind, box, visible) of what a PDF page draws: kind text or path, box (x0, top, x1, bottom) in
    points from the top left; a path filled white and not stroked (a page's background) is not visible."""
    import ctypes

    import pypdfium2.raw as raw

    for obj in page.get_objects(max_depth=4):  # into form XObjects
        if obj.type not in (raw.FPDF_PAGEOBJ_TEXT, raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_IMAGE):
            continue
        left, bottom, right, top = obj.get_bounds()
        box = (left, height - top, right, height - bottom)
        visible = True
        if obj.type == raw.FPDF_PAGEOBJ_PATH:
            mode, stroke = ctypes.c_int(), ctypes.c_int()
            raw.FPDFPath_GetDrawMode(obj.raw, ctypes.byref(mode), ctypes.byref(stroke))
            rgba = [ctypes.c_uint() for _ in range(4)]
            raw.FPDFPageObj_GetFillColor(obj.raw, *(ctypes.byref(c) for c in rgba))
            white = all(c.value >= 250 for c in rgba[:3]) or rgba[3].value == 0
            visible = bool(stroke.value) or (bool(mode.value) and not white)
        yield ("text" if obj.type == raw.FPDF_PAGEOBJ_TEXT else "path"), box, visible


def _rules(paths: list) -> list:
    """The ruling lines of tables among a page's visible paths: thin ones, where vertical ones cross
    horizontal ones (a rule under a heading alone is no table); a chart's grid counts too: it must fit."""
    thin = [b for b in paths if (b[2] - b[0] <= 2.5 or b[3] - b[1] <= 2.5) and max(b[2] - b[0], b[3] - b[1]) >= 3]
    vertical = [b for b in thin if b[3] - b[1] > b[2] - b[0]]
    return [b for b in thin if any(v[1] - 1 <= b[1] <= v[3] + 1 for v in vertical)]


def measure(pdf_path: Path, margins: tuple, clipped: bool) -> list:
    """Each page's fill and its tables' horizontal extent against the printable area."""
    import pypdfium2 as pdfium

    top_margin, right_margin, bottom_margin, left_margin = margins
    tolerance = CLIPPED_TOLERANCE if clipped else DRAWN_TOLERANCE
    pages = []
    document = pdfium.PdfDocument(str(pdf_path))
    try:
        for number in range(len(document)):
            page = document[number]
            width, height = page.get_size()
            area = Area(left_margin, top_margin, width - right_margin, height - bottom_margin)
            marks, paths = [], []
            for kind, box, visible in _objects(page, height):
                if not visible or box[3] <= area.top - 1 or box[1] >= area.bottom + 1:
                    continue  # the header and footer (a page number) are outside the printable area
                marks.append(box)
                if kind == "path":
                    paths.append(box)
            lowest = max((min(box[3], area.bottom) for box in marks), default=area.top)
            entry = Page(number + 1, width, height, area, max(0.0, (lowest - area.top) / area.height))
            rules = _rules(paths)
            if rules:
                entry.table_left = min(b[0] for b in rules)
                entry.table_right = max(b[2] for b in rules)
                if clipped:  # what Chromium cut off is not in the PDF: a table reaching the edge was cut
                    entry.tables_within = (entry.table_right < area.right - tolerance
                                           and entry.table_left > area.left + tolerance)
                else:
                    entry.tables_within = (entry.table_right <= area.right + tolerance
                                           and entry.table_left >= area.left - tolerance)
            pages.append(entry)
            page.close()
    finally:
        document.close()
    return pages


_NUMBER = re.compile(r"^-?[0-9]+(?:\.[0-9]+)?$")


def summary_rates(pdf_path: Path) -> list:
    """The 汇总's rows as printed: (budget, executed, rate in %, whether rate = executed / budget).

    The table is found by its header: the column left of 全年执行数 holds the budget the 执行率 is
    computed on (its header names which), 执行率 the rate; a rate agrees when it is executed / budget
    rounded to the places it is printed with. (The 自评表's budget row is read too: 全年预算数 stands
    left of 全年执行数 there.)
    """
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    found = []
    with pdfplumber.open(str(pdf_path)) as pdf:
        for page in pdf.pages:
            for table in page.extract_tables():
                columns = None
                for row in table:
                    # NFKC: Chromium's PDFs give some characters as their Kangxi radicals (⾏ for 行)
                    cells = [re.sub(r"\s+", "", unicodedata.normalize("NFKC", c or "")) for c in row]
                    if "执行率" in cells and "全年执行数" in cells:
                        executed = cells.index("全年执行数")
                        budget = max((i for i in range(executed) if cells[i]), default=None)
                        columns = None if budget is None else (budget, executed, cells.index("执行率"))
                        continue
                    if columns is None or max(columns) >= len(cells):
                        continue
                    budget, executed, rate = (cells[i] for i in columns)
                    if not (_NUMBER.match(budget) and _NUMBER.match(executed) and rate.endswith("%")):
                        continue
                    try:
                        b, e, r = Decimal(budget), Decimal(executed), Decimal(rate[:-1])
                    except InvalidOperation:
                        continue
                    places = -r.as_tuple().exponent if r.as_tuple().exponent < 0 else 0
                    half = Decimal(1).scaleb(-places) / 2
                    agrees = b != 0 and abs(e / b * 100 - r) <= half
                    found.append((b, e, r, agrees))
    return found

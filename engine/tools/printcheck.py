"""printcheck: print the reports as a bureau does, and check the printed pages.

    python -m engine.tools.printcheck [--workspace DIR] [--ruleset 2025] [--project NAME ...] [--out DIR] [--png]

Writes the year's reports (an ordinary run, into ``reports/out/print/``),
prints them to PDF the way staff do — the HTML report and 汇总 with Chromium
(headless, A4, no browser header or footer), the Word report and the Excel
workbooks with LibreOffice — and reports, for every PDF, its pages, how full
each page is (from the top margin to the last thing printed, as a share of
the printable height) and where its tables' right edge lies against the
printable width, which is read from the document itself (the HTML's
``@page`` rule, the Word section's margins, the sheets' page margins).

It fails (exit 1) when a table crosses the printable area, when a page other
than the last (and a Word report's cover) is less than a third full, or when
a 汇总's 执行率 does not agree with the budget and 全年执行数 printed beside
it; exit 2 when Chromium, LibreOffice or the Noto CJK fonts are missing.
The PDFs stay in the output folder (``pdf/``) to be looked at; ``--png``
adds each page as a picture and each document's pages side by side
(``png/``).

宋体, 仿宋 and 黑体 are printed with Noto Serif/Sans CJK (fonts-noto-cjk), which
set Chinese text on the same em grid, through a fontconfig file of its own.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

PT_PER_MM = 72 / 25.4
PT_PER_INCH = 72.0
SHORT = 1 / 3            # a page (not the last) must be at least this full
CLIPPED_TOLERANCE = 0.1  # pt: Chromium clips at the printable area, so a table must end inside it
DRAWN_TOLERANCE = 1.5    # pt: LibreOffice draws a border centred on the margin: half a line may stick out
CHROMIUM = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SOFFICE = ("soffice", "libreoffice")
CONVERT_TIMEOUT = 180

FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  {aliases}
</fontconfig>
"""
FONT_ALIASES = {"宋体": "Noto Serif CJK SC", "SimSun": "Noto Serif CJK SC", "仿宋": "Noto Serif CJK SC",
                "FangSong": "Noto Serif CJK SC", "仿宋_GB2312": "Noto Serif CJK SC",
                "黑体": "Noto Sans CJK SC", "SimHei": "Noto Sans CJK SC"}


class PrintCheckError(Exception):
    """A tool is missing or a conversion failed: one line for the user."""


# ---------------------------------------------------------------- what is measured


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


# ---------------------------------------------------------------- printing


def find_tool(names: tuple) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def tools() -> tuple[str, str]:
    """(chromium, soffice), or PrintCheckError saying what to install."""
    chromium, soffice = find_tool(CHROMIUM), find_tool(SOFFICE)
    missing = [what for what, path in (("chromium", chromium), ("LibreOffice (soffice)", soffice)) if not path]
    if not missing and not _has_noto_cjk():
        missing.append("the Noto CJK fonts")
    if missing:
        raise PrintCheckError(
            f"{' and '.join(missing)} not found; install them, e.g. `apt-get install chromium "
            "libreoffice-writer-nogui libreoffice-calc-nogui fonts-noto-cjk poppler-utils`")
    return chromium, soffice


def _has_noto_cjk() -> bool:
    """Whether fontconfig knows Noto Serif CJK (fonts-noto-cjk), in which the Chinese text is printed."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return False
    try:
        listed = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "Noto Serif CJK" in listed


def _environment(work: Path) -> dict:
    conf = work / "fonts.conf"
    aliases = "\n  ".join(f"<alias><family>{name}</family><prefer><family>{font}</family></prefer></alias>"
                          for name, font in FONT_ALIASES.items())
    conf.write_text(FONTS_CONF.format(aliases=aliases), encoding="utf-8")
    return {**os.environ, "FONTCONFIG_FILE": str(conf), "HOME": str(work)}


def pdf_name(source: Path) -> str:
    """益阳市商务局/开放型….docx -> 益阳市商务局-开放型…-docx.pdf (汇总.html -> 2025-汇总-html.pdf)."""
    return f"{source.parent.name}-{source.stem}-{source.suffix[1:]}.pdf"


def print_html(chromium: str, html: Path, pdf: Path, work: Path) -> Path:
    """Print an HTML file to PDF as a browser's print command does, without its header and footer."""
    profile = work / f"chromium-{pdf.stem}"  # one each: prints may run at the same time
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
               f"--user-data-dir={profile}", f"--print-to-pdf={pdf}", html.resolve().as_uri()]
    _run(command, work, f"Chromium could not print {html.name}")
    if not pdf.is_file():
        raise PrintCheckError(f"Chromium printed nothing for {html.name}")
    return pdf


def print_office(soffice: str, sources: list, out: Path, work: Path) -> list:
    """Convert Word and Excel files to PDF with LibreOffice, in one start; returns the PDFs in order."""
    staged = work / "office"
    staged.mkdir(parents=True, exist_ok=True)
    names = []
    for source in sources:  # a report's .docx and .xlsx share a name: the PDF's name says which it was
        name = pdf_name(source).removesuffix(".pdf") + source.suffix
        shutil.copyfile(source, staged / name)
        names.append(name)
    profile = (work / "lo-profile").resolve().as_uri()
    command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "pdf",
               "--outdir", str(out), *[str(staged / name) for name in names]]
    _run(command, work, "LibreOffice could not convert " + ", ".join(s.name for s in sources))
    pdfs = [out / (Path(name).stem + ".pdf") for name in names]
    for source, pdf in zip(sources, pdfs):
        if not pdf.is_file():
            raise PrintCheckError(f"LibreOffice made no PDF of {source.name}")
    return pdfs


def _run(command: list, work: Path, failure: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=CONVERT_TIMEOUT,
                              env=_environment(work), cwd=work)
    except subprocess.TimeoutExpired:
        raise PrintCheckError(f"{failure}: no answer in {CONVERT_TIMEOUT} s") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise PrintCheckError(f"{failure}: {detail[0]}")


# ---------------------------------------------------------------- the printable area of each source


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


# ---------------------------------------------------------------- reading the PDFs


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


# ---------------------------------------------------------------- the check


def check_document(source: Path, pdf: Path, kind: str, summary: bool = False) -> Document:
    exempt: set = set()
    if kind == "html":
        margins, clipped = html_margins(source), True
    elif kind == "docx":
        margins, cover = docx_margins(source)
        clipped = False
        if cover:
            exempt.add(1)
    else:
        margins, clipped = xlsx_margins(source), False
    document = Document(source, pdf, kind, measure(pdf, margins, clipped), exempt)
    last = len(document.pages)
    for page in document.pages:
        if not page.tables_within:
            document.problems.append(
                f"page {page.number}: a table spans {page.table_left / PT_PER_MM:.1f}–{page.table_right / PT_PER_MM:.1f} mm,"
                f" beyond the printable width {page.area.left / PT_PER_MM:.1f}–{page.area.right / PT_PER_MM:.1f} mm")
        if page.number != last and page.number not in exempt and page.fill < SHORT:
            document.problems.append(f"page {page.number} is {page.fill:.0%} full: less than a third, and not the last")
    if summary:
        document.rates = summary_rates(pdf)
        if not document.rates:
            document.problems.append("no 汇总 row with a budget, 全年执行数 and 执行率 was found")
        for budget, executed, rate, agrees in document.rates:
            if not agrees:
                document.problems.append(f"执行率 {rate}% is not 全年执行数 {executed} / {budget}")
    return document


def describe(document: Document, base: Path) -> list:
    """The lines printcheck prints for one PDF."""
    try:
        shown = document.source.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        shown = str(document.source)
    first = document.pages[0] if document.pages else None
    size = f"{first.width / PT_PER_MM:.0f} × {first.height / PT_PER_MM:.0f} mm" if first else "?"
    fills = " ".join(f"{p.fill:.0%}" + ("*" if p.number in document.exempt else "") for p in document.pages)
    rights = [p for p in document.pages if p.table_right is not None]
    edge = ""
    if rights:
        worst = max(rights, key=lambda p: p.table_right - p.area.right)
        edge = (f"; tables' right edge {worst.table_right / PT_PER_MM:.1f} mm, printable width ends at "
                f"{worst.area.right / PT_PER_MM:.1f} mm")
    lines = [f"{shown} -> {document.pdf.name}: {len(document.pages)} page(s) of {size}; "
             f"fill {fills}{edge}"]
    if document.rates:
        agreeing = sum(1 for *_, agrees in document.rates if agrees)
        lines.append(f"  汇总: {agreeing} of {len(document.rates)} 执行率 agree with the budget printed beside them")
    lines += [f"  FAIL {problem}" for problem in document.problems]
    return lines


def print_outputs(outputs: list, out: Path) -> list:
    """Print [(source, kind, is_summary)] to PDFs in ``out`` and check each; returns the Documents."""
    chromium, soffice = tools()
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()  # the tools run in a scratch folder
    with tempfile.TemporaryDirectory(prefix="evalrun-print-") as scratch, ThreadPoolExecutor(3) as pool:
        work = Path(scratch)
        office = [source for source, kind, _ in outputs if kind in ("docx", "xlsx")]
        jobs = {source: pool.submit(print_html, chromium, source, out / pdf_name(source), work)
                for source, kind, _ in outputs if kind == "html"}
        converted = pool.submit(print_office, soffice, office, out, work) if office else None
        pdfs = {source: job.result() for source, job in jobs.items()}
        pdfs.update(zip(office, converted.result() if converted else []))
    return [check_document(source, pdfs[source], kind, summary) for source, kind, summary in outputs]


def render_reports(workspace: Path, ruleset: str, projects: tuple, out: Path) -> list:
    """Run evalrun into ``out`` and list what to print: [(file, kind, is the 汇总)]."""
    from engine.api import RunOptions, run
    from engine.outputs.summary import NAME

    run(RunOptions(ruleset=ruleset, workspace=workspace, output=out))
    year = out / ruleset
    wanted = []
    for path in sorted(year.glob("*/*")):
        if path.suffix[1:] in ("html", "docx", "xlsx") and (not projects or path.stem in projects):
            wanted.append((path, path.suffix[1:], False))
    for kind in ("html", "xlsx"):
        path = year / f"{NAME}.{kind}"
        if path.is_file():
            wanted.append((path, kind, True))
    return wanted


def pictures(document: Document, folder: Path, dpi: int = 60) -> list:
    """Each page of a printed document as a PNG, and all its pages side by side (``-pages.png``)."""
    import pypdfium2 as pdfium
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    pdf = pdfium.PdfDocument(str(document.pdf))
    written, images = [], []
    try:
        for number in range(len(pdf)):
            image = pdf[number].render(scale=dpi / 72).to_pil().convert("RGB")
            path = folder / f"{document.pdf.stem}-p{number + 1}.png"
            image.save(path, optimize=True)
            written.append(path)
            images.append(image)
    finally:
        pdf.close()
    if images:
        thumbs = [i.resize((i.width // 3, i.height // 3)) for i in images]
        columns = min(4, len(thumbs))
        rows = -(-len(thumbs) // columns)
        cell_w, cell_h = max(t.width for t in thumbs) + 8, max(t.height for t in thumbs) + 8
        sheet = Image.new("RGB", (columns * cell_w + 8, rows * cell_h + 8), (128, 128, 128))
        for index, thumb in enumerate(thumbs):
            sheet.paste(thumb, (8 + index % columns * cell_w, 8 + index // columns * cell_h))
        path = folder / f"{document.pdf.stem}-pages.png"
        sheet.save(path, optimize=True)
        written.append(path)
    return written


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.tools.printcheck", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, default=Path("."), help="the workspace (default: .)")
    parser.add_argument("--ruleset", default="2025", help="the year's ruleset (default: 2025)")
    parser.add_argument("--project", action="append", default=[],
                        help="only this project's reports (its file name without .yaml); repeatable")
    parser.add_argument("--out", type=Path, help="where reports and PDFs go (default: WORKSPACE/reports/out/print)")
    parser.add_argument("--png", action="store_true", help="also each printed page as a PNG (in OUT/png), to look at")
    options = parser.parse_args(argv)
    out = options.out or options.workspace / "reports" / "out" / "print"
    try:
        tools()
        from engine.errors import EvalrunError

        try:
            outputs = render_reports(options.workspace, options.ruleset, tuple(options.project), out)
        except EvalrunError as exc:
            print(exc, file=sys.stderr)
            return 1
        documents = print_outputs(outputs, out / "pdf")
    except PrintCheckError as exc:
        print(f"printcheck: {exc}", file=sys.stderr)
        return 2
    for document in documents:
        for line in describe(document, out):
            print(line)
        if options.png:
            pictures(document, out / "png")
    failed = [d for d in documents if not d.ok]
    print(f"{len(documents)} PDF(s) in {out / 'pdf'}; " + (f"{len(failed)} with problems" if failed else "all pass")
          + " (* a cover page, not held to the fill rule)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

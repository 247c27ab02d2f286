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
Printing is engine.tools.printing; what is measured, engine.tools.printmeasure.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from engine.tools.printing import PrintCheckError, pdf_name, print_html, print_office, tools
from engine.tools.printmeasure import (
    PT_PER_MM, Document, docx_margins, html_margins, measure, summary_rates, xlsx_margins,
)

SHORT = 1 / 3            # a page (not the last) must be at least this full


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

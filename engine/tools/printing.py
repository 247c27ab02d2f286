"""printing: the reports printed to PDF the way staff print them, for engine.tools.printcheck.

The HTML report and 汇总 with Chromium (headless, A4, no browser header or
footer), the Word report and the Excel workbooks with LibreOffice. 宋体, 仿宋
and 黑体 are printed with Noto Serif/Sans CJK (fonts-noto-cjk), which set
Chinese text on the same em grid, through a fontconfig file of its own.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

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

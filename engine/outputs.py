"""The output formats: each turns one evaluated project into one file's bytes.

A format is a name (``md``), a file extension, a function for one project's
file and, for most, one for the year's summary (汇总.<extension>). ``run``
renders the formats the user chose for every project and stages the files;
formats are added here, nowhere else.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import summary as year
from .chart import score_chart
from .errors import UsageError
from .model import ProjectResult
from .printfit import print_layout
from .render import render_context, render_template
from .rulesets import display
from .view import report_view
from .word import render_docx
from .xlsx import project_workbook, year_workbook
from .xlsxtemplate import find_table_template, template_workbook


@dataclass(frozen=True)
class OutputFormat:
    name: str
    extension: str
    render: Callable[[Path, ProjectResult], bytes]
    description: str
    # (workspace, summary context, project views) -> the year's 汇总 file; None: no summary in this format
    summary: Callable[[Path, dict, list], bytes] | None = None


def _markdown(workspace: Path, result: ProjectResult) -> bytes:
    return render_template(workspace, "report.md.j2", result).encode("utf-8")


def _html(workspace: Path, result: ProjectResult) -> bytes:
    view = report_view(result)
    view["chart"] = score_chart(view)
    view["layout"] = print_layout(view)
    return render_context(workspace, "report.html.j2", view, result.project.department).encode("utf-8")


def _xlsx(workspace: Path, result: ProjectResult) -> bytes:
    template = find_table_template(workspace, result.project.department)  # a department's own table.xlsx
    if template is not None:
        return template_workbook(template, report_view(result), display(template, workspace))
    return project_workbook(report_view(result))


def _summary_text(name: str) -> Callable[[Path, dict, list], bytes]:
    return lambda workspace, context, views: render_context(workspace, name, context).encode("utf-8")


FORMATS: dict[str, OutputFormat] = {
    "md": OutputFormat("md", "md", _markdown, "Markdown report with the self-evaluation table",
                       _summary_text("summary.md.j2")),
    "html": OutputFormat("html", "html", _html, "one self-contained web page, printable on A4, with a chart",
                         _summary_text("summary.html.j2")),
    "docx": OutputFormat("docx", "docx", render_docx, "Word document from reports/templates/report.docx"),
    "xlsx": OutputFormat("xlsx", "xlsx", _xlsx, "the self-evaluation table as an Excel sheet",
                         lambda workspace, context, views: year_workbook(context, views)),
}
DEFAULT_FORMATS = tuple(FORMATS)


def summary_files(workspace: Path, formats: tuple, collected: year.YearSummary) -> list[tuple[str, bytes]]:
    """The year's 汇总 files, as (file name, bytes), for the chosen formats that have one."""
    context = collected.context()
    return [(f"{year.NAME}.{FORMATS[name].extension}", FORMATS[name].summary(workspace, context, collected.views))
            for name in formats if FORMATS[name].summary]


def parse_formats(text: str | None) -> tuple:
    """'md,html' -> ('md', 'html'); unknown names are a usage error."""
    if not text:
        return DEFAULT_FORMATS
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise UsageError(f"unknown format `{', '.join(unknown) or text}`; choose from {', '.join(FORMATS)}")
    return names

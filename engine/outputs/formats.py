"""The output formats: each turns one evaluated project into one file's bytes.

A format is a name (``md``), a file extension, a function for one project's
file and, for most, one for the year's summary (汇总.<extension>). ``run``
renders the formats the user chose for every project and stages the files;
formats are added here, nowhere else. Each format imports its library
(Jinja2, docxtpl, openpyxl) when it first renders, so that commands and
runs that do not write it start quickly.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable

from engine.errors import UsageError
from engine.i18n import tr
from engine.outputs.kinds import template_for

if TYPE_CHECKING:
    from engine.model import ProjectResult
    from engine.outputs.summary import YearSummary


@dataclass(frozen=True)
class OutputFormat:
    name: str
    extension: str
    render: Callable[[Path, ProjectResult], bytes]
    # (workspace, summary context, project views) -> the year's 汇总 file (bytes or a binary file at its start);
    # None: no summary in this format
    summary: Callable[[Path, dict, list], bytes | BinaryIO] | None = None


def _markdown(workspace: Path, result: ProjectResult) -> bytes:
    from engine.outputs.render import render_template

    return render_template(workspace, template_for(workspace, result.ruleset.kind, "report.md.j2"),
                           result).encode("utf-8")


def _html(workspace: Path, result: ProjectResult) -> bytes:
    from engine.outputs.chart import score_chart
    from engine.outputs.printfit import print_layout
    from engine.outputs.render import render_context
    from engine.outputs.view import report_view

    view = report_view(result)
    view["chart"] = score_chart(view)
    view["layout"] = print_layout(view)
    name = template_for(workspace, result.ruleset.kind, "report.html.j2")
    return render_context(workspace, name, view, result.project.department).encode("utf-8")


def _docx(workspace: Path, result: ProjectResult) -> bytes:
    from engine.outputs.word import render_docx

    return render_docx(workspace, result)


def _xlsx(workspace: Path, result: ProjectResult) -> bytes:
    import gc

    from engine.rules.rulesets import display
    from engine.outputs.view import report_view
    from engine.outputs.xlsx import project_workbook
    from engine.outputs.xlsxtemplate import find_table_template, template_workbook

    template = find_table_template(workspace, result.project.department)  # a department's own table.xlsx
    if template is not None:
        return template_workbook(template, report_view(result), display(template, workspace))
    content = project_workbook(report_view(result))
    gc.collect(1)  # the workbook's reference cycles, freed now rather than piling up between collections
    return content


def built_in_workbook(workspace: Path, result: ProjectResult, rendered: list) -> bytes | None:
    """The project's workbook among its rendered files when evalrun's own layout made it (no table.xlsx)."""
    from engine.outputs.xlsxtemplate import find_table_template

    for relative, content in rendered:
        if relative.suffix == ".xlsx":
            return None if find_table_template(workspace, result.project.department) else content
    return None


def _year_workbook(workspace: Path, context: dict, views) -> bytes:
    """汇总.xlsx: from the sheets engine.outputs.yearbook spooled as the run went (a file), or from a list of views."""
    if hasattr(views, "finish"):
        return views.finish(context)
    from engine.outputs.xlsxyear import year_workbook

    return year_workbook(context, views)


def _summary_text(name: str) -> Callable[[Path, dict, list], BinaryIO]:
    """The 汇总 from a template, whose bounds grow with the number of projects it lists: written as it is made
    into a temporary file (returned at its start), never whole in memory."""
    def render(workspace: Path, context: dict, views: list) -> BinaryIO:
        import tempfile

        from engine.outputs.render import render_context_to
        from engine.outputs.sandbox_bounds import DEFAULT_BOUNDS

        bounds = DEFAULT_BOUNDS.for_rows(len(context["rows"]))
        chosen = template_for(workspace, context.get("kind"), name)
        target = tempfile.TemporaryFile()
        try:
            render_context_to(target, workspace, chosen, context, bounds=bounds)
        except BaseException:
            target.close()
            raise
        target.seek(0)
        return target

    return render


FORMATS: dict[str, OutputFormat] = {
    "md": OutputFormat("md", "md", _markdown, _summary_text("summary.md.j2")),
    "html": OutputFormat("html", "html", _html, _summary_text("summary.html.j2")),
    "docx": OutputFormat("docx", "docx", _docx),
    "xlsx": OutputFormat("xlsx", "xlsx", _xlsx, _year_workbook),
}
DEFAULT_FORMATS = tuple(FORMATS)


def summary_files(workspace: Path, formats: tuple, collected: YearSummary) -> list[tuple[str, bytes]]:
    """The year's 汇总 files, as (file name, bytes), for the chosen formats that have one."""
    import engine.outputs.summary as year

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
        raise UsageError(tr("formats.unknown", given=", ".join(unknown) or text, formats=", ".join(FORMATS)))
    return names

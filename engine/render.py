"""render: results -> text through Jinja2 templates, sandboxed and strict.

Templates are looked up first in the department's folder
(``reports/templates/<department>/``), then in the workspace's
``reports/templates/``, then among the defaults shipped with evalrun. A
typo in a template is an error with the template's name and line; text in
the data is only ever inserted, never run as a template.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .errors import EvalrunError, Source
from .model import ProjectResult
from .resources import data_dir
from .targets import format_number
from .view import report_view
from .write import inside


def number(value) -> str:
    """990 -> '990', 547.6879 -> '547.6879', 10.00 -> '10', 5.50 -> '5.5'."""
    if value is None or value == "":
        return ""
    if isinstance(value, (int, Decimal)):
        return format_number(Decimal(value))
    return str(value)


def cell(value) -> str:
    """Text safe inside a Markdown table cell."""
    return number(value).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def template_dirs(workspace: Path, department: str | None) -> list[Path]:
    dirs = []
    local = workspace / "reports" / "templates"
    if department and inside(local, local / department):
        dirs.append(local / department)
    dirs += [local, data_dir("templates")]
    return [d for d in dirs if d.is_dir()]


def environment(workspace: Path, department: str | None) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(workspace, department)], encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "html.j2", "htm.j2", "xml.j2"), default_for_string=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = number
    env.filters["cell"] = cell
    return env


def render_template(workspace: Path, name: str, result: ProjectResult, extra: dict | None = None) -> str:
    context = report_view(result)
    context.update(extra or {})
    return render_context(workspace, name, context, result.project.department)


def render_context(workspace: Path, name: str, context: dict, department: str | None = None) -> str:
    """Render the template ``name`` (the department's own first) with a plain context."""
    env = environment(workspace, department)
    try:
        template = env.get_template(name)
        return template.render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise EvalrunError(f"template syntax error: {exc.message}", Source(_shown(exc.filename, workspace, name), exc.lineno)) from None
    except jinja2.TemplateNotFound as exc:
        raise EvalrunError(f"the template `{exc.name}` was not found in {', '.join(map(str, template_dirs(workspace, department)))}",
                           Source(name)) from None
    except jinja2.exceptions.SecurityError as exc:
        raise EvalrunError(f"the template tried something the sandbox refuses: {exc}", _place(exc, workspace, name)) from None
    except jinja2.UndefinedError as exc:
        raise EvalrunError(f"the template uses an undefined name: {exc.message}", _place(exc, workspace, name)) from None
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
        place = _place(exc, workspace, name)
        if not place.line:  # not raised by a template: a bug, for the CLI to report as one
            raise
        raise EvalrunError(f"the template failed: {exc}", place) from None


def _shown(filename: str | None, workspace: Path, fallback: str) -> str:
    if not filename:
        return fallback
    try:
        return str(Path(filename).resolve().relative_to(workspace.resolve()))
    except ValueError:
        return filename


def _place(exc: BaseException, workspace: Path, fallback: str) -> Source:
    """The template file and line an error happened on, from the traceback Jinja rewrites."""
    tb = exc.__traceback__
    place = Source(fallback)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".j2", ".md", ".html")):
            place = Source(_shown(filename, workspace, fallback), tb.tb_lineno)
        tb = tb.tb_next
    return place

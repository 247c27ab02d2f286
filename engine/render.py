"""render: results -> text through Jinja2 templates, sandboxed and strict.

Templates are looked up first in the department's folder
(``reports/templates/<department>/``), then in the workspace's
``reports/templates/``, then among the defaults shipped with evalrun. A
typo in a template is an error with the template's name and line; text in
the data is only ever inserted, never run as a template.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .errors import EvalrunError, Source
from .model import ProjectResult
from .resources import data_dir
from .targets import format_number
from .view import report_view


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
    if department:
        dirs.append(local / department)
    dirs += [local, data_dir("templates")]
    return [d for d in dirs if d.is_dir()]


def environment(workspace: Path, department: str | None) -> SandboxedEnvironment:
    """The environment for these template folders; made once, so each template is compiled once."""
    return _environment(tuple(str(d) for d in template_dirs(workspace, department)))


@lru_cache(maxsize=64)
def _environment(dirs: tuple) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(list(dirs), encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml"), default_for_string=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = number
    env.filters["cell"] = cell
    return env


def render_template(workspace: Path, name: str, result: ProjectResult, extra: dict | None = None) -> str:
    env = environment(workspace, result.project.department)
    context = report_view(result)
    context.update(extra or {})
    try:
        template = env.get_template(name)
        return template.render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise EvalrunError(f"template syntax error: {exc.message}", Source(_shown(exc.filename, workspace, name), exc.lineno)) from None
    except jinja2.TemplateNotFound as exc:
        raise EvalrunError(f"the template `{exc.name}` was not found in {', '.join(map(str, template_dirs(workspace, result.project.department)))}",
                           Source(name)) from None
    except jinja2.exceptions.SecurityError as exc:
        raise EvalrunError(f"the template tried something the sandbox refuses: {exc}", Source(name, _template_line(exc))) from None
    except jinja2.UndefinedError as exc:
        raise EvalrunError(f"the template uses an undefined name: {exc.message}", Source(name, _template_line(exc))) from None


def _shown(filename: str | None, workspace: Path, fallback: str) -> str:
    if not filename:
        return fallback
    try:
        return str(Path(filename).resolve().relative_to(workspace.resolve()))
    except ValueError:
        return filename


def _template_line(exc: BaseException) -> int:
    """The template line an error happened on, from the traceback Jinja rewrites."""
    tb = exc.__traceback__
    line = 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith((".j2", ".md", ".html")):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line

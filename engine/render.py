"""render: results -> text through Jinja2 templates, sandboxed and strict.

Templates are looked up first in the department's folder
(``reports/templates/<department>/``), then in the workspace's
``reports/templates/``, then among the defaults shipped with evalrun. A
typo in a template is an error with the template's name and line; text in
the data is only ever inserted, never run as a template.
"""
from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment

from .errors import EvalrunError, Source
from .load import decode
from .model import ProjectResult
from .resources import data_dir
from .targets import format_number
from .view import report_view
from .write import safe_name


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


MAX_VALUE_LENGTH = 1_000_000  # characters or items one `*` may build
MAX_POWER = 100
_FORMAT_WIDTH = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class _BoundedSandbox(SandboxedEnvironment):
    """Jinja's sandbox, plus bounds on `*`, `**` and `%`, so a template cannot build a huge value."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context, operator, left, right):
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)


def _check_binop(operator: str, left, right) -> None:
    numbers = (int, float, Decimal)
    if operator == "**" and isinstance(right, numbers) and abs(right) > MAX_POWER:
        raise SecurityError(f"a power above {MAX_POWER} ({left} ** {right})")
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_VALUE_LENGTH:
                raise SecurityError(f"repeating a value {times} times (at most {MAX_VALUE_LENGTH:,} long)")
    if operator == "%" and isinstance(left, str):
        for match in _FORMAT_WIDTH.finditer(left):
            if any(part == "*" or (part and int(part) > 1000) for part in match.groups()):
                raise SecurityError("a `%` format with a width above 1000")


class _Loader(jinja2.FileSystemLoader):
    """Reads templates as UTF-8 and says so, with the file, when one is not."""

    def get_source(self, environment, template):
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError:
            for folder in self.searchpath:
                path = Path(folder, *split_template_path(template))
                if path.is_file():
                    decode(path.read_bytes(), str(path))  # raises with line and a GBK hint
            raise


def template_dirs(workspace: Path, department: str | None) -> list[Path]:
    dirs = []
    local = workspace / "reports" / "templates"
    if department and safe_name(department) == department:  # a plain folder name, never a path
        dirs.append(local / department)
    dirs += [local, data_dir("templates")]
    return [d for d in dirs if d.is_dir()]


def environment(workspace: Path, department: str | None) -> SandboxedEnvironment:
    """The environment for these template folders; made once, so each template is compiled once."""
    return _environment(tuple(str(d) for d in template_dirs(workspace, department)))


@lru_cache(maxsize=64)
def _environment(dirs: tuple) -> SandboxedEnvironment:
    env = _BoundedSandbox(
        loader=_Loader(list(dirs), encoding="utf-8"),
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
        return env.get_template(name).render(context)
    except EvalrunError as exc:  # a template file that is not UTF-8
        raise EvalrunError(exc.message, Source(_shown(exc.source.file, workspace), exc.source.line)) from None
    except jinja2.TemplateSyntaxError as exc:
        where = Source(_shown(exc.filename, workspace) if exc.filename else name, exc.lineno)
        raise EvalrunError(f"template syntax error: {exc.message}", where) from None
    except jinja2.TemplateNotFound as exc:
        folders = ", ".join(_shown(str(d), workspace) for d in template_dirs(workspace, department))
        raise EvalrunError(
            f"the template `{exc.name}` was not found; templates are looked up only inside {folders}",
            _place(exc, workspace, department, name),
        ) from None
    except SecurityError as exc:
        raise EvalrunError(f"the template tried something the sandbox refuses: {exc}",
                           _place(exc, workspace, department, name)) from None
    except jinja2.UndefinedError as exc:
        raise EvalrunError(f"the template uses an undefined name: {exc.message}",
                           _place(exc, workspace, department, name)) from None
    except RecursionError as exc:
        raise EvalrunError("the template calls itself without end (a macro or include that never stops)",
                           _place(exc, workspace, department, name)) from None
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, MemoryError) as exc:
        place = _place(exc, workspace, department, name)
        if not place.line:  # not raised inside a template: a bug, for the CLI to report as one
            raise
        raise EvalrunError(f"the template failed: {type(exc).__name__}: {exc}", place) from None


def _shown(filename: str, workspace: Path) -> str:
    try:
        return Path(filename).resolve().relative_to(workspace.resolve()).as_posix()
    except (ValueError, OSError):
        return str(filename)


def _place(exc: BaseException, workspace: Path, department: str | None, fallback: str) -> Source:
    """The template file and line an error happened on, from the traceback Jinja rewrites."""
    folders = [d.resolve() for d in template_dirs(workspace, department)]
    where = Source(fallback)
    tb = exc.__traceback__
    while tb is not None:
        path = Path(tb.tb_frame.f_code.co_filename)
        # relative when the workspace is (`--workspace .`, the default): resolved against the same folder
        if not str(path).startswith("<") and any(path.resolve().is_relative_to(folder) for folder in folders):
            where = Source(_shown(str(path), workspace), tb.tb_lineno)
        tb = tb.tb_next
    return where

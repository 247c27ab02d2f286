"""render: results -> text through Jinja2 templates, sandboxed and strict.

Templates are looked up first in the department's folder
(``reports/templates/<department>/``), then in the workspace's
``reports/templates/``, then among the defaults shipped with evalrun. A
typo in a template is an error with the template's name and line; text in
the data is only ever inserted, never run as a template.

Template folders and files (``{% include %}`` too) are read through the
workspace guard: a link leading out of the workspace is refused. They are
looked up by their real, absolute paths, so that an error names the same
file and line whether the workspace was given as a relative or an absolute
path. Templates run in engine/outputs/sandbox.py's bounded sandbox.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path

from engine.errors import EvalrunError, Source
from engine.i18n import tr
from engine.files.load import decode
from engine.model import ProjectResult
from engine.files.paths import LinkOutside, guard_path
from engine.files.resources import data_dir
from engine.outputs.sandbox import BoundedSandbox
from engine.outputs.sandbox_bounds import MAX_TEMPLATE_BYTES, Bounds, budget
from engine.rules.targets import format_number
from engine.outputs.view import report_view
from engine.runner.write import safe_name


def number(value) -> str:
    """990 -> '990', 547.6879 -> '547.6879', 10.00 -> '10', 5.50 -> '5.5'."""
    if value is None or value == "":
        return ""
    if isinstance(value, (int, Decimal)):
        return format_number(Decimal(value))
    return str(value)


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def chinese_date(value) -> str:
    """A date as the forms print it: 2025-06-30 -> 2025年6月30日; any other text as it is."""
    if value is None or value == "":
        return ""
    if hasattr(value, "year") and hasattr(value, "month") and hasattr(value, "day"):
        return f"{value.year}年{value.month}月{value.day}日"
    found = _ISO_DATE.fullmatch(str(value).strip())
    if found is None:
        return str(value)
    year, month, day = (int(part) for part in found.groups())
    return f"{year}年{month}月{day}日"


def cell(value) -> str:
    """Text safe inside a Markdown table cell."""
    return number(value).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


class _Loader(jinja2.FileSystemLoader):
    """Reads templates as UTF-8, through the workspace guard, refusing files over MAX_TEMPLATE_BYTES.

    ``roots`` pairs each folder with the folder no link may lead out of
    (the workspace; None for the templates that ship with evalrun).
    """

    def __init__(self, roots: list[tuple[str, str | None]]):
        super().__init__([folder for folder, _ in roots], encoding="utf-8")
        self.roots = roots

    def get_source(self, environment, template):
        pieces = split_template_path(template)
        before = []  # where the template was not, in folders that come first: one put there since is the one
        for folder, root in self.roots:
            path = os.path.join(folder, *pieces)
            if not os.path.lexists(path):
                before.append(path)
                continue
            real = guard_path(Path(root), Path(path), "read") if root else Path(path)
            if not real.is_file():
                continue
            size = real.stat().st_size
            if size > MAX_TEMPLATE_BYTES:
                raise EvalrunError(tr("template.too_large", size=f"{size / 1024 / 1024:.1f}",
                                      limit=MAX_TEMPLATE_BYTES // 1024 // 1024), Source(path))
            raw = real.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                decode(raw, path)  # raises with the line and a GBK hint
                raise
            mtime = os.path.getmtime(real)
            return text, str(real), lambda: (os.path.exists(real) and os.path.getmtime(real) == mtime
                                             and not any(os.path.lexists(p) for p in before))
        raise jinja2.TemplateNotFound(template)


def template_dirs(workspace: Path, department: str | None) -> list[Path]:
    """The template folders to look in, first to last, as real absolute paths.

    A folder in the workspace that is a link leading out of it is refused (LinkOutside).
    """
    return [Path(folder) for folder, _ in template_roots(workspace, department)]


def template_roots(workspace: Path, department: str | None) -> list[tuple[str, str | None]]:
    local = workspace / "reports" / "templates"
    candidates = [local / department] if department and safe_name(department) == department else []
    roots = []
    for folder in candidates + [local]:  # a department's folder is a plain name, never a path
        if folder.is_dir() or folder.is_symlink():
            real = guard_path(workspace, folder, "read")
            if real.is_dir():
                roots.append((str(real), str(Path(os.path.realpath(workspace)))))
    shipped = data_dir("templates")
    if shipped.is_dir():
        roots.append((str(shipped.resolve()), None))
    return roots


def environment(workspace: Path, department: str | None) -> BoundedSandbox:
    """The environment for these template folders; made once, so each template is compiled once."""
    return _environment(tuple(template_roots(workspace, department)))


@lru_cache(maxsize=64)
def _environment(roots: tuple) -> BoundedSandbox:
    from engine.outputs.templatecache import bytecode_cache

    env = BoundedSandbox(
        loader=_Loader(list(roots)),
        bytecode_cache=bytecode_cache(),  # compiled once, kept in the user's own cache folder
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "html.j2", "htm.j2", "xml.j2"), default_for_string=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = number
    env.filters["cell"] = cell
    env.filters["cn_date"] = chinese_date
    return env


def render_template(workspace: Path, name: str, result: ProjectResult) -> str:
    context = report_view(result)
    return render_context(workspace, name, context, result.project.department)


def render_context(workspace: Path, name: str, context: dict, department: str | None = None,
                   bounds: Bounds | None = None) -> str:
    """Render the template ``name`` (the department's own first) with a plain context, within ``bounds``."""
    env = environment(workspace, department)
    with _template_errors(workspace, name, department), budget(bounds):
        return env.get_template(name).render(context)


def render_context_to(target, workspace: Path, name: str, context: dict, bounds: Bounds | None = None) -> None:
    """``render_context`` written to the binary file ``target`` (UTF-8) as Jinja makes it, piece by piece:
    the text of a year's 汇总 is never whole in memory (its rows may be read from disk as it goes)."""
    env = environment(workspace, None)
    with _template_errors(workspace, name, None), budget(bounds):
        pending, size = [], 0
        for piece in env.get_template(name).generate(context):
            pending.append(piece)
            size += len(piece)
            if size >= 65536:
                target.write("".join(pending).encode("utf-8"))
                pending, size = [], 0
        target.write("".join(pending).encode("utf-8"))


@contextmanager
def _template_errors(workspace: Path, name: str, department: str | None):
    """A template's failures as EvalrunErrors naming the template file and line."""
    try:
        yield
    except LinkOutside:
        raise
    except EvalrunError as exc:  # a template file that is not UTF-8, or too large
        raise EvalrunError(exc.message, Source(_shown(exc.source.file, workspace), exc.source.line)) from None
    except jinja2.TemplateSyntaxError as exc:
        where = Source(_shown(exc.filename, workspace) if exc.filename else name, exc.lineno)
        raise EvalrunError(tr("template.syntax", detail=exc.message), where) from None
    except jinja2.TemplateNotFound as exc:
        folders = ", ".join(_shown(str(d), workspace) for d in template_dirs(workspace, department))
        raise EvalrunError(
            tr("template.not_found", name=exc.name, folders=folders),
            _place(exc, workspace, department, name),
        ) from None
    except SecurityError as exc:
        raise EvalrunError(tr("template.sandbox", detail=refusal(exc)),
                           _place(exc, workspace, department, name)) from None
    except jinja2.UndefinedError as exc:
        raise EvalrunError(tr("template.undefined", detail=exc.message),
                           _place(exc, workspace, department, name)) from None
    except RecursionError as exc:
        raise EvalrunError(tr("template.recursion"),
                           _place(exc, workspace, department, name)) from None
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, MemoryError,
            UnicodeError) as exc:
        place = _place(exc, workspace, department, name)
        if not place.line:  # not raised inside a template: a bug, for the CLI to report as one
            raise
        raise EvalrunError(tr("template.failed", detail=f"{type(exc).__name__}: {exc}"), place) from None


def refusal(exc: Exception) -> str:
    """What the sandbox refused, in the language in use (Jinja words its refusal of an attribute in English)."""
    found = re.fullmatch(r"access to attribute '(.*)' of '(.*)' object is unsafe\.?", str(exc))
    return tr("template.unsafe_attribute", attribute=found[1], type=found[2]) if found else str(exc)


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

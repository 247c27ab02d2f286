"""word: the report as a Word document, from a .docx template with Jinja tags (docxtpl).

The template (``reports/templates/report.docx``, or the department's own in
``reports/templates/<department>/``) is an ordinary Word file that staff edit
in Word or WPS. It takes docxtpl's tags (``{{ }}``, ``{%p %}``, ``{%tr %}``,
...) and one of ours for the merged cells of the 自评表:
``{% vmerge EXPR %}`` in a table cell makes the cell start a vertically
merged block on the rows where EXPR is true and continue the block above on
the others (docxtpl's own ``{% vm %}`` only follows the innermost loop, and
a first-level group spans several second-level groups).

The tags run in evalrun's bounded sandbox (engine/outputs/sandbox.py, the one the
Markdown and HTML templates use) with XML autoescaping; the data is
inserted, never run as a template, so text from a project (even one starting
with `=` or holding `<w:fldSimple>`) is only ever text, never a Word field.
The template is read through the workspace guard, and its parts are
checked before it is unpacked (engine/outputs/ooxml.py: a zip bomb is refused).

A run writes many reports from one template: each distinct template text
(the document body, each header and footer) is compiled by Jinja once a
process, and the reference cycles python-docx leaves behind are collected
after each report, so memory stays flat however many are written.
"""
from __future__ import annotations

import gc
import io
import hashlib
import os
import re
import zipfile
from collections import OrderedDict
from pathlib import Path

import jinja2
from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate

from engine.errors import EvalrunError, Source
from engine.model import ProjectResult
from engine.outputs.ooxml import WORD_TEMPLATE_LIMITS, PackageDamaged, check_package, reproducible
from engine.files.paths import guard_path
from engine.files.reading import open_plain, os_reason
from engine.i18n import tr
from engine.outputs.render import chinese_date, number, refusal, template_roots
from engine.outputs.sandbox import BoundedSandbox
from engine.outputs.sandbox_bounds import Bounds, budget
from engine.outputs.view import report_view

TEMPLATE = "report.docx"

_VMERGE_CELL = re.compile(r"<w:tc[ >](?:(?!<w:tc[ >]).)*?{%\s*vmerge\s.*?</w:tc>", re.DOTALL)
_VMERGE_TAG = re.compile(r"(<w:t(?: [^>]*)?>)((?:(?!<w:t[ >]).)*?){%\s*vmerge\s+(.*?)\s*%}(.*?)(</w:t>)", re.DOTALL)
# Where w:vMerge may go in w:tcPr: after w:tcW and w:gridSpan (the schema's order).
_TCPR_HEAD = re.compile(r"<w:tcPr>(?:<w:tcW [^>]*/>)?(?:<w:gridSpan [^>]*/>)?|<w:tcPr/>")


def _vmerge(match: re.Match) -> str:
    cell = re.sub(r"<w:vMerge(?: [^>]*)?/>", "", match.group(0))
    tag = _VMERGE_TAG.search(cell)
    condition = tag.group(3)
    cell = _VMERGE_TAG.sub(
        lambda m: f"{m.group(1)}{{% if {condition} %}}{m.group(2)}{m.group(4)}{{% endif %}}{m.group(5)}", cell, count=1)
    flag = f'<w:vMerge w:val="{{% if {condition} %}}restart{{% else %}}continue{{% endif %}}"/>'
    if "<w:tcPr" not in cell:
        return re.sub(r"(<w:tc[ >][^>]*?>|<w:tc>)", rf"\1<w:tcPr>{flag}</w:tcPr>", cell, count=1)
    return _TCPR_HEAD.sub(lambda m: (m.group(0).replace("<w:tcPr/>", "<w:tcPr>") + flag
                                     + ("</w:tcPr>" if m.group(0) == "<w:tcPr/>" else "")), cell, count=1)


_PATCHED: OrderedDict = OrderedDict()  # a template part's XML -> as patched for Jinja


class _Template(DocxTemplate):
    """docxtpl with the ``{% vmerge %}`` cell tag, remembering the XML it rendered (for error messages)."""

    source_lines: list = []

    def patch_xml(self, src_xml: str) -> str:
        # docxtpl's clean-up of the tags: the same text for every report from one template
        patched = _PATCHED.get(src_xml)
        if patched is None:
            patched = _VMERGE_CELL.sub(_vmerge, super().patch_xml(src_xml))
            _PATCHED[src_xml] = patched
            if len(_PATCHED) > _Environment.KEEP:
                _PATCHED.popitem(last=False)
        return patched

    def render_xml_part(self, src_xml, part, context, jinja_env=None):
        # docxtpl puts each paragraph on its own line, so a Jinja line is a paragraph.
        self.source_lines = re.sub(r"<w:p([ >])", r"\n<w:p\1", src_xml).splitlines()
        return super().render_xml_part(src_xml, part, context, jinja_env)

    def text_of_line(self, line: int) -> str:
        if not 0 < line <= len(self.source_lines):
            return ""
        return re.sub(r"<[^>]+>", "", self.source_lines[line - 1]).strip()


def find_template(workspace: Path, department: str | None, name: str = TEMPLATE) -> Path:
    """The department's own template if it has one, else the workspace's, else evalrun's."""
    roots = template_roots(workspace, department)
    for folder, root in roots:
        path = Path(folder) / name
        if os.path.lexists(path):
            real = guard_path(Path(root), path, "read") if root else path
            if real.is_file():
                return real
    folders = ", ".join(_shown(Path(folder), workspace) for folder, _ in roots)
    raise EvalrunError(tr("word.not_found", name=name, folders=folders), Source(name))


class _Environment(BoundedSandbox):
    """The bounded sandbox, compiling each distinct template text once (docxtpl asks for every report)."""

    KEEP = 32  # template texts (body, headers, footers of a few templates)

    def __init__(self, **options):
        super().__init__(**options)
        self.compiled: OrderedDict = OrderedDict()

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self.compiled.get(source)
        if template is None:
            template = self._from_cache(source)  # a syntax error is raised here, and not kept
            self.compiled[source] = template
            if len(self.compiled) > self.KEEP:
                self.compiled.popitem(last=False)
        return template


    def _from_cache(self, source: str):
        """The template of ``source``, its compiled code from the user's cache folder when it has it
        (engine/outputs/templatecache.py; the text's sha256 is its name there)."""
        cache = self.bytecode_cache
        if cache is None:
            return super().from_string(source)
        bucket = cache.get_bucket(self, hashlib.sha256(source.encode("utf-8")).hexdigest(), None, source)
        if bucket.code is None:
            bucket.code = self.compile(source)
            try:
                cache.set_bucket(bucket)
            except OSError:
                pass  # a cache that cannot be written only means compiling again next time
        return self.template_class.from_code(self, bucket.code, self.make_globals(None))


_environments: list = []


def environment() -> BoundedSandbox:
    """The one environment of the process: what it compiled is reused by every report."""
    if not _environments:
        from engine.outputs.templatecache import bytecode_cache

        env = _Environment(undefined=jinja2.StrictUndefined, autoescape=True, bytecode_cache=bytecode_cache())
        env.filters["num"] = number
        env.filters["cn_date"] = chinese_date
        _environments.append(env)
    return _environments[0]


def render_docx(workspace: Path, result: ProjectResult, bounds: Bounds | None = None) -> bytes:
    from engine.outputs.kinds import template_for

    path = find_template(workspace, result.project.department, template_for(workspace, result.ruleset.kind, TEMPLATE))
    shown = _shown(path, workspace)
    try:
        with open_plain(path) as handle:  # a FIFO would hold the run
            content = handle.read()
    except OSError as exc:
        raise EvalrunError(tr("word.cannot_read", detail=os_reason(exc)), Source(shown)) from None
    try:
        check_package(content, shown, WORD_TEMPLATE_LIMITS, "Word template")
    except PackageDamaged:
        pass  # said below, in the words for a file that is not a .docx
    template = _Template(io.BytesIO(content))
    try:
        template.init_docx()
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, OSError, ValueError) as exc:
        raise EvalrunError(tr("word.not_docx", detail=exc),
                           Source(shown)) from None
    try:
        with budget(bounds):
            template.render(report_view(result), jinja_env=environment())
    except jinja2.TemplateSyntaxError as exc:
        raise _error(template, shown, tr("template.syntax", detail=exc.message), exc.lineno) from None
    except jinja2.UndefinedError as exc:
        raise _error(template, shown, tr("template.undefined", detail=exc.message), _line(exc)) from None
    except jinja2.exceptions.SecurityError as exc:
        raise _error(template, shown, tr("template.sandbox", detail=refusal(exc)), _line(exc)) from None
    except RecursionError:
        raise _error(template, shown, tr("word.recursion"), 0) from None
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError, MemoryError) as exc:
        if not _line(exc):  # not raised by a template: a bug, for the CLI to report as one
            raise
        raise _error(template, shown, tr("template.failed", detail=exc), _line(exc)) from None
    buffer = io.BytesIO()
    template.save(buffer)
    del template
    # python-docx's documents are webs of reference cycles (parts and package point at each other);
    # the CLI collects cycles rarely, so without this every report's XML would stay until it does.
    gc.collect(1)
    return reproducible(buffer.getvalue())


def _error(template: _Template, shown: str, message: str, line: int | None) -> EvalrunError:
    """An error at the paragraph that failed (counted through the document, tables too), quoting it."""
    paragraph = max((line or 0) - 1, 0)  # the first Jinja line is what precedes the first paragraph
    text = template.text_of_line(line or 0)
    where = tr("word.paragraph", paragraph=paragraph, text=text[:80]) if text else ""
    return EvalrunError(f"{message}{where}", Source(shown, paragraph))


def _line(exc: BaseException) -> int:
    tb, line = exc.__traceback__, 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _shown(path: Path, workspace: Path) -> str:
    try:
        return path.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return str(path)

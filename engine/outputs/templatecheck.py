"""Checking the workspace's report templates before a run needs them (`evalrun validate`).

Every Jinja template in ``reports/templates/`` and in each department's
``reports/templates/<department>/`` is compiled, and each set's reports
(Markdown, HTML, Word, and the 汇总 for the defaults) are rendered against an
example with undefined names as errors, so a typo such as
``{{ project.nme }}`` is ``reports/templates/<department>/report.html.j2:12: ...``
at validation time, not halfway through a run. The example is a project of
that department when the run has one, else any evaluated project, else a
small project made from the ruleset's framework.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import jinja2

from engine.errors import EvalrunError, Source
from engine.files.located import LDict, LList
from engine.i18n import tr
from engine.model import ProjectResult, Ruleset
from engine.outputs.formats import FORMATS
from engine.outputs.render import _shown, environment
from engine.outputs.summary import YearSummary
from engine.runner.write import safe_name

REPORTS = ("md", "html", "docx")  # a department's own templates change these; the 汇总 is the year's
TEMPLATE_SUFFIXES = (".j2",)


def department_folders(workspace: Path) -> list[str]:
    """The departments with their own template folder (plain folder names only, as the run uses them)."""
    root = workspace / "reports" / "templates"
    if not root.is_dir():
        return []
    # a folder that is a link is listed too: rendering it says whether the link stays in the workspace
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and safe_name(p.name) == p.name and (p.is_symlink() or any(f.is_file() for f in p.iterdir())))


def template_errors(workspace: Path, ruleset: Ruleset, examples: dict, evaluate) -> list[EvalrunError]:
    """Every problem of the workspace's templates, as file:line errors.

    ``examples`` maps a department to one of its evaluated projects;
    ``evaluate(ruleset, project)`` scores the made-up example when there is none.
    """
    errors: list[EvalrunError] = []
    fallback = next(iter(examples.values()), None)
    for department in [None] + department_folders(workspace):
        example = examples.get(department) or fallback
        if example is None:
            example = fallback = _made_up(ruleset, evaluate, errors)
            if example is None:
                return errors
        if department is not None and example.project.department != department:
            example = replace(example, project=replace(example.project, department=department))
        errors += _compile_all(workspace, department)
        for name in REPORTS:
            errors += _attempt(lambda: FORMATS[name].render(workspace, example))
        if department is None:
            summary = YearSummary(ruleset)
            summary.add(Path(example.project.file), example, Path(safe_name(example.project.name)))
            context = summary.context()
            for name in ("md", "html"):
                errors += _attempt(lambda: FORMATS[name].summary(workspace, context, []))
    return errors


def _attempt(render) -> list[EvalrunError]:
    try:
        render()
    except EvalrunError as exc:
        return list(getattr(exc, "errors", [exc]))
    return []


def _compile_all(workspace: Path, department: str | None) -> list[EvalrunError]:
    """Compile every template file of the folder: a syntax error in a part no report includes is found too."""
    local = workspace / "reports" / "templates"
    folder = local / department if department else local
    if not folder.is_dir():
        return []
    try:
        env = environment(workspace, department)
    except EvalrunError as exc:  # a template folder that is a link out of the workspace
        return [exc]
    errors = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name.endswith(TEMPLATE_SUFFIXES):
            errors += _attempt(lambda: _compile(env, workspace, path.name))
    return errors


def _compile(env, workspace: Path, name: str) -> None:
    try:
        env.get_template(name)
    except EvalrunError as exc:  # a template file that is not UTF-8
        raise EvalrunError(exc.message, Source(_shown(exc.source.file, workspace), exc.source.line)) from None
    except jinja2.TemplateSyntaxError as exc:
        raise EvalrunError(tr("template.syntax", detail=exc.message),
                           Source(_shown(exc.filename, workspace) if exc.filename else name, exc.lineno)) from None


def _made_up(ruleset: Ruleset, evaluate, errors: list) -> ProjectResult | None:
    """A small project with one row per first-level group, every target met: an example to render."""
    where = Source("<example>", 1)
    rows = []
    for group in ruleset.groups:
        weight = group.weight if group.weight is not None else group.weight_range[0]
        rows.append({"level1": group.name, "level2": group.subgroups[0] if group.subgroups else group.name,
                     "name": f"{group.name}示例", "target": "≥1 个", "actual": "1 个", "weight": weight})
    data = _located({
        "project": "示例项目", "department": "示例单位", "fiscal_year": ruleset.fiscal_year,
        "budget": {"initial": Decimal(100), "full_year": Decimal(100), "executed": Decimal(100)},
        "goals": [{"expected": "年度目标", "achieved": "已完成"}],
        "indicators": rows,
    }, where)
    from engine.rules.project import build_project

    try:
        return evaluate(ruleset, build_project(data, "<example>", ruleset))
    except EvalrunError:
        return None  # the ruleset's own errors are reported where it is checked


def _located(value, where: Source):
    if isinstance(value, dict):
        out = LDict({k: _located(v, where) for k, v in value.items()})
        out.source, out.key_sources, out.value_sources = where, {}, {}
        return out
    if isinstance(value, list):
        out = LList(_located(v, where) for v in value)
        out.source, out.item_sources = where, [where] * len(value)
        return out
    return value

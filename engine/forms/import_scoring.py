"""import_scoring: each row of an imported form read as scoring will read it.

A value that cannot be scored (`两个` against `≥3 个`) is an error at its
cell when the form is imported, not at the next run; a row that needs a
level the form has no column for is a warning.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from engine.errors import EvalrunError
from engine.files.located import LDict, LList
from engine.forms.cells import CellSource, FormError
from engine.forms.importer import SheetImport
from engine.i18n import tr
from engine.rules.project import build_project
from engine.scoring.evaluate import score_indicator
from engine.scoring.judge import choose


def check_scoring(sheet: SheetImport, ruleset, matches: dict, data) -> None:
    """Each applicable row read as scoring reads it (the grammar and the ruleset's methods), so that a
    value that cannot be scored (`两个` against `≥3 个`) is an error at its cell now, not at the next run.

    A row that could be scored once the evaluator picks its level (a missed deadline, say) is a
    warning: the form has no column for the level; it goes in the project file.
    """
    if ruleset is None or sheet.data is None:
        return
    where = CellSource(f"{sheet.cells[('project',)].file}") if ("project",) in sheet.cells else None
    for j, row in enumerate(sheet.data["indicators"]):
        if not row.get("applicable", True):
            continue
        old = data["indicators"][matches[j]] if data is not None and j in matches else None
        # the row's 其中 rows are not scored; each was read as scoring reads it (importer) already
        row = {k: v for k, v in row.items() if k != "parts"}
        spec = _located(row, {k: sheet.cells.get(("indicators", j, k)) for k in row}, where)
        for key in ("method", "level"):  # what the file adds to the row, which the form has no column for
            if old is not None and key in old:
                spec[key] = old[key]
                spec.value_sources[key] = old.source_of(key)
        try:
            project = build_project(_project_of(spec, ruleset, sheet), "", ruleset)
            indicator = project.indicators[0]
            try:
                score_indicator(ruleset, indicator, indicator.weight)
            except EvalrunError as exc:
                method = choose(ruleset, indicator)[0]
                if indicator.level or method.kind != "qualitative" or not method.levels:
                    raise
                try:
                    score_indicator(ruleset, replace(indicator, level=method.levels[0].name), indicator.weight)
                except EvalrunError:
                    raise exc from None
                sheet.warnings.append(FormError(tr("import.level_needed", message=exc.message), exc.source))
        except EvalrunError as exc:
            sheet.errors.extend(getattr(exc, "errors", [exc]))


def _located(row: dict, sources: dict, where) -> LDict:
    spec = LDict(row)
    spec.source = sources.get("name") or where
    spec.key_sources = {k: s for k, s in sources.items() if s is not None}
    spec.value_sources = dict(spec.key_sources)
    return spec


def _project_of(spec: LDict, ruleset, sheet: SheetImport) -> LDict:
    """A project holding only the row ``spec``, for build_project to read."""
    indicators = LList([spec])
    indicators.source = spec.source
    indicators.item_sources = [spec.source]
    budget = LDict(initial=Decimal(1), full_year=Decimal(1), executed=Decimal(1))
    budget.source, budget.key_sources, budget.value_sources = spec.source, {}, {}
    project = LDict(project=sheet.data["project"], department=sheet.data["department"],
                    fiscal_year=ruleset.fiscal_year, budget=budget, indicators=indicators)
    project.source, project.key_sources, project.value_sources = spec.source, {}, {}
    return project

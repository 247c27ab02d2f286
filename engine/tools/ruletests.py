"""Rule tests as data: ``rulesets/<name>/tests/*.yaml`` cases and their runner.

A case gives a project (a file of the workspace, or inline data laid over a
small default project) and what the ruleset must make of it: the total,
the grade, the score and the method of named rows, or the error it must
raise. ``evalrun test`` and pytest both run them through ``run_cases``.
"""
from __future__ import annotations

import os

from dataclasses import replace, dataclass, field
from decimal import Decimal
from pathlib import Path

from engine.api import evaluate
from engine import i18n
from engine.errors import EvalrunError, Source, raise_all
from engine.i18n import tr
from engine.rules.table import lay_table
from engine.rules.inherit import merge
from engine.files.load import load_file
from engine.files.located import LDict
from engine.model import ProjectResult
from engine.files.paths import guard_path
from engine.rules.project import build_project
from engine.files.stages import stage_data
from engine.store.previous_rows import attach_previous_rows
from engine.rules.rulesets import RulesetCache, derive, display
from engine.rules.targets import format_number
from engine.files.validate import check_schema


@dataclass
class CaseResult:
    name: str
    source: Source
    differences: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.differences


def case_files(workspace: Path, ruleset_name: str) -> list[Path]:
    folder = workspace / "rulesets" / ruleset_name / "tests"
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def _default_project(fiscal_year: int, where: Source) -> LDict:
    base = LDict(project="规则测试", department="规则测试", fiscal_year=fiscal_year,
                 budget=LDict(initial=Decimal(100), full_year=Decimal(100), executed=Decimal(100)))
    for node in (base, base["budget"]):
        node.source, node.key_sources, node.value_sources = where, {}, {}
    return base


def _project_data(case: LDict, workspace: Path, rulesets: RulesetCache, shown: str):
    where = case.source
    if "project_file" in case:
        relative = str(case["project_file"])
        path = workspace / relative
        if not Path(os.path.abspath(path)).is_relative_to(os.path.abspath(workspace)) or not path.is_file():
            raise EvalrunError(tr("ruletests.not_a_file", path=relative), case.source_of("project_file"))
        file_shown = display(path, workspace)
        return load_file(guard_path(workspace, path, "read"), file_shown), file_shown
    data = merge(_default_project(rulesets.base.fiscal_year, where), case["project"])
    return data, shown


def _score(case: LDict, workspace: Path, rulesets, shown: str) -> ProjectResult:
    data, data_shown = _project_data(case, workspace, rulesets, shown)
    ruleset = rulesets.for_department(str(data.get("department", "")))
    data, stage = stage_data(data, ruleset.kind)  # a project file's stage of the year (engine.files.stages)
    raise_all(lay_table(data, ruleset))  # rows named after the ruleset's indicator table
    check_schema(data, "project", data_shown)
    project = replace(build_project(data, data_shown, ruleset), stage=stage)
    return evaluate(ruleset, attach_previous_rows(project, ruleset, workspace))


def _says(expected: str, error: EvalrunError, again) -> bool:
    """Whether the error says ``expected`` in the language in use, or in another one: a case's `error` is
    written in the language its author reads evalrun in (``again()`` makes the error once more)."""
    if expected in str(error):
        return True
    for language in i18n.LANGUAGES:
        with i18n.speaking(language):
            try:
                again()
            except EvalrunError as said:
                if expected in str(said):
                    return True
    return False


def _check(result: ProjectResult, expect: LDict) -> list[str]:
    differences = []
    rows = {row.name or row.note: row for row in result.all_rows}
    if "total" in expect and Decimal(expect["total"]) != result.total:
        differences.append(tr("ruletests.total", expected=format_number(Decimal(expect["total"])),
                              got=format_number(result.total)))
    if "grade" in expect and expect["grade"] != result.grade:
        differences.append(tr("ruletests.grade", expected=expect["grade"], got=result.grade))
    for name, wanted in (expect.get("scores") or {}).items():
        row = rows.get(name)
        if row is None:
            differences.append(tr("ruletests.no_row", name=name, rows=", ".join(rows)))
        elif wanted is None and row.applicable:
            differences.append(tr("ruletests.expected_not_applicable", name=name, got=format_number(row.score)))
        elif wanted is not None and row.score != Decimal(wanted):
            got = tr("ruletests.not_applicable") if row.score is None else format_number(row.score)
            how = f" ({row.trace.method}: {row.trace.formula.text})" if row.trace else ""
            differences.append(tr("ruletests.score", name=name, expected=format_number(Decimal(wanted)), got=got,
                                  how=how))
    for name, method in (expect.get("methods") or {}).items():
        row = rows.get(name)
        used = row.trace.method if row is not None and row.trace else None
        if used != method:
            differences.append(tr("ruletests.method", name=name, expected=method, got=used))
    if "findings" in expect:
        wanted = sorted(expect["findings"] or [])
        got = sorted(f.check for f in result.findings)
        if wanted != got:
            none = tr("ruletests.none")
            detail = "; ".join(f"{f.check}: {f.text}" for f in result.findings) or none
            differences.append(tr("ruletests.findings", expected=wanted or none, got=got or none, detail=detail))
    return differences


class _Fixed:
    """Stands in for a RulesetCache when a test file derives one ruleset for all its cases."""

    def __init__(self, ruleset):
        self.base = ruleset

    def for_department(self, department: str):
        return self.base


def run_case(case: LDict, workspace: Path, rulesets, shown: str) -> CaseResult:
    outcome = CaseResult(str(case["name"]), case.source)
    try:
        result = _score(case, workspace, rulesets, shown)
    except EvalrunError as exc:
        if "error" in case:
            if not _says(str(case["error"]), exc, lambda: _score(case, workspace, rulesets, shown)):
                outcome.differences.append(tr("ruletests.expected_error", expected=case["error"], got=exc))
        else:
            outcome.differences.append(tr("ruletests.unexpected_error", got=exc))
        return outcome
    if "error" in case:
        outcome.differences.append(tr("ruletests.expected_error_scored", expected=case["error"],
                                      total=format_number(result.total)))
        return outcome
    outcome.differences.extend(_check(result, case.get("expect") or LDict()))
    return outcome


def run_cases(workspace: Path, ruleset_name: str) -> list[CaseResult]:
    rulesets = RulesetCache(workspace, ruleset_name)
    results = []
    for path in case_files(workspace, ruleset_name):
        shown = display(path, workspace)
        data = load_file(guard_path(workspace, path, "read"), shown)
        check_schema(data, "ruletest", shown)
        file_rulesets = _Fixed(derive(workspace, ruleset_name, data["ruleset"], shown)) if "ruleset" in data else rulesets
        for case in data["cases"]:
            results.append(run_case(case, workspace, file_rulesets, shown))
    return results

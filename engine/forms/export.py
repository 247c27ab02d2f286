"""export: `evalrun export` — the 自评表 forms departments fill in, one workbook per department.

Each project is one sheet in the layout of engine/outputs/xlsxlayout.py, so that
`evalrun import` reads the filled form back. A filled form carries the
project's own data: its 自评得分 column holds what the department reported
(``reported_score``, ``reported_total``), not evalrun's rule scores, so that
exporting and importing again changes nothing; so do its 执行率, 总分 分值 and
评价等级 where the project records them (``reported_rate``, ``stated_total``,
``reported_grade``), and its 其中 rows. A blank form keeps the
budget, targets and weights and leaves what the department reports empty:
全年执行数 (also of the 其中 rows), actual values, 自评得分, the goals achieved and the explanations.
Every sheet is protected, without a password: only the cells a department
fills in can be changed, not the approved budget, targets, weights and
names (engine/outputs/xlsx.py ``fill_in_cells``); `evalrun import` checks them too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from engine.errors import EvalrunError
from engine.model import ProjectResult
from engine.outputs.view import report_view
from engine.runner.write import Staging, safe_name
from engine.outputs.xlsx import projects_workbook

NOT_APPLICABLE = "不适用"


@dataclass(frozen=True)
class ExportOptions:
    ruleset: str
    workspace: Path = Path(".")
    blank: bool = False
    output: Path | None = None

    @property
    def output_dir(self) -> Path:
        return self.output or self.workspace / "reports" / "out" / safe_name(self.ruleset) / "forms"


@dataclass
class ExportResult:
    written: list = field(default_factory=list)
    projects: int = 0
    failures: list = field(default_factory=list)  # (project file, EvalrunError)


def form_view(result: ProjectResult, blank: bool = False) -> dict:
    """The report view of a project, with what a department fills in as the project states it (or empty)."""
    view = report_view(result)
    project = result.project
    for row in view["table_rows"]:
        row["score"] = None if blank else row["reported_score"]
        if not row["applicable"]:
            # the form must say 不适用 where the importer can see it, also for a named row
            note = row["note"] or NOT_APPLICABLE
            row["label"], row["target"] = (row["name"], note) if row["name"] else (note, "")
        elif blank:
            row["actual"], row["explanation"] = "", ""
    view["execution"]["score"] = None if blank else project.budget.reported_score
    view["total"] = None if blank else project.reported_total
    # what the project's table states, where it states it: its 执行率, 总分 and 评价等级 (engine/forms/merge_printed.py)
    if project.budget.reported_rate is not None:
        view["execution"]["rate_shown"] = project.budget.reported_rate / 100
    if project.stated_total is not None:
        view["max_total"] = project.stated_total
    view["grade"] = "" if blank else project.reported_grade or ""
    if blank:
        view["budget"]["executed"] = None
        view["budget"]["parts"] = {key: {**part, "executed": None} for key, part in view["budget"]["parts"].items()}
        view["execution"]["rate_shown"] = None
        view["project"]["goals"] = [{**goal, "achieved": ""} for goal in view["project"]["goals"]]
    return view


def write_forms(options: ExportOptions, outcomes: Iterable) -> ExportResult:
    """One workbook per department from (project file, result or error) pairs, each file replaced whole."""
    outcome = ExportResult()
    departments: dict[str, list] = {}
    for path, result in outcomes:
        if isinstance(result, EvalrunError):
            outcome.failures.append((path, result))
            continue
        departments.setdefault(result.project.department, []).append(form_view(result, options.blank))
        outcome.projects += 1
    if departments:
        with Staging(options.output_dir, options.output or options.workspace, options.workspace, "the forms") as staging:
            for department, views in departments.items():
                staging.write(Path(f"{safe_name(department)}.xlsx"), projects_workbook(views, locked=True))
            outcome.written = staging.commit()
    return outcome

"""What a run keeps of every project it evaluated (``ProjectSummary``): the summary table's row, no more."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from engine.i18n import tr
from engine.model import ProjectResult
from engine.store.record import PackedRecord, project_record

if TYPE_CHECKING:
    from engine.api import RunOptions


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    """What a run keeps of every project it evaluated: the summary table's row.

    Only how many findings there were: the findings themselves go to
    ``on_project`` as each project is evaluated (the CLI prints them then),
    so that a run's memory does not grow with them.
    """

    department: str
    name: str
    file: str
    total: Decimal
    grade: str
    findings: int = 0  # how many
    rules: str = ""  # the ruleset's version, and whether a department variant scored it
    record: PackedRecord | None = None  # what the results store keeps of it (engine.store.record), when recording
    errors: int = 0  # how many of the findings are errors

    @classmethod
    def of(cls, result: ProjectResult, options: "RunOptions | None" = None, stored=None) -> "ProjectSummary":
        """``stored``: whether the run's results store holds a record's hash (engine.store.record.PackedRecord)."""
        project, ruleset = result.project, result.ruleset
        rules = ruleset.version + (" " + tr("run.variant") if ruleset.variant else "")
        record = PackedRecord.of(project_record(result, options.workspace), stored) \
            if options is not None and options.db else None
        errors = sum(f.severity == "error" for f in result.findings)
        return cls(project.department, project.name, project.file, result.total, result.grade,
                   len(result.findings), rules, record, errors)

    @property
    def has_errors(self) -> bool:
        return self.errors > 0

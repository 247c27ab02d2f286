"""`evalrun review`: what each project reported against its rule scores, every finding per department and project.

The ruleset's own findings (weights that do not make 100) concern every project: they are listed once,
before the departments, and counted once.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.model import Finding, ProjectResult


@dataclass(frozen=True)
class ProjectReview:
    result: ProjectResult
    findings: tuple  # the project's own findings, not the ruleset's


@dataclass(frozen=True)
class Review:
    rules: tuple  # the ruleset's own findings, once
    departments: tuple  # (department, (ProjectReview, ...)), sorted by department
    failures: list  # (project file, EvalrunError): projects that could not be scored
    projects: int

    def _findings(self) -> list[Finding]:
        return list(self.rules) + [f for _, projects in self.departments for p in projects for f in p.findings]

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self._findings())

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self._findings())

    @property
    def ok(self) -> bool:
        return not self.errors and not self.failures


def review(workspace: Path, ruleset: str) -> Review:
    """Score every project of the ruleset's year (writing nothing) and gather its findings for review."""
    from engine.api import RunOptions, run

    outcome = run(RunOptions(ruleset=ruleset, workspace=workspace, write_reports=False))
    rules = tuple(dict.fromkeys(f for r in outcome.results for f in r.findings if f.scope == "ruleset"))
    by_department: dict[str, list] = {}
    for result in outcome.results:
        own = tuple(f for f in result.findings if f.scope != "ruleset")
        by_department.setdefault(result.project.department, []).append(ProjectReview(result, own))
    departments = tuple((name, tuple(by_department[name])) for name in sorted(by_department))
    return Review(rules, departments, outcome.failures, len(outcome.results))

"""A project's stored result of a year, as history, compare and the year before read it."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.rules.targets import format_number


@dataclass(frozen=True)
class YearResult:
    fiscal_year: int
    department: str
    project: str
    file: str
    total: Decimal
    grade: str
    execution_rate: Decimal
    execution_rate_text: str
    ruleset_id: str
    ruleset_version: str
    variant: str
    advice: str | None
    run_id: int
    run_at: object  # datetime


def latest_by_project(rows) -> dict:
    """(department, project) -> its row: the first of each (two files of one name in one run: by file name)."""
    found: dict = {}
    for row in rows:
        found.setdefault((row.department, row.project), row)
    return found


def signed(change: Decimal) -> str:
    """+7.43, -2, 0."""
    return ("+" if change > 0 else "") + format_number(change)

"""The year before, for reports and the 汇总: each project's stored result of the previous fiscal year.

A run reads it once per year (``forget`` at the start of each run). A SQLite
store at the schema's head is read through sqlite3 (engine.store.direct),
any other through SQLAlchemy (engine.store.history); both give the same rows.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from engine.rules.targets import format_number
from engine.store.settings import sqlite_path
from engine.store.years import YearResult, latest_by_project, signed


_previous: dict = {}


def forget() -> None:
    """Drop what this process read of the store (each run reads it afresh)."""
    _previous.clear()


def previous_table(url: str, workspace: Path | None, year: int) -> dict:
    """(department, project) -> YearResult of ``year``; empty when the store has none (or does not exist)."""
    key = (url, year)
    if key not in _previous:
        _previous[key] = _read_year(url, workspace, year)
    return _previous[key]


def _read_year(url: str, workspace: Path | None, year: int) -> dict:
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return {}
    from engine.store.direct import open_direct

    direct = open_direct(url, workspace)  # the workspace: a message names the store as the user gave it
    if direct is None:  # PostgreSQL, or a SQLite file not at the head revision
        from engine.store.history import read_year

        return read_year(url, year, workspace)
    try:
        return latest_by_project(YearResult(*row) for row in direct.latest_of_year(year))
    finally:
        direct.close()


def attach_previous(options, result):
    project = result.project
    row = previous_table(options.db, options.workspace, project.fiscal_year - 1).get((project.department, project.name))
    if row is None:
        return result
    change = result.total - row.total
    words = f"提高 {format_number(change)} 分" if change > 0 else \
        f"降低 {format_number(-change)} 分" if change < 0 else "持平"
    return replace(result, previous={
        "fiscal_year": row.fiscal_year, "total": row.total, "grade": row.grade,
        "execution_rate_text": row.execution_rate_text, "ruleset_id": row.ruleset_id,
        "ruleset_version": row.ruleset_version, "advice": row.advice, "run_id": row.run_id,
        "change": change, "change_short": signed(change), "change_text": f"总分{words}",
    })

"""The store's table and column names, and its schema revision, without SQLAlchemy.

The common run (a SQLite store already at the head revision) records and
reads through Python's own sqlite3 (engine.store.direct), so that a run does
not import SQLAlchemy (a third of a second). schema.py defines the tables;
a test checks that these names are its names, in its order.
"""
from __future__ import annotations

from engine.store.record import FINDING_FIELDS, INDICATOR_FIELDS, RESULT_FIELDS

PREFIX = "evalrun_"
VERSION_TABLE = "evalrun_alembic_version"
HEAD = "0002"  # the newest migration; a test checks it against migrations/versions

RUN = PREFIX + "run"
RESULT = PREFIX + "result"
INDICATOR = PREFIX + "indicator"
FINDING = PREFIX + "finding"
RUN_RESULT = PREFIX + "run_result"
RUN_FAILURE = PREFIX + "run_failure"

# Each table a run writes: its columns in schema.py's order (an ``id`` first is numbered by the database).
COLUMNS = {
    RUN: ("id", "started_at", "finished_at", "command", "workspace", "host", "user_name", "ruleset", "ruleset_id",
          "ruleset_version", "ruleset_sha256", "fiscal_year", "git_commit", "evalrun_version", "selection",
          "projects", "failures", "new_results"),
    RESULT: ("id", "hash", *RESULT_FIELDS),
    INDICATOR: ("result_id", *INDICATOR_FIELDS),
    FINDING: ("result_id", *FINDING_FIELDS),
    RUN_RESULT: ("run_id", "result_id"),
    RUN_FAILURE: ("run_id", "position", "file", "message"),
}

# Exact numbers (schema.Exact): given to SQLite as text, so that NUMERIC affinity keeps their digits.
EXACT = {
    RESULT: frozenset(("budget_initial", "budget_full_year", "budget_executed", "execution_rate", "total",
                       "max_total", "budget_change")),
    INDICATOR: frozenset(("weight", "score", "reported_score")),
}


def sqlite_datetime(value) -> str:
    """A moment as SQLAlchemy's SQLite dialect stores a DateTime (its time zone dropped)."""
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}")


def insert_sql(table: str, columns) -> str:
    """INSERT of ``columns`` into ``table``, with ? for each value (both drivers' SQLite form)."""
    names = ", ".join(f'"{c}"' for c in columns)  # quoted: "check" is an SQL keyword
    return f'INSERT INTO {table} ({names}) VALUES ({", ".join("?" * len(columns))})'


def given_columns(table: str, rows: list) -> tuple[tuple, list]:
    """(columns, rows) of ``table`` as inserted: rows given in COLUMNS order, an ``id`` given as None left out (the
    database numbers the rows)."""
    columns = COLUMNS[table]
    if columns[0] == "id":
        return columns[1:], [row[1:] for row in rows]
    return columns, rows


def sqlite_rows(table: str, rows: list) -> tuple[tuple, list]:
    """(columns, rows) to insert into ``table`` on SQLite: rows given in COLUMNS order, an ``id`` given as None
    left to the database, exact numbers as text."""
    columns, rows = given_columns(table, rows)
    exact = [i for i, c in enumerate(columns) if c in EXACT.get(table, ())]
    if exact:
        rows = [_as_text(row, exact) for row in rows]
    return columns, rows


def _as_text(row: tuple, exact: list) -> tuple:
    row = list(row)
    for i in exact:
        if row[i] is not None:
            row[i] = format(row[i], "f")
    return tuple(row)

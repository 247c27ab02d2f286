"""The results store: every run's results kept in a database (SQLite in the workspace, or PostgreSQL).

Modules: ``settings`` (which store: --db, EVALRUN_DB, evalrun.yaml, the
default evalrun.db), ``schema`` (the tables), ``database`` (opening it, its
locks, migrations), ``record`` (what is kept of a project, and its hash),
``recorder`` (writing a run in one transaction), ``history`` (history and
compare), ``previous`` (the year before, for reports), ``direct`` (a SQLite
store at the head, through sqlite3), ``alchemy_writer`` (any other), ``tables``
and ``failures`` (names and messages without SQLAlchemy), ``views`` (what history and compare print),
``export`` (CSV and Parquet), ``check`` (db check), ``migrations`` (Alembic).

This module stays light: SQLAlchemy is imported only when a store is made,
migrated, on PostgreSQL, or read by the ``db`` commands. ``evalrun --help``,
runs with ``--no-db``, and runs recording into a SQLite store already at the
schema's head (``direct``, through sqlite3) do not pay for it.
"""
from __future__ import annotations

from engine.store.settings import store_url  # noqa: F401 - the CLI's way to the URL


class _NoRecorder:
    """A run with no store: records nothing."""

    stored = None

    def add(self, path, outcome) -> None:
        pass

    def commit(self):
        return None

    def close(self) -> None:
        pass


def open_recorder(options, ruleset):
    """The recorder of a run: opens the store now (so a wrong --db stops the run before any work)."""
    if not options.db:
        return _NoRecorder()
    from engine.store.previous import forget
    from engine.store.recorder import Recorder

    forget()  # this run reads the previous year afresh
    return Recorder(options, ruleset)


def with_previous(options, result):
    """The result with ``previous`` (its project's result of the year before, from the store), if any."""
    if not options.db:
        return result
    from engine.store.previous import attach_previous

    return attach_previous(options, result)

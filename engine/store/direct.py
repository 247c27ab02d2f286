"""A SQLite store already at the schema's head, through Python's own sqlite3: the common run, without SQLAlchemy.

Importing SQLAlchemy costs a run a third of a second, more than scoring the
bundled example does. A run that records into a SQLite store whose schema
is at the head revision (every run after the first) writes its rows and
reads the year before with the same SQL SQLAlchemy would send, here. Making
a store, migrating one, PostgreSQL, and the ``db`` commands stay with
SQLAlchemy (engine.store.database), and tests compare what both write and read.

It keeps database.py's rules: foreign keys on, a write transaction begun
with ``BEGIN IMMEDIATE`` (two runs take turns, the second waiting up to
BUSY_SECONDS), nothing written unless all of it is, and one line a user can
act on when the file cannot be used.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from engine.i18n import tr
from engine.store.failures import BUSY_SECONDS, StoreError, describe_failure, first_line
from engine.store.record import exact_number
from engine.store.settings import shown, sqlite_path
from engine.store.tables import (
    COLUMNS, HEAD, RESULT, RUN, RUN_RESULT, VERSION_TABLE, insert_sql, sqlite_datetime, sqlite_rows,
)


def open_direct(url: str, workspace: Path | None) -> "SqliteStore | None":
    """The store at ``url`` opened through sqlite3 if it is a SQLite file at the head revision, else None
    (then SQLAlchemy's way makes, migrates or refuses it, with its messages)."""
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return None
    db = None
    try:
        db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA foreign_keys = ON")
        if _revision(db) == HEAD:
            return SqliteStore(db, url, workspace)
    except sqlite3.Error:
        pass
    if db is not None:
        db.close()
    return None


def _revision(db: sqlite3.Connection) -> str | None:
    try:
        row = db.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
    except sqlite3.OperationalError:  # no such table: not a store (yet)
        return None
    return None if row is None else row[0]


class SqliteStore:
    def __init__(self, db: sqlite3.Connection, url: str, workspace: Path | None):
        self.db, self.url, self.workspace = db, url, workspace

    @contextmanager
    def writing(self):
        """One write transaction (one writer at a time): committed when the block ends, else rolled back."""
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                current = _revision(db)  # again, now that this run holds the write lock
                if current != HEAD:  # a newer evalrun migrated it since the run began
                    raise StoreError(tr("store.newer", store=shown(self.url, self.workspace), revision=current,
                                        head=HEAD))
                yield _Write(db)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise self.failure(exc) from None

    def has_result(self, digest: str) -> bool:
        """Whether the store holds the result of this hash (as the run goes: it is then only linked to the run,
        and its record is not carried); False when the store cannot say, which only costs that saving."""
        try:
            return self.db.execute(f"SELECT 1 FROM {RESULT} WHERE hash = ?", (digest,)).fetchone() is not None
        except sqlite3.Error:
            return False

    def failure(self, exc: sqlite3.Error) -> StoreError:
        return describe_failure(first_line(exc), isinstance(exc, sqlite3.DatabaseError), self.url, self.workspace)

    def latest_of_year(self, year: int) -> list[tuple]:
        """Each project's result of ``year`` as its latest run recorded it: history._latest's rows, the same SQL."""
        try:
            rows = self.db.execute(_LATEST, (year,)).fetchall()
        except sqlite3.Error as exc:
            raise self.failure(exc) from None
        return [(*row[:4], exact_number(row[4]), row[5], exact_number(row[6]), *row[7:13],
                 datetime.fromisoformat(row[13])) for row in rows]

    def close(self) -> None:
        self.db.close()


class _Write:
    """What a run writes, inside the transaction (engine.store.recorder says what and when)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def add_run(self, values: dict) -> int:
        columns = COLUMNS[RUN][1:]
        row = tuple(sqlite_datetime(values[c]) if isinstance(values[c], datetime) else values[c] for c in columns)
        return self.db.execute(insert_sql(RUN, columns), row).lastrowid

    def result_ids(self, hashes: list) -> dict:
        if not hashes:
            return {}
        marks = ", ".join("?" * len(hashes))
        return {digest: result_id for result_id, digest in
                self.db.execute(f"SELECT id, hash FROM {RESULT} WHERE hash IN ({marks})", hashes)}

    def insert(self, table: str, rows: list) -> None:
        columns, rows = sqlite_rows(table, rows)
        if rows:
            self.db.executemany(insert_sql(table, columns), rows)

    def finish_run(self, run_id: int, new: int, finished_at: datetime) -> None:
        self.db.execute(f"UPDATE {RUN} SET new_results = ?, finished_at = ? WHERE id = ?",
                        (new, sqlite_datetime(finished_at), run_id))


# history._latest for one year, as SQLAlchemy compiles it for SQLite (tests/test_store_direct.py compares them)
_LATEST = f"""
SELECT r.fiscal_year, r.department, r.project, r.file, r.total, r.grade, r.execution_rate, r.execution_rate_text,
       r.ruleset_id, r.ruleset_version, r.variant, r.advice, run.id, run.started_at
FROM {RESULT} AS r
JOIN {RUN_RESULT} AS rr ON rr.result_id = r.id
JOIN (SELECT r2.fiscal_year AS fiscal_year, r2.department AS department, r2.project AS project,
             max(rr2.run_id) AS run_id
      FROM {RESULT} AS r2 JOIN {RUN_RESULT} AS rr2 ON rr2.result_id = r2.id
      WHERE r2.fiscal_year = ?
      GROUP BY r2.fiscal_year, r2.department, r2.project) AS latest
  ON latest.run_id = rr.run_id AND latest.fiscal_year = r.fiscal_year AND latest.department = r.department
     AND latest.project = r.project
JOIN {RUN} AS run ON run.id = rr.run_id
ORDER BY r.department, r.project, r.fiscal_year, r.file
"""

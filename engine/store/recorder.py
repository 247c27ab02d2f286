"""Recording a run: every project's record collected as the run goes, written in one transaction at the end.

Records are kept in a temporary file while the run goes (memory stays flat
however many projects there are) and written when the run has finished, in
one transaction: a run that fails, or is killed, records nothing; a run that
finishes records everything. Writers take turns (engine.store.database), so
two runs at once each end complete and separate. A result already stored
(same hash) is linked to the new run, not stored again.
"""
from __future__ import annotations

import os
import pickle
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import EvalrunError, EvalrunErrors
from engine.runner.write import hold_for_tests
from engine.rules.rulesets import display
from engine.store import schema
from engine.store.database import connect, failure, writing
from engine.store.record import PackedRecord, command_line, evalrun_version, git_commit, project_record, who
from engine.store.settings import shown

BATCH = 500  # projects per round of inserts
HOLD_VARIABLE = "EVALRUN_TEST_HOLD_DB"


@dataclass(frozen=True)
class Recorded:
    """What a run added to the store."""

    run_id: int
    store: str  # as shown to the user
    projects: int
    new_results: int
    failures: int


class Recorder:
    def __init__(self, options, ruleset):
        self.options, self.ruleset = options, ruleset
        self.url = options.db
        self.engine = connect(self.url, options.workspace)  # fails now, before any work, if the store cannot be used
        self.started = datetime.now(timezone.utc)
        self._spool = tempfile.TemporaryFile(prefix="evalrun-record-")
        self.projects = self.failures = 0

    def add(self, path: Path, outcome) -> None:
        """One project as the run ends with it: a ProjectResult, a ProjectSummary with its record, or an error."""
        if isinstance(outcome, EvalrunError):
            errors = outcome.errors if isinstance(outcome, EvalrunErrors) else [outcome]
            item = ("failure", (display(path, self.options.workspace), "\n".join(str(e) for e in errors)))
            self.failures += 1
        else:
            record = getattr(outcome, "record", None) or PackedRecord.of(project_record(outcome, self.options.workspace))
            item = ("result", (record.hash, record.data))  # unpickled only if not stored yet
            self.projects += 1
        pickle.dump(item, self._spool, protocol=pickle.HIGHEST_PROTOCOL)

    def _items(self):
        self._spool.flush()
        self._spool.seek(0)
        while True:
            try:
                yield pickle.load(self._spool)
            except EOFError:
                return

    def commit(self) -> Recorded:
        """Write the run and everything it evaluated, in one transaction."""
        _announce_for_tests()
        try:
            with writing(self.engine) as connection, connection.begin():
                run_id, new = self._write(connection)
        except SQLAlchemyError as exc:
            raise failure(exc, self.url, self.options.workspace) from None
        finally:
            self.close()
        return Recorded(run_id, shown(self.url, self.options.workspace), self.projects, new, self.failures)

    def close(self) -> None:
        self._spool.close()
        self.engine.dispose()

    def _write(self, connection) -> tuple[int, int]:
        options, ruleset = self.options, self.ruleset
        host, user = who()
        run_id = connection.execute(insert(schema.run).returning(schema.run.c.id), {
            "started_at": self.started, "finished_at": datetime.now(timezone.utc), "command": command_line(),
            "workspace": str(Path(options.workspace).resolve()), "host": host[:255], "user_name": user[:255],
            "ruleset": options.ruleset, "ruleset_id": ruleset.id, "ruleset_version": ruleset.version,
            "ruleset_sha256": ruleset.sha256, "fiscal_year": ruleset.fiscal_year,
            "git_commit": git_commit(options.workspace), "evalrun_version": evalrun_version(),
            "selection": "\n".join(options.projects) or None, "projects": self.projects, "failures": self.failures,
            "new_results": 0,
        }).scalar_one()
        new = 0
        results, failures = [], []
        for kind, item in self._items():
            (results if kind == "result" else failures).append(item)
            if len(results) >= BATCH:
                new += self._write_results(connection, run_id, results)
                results = []
                hold_for_tests(HOLD_VARIABLE)
        new += self._write_results(connection, run_id, results)
        hold_for_tests(HOLD_VARIABLE)
        if failures:
            connection.execute(insert(schema.run_failure), [
                {"run_id": run_id, "position": position, "file": file, "message": message}
                for position, (file, message) in enumerate(failures)])
        connection.execute(update(schema.run).where(schema.run.c.id == run_id).values(
            new_results=new, finished_at=datetime.now(timezone.utc)))
        return run_id, new

    def _write_results(self, connection, run_id: int, records: list) -> int:
        """Store the results not stored yet, link all of them to the run; the number stored.

        ``records`` are (hash, the record pickled): only those not stored yet
        are unpickled. Writers take turns (one write transaction at a time), so
        the results found missing here are still missing when they are inserted.
        """
        if not records:
            return 0
        packed = dict(records)
        ids = self._ids(connection, list(packed))
        new = [digest for digest in packed if digest not in ids]
        by_hash = {digest: PackedRecord(digest, packed[digest]).unpack() for digest in new}
        _bulk(connection, schema.result, [(None, digest, *by_hash[digest][1]) for digest in new])
        ids.update(self._ids(connection, new))
        _bulk(connection, schema.indicator, [(ids[digest], *row) for digest in new for row in by_hash[digest][2]])
        _bulk(connection, schema.finding, [(ids[digest], *row) for digest in new for row in by_hash[digest][3]])
        _bulk(connection, schema.run_result, [(run_id, ids[digest]) for digest in packed])
        return len(new)

    @staticmethod
    def _ids(connection, hashes: list) -> dict:
        if not hashes:
            return {}
        table = schema.result
        return {digest: result_id for result_id, digest in
                connection.execute(select(table.c.id, table.c.hash).where(table.c.hash.in_(hashes)))}


def _bulk(connection, table, rows: list) -> None:
    """Insert rows (tuples in the table's column order) through the driver: COPY on PostgreSQL,
    executemany on SQLite.

    The indicator rows are most of what a run writes; SQLAlchemy's per-row
    parameter handling would cost more than the database does. Decimals go
    to SQLite as text (as schema.Exact does); PostgreSQL takes them as they are.
    """
    if not rows:
        return
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    columns = list(table.c)
    if columns[0].name == "id":  # given as None: the database numbers the rows
        columns, rows = columns[1:], [row[1:] for row in rows]
    names = ", ".join(quote(c.name) for c in columns)
    if dialect.name == "postgresql":  # COPY, in the transaction SQLAlchemy holds open
        with connection.connection.driver_connection.cursor() as cursor, \
                cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join(['?'] * len(columns))})"
    exact = [i for i, c in enumerate(columns) if isinstance(c.type, schema.Exact)]
    if dialect.name == "sqlite" and exact:
        rows = [_as_text(row, exact) for row in rows]
    connection.exec_driver_sql(sql, rows)


def _as_text(row: tuple, exact: list) -> tuple:
    row = list(row)
    for i in exact:
        if row[i] is not None:
            row[i] = format(row[i], "f")
    return tuple(row)



def _announce_for_tests() -> None:
    """Test-only: with EVALRUN_TEST_HOLD_DB=FILE, create FILE.begin just before the write transaction begins."""
    marker = os.environ.get(HOLD_VARIABLE)
    if marker:
        Path(marker + ".begin").write_text(str(os.getpid()), encoding="utf-8")


def count_rows(connection) -> dict:
    """Rows per table (for tests and `evalrun db check`)."""
    return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in schema.TABLES}

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
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from ..errors import EvalrunError, EvalrunErrors
from ..rulesets import display
from . import schema
from .database import connect, failure, writing
from .record import (
    FINDING_FIELDS, INDICATOR_FIELDS, RESULT_FIELDS, command_line, evalrun_version, git_commit, project_record,
    who,
)
from .settings import shown

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
            record = getattr(outcome, "record", None) or project_record(outcome, self.options.workspace)
            item = ("result", record)
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
                _hold_for_tests()
        new += self._write_results(connection, run_id, results)
        _hold_for_tests()
        if failures:
            connection.execute(insert(schema.run_failure), [
                {"run_id": run_id, "position": position, "file": file, "message": message}
                for position, (file, message) in enumerate(failures)])
        connection.execute(update(schema.run).where(schema.run.c.id == run_id).values(
            new_results=new, finished_at=datetime.now(timezone.utc)))
        return run_id, new

    def _write_results(self, connection, run_id: int, records: list) -> int:
        """Store the results not stored yet, link all of them to the run; the number stored."""
        if not records:
            return 0
        by_hash = {record[0]: record for record in records}
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(schema.result).on_conflict_do_nothing(index_elements=["hash"]).returning(
            schema.result.c.id, schema.result.c.hash)
        inserted = connection.execute(statement, [
            {"hash": digest, **dict(zip(RESULT_FIELDS, fields))} for digest, fields, _, _ in by_hash.values()
        ]).all()
        ids = {digest: result_id for result_id, digest in inserted}
        stored = [digest for digest in by_hash if digest not in ids]
        if stored:
            ids.update({digest: result_id for result_id, digest in connection.execute(
                select(schema.result.c.id, schema.result.c.hash).where(schema.result.c.hash.in_(stored)))})
        indicators = [{"result_id": ids[digest], **dict(zip(INDICATOR_FIELDS, row))}
                      for result_id, digest in inserted for row in by_hash[digest][2]]
        if indicators:
            connection.execute(insert(schema.indicator), indicators)
        findings = [{"result_id": ids[digest], **dict(zip(FINDING_FIELDS, row))}
                    for result_id, digest in inserted for row in by_hash[digest][3]]
        if findings:
            connection.execute(insert(schema.finding), findings)
        connection.execute(insert(schema.run_result), [{"run_id": run_id, "result_id": ids[d]} for d in by_hash])
        return len(inserted)


_held = False


def _announce_for_tests() -> None:
    """Test-only: with EVALRUN_TEST_HOLD_DB=FILE, create FILE.begin just before the write transaction begins."""
    marker = os.environ.get(HOLD_VARIABLE)
    if marker:
        Path(marker + ".begin").write_text(str(os.getpid()), encoding="utf-8")


def _hold_for_tests() -> None:
    """Test-only: with EVALRUN_TEST_HOLD_DB=FILE, pause once inside the transaction until FILE is deleted.

    Creates FILE (holding the pid), then waits, so that a test can kill the
    run, or start another, while this one's transaction is open.
    """
    global _held
    marker = os.environ.get(HOLD_VARIABLE)
    if not marker or _held:
        return
    _held = True
    Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    while os.path.exists(marker):
        time.sleep(0.02)


def count_rows(connection) -> dict:
    """Rows per table (for tests and `evalrun db check`)."""
    return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in schema.TABLES}

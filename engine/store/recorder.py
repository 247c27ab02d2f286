"""Recording a run: every project's record collected as the run goes, written in one transaction at the end.

Records are kept in a temporary file while the run goes (memory stays flat
however many projects there are) and written when the run has finished, in
one transaction: a run that fails, or is killed, records nothing; a run that
finishes records everything. Writers take turns (engine.store.direct, .database), so
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

from engine.errors import EvalrunError, EvalrunErrors
from engine.i18n import tr
from engine.runner.write import hold_for_tests
from engine.rules.rulesets import display
from engine.store.record import PackedRecord, command_line, evalrun_version, git_commit, project_record, who
from engine.store.failures import StoreError
from engine.store.settings import shown
from engine.store.tables import FINDING, INDICATOR, RESULT, RUN_FAILURE, RUN_RESULT

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
        self.store = open_store(self.url, options.workspace)  # fails now, before any work, if it cannot be used
        self.stored = getattr(self.store, "has_result", None)  # the direct SQLite store says; SQLAlchemy's: never
        self.started = datetime.now(timezone.utc)
        self._spool = tempfile.TemporaryFile(prefix="evalrun-record-", buffering=1 << 16)  # fewer writes
        self.projects = self.failures = 0

    def add(self, path: Path, outcome) -> None:
        """One project as the run ends with it: a ProjectResult, a ProjectSummary with its record, or an error."""
        if isinstance(outcome, EvalrunError):
            errors = outcome.errors if isinstance(outcome, EvalrunErrors) else [outcome]
            item = ("failure", (display(path, self.options.workspace), "\n".join(str(e) for e in errors)))
            self.failures += 1
        else:
            record = getattr(outcome, "record", None) or \
                PackedRecord.of(project_record(outcome, self.options.workspace), self.stored)
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
            with self.store.writing() as write:
                run_id, new = self._write(write)
        finally:
            self.close()
        return Recorded(run_id, shown(self.url, self.options.workspace), self.projects, new, self.failures)

    def close(self) -> None:
        self._spool.close()
        self.store.close()

    def _write(self, write) -> tuple[int, int]:
        options, ruleset = self.options, self.ruleset
        host, user = who()
        run_id = write.add_run({
            "started_at": self.started, "finished_at": datetime.now(timezone.utc), "command": command_line(),
            "workspace": str(Path(options.workspace).resolve()), "host": host[:255], "user_name": user[:255],
            "ruleset": options.ruleset, "ruleset_id": ruleset.id, "ruleset_version": ruleset.version,
            "ruleset_sha256": ruleset.sha256, "fiscal_year": ruleset.fiscal_year,
            "git_commit": git_commit(options.workspace), "evalrun_version": evalrun_version(),
            "selection": "\n".join(options.projects) or None, "projects": self.projects, "failures": self.failures,
            "new_results": 0,
        })
        new = 0
        results, failures = [], []
        for kind, item in self._items():
            (results if kind == "result" else failures).append(item)
            if len(results) >= BATCH:
                new += self._write_results(write, run_id, results)
                results = []
                hold_for_tests(HOLD_VARIABLE)
        new += self._write_results(write, run_id, results)
        hold_for_tests(HOLD_VARIABLE)
        write.insert(RUN_FAILURE, [(run_id, position, file, message)
                                   for position, (file, message) in enumerate(failures)])
        write.finish_run(run_id, new, datetime.now(timezone.utc))
        return run_id, new

    def _write_results(self, write, run_id: int, records: list) -> int:
        """Store the results not stored yet, link all of them to the run; the number stored.

        ``records`` are (hash, the record pickled): only those not stored yet
        are unpickled. Writers take turns (one write transaction at a time), so
        the results found missing here are still missing when they are inserted.
        """
        if not records:
            return 0
        packed: dict = {}
        for digest, data in records:
            if data or digest not in packed:
                packed[digest] = data
        ids = write.result_ids(list(packed))
        new = [digest for digest in packed if digest not in ids]
        if any(not packed[digest] for digest in new):  # stored when the run made it, gone now: a store replaced
            raise StoreError(tr("store.changed_during_run", store=shown(self.url, self.options.workspace)))
        by_hash = {digest: PackedRecord(digest, packed[digest]).unpack() for digest in new}
        write.insert(RESULT, [(None, digest, *by_hash[digest][1]) for digest in new])
        ids.update(write.result_ids(new))
        write.insert(INDICATOR, [(ids[digest], *row) for digest in new for row in by_hash[digest][2]])
        write.insert(FINDING, [(ids[digest], *row) for digest in new for row in by_hash[digest][3]])
        write.insert(RUN_RESULT, [(run_id, ids[digest]) for digest in packed])
        return len(new)


def open_store(url: str, workspace: Path):
    """The store to write a run into: through sqlite3 when it is a SQLite file at the schema's head (the common
    case: no SQLAlchemy to import), else through SQLAlchemy, which makes or migrates it (or says why not)."""
    from engine.store.direct import open_direct

    direct = open_direct(url, workspace)
    if direct is not None:
        return direct
    from engine.store.alchemy_writer import AlchemyStore

    return AlchemyStore(url, workspace)


def _announce_for_tests() -> None:
    """Test-only: with EVALRUN_TEST_HOLD_DB=FILE, create FILE.begin just before the write transaction begins."""
    marker = os.environ.get(HOLD_VARIABLE)
    if marker:
        Path(marker + ".begin").write_text(str(os.getpid()), encoding="utf-8")

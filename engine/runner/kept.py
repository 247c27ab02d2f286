"""Each project's results kept between runs: an unchanged project is not scored again.

A run that needs of each project only what it writes and counts
(``evalrun --json``: the project's JSON text as written, its ProjectSummary,
and what the results store records of it) keeps exactly those in the parse
cache (engine.files.cache, its ``result`` table). An entry is used only if
everything they are made from is unchanged: the file's bytes and place, the
ruleset (department variants included), the schema and evalrun (the cache's
stamp), and what of the run changes them: the language of the messages, what
the run makes of a result (the ``view``), and whether the results store is
written (its record of the project). The store's other use, the year before's
result beside this year's, does not reach the JSON; a project whose own results
depend on something outside its file (review rules comparing its targets with
last year's values) is never kept. A file that fails is read again next time,
and the check for two files of one project reads every file every run.

Such a run keeps only these, not the parsed Project: storing a Project costs
more than a second --json run would save by it (a run writing reports keeps
Projects, and a --json run still uses them).
"""
from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Callable

from engine import i18n
from engine.files.reading import read_guarded
from engine.runner.summary import ProjectSummary
from engine.store.previous_rows import needs_previous_rows
from engine.store.record import PackedRecord

FORMAT = "results 1"  # bump when what an entry holds changes


class KeptResults:
    """``project(...)`` for each project file of a run; ``digests`` filled by the check for duplicates."""

    def __init__(self, cache, options, view: Callable, guard: Callable, stored: Callable | None = None):
        self.cache, self.options, self.view, self.guard = cache, options, view, guard  # guard: a FolderGuard
        self.stored = stored  # whether the run's results store holds a hash (engine.store.recorder), if it says
        self.run = "\0".join((FORMAT, i18n.language(), f"{view.__module__}.{view.__qualname__}",
                              "record" if options.db else ""))
        self.digests: dict = {}  # project file -> the sha256 of its bytes, when the run has already read them
        # a summary's fields but the record, in their order (evalrun's code, in the stamp, fixes them)
        self.fields = tuple(f.name for f in dataclasses.fields(ProjectSummary) if f.name != "record")
        cache.keep_projects = False  # nor read: what is kept of a project is its results

    @classmethod
    def for_run(cls, cache, options, view: Callable | None, guard: Callable,
                stored: Callable | None = None) -> "KeptResults | None":
        """The run's kept results: only for a run that keeps no results and has a view of each (--json).
        ``guard`` is the run's FolderGuard; ``stored``, the recorder's (engine.store.recorder.Recorder.stored)."""
        if cache is None or view is None or options.keep_results:
            return None
        return cls(cache, options, view, guard, stored)

    def project(self, path: Path, shown: str, ruleset, load: Callable, score: Callable, selected: Callable):
        """(ProjectSummary, view) of a project file, kept from an earlier run or made now; None when not selected.

        ``load(raw)`` builds its Project from the file's bytes, ``score(project)`` gives its result,
        ``selected(name)`` says whether the run wants the project of that name.
        """
        digest, raw = self.digests.pop(path, None), None
        if digest is None:
            raw = self._read(path, shown)
            digest = hashlib.sha256(raw).hexdigest()
        found = self._found(self.cache.get_results(digest, shown, ruleset, self.run))
        if found is not None:
            name, summary, viewed = found
            return (summary, viewed) if selected(name) else None
        if raw is None:  # read before, by the check for duplicates: read again, what is kept is made from these
            raw = self._read(path, shown)
        project = load(raw)
        if not selected(project.name):
            return None
        result = score(project)
        summary, viewed = ProjectSummary.of(result, self.options, self.stored), self.view(result)
        if not needs_previous_rows(project, ruleset):  # else its results depend on last year's too
            record = None if summary.record is None else (summary.record.hash, summary.record.data)
            kept = (project.name, tuple(getattr(summary, f) for f in self.fields), record, viewed)
            made_from = project.file_sha256 or hashlib.sha256(raw).hexdigest()  # of ``raw``: load hashed it
            self.cache.put_results(made_from, shown, ruleset, self.run, kept)
        return summary, viewed

    def _read(self, path: Path, shown: str) -> bytes:
        return read_guarded(self.guard, path, shown)  # as load_project reads it, each folder resolved once

    def _found(self, entry):
        if entry is None:
            return None
        try:
            name, values, record, viewed = entry
            record = None if record is None else PackedRecord(*record)  # unpickled only if the store lacks it
            summary = ProjectSummary(**dict(zip(self.fields, values, strict=True)), record=record)
        except Exception:  # noqa: BLE001 - not what this evalrun keeps: made again
            return None
        if record is not None and not record.data and not (self.stored and self.stored(record.hash)):
            return None  # kept without its record, which this run's store lacks (another --db, or a new store)
        return name, summary, viewed

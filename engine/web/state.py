"""What the page knows of a year: every project file scored once, and again only when it changes.

A ``Year`` scores each project file of its ruleset's year when it is first
asked for, keeps a small row per file (the 汇总's columns and the
findings, not the whole result with its traces), and on every later request
looks at the files again: a file changed on disk (by an editor, an import,
another evalrun) is scored again, a new one is added, a removed one dropped,
and a change to any ruleset file scores the whole year again. So the page
shows what `evalrun --ruleset NAME` would, without a restart. A project's
own page scores that one file afresh, with its traces.

URLs name a project by ``key``, a hash of its file's path: never a path, so
nothing in a URL can reach a file.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from engine.scoring.advice import advice_for
from engine.api import evaluate, load_project, project_files
from engine.errors import EvalrunError, EvalrunErrors
from engine.model import ProjectResult
from engine.rules.rulesets import RulesetCache, display, known_rulesets
from engine.store.reviews import FindingRef, refs


def project_key(shown: str) -> str:
    return hashlib.sha256(shown.encode("utf-8")).hexdigest()[:16]


def _errors(exc: EvalrunError) -> list[str]:
    return [str(e) for e in (exc.errors if isinstance(exc, EvalrunErrors) else [exc])]


@dataclass
class Entry:
    """One project file as last scored: the 汇总's row, or why it could not be scored."""

    key: str
    path: Path
    file: str  # as shown: relative to the workspace
    stamp: tuple
    department: str
    project: str
    failed: bool = False
    errors: list = field(default_factory=list)  # file:line: message, when it could not be scored
    total: Decimal | None = None
    grade: str = ""
    rate: Decimal | None = None  # as published: 55.32% -> 0.5532
    rate_text: str = ""
    advice: str = ""
    rules: str = ""
    findings: list = field(default_factory=list)  # FindingRef, in the project's order

    @property
    def has_errors(self) -> bool:
        return self.failed or any(f.severity == "error" for f in self.findings)


def _stamp(path: Path) -> tuple:
    info = path.stat()
    return info.st_mtime_ns, info.st_size, info.st_ino


def entry_of(path: Path, shown: str, stamp: tuple, outcome) -> Entry:
    """The row of a project file, from its result or the error that stopped it."""
    if isinstance(outcome, EvalrunError):
        return Entry(project_key(shown), path, shown, stamp, path.parent.name, path.stem, failed=True,
                     errors=_errors(outcome))
    result: ProjectResult = outcome
    project, ruleset = result.project, result.ruleset
    advice = advice_for(result)
    return Entry(
        project_key(shown), path, shown, stamp, project.department, project.name,
        total=result.total, grade=result.grade,
        rate=ruleset.rounding.apply(result.execution_rate * 100) / 100, rate_text=result.budget_row.actual,
        advice=advice.advice if advice else "",
        rules=ruleset.version + (" 部门变体" if ruleset.variant else ""),
        findings=refs(project.fiscal_year, project.department, project.name, result.findings),
    )


class Year:
    """The projects of one ruleset's year, kept up to date with the files."""

    def __init__(self, workspace: Path, name: str):
        self.workspace, self.name = workspace, name
        self._lock = threading.RLock()
        self._rules_stamp: tuple | None = None
        self.rulesets: RulesetCache | None = None
        self.error: list = []  # the ruleset's own errors, when it cannot be loaded
        self.entries: dict[Path, Entry] = {}
        self.by_key: dict[str, Entry] = {}

    @property
    def ruleset(self):
        return self.rulesets.base if self.rulesets else None

    def _ruleset_stamp(self) -> tuple:
        root = self.workspace / "rulesets"
        files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml")) if root.is_dir() else []
        return tuple((str(p), *_stamp(p)) for p in files if p.is_file())

    def refresh(self) -> "Year":
        """Score what changed since the last look (everything the first time, or after a ruleset changed)."""
        with self._lock:
            stamp = self._ruleset_stamp()
            if stamp != self._rules_stamp:
                self._rules_stamp, self.entries, self.by_key = stamp, {}, {}
                try:
                    self.rulesets, self.error = RulesetCache(self.workspace, self.name), []
                except EvalrunError as exc:
                    self.rulesets, self.error = None, _errors(exc)
            if self.rulesets is None:
                return self
            seen = set()
            for path in project_files(self.workspace, self.rulesets.base):
                seen.add(path)
                try:
                    stamp = _stamp(path)
                except OSError:
                    continue
                known = self.entries.get(path)
                if known is None or known.stamp != stamp:
                    self._store(self._score(path, stamp)[0])
            for path in [p for p in self.entries if p not in seen]:
                del self.by_key[self.entries.pop(path).key]
        return self

    def _score(self, path: Path, stamp: tuple):
        shown = display(path, self.workspace)
        try:
            ruleset = self.rulesets.for_department(path.parent.name)
            outcome = evaluate(ruleset, load_project(path, ruleset, self.workspace))
        except EvalrunError as exc:
            outcome = exc
        return entry_of(path, shown, stamp, outcome), outcome

    def _store(self, entry: Entry) -> None:
        old = self.entries.get(entry.path)
        if old is not None:
            self.by_key.pop(old.key, None)
        self.entries[entry.path] = entry
        self.by_key[entry.key] = entry

    def stamp(self) -> tuple:
        """What the year's scores depend on: the ruleset files and every project file, as last looked at."""
        with self._lock:
            return self._rules_stamp, tuple(sorted((str(e.path), e.stamp) for e in self.entries.values()))

    def rows(self) -> list[Entry]:
        with self._lock:
            return list(self.entries.values())

    def scored(self, key: str):
        """(Entry, ProjectResult or EvalrunError) of one project, scored afresh; None for an unknown key."""
        with self._lock:
            entry = self.by_key.get(key)
            if entry is None or self.rulesets is None:
                return None
            try:
                stamp = _stamp(entry.path)
            except OSError:
                return None
            entry, outcome = self._score(entry.path, stamp)
            self._store(entry)
            return entry, outcome

    def finding(self, key: str, finding_key: str) -> FindingRef | None:
        with self._lock:
            entry = self.by_key.get(key)
            return next((f for f in entry.findings if f.key == finding_key), None) if entry else None


class Workspace:
    """The workspace the server shows: its rulesets, each year scored on first use."""

    def __init__(self, path: Path):
        self.path = path
        self._years: dict[str, Year] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """The rulesets a page can show (folders under rulesets/ with a ruleset.yaml)."""
        return known_rulesets(self.path)

    def year(self, name: str) -> Year | None:
        """The year of ruleset ``name``, up to date; None when there is no such ruleset (never a path)."""
        if name not in self.names():
            return None
        with self._lock:
            year = self._years.setdefault(name, Year(self.path, name))
        return year.refresh()

    def default(self, wanted: str | None = None) -> str | None:
        """The ruleset the first page shows: ``wanted``, else the latest year-named ruleset that has projects."""
        names = self.names()
        if wanted in names:
            return wanted
        years = sorted((n for n in names if n.isdigit()), reverse=True)
        with_projects = [n for n in years if any((self.path / "projects" / n).glob("*/*.yaml"))]
        return (with_projects or years or names or [None])[0]

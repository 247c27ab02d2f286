"""A returned 自评表 uploaded on the page: the import preview, and the import once the reviewer confirms it.

The upload stays in memory (in the session, until confirmed or an hour has
passed). For the import API, which reads a file, it is written for the
moment into a private temporary folder (mode 0700, removed at once), under
a name made safe by ``safe_name``; nothing of it is written anywhere else.
The preview is ``evalrun import --dry-run``: every change with its cell,
every refusal with its cell. Confirming runs the same import with
``--force``, only if the project files are still those the preview read
(otherwise the new preview is shown), and the year is then scored again.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine.forms.cells import FormError
from engine.errors import EvalrunError, EvalrunErrors, UsageError
from engine.files.reading import open_plain
from engine.forms.import_forms import ImportOptions, ImportResult, import_workbook
from engine.forms.import_merge import shown as _shown
from engine.rules.rulesets import display
from engine.runner.write import safe_name


@dataclass
class Pending:
    """An uploaded form waiting for the reviewer's confirmation."""

    name: str
    data: bytes
    accept_changes: bool
    ruleset: str
    digest: str  # what the preview showed: the plans and the files they change
    at: float = field(default_factory=time.monotonic)


@dataclass
class Outcome:
    """One import (preview or write) as the page shows it."""

    name: str
    result: ImportResult | None = None
    refused: list = field(default_factory=list)  # [(place, message)] when the file could not be read at all
    wrong_year: int | None = None

    @property
    def writable(self) -> bool:
        """True when confirming would write something (every sheet read, something to change)."""
        return (self.result is not None and not self.refused and self.wrong_year is None and self.result.ok
                and any(p.text is not None for p in self.result.plans.values()))


def upload_name(filename: str | None) -> str:
    """The uploaded file's own name, without any folder a browser sent, safe as a file name."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return safe_name(name or "form.xlsx")


def run_import(workspace: Path, fiscal_year: int, name: str, data: bytes, accept_changes: bool,
               write: bool) -> Outcome:
    """The import of an uploaded workbook: a preview (``write`` False) or the real one."""
    outcome = Outcome(name)
    with tempfile.TemporaryDirectory(prefix="evalrun-upload-") as folder:
        path = Path(folder) / name
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        options = ImportOptions(form=path, workspace=workspace, force=write, dry_run=not write,
                                accept_changes=accept_changes)
        try:
            try:
                outcome.result = import_workbook(options)
            except UsageError:  # no year in the titles, or two: the page's year, as --year would give
                outcome.result = import_workbook(ImportOptions(
                    form=path, year=fiscal_year, workspace=workspace, force=write, dry_run=not write,
                    accept_changes=accept_changes))
        except (FormError, EvalrunError) as exc:
            errors = exc.errors if isinstance(exc, EvalrunErrors) else [exc]
            outcome.refused = [(str(e.source) if e.source.file else name, e.message) for e in errors]
            return outcome
    if outcome.result.year != fiscal_year:
        outcome.wrong_year = outcome.result.year
    return outcome


def _bytes_now(path: Path) -> bytes:
    """The file's bytes, or a mark for a new file or one that cannot be read (never waiting on a FIFO)."""
    if not path.exists():
        return b"<new>"
    try:
        with open_plain(path) as handle:
            return handle.read()
    except OSError:
        return b"<unreadable>"


def digest(workspace: Path, outcome: Outcome) -> str:
    """What a preview showed: each plan's file, its bytes now and its text after the import."""
    h = hashlib.sha256()
    if outcome.result is None:
        return h.hexdigest()
    for sheet, plan in sorted(outcome.result.plans.items()):
        h.update(sheet.encode() + b"\0" + display(plan.path, workspace).encode() + b"\0")
        h.update(_bytes_now(plan.path))
        h.update(b"\0" + (plan.text or "").encode() + b"\0")
    return h.hexdigest()


def preview_view(workspace: Path, outcome: Outcome) -> dict:
    """The preview as plain data for the template."""
    result = outcome.result
    sheets = []
    for sheet in (result.sheets if result else []):
        plan = result.plans.get(sheet.sheet)
        sheets.append({
            "name": sheet.sheet, "skipped": sheet.skipped,
            "file": display(plan.path, workspace) if plan else "",
            "new": bool(plan and plan.new), "unchanged": bool(plan and not plan.new and not plan.changes),
            "changes": [{"what": c.what, "old": _shown(c.old), "new": _shown(c.new),
                         "cell": str(c.cell) if c.cell else "", "approved": c.approved,
                         "taken": c.approved and bool(c.edits)} for c in (plan.changes if plan else [])],
            "errors": [{"cell": str(e.source) if e.source.file else outcome.name, "message": e.message}
                       for e in sheet.errors],
            "warnings": [{"cell": str(w.source) if w.source.file else "", "message": w.message}
                         for w in sheet.warnings],
        })
    return {
        "name": outcome.name, "sheets": sheets, "year": result.year if result else None,
        "refused": [{"cell": place, "message": message} for place, message in outcome.refused],
        "notices": [str(w) for w in (result.warnings if result else [])],
        "wrong_year": outcome.wrong_year, "writable": outcome.writable,
        "problems": sum(len(s["errors"]) for s in sheets) + len(outcome.refused),
        "written": [display(p, workspace) for p in (result.written if result else [])],
    }

"""The rules page: what changed between two rulesets and what it does to the year's projects (`diff --impact`),
and the source view that every file:line on the page links to.

The source view shows a ruleset or project file of the workspace with the
named line marked. The file comes from the URL, so it is held to strict
rules before anything is opened: a relative path of plain parts under
rulesets/ or projects/, a .yaml file, no link on the way, and inside the
workspace once resolved. Anything else is "not found".
"""
from __future__ import annotations

import threading
from pathlib import Path, PurePosixPath

from engine.tools.diff import diff_data
from engine.errors import EvalrunError, EvalrunErrors, UsageError
from engine.tools.impact import impact
from engine.files.load import decode
from engine.files.reading import open_plain, os_reason
from engine.rules.rulesets import load_ruleset, resolve_data
from engine.web.project import place

MAX_SOURCE_BYTES = 5 * 1024 * 1024
SOURCE_ROOTS = ("rulesets", "projects")


def default_pair(names: list[str], current: str) -> tuple[str | None, str]:
    """(old, new) the page compares first: the ruleset before ``current`` among the year-named ones."""
    years = sorted(n for n in names if n.isdigit())
    if current in years and years.index(current) > 0:
        return years[years.index(current) - 1], current
    others = [n for n in names if n != current]
    return (others[0] if others else None), current


class RulesView:
    """diff and impact of two rulesets, kept until a ruleset or project file changes."""

    def __init__(self, workspace: Path):
        self.workspace = workspace
        self._cache: dict = {}
        self._lock = threading.Lock()

    def compare(self, old: str, new: str, stamp) -> dict:
        key = (old, new, stamp)
        with self._lock:
            if key not in self._cache:
                self._cache.clear()
                self._cache[key] = self._compare(old, new)
            return self._cache[key]

    def _compare(self, old: str, new: str) -> dict:
        try:
            old_data, _, _ = resolve_data(self.workspace, old)
            new_data, _, _ = resolve_data(self.workspace, new)
            old_rules, new_rules = load_ruleset(self.workspace, old), load_ruleset(self.workspace, new)
            changes = diff_data(old_data, new_data)
            _, impacts = impact(self.workspace, old, new)
        except (EvalrunError, UsageError) as exc:
            errors = exc.errors if isinstance(exc, EvalrunErrors) else [exc]
            return {"errors": [str(e) for e in errors], "changes": [], "impacts": []}
        return {
            "errors": [], "old_rules": f"{old_rules.id} {old_rules.version}",
            "new_rules": f"{new_rules.id} {new_rules.version}",
            "changes": [{"text": c.describe(), "kind": c.kind, "old": place(c.old_source),
                         "new": place(c.new_source)} for c in changes],
            "impacts": [{
                "department": i.department, "project": i.project, "file": i.file, "failure": i.failure,
                "old": (i.old.total, i.old.grade) if i.old else None,
                "new": (i.new.total, i.new.grade) if i.new else None,
                "moves": [{"what": m.what, "old": m.old, "new": m.new,
                           "causes": [{"text": c.describe(), "where": c.where()} for c in m.causes]}
                          for m in i.moves],
                "findings": [{"side": side, "message": message} for side, message in i.findings],
            } for i in impacts],
        }


def source_file(workspace: Path, wanted: str) -> Path | None:
    """The workspace file ``wanted`` names, if the source view may show it; None otherwise."""
    if not isinstance(wanted, str) or not wanted or len(wanted) > 1000 or "\\" in wanted or "\0" in wanted:
        return None
    parts = wanted.split("/")
    if len(parts) < 2 or parts[0] not in SOURCE_ROOTS or ":" in wanted:
        return None
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):  # also a leading / (an empty part)
        return None
    relative = PurePosixPath(wanted)
    if relative.suffix not in (".yaml", ".yml"):
        return None
    root = workspace.resolve()
    path = root
    for part in parts:  # no link anywhere on the way
        path = path / part
        if path.is_symlink():
            return None
    try:
        if not path.resolve().is_relative_to(root) or not path.is_file():
            return None
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return None
    except OSError:
        return None
    return path


def source_lines(path: Path, shown: str) -> tuple[list[str], str]:
    """The file's lines, or an empty list and why it cannot be shown (not UTF-8 text)."""
    try:
        with open_plain(path) as handle:  # a file swapped for a FIFO since it was listed would hold the page
            text = decode(handle.read(), shown)
    except EvalrunError as exc:
        return [], str(exc)
    except OSError as exc:
        return [], f"{shown}: {os_reason(exc)}"
    return text.splitlines(), ""

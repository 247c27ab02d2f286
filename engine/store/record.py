"""What the store keeps of one evaluated project, as plain tuples, and the hash that names it.

A record is made where the project was evaluated (in a --jobs worker too)
and travels as a few tuples: the result's fields, its indicator rows (the
fields of ``--json``, with the method) and its findings. Its hash is the
sha256 of exactly those values, so the same inputs scored the same way give
the same hash and are stored once, and ``evalrun db check`` can recompute it
from what is stored. No SQLAlchemy here.
"""
from __future__ import annotations

import getpass
import hashlib
import io
import os
import pickle
import shlex
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from pathlib import Path
from typing import Callable

from engine.scoring.advice import advice_for

RESULT_FIELDS = (
    "department", "project", "fiscal_year", "file", "file_sha256", "ruleset_id", "ruleset_version",
    "ruleset_sha256", "variant", "budget_unit", "budget_initial", "budget_full_year", "budget_executed",
    "execution_rate", "execution_rate_text", "total", "max_total", "grade", "advice", "advice_basis",
    "advice_rule", "budget_change",
)
INDICATOR_FIELDS = ("position", "level1", "level2", "name", "weight", "target", "actual", "score", "applicable",
                    "method", "reported_score")
FINDING_FIELDS = ("position", "check", "severity", "message", "file", "line")


_DIGITS = Context(prec=15, rounding=ROUND_HALF_EVEN)


def normal(value):
    """One spelling per number, at most 15 significant digits (95.5300 -> 95.53, 1E+2 -> 100).

    Hashes and both databases depend on it: SQLite's REAL holds 15 digits exactly.
    """
    if value.__class__ is not Decimal:
        return value
    known = _NORMAL.get(value)  # equal Decimals have one normal form: remember it
    if known is None:
        known = _DIGITS.plus(value).normalize()
        if known.as_tuple().exponent > 0:
            known = known.quantize(Decimal(1))
        if len(_NORMAL) < _NORMAL_KEPT:
            _NORMAL[value] = known
    return known


def exact_number(value):
    """An exact number as a database gives it back (SQLite: an int, a float or text; PostgreSQL: a Decimal) as
    the Decimal it was stored as, or None."""
    if value is None:
        return None
    if isinstance(value, float):
        value = Decimal(repr(value))
    return normal(value if isinstance(value, Decimal) else Decimal(value))


_NORMAL: dict = {}
# The values met first: weights, full marks, common scores and amounts recur; a project's own numbers rarely do,
# and 100,000 of them (a run of 4,000 projects) took 25 MB that stayed to the end of every larger run.
_NORMAL_KEPT = 4096


def file_sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def record_hash(fields: tuple, rows: tuple, findings: tuple) -> str:
    """sha256 of the values' repr: text, whole numbers, normalised Decimals, True/False and None,
    which read back from either database as the same values."""
    return hashlib.sha256(repr((fields, rows, findings)).encode("utf-8")).hexdigest()


def project_record(result, workspace: Path) -> tuple:
    """(hash, result fields, indicator rows, findings) of a ProjectResult, in the orders above."""
    project, ruleset, budget = result.project, result.ruleset, result.project.budget
    advice = advice_for(result)
    fields = (
        project.department, project.name, int(project.fiscal_year), project.file,
        project.file_sha256 or file_sha256(workspace / project.file), ruleset.id, ruleset.version, ruleset.sha256, ruleset.variant or "",
        budget.unit, normal(budget.initial), normal(budget.full_year), normal(budget.executed),
        normal(ruleset.rounding.apply(result.execution_rate * 100) / 100), result.budget_row.actual,
        normal(result.total), normal(result.max_total), result.grade,
        advice.advice if advice else None, advice.basis if advice else None, advice.rule if advice else None,
        normal(advice.budget_change) if advice else None,
    )
    rows = tuple(
        (position, row.level1, row.level2, row.name or row.note,
         normal(row.allotted if row.applicable else row.weight), row.target, row.actual, normal(row.score),
         bool(row.applicable), row.method, normal(row.reported_score))
        for position, row in enumerate(result.all_rows)
    )
    findings = tuple(
        (position, f.check, f.severity, f.message, f.source.file, f.source.line or None)
        for position, f in enumerate(result.findings)
    )
    return record_hash(fields, rows, findings), fields, rows, findings


@dataclass(frozen=True, slots=True)
class PackedRecord:
    """A project's record, pickled where it was made, with its hash beside it.

    A run that finds the result already stored only links it to the run: it
    needs the hash alone, and the record is unpickled only to be stored. Kept
    results (engine.runner.kept) hold records this way, and so read nothing
    of them when the run links them."""

    hash: str
    data: bytes  # b"": the run's store held the result when it was made (engine.store.recorder, runner.kept)

    @classmethod
    def of(cls, record: tuple, stored: Callable[[str], bool] | None = None) -> "PackedRecord":
        """``stored(hash)``: whether the run's store already holds it; such a record is not pickled (most of a
        re-run's results: pickling a record's Decimals and texts is 2-3% of a --json run)."""
        if stored is not None and stored(record[0]):
            return cls(record[0], b"")
        return cls(record[0], pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))

    def unpack(self) -> tuple:
        """The record (hash, fields, rows, findings): plain values and Decimals only (it may come from a cache)."""
        return _RecordUnpickler(io.BytesIO(self.data)).load()


class _RecordUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) == ("decimal", "Decimal"):
            return Decimal
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a record")


# ---------------------------------------------------------------- the run


def command_line() -> str:
    """The command as the user typed it, with evalrun's own name for the program."""
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "evalrun"
    if program in ("cli.py", "__main__.py", "-m", "-c") or program.startswith("python"):
        program = "evalrun"
    return shlex.join([program] + sys.argv[1:])


def git_commit(workspace: Path) -> str | None:
    """The commit checked out in the workspace's git repository, if it is in one."""
    folder = workspace.resolve()
    if not any((parent / ".git").exists() for parent in (folder, *folder.parents)):
        return None
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run([git, "rev-parse", "--verify", "-q", "HEAD"], cwd=folder, capture_output=True,
                              text=True, timeout=10, env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def evalrun_version() -> str:
    """evalrun's version as the package states it (engine.__version__, which pyproject.toml reads): asking
    importlib.metadata cost 20-60 ms of every recorded run."""
    from engine import __version__

    return __version__


def who() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name is not worth failing a run for
        user = ""
    return socket.gethostname(), user

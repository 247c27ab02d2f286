"""What a user is told when the results store cannot be used: one line to act on, in their language.

No SQLAlchemy here: engine.store.direct (sqlite3) and engine.store.database
(SQLAlchemy) both say it this way.
"""
from __future__ import annotations

from pathlib import Path

from engine.errors import UsageError
from engine.i18n import tr
from engine.store.settings import shown

BUSY_SECONDS = 120  # how long a run waits for another one's write transaction


class StoreError(UsageError):
    """The results store cannot be used: not reachable, not a store, busy, or of another version."""


def describe_failure(detail: str, database_error: bool, url: str, workspace: Path | None) -> StoreError:
    """The database's own ``detail`` (its first line) as a StoreError; ``database_error``: the database refused,
    as opposed to a failure of evalrun's own."""
    where = shown(url, workspace)
    lowered = detail.lower()
    if "file is not a database" in lowered or "file is encrypted" in lowered:
        return StoreError(tr("store.not_a_database", store=where))
    if "database is locked" in lowered or "lock timeout" in lowered or "lock_timeout" in lowered:
        return StoreError(tr("store.busy", store=where, seconds=BUSY_SECONDS))
    if "readonly" in lowered or "read-only" in lowered:
        return StoreError(tr("store.read_only", store=where, detail=detail))
    detail = _explained(detail, lowered)
    if database_error:
        return StoreError(tr("store.cannot_use", store=where, detail=detail))
    return StoreError(tr("store.failed", store=where, detail=detail))


# What the drivers (sqlite3, psycopg) say most often, said in the user's language; the driver's own words follow
# in brackets, for whoever looks after the database.
# (what the driver's text holds, any of them; the sentence). PostgreSQL says `relation "evalrun_run" does not
# exist` and `database "evalrun" does not exist`.
_KNOWN = (
    (("no such table", "no such column", 'relation "'), lambda: tr("store.detail.tables_missing")),
    (('database "',), lambda: tr("store.detail.no_database")),
    (("unable to open database file",), lambda: tr("store.detail.cannot_open")),
    (("disk i/o error",), lambda: tr("store.detail.disk_io")),
    (("malformed",), lambda: tr("store.detail.damaged")),
    (("database or disk is full", "no space left"), lambda: tr("store.detail.disk_full")),
    (("permission denied",), lambda: tr("store.detail.permission")),
    (("connection refused",), lambda: tr("store.detail.refused")),
    (("could not translate host name", "name or service not known"), lambda: tr("store.detail.no_host")),
    (("password authentication failed", "no password supplied"), lambda: tr("store.detail.password")),
    (("timeout expired",), lambda: tr("store.detail.timeout")),
)


def _explained(detail: str, lowered: str) -> str:
    for phrases, said in _KNOWN:
        if any(phrase in lowered for phrase in phrases):
            return tr("store.detail.explained", text=said(), detail=detail)
    return detail


def first_line(exc: Exception) -> str:
    """The first line of what an error says (of the driver's error a library wraps, where it has one)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

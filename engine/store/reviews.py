"""Reviewers' decisions on findings, kept in the results store: 已核实 / 需整改 / 不适用, a comment, who, when.

A decision is never changed or deleted: each is a new row of
``evalrun_review``, so the latest row of a finding is its state and the
rows before it are its history. Nothing in the project files changes
through review.

A finding is named by ``finding_key``: the sha256 of its fiscal year,
department, project, check and message, and its place among findings of
the same check and message in that project. A decision stays with its
finding when the project is scored again (its file edited elsewhere, its
lines moved); a finding whose message changed (the department corrected a
value) is another finding, to be reviewed again, and the old decision stays
in the history of the old one.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import UsageError
from engine.i18n import tr
from engine.store import schema
from engine.store.database import connect, failure, writing
from engine.store.record import who

STATES = ("已核实", "需整改", "不适用")
MAX_COMMENT = 2000
MAX_REVIEWER = 100


@dataclass(frozen=True)
class FindingRef:
    """A finding of one project, as a reviewer decides on it."""

    fiscal_year: int
    department: str
    project: str
    check: str
    severity: str
    message: str
    file: str
    line: int | None = None
    occurrence: int = 0  # its place among the project's findings of the same check and message

    @property
    def key(self) -> str:
        return finding_key(self.fiscal_year, self.department, self.project, self.check, self.message, self.occurrence)


@dataclass(frozen=True)
class Review:
    """One decision, as stored."""

    id: int
    finding_key: str
    fiscal_year: int
    department: str
    project: str
    check: str
    severity: str
    message: str
    file: str
    line: int | None
    state: str
    comment: str
    reviewer: str
    host: str
    reviewed_at: datetime

    @property
    def when(self) -> datetime:
        """The time, with its zone (SQLite keeps UTC without one), in the local zone."""
        value = self.reviewed_at
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone()


def finding_key(fiscal_year: int, department: str, project: str, check: str, message: str,
                occurrence: int = 0) -> str:
    text = "\x1f".join((str(int(fiscal_year)), department, project, check, message, str(int(occurrence))))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def refs(fiscal_year: int, department: str, project: str, findings) -> list[FindingRef]:
    """A FindingRef for each of a project's findings (engine.model.Finding), in their order."""
    seen: dict = {}
    out = []
    for finding in findings:
        occurrence = seen.get((finding.check, finding.message), 0)
        seen[(finding.check, finding.message)] = occurrence + 1
        out.append(FindingRef(int(fiscal_year), department, project, finding.check, finding.severity,
                              finding.message, finding.source.file, finding.source.line or None, occurrence))
    return out


class ReviewStore:
    """The review decisions of a results store; opens the store once (creating or migrating it, as a run does)."""

    def __init__(self, url: str, workspace: Path | None = None):
        self.url, self.workspace = url, workspace
        self.engine = connect(url, workspace)

    def close(self) -> None:
        self.engine.dispose()

    def add(self, ref: FindingRef, state: str, comment: str, reviewer: str) -> Review:
        """Record a decision on ``ref``; UsageError for a state or text a reviewer cannot give."""
        comment, reviewer = (comment or "").strip(), (reviewer or "").strip()
        if state not in STATES:
            raise UsageError(tr("reviews.unknown_state", state=state, states=" / ".join(STATES)))
        if not reviewer:
            raise UsageError(tr("reviews.no_reviewer"))
        if len(reviewer) > MAX_REVIEWER or len(comment) > MAX_COMMENT:
            raise UsageError(tr("reviews.too_long", reviewer=MAX_REVIEWER, comment=MAX_COMMENT))
        host, _ = who()
        row = {
            "finding_key": ref.key, "fiscal_year": int(ref.fiscal_year), "department": ref.department,
            "project": ref.project, "check": ref.check[:255], "severity": ref.severity[:32],
            "message": ref.message, "file": ref.file, "line": ref.line, "state": state, "comment": comment,
            "reviewer": reviewer, "host": host[:255], "reviewed_at": datetime.now(timezone.utc),
        }
        try:
            with writing(self.engine) as connection, connection.begin():
                row_id = connection.execute(insert(schema.review).returning(schema.review.c.id), row).scalar_one()
        except SQLAlchemyError as exc:
            raise failure(exc, self.url, self.workspace) from None
        return Review(id=row_id, **row)

    def history(self, fiscal_year: int, department: str | None = None, project: str | None = None) -> dict:
        """finding_key -> [Review], oldest first, for a year (or one project of it)."""
        table = schema.review
        query = select(table).where(table.c.fiscal_year == int(fiscal_year))
        if department is not None:
            query = query.where(table.c.department == department)
        if project is not None:
            query = query.where(table.c.project == project)
        out: dict = {}
        try:
            with self.engine.connect() as connection:
                for row in connection.execute(query.order_by(table.c.id)):
                    out.setdefault(row.finding_key, []).append(Review(**row._mapping))
        except SQLAlchemyError as exc:
            raise failure(exc, self.url, self.workspace) from None
        return out


def current(history: dict) -> dict:
    """finding_key -> its latest Review."""
    return {key: reviews[-1] for key, reviews in history.items() if reviews}

"""Reading the store: a project's or department's years, two years compared, and the previous year.

"The result of a project in a year" is the one its latest run recorded:
for each (fiscal year, department, project) the result linked to the
highest run id. Earlier runs stay in the store (and in ``db export``).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import UsageError, did_you_mean
from engine.i18n import tr
from engine.store import schema
from engine.store.database import StoreError, _engine, connect, failure, revision
from engine.store.years import YearResult, latest_by_project, signed  # noqa: F401 - views.py takes them from here
from engine.store.settings import shown, sqlite_path


def _latest(connection, *conditions) -> list[YearResult]:
    r, rr, run = schema.result, schema.run_result, schema.run
    latest = (select(r.c.fiscal_year, r.c.department, r.c.project, func.max(rr.c.run_id).label("run_id"))
              .join(rr, rr.c.result_id == r.c.id).where(*conditions)
              .group_by(r.c.fiscal_year, r.c.department, r.c.project).subquery())
    query = (select(r.c.fiscal_year, r.c.department, r.c.project, r.c.file, r.c.total, r.c.grade,
                    r.c.execution_rate, r.c.execution_rate_text, r.c.ruleset_id, r.c.ruleset_version, r.c.variant,
                    r.c.advice, run.c.id, run.c.started_at)
             .join(rr, rr.c.result_id == r.c.id)
             .join(latest, and_(latest.c.run_id == rr.c.run_id, latest.c.fiscal_year == r.c.fiscal_year,
                                latest.c.department == r.c.department, latest.c.project == r.c.project))
             .join(run, run.c.id == rr.c.run_id)
             .order_by(r.c.department, r.c.project, r.c.fiscal_year, r.c.file))
    rows, seen = [], set()
    for row in connection.execute(query):
        key = (row[0], row[1], row[2])
        if key not in seen:  # two files of one name in one run: the first by file name
            seen.add(key)
            rows.append(YearResult(*row))
    return rows


def _open(url: str, workspace: Path | None):
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise StoreError(tr("store.none_yet", store=shown(url, workspace)))
    try:
        return connect(url, workspace, create=False)
    except StoreError as exc:
        if getattr(exc, "empty", False):
            raise StoreError(tr("store.run_first", detail=exc)) from None
        raise


def history(url: str, workspace: Path | None, project: str | None = None,
            department: str | None = None) -> list[YearResult]:
    """Every year of a project (name or file name) or of a department's projects, oldest first."""
    r = schema.result
    conditions = []
    if project:
        escaped = project.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(or_(r.c.project == project, r.c.file.like(f"%/{escaped}.yaml", escape="\\")))
    if department:
        conditions.append(r.c.department == department)
    engine = _open(url, workspace)
    try:
        with engine.connect() as connection:
            rows = _latest(connection, *conditions)
            if not rows:
                column = r.c.project if project else r.c.department
                known = list(connection.execute(select(column).distinct().order_by(column)).scalars())
                wanted = project or department
                what = tr("store.what.project") if project else tr("store.what.department")
                hint = did_you_mean(wanted, known)
                if project and department:
                    hint = tr("store.in_department", department=department) + hint
                listed = ", ".join(known[:20])
                there = (tr("store.known_projects", names=listed) if project else
                         tr("store.known_departments", names=listed)) if known else ""
                raise UsageError(tr("store.no_results_for", what=what, wanted=wanted, hint=hint,
                                    store=shown(url, workspace), known=there))
    finally:
        engine.dispose()
    return rows


@dataclass(frozen=True)
class Change:
    department: str
    project: str
    old: YearResult | None  # None: new this year
    new: YearResult | None  # None: not evaluated this year (dropped)

    @property
    def change(self) -> Decimal | None:
        return self.new.total - self.old.total if self.old and self.new else None


def compare(url: str, workspace: Path | None, old_year: int, new_year: int,
            department: str | None = None) -> list[Change]:
    """Each project of either year, by department and project: its two results (one may be None)."""
    r = schema.result
    conditions = [r.c.fiscal_year.in_((old_year, new_year))]
    if department:
        conditions.append(r.c.department == department)
    engine = _open(url, workspace)
    try:
        with engine.connect() as connection:
            rows = _latest(connection, *conditions)
            years = set(connection.execute(select(r.c.fiscal_year).distinct()).scalars())
    finally:
        engine.dispose()
    for year in (old_year, new_year):
        if year not in years:
            stored = ", ".join(str(y) for y in sorted(years)) or tr("store.no_years")
            raise UsageError(tr("store.no_year", year=year, store=shown(url, workspace), stored=stored))
    pairs: dict[tuple, list] = {}
    for row in rows:
        pairs.setdefault((row.department, row.project), [None, None])[row.fiscal_year == new_year] = row
    return [Change(department, project, old, new) for (department, project), (old, new) in sorted(pairs.items())]


def read_year(url: str, year: int, workspace: Path | None = None) -> dict:
    """engine.store.previous's table of ``year``, through SQLAlchemy (PostgreSQL, or a SQLite file not at the head)."""
    engine = _engine(url, workspace)
    try:
        with engine.connect() as connection:
            if revision(connection) != schema.HEAD:
                return {}
            return latest_by_project(_latest(connection, schema.result.c.fiscal_year == year))
    except SQLAlchemyError as exc:
        raise failure(exc, url, workspace) from None
    finally:
        engine.dispose()

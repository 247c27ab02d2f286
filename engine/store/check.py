"""`evalrun db check`: the store against its schema, its migrations and its own hashes.

It says, one line each: the store and its schema revision against the
migrations shipped with this evalrun; any difference between the tables in
the database and those the migrations build (a column missing or of another
type, an index dropped); for SQLite, the file's own integrity and foreign
keys; and any stored result whose content no longer matches its hash (edited
outside evalrun), any result without its indicator rows, any run whose
project count disagrees with its links.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from engine.i18n import tr
from engine.store import schema
from engine.store.database import StoreError, _engine, failure, revision, revisions
from engine.store.record import FINDING_FIELDS, INDICATOR_FIELDS, RESULT_FIELDS, record_hash
from engine.store.settings import shown, sqlite_path


@dataclass
class CheckReport:
    store: str
    lines: list = field(default_factory=list)  # what was checked
    problems: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(url: str, workspace: Path | None) -> CheckReport:
    report = CheckReport(shown(url, workspace))
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise StoreError(tr("store.no_store_check", store=report.store))
    engine = _engine(url, workspace)
    try:
        with engine.connect() as connection:
            _check(connection, report, path is not None)
    except SQLAlchemyError as exc:
        raise failure(exc, url, workspace) from None
    finally:
        engine.dispose()
    return report


def _check(connection, report: CheckReport, is_sqlite: bool) -> None:
    current = revision(connection)
    known = revisions()
    if current is None:
        report.problems.append(tr("check.no_revision"))
    elif current == schema.HEAD:
        report.lines.append(tr("check.revision_head", revision=current, known=", ".join(known)))
    elif current in known:
        report.problems.append(tr("check.revision_older", revision=current, head=schema.HEAD))
    else:
        report.problems.append(tr("check.revision_unknown", revision=current, known=", ".join(known)))
    differences = schema_differences(connection)
    report.problems += differences
    if not differences:
        report.lines.append(tr("check.tables_match", tables=", ".join(t.name for t in schema.TABLES)))
    if is_sqlite:
        integrity = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            report.problems += [tr("check.integrity", line=line) for line in integrity]
        broken = list(connection.exec_driver_sql("PRAGMA foreign_key_check"))
        report.problems += [tr("check.foreign_key", row=row[1], table=row[0], parent=row[2]) for row in broken]
        if integrity == ["ok"] and not broken:
            report.lines.append(tr("check.sqlite_ok"))
    if not differences and current is not None:
        _check_content(connection, report)


def schema_differences(connection) -> list[str]:
    """The tables in the database against schema.py, as alembic's autogenerate sees them."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def ours(name, kind, parent):
        return kind != "table" or name.startswith(schema.PREFIX)

    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "version_table": schema.VERSION_TABLE, "include_name": ours})
    lines = []
    for difference in compare_metadata(context, schema.metadata):
        for item in (difference if isinstance(difference, list) else [difference]):
            lines.append(_describe(item))
    return lines


def _describe(item) -> str:
    kind = item[0]
    if kind in ("add_table", "remove_table"):
        name = item[1].name
        return tr("check.table_missing", name=name) if kind == "add_table" else tr("check.table_extra", name=name)
    if kind in ("add_column", "remove_column"):
        table, column = item[2], item[3].name
        return (tr("check.column_missing", table=table, column=column) if kind == "add_column"
                else tr("check.column_extra", table=table, column=column))
    if kind in ("add_index", "remove_index"):
        name = item[1].name
        return tr("check.index_missing", name=name) if kind == "add_index" else tr("check.index_extra", name=name)
    if kind in ("add_constraint", "remove_constraint"):
        name = item[1].name
        return (tr("check.constraint_missing", name=name) if kind == "add_constraint"
                else tr("check.constraint_extra", name=name))
    if kind == "modify_type":
        return tr("check.column_type", table=item[2], column=item[3], found=item[5], expected=item[6])
    if kind == "modify_nullable":
        return (tr("check.column_allows_empty", table=item[2], column=item[3]) if item[6]
                else tr("check.column_refuses_empty", table=item[2], column=item[3]))
    return tr("check.other_difference", item=item)


def _check_content(connection, report: CheckReport) -> None:
    r, ind, fnd = schema.result, schema.indicator, schema.finding
    rows, findings = {}, {}
    for row in connection.execute(select(ind).order_by(ind.c.result_id, ind.c.position)):
        rows.setdefault(row.result_id, []).append(tuple(getattr(row, f) for f in INDICATOR_FIELDS))
    for row in connection.execute(select(fnd).order_by(fnd.c.result_id, fnd.c.position)):
        findings.setdefault(row.result_id, []).append(tuple(getattr(row, f) for f in FINDING_FIELDS))
    count, before = 0, len(report.problems)
    for result in connection.execute(select(r).order_by(r.c.id)):
        count += 1
        label = tr("check.result_label", id=result.id, department=result.department, project=result.project,
                   year=result.fiscal_year)
        if result.id not in rows:
            report.problems.append(tr("check.no_rows", label=label))
            continue
        fields = tuple(getattr(result, f) for f in RESULT_FIELDS)
        if record_hash(fields, tuple(rows[result.id]), tuple(findings.get(result.id, ()))) != result.hash:
            report.problems.append(tr("check.hash_differs", label=label))
    if len(report.problems) == before:
        report.lines.append(tr("check.results_ok", count=count))
    run, rr = schema.run, schema.run_result
    links = dict(connection.execute(select(rr.c.run_id, func.count()).group_by(rr.c.run_id)).all())
    runs, before = 0, len(report.problems)
    for run_id, projects in connection.execute(select(run.c.id, run.c.projects)):
        runs += 1
        if links.get(run_id, 0) != projects:
            report.problems.append(tr("check.run_links", run=run_id, projects=projects, links=links.get(run_id, 0)))
    if len(report.problems) == before:
        report.lines.append(tr("check.runs_ok", count=runs))

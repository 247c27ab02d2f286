"""The tables of the results store (SQLAlchemy Core), the same on SQLite and PostgreSQL.

::

    evalrun_run          one row per run: when, the command, the ruleset (id, version, sha256),
                         the workspace's git commit, evalrun's version, counts
    evalrun_result       one row per distinct project result, keyed by the sha256 of its content
                         (department, project, year, file sha256, ruleset, total, grade, rate,
                         advice): the same inputs scored the same way are stored once
    evalrun_indicator    the rows of a result's table (the fields of --json, and the method)
    evalrun_finding      a result's findings
    evalrun_run_result   which results each run produced
    evalrun_run_failure  the project files a run could not evaluate, with the errors
    evalrun_review       reviewers' decisions on findings (已核实 / 需整改 / 不适用, comment, who, when),
                         one row per decision, never changed: the latest row of a finding is its
                         state, the others its history (engine/store/reviews.py)

Numbers are exact: NUMERIC on PostgreSQL; on SQLite, NUMERIC affinity,
read back as the same Decimal. Every number is kept to at most 15
significant digits (project files hold no more; only a weight shared out by
a not-applicable rule has more, and it is rounded at the 15th), which
SQLite's REAL holds exactly. The migrations in ``migrations/versions`` build these
tables; ``evalrun db check`` compares the two.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text, UniqueConstraint,
)
from sqlalchemy.types import NUMERIC, TypeDecorator, UserDefinedType

from engine.store.record import exact_number
from engine.store.tables import HEAD, PREFIX, VERSION_TABLE  # noqa: F401 - the names the store's modules use


class _SqliteNumeric(UserDefinedType):
    """NUMERIC affinity, the value passed as text: SQLite keeps integers exact and the rest as REAL."""

    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "NUMERIC"


class Exact(TypeDecorator):
    """A Decimal stored exactly (record.normal: at most 15 significant digits): NUMERIC on PostgreSQL;
    on SQLite given as text, read back as the same Decimal."""

    impl = NUMERIC
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return _SqliteNumeric() if dialect.name == "sqlite" else dialect.type_descriptor(NUMERIC())

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name != "sqlite":
            return value
        return format(value, "f") if isinstance(value, Decimal) else value

    def process_result_value(self, value, dialect):
        return exact_number(value)


metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

run = Table(
    PREFIX + "run", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("command", Text, nullable=False),
    Column("workspace", Text, nullable=False),
    Column("host", String(255), nullable=False),
    Column("user_name", String(255), nullable=False),
    Column("ruleset", String(255), nullable=False),  # the folder under rulesets/
    Column("ruleset_id", String(255), nullable=False),
    Column("ruleset_version", String(255), nullable=False),
    Column("ruleset_sha256", String(64), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("git_commit", String(64)),
    Column("evalrun_version", String(64), nullable=False),
    Column("selection", Text),  # the --project names of a run limited to some projects
    Column("projects", Integer, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("new_results", Integer, nullable=False),
)

result = Table(
    PREFIX + "result", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hash", String(64), nullable=False),
    Column("department", Text, nullable=False),
    Column("project", Text, nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("file", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("ruleset_id", String(255), nullable=False),
    Column("ruleset_version", String(255), nullable=False),
    Column("ruleset_sha256", String(64), nullable=False),
    Column("variant", Text, nullable=False),  # the department whose ruleset variant scored it, or ''
    Column("budget_unit", String(32), nullable=False),
    Column("budget_initial", Exact),
    Column("budget_full_year", Exact),
    Column("budget_executed", Exact),
    Column("execution_rate", Exact, nullable=False),  # as published: 55.32% -> 0.5532
    Column("execution_rate_text", String(64), nullable=False),
    Column("total", Exact, nullable=False),
    Column("max_total", Exact, nullable=False),
    Column("grade", String(64), nullable=False),
    Column("advice", Text),  # 评价结果应用
    Column("advice_basis", Text),
    Column("advice_rule", Text),
    Column("budget_change", Exact),
    UniqueConstraint("hash"),
    Index(None, "fiscal_year", "department", "project"),
)

indicator = Table(
    PREFIX + "indicator", metadata,
    Column("result_id", Integer, ForeignKey(result.c.id, ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),  # 0 is the 预算执行率 row
    Column("level1", Text, nullable=False),
    Column("level2", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("weight", Exact),
    Column("target", Text, nullable=False),
    Column("actual", Text, nullable=False),
    Column("score", Exact),
    Column("applicable", Boolean, nullable=False),
    Column("method", String(255)),
    Column("reported_score", Exact),
)

finding = Table(
    PREFIX + "finding", metadata,
    Column("result_id", Integer, ForeignKey(result.c.id, ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("check", String(255), nullable=False),
    Column("severity", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("file", Text, nullable=False),
    Column("line", Integer),
)

run_result = Table(
    PREFIX + "run_result", metadata,
    Column("run_id", Integer, ForeignKey(run.c.id, ondelete="CASCADE"), primary_key=True),
    Column("result_id", Integer, ForeignKey(result.c.id), primary_key=True),
    Index(None, "result_id"),
)

run_failure = Table(
    PREFIX + "run_failure", metadata,
    Column("run_id", Integer, ForeignKey(run.c.id, ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("file", Text, nullable=False),
    Column("message", Text, nullable=False),
)

review = Table(
    PREFIX + "review", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # which finding: the sha256 of (fiscal year, department, project, check, message, occurrence), so that a
    # decision stays with its finding when the project is scored again and lines move (engine/store/reviews.py)
    Column("finding_key", String(64), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("department", Text, nullable=False),
    Column("project", Text, nullable=False),
    Column("check", String(255), nullable=False),
    Column("severity", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("file", Text, nullable=False),
    Column("line", Integer),
    Column("state", String(32), nullable=False),  # 已核实 | 需整改 | 不适用
    Column("comment", Text, nullable=False),
    Column("reviewer", String(255), nullable=False),
    Column("host", String(255), nullable=False),
    Column("reviewed_at", DateTime(timezone=True), nullable=False),
    Index(None, "fiscal_year", "department", "project"),
    Index(None, "finding_key"),
)

TABLES = (run, result, indicator, finding, run_result, run_failure, review)

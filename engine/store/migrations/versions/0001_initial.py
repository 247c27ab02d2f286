"""The first tables of the results store: runs, results, indicator rows, findings.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from engine.store.schema import Exact

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evalrun_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("workspace", sa.Text(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("user_name", sa.String(length=255), nullable=False),
        sa.Column("ruleset", sa.String(length=255), nullable=False),
        sa.Column("ruleset_id", sa.String(length=255), nullable=False),
        sa.Column("ruleset_version", sa.String(length=255), nullable=False),
        sa.Column("ruleset_sha256", sa.String(length=64), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("git_commit", sa.String(length=64), nullable=True),
        sa.Column("evalrun_version", sa.String(length=64), nullable=False),
        sa.Column("selection", sa.Text(), nullable=True),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("new_results", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evalrun_run"),
    )
    op.create_table(
        "evalrun_result",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("project", sa.Text(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("ruleset_id", sa.String(length=255), nullable=False),
        sa.Column("ruleset_version", sa.String(length=255), nullable=False),
        sa.Column("ruleset_sha256", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.Text(), nullable=False),
        sa.Column("budget_unit", sa.String(length=32), nullable=False),
        sa.Column("budget_initial", Exact(), nullable=True),
        sa.Column("budget_full_year", Exact(), nullable=True),
        sa.Column("budget_executed", Exact(), nullable=True),
        sa.Column("execution_rate", Exact(), nullable=False),
        sa.Column("execution_rate_text", sa.String(length=64), nullable=False),
        sa.Column("total", Exact(), nullable=False),
        sa.Column("max_total", Exact(), nullable=False),
        sa.Column("grade", sa.String(length=64), nullable=False),
        sa.Column("advice", sa.Text(), nullable=True),
        sa.Column("advice_basis", sa.Text(), nullable=True),
        sa.Column("advice_rule", sa.Text(), nullable=True),
        sa.Column("budget_change", Exact(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_evalrun_result"),
        sa.UniqueConstraint("hash", name="uq_evalrun_result_hash"),
    )
    op.create_index("ix_evalrun_result_fiscal_year_department_project", "evalrun_result",
                    ["fiscal_year", "department", "project"])
    op.create_table(
        "evalrun_indicator",
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("level1", sa.Text(), nullable=False),
        sa.Column("level2", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("weight", Exact(), nullable=True),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("actual", sa.Text(), nullable=False),
        sa.Column("score", Exact(), nullable=True),
        sa.Column("applicable", sa.Boolean(), nullable=False),
        sa.Column("method", sa.String(length=255), nullable=True),
        sa.Column("reported_score", Exact(), nullable=True),
        sa.ForeignKeyConstraint(["result_id"], ["evalrun_result.id"], ondelete="CASCADE",
                                name="fk_evalrun_indicator_result_id_evalrun_result"),
        sa.PrimaryKeyConstraint("result_id", "position", name="pk_evalrun_indicator"),
    )
    op.create_table(
        "evalrun_finding",
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("check", sa.String(length=255), nullable=False),
        sa.Column("severity", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["result_id"], ["evalrun_result.id"], ondelete="CASCADE",
                                name="fk_evalrun_finding_result_id_evalrun_result"),
        sa.PrimaryKeyConstraint("result_id", "position", name="pk_evalrun_finding"),
    )
    op.create_table(
        "evalrun_run_result",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["evalrun_run.id"], ondelete="CASCADE",
                                name="fk_evalrun_run_result_run_id_evalrun_run"),
        sa.ForeignKeyConstraint(["result_id"], ["evalrun_result.id"],
                                name="fk_evalrun_run_result_result_id_evalrun_result"),
        sa.PrimaryKeyConstraint("run_id", "result_id", name="pk_evalrun_run_result"),
    )
    op.create_index("ix_evalrun_run_result_result_id", "evalrun_run_result", ["result_id"])
    op.create_table(
        "evalrun_run_failure",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["evalrun_run.id"], ondelete="CASCADE",
                                name="fk_evalrun_run_failure_run_id_evalrun_run"),
        sa.PrimaryKeyConstraint("run_id", "position", name="pk_evalrun_run_failure"),
    )


def downgrade() -> None:
    op.drop_table("evalrun_run_failure")
    op.drop_index("ix_evalrun_run_result_result_id", table_name="evalrun_run_result")
    op.drop_table("evalrun_run_result")
    op.drop_table("evalrun_finding")
    op.drop_table("evalrun_indicator")
    op.drop_index("ix_evalrun_result_fiscal_year_department_project", table_name="evalrun_result")
    op.drop_table("evalrun_result")
    op.drop_table("evalrun_run")

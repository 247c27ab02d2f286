"""Reviewers' decisions on findings: one row per decision (state, comment, who, when).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evalrun_review",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("finding_key", sa.String(length=64), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("project", sa.Text(), nullable=False),
        sa.Column("check", sa.String(length=255), nullable=False),
        sa.Column("severity", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(length=255), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evalrun_review"),
    )
    op.create_index("ix_evalrun_review_fiscal_year_department_project", "evalrun_review",
                    ["fiscal_year", "department", "project"])
    op.create_index("ix_evalrun_review_finding_key", "evalrun_review", ["finding_key"])


def downgrade() -> None:
    op.drop_index("ix_evalrun_review_finding_key", table_name="evalrun_review")
    op.drop_index("ix_evalrun_review_fiscal_year_department_project", table_name="evalrun_review")
    op.drop_table("evalrun_review")

"""Reports: `report_runs` (posted once per kind and period), `content_posts` (Myasnikovsky 6),
and an index of timers by due moment for the breaches of a period.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("period_start", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("period_end", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "summary",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_runs")),
        sa.UniqueConstraint("kind", "period_start", name=op.f("uq_report_runs_kind_period_start")),
    )
    op.create_table(
        "content_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("posted_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["staff.id"], name=op.f("fk_content_posts_recorded_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_posts")),
    )
    op.create_index(
        op.f("ix_content_posts_posted_at"), "content_posts", ["posted_at"], unique=False
    )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_timers_due_at", ["due_at", "stopped_at", "breached_at"], unique=False
        )
        batch_op.create_index(
            "ix_timers_answer",
            ["incident_id", "due_at", "stopped_at", "breached_at"],
            unique=False,
            sqlite_where=sa.text("name = 'answer'"),
            postgresql_where=sa.text("name = 'answer'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_answer")
        batch_op.drop_index("ix_timers_due_at")
    op.drop_index(op.f("ix_content_posts_posted_at"), table_name="content_posts")
    op.drop_table("content_posts")
    op.drop_table("report_runs")

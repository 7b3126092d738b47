"""Timers: `remind_at`, the next moment the sweep looks at a timer, with its partial index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("remind_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_timers_remind_open",
            ["remind_at", "id"],
            unique=False,
            sqlite_where=sa.text("stopped_at IS NULL AND paused = 0"),
            postgresql_where=sa.text("stopped_at IS NULL AND paused = false"),
        )


def downgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_remind_open")
        batch_op.drop_column("remind_at")

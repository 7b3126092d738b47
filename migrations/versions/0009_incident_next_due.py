"""Each incident's nearest open deadline, kept beside it (`incidents.next_due`): /board pages
by it through an index instead of grouping every open timer on every look.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_due", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_incidents_next_due", ["next_due", "id"], unique=False)
    op.execute(
        "UPDATE incidents SET next_due = ("
        "SELECT min(timers.due_at) FROM timers WHERE timers.incident_id = incidents.id "
        "AND timers.stopped_at IS NULL AND timers.due_at IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_next_due")
        batch_op.drop_column("next_due")

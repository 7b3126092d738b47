"""Whose approval step is current, kept beside each incident (`incidents.turn`): /tasks asks
the database for the messages under approval at a step that can be the person's instead of
reading every message under approval; and an index for each tie /tasks asks by (the
registering curator, the executor, the draft's author, the holder of an open timer), so it
reads them through indexes instead of scanning every open message.

Messages with no step waiting (not under approval, or no draft) get "" here; those under
approval with a draft keep NULL, which /tasks takes as anyone's step, until the bot works
their step out at its next start (`Workflow.refresh_turns`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("turn", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_incidents_curator_id_status", ["curator_id", "status"])
        batch_op.create_index("ix_incidents_status_turn", ["status", "turn"])
    op.create_index("ix_assignments_executor_id", "assignments", ["executor_id"])
    op.create_index("ix_drafts_author_id", "drafts", ["author_id"])
    op.create_index(
        "ix_timers_holder_open",
        "timers",
        ["holder_id"],
        sqlite_where=sa.text("stopped_at IS NULL"),
        postgresql_where=sa.text("stopped_at IS NULL"),
    )
    op.execute(
        "UPDATE incidents SET turn = '' WHERE status <> 'under_approval' "
        "OR NOT EXISTS (SELECT 1 FROM drafts WHERE drafts.incident_id = incidents.id)"
    )


def downgrade() -> None:
    op.drop_index("ix_timers_holder_open", table_name="timers")
    op.drop_index("ix_drafts_author_id", table_name="drafts")
    op.drop_index("ix_assignments_executor_id", table_name="assignments")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_status_turn")
        batch_op.drop_index("ix_incidents_curator_id_status")
        batch_op.drop_column("turn")

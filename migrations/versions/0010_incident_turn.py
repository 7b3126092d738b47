"""Whose approval step is current, kept beside each incident (`incidents.turn`): /tasks asks
the database for the messages under approval at a step that can be the person's instead of
reading every message under approval.

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
    op.execute(
        "UPDATE incidents SET turn = '' WHERE status <> 'under_approval' "
        "OR NOT EXISTS (SELECT 1 FROM drafts WHERE drafts.incident_id = incidents.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("turn")

"""The inbox: every Telegram update recorded before it is acknowledged and marked handled in
the transaction of its effect, so none is lost on a crash or applied twice on redelivery.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=32), server_default=sa.text("'new'"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbox")),
    )
    op.create_index(op.f("ix_inbox_received_at"), "inbox", ["received_at"], unique=False)
    op.create_index(
        "ix_inbox_new",
        "inbox",
        ["update_id"],
        unique=False,
        sqlite_where=sa.text("state = 'new'"),
        postgresql_where=sa.text("state = 'new'"),
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_new", table_name="inbox")
    op.drop_index(op.f("ix_inbox_received_at"), table_name="inbox")
    op.drop_table("inbox")

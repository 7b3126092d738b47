"""The staff's version: every change of the staff moves it on, so each bot process knows when
its copy of the staff directory is old, whoever made the change.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_version")),
    )
    op.execute("INSERT INTO staff_version (id, version) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("staff_version")

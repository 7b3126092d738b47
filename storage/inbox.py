"""The inbox's table: updates recorded raw before they are acknowledged (see `bot/inbox.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import InboxRow

NEW = "new"
DONE = "done"
BAD = "bad"
FAILED = "failed"


_INBOX = cast(Table, InboxRow.__table__)
_SETTLE = (
    update(_INBOX)
    .where(_INBOX.c.update_id.in_(bindparam("ids", expanding=True)), _INBOX.c.state == NEW)
    .values(state=bindparam("state"), note=bindparam("note"))
)
"""Built once (each update settles its receipt), on the table (no ORM bookkeeping): the ids,
state and note are bound."""


async def mark_handled(session: AsyncSession, update_ids: Sequence[int]) -> None:
    """In the transaction of the updates' effect: they are handled."""
    await session.execute(_SETTLE, {"ids": list(update_ids), "state": DONE, "note": None})


class SqlInbox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def receive(self, updates: Sequence[tuple[int, str]], now: datetime) -> set[int]:
        """Record the updates not seen before, in one transaction; the ids of those still to
        handle (new now, or recorded earlier and never handled)."""
        if not updates:
            return set()
        ids = [update_id for update_id, _ in updates]
        async with self.sessions() as session:
            values = [
                {"update_id": i, "received_at": now, "raw": r, "state": NEW} for i, r in updates
            ]
            query: Any
            if session.get_bind().dialect.name == "postgresql":
                query = pg_insert(_INBOX).values(values).on_conflict_do_nothing()
            else:
                query = sqlite_insert(_INBOX).values(values).on_conflict_do_nothing()
            await session.execute(query)
            pending = await session.scalars(
                select(_INBOX.c.update_id).where(_INBOX.c.update_id.in_(ids), _INBOX.c.state == NEW)
            )
            result = set(pending)
            await session.commit()
        return result

    async def pending(self) -> list[tuple[int, str]]:
        """Updates recorded and never handled, in the order Telegram sent them."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(InboxRow.update_id, InboxRow.raw)
                .where(InboxRow.state == NEW)
                .order_by(InboxRow.update_id)
            )
            return [(i, r) for i, r in rows]

    async def settle(
        self, update_ids: Sequence[int], state: str = DONE, note: str | None = None
    ) -> None:
        async with self.sessions() as session:
            await session.execute(_SETTLE, {"ids": list(update_ids), "state": state, "note": note})
            await session.commit()

    async def state_of(self, update_id: int) -> str | None:
        async with self.sessions() as session:
            state: str | None = await session.scalar(
                select(InboxRow.state).where(InboxRow.update_id == update_id)
            )
            return state

    async def prune(self, before: datetime) -> int:
        """Forget handled updates received before `before` (never unhandled ones)."""
        async with self.sessions() as session:
            result = await session.execute(
                delete(InboxRow).where(InboxRow.received_at < before, InboxRow.state != NEW)
            )
            await session.commit()
            return int(getattr(result, "rowcount", 0) or 0)

"""Replies that need no answer from Telegram are sent after the update is handled.

Telegram lets a bot send about one message a second into a private chat, so a person who
presses buttons quickly has replies queued for that chat. A handler that waited for its reply
held the person's next update, and every update behind it, for that second. A handler instead
gives such a reply (the redrawn menu, "done", a prompt, the next page) to `later`. While an
update is handled (`collecting`, the inbox's), these are kept in order. If the update is
handled, they go to the chat's queue of replies (`bot/replies.py`), in order, and the handler
does not wait for Telegram. If its write is retried, they are dropped, so a retry does not
say things twice.

A reply whose result the handler needs (the message id of a card it stores) is still awaited.
That request first lets the replies already given go out, so the person reads everything in
the order it was said. Without `collecting` (a handler run outside the inbox), `later` sends at
once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aiogram.methods import TelegramMethod


@dataclass
class Batch:
    """The replies one update has given so far."""

    update_id: int
    methods: list[TelegramMethod[Any]] = field(default_factory=list)
    closed: bool = False
    """The update's handling is over: a task it started and that outlived it (an album
    waiting for its other parts) sends at once."""

    def take(self) -> list[TelegramMethod[Any]]:
        taken, self.methods = self.methods, []
        return taken


_batch: ContextVar[Batch | None] = ContextVar("otklik_replies", default=None)


async def later(method: TelegramMethod[Any]) -> None:
    """Send `method` once the update is handled, in order with the chat's other replies (at
    once outside the inbox). Its failure is logged, not raised: use it only for replies whose
    outcome changes nothing (a refused edit of an unchanged card, a blocked bot)."""
    batch = _batch.get()
    if batch is None or batch.closed:
        await method
    else:
        batch.methods.append(method)


@contextmanager
def collecting(update_id: int) -> Iterator[Batch]:
    """Keep the replies given while the body runs (one attempt at an update)."""
    batch = Batch(update_id)
    token = _batch.set(batch)
    try:
        yield batch
    finally:
        batch.closed = True
        _batch.reset(token)


def current() -> Batch | None:
    """The replies of the update being handled here, if any."""
    batch = _batch.get()
    return None if batch is None or batch.closed else batch

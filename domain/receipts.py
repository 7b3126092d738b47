"""Which Telegram updates the change being made answers: the inbox's receipt.

The bot records every update it receives before acknowledging it (the inbox, `bot/inbox.py`)
and handles it with a `Receipt` in the context. The first unit of work that commits while a
receipt is current marks its updates handled in the same transaction as their effect, so an
update redelivered after a crash or a webhook retry finds itself handled and changes nothing,
and one whose effect never committed is handled again at the next start.

A handler whose effect comes later (the messages of an album, registered together once the
album is complete) defers the receipt: the inbox does not settle it when the handler returns,
and the delayed work settles it (`holding` a receipt of all the album's updates).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(slots=True)
class Receipt:
    update_ids: tuple[int, ...]
    deferred: bool = False
    """The effect comes after the handler returns; whoever defers settles."""
    recorded: bool = False
    """A commit has marked the updates handled already."""
    settle: Callable[[Receipt], Awaitable[None]] | None = field(default=None, repr=False)
    """Marks the updates handled with no change of their own (the inbox sets it)."""

    async def done(self) -> None:
        """Mark the updates handled unless a commit did."""
        if not self.recorded and self.settle is not None:
            await self.settle(self)
            self.recorded = True


_CURRENT: ContextVar[Receipt | None] = ContextVar("otklik_receipt", default=None)


def current() -> Receipt | None:
    return _CURRENT.get()


@contextmanager
def holding(receipt: Receipt | None) -> Iterator[Receipt | None]:
    token = _CURRENT.set(receipt)
    try:
        yield receipt
    finally:
        _CURRENT.reset(token)


def combined(receipts: list[Receipt]) -> Receipt | None:
    """One receipt for the updates of several deferred ones (an album)."""
    if not receipts:
        return None
    ids = tuple(i for r in receipts for i in r.update_ids)
    return Receipt(ids, deferred=True, settle=receipts[0].settle)

"""Each chat's queue of replies given with `handlers.replies.later`, sent in order behind the
update that gave them (that module says why).

One task per chat with replies waiting sends them one after another through the bot, so the
`Throttle` spaces them as Telegram asks. An edit of a message that a later edit still waiting
in the queue replaces is not sent: a person paging quickly through a menu sees the last page
without waiting for each one before it. Every other request to a chat (a reply the handler
awaits, the sender's notices) first waits for that chat's queue to empty, so nothing
overtakes what was said before it. A failed reply is logged, never raised. At a stop the
queues get a grace period to empty.

What a reply costs is logged (DEBUG) beside the update that gave it:
`reply of update N SendMessage: cpu X ms, waited X ms, wall X ms`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import EditMessageReplyMarkup, EditMessageText, TelegramMethod

from handlers.replies import Batch, current
from storage.metering import CpuMeter

log = logging.getLogger("otklik.replies")

_sending: contextvars.ContextVar[bool] = contextvars.ContextVar("otklik_reply_lane", default=False)


@dataclass
class _Queued:
    method: TelegramMethod[Any]
    update_id: int
    queued: float


@dataclass
class _Lane:
    queue: deque[_Queued] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None
    given: int = 0
    """Replies put in the queue so far."""
    settled: int = 0
    """Replies of those sent, refused or replaced: the queue is in order, so the first
    `settled` given are behind."""
    waiters: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)
    """Other requests to the chat, each waiting until the replies given before it are behind."""
    turns: int = 0
    """Such requests let go and not finished: the queue waits for them (they came first)."""
    turns_over: asyncio.Event = field(default_factory=asyncio.Event)

    def advance(self, count: int = 1) -> None:
        self.settled += count
        keep = []
        for upto, waiter in self.waiters:
            if self.settled >= upto or self.task is None:
                if not waiter.done():
                    waiter.set_result(None)
                    self.turns += 1
                    self.turns_over.clear()
            else:
                keep.append((upto, waiter))
        self.waiters = keep

    def turn_ended(self) -> None:
        self.turns -= 1
        if self.turns == 0:
            self.turns_over.set()


def _replaces(later: TelegramMethod[Any], earlier: TelegramMethod[Any]) -> bool:
    """Whether sending `later` leaves nothing of `earlier` to see: both edit the same message,
    and `later` sets everything `earlier` sets (a text edit sets the text and the keyboard)."""
    if not isinstance(earlier, EditMessageText | EditMessageReplyMarkup):
        return False
    if not isinstance(later, EditMessageText | EditMessageReplyMarkup):
        return False
    if isinstance(earlier, EditMessageText) and not isinstance(later, EditMessageText):
        return False
    return (
        earlier.message_id is not None
        and earlier.inline_message_id is None
        and later.inline_message_id is None
        and (later.chat_id, later.message_id) == (earlier.chat_id, earlier.message_id)
    )


class Replies:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._lanes: dict[Any, _Lane] = {}
        self.sent = 0
        self.failed = 0
        self.replaced = 0

    def put(self, batch: Batch) -> None:
        """Queue what an update said, in order, each to its chat."""
        for method in batch.take():
            self._put(method, batch.update_id)

    def _put(self, method: TelegramMethod[Any], update_id: int) -> None:
        chat = getattr(method, "chat_id", None)
        lane = self._lanes.get(chat)
        if lane is None:
            lane = self._lanes[chat] = _Lane()
        lane.queue.append(_Queued(method, update_id, time.perf_counter()))
        lane.given += 1
        if isinstance(method, EditMessageText | EditMessageReplyMarkup):
            # An earlier edit of the same message that this one replaces leaves the queue (a
            # request that was waiting for it now waits only for the replies before it).
            kept = deque(
                q for q in lane.queue if q.method is method or not _replaces(method, q.method)
            )
            self.replaced += len(lane.queue) - len(kept)
            lane.queue = kept
        if lane.task is None:
            # An empty context: the lane belongs to no update.
            lane.task = asyncio.create_task(
                self._run(chat, lane), name=f"replies-{chat}", context=contextvars.Context()
            )

    def waiting(self) -> int:
        """Replies in the queues."""
        return sum(len(lane.queue) for lane in self._lanes.values())

    def held(self, chat: Any) -> int:
        """Requests to `chat` waiting for the replies given before them."""
        lane = self._lanes.get(chat)
        return len(lane.waiters) if lane is not None else 0

    @contextlib.asynccontextmanager
    async def turn(self, chat: Any) -> AsyncIterator[None]:
        """Around another request to `chat`: what was said to it before goes out first (the
        replies the update in hand has given so far included), and replies given after it
        wait until it is done."""
        if _sending.get():
            yield
            return
        batch = current()
        if batch is not None and batch.methods:
            self.put(batch)
        lane = self._lanes.get(chat)
        if lane is None:
            yield
            return
        waiter = asyncio.get_running_loop().create_future()
        lane.waiters.append((lane.given, waiter))
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                lane.turn_ended()
            else:
                lane.waiters = [w for w in lane.waiters if w[1] is not waiter]
            raise
        try:
            yield
        finally:
            lane.turn_ended()

    async def _run(self, chat: Any, lane: _Lane) -> None:
        _sending.set(True)
        try:
            while lane.queue:
                await self._send(lane.queue.popleft())
                lane.advance(lane.given - len(lane.queue) - lane.settled)
                if lane.turns:  # requests that waited for what was just sent go before the rest
                    await lane.turns_over.wait()
        finally:
            if self._lanes.get(chat) is lane:
                del self._lanes[chat]
            lane.task = None
            lane.advance(0)  # nothing more will be sent from it: whoever waits goes on

    async def _send(self, item: _Queued) -> None:
        name = type(item.method).__name__
        started = time.perf_counter()
        cpu = CpuMeter()
        try:
            await cpu.run(self.bot(item.method))
            self.sent += 1
        except TelegramBadRequest as exc:
            if "not modified" in str(exc):  # the card already shows it
                self.sent += 1
            else:
                self.failed += 1
                log.warning("reply of update %d (%s) refused: %s", item.update_id, name, exc)
        except TelegramForbiddenError as exc:
            self.failed += 1
            log.info("reply of update %d (%s) not delivered: %s", item.update_id, name, exc)
        except Exception:  # one reply's failure stops neither its chat's queue nor the bot
            self.failed += 1
            log.exception("reply of update %d (%s) failed", item.update_id, name)
        finally:
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "reply of update %d %s: cpu %.3f ms, waited %.3f ms, wall %.3f ms",
                    item.update_id,
                    name,
                    cpu.seconds * 1000,
                    (started - item.queued) * 1000,
                    (time.perf_counter() - started) * 1000,
                )

    async def drain(self, grace: float) -> None:
        """Wait up to `grace` seconds for the queues to empty; what is left is not sent."""
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        if not tasks:
            return
        _, left = await asyncio.wait(tasks, timeout=grace)
        lost = self.waiting()
        for task in left:
            task.cancel()
        if left:
            log.warning("%d replies not sent at the stop", lost)

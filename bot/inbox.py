"""The inbox: no update lost, none applied twice.

Every update is recorded raw in the database (`storage/inbox.py`) before Telegram is told it
arrived: in polling mode the next `getUpdates` offset moves past a batch only once the batch is
recorded; in webhook mode the HTTP answer comes once the update is handled. The update is then
handled with a `Receipt` in the context (`domain/receipts.py`), so the unit of work that commits
its effect marks it handled in the same transaction; updates with no effect of their own (menus,
lists, refusals) are marked by the inbox's own task, those handled meanwhile in one statement.
After a crash the updates recorded and not handled are handled at the next start; a redelivered
update (a webhook retry, polling after a crash) finds itself handled and changes nothing.

An update aiogram cannot parse (a newer Bot API) is kept raw, marked `bad`, logged and reported
to the administrators; it never blocks the queue. Updates of one person (or chat) are handled in
the order they came; different people's concurrently. A write that finds the database locked (or
a PostgreSQL serialization failure) is retried whole while nothing of it has committed; if it
still fails the person is told in Russian.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from pydantic import ValidationError

from domain.clock import Clock
from domain.receipts import Receipt, holding
from handlers import texts
from handlers.replies import Batch, collecting
from storage import metering
from storage.engine import is_transient
from storage.inbox import BAD, DONE, FAILED, SqlInbox

if TYPE_CHECKING:
    from bot.replies import Replies

log = logging.getLogger("otklik.inbox")

KEEP = timedelta(days=7)
"""Handled updates are remembered this long: far beyond Telegram's redelivery of a webhook."""
RETRIES = (0.5, 2.0, 5.0)
"""Waits before the repeated attempts of an update whose write found the database busy."""
BACKLOG = 512
"""Updates handed to handlers and not finished before polling waits for some to finish."""
CONCURRENCY = 16
SETTLE_RETRIES = (0.5, 2.0, 5.0)
"""Waits before marking a batch of handled updates again after a failure (a busy database)."""

BadUpdate = Callable[[int, str], Awaitable[None]]


def _key(raw: dict[str, Any]) -> str:
    """Whose update it is: one person's (or chat's) updates are handled in order."""
    for name, value in raw.items():
        if name == "update_id" or not isinstance(value, dict):
            continue
        who = value.get("from") or value.get("user")
        if isinstance(who, dict) and "id" in who:
            return f"u{who['id']}"
        chat = value.get("chat") or (value.get("message") or {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return f"c{chat['id']}"
    return "-"


def kind_of(raw: dict[str, Any]) -> str:
    """What an update is, for the log: `callback:i1:tm` (a button's prefix and action),
    `command:/tasks`, `forward`, `photo`, `text`, or the update's type."""
    callback = raw.get("callback_query")
    if isinstance(callback, dict):
        data = str(callback.get("data") or "")
        return "callback:" + ":".join(data.split(":")[:2])
    message = raw.get("message")
    if isinstance(message, dict):
        text = str(message.get("text") or "")
        if text.startswith("/"):
            return "command:" + text.split()[0].split("@")[0]
        if message.get("forward_origin"):
            return "forward"
        if message.get("photo") or message.get("document"):
            return "photo"
        return "text"
    return next((k for k in raw if k != "update_id"), "?")


def _chat_of(raw: dict[str, Any]) -> tuple[int | None, str | None]:
    """Where to tell the person their update failed: a chat id and a callback query's id."""
    callback = raw.get("callback_query")
    if isinstance(callback, dict):
        user = callback.get("from") or {}
        return (user.get("id") if isinstance(user, dict) else None), callback.get("id")
    message = raw.get("message")
    if isinstance(message, dict):
        chat = message.get("chat") or {}
        if isinstance(chat, dict) and chat.get("type") == "private":
            return chat.get("id"), None
    return None, None


@dataclass
class _Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class Inbox:
    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        store: SqlInbox,
        clock: Clock,
        *,
        on_bad: BadUpdate | None = None,
        retries: Iterable[float] = RETRIES,
        concurrency: int = CONCURRENCY,
        hold: Callable[[], Awaitable[None]] | None = None,
        replies: Replies | None = None,
    ) -> None:
        self.dp = dp
        self.bot = bot
        self.store = store
        self.clock = clock
        self.on_bad = on_bad
        self.retries = tuple(retries)
        self.hold = hold
        self.replies = replies
        """Where the replies a handler gives with `later` go once its update is handled;
        without it they are sent at once."""
        """Awaited before each update is handled (tests stop the bot in between)."""
        self._gate = asyncio.Semaphore(concurrency)
        self._lanes: dict[str, _Lane] = {}
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._stop = asyncio.Event()
        self._unsettled: list[int] = []
        self._settling: asyncio.Task[None] | None = None

    # ---- taking updates in ----------------------------------------------------------------

    async def take(self, raws: list[dict[str, Any]]) -> list[asyncio.Task[None]]:
        """Record the updates (one transaction) and start handling those not handled before,
        each after the earlier updates of the same person. The tasks handling them."""
        records = [(int(r["update_id"]), json.dumps(r, ensure_ascii=False)) for r in raws]
        todo = await self.store.receive(records, self.clock.now())
        started: list[asyncio.Task[None]] = []
        for raw in raws:
            update_id = int(raw["update_id"])
            running = self._inflight.get(update_id)
            if running is not None:
                started.append(running)
            elif update_id in todo:
                started.append(self._start(update_id, raw))
        return started

    async def replay(self) -> int:
        """Handle what was recorded and never handled (the bot stopped first)."""
        pending = await self.store.pending()
        for update_id, text in pending:
            try:
                raw = json.loads(text)
            except ValueError:
                await self.store.settle([update_id], BAD, "not JSON")
                continue
            if update_id not in self._inflight:
                self._start(update_id, raw)
        if pending:
            log.info("handling %d updates received before the last stop", len(pending))
        return len(pending)

    async def prune(self) -> None:
        removed = await self.store.prune(self.clock.now() - KEEP)
        if removed:
            log.info("inbox: forgot %d handled updates older than %s", removed, KEEP)

    def _start(self, update_id: int, raw: dict[str, Any]) -> asyncio.Task[None]:
        key = _key(raw)
        lane = self._lanes.setdefault(key, _Lane())
        lane.users += 1
        task = asyncio.create_task(self._run(update_id, raw, key, lane), name=f"update-{update_id}")
        self._inflight[update_id] = task
        return task

    async def _run(self, update_id: int, raw: dict[str, Any], key: str, lane: _Lane) -> None:
        try:
            async with lane.lock, self._gate:
                if self.hold is not None:
                    await self.hold()
                await self.handle(update_id, raw)
        except Exception:  # the inbox records failures; nothing may kill the loop
            log.exception("update %s: the inbox could not record its outcome", update_id)
        finally:
            lane.users -= 1
            if lane.users == 0:
                self._lanes.pop(key, None)
            self._inflight.pop(update_id, None)

    # ---- handling one update --------------------------------------------------------------

    async def handle(self, update_id: int, raw: dict[str, Any]) -> None:
        """Handle one update; the log (DEBUG) says what it cost: its own CPU (the loop's thread
        while this update ran), SQL statements, time, and the whole process's CPU meanwhile."""
        if not log.isEnabledFor(logging.DEBUG):
            await self._handle(update_id, raw)
            return
        meter, cpu = metering.start(), metering.CpuMeter()
        wall, process = time.perf_counter(), time.process_time()
        try:
            await cpu.run(self._handle(update_id, raw))
        finally:
            log.debug(
                "update %d %s: cpu %.3f ms, sql %d, wall %.3f ms, process cpu %.3f ms",
                update_id,
                kind_of(raw),
                cpu.seconds * 1000,
                meter.statements,
                (time.perf_counter() - wall) * 1000,
                (time.process_time() - process) * 1000,
            )

    async def _handle(self, update_id: int, raw: dict[str, Any]) -> None:
        try:
            update = Update.model_validate(raw, context={"bot": self.bot})
        except ValidationError as exc:
            reason = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]
            )
            log.warning("update %s cannot be parsed, skipped: %s", update_id, reason)
            await self.store.settle([update_id], BAD, reason[:2000])
            if self.on_bad is not None:
                await self.on_bad(update_id, reason)
            return
        attempts = (0.0, *self.retries)
        for number, pause in enumerate(attempts):
            if pause:
                await asyncio.sleep(pause)
            receipt = Receipt((update_id,), settle=self._settle)
            with contextlib.ExitStack() as scope:
                scope.enter_context(holding(receipt))
                batch = scope.enter_context(collecting(update_id)) if self.replies else None
                try:
                    await self.dp.feed_update(self.bot, update)
                except Exception as exc:
                    transient = is_transient(exc) and not receipt.recorded
                    if transient and number + 1 < len(attempts):
                        # nothing of this attempt was written; what it would have said, unsaid
                        log.warning("update %s: database busy, trying again (%s)", update_id, exc)
                        continue
                    failure: Exception | None = exc
                else:
                    failure = None
            if failure is None or receipt.recorded:  # what it said of an unwritten effect: unsaid
                self._said(batch)
            if failure is not None:
                log.error("update %s failed", update_id, exc_info=failure)
                await self._apologise(raw, busy=is_transient(failure) and not receipt.recorded)
                if not receipt.recorded:
                    await self._settle_failed(update_id, repr(failure)[:2000])
                return
            if not receipt.deferred:
                await receipt.done()
            return

    def _said(self, batch: Batch | None) -> None:
        if self.replies is not None and batch is not None:
            self.replies.put(batch)

    async def _settle_failed(self, update_id: int, note: str) -> None:
        """Record the failure, waiting out a lock: left `new`, the update would be handled
        again at the next start although the person was told it did not go through."""
        for pause in (0.0, 0.5, 2.0, 5.0, 10.0):
            await asyncio.sleep(pause)
            try:
                await self.store.settle([update_id], FAILED, note)
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
        log.error("update %s: its failure could not be recorded", update_id)

    async def _settle(self, receipt: Receipt) -> None:
        """Updates handled with no change of their own (a menu, a list, a refusal): marked
        handled together, in one transaction for all those handled meanwhile, by a task of
        their own; an update's own handling does not wait for it. Until the mark lands such an
        update counts as unhandled: after a crash it is handled again, which changes nothing
        (it changed nothing), as a redelivered update is."""
        self._unsettled.extend(receipt.update_ids)
        if self._settling is None or self._settling.done():
            self._settling = asyncio.create_task(self._settle_batches(), name="inbox-settle")

    async def _settle_batches(self) -> None:
        failures = 0
        while self._unsettled:
            await asyncio.sleep(0)  # the updates finishing in this turn of the loop join in
            ids, self._unsettled = self._unsettled, []
            try:
                await self.store.settle(ids, DONE)
                failures = 0
            except Exception as exc:
                failures += 1
                if failures > len(SETTLE_RETRIES):
                    log.exception("inbox: %d handled updates not marked; again at start", len(ids))
                    return
                log.warning("inbox: marking %d updates handled failed (%s)", len(ids), exc)
                self._unsettled[:0] = ids
                await asyncio.sleep(SETTLE_RETRIES[failures - 1])

    async def settled(self) -> None:
        """Wait until the updates handled with no change of their own are marked handled."""
        while self._settling is not None and not self._settling.done():
            await asyncio.shield(self._settling)

    async def _apologise(self, raw: dict[str, Any], *, busy: bool) -> None:
        """The person is told their action did not go through, so they can repeat it."""
        chat_id, callback_id = _chat_of(raw)
        text = texts.UPDATE_BUSY if busy else texts.UPDATE_FAILED
        with contextlib.suppress(Exception):
            if callback_id is not None:
                await self.bot.answer_callback_query(callback_id, text=text, show_alert=True)
            elif chat_id is not None:
                await self.bot.send_message(chat_id, text)

    # ---- polling ----------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    async def poll(self, *, long_poll: int, grace: float) -> None:
        """Long-poll Telegram until `stop()`. A batch is acknowledged (the next offset) only
        once it is recorded; at the stop, what is in hand gets `grace` seconds to finish (what
        does not is handled at the next start)."""
        await self.prune()
        await self.replay()
        allowed = self.dp.resolve_used_update_types()
        offset: int | None = None
        failures = 0
        session = await self.bot.session.create_session()  # type: ignore[attr-defined]
        url = self.bot.session.api.api_url(self.bot.token, "getUpdates")
        stopping = asyncio.create_task(self._stop.wait())
        try:
            while not self._stop.is_set():
                if len(self._inflight) >= BACKLOG:
                    await asyncio.wait(
                        [stopping, *self._inflight.values()], return_when=asyncio.FIRST_COMPLETED
                    )
                    continue
                params: dict[str, Any] = {"timeout": long_poll, "allowed_updates": allowed}
                if offset is not None:
                    params["offset"] = offset
                fetch = asyncio.create_task(self._fetch(session, url, params, long_poll))
                await asyncio.wait([fetch, stopping], return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    fetch.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await fetch
                    break
                try:
                    raws = fetch.result()
                    if raws:
                        await self.take(raws)  # recorded: the next offset acknowledges them
                        offset = max(int(r["update_id"]) for r in raws) + 1
                    failures = 0
                except _RetryAfter as exc:
                    await self._pause(exc.seconds)
                except Exception as exc:
                    failures += 1
                    wait = min(30.0, 0.5 * 2 ** min(failures, 6))
                    log.warning("getUpdates failed (%s); again in %.1f s", exc, wait)
                    await self._pause(wait)
        finally:
            stopping.cancel()
            await self.drain(grace)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _fetch(
        self, session: aiohttp.ClientSession, url: str, params: dict[str, Any], long_poll: int
    ) -> list[dict[str, Any]]:
        limit = aiohttp.ClientTimeout(total=long_poll + 30)
        async with session.post(url, json=params, timeout=limit) as response:
            body = await response.json(content_type=None)
        if not isinstance(body, dict):
            raise RuntimeError(f"getUpdates: HTTP {response.status}")
        if not body.get("ok"):
            retry = (body.get("parameters") or {}).get("retry_after")
            if retry:
                raise _RetryAfter(float(retry))
            raise RuntimeError(f"getUpdates: {body.get('error_code')} {body.get('description')}")
        result = body.get("result") or []
        return [r for r in result if isinstance(r, dict) and isinstance(r.get("update_id"), int)]

    async def drain(self, grace: float) -> None:
        """Wait up to `grace` seconds for the updates in hand; the rest stay recorded."""
        tasks = list(self._inflight.values())
        left: set[asyncio.Task[None]] = set()
        if tasks:
            _, left = await asyncio.wait(tasks, timeout=grace)
        for task in left:
            task.cancel()
        if left:
            log.warning("%d updates not finished at the stop; handled at the next start", len(left))
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.settled(), max(grace, 1.0))


class _RetryAfter(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds

"""The one sender: every notice written to the outbox reaches Telegram from here.

Notices are rows written in the same transaction as the change that caused them, so a crash
loses none: what was not marked sent is sent after the restart. Several senders (bot instances
on one PostgreSQL database) may run at once: each claims a batch under a lease, so a notice is
sent once, per chat in the order written; a dead sender's claims return when its lease ends,
or at once when the bot restarts on the same host (`Sender.recover`). Cards are rendered from the
current state at send time and edited in place. Telegram's limits are kept (about 30 messages
a second overall, one a second per chat: `bot.throttle`); a 429 is waited out; 5xx and
network errors are retried with backoff; a 403 (the person blocked the bot) is recorded and the
curator told. A notice of several messages (a report: text, chart, workbook) records each part
as it goes out (`Parts`), so a retry or a restart sends only what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup

from domain.people import StaffMember
from domain.ports import CardRef
from domain.services import Services
from domain.staffing import bot_blocked
from domain.timers import Lane, NoticeKind, OutboxMessage, Timer
from handlers import texts
from handlers.cardbuild import CardData, draw, read_card
from handlers.render import duration, moment, time_left, timer_name

log = logging.getLogger("otklik.sender")

MAX_ATTEMPTS = 8
BATCH = 50
TELEGRAM_TEXT_LIMIT = 4096
LEASE = timedelta(minutes=5)
"""How long a claimed notice is this sender's; a crashed sender's notices go to another after."""
LEASE_USE = 0.8
"""No new send starts after this share of the lease: what is left is given back, so a slow
round (429 waits) never sends a notice whose lease another sender may already have taken."""


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 2 ** min(attempts, 8)))


def sender_token() -> str:
    """Who claims: host, process and a random part, so two instances never share one."""
    return f"{_host()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _host() -> str:
    return socket.gethostname()[:40]


def is_gone(token: str) -> bool:
    """Whether the sender of `token` is surely gone: it ran on this host in a process that no
    longer exists, or under this very process id (an earlier life of this process, as in a
    restarted container). Other hosts' senders are never judged: their leases run out."""
    host, _, rest = token.partition(":")
    pid_text, _, _ = rest.partition(":")
    if host != _host() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class ClaimLost(Exception):
    """The notice being sent is no longer this sender's (its lease ended and another sender
    took it): this one stops sending it."""


class Parts:
    """The messages of one notice that takes several (a report: text chunks, a chart, a
    workbook), sent in order through `send`. The count of parts delivered is committed on the
    notice after each one (`Outbox.advance`), and the parts a former attempt delivered are
    skipped: a retry after a 5xx, a network error or a restart goes on where the last attempt
    stopped instead of sending the text again. A renderer must make the same parts in the same
    order each time it is called for a notice."""

    def __init__(self, sender: Sender, notice: OutboxMessage) -> None:
        self.bot = sender.bot
        self._sender = sender
        self._notice = notice
        self._delivered = notice.progress
        self._next = 0

    def pending(self, count: int = 1) -> bool:
        """Whether any of the next `count` parts is still to be sent (what a former attempt
        delivered need not even be rendered again)."""
        return self._next + count > self._delivered

    async def send(self, part: Callable[[], Awaitable[object]]) -> bool:
        """Send the next part unless a former attempt did; whether it was sent now."""
        index = self._next
        self._next += 1
        if index < self._delivered:
            return False
        await part()
        self._delivered = index + 1
        await self._sender.advance(self._notice, self._delivered)
        return True


Renderer = Callable[[Parts, int, OutboxMessage], Awaitable[None]]
"""Renders notices of one kind to a chat (`Sender.renderers`), through `Parts`."""


class Sender:
    """Delivers the outbox. Several may run at once (bot instances on one PostgreSQL database):
    each claims a batch under a lease (`Outbox.claim`), so a notice goes out once, and per chat
    in the order written."""

    def __init__(
        self,
        services: Services,
        bot: Bot,
        *,
        interval: float = 5.0,
        lease: timedelta = LEASE,
        batch: int = BATCH,
        token: str | None = None,
        lane: Lane | None = None,
    ) -> None:
        self.services = services
        self.bot = bot
        self.interval = interval
        self.lease = lease
        self.batch = batch
        self.token = token or sender_token()
        self.lane = lane
        """The share of the outbox this sender delivers (None: all of it)."""
        self._wake = asyncio.Event()
        self._stopping = False
        self.renderers: dict[NoticeKind, Renderer] = {}
        """Notices rendered elsewhere (reports with files: `bot.reporting`), by kind."""
        self._drawn: dict[int, _Drawn] = {}
        """This round's incidents whose cards are being delivered (see `_drawn_for`)."""
        self._covered: set[int] = set()
        """Card notices of this round already covered by a card drawn after them."""

    def kick(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        try:
            await self.recover()
        except Exception:
            log.exception("could not take back the claims of senders that are gone")
        while not self._stopping:
            try:
                while not self._stopping and await self.deliver_once():
                    pass
            except Exception:
                log.exception("delivery round failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def recover(self) -> int:
        """Give back the claims of senders of this host that are gone (killed, crashed), so
        their notices go out now rather than when their lease ends; how many."""
        async with self.services.uow_factory() as uow:
            released = 0
            for token in await uow.outbox.claimants(self.services.clock.now()):
                if token != self.token and is_gone(token):
                    released += await uow.outbox.release_all(token)
            await uow.commit()
        if released:
            log.warning("took back %d notices claimed by senders that are gone", released)
        return released

    async def deliver_once(self) -> int:
        """Claim what may be sent now and deliver it; the number of notices handled.

        The claim is committed before anything is sent. What is not handled in this round
        (stopping, a 429, the lease running short, an unexpected error) is given back."""
        services = self.services
        now = services.clock.now()
        async with services.uow_factory() as uow:
            claimed = await uow.outbox.claim(
                self.batch, now, self.lease, by=self.token, lane=self.lane
            )
            staff = {m.id: m for m in await uow.staff.all() if m.id is not None} if claimed else {}
            await uow.commit()
        if not claimed:
            return 0
        use_until = now + self.lease * LEASE_USE
        done = 0
        wait: float | None = None
        self._drawn.clear()
        self._covered.clear()
        try:
            for notice in claimed:
                if self._stopping or services.clock.now() >= use_until:
                    break
                if notice.id in self._covered:  # marked sent with an earlier card of this round
                    done += 1
                    continue
                wait = await self._handle(notice, staff)
                if wait is not None:
                    break
                done += 1
        except BaseException:
            # The notice in hand may have gone out: its lease decides; the rest goes back.
            await self._release(claimed[done + 1 :])
            raise
        await self._release(claimed[done:])
        if wait is not None:
            log.warning("Telegram asks to wait %s s", wait)
            await asyncio.sleep(wait)
            return done + 1
        return done

    async def _handle(self, notice: OutboxMessage, staff: dict[int, StaffMember]) -> float | None:
        """Deliver one notice and record the outcome; a 429's wait (the notice stays unsent)."""
        covered: Sequence[int] = ()
        if notice.kind is NoticeKind.CARD and notice.incident_id is not None:
            drawn = await self._drawn_for(notice.incident_id)
            covered = drawn.covers.get(notice.id or 0, ())
        ref: CardRef | None = None
        try:
            ref = await self._deliver(notice, staff)
        except TelegramRetryAfter as exc:
            return float(exc.retry_after)
        except TelegramForbiddenError as exc:
            await self._blocked(notice, staff, str(exc))
        except (TelegramServerError, TelegramNetworkError) as exc:
            await self._postpone(notice, str(exc))
        except TelegramBadRequest as exc:
            log.error("notice %s refused by Telegram: %s", notice.id, exc)
            await self._fail(notice, str(exc))
        except ClaimLost:
            log.warning("notice %s was taken by another sender while being sent", notice.id)
        else:
            await self._mark_sent(notice, covered, ref)
            self._covered.update(covered)
        return None

    async def _drawn_for(self, incident_id: int) -> _Drawn:
        """The incident as its cards show it, read once a round for all its card notices,
        with each person's card message and, in the same read, the unsent card notices: a
        card drawn from this read covers the later notices of its person written before it
        (their change is in it), never one written after."""
        drawn = self._drawn.get(incident_id)
        if drawn is None:
            async with self.services.uow_factory() as uow:
                unsent = await uow.outbox.unsent_cards(incident_id)
                refs = {c.person_id: c for c in await uow.cards.of_incident(incident_id)}
                data = await read_card(self.services, incident_id, uow)
            covers: dict[int, list[int]] = {}
            for n, (notice_id, person_id) in enumerate(unsent):
                covers[notice_id] = [i for i, p in unsent[n + 1 :] if p == person_id]
            drawn = self._drawn[incident_id] = _Drawn(data, refs, covers)
        return drawn

    async def _release(self, notices: Sequence[OutboxMessage]) -> None:
        ids = [n.id for n in notices if n.id is not None]
        if not ids:
            return
        try:
            async with self.services.uow_factory() as uow:
                await uow.outbox.release(ids, self.token)
                await uow.commit()
        except Exception:
            log.exception("could not give back %d claimed notices; their lease will end", len(ids))

    async def advance(self, notice: OutboxMessage, progress: int) -> None:
        """Commit that the first `progress` parts of `notice` went out (see `Parts`), and keep
        the lease on it running while the rest is sent; `ClaimLost` if it is no longer ours."""
        assert notice.id is not None
        async with self.services.uow_factory() as uow:
            until = self.services.clock.now() + self.lease
            ours = await uow.outbox.advance(notice.id, progress, by=self.token, until=until)
            await uow.commit()
        if not ours:
            raise ClaimLost(notice.id)

    async def _mark_sent(
        self, notice: OutboxMessage, covered: Sequence[int] = (), card: CardRef | None = None
    ) -> None:
        """Sent; a card also covers the later card notices of the same person and incident
        that were queued before it was drawn; a card sent as a new message is recorded with
        it, to be edited next time."""
        assert notice.id is not None
        async with self.services.uow_factory() as uow:
            at = self.services.clock.now()
            if card is not None:
                await uow.cards.put(card)
            await uow.outbox.mark_sent(notice.id, at)
            for message_id in covered:
                await uow.outbox.mark_sent(message_id, at)
            await uow.commit()

    async def _fail(self, notice: OutboxMessage, reason: str) -> None:
        assert notice.id is not None
        async with self.services.uow_factory() as uow:
            await uow.outbox.mark_failed(notice.id, reason[:500])
            await uow.commit()

    async def _postpone(self, notice: OutboxMessage, reason: str) -> None:
        assert notice.id is not None
        if notice.attempts + 1 >= MAX_ATTEMPTS:
            await self._fail(notice, reason)
            return
        until = self.services.clock.now() + backoff(notice.attempts)
        async with self.services.uow_factory() as uow:
            await uow.outbox.postpone(notice.id, until, reason[:500])
            await uow.commit()

    async def _blocked(
        self, notice: OutboxMessage, staff: dict[int, StaffMember], reason: str
    ) -> None:
        await self._fail(notice, reason)
        person = staff.get(notice.recipient_id) if notice.recipient_id is not None else None
        if person is not None:
            await bot_blocked(
                self.services.uow_factory, self.services.clock, person.telegram_id, blocked=True
            )

    async def _send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> int:
        message = await self.bot.send_message(
            chat_id, text[:TELEGRAM_TEXT_LIMIT], reply_markup=markup
        )
        return message.message_id

    async def _deliver(
        self, notice: OutboxMessage, staff: dict[int, StaffMember]
    ) -> CardRef | None:
        """Send the notice; a card sent as a new message comes back, to be recorded."""
        person = staff.get(notice.recipient_id) if notice.recipient_id is not None else None
        chat_id = (
            notice.chat_id
            if notice.chat_id is not None
            else (person.telegram_id if person else None)
        )
        if chat_id is None:
            return None
        if notice.kind is NoticeKind.CARD:
            if person is None or notice.incident_id is None:
                return None
            return await self._card(notice.incident_id, person, chat_id)
        render = self.renderers.get(notice.kind)
        if render is not None:
            await render(Parts(self, notice), chat_id, notice)
            return None
        text = await self._text(notice, staff)
        if text:  # a reminder of a timer already stopped is obsolete: nothing to say
            await self._send(chat_id, text)
        return None

    async def _card(self, incident_id: int, person: StaffMember, chat_id: int) -> CardRef | None:
        """Edit the person's card of the incident, or send it anew (the new message comes
        back) when there is none or it can no longer be edited."""
        assert person.id is not None
        drawn = await self._drawn_for(incident_id)
        card = draw(self.services, drawn.data, person) if drawn.data is not None else None
        if card is None:
            return None
        text, markup = card
        ref = drawn.refs.get(person.id)
        if ref is not None:
            try:
                await self.bot.edit_message_text(
                    text=text,
                    chat_id=ref.chat_id,
                    message_id=ref.message_id,
                    reply_markup=markup,
                )
                return None
            except TelegramBadRequest as exc:
                if "not modified" in str(exc):
                    return None
                if "not found" not in str(exc) and "can't be edited" not in str(exc):
                    raise
        message_id = await self._send(chat_id, text, markup)
        sent = CardRef(incident_id, person.id, chat_id, message_id)
        drawn.refs[person.id] = sent
        return sent

    async def _deadline_text(
        self, notice: OutboxMessage, number: str, staff: dict[int, StaffMember]
    ) -> str:
        payload = notice.payload
        name = str(payload.get("timer", ""))
        what = timer_name(name, self.services.profile)
        zone = self.services.zone
        if notice.kind is NoticeKind.BREACH:
            ids = payload.get("holder_ids")
            if not isinstance(ids, list):  # queued before breaches named the people
                ids = [payload.get("holder_id")]
            names = [staff[i].full_name for i in ids if isinstance(i, int) and i in staff]
            due = str(payload.get("due") or "")
            shown = moment(datetime.fromisoformat(due), zone) if due else "?"
            return texts.BREACH.format(
                number=number,
                what=what,
                due=shown,
                clause=payload.get("clause", ""),
                holders=html.escape(", ".join(names)) if names else texts.NOBODY,
            )
        timer = await self._timer(notice)
        if timer is None or timer.due_at is None or timer.is_paused:
            return ""
        left, over = time_left(timer, self.services.clock.now(), self.services.rulers)
        if over:  # sent late (the bot was down, or Telegram was): say so, not "time left"
            return texts.REMINDER_LATE.format(
                number=number,
                what=what,
                due=moment(timer.due_at, zone),
                ago=duration(left),
                clause=timer.clause,
            )
        return texts.REMINDER.format(
            number=number,
            what=what,
            due=moment(timer.due_at, zone),
            left=duration(left, ceil=True),
            clause=timer.clause,
        )

    async def _timer(self, notice: OutboxMessage) -> Timer | None:
        if notice.incident_id is None:
            return None
        async with self.services.uow_factory() as uow:
            timers = await uow.timers.open_for(notice.incident_id)
        return next((t for t in timers if t.id == notice.payload.get("timer_id")), None)

    async def _text(self, notice: OutboxMessage, staff: dict[int, StaffMember]) -> str:
        payload = dict(notice.payload)
        if notice.kind is NoticeKind.TEXT:
            return str(payload.get("text", ""))
        if notice.kind is NoticeKind.REGISTERED:  # all it says is in it: nothing to read
            number = str(payload.get("number", notice.incident_id))
            return texts.registered(number, payload.get("files"), payload.get("repeats"))
        number = "?"
        summary = ""
        department = ""
        async with self.services.uow_factory() as uow:
            if notice.incident_id is not None:
                incident = await uow.incidents.get(notice.incident_id)
                if incident is not None:
                    number = incident.number or str(incident.id)
                    summary = html.escape((incident.source.text or incident.source.url or "")[:300])
            dep_id = payload.get("department_id")
            if isinstance(dep_id, int):
                dep = await uow.departments.get(dep_id)
                department = html.escape(dep.name) if dep else "?"
        if notice.kind is NoticeKind.SIGNIFICANT:
            return texts.SIGNIFICANT_ALERT.format(number=number, summary=summary)
        if notice.kind is NoticeKind.RETURNED:
            late = texts.RETURNED_LATE_MARK if payload.get("late") else ""
            return texts.RETURNED_NOTICE.format(
                number=number,
                department=department,
                late=late,
                reason=html.escape(str(payload.get("reason", ""))),
            )
        if notice.kind is NoticeKind.UPDATE_SKIPPED:
            return texts.UPDATE_SKIPPED_NOTICE.format(
                update_id=html.escape(str(payload.get("update_id", "?"))),
                reason=html.escape(str(payload.get("reason", ""))[:500]),
            )
        if notice.kind is NoticeKind.BLOCKED:
            return texts.BLOCKED_NOTICE.format(name=html.escape(str(payload.get("name", ""))))
        if notice.kind is NoticeKind.NOBODY_CAN_ACT:
            return texts.NOBODY_CAN_ACT.format(number=number, department=department)
        if notice.kind is NoticeKind.DECISION_NEEDED:
            return texts.DECISION_NEEDED.format(number=number)
        if notice.kind is NoticeKind.REVISION:
            reason = html.escape(str(payload.get("reason", "")))
            return texts.REVISION_NOTICE.format(number=number, reason=reason)
        if notice.kind is NoticeKind.AUTHOR_REPLIED:
            reply = html.escape(str(payload.get("text", "")))
            return texts.AUTHOR_REPLIED_NOTICE.format(number=number, text=reply)
        if notice.kind is NoticeKind.ALERT:
            event = str(payload.get("event", ""))
            table = (
                texts.ALERTS_TO_EXTERNAL
                if payload.get("to_external")
                else texts.ALERTS_PASSED_ON
                if payload.get("passed_on")
                else texts.ALERTS
            )
            template = table.get(event)
            if template is None:
                return ""
            return template.format(
                number=number,
                clause=html.escape(str(payload.get("clause", ""))),
                reason=html.escape(str(payload.get("reason", ""))),
                summary=summary,
            )
        if notice.kind is NoticeKind.PUBLICATION_FAILED:
            reason = html.escape(str(payload.get("reason", "")))
            return texts.PUBLICATION_FAILED_NOTICE.format(number=number, reason=reason)
        if notice.kind in {NoticeKind.REMINDER, NoticeKind.BREACH}:
            return await self._deadline_text(notice, number, staff)
        return str(payload.get("text", number))


@dataclass(slots=True)
class _Drawn:
    """An incident's cards in one delivery round (`Sender._drawn_for`)."""

    data: CardData | None
    refs: dict[int, CardRef]
    """Each person's card message, by person id."""
    covers: dict[int, list[int]] = field(default_factory=dict)
    """Card notice id -> the later unsent card notices of the same person."""

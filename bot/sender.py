"""The one sender: every notice written to the outbox reaches Telegram from here.

Notices are rows written in the same transaction as the change that caused them, so a crash
loses none: what was not marked sent is sent after the restart. Cards are rendered from the
current state at send time and edited in place. Telegram's limits are kept (about 30 messages
a second overall, one a second per chat: `bot.throttle`); a 429 is waited out; 5xx and
network errors are retried with backoff; a 403 (the person blocked the bot) is recorded and the
curator told.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
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
from domain.roles import Role
from domain.services import Services
from domain.timers import NoticeKind, OutboxMessage, Timer
from handlers import texts
from handlers.cardbuild import render_card
from handlers.render import duration, moment, time_left

log = logging.getLogger("otklik.sender")

MAX_ATTEMPTS = 8
BATCH = 50
TELEGRAM_TEXT_LIMIT = 4096


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 2 ** min(attempts, 8)))


class Sender:
    def __init__(
        self,
        services: Services,
        bot: Bot,
        *,
        interval: float = 5.0,
    ) -> None:
        self.services = services
        self.bot = bot
        self.interval = interval
        self._wake = asyncio.Event()
        self._stopping = False

    def kick(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            try:
                while await self.deliver_once():
                    pass
            except Exception:
                log.exception("delivery round failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def deliver_once(self) -> int:
        """Deliver what is pending now; the number of notices handled."""
        services = self.services
        now = services.clock.now()
        async with services.uow_factory() as uow:
            pending = await uow.outbox.pending(limit=BATCH, now=now)
            staff = {m.id: m for m in await uow.staff.all() if m.id is not None}
        handled = 0
        seen_cards: set[tuple[int | None, int | None]] = set()
        for notice in pending:
            assert notice.id is not None
            key = (notice.recipient_id, notice.incident_id)
            if notice.kind is NoticeKind.CARD and key in seen_cards:
                await self._mark_sent(notice)
                handled += 1
                continue
            try:
                await self._deliver(notice, staff)
            except TelegramRetryAfter as exc:
                log.warning("Telegram asks to wait %s s", exc.retry_after)
                await asyncio.sleep(exc.retry_after)
                return handled + 1
            except TelegramForbiddenError as exc:
                await self._blocked(notice, staff, str(exc))
            except (TelegramServerError, TelegramNetworkError) as exc:
                await self._postpone(notice, str(exc))
            except TelegramBadRequest as exc:
                log.error("notice %s refused by Telegram: %s", notice.id, exc)
                await self._fail(notice, str(exc))
            else:
                if notice.kind is NoticeKind.CARD:
                    seen_cards.add(key)
                await self._mark_sent(notice)
            handled += 1
        return handled

    async def _mark_sent(self, notice: OutboxMessage) -> None:
        assert notice.id is not None
        async with self.services.uow_factory() as uow:
            await uow.outbox.mark_sent(notice.id, self.services.clock.now())
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
        from dataclasses import replace

        await self._fail(notice, reason)
        person = staff.get(notice.recipient_id) if notice.recipient_id is not None else None
        if person is None or person.blocked_bot:
            return
        async with self.services.uow_factory() as uow:
            await uow.staff.update(replace(person, blocked_bot=True))
            curators = [
                m
                for m in staff.values()
                if m.active and m.id != person.id and Role.CURATOR in m.roles
            ]
            for curator in curators:
                await uow.outbox.add(
                    OutboxMessage(
                        id=None,
                        created_at=self.services.clock.now(),
                        kind=NoticeKind.TEXT,
                        recipient_id=curator.id,
                        incident_id=notice.incident_id,
                        payload={"text": texts.BLOCKED_NOTICE.format(name=person.full_name)},
                    )
                )
            await uow.commit()

    async def _send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> int:
        message = await self.bot.send_message(
            chat_id, text[:TELEGRAM_TEXT_LIMIT], reply_markup=markup
        )
        return message.message_id

    async def _deliver(self, notice: OutboxMessage, staff: dict[int, StaffMember]) -> None:
        person = staff.get(notice.recipient_id) if notice.recipient_id is not None else None
        chat_id = (
            notice.chat_id
            if notice.chat_id is not None
            else (person.telegram_id if person else None)
        )
        if chat_id is None:
            return
        if notice.kind is NoticeKind.CARD:
            if person is None or notice.incident_id is None:
                return
            await self._card(notice.incident_id, person, chat_id)
            return
        text = await self._text(notice, staff)
        if text:  # a reminder of a timer already stopped is obsolete: nothing to say
            await self._send(chat_id, text)

    async def _card(self, incident_id: int, person: StaffMember, chat_id: int) -> None:
        assert person.id is not None
        card = await render_card(self.services, incident_id, person)
        if card is None:
            return
        text, markup = card
        async with self.services.uow_factory() as uow:
            ref = await uow.cards.get(incident_id, person.id)
        if ref is not None:
            try:
                await self.bot.edit_message_text(
                    text=text,
                    chat_id=ref.chat_id,
                    message_id=ref.message_id,
                    reply_markup=markup,
                )
                return
            except TelegramBadRequest as exc:
                if "not modified" in str(exc):
                    return
                if "not found" not in str(exc) and "can't be edited" not in str(exc):
                    raise
        message_id = await self._send(chat_id, text, markup)
        async with self.services.uow_factory() as uow:
            await uow.cards.put(CardRef(incident_id, person.id, chat_id, message_id))
            await uow.commit()

    async def _deadline_text(
        self, notice: OutboxMessage, number: str, staff: dict[int, StaffMember]
    ) -> str:
        payload = notice.payload
        name = str(payload.get("timer", ""))
        what = texts.TIMERS.get(name, name)
        zone = self.services.zone
        if notice.kind is NoticeKind.BREACH:
            holder_id = payload.get("holder_id")
            holder = (
                staff[holder_id].full_name
                if isinstance(holder_id, int) and holder_id in staff
                else (texts.ROLES.get(str(payload.get("holder_role")), "?"))
            )
            due = str(payload.get("due") or "")
            shown = moment(datetime.fromisoformat(due), zone) if due else "?"
            return texts.BREACH.format(
                number=number,
                what=what,
                due=shown,
                clause=payload.get("clause", ""),
                holder=html.escape(holder),
            )
        timer = await self._timer(notice)
        if timer is None or timer.due_at is None:
            return ""
        left, _ = time_left(timer, self.services.clock.now(), self.services.rulers)
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
        if notice.kind is NoticeKind.PUBLICATION_FAILED:
            reason = html.escape(str(payload.get("reason", "")))
            return texts.PUBLICATION_FAILED_NOTICE.format(number=number, reason=reason)
        if notice.kind in {NoticeKind.REMINDER, NoticeKind.BREACH}:
            return await self._deadline_text(notice, number, staff)
        return str(payload.get("text", number))

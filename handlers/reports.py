"""/report (the head, deputies, the curator), /discipline (the discipline log) and /posted (the
curator marks an official post made). The report itself comes through the outbox: the sender
makes it from the database when it sends (bot/reporting.py)."""

from __future__ import annotations

from datetime import time, timedelta, tzinfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from domain.errors import DomainError
from domain.people import StaffMember
from domain.reports import (
    POSTERS,
    READERS,
    Period,
    parse_period,
    record_official_post,
    request_report,
)
from domain.roles import Role
from domain.services import Services
from handlers import texts
from handlers.errors import explain
from handlers.filters import When
from handlers.render import moment

FORMATS = ("xlsx", "csv")


def period_label(period: Period, zone: tzinfo) -> tuple[str, str]:
    """Whole local days read as "01.11.2026 — 30.11.2026", other bounds with their times."""
    start, end = period.start.astimezone(zone), period.end.astimezone(zone)
    if start.time() == time() and end.time() == time():
        return start.strftime("%d.%m.%Y"), (end - timedelta(days=1)).strftime("%d.%m.%Y")
    return start.strftime("%d.%m.%Y %H:%M"), end.strftime("%d.%m.%Y %H:%M")


def _request(message: Message) -> str:
    return f"{message.chat.id}:{message.message_id}"


async def _queue(
    message: Message,
    services: Services,
    member: StaffMember,
    period: Period,
    done: str,
    discipline: str | None = None,
) -> None:
    """Queue the report (or the discipline log) of `period` for the asker and say so."""
    try:
        await request_report(
            services.uow_factory,
            services.clock,
            member.telegram_id,
            period,
            request=_request(message),
            discipline=discipline,
        )
    except DomainError as exc:
        await message.answer(explain(exc))
        return
    services.kick()
    start, end = period_label(period, services.zone)
    await message.answer(done.format(start=start, end=end))


def make_router() -> Router:
    router = Router(name="reports")
    router.message.filter(When(F.chat.type == "private"))

    async def allowed(message: Message, member: StaffMember | None, roles: frozenset[Role]) -> bool:
        if member is None:
            await message.answer(texts.NOT_ON_STAFF)
            return False
        if not member.roles & roles:
            await message.answer(texts.NOT_ALLOWED)
            return False
        return True

    @router.message(Command("report"))
    async def on_report(
        message: Message, command: CommandObject, services: Services, member: StaffMember | None
    ) -> None:
        if not await allowed(message, member, READERS) or member is None:
            return
        period = parse_period(command.args or "", services.clock.now(), services.zone)
        if period is None:
            await message.answer(texts.REPORT_USAGE)
            return
        await _queue(message, services, member, period, texts.REPORT_QUEUED)

    @router.message(Command("discipline"))
    async def on_discipline(
        message: Message, command: CommandObject, services: Services, member: StaffMember | None
    ) -> None:
        if not await allowed(message, member, READERS) or member is None:
            return
        words = (command.args or "").split()
        fmt = "xlsx"
        if words and words[-1].casefold() in FORMATS:
            fmt = words.pop().casefold()
        period = parse_period(" ".join(words) or "month", services.clock.now(), services.zone)
        if period is None:
            await message.answer(texts.DISCIPLINE_USAGE)
            return
        await _queue(message, services, member, period, texts.DISCIPLINE_QUEUED, discipline=fmt)

    @router.message(Command("posted"))
    async def on_posted(
        message: Message, command: CommandObject, services: Services, member: StaffMember | None
    ) -> None:
        if not await allowed(message, member, POSTERS) or member is None:
            return
        try:
            previous = await record_official_post(
                services.uow_factory, services.clock, member.telegram_id, command.args
            )
        except DomainError as exc:
            await message.answer(explain(exc))
            return
        if previous is None:
            await message.answer(texts.POSTED_FIRST)
        else:
            await message.answer(texts.POSTED_OK.format(previous=moment(previous, services.zone)))

    return router

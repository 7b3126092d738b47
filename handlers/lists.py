"""/tasks (mine by urgency), /board (all open, overdue first), /find (by number or text)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from domain.incident import Incident
from domain.people import StaffMember
from domain.ports import CardRef, UnitOfWork
from domain.roles import CURATORS
from domain.rulebook import Move, Situation, moves, refusal, standing_in
from domain.services import Services
from domain.timers import Timer
from handlers import texts
from handlers.callbacks import IncCb
from handlers.cardbuild import render_card
from handlers.render import list_line

LIMIT = 30
OPEN = "op"


def _nearest(timers: Sequence[Timer]) -> datetime | None:
    dues = [t.due_at for t in timers if t.is_open and t.due_at is not None]
    return min(dues) if dues else None


_NOT_WORK = frozenset(
    {
        Move.VIEW,
        Move.PREVIEW,
        Move.LINK_REPEAT,
        Move.TAG,
        Move.SET_DETECTED,
        Move.NOT_SUBJECT,
        Move.PASS_EXTERNAL,
        Move.CONVERT,
        Move.REACTION,
        Move.CANNOT_PUBLISH,
        Move.AUTHOR_SILENT,
        Move.SET_DEADLINE,
        Move.RETURN,
    }
)
"""Moves that are no task by themselves: reading, and the options beside the next step (a
curator may mark any open message not subject, but that is not work waiting for them)."""
_CURATORS_OWN = frozenset(
    {Move.ASSIGN, Move.SEND_TO_HEAD, Move.AUTHOR_REPLIED, Move.RECORD_EXTERNAL, Move.PUBLISH}
)
"""A curator's tasks on the messages they registered (or hold for an absent colleague)."""


async def _mine(
    services: Services, member: StaffMember, rows: list[tuple[Incident, Sequence[Timer]]]
) -> list[tuple[Incident, Sequence[Timer]]]:
    """The person's tasks: what the rulebook lets them do now beyond reading it, or a deadline
    they hold (themselves, or for an absent colleague)."""
    now = services.clock.now()
    async with services.uow_factory() as uow:
        departments = {d.id: d for d in await uow.departments.all() if d.id is not None}
        acts_for, acting_departments = standing_in(
            member, await uow.staff.all(), services.routing.today(now)
        )
    ids = acts_for | {member.id or 0}
    found = []
    for incident, timers in rows:
        incident.clauses = dict(services.profile.clauses)
        situation = Situation(
            departments=departments,
            acts_for=acts_for,
            acting_departments=acting_departments,
            timers=timers,
        )
        allowed = moves(incident, member, services.profile, now, situation)
        held = any(t.is_open and t.holder_id in ids for t in timers)
        work = allowed - _NOT_WORK
        if member.roles & CURATORS and incident.curator_id not in ids:
            work -= _CURATORS_OWN  # another curator's message is theirs to route
        if work or (held and Move.VIEW in allowed):
            found.append((incident, timers))
    return found


async def _open_with_timers(services: Services) -> list[tuple[Incident, Sequence[Timer]]]:
    async with services.uow_factory() as uow:
        incidents = await uow.incidents.list_open(limit=1000)
        return [(i, await uow.timers.open_for(i.id)) for i in incidents if i.id is not None]


def _listing(
    title: str, rows: list[tuple[Incident, Sequence[Timer]]], services: Services
) -> tuple[str, InlineKeyboardMarkup | None]:
    now = services.clock.now()
    lines = [title]
    kb = InlineKeyboardBuilder()
    for incident, timers in rows[:LIMIT]:
        lines.append(list_line(incident, timers, now, services.rulers, services.zone))
        kb.button(
            text=f"№{incident.number or incident.id}",
            callback_data=IncCb(a=OPEN, i=incident.id or 0, v=incident.version),
        )
    if len(rows) > LIMIT:
        lines.append(texts.LIST_MORE.format(count=len(rows) - LIMIT))
    kb.adjust(5)
    return "\n".join(lines), (kb.as_markup() if rows else None)


def _by_urgency(
    rows: list[tuple[Incident, Sequence[Timer]]], now: datetime
) -> list[tuple[Incident, Sequence[Timer]]]:
    def key(row: tuple[Incident, Sequence[Timer]]) -> tuple[bool, float]:
        due = _nearest(row[1])
        if due is None:
            return (True, 0.0)
        return (False, (due - now).total_seconds())

    return sorted(rows, key=key)


async def _visible(
    services: Services,
    uow: UnitOfWork,
    member: StaffMember,
    rows: list[tuple[Incident, Sequence[Timer]]],
) -> list[tuple[Incident, Sequence[Timer]]]:
    """Only what the rulebook lets the person see: a search finds no other department's."""
    now = services.clock.now()
    departments = {d.id: d for d in await uow.departments.all() if d.id is not None}
    acts_for, acting_departments = standing_in(
        member, await uow.staff.all(), services.routing.today(now)
    )
    return [
        (incident, timers)
        for incident, timers in rows
        if refusal(
            Move.VIEW,
            incident,
            member,
            services.profile,
            now,
            Situation(
                departments=departments,
                acts_for=acts_for,
                acting_departments=acting_departments,
                timers=timers,
            ),
        )
        is None
    ]


def make_router() -> Router:
    router = Router(name="lists")
    router.message.filter(F.chat.type == "private")

    @router.message(Command("tasks"))
    async def on_tasks(message: Message, services: Services, member: StaffMember | None) -> None:
        if member is None:
            await message.answer(texts.NOT_ON_STAFF)
            return
        rows = await _mine(services, member, await _open_with_timers(services))
        if not rows:
            await message.answer(texts.TASKS_EMPTY)
            return
        text, markup = _listing(
            texts.TASKS_TITLE.format(count=len(rows)),
            _by_urgency(rows, services.clock.now()),
            services,
        )
        await message.answer(text, reply_markup=markup)

    @router.message(Command("board"))
    async def on_board(message: Message, services: Services, member: StaffMember | None) -> None:
        if member is None:
            await message.answer(texts.NOT_ON_STAFF)
            return
        if not services.profile.oversees(member.roles):
            await message.answer(texts.NOT_ALLOWED)
            return
        rows = await _open_with_timers(services)
        if not rows:
            await message.answer(texts.BOARD_EMPTY)
            return
        text, markup = _listing(
            texts.BOARD_TITLE.format(count=len(rows)),
            _by_urgency(rows, services.clock.now()),
            services,
        )
        await message.answer(text, reply_markup=markup)

    @router.message(Command("find"))
    async def on_find(
        message: Message, command: CommandObject, services: Services, member: StaffMember | None
    ) -> None:
        if member is None:
            await message.answer(texts.NOT_ON_STAFF)
            return
        query = (command.args or "").strip().lstrip("№")
        if not query:
            await message.answer(texts.FIND_USAGE)
            return
        async with services.uow_factory() as uow:
            found: list[Incident] = []
            exact = await uow.incidents.by_number(query)
            if exact is not None:
                found.append(exact)
            found += [
                i
                for i in await uow.incidents.search(query, limit=LIMIT)
                if i.id != (exact.id if exact else None)
            ]
            rows = [(i, await uow.timers.open_for(i.id)) for i in found if i.id is not None]
            rows = await _visible(services, uow, member, rows)
        if not rows:
            await message.answer(texts.FIND_EMPTY)
            return
        text, markup = _listing(texts.FIND_TITLE.format(count=len(rows)), rows, services)
        await message.answer(text, reply_markup=markup)

    @router.callback_query(IncCb.filter(F.a == OPEN))
    async def on_open(
        query: CallbackQuery, callback_data: IncCb, services: Services, member: StaffMember | None
    ) -> None:
        if member is None or member.id is None:
            await query.answer(texts.NOT_ON_STAFF, show_alert=True)
            return
        verdict = await services.routing.verdict(callback_data.i, member)
        if verdict.incident is not None and Move.VIEW not in verdict.moves:
            await query.answer(texts.NOT_YOURS, show_alert=True)
            return
        card = await render_card(services, callback_data.i, member)
        if card is None or not isinstance(query.message, Message):
            await query.answer(texts.NOT_FOUND, show_alert=True)
            return
        sent = await query.message.answer(card[0], reply_markup=card[1])
        async with services.uow_factory() as uow:
            await uow.cards.put(CardRef(callback_data.i, member.id, sent.chat.id, sent.message_id))
            await uow.commit()
        await query.answer()

    return router

"""/tasks (mine by urgency), /board (all open, overdue first), /find (by number or text)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from domain.incident import Incident
from domain.people import StaffMember
from domain.ports import CardRef, UnitOfWork
from domain.profiles import JointAnswerBy
from domain.roles import CURATORS
from domain.rulebook import Move, Situation, active, involvement, moves, refusal, standing_in
from domain.services import Services
from domain.timers import Timer
from handlers import texts
from handlers.callbacks import IncCb, ListCb
from handlers.cardbuild import render_card
from handlers.filters import When
from handlers.render import Listed, button, list_line, markup
from handlers.replies import later

LIMIT = 15
"""Messages per page of a list: 15 lines of the longest kind stay far within Telegram's 4,096
characters (30 did not: /board with overdue messages was refused as too long)."""
OPEN = "op"
TASKS = "t"
BOARD = "b"


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
_WRITING = frozenset({Move.DRAFT_FINAL, Move.DRAFT_INTERMEDIATE, Move.DRAFT_CLARIFICATION})
"""Writing a joint answer the act gives the curator (Barnaul 5): the work of the curator who
registered the message, as its routing is; any curator may still write it."""


SCAN = 500
"""Open incidents looked at per query when /tasks goes through all of them."""


async def _mine(
    services: Services, member: StaffMember, *, narrow: bool = True
) -> list[tuple[Incident, Sequence[Timer]]]:
    """The person's tasks: what the rulebook lets them do now beyond reading it, or a deadline
    they hold (themselves, or for an absent colleague). The rulebook looks at the open
    messages the database finds tied to the person (`rulebook.involvement`, a superset), in
    keyset pages with their timers; `narrow=False` looks at every open message (the tests'
    oracle for the superset)."""
    now = services.clock.now()
    found = []
    async with services.uow_factory() as uow:
        departments = {d.id: d for d in await uow.departments.all() if d.id is not None}
        acts_for, acting_departments = standing_in(
            member, await uow.staff.all(), services.routing.today(now)
        )
        ids = acts_for | {member.id or 0}
        curator_writes = services.profile.joint_answer_by is JointAnswerBy.CURATOR
        who = (
            involvement(member, acts_for, acting_departments, departments, services.profile)
            if narrow
            else None
        )
        after: int | None = None
        while True:
            if who is None:
                batch = await uow.incidents.open_page(after, SCAN)
            else:
                batch = await uow.incidents.open_involving(who, after, SCAN)
            if not batch:
                break
            timers_of = await uow.timers.open_for_many([i.id for i in batch if i.id is not None])
            for incident in batch:
                timers = timers_of.get(incident.id or 0, ())
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
                    if curator_writes and len(active(incident)) > 1:
                        work -= _WRITING  # and their joint answer to write
                if work or (held and Move.VIEW in allowed):
                    found.append((incident, timers))
            if len(batch) < SCAN:
                break
            after = batch[-1].id
    return found


async def _board_page(
    services: Services, page: int
) -> tuple[int, list[tuple[Listed, Sequence[Timer]]]]:
    """All open messages: how many (COUNT), and one page by the nearest deadline."""
    async with services.uow_factory() as uow:
        total = await uow.incidents.count_open()
        incidents = await uow.incidents.open_by_urgency(page * LIMIT, LIMIT)
        timers_of = await uow.timers.open_for_many([i.id for i in incidents if i.id is not None])
    return total, [(i, timers_of.get(i.id or 0, ())) for i in incidents]


def _listing(
    title: str,
    rows: Sequence[tuple[Listed, Sequence[Timer]]],
    services: Services,
    *,
    total: int | None = None,
    page: int = 0,
    kind: str | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of a list: its lines, a button per message, and ◀️/▶️ when there are more
    pages (`kind` says which list the page buttons turn). `rows` is the page itself when
    `total` is given, else the whole list (its first page is shown)."""
    now = services.clock.now()
    total = len(rows) if total is None else total
    shown = rows[:LIMIT]
    pages = max(1, -(-total // LIMIT))
    lines = [title]
    opens: list[InlineKeyboardButton] = []
    for incident, timers in shown:
        lines.append(list_line(incident, timers, now, services.rulers, services.zone))
        opens.append(
            button(
                f"№{incident.number or incident.id}",
                IncCb(a=OPEN, i=incident.id or 0, v=incident.version),
            )
        )
    keyboard = [opens[start : start + 5] for start in range(0, len(opens), 5)]
    if kind is not None and pages > 1:
        lines.append(texts.LIST_PAGE.format(page=page + 1, pages=pages))
        nav: list[InlineKeyboardButton] = []
        if page > 0:
            nav.append(button(texts.LIST_PREV, ListCb(k=kind, p=page - 1)))
        if page + 1 < pages:
            nav.append(button(texts.LIST_NEXT, ListCb(k=kind, p=page + 1)))
        keyboard.append(nav)
    elif total > len(shown):
        lines.append(texts.LIST_MORE.format(count=total - len(shown)))
    return "\n".join(lines), (markup(keyboard) if shown else None)


def _by_urgency(
    rows: list[tuple[Incident, Sequence[Timer]]], now: datetime
) -> list[tuple[Incident, Sequence[Timer]]]:
    def key(row: tuple[Incident, Sequence[Timer]]) -> tuple[bool, float, int]:
        due = _nearest(row[1])
        if due is None:
            return (True, 0.0, row[0].id or 0)
        return (False, (due - now).total_seconds(), row[0].id or 0)

    return sorted(rows, key=key)


async def _tasks_view(
    services: Services, member: StaffMember, page: int
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    rows = _by_urgency(await _mine(services, member), services.clock.now())
    if not rows:
        return None
    pages = -(-len(rows) // LIMIT)
    page = min(max(page, 0), pages - 1)
    return _listing(
        texts.TASKS_TITLE.format(count=len(rows)),
        rows[page * LIMIT : (page + 1) * LIMIT],
        services,
        total=len(rows),
        page=page,
        kind=TASKS,
    )


async def _board_view(
    services: Services, page: int
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    total, rows = await _board_page(services, max(page, 0))
    if total == 0:
        return None
    pages = -(-total // LIMIT)
    if page >= pages:  # the board shrank since the button was drawn
        page = pages - 1
        total, rows = await _board_page(services, page)
    return _listing(
        texts.BOARD_TITLE.format(count=total), rows, services, total=total, page=page, kind=BOARD
    )


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
    router.message.filter(When(F.chat.type == "private"))

    @router.message(Command("tasks"))
    async def on_tasks(message: Message, services: Services, member: StaffMember | None) -> None:
        if member is None:
            await later(message.answer(texts.NOT_ON_STAFF))
            return
        view = await _tasks_view(services, member, 0)
        if view is None:
            await later(message.answer(texts.TASKS_EMPTY))
            return
        await later(message.answer(view[0], reply_markup=view[1]))

    @router.message(Command("board"))
    async def on_board(message: Message, services: Services, member: StaffMember | None) -> None:
        if member is None:
            await later(message.answer(texts.NOT_ON_STAFF))
            return
        if not services.profile.oversees(member.roles):
            await later(message.answer(texts.NOT_ALLOWED))
            return
        view = await _board_view(services, 0)
        if view is None:
            await later(message.answer(texts.BOARD_EMPTY))
            return
        await later(message.answer(view[0], reply_markup=view[1]))

    @router.callback_query(ListCb.filter())
    async def on_page(
        query: CallbackQuery, callback_data: ListCb, services: Services, member: StaffMember | None
    ) -> None:
        if member is None:
            await query.answer(texts.NOT_ON_STAFF, show_alert=True)
            return
        if callback_data.k == BOARD:
            if not services.profile.oversees(member.roles):
                await query.answer(texts.NOT_ALLOWED, show_alert=True)
                return
            view = await _board_view(services, callback_data.p)
            empty = texts.BOARD_EMPTY
        else:
            view = await _tasks_view(services, member, callback_data.p)
            empty = texts.TASKS_EMPTY
        if isinstance(query.message, Message):
            # the same page again is not modified: refused, and that is fine
            with contextlib.suppress(TelegramBadRequest):
                if view is None:
                    await later(query.message.edit_text(empty))
                else:
                    await later(query.message.edit_text(view[0], reply_markup=view[1]))
        await query.answer()

    @router.message(Command("find"))
    async def on_find(
        message: Message, command: CommandObject, services: Services, member: StaffMember | None
    ) -> None:
        if member is None:
            await later(message.answer(texts.NOT_ON_STAFF))
            return
        query = (command.args or "").strip().lstrip("№")
        if not query:
            await later(message.answer(texts.FIND_USAGE))
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
            timers_of = await uow.timers.open_for_many([i.id for i in found if i.id is not None])
            rows = [(i, timers_of.get(i.id or 0, ())) for i in found if i.id is not None]
            rows = await _visible(services, uow, member, rows)
        if not rows:
            await later(message.answer(texts.FIND_EMPTY))
            return
        text, markup = _listing(texts.FIND_TITLE.format(count=len(rows)), rows, services)
        await later(message.answer(text, reply_markup=markup))

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

"""Presses on incident cards: tagging, routing, the head's decision, acceptance, returns.

Every press is checked again: the presser's role (use case), the incident's status and the
version the card showed. A stale or foreign button gets a clear alert and the card redrawn.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from domain.errors import DomainError
from domain.incident import Importance
from domain.people import StaffMember
from domain.profiles import Event, TimerKind
from domain.routing import heads_choice
from domain.services import Services
from handlers import texts
from handlers.callbacks import BUTTON_MOVES, Act, IncCb
from handlers.filters import When
from handlers.prompts import ask, carry_out, checked, explain_with_names, read_reason, redraw
from handlers.render import duration, markup, moment, timer_name
from handlers.replies import later

PER_PAGE = 8
MAX_JOINT = 6


_DEPARTMENT_PICKERS = {
    **dict.fromkeys((Act.ASSIGN_MENU, Act.ASSIGN_TOGGLE), (Act.ASSIGN_TOGGLE, Act.ASSIGN_DONE)),
    **dict.fromkeys((Act.HEAD_MENU, Act.HEAD_TOGGLE), (Act.HEAD_TOGGLE, Act.HEAD_DONE)),
}
"""The departments picked one by one, then done: the curator's assignment, the head's decision."""


class Input(StatesGroup):
    reason = State()
    location = State()
    detected = State()
    deadline = State()


def _kb(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return markup(rows)


def _btn(label: str, cb: IncCb, action: str, x: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=label, callback_data=IncCb(a=action, i=cb.i, v=cb.v, x=x).pack()
    )


def _paged(
    cb: IncCb, items: list[tuple[str, str, str]], page: int, menu: str, prefix: str = ""
) -> list[list[InlineKeyboardButton]]:
    """items: (label, action, x). Pages of PER_PAGE with ◀️ ▶️ and a back button."""
    pages = max(1, -(-len(items) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    chunk = items[page * PER_PAGE : (page + 1) * PER_PAGE]
    rows = [[_btn(label, cb, action, x)] for label, action, x in chunk]
    nav = []
    if page > 0:
        nav.append(_btn(texts.BTN_PREV, cb, menu, f"{prefix}{page - 1}"))
    if page < pages - 1:
        nav.append(_btn(texts.BTN_NEXT, cb, menu, f"{prefix}{page + 1}"))
    if nav:
        rows.append(nav)
    rows.append([_btn(texts.BTN_BACK, cb, Act.BACK)])
    return rows


async def _departments(services: Services) -> list[tuple[int, str]]:
    async with services.uow_factory() as uow:
        return [(d.id, d.name) for d in await uow.departments.all() if d.id is not None]


def _selection(x: str) -> list[int]:
    return [int(v) for v in x.split(".") if v.isdigit()]


async def _department_menu(
    services: Services, cb: IncCb, toggle: str, done: str, selected: list[int]
) -> InlineKeyboardMarkup:
    rows = []
    for dep_id, name in await _departments(services):
        chosen = dep_id in selected
        order = f"{selected.index(dep_id) + 1}. " if chosen and len(selected) > 1 else ""
        label = texts.BTN_CHOSEN.format(title=order + name) if chosen else name
        new = [d for d in selected if d != dep_id] if chosen else [*selected, dep_id][:MAX_JOINT]
        rows.append([_btn(label, cb, toggle, ".".join(map(str, new)))])
    if selected:
        rows.append(
            [
                _btn(
                    texts.BTN_DONE_ASSIGN.format(count=len(selected)),
                    cb,
                    done,
                    ".".join(map(str, selected)),
                )
            ]
        )
    rows.append([_btn(texts.BTN_BACK, cb, Act.BACK)])
    return _kb(rows)


def _local(text: str, now: datetime, zone: object) -> datetime | None:
    """ "09:15" (today) or "24.11.2026 09:15", in the organisation's zone."""
    from zoneinfo import ZoneInfo

    assert isinstance(zone, ZoneInfo)
    local = now.astimezone(zone)
    for fmt in ("%H:%M", "%d.%m.%Y %H:%M"):
        try:
            parsed = datetime.strptime(text.strip(), fmt)  # noqa: DTZ007 - zone attached below
        except ValueError:
            continue
        if fmt == "%H:%M":
            parsed = parsed.replace(year=local.year, month=local.month, day=local.day)
        return parsed.replace(tzinfo=zone)
    return None


def parse_moment(text: str, now: datetime, zone: object) -> datetime | None:
    """A moment of the past year: never in the future (a detection time)."""
    moment_ = _local(text, now, zone)
    if moment_ is None or moment_ > now or moment_ < now - timedelta(days=366):
        return None
    return moment_


def parse_future(text: str, now: datetime, zone: object) -> datetime | None:
    """A moment of the coming year: only in the future (a deadline)."""
    moment_ = _local(text, now, zone)
    if moment_ is None or moment_ <= now or moment_ > now + timedelta(days=366):
        return None
    return moment_


_CHECKED_BY_USE_CASE = frozenset(
    {
        Act.TOPIC,
        Act.LOCATION,
        Act.IMPORTANCE,
        Act.ASSIGN_DONE,
        Act.HEAD_DONE,
        Act.TO_HEAD,
        Act.REPEAT,
        Act.ACCEPT,
        Act.OURS,
    }
)
"""Buttons whose step the use case checks against the rulebook itself (version first, then
the move), as `checked` would, so the press reads the incident once."""


def make_router() -> Router:
    router = Router(name="cards")

    @router.callback_query(IncCb.filter())
    async def on_card_press(
        query: CallbackQuery,
        callback_data: IncCb,
        services: Services,
        member: StaffMember | None,
        state: FSMContext,
    ) -> None:
        if member is None:
            await query.answer(texts.NOT_ON_STAFF, show_alert=True)
            return
        message = query.message if isinstance(query.message, Message) else None
        cb = callback_data
        routing = services.routing
        tg = member.telegram_id
        move = BUTTON_MOVES.get(cb.a)
        if move is None:
            await query.answer(texts.STALE, show_alert=True)
            return
        # A step carried out by a use case is checked there, in its own read of the incident
        # (a refusal comes back as an error, explained below and the card redrawn); menus
        # change nothing and are checked here.
        verdict = None
        if cb.a not in _CHECKED_BY_USE_CASE:
            verdict = await checked(query, services, member, cb, move)
            if verdict is None:
                return
        try:
            a, x = cb.a, cb.x
            menu: InlineKeyboardMarkup | None = None
            done: str | None = None
            if a == Act.BACK:
                if message is not None:
                    await redraw(services, member, cb.i, message)
            elif a == Act.TOPIC_MENU:
                items = [(title, Act.TOPIC_GROUP, code) for code, title, _ in services.topics]
                menu = _kb(_paged(cb, items, int(x or 0), Act.TOPIC_MENU))
            elif a == Act.TOPIC_GROUP:
                code, _, page = x.partition(".")
                group = next((g for g in services.topics if g[0] == code), None)
                if group is None:
                    raise ValueError("unknown topic group")
                items = [(title, Act.TOPIC, tcode) for tcode, title in group[2]]
                rows = _paged(cb, items, int(page or 0), Act.TOPIC_GROUP, prefix=f"{code}.")
                menu = _kb(rows)
            elif a == Act.TOPIC:
                group = next((g for g in services.topics if any(t == x for t, _ in g[2])), None)
                if group is None:
                    raise ValueError("unknown topic")
                await routing.tag(tg, cb.i, cb.v, topic_group=group[0], topic=x)
                done = texts.TAGGED
            elif a == Act.LOCATION_MENU:
                items = [(name, Act.LOCATION, str(n)) for n, name in enumerate(services.locations)]
                rows = _paged(cb, items, int(x or 0), Act.LOCATION_MENU)
                rows.insert(-1, [_btn(texts.BTN_FREE_LOCATION, cb, Act.LOCATION_FREE)])
                menu = _kb(rows)
            elif a == Act.LOCATION:
                await routing.tag(tg, cb.i, cb.v, location=services.locations[int(x)])
                done = texts.TAGGED
            elif a in {
                Act.LOCATION_FREE,
                Act.NOT_SUBJECT,
                Act.EXTERNAL,
                Act.NO_REACTION,
                Act.RETURN,
                Act.DETECTED,
            }:
                prompts = {
                    Act.LOCATION_FREE: (Input.location, texts.ASK_LOCATION_TEXT),
                    Act.NOT_SUBJECT: (Input.reason, texts.ASK_NOT_SUBJECT_REASON),
                    Act.EXTERNAL: (Input.reason, texts.ASK_EXTERNAL_REASON),
                    Act.NO_REACTION: (Input.reason, texts.ASK_NO_REACTION_REASON),
                    Act.RETURN: (Input.reason, texts.ASK_RETURN_REASON),
                    Act.DETECTED: (Input.detected, texts.ASK_DETECTED),
                }
                await ask(query, cb, state, *prompts[a])
                return
            elif a == Act.IMPORTANCE_MENU:
                menu = _kb(
                    [[_btn(texts.IMPORTANCE[i], cb, Act.IMPORTANCE, i.value)] for i in Importance]
                    + [[_btn(texts.BTN_BACK, cb, Act.BACK)]]
                )
            elif a == Act.IMPORTANCE:
                await routing.tag(tg, cb.i, cb.v, importance=Importance(x))
                done = texts.TAGGED
            elif a in _DEPARTMENT_PICKERS:
                toggle, finish = _DEPARTMENT_PICKERS[a]
                selected = _selection(x)
                if a == Act.ASSIGN_MENU and not x:  # the head's choice, ticked (3.1.1)
                    seen = verdict.incident if verdict is not None else None
                    selected = list(heads_choice(seen or await routing.incident(cb.i)))
                menu = await _department_menu(services, cb, toggle, finish, selected)
            elif a in {Act.ASSIGN_DONE, Act.HEAD_DONE}:
                chosen = _selection(x)
                decide = routing.assign if a == Act.ASSIGN_DONE else routing.head_decide
                await decide(tg, cb.i, cb.v, chosen)
                names = dict(await _departments(services))
                done = texts.ASSIGNED.format(
                    departments=", ".join(names.get(d, "?") for d in chosen)
                )
            elif a == Act.TO_HEAD:
                await routing.send_to_head(tg, cb.i, cb.v)
                done = texts.SENT_TO_HEAD
            elif a == Act.REPEAT:
                linked = await routing.link_repeat(tg, cb.i, cb.v, int(x))
                earlier = await routing.incident(int(x))
                done = texts.LINKED.format(number=earlier.number or earlier.id)
                _ = linked
            elif a == Act.ACCEPT:
                await routing.accept(tg, cb.i, cb.v)
                done = texts.ACCEPTED
            elif a == Act.OURS:
                await routing.confirm_competence(tg, cb.i, cb.v)
                done = texts.CONFIRMED_OURS
            elif a == Act.DEADLINE:
                timers = [t for t in await routing.timers(cb.i) if t.name == x]
                what = timer_name(x, services.profile)
                current = (
                    moment(timers[0].due_at, services.zone)
                    if timers and timers[0].due_at is not None
                    else texts.CARD_NO_TAG
                )
                clause = timers[0].clause if timers else ""
                await ask(
                    query,
                    cb,
                    state,
                    Input.deadline,
                    texts.ASK_DEADLINE.format(what=what, clause=clause, current=current),
                )
                await state.update_data(timer=x)
                return
            else:
                raise ValueError(f"unknown action {a!r}")
            if menu is not None and message is not None:
                await later(message.edit_reply_markup(reply_markup=menu))
            await query.answer(done or "")
            if done is not None:
                services.kick()
        except (DomainError, ValueError, IndexError) as exc:
            await query.answer(await explain_with_names(services, exc), show_alert=True)
            if message is not None:
                await redraw(services, member, cb.i, message)

    @router.message(StateFilter(Input.reason), When(F.text))
    async def on_reason(
        message: Message, services: Services, member: StaffMember | None, state: FSMContext
    ) -> None:
        data = await state.get_data()
        if member is None or message.text is None:
            await state.clear()
            return
        reason = await read_reason(message, state)
        if reason is None:
            return
        routing = services.routing
        tg, inc, ver = member.telegram_id, int(data["incident"]), int(data["version"])
        try:
            action = data["action"]
            if action == Act.RETURN:
                returned = await routing.return_not_competent(tg, inc, ver, reason)
                if returned.late:
                    flow = services.profile.flow(returned.incident.flow)
                    window = next(
                        (
                            t
                            for t in flow.timers.values()
                            if t.kind is TimerKind.WINDOW and t.stops_on(Event.RETURNED, None)
                        ),
                        None,
                    )
                    length = window.length.delta if window and window.length else timedelta(0)
                    await later(message.answer(texts.RETURNED_LATE.format(window=duration(length))))
                else:
                    await later(message.answer(texts.RETURNED_OK))
            elif action == Act.NOT_SUBJECT:
                await routing.mark_not_subject(tg, inc, ver, reason)
                await later(message.answer(texts.MARKED_NOT_SUBJECT))
            elif action == Act.EXTERNAL:
                await routing.pass_to_external(tg, inc, ver, reason)
                await later(message.answer(texts.PASSED_EXTERNAL))
            elif action == Act.NO_REACTION:
                await routing.head_no_reaction(tg, inc, ver, reason)
                await later(message.answer(texts.NO_REACTION_OK))
            services.kick()
        except (DomainError, ValueError) as exc:
            await later(message.answer(await explain_with_names(services, exc)))

    @router.message(StateFilter(Input.location), When(F.text))
    async def on_location(
        message: Message, services: Services, member: StaffMember | None, state: FSMContext
    ) -> None:
        data = await state.get_data()
        if member is None or message.text is None:
            await state.clear()
            return
        location = message.text.strip()
        if not location or location.startswith("/") or len(location) > 200:
            await later(message.answer(texts.EMPTY_REASON))
            return
        await state.clear()
        await carry_out(
            message,
            services,
            services.routing.tag(
                member.telegram_id, int(data["incident"]), int(data["version"]), location=location
            ),
            texts.TAGGED,
        )

    @router.message(StateFilter(Input.deadline), When(F.text))
    async def on_deadline(
        message: Message, services: Services, member: StaffMember | None, state: FSMContext
    ) -> None:
        data = await state.get_data()
        if member is None or message.text is None:
            await state.clear()
            return
        due = parse_future(message.text, services.clock.now(), services.zone)
        if due is None:
            await later(message.answer(texts.BAD_DEADLINE))
            return
        await state.clear()
        name = str(data.get("timer", ""))
        await carry_out(
            message,
            services,
            services.answering.set_deadline(
                member.telegram_id, int(data["incident"]), int(data["version"]), name, due
            ),
            texts.DEADLINE_SET.format(
                what=timer_name(name, services.profile), due=moment(due, services.zone)
            ),
        )

    @router.message(StateFilter(Input.detected), When(F.text))
    async def on_detected(
        message: Message, services: Services, member: StaffMember | None, state: FSMContext
    ) -> None:
        data = await state.get_data()
        if member is None or message.text is None:
            await state.clear()
            return
        moment = parse_moment(message.text, services.clock.now(), services.zone)
        if moment is None:
            await later(message.answer(texts.BAD_DETECTED))
            return
        await state.clear()
        await carry_out(
            message,
            services,
            services.routing.set_detected_at(
                member.telegram_id, int(data["incident"]), int(data["version"]), moment
            ),
            texts.TAGGED,
        )

    return router

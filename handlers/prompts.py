"""Typed replies to a pressed button: ask, read the reason, carry out the step, explain a
refusal (used by the card and answer handlers)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message

from domain.errors import DomainError
from domain.people import StaffMember
from domain.rulebook import Move
from domain.services import Services
from domain.workflow import Verdict
from handlers import texts
from handlers.callbacks import IncCb
from handlers.errors import explain
from handlers.replies import later

MAX_REASON = 1000


async def ask(query: CallbackQuery, cb: IncCb, state: FSMContext, st: State, prompt: str) -> None:
    """Wait for the presser's typed reply to `prompt`, remembering what was pressed."""
    await state.set_state(st)
    await state.update_data(incident=cb.i, version=cb.v, action=cb.a)
    await query.answer()
    if isinstance(query.message, Message):
        await later(query.message.answer(prompt))


async def read_reason(message: Message, state: FSMContext) -> str | None:
    """The reason typed in reply to a prompt, which it ends. None when it is empty, a command
    or too long: the person is told so and the prompt stays open."""
    reason = (message.text or "").strip()
    if not reason or reason.startswith("/"):
        await later(message.answer(texts.EMPTY_REASON))
        return None
    if len(reason) > MAX_REASON:
        await later(message.answer(texts.REASON_TOO_LONG.format(n=len(reason), limit=MAX_REASON)))
        return None
    await state.clear()
    return reason


async def explain_with_names(services: Services, exc: Exception) -> str:
    """The alert for a refused step, naming whoever got there first."""
    async with services.uow_factory() as uow:
        names = {m.id: m.full_name for m in await uow.staff.all() if m.id is not None}
    roles = {r.value: spec.title for r, spec in services.profile.roles.items()}
    return explain(exc, names, roles)


async def checked(
    query: CallbackQuery,
    services: Services,
    member: StaffMember,
    cb: IncCb,
    move: Move,
    *,
    strict: bool = True,
) -> Verdict | None:
    """Ask the rulebook about a pressed button: the verdict when the person may make `move`
    on it at the version the card showed (`strict`; otherwise at the current one: the
    drafting prompts' buttons); else the person is told why (None). A card of an incident
    that is not theirs to see is not redrawn: nothing of it is shown."""
    verdict = await services.routing.verdict(cb.i, member, move)
    if verdict.incident is None:
        await query.answer(texts.NOT_FOUND, show_alert=True)
        return None
    if Move.VIEW not in verdict.moves:
        await query.answer(texts.NOT_YOURS, show_alert=True)
        return None
    message = query.message if isinstance(query.message, Message) else None
    if strict and verdict.incident.version != cb.v:
        await query.answer(texts.STALE, show_alert=True)
        if message is not None:
            await redraw(services, member, cb.i, message)
        return None
    if verdict.refusal is not None:
        await query.answer(await explain_with_names(services, verdict.refusal), show_alert=True)
        if message is not None:
            await redraw(services, member, cb.i, message)
        return None
    return verdict


async def redraw(
    services: Services, member: StaffMember, incident_id: int, message: Message
) -> None:
    from aiogram.exceptions import TelegramBadRequest

    from handlers.cardbuild import render_card

    card = await render_card(services, incident_id, member)
    if card is None:
        return
    text, markup = card
    try:
        await later(message.edit_text(text, reply_markup=markup))
    except TelegramBadRequest as exc:  # sent at once (outside the inbox) and refused
        if "not modified" not in str(exc):
            raise


async def carry_out(
    message: Message,
    services: Services,
    step: Awaitable[object],
    done: str,
    explain_error: Callable[[Services, Exception], Awaitable[str]] = explain_with_names,
) -> None:
    """Await the use case behind a typed reply: the person is told `done` and the sender
    kicked, or told why it was refused."""
    try:
        await step
    except (DomainError, ValueError) as exc:
        await later(message.answer(await explain_error(services, exc)))
        return
    await later(message.answer(done))
    services.kick()

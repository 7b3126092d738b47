"""The first contact: the setup link, invitations, greetings, help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import (
    JOIN_TRANSITION,
    LEAVE_TRANSITION,
    ChatMemberUpdatedFilter,
    Command,
    CommandObject,
    CommandStart,
)
from aiogram.fsm.context import FSMContext
from aiogram.types import ChatMemberUpdated, Message

from domain.people import StaffMember
from domain.roles import HEADS, Role
from domain.services import Services
from domain.staffing import AlreadyStaff, InviteInvalid, bot_blocked, redeem
from handlers import texts
from handlers.access import role_names
from handlers.filters import When


def _hint(member: StaffMember) -> str:
    hints = []
    if member.roles & {Role.CURATOR, Role.ADMIN}:
        hints.append(texts.HINT_CURATOR)
    if member.roles & {Role.EXECUTOR, Role.DEPARTMENT_LEAD}:
        hints.append(texts.HINT_EXECUTOR)
    if member.roles & HEADS:
        hints.append(texts.HINT_HEAD)
    if Role.ADMIN in member.roles:
        hints.append(texts.HINT_ADMIN)
    return "\n".join(hints)


def make_router() -> Router:
    router = Router(name="start")
    router.message.filter(When(F.chat.type == "private"))

    @router.message(CommandStart(deep_link=True))
    async def on_start_with_token(
        message: Message, command: CommandObject, services: Services, member: StaffMember | None
    ) -> None:
        user = message.from_user
        if user is None:
            return
        try:
            joined = await redeem(
                services.uow_factory, services.clock, command.args or "", user.id, user.full_name
            )
        except InviteInvalid as exc:
            await message.answer(texts.INVITE_USED if exc.used else texts.INVITE_UNKNOWN)
            return
        except AlreadyStaff:
            await message.answer(texts.ALREADY_STAFF)
            return
        if Role.ADMIN in joined.roles and len(joined.roles) == 1 and member is None:
            await message.answer(texts.SETUP_DONE.format(org=services.organization))
            return
        department = ""
        if joined.department_id is not None:
            async with services.uow_factory() as uow:
                dep = await uow.departments.get(joined.department_id)
            department = f", отдел «{dep.name}»" if dep else ""
        await message.answer(
            texts.JOINED.format(
                name=joined.full_name,
                role=role_names(joined.roles, services.profile),
                department=department,
            )
        )

    @router.message(CommandStart())
    async def on_start(message: Message, member: StaffMember | None, services: Services) -> None:
        if member is None:
            await message.answer(texts.NOT_ON_STAFF)
            return
        await message.answer(
            texts.GREETING.format(
                name=member.full_name,
                roles=role_names(member.roles, services.profile),
                hint=_hint(member),
            )
        )

    @router.message(Command("help"))
    async def on_help(message: Message, member: StaffMember | None) -> None:
        await message.answer(texts.HELP if member is not None else texts.NOT_ON_STAFF)

    @router.message(Command("cancel"))
    async def on_cancel(message: Message, state: FSMContext) -> None:
        await state.clear()
        await message.answer(texts.CANCELLED)

    return router


def make_stranger_router() -> Router:
    """Last in line: anyone not on the staff gets a polite refusal and nothing else."""
    router = Router(name="strangers")

    @router.message(When(F.chat.type == "private"))
    async def on_stranger_message(message: Message, member: StaffMember | None) -> None:
        await message.answer(texts.NOT_ON_STAFF if member is None else texts.UNKNOWN_INPUT)

    @router.callback_query()
    async def on_stranger_press(query: object, member: StaffMember | None) -> None:
        from aiogram.types import CallbackQuery

        if isinstance(query, CallbackQuery):
            await query.answer(
                texts.NOT_ON_STAFF if member is None else texts.STALE, show_alert=True
            )

    return router


def make_membership_router() -> Router:
    """Telegram tells the bot when someone blocks it in their private chat (and unblocks it):
    the curators learn at once, not at the next reminder that fails."""
    router = Router(name="membership")
    router.my_chat_member.filter(When(F.chat.type == "private"))

    @router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=LEAVE_TRANSITION))
    async def on_blocked(event: ChatMemberUpdated, services: Services) -> None:
        await _blocked(event, services, blocked=True)

    @router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=JOIN_TRANSITION))
    async def on_unblocked(event: ChatMemberUpdated, services: Services) -> None:
        await _blocked(event, services, blocked=False)

    return router


async def _blocked(event: ChatMemberUpdated, services: Services, *, blocked: bool) -> None:
    if await bot_blocked(services.uow_factory, services.clock, event.from_user.id, blocked):
        services.kick()

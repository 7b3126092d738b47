"""Administration: departments, invitations, substitutes, absences, removal."""

from __future__ import annotations

import re
from datetime import date

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from domain.errors import DomainError
from domain.people import AbsenceKind, StaffMember
from domain.roles import Role
from domain.services import Services
from domain.staffing import (
    INVITABLE,
    add_absence,
    create_department,
    create_invite,
    remove_member,
    set_substitute,
)
from handlers import texts
from handlers.access import role_names
from handlers.callbacks import AdmCb
from handlers.errors import explain
from handlers.filters import When
from handlers.render import button, grid, role_name

_DATES = re.compile(
    r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*[-–—]\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$"
)
MAX_NAME = 200


class AdminInput(StatesGroup):
    department_name = State()
    absence_dates = State()


def invite_link(services: Services, token: str) -> str:
    return f"https://t.me/{services.bot_username}?start={token}"


def _menu() -> InlineKeyboardMarkup:
    return grid(
        [
            button(texts.BTN_DEPARTMENTS, AdmCb(a="dl")),
            button(texts.BTN_INVITE, AdmCb(a="ir")),
            button(texts.BTN_STAFF, AdmCb(a="sl")),
        ],
        1,
    )


def parse_dates(text: str) -> tuple[date, date] | None:
    m = _DATES.match(text)
    if not m:
        return None
    d1, m1, y1, d2, m2, y2 = (int(g) for g in m.groups())
    try:
        first, last = date(y1, m1, d1), date(y2, m2, d2)
    except ValueError:
        return None
    return (first, last) if first <= last else None


def make_router() -> Router:
    router = Router(name="admin")
    router.message.filter(When(F.chat.type == "private"))

    def is_admin(member: StaffMember | None) -> bool:
        return member is not None and Role.ADMIN in member.roles

    @router.message(Command("admin"))
    async def on_admin(message: Message, services: Services, member: StaffMember | None) -> None:
        if not is_admin(member):
            await message.answer(texts.NOT_ALLOWED if member else texts.NOT_ON_STAFF)
            return
        async with services.uow_factory() as uow:
            departments = await uow.departments.all()
            staff = [m for m in await uow.staff.all() if m.active]
        await message.answer(
            texts.ADMIN_MENU.format(departments=len(departments), staff=len(staff)),
            reply_markup=_menu(),
        )

    @router.callback_query(AdmCb.filter())
    async def on_admin_press(
        query: CallbackQuery,
        callback_data: AdmCb,
        services: Services,
        member: StaffMember | None,
        state: FSMContext,
    ) -> None:
        if not is_admin(member) or member is None or not isinstance(query.message, Message):
            await query.answer(texts.NOT_ALLOWED if member else texts.NOT_ON_STAFF, show_alert=True)
            return
        msg = query.message
        a, x = callback_data.a, callback_data.x
        try:
            if a == "dl":
                async with services.uow_factory() as uow:
                    departments = await uow.departments.all()
                lines = "\n".join(f"• {d.name}" for d in departments)
                await msg.answer(
                    texts.DEPARTMENTS_LIST.format(lines=lines)
                    if departments
                    else texts.DEPARTMENTS_EMPTY,
                    reply_markup=grid([button(texts.BTN_ADD_DEPARTMENT, AdmCb(a="da"))], 1),
                )
            elif a == "da":
                await state.set_state(AdminInput.department_name)
                await msg.answer(texts.ASK_DEPARTMENT_NAME)
            elif a == "ir":
                roles = [*sorted(INVITABLE, key=list(Role).index), *services.profile.roles]
                await msg.answer(
                    texts.ASK_INVITE_ROLE,
                    reply_markup=grid(
                        [
                            button(role_name(r, services.profile), AdmCb(a="id", x=r.value))
                            for r in roles
                        ],
                        2,
                    ),
                )
            elif a == "id":
                role = Role(x)
                if role in {Role.EXECUTOR, Role.DEPARTMENT_LEAD, Role.SUPERVISING_DEPUTY}:
                    async with services.uow_factory() as uow:
                        departments = await uow.departments.all()
                    if not departments:
                        await msg.answer(texts.DEPARTMENTS_EMPTY)
                    else:
                        choices = [
                            button(d.name, AdmCb(a="ic", x=f"{role.value}.{d.id}"))
                            for d in departments
                        ]
                        await msg.answer(texts.ASK_INVITE_DEPARTMENT, reply_markup=grid(choices, 1))
                else:
                    await _send_invite(msg, services, member, role, None)
            elif a == "ic":
                role_code, dep = x.split(".")
                await _send_invite(msg, services, member, Role(role_code), int(dep))
            elif a == "sl":
                await _staff_list(msg, services)
            elif a == "sm":
                await _staff_card(msg, services, int(x))
            elif a == "ss":
                await _substitute_menu(msg, services, int(x))
            elif a == "sp":
                target, substitute = (int(v) for v in x.split("."))
                changed = await set_substitute(
                    services.uow_factory, member.telegram_id, target, substitute
                )
                async with services.uow_factory() as uow:
                    sub = await uow.staff.get(substitute)
                await msg.answer(texts.SUBSTITUTE_SET.format(name=sub.full_name if sub else "?"))
                await _staff_card(msg, services, changed.id or target)
            elif a == "ak":
                kinds = [
                    button(texts.ABSENCES[k], AdmCb(a="ay", x=f"{x}.{k.value}"))
                    for k in AbsenceKind
                ]
                await msg.answer(texts.ASK_ABSENCE_KIND, reply_markup=grid(kinds, 2))
            elif a == "ay":
                target_id, kind_code = x.split(".")
                await state.set_state(AdminInput.absence_dates)
                await state.update_data(member_id=int(target_id), kind=kind_code)
                await msg.answer(texts.ASK_ABSENCE_DATES)
            elif a == "rm":
                removed = await remove_member(services.uow_factory, member.telegram_id, int(x))
                await msg.answer(texts.MEMBER_REMOVED.format(name=removed.full_name))
            await query.answer()
        except (DomainError, ValueError) as exc:
            await query.answer(explain(exc), show_alert=True)

    @router.message(StateFilter(AdminInput.department_name), When(F.text))
    async def on_department_name(
        message: Message, services: Services, member: StaffMember | None, state: FSMContext
    ) -> None:
        if not is_admin(member) or member is None or message.text is None:
            await state.clear()
            return
        name = message.text.strip()
        if len(name) > MAX_NAME:
            await message.answer(texts.REASON_TOO_LONG.format(n=len(name), limit=MAX_NAME))
            return
        try:
            department = await create_department(services.uow_factory, member.telegram_id, name)
        except DomainError as exc:
            await message.answer(explain(exc))
            return
        await state.clear()
        await message.answer(texts.DEPARTMENT_CREATED.format(name=department.name))

    @router.message(StateFilter(AdminInput.absence_dates), When(F.text))
    async def on_absence_dates(
        message: Message, services: Services, member: StaffMember | None, state: FSMContext
    ) -> None:
        if not is_admin(member) or member is None or message.text is None:
            await state.clear()
            return
        dates = parse_dates(message.text)
        if dates is None:
            await message.answer(texts.BAD_DATES)
            return
        data = await state.get_data()
        kind = AbsenceKind(data["kind"])
        await add_absence(
            services.uow_factory, member.telegram_id, int(data["member_id"]), kind, *dates
        )
        await state.clear()
        await message.answer(
            texts.ABSENCE_ADDED.format(
                kind=texts.ABSENCES[kind],
                first=dates[0].strftime("%d.%m.%Y"),
                last=dates[1].strftime("%d.%m.%Y"),
            )
        )

    return router


async def _send_invite(
    msg: Message, services: Services, admin: StaffMember, role: Role, department_id: int | None
) -> None:
    invite = await create_invite(
        services.uow_factory,
        services.clock,
        admin.telegram_id,
        role,
        department_id,
        services.new_token,
        frozenset(services.profile.roles),
    )
    department = ""
    if department_id is not None:
        async with services.uow_factory() as uow:
            dep = await uow.departments.get(department_id)
        department = f", отдел «{dep.name}»" if dep else ""
    await msg.answer(
        texts.INVITE_LINK.format(
            role=role_name(role, services.profile),
            department=department,
            link=invite_link(services, invite.token),
        )
    )


async def _staff_list(msg: Message, services: Services) -> None:
    async with services.uow_factory() as uow:
        staff = [m for m in await uow.staff.all() if m.active]
        departments = {d.id: d.name for d in await uow.departments.all()}
    today = services.clock.now().astimezone(services.zone).date()
    kb: list[InlineKeyboardButton] = []
    lines = [texts.STAFF_LIST]
    for m in staff:
        absence = m.absent_on(today)
        lines.append(
            texts.STAFF_LINE.format(
                name=m.full_name,
                roles=role_names(m.roles, services.profile),
                department=f", {departments.get(m.department_id, '')}" if m.department_id else "",
                absent=texts.STAFF_ABSENT.format(
                    kind=texts.ABSENCES[absence.kind], until=absence.last_day.strftime("%d.%m.%Y")
                )
                if absence
                else "",
            )
        )
        kb.append(button(m.full_name, AdmCb(a="sm", x=str(m.id))))
    await msg.answer("\n".join(lines), reply_markup=grid(kb, 2))


async def _staff_card(msg: Message, services: Services, member_id: int) -> None:
    async with services.uow_factory() as uow:
        m = await uow.staff.get(member_id)
        if m is None:
            await msg.answer(texts.NOT_FOUND)
            return
        dep = await uow.departments.get(m.department_id) if m.department_id else None
        sub = await uow.staff.get(m.substitute_id) if m.substitute_id else None
    absences = (
        ", ".join(
            f"{texts.ABSENCES[a.kind]} {a.first_day:%d.%m.%Y}–{a.last_day:%d.%m.%Y}"
            for a in m.absences
        )
        or texts.NONE
    )
    kb = [
        button(texts.BTN_SET_SUBSTITUTE, AdmCb(a="ss", x=str(member_id))),
        button(texts.BTN_ADD_ABSENCE, AdmCb(a="ak", x=str(member_id))),
        button(texts.BTN_REMOVE, AdmCb(a="rm", x=str(member_id))),
    ]
    await msg.answer(
        texts.STAFF_CARD.format(
            name=m.full_name,
            roles=role_names(m.roles, services.profile),
            department=dep.name if dep else texts.NONE,
            substitute=sub.full_name if sub else texts.NONE,
            absences=absences,
        ),
        reply_markup=grid(kb, 1),
    )


async def _substitute_menu(msg: Message, services: Services, member_id: int) -> None:
    async with services.uow_factory() as uow:
        target = await uow.staff.get(member_id)
        staff = [m for m in await uow.staff.all() if m.active and m.id != member_id]
    if target is None:
        await msg.answer(texts.NOT_FOUND)
        return
    kb = [button(m.full_name, AdmCb(a="sp", x=f"{member_id}.{m.id}")) for m in staff]
    await msg.answer(texts.ASK_SUBSTITUTE.format(name=target.full_name), reply_markup=grid(kb, 2))

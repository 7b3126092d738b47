"""People and access: the setup link, invitations, departments, substitutes and absences."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date

from domain.clock import Clock
from domain.errors import AccessDenied, DomainError
from domain.people import Absence, AbsenceKind, Department, Invite, StaffMember
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.roles import Role
from domain.timers import NoticeKind, OutboxMessage

TokenFactory = Callable[[], str]


class InviteInvalid(DomainError):
    """Unknown token or already used."""

    def __init__(self, used: bool) -> None:
        super().__init__("invite already used" if used else "unknown invite")
        self.used = used


class AlreadyStaff(DomainError):
    def __init__(self, member: StaffMember) -> None:
        super().__init__(f"telegram user {member.telegram_id} is already on the staff")
        self.member = member


class BadStaffChange(DomainError):
    """A substitute who is the person, or is not on the staff; a department that does not exist."""


INVITABLE = frozenset(Role) - {Role.SYSTEM, Role.EXTERNAL_CURATOR}
ADMINS = frozenset({Role.ADMIN})


def require(member: StaffMember | None, roles: frozenset[Role]) -> StaffMember:
    if member is None or not member.active or not (member.roles & roles):
        raise AccessDenied(roles)
    return member


async def ensure_setup_invite(
    uow_factory: UnitOfWorkFactory, clock: Clock, new_token: TokenFactory
) -> str | None:
    """The one-time setup link's token while the organisation has no administrator yet."""
    async with uow_factory() as uow:
        if any(m.active and Role.ADMIN in m.roles for m in await uow.staff.all()):
            return None
        existing = await uow.invites.unused_setup()
        if existing is not None:
            return existing.token
        invite = Invite(token=new_token(), role=Role.ADMIN, created_at=clock.now(), created_by=None)
        await uow.invites.add(invite)
        await uow.commit()
        return invite.token


async def bot_blocked(
    uow_factory: UnitOfWorkFactory, clock: Clock, telegram_id: int, blocked: bool
) -> StaffMember | None:
    """A staff member blocked the bot (Telegram said so, or refused a message with 403) or
    unblocked it. Blocked people are passed over like the absent (their substitute acts), and
    the curators are told once, so someone reassigns the work. The member if anything changed."""
    async with uow_factory() as uow:
        member = await uow.staff.by_telegram(telegram_id)
        if member is None or member.blocked_bot is blocked:
            return None
        member = replace(member, blocked_bot=blocked)
        await uow.staff.update(member)
        if blocked:
            payload = {"name": member.full_name}
            await _tell(uow, clock, Role.CURATOR, NoticeKind.BLOCKED, payload, skip=member.id)
        await uow.commit()
        return member


async def update_skipped(
    uow_factory: UnitOfWorkFactory, clock: Clock, update_id: int, reason: str
) -> None:
    """An update from Telegram could not be read and was skipped: each administrator is told
    once, so the bot gets updated before more is missed."""
    async with uow_factory() as uow:
        payload = {"update_id": update_id, "reason": reason[:500]}
        await _tell(
            uow,
            clock,
            Role.ADMIN,
            NoticeKind.UPDATE_SKIPPED,
            payload,
            dedupe=f"skipped:{update_id}",
        )
        await uow.commit()


async def _tell(
    uow: UnitOfWork,
    clock: Clock,
    role: Role,
    kind: NoticeKind,
    payload: Mapping[str, object],
    *,
    skip: int | None = None,
    dedupe: str | None = None,
) -> None:
    """Queue a notice to every active holder of `role` but `skip` (`dedupe`: once per person)."""
    for person in await uow.staff.all():
        if person.active and person.id != skip and role in person.roles:
            await uow.outbox.queue(
                OutboxMessage(
                    id=None,
                    created_at=clock.now(),
                    kind=kind,
                    recipient_id=person.id,
                    payload=payload,
                    dedupe_key=f"{dedupe}:{person.id}" if dedupe else None,
                )
            )


async def redeem(
    uow_factory: UnitOfWorkFactory, clock: Clock, token: str, telegram_id: int, full_name: str
) -> StaffMember:
    """Whoever opens a one-time link joins with its role (or gains it, if already on the staff)."""
    async with uow_factory() as uow:
        invite = await uow.invites.get(token)
        if invite is None or invite.used:
            raise InviteInvalid(used=invite is not None)
        member = await uow.staff.by_telegram(telegram_id)
        if member is not None and member.active and invite.role in member.roles:
            raise AlreadyStaff(member)
        if member is None:
            member = await uow.staff.add(
                StaffMember(
                    id=None,
                    telegram_id=telegram_id,
                    full_name=full_name.strip() or str(telegram_id),
                    roles=frozenset({invite.role}),
                    department_id=invite.department_id,
                )
            )
        else:
            member = replace(
                member,
                roles=(member.roles if member.active else frozenset()) | {invite.role},
                department_id=invite.department_id or member.department_id,
                active=True,
            )
            await uow.staff.update(member)
        assert member.id is not None
        if not await uow.invites.mark_used(token, member.id, clock.now()):
            raise InviteInvalid(used=True)
        await uow.commit()
        return member


async def _admin(uow: UnitOfWork, telegram_id: int) -> StaffMember:
    return require(await uow.staff.by_telegram(telegram_id), ADMINS)


async def create_department(
    uow_factory: UnitOfWorkFactory, admin_telegram_id: int, name: str
) -> Department:
    name = name.strip()
    if not name:
        raise BadStaffChange("a department needs a name")
    async with uow_factory() as uow:
        await _admin(uow, admin_telegram_id)
        if any(d.name.casefold() == name.casefold() for d in await uow.departments.all()):
            raise BadStaffChange(f"department {name!r} exists")
        department = await uow.departments.add(Department(id=None, name=name))
        await uow.commit()
        return department


async def create_invite(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    admin_telegram_id: int,
    role: Role,
    department_id: int | None,
    new_token: TokenFactory,
    declared: frozenset[Role] = frozenset(),
) -> Invite:
    """A one-time link for `role`: a built-in one, or one the profile `declared`."""
    if role not in INVITABLE | declared:
        raise BadStaffChange(f"role {role} cannot be invited")
    async with uow_factory() as uow:
        admin = await _admin(uow, admin_telegram_id)
        if department_id is not None and await uow.departments.get(department_id) is None:
            raise BadStaffChange(f"no department {department_id}")
        if role in {Role.EXECUTOR, Role.DEPARTMENT_LEAD} and department_id is None:
            raise BadStaffChange(f"a {role} belongs to a department")
        invite = Invite(
            token=new_token(),
            role=role,
            created_at=clock.now(),
            created_by=admin.id,
            department_id=department_id,
        )
        await uow.invites.add(invite)
        await uow.commit()
        return invite


async def set_substitute(
    uow_factory: UnitOfWorkFactory,
    admin_telegram_id: int,
    member_id: int,
    substitute_id: int | None,
) -> StaffMember:
    async with uow_factory() as uow:
        await _admin(uow, admin_telegram_id)
        member = await uow.staff.get(member_id)
        if member is None:
            raise BadStaffChange(f"no staff member {member_id}")
        if substitute_id is not None:
            substitute = await uow.staff.get(substitute_id)
            if substitute is None or not substitute.active or substitute_id == member_id:
                raise BadStaffChange("the substitute must be another active staff member")
        member = replace(member, substitute_id=substitute_id)
        await uow.staff.update(member)
        await uow.commit()
        return member


async def add_absence(
    uow_factory: UnitOfWorkFactory,
    admin_telegram_id: int,
    member_id: int,
    kind: AbsenceKind,
    first_day: date,
    last_day: date,
) -> StaffMember:
    absence = Absence(kind, first_day, last_day)
    async with uow_factory() as uow:
        await _admin(uow, admin_telegram_id)
        member = await uow.staff.get(member_id)
        if member is None:
            raise BadStaffChange(f"no staff member {member_id}")
        member = replace(member, absences=(*member.absences, absence))
        await uow.staff.update(member)
        await uow.commit()
        return member


async def remove_member(
    uow_factory: UnitOfWorkFactory, admin_telegram_id: int, member_id: int
) -> StaffMember:
    """Removed people keep their history; they just can no longer act."""
    async with uow_factory() as uow:
        admin = await _admin(uow, admin_telegram_id)
        member = await uow.staff.get(member_id)
        if member is None:
            raise BadStaffChange(f"no staff member {member_id}")
        if member.id == admin.id:
            raise BadStaffChange("an administrator cannot remove themselves")
        member = replace(member, active=False)
        await uow.staff.update(member)
        for other in await uow.staff.all():
            if other.substitute_id == member_id:
                await uow.staff.update(replace(other, substitute_id=None))
        await uow.commit()
        return member

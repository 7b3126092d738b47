"""Who is pressing: the staff member behind every update, checked again on every press."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from domain.profiles import Profile
from domain.roles import Role
from domain.services import Services


class StaffMiddleware(BaseMiddleware):
    """Puts `member` (a StaffMember or None) into the handler's data."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        services: Services = data["services"]
        member = None
        if user is not None and services.find_member is not None:
            member = await services.find_member(user.id)
        elif user is not None:
            async with services.uow_factory() as uow:
                member = await uow.staff.by_telegram(user.id)
            if member is not None and not member.active:
                member = None
        data["member"] = member
        return await handler(event, data)


def role_names(roles: frozenset[Role], profile: Profile | None = None) -> str:
    """The roles as people call them: built-in ones in their order, then the profile's own."""
    from handlers import texts

    order = {r: n for n, r in enumerate(Role)}
    named = {r.value: spec.title for r, spec in (profile.roles.items() if profile else ())}
    return ", ".join(
        texts.ROLES.get(r.value) or named.get(r.value, r.value)
        for r in sorted(roles, key=lambda r: (order.get(r, len(order)), r.value))
    )

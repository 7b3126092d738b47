"""Who is pressing: the staff member behind every update, checked again on every press."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

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
        if user is not None:
            async with services.uow_factory() as uow:
                member = await uow.staff.by_telegram(user.id)
            if member is not None and not member.active:
                member = None
        data["member"] = member
        return await handler(event, data)


def role_names(roles: frozenset[Role]) -> str:
    from handlers import texts

    order = list(Role)
    return ", ".join(texts.ROLES[r] for r in sorted(roles, key=order.index))

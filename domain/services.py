"""Everything the Telegram face needs, wired once by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import tzinfo

from domain.answering import Answering
from domain.clock import Clock
from domain.people import StaffMember
from domain.ports import UnitOfWorkFactory
from domain.profiles import Profile
from domain.routing import Routing
from domain.timeline import Rulers


@dataclass
class Services:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    profile: Profile
    rulers: Rulers
    zone: tzinfo
    routing: Routing
    answering: Answering
    organization: str
    new_token: Callable[[], str]
    topics: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = ()
    """(group code, group title, ((topic code, topic title), ...)), from the catalog."""
    locations: tuple[str, ...] = ()
    bot_username: str = ""
    kick: Callable[[], None] = field(default=lambda: None)
    """Wake the sender: notices were written."""
    find_member: Callable[[int], Awaitable[StaffMember | None]] | None = None
    """Who a Telegram user is on the staff, the cheap way storage has (asked at every
    update); without it a unit of work's `staff.by_telegram`."""

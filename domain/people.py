"""The staff: departments, people, their roles, substitutes and absences (Lipetsk 5.2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from domain.roles import Role


class AbsenceKind(StrEnum):
    SICK_LEAVE = "sick_leave"
    LEAVE = "leave"
    BUSINESS_TRIP = "business_trip"
    TRAINING = "training"


@dataclass(frozen=True, slots=True)
class Absence:
    kind: AbsenceKind
    first_day: date
    last_day: date
    """Inclusive."""

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError("an absence ends before it starts")

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True, slots=True)
class Department:
    id: int | None
    name: str
    lead_id: int | None = None
    supervising_deputy_id: int | None = None


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int | None
    telegram_id: int
    full_name: str
    roles: frozenset[Role]
    department_id: int | None = None
    substitute_id: int | None = None
    absences: tuple[Absence, ...] = ()
    active: bool = True
    blocked_bot: bool = False
    """The person blocked the bot: messages to them fail (403)."""

    def absent_on(self, day: date) -> Absence | None:
        return next((a for a in self.absences if a.covers(day)), None)

    def acts_on(self, day: date) -> bool:
        """Acts for themselves on `day`: active, reachable and not away."""
        return self.active and not self.blocked_bot and self.absent_on(day) is None

    def has(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True, slots=True)
class OnDuty:
    """Who acts for `intended` on a day: the person, or the substitute chain's first present."""

    intended: StaffMember
    acting: StaffMember | None
    """None: absent with no present substitute; the curator must be told (nobody can act)."""
    chain: tuple[int, ...] = field(default=())


def on_duty(person: StaffMember, day: date, staff: Mapping[int, StaffMember]) -> OnDuty:
    """Follow substitutes while people are absent, inactive or have blocked the bot."""
    seen: list[int] = []
    current: StaffMember | None = person
    while current is not None and current.id is not None and current.id not in seen:
        seen.append(current.id)
        if current.acts_on(day):
            return OnDuty(person, current, tuple(seen))
        current = staff.get(current.substitute_id) if current.substitute_id is not None else None
    return OnDuty(person, None, tuple(seen))


@dataclass(frozen=True, slots=True)
class Invite:
    """A one-time link that makes whoever opens it a staff member with this role."""

    token: str
    role: Role
    created_at: datetime
    created_by: int | None
    """None for the setup link printed at first start."""
    department_id: int | None = None
    used_by: int | None = None
    used_at: datetime | None = None

    @property
    def used(self) -> bool:
        return self.used_by is not None

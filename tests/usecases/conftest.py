from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.production_calendar import RussianCalendarFacts
from domain.people import Absence, AbsenceKind, Department, StaffMember
from domain.profiles import Profile, shipped_profile
from domain.roles import Role
from domain.routing import Routing
from domain.timeline import Rulers
from domain.worktime import CalendarTime, WorkingTime
from tests.fakes import FakeStore, FakeUnitOfWork, FixedClock

MSK = ZoneInfo("Europe/Moscow")
DAY = ((540, 780), (840, 1080))
FRI = ((540, 780), (840, 1005))
RULERS = Rulers(
    working=WorkingTime(MSK, (DAY, DAY, DAY, DAY, FRI, (), ()), RussianCalendarFacts()),
    calendar=CalendarTime(MSK),
    every_day=WorkingTime(
        MSK, (DAY, DAY, DAY, DAY, FRI, (), ()), RussianCalendarFacts(), days_off_schedule=DAY
    ),
)


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


@dataclass
class World:
    store: FakeStore
    clock: FixedClock
    routing: Routing
    roads: Department
    housing: Department
    curator: StaffMember
    head: StaffMember
    deputy: StaffMember
    ivanov: StaffMember
    petrov: StaffMember
    sidorova: StaffMember
    lead: StaffMember

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)


async def build_world(
    profile: str = "lipetsk", now: str = "2026-11-24 10:00", custom: Profile | None = None
) -> World:
    store = FakeStore()
    clock = FixedClock(msk(now))
    async with FakeUnitOfWork(store) as uow:
        roads = await uow.departments.add(Department(None, "Управление дорог"))
        housing = await uow.departments.add(Department(None, "Управление ЖКХ"))

        def person(tg: int, name: str, *roles: Role, dept: Department | None = None) -> StaffMember:
            return StaffMember(None, tg, name, frozenset(roles), dept.id if dept else None)

        curator = await uow.staff.add(person(100, "Куратор Анна", Role.CURATOR))
        head = await uow.staff.add(person(200, "Глава Борис", Role.HEAD))
        deputy = await uow.staff.add(person(201, "Зам Вера", Role.DEPUTY_HEAD))
        petrov = await uow.staff.add(person(301, "Петров", Role.EXECUTOR, dept=roads))
        ivanov = await uow.staff.add(person(300, "Иванов", Role.EXECUTOR, dept=roads))
        sidorova = await uow.staff.add(person(400, "Сидорова", Role.EXECUTOR, dept=housing))
        lead = await uow.staff.add(person(302, "Начальник дорог", Role.DEPARTMENT_LEAD, dept=roads))
        await uow.commit()
    chosen = custom or shipped_profile(profile)
    routing = Routing(lambda: FakeUnitOfWork(store), clock, chosen, RULERS)
    return World(
        store, clock, routing, roads, housing, curator, head, deputy, ivanov, petrov, sidorova, lead
    )


@pytest.fixture
async def world() -> World:
    return await build_world()


def absent(member: StaffMember, first: date, last: date) -> StaffMember:
    from dataclasses import replace

    return replace(member, absences=(Absence(AbsenceKind.SICK_LEAVE, first, last),))

"""A scripted week of known incidents, written through the repositories, on SQLite and on a real
PostgreSQL server (the storage fixtures), and the figures its weekly report must show.

The week is Barnaul's: from Friday 20 November 2026 16:00 to Friday 27 November 16:00 (Moscow
time), working hours Mon-Thu 09-13, 14-18, Fri 09-13, 14-16:45.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.production_calendar import RussianCalendarFacts
from domain.durations import ClockKind
from domain.incident import (
    DraftKind,
    Importance,
    Incident,
    Outcome,
    Reaction,
    Source,
    Status,
    Tags,
)
from domain.people import Department, StaffMember
from domain.ports import UnitOfWork
from domain.reports import Period, PeriodKind
from domain.roles import Role
from domain.timeline import Rulers
from domain.timers import Timer
from domain.work import Approval, Assignment, AssignmentState, Decision, Draft, Publication
from domain.worktime import CalendarTime, WorkingTime

# The storage fixtures (a migrated SQLite file per test, one PostgreSQL server per session).
from tests.storage.conftest import (  # noqa: F401
    ENGINES,
    UowFactory,
    backend_url,
    db,
    db_url,
    pg_server,
    pg_template,
    postgres_url,
    sqlite_template,
    sqlite_url,
    uow_factory,
)

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


WEEK = Period(PeriodKind.WEEKLY, msk("2026-11-20 16:00"), msk("2026-11-27 16:00"))
NOW = msk("2026-11-27 16:00")
H = timedelta(hours=1)


@dataclass
class Office:
    roads: Department
    housing: Department
    curator: StaffMember
    head: StaffMember
    deputy: StaffMember
    ivanov: StaffMember
    petrova: StaffMember
    lead: StaffMember
    incidents: dict[str, Incident] = field(default_factory=dict)

    @property
    def roads_id(self) -> int:
        assert self.roads.id is not None
        return self.roads.id

    @property
    def housing_id(self) -> int:
        assert self.housing.id is not None
        return self.housing.id


async def seed_staff(uow: UnitOfWork) -> Office:
    roads = await uow.departments.add(Department(None, "Управление дорог"))
    housing = await uow.departments.add(Department(None, "Управление ЖКХ"))

    def person(tg: int, name: str, role: Role, dept: Department | None = None) -> StaffMember:
        return StaffMember(None, tg, name, frozenset({role}), dept.id if dept else None)

    return Office(
        roads=roads,
        housing=housing,
        curator=await uow.staff.add(person(100, "Куратор Анна", Role.CURATOR)),
        head=await uow.staff.add(person(200, "Глава Борис", Role.HEAD)),
        deputy=await uow.staff.add(person(201, "Зам Вера", Role.DEPUTY_HEAD)),
        ivanov=await uow.staff.add(person(300, "Иванов", Role.EXECUTOR, roads)),
        petrova=await uow.staff.add(person(400, "Петрова", Role.EXECUTOR, housing)),
        lead=await uow.staff.add(person(302, "Начальник дорог", Role.DEPARTMENT_LEAD, roads)),
    )


@dataclass(frozen=True)
class TimerPlan:
    name: str
    due: datetime | None
    stopped: datetime | None
    holder: StaffMember | None
    role: Role = Role.EXECUTOR
    part: int | None = 0
    """Index of the incident's assignment the timer belongs to (None: the incident's)."""
    started: datetime | None = None
    clause: str = "п. 8"


async def put(
    uow: UnitOfWork,
    office: Office,
    *,
    detected: datetime,
    status: Status,
    topic: tuple[str, str] | None = None,
    location: str | None = None,
    importance: Importance = Importance.ORDINARY,
    parts: tuple[tuple[Department, StaffMember], ...] = (),
    answers: tuple[tuple[DraftKind, datetime], ...] = (),
    revisions: int = 0,
    reaction: Reaction | None = None,
    links: tuple[int, ...] = (),
    timers: tuple[TimerPlan, ...] = (),
    text: str = "",
) -> Incident:
    """An incident as the use cases would have left it, with its timers."""
    curator = office.curator
    assert curator.id is not None
    incident = Incident(
        id=None,
        profile="barnaul",
        flow="default",
        source=Source(network="vk", url=f"https://vk.com/wall-1_{detected:%d%H%M}", text=text),
        detected_at=detected,
        curator_id=curator.id,
        status=status,
        tags=Tags(
            topic_group=topic[0] if topic else None,
            topic=topic[1] if topic else None,
            location=location,
            importance=importance,
        ),
        reaction=reaction,
        linked_ids=links,
    )
    kinds = {kind for kind, _ in answers}
    if status is Status.CLOSED and DraftKind.FINAL in kinds:  # as publishing the final one does
        intermediate = DraftKind.INTERMEDIATE in kinds
        incident.outcome = Outcome.ANSWERED_AFTER_INTERMEDIATE if intermediate else Outcome.ANSWERED
    for order, (department, executor) in enumerate(parts):
        assert department.id is not None
        incident.assignments.append(
            Assignment(
                None,
                department.id,
                executor.id,
                order,
                detected + timedelta(minutes=10),
                AssignmentState.ACCEPTED,
            )
        )
    author = parts[-1][1].id if parts else curator.id
    assert author is not None
    for kind, at in answers:
        incident.drafts.append(Draft(None, kind, "Ответ", author, at - H, submitted_at=at - H))
    stored = await uow.incidents.add(incident)
    assert stored.id is not None
    for n, (_, at) in enumerate(answers):
        draft = stored.drafts[n].id
        assert draft is not None
        for step in range(revisions if n == 0 else 0):
            stored.approvals.append(
                Approval(None, draft, step, Role.CURATOR, curator.id, Decision.REVISION, at - H)
            )
        stored.approvals.append(
            Approval(None, draft, 0, Role.CURATOR, curator.id, Decision.APPROVED, at)
        )
        stored.publications.append(
            Publication(None, draft, curator.id, at, link="https://vk.com/x")
        )
    if answers:
        await uow.incidents.update(stored, stored.version, [])
    for plan in timers:
        assignment = stored.assignments[plan.part].id if plan.part is not None and parts else None
        await uow.timers.add(
            Timer(
                id=None,
                incident_id=stored.id,
                name=plan.name,
                clause=plan.clause,
                clock=ClockKind.WORKING,
                started_at=plan.started or detected,
                due_at=plan.due,
                holder_id=plan.holder.id if plan.holder else None,
                holder_role=plan.role,
                assignment_id=assignment,
                stopped_at=plan.stopped,
                breached_at=plan.due if plan.due and (plan.stopped or NOW) > plan.due else None,
            )
        )
    return stored


POTHOLES = ("roads", "potholes")
LIGHTING = ("roads", "lighting")
HEATING = ("housing", "heating")


async def scripted_week(uow: UnitOfWork) -> Office:
    """Eight incidents around the week of 20-27 November 2026 (see the module docstring):

    #1 Mon 10:00 roads, answered Mon 12:00 (2 working hours), on time, author satisfied;
    #2 Mon 15:00 roads, high, answered Wed 10:00 (12 h): late; draft 5 h late, answer 3 h late;
       once returned for revision;
    #3 Tue 09:30 housing, intermediate answer Tue 14:30 (4 h), on time;
    #4 Wed 11:00 housing, repeats #3, still open: answer 11 h overdue by Friday 16:00, the
       curator routed it 30 min late;
    #5 Thu 10:00 joint roads + housing, significant, answered Thu 17:00 (6 h), author dissatisfied;
    #6 Thu 12:00 not subject to answer, untagged;
    #7 Fri 20 Nov 15:00 (the week before): its answer, due Mon 14:00, came an hour late;
    #8 Fri 27 Nov 16:30 (after the week).
    """
    o = await seed_staff(uow)
    roads, housing, ivanov, petrova = o.roads, o.housing, o.ivanov, o.petrova
    i = o.incidents
    i["1"] = await put(
        uow,
        o,
        detected=msk("2026-11-23 10:00"),
        status=Status.CLOSED,
        topic=POTHOLES,
        location="Центр",
        parts=((roads, ivanov),),
        answers=((DraftKind.FINAL, msk("2026-11-23 12:00")),),
        reaction=Reaction.SATISFIED,
        timers=(TimerPlan("answer", msk("2026-11-24 11:00"), msk("2026-11-23 12:00"), ivanov),),
    )
    i["2"] = await put(
        uow,
        o,
        detected=msk("2026-11-23 15:00"),
        status=Status.CLOSED,
        topic=POTHOLES,
        location="Центр",
        importance=Importance.HIGH,
        parts=((roads, ivanov),),
        answers=((DraftKind.FINAL, msk("2026-11-25 10:00")),),
        revisions=1,
        timers=(
            TimerPlan(
                "draft", msk("2026-11-24 11:00"), msk("2026-11-24 17:00"), ivanov, clause="п. 4, 6"
            ),
            TimerPlan("answer", msk("2026-11-24 16:00"), msk("2026-11-25 10:00"), ivanov),
        ),
    )
    i["3"] = await put(
        uow,
        o,
        detected=msk("2026-11-24 09:30"),
        status=Status.AWAITING_FINAL,
        topic=HEATING,
        location="Северный",
        parts=((housing, petrova),),
        answers=((DraftKind.INTERMEDIATE, msk("2026-11-24 14:30")),),
        timers=(
            TimerPlan("answer", msk("2026-11-25 10:30"), msk("2026-11-24 14:30"), petrova),
            TimerPlan(
                "final_after_intermediate",
                msk("2026-12-03 18:00"),
                None,
                petrova,
                started=msk("2026-11-24 14:30"),
            ),
        ),
    )
    assert i["3"].id is not None
    i["4"] = await put(
        uow,
        o,
        detected=msk("2026-11-25 11:00"),
        status=Status.IN_WORK,
        topic=HEATING,
        location="Северный",
        parts=((housing, petrova),),
        links=(i["3"].id,),
        timers=(
            TimerPlan(
                "route",
                msk("2026-11-25 11:30"),
                msk("2026-11-25 12:00"),
                o.curator,
                role=Role.CURATOR,
                part=None,
                clause="п. 4",
            ),
            # held by the role, as planned at detection: the department's executor answers
            TimerPlan("answer", msk("2026-11-26 12:00"), None, None, part=None),
        ),
    )
    i["5"] = await put(
        uow,
        o,
        detected=msk("2026-11-26 10:00"),
        status=Status.CLOSED,
        topic=LIGHTING,
        location="Центр",
        importance=Importance.SIGNIFICANT,
        parts=((roads, ivanov), (housing, petrova)),
        answers=((DraftKind.FINAL, msk("2026-11-26 17:00")),),
        reaction=Reaction.DISSATISFIED,
        timers=(
            TimerPlan("answer", msk("2026-11-27 11:00"), msk("2026-11-26 17:00"), petrova, part=1),
        ),
    )
    i["6"] = await put(uow, o, detected=msk("2026-11-26 12:00"), status=Status.NOT_SUBJECT)
    i["7"] = await put(
        uow,
        o,
        detected=msk("2026-11-20 15:00"),
        status=Status.CLOSED,
        topic=POTHOLES,
        location="Центр",
        parts=((roads, ivanov),),
        answers=((DraftKind.FINAL, msk("2026-11-23 15:00")),),
        timers=(TimerPlan("answer", msk("2026-11-23 14:00"), msk("2026-11-23 15:00"), ivanov),),
    )
    i["8"] = await put(
        uow,
        o,
        detected=msk("2026-11-27 16:30"),
        status=Status.NEW,
        topic=POTHOLES,
        location="Центр",
    )
    return o


def renumbered(o: Office) -> dict[str, str]:
    """Label → the number the repository gave."""
    return {k: v.number or str(v.id) for k, v in o.incidents.items()}

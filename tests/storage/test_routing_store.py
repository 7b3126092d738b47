"""The routing use cases (intake, tagging, assignment, acceptance, returns, repeats) over the
three stores: timers, cards and notices written by the domain survive a real database."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.production_calendar import RussianCalendarFacts
from domain.errors import StaleVersion
from domain.incident import Action, Importance, Source, Status
from domain.people import Department, StaffMember
from domain.profiles import shipped_profile
from domain.roles import Role
from domain.routing import AlreadyDone, Routing
from domain.timeline import Rulers
from domain.timers import NoticeKind
from domain.work import AssignmentState
from domain.worktime import CalendarTime, WorkingTime
from tests.fakes import FixedClock
from tests.storage.conftest import UowFactory

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


POST = Source(network="vk", url="https://vk.com/wall-1_2", author="Мария Петрова", text="Яма")


async def office(uow_factory: UowFactory) -> dict[str, int]:
    async with uow_factory() as uow:
        roads = await uow.departments.add(Department(None, "Управление дорог"))
        housing = await uow.departments.add(Department(None, "Управление ЖКХ"))

        async def person(tg: int, name: str, role: Role, dept: Department | None = None) -> int:
            member = await uow.staff.add(
                StaffMember(None, tg, name, frozenset({role}), dept.id if dept else None)
            )
            assert member.id is not None
            return member.id

        ids = {
            "curator": await person(100, "Куратор", Role.CURATOR),
            "head": await person(200, "Глава", Role.HEAD),
            "deputy": await person(201, "Зам", Role.DEPUTY_HEAD),
            "ivanov": await person(300, "Иванов", Role.EXECUTOR, roads),
            "sidorova": await person(400, "Сидорова", Role.EXECUTOR, housing),
        }
        await uow.commit()
    assert roads.id is not None and housing.id is not None
    return ids | {"roads": roads.id, "housing": housing.id}


async def notices(uow_factory: UowFactory, kind: NoticeKind) -> set[tuple[int | None, int | None]]:
    async with uow_factory() as uow:
        return {
            (m.recipient_id, m.incident_id)
            for m in await uow.outbox.pending(1000)
            if m.kind is kind
        }


async def test_a_post_is_registered_tagged_assigned_returned_and_reassigned(
    uow_factory: UowFactory,
) -> None:
    ids = await office(uow_factory)
    clock = FixedClock(msk("2026-11-24 10:00"))
    routing = Routing(uow_factory, clock, shipped_profile("lipetsk"), RULERS)

    registered = await routing.register_post(100, POST)
    inc = registered.incident
    assert inc.id is not None and inc.status is Status.NEW
    iid = inc.id
    timers = {t.name: t.due_at for t in await routing.timers(iid)}
    assert timers == {"route": msk("2026-11-24 10:30"), "answer": msk("2026-11-25 11:00")}
    assert (ids["curator"], iid) in await notices(uow_factory, NoticeKind.CARD)

    tagged = await routing.tag(
        100,
        iid,
        inc.version,
        topic_group="roads",
        topic="potholes",
        importance=Importance.SIGNIFICANT,
    )
    alerted = {r for r, _ in await notices(uow_factory, NoticeKind.SIGNIFICANT)}
    assert alerted == {ids["head"], ids["deputy"]}

    assigned = await routing.assign(100, iid, tagged.version, [ids["housing"]])
    clock.move(timedelta(minutes=20))
    back = await routing.return_not_competent(400, iid, assigned.version, "Это дороги")
    assert back.incident.status is Status.RETURNED and not back.late
    assert back.incident.history[-1].payload == {
        "reason": "Это дороги",
        "late": False,
        "department_id": ids["housing"],
    }
    assert (ids["curator"], iid) in await notices(uow_factory, NoticeKind.RETURNED)
    # No new routing deadline after a return (Lipetsk 6 counts from detection); п. 8 runs on.
    left = {t.name: t.due_at for t in await routing.timers(iid)}
    assert "route" not in left and left["answer"] == msk("2026-11-25 11:00")

    again = await routing.assign(100, iid, back.incident.version, [ids["roads"]])
    assert [a.state for a in again.assignments] == [
        AssignmentState.RETURNED,
        AssignmentState.PENDING,
    ]
    taken = await routing.accept(300, iid, again.version)
    assert taken.status is Status.IN_WORK and taken.assignments[1].executor_id == ids["ivanov"]
    with pytest.raises((AlreadyDone, StaleVersion)):
        await routing.accept(300, iid, again.version)

    loaded = await routing.incident(iid)
    assert loaded == taken
    assert [h.action for h in loaded.history] == [
        Action.DETECT,
        Action.TAG,
        Action.ASSIGN,
        Action.RETURN_NOT_COMPETENT,
        Action.ASSIGN,
        Action.ACCEPT,
    ]
    holders = {t.name: t.holder_id for t in await routing.timers(iid)}
    assert holders["draft"] == ids["ivanov"]

    repeat = await routing.register_post(100, POST)
    assert [i.id for i in repeat.repeats] == [iid]
    assert repeat.incident.id is not None
    linked = await routing.link_repeat(100, repeat.incident.id, repeat.incident.version, iid)
    assert linked.linked_ids == (iid,)
    assert (await routing.incident(repeat.incident.id)).linked_ids == (iid,)


async def assert_next_due_kept(uow_factory: UowFactory) -> None:
    """Every incident's `next_due` is the nearest due moment of its open, running timers."""
    from sqlalchemy import select

    from storage.models import IncidentRow
    from storage.repositories import next_due_of

    probe = uow_factory()
    if not hasattr(probe, "session"):
        return  # the fake store computes it when asked
    async with probe as uow:
        rows = (
            await uow.session.execute(
                select(IncidentRow.id, IncidentRow.next_due, next_due_of(IncidentRow.id))
            )
        ).all()
    assert rows and all(kept == wanted for _, kept, wanted in rows), rows


async def test_each_step_hands_back_what_is_stored_without_reading_it_again(
    uow_factory: UowFactory,
) -> None:
    """A use case no longer reads the incident back after writing it (#13: load once, write
    once): what it returns must be what a fresh read finds, ids, version and history included,
    at every step of a whole answer with a photo, and the history's `seq` runs 1, 2, 3…"""
    from sqlalchemy import select

    from domain.answering import Answering
    from domain.incident import DraftKind
    from domain.textchecks import DraftWarning
    from domain.work import Attachment, AttachmentKind
    from storage.models import HistoryRow

    ids = await office(uow_factory)
    clock = FixedClock(msk("2026-11-24 10:00"))
    profile = shipped_profile("lipetsk")
    routing = Routing(uow_factory, clock, profile, RULERS)
    answering = Answering(uow_factory, clock, profile, RULERS)

    async def same(returned: object, iid: int) -> None:
        assert returned == await routing.incident(iid)

    inc = (await routing.register_post(100, POST)).incident
    assert inc.id is not None
    iid = inc.id
    await same(inc, iid)
    inc = await routing.tag(100, iid, inc.version, topic_group="roads", topic="potholes")
    await same(inc, iid)
    inc = await routing.assign(100, iid, inc.version, [ids["roads"]])
    await same(inc, iid)
    assert all(a.id is not None for a in inc.assignments)
    clock.move(timedelta(minutes=5))
    inc = await routing.accept(300, iid, inc.version)
    await same(inc, iid)
    await answering.start_draft(300, iid, inc.version, DraftKind.FINAL)
    photo = Attachment(AttachmentKind.PHOTO, "photo-1", None)
    text = "Сообщаем, что яма на дороге у дома 10 заделана 24 ноября, покрытие восстановлено."
    await answering.add_to_draft(300, iid, text, [photo])
    inc = await routing.incident(iid)
    inc = await answering.submit(300, iid, inc.version, override=tuple(DraftWarning))
    await same(inc, iid)
    assert all(d.id is not None for d in inc.drafts)
    inc = await answering.approve(100, iid, inc.version)
    await same(inc, iid)
    inc = await answering.publish(300, iid, inc.version, "https://vk.com/wall-1_3", None)
    await same(inc, iid)
    assert inc.status is Status.CLOSED
    await assert_next_due_kept(uow_factory)
    if not hasattr(uow_factory(), "session"):
        return  # the fake store has no rows to count
    async with uow_factory() as uow:
        seqs = list(
            await uow.session.scalars(  # type: ignore[attr-defined]
                select(HistoryRow.seq).where(HistoryRow.incident_id == iid).order_by(HistoryRow.id)
            )
        )
    assert seqs == list(range(1, len(inc.history) + 1)) and len(seqs) >= 7


async def test_the_board_page_is_read_as_heads_by_the_nearest_deadline(
    uow_factory: UowFactory,
) -> None:
    """/board reads a page of heads (number, status, version), not whole incidents, ordered
    by the nearest open deadline, the ones without any last."""
    from domain.ports import IncidentHead

    await office(uow_factory)
    clock = FixedClock(msk("2026-11-24 10:00"))
    routing = Routing(uow_factory, clock, shipped_profile("lipetsk"), RULERS)
    made = []
    for n in range(3):
        source = Source(network="vk", url=f"https://vk.com/wall-1_{n + 10}", text=f"Пост {n}")
        made.append((await routing.register_post(100, source)).incident)
        clock.move(timedelta(minutes=5))
    last = made[2]
    assert last.id is not None
    last = await routing.tag(100, last.id, last.version, topic_group="roads", topic="potholes")
    async with uow_factory() as uow:  # the last one's deadlines stopped: it goes last
        for timer in await uow.timers.open_for(last.id or 0):
            timer.stopped_at = clock.now()
            await uow.timers.update(timer)
        first_page = await uow.incidents.open_by_urgency(0, 2)
        second_page = await uow.incidents.open_by_urgency(2, 2)
    await assert_next_due_kept(uow_factory)
    assert first_page == [IncidentHead(i.id, i.number, i.status, i.version) for i in made[:2]]
    assert second_page == [IncidentHead(last.id, last.number, last.status, last.version)]

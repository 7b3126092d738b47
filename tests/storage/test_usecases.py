"""The use cases over the three stores: the in-memory fakes, SQLite and PostgreSQL.

Every test runs once per backend (`uow_factory` is parametrized in conftest.py): what the
fakes promise, the databases keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.errors import RoleNotAllowed, StaleVersion, TransitionNotAllowed
from domain.incident import Action, Importance, Incident, Source, Status, Tags
from domain.people import Department, StaffMember
from domain.roles import Role
from domain.usecases import NotFound
from domain.work import AssignmentState
from tests.fakes import EPOCH, FakeUnitOfWork, FixedClock
from tests.storage import steps as usecases
from tests.storage.conftest import UowFactory

MSK = timezone(timedelta(hours=3))


@dataclass
class Office:
    curator: StaffMember
    executor: StaffMember
    other_executor: StaffMember
    head: StaffMember
    roads: Department
    parks: Department


async def seed(uow_factory: UowFactory) -> Office:
    async with uow_factory() as uow:
        roads = await uow.departments.add(Department(None, "Дороги"))
        parks = await uow.departments.add(Department(None, "Парки"))
        assert roads.id is not None and parks.id is not None

        def person(tg: int, name: str, role: Role, dept: int | None = None) -> StaffMember:
            return StaffMember(None, tg, name, frozenset({role}), department_id=dept)

        office = Office(
            curator=await uow.staff.add(person(101, "Куратор", Role.CURATOR)),
            executor=await uow.staff.add(person(102, "Исполнитель", Role.EXECUTOR, roads.id)),
            other_executor=await uow.staff.add(person(103, "Другой", Role.EXECUTOR, parks.id)),
            head=await uow.staff.add(person(104, "Глава", Role.HEAD)),
            roads=roads,
            parks=parks,
        )
        await uow.commit()
    return office


SOURCE = Source(
    network="vk",
    url="https://vk.com/wall-1_2",
    author="Иван Петров",
    text="Яма на улице Ленина",
    media=("photo-1", "photo-2"),
    external_number="ПОС-17",
    external_deadline=datetime(2026, 3, 5, 18, 0, tzinfo=MSK),
)


async def detected(uow_factory: UowFactory, clock: FixedClock, office: Office) -> Incident:
    return await usecases.detect(
        uow_factory,
        clock,
        profile="lipetsk",
        flow="default",
        source=SOURCE,
        curator=office.curator,
        detected_at=clock.now() - timedelta(minutes=30),
        tags=Tags("ЖКХ", "Дороги", "Ленина, 5", Importance.HIGH),
    )


async def stored(uow_factory: UowFactory, incident_id: int | None) -> Incident:
    assert incident_id is not None
    async with uow_factory() as uow:
        found = await uow.incidents.get(incident_id)
    assert found is not None
    return found


async def to_under_approval(uow_factory: UowFactory, clock: FixedClock, office: Office) -> Incident:
    incident = await detected(uow_factory, clock, office)
    incident_id = incident.id
    assert incident_id is not None and office.roads.id is not None
    clock.move(timedelta(minutes=5))
    incident = await usecases.assign(
        uow_factory,
        clock,
        incident_id,
        office.curator,
        incident.version,
        [office.roads.id],
        [office.executor.id],
    )
    clock.move(timedelta(minutes=5))
    incident = await usecases.apply_action(
        uow_factory, clock, incident_id, office.executor, Action.ACCEPT, incident.version
    )
    clock.move(timedelta(hours=1))
    return await usecases.apply_action(
        uow_factory,
        clock,
        incident_id,
        office.executor,
        Action.SUBMIT_DRAFT,
        incident.version,
        {"kind": "final"},
    )


async def test_detect_stores_the_incident_with_its_first_history_entry(
    uow_factory: UowFactory,
) -> None:
    clock = FixedClock(EPOCH)
    office = await seed(uow_factory)
    incident = await detected(uow_factory, clock, office)

    assert incident.id is not None
    assert incident.number
    again = await stored(uow_factory, incident.id)
    assert again == incident
    assert again.status is Status.NEW and again.version == 0
    assert again.source == SOURCE
    assert again.tags.importance is Importance.HIGH
    assert again.detected_at == EPOCH - timedelta(minutes=30)
    assert [h.action for h in again.history] == [Action.DETECT]
    assert again.history[0].payload == {"detected_at": (EPOCH - timedelta(minutes=30)).isoformat()}
    assert again.history[0].actor_id == office.curator.id


async def test_a_draft_goes_through_assignment_acceptance_and_approval(
    uow_factory: UowFactory,
) -> None:
    clock = FixedClock(EPOCH)
    office = await seed(uow_factory)
    incident = await to_under_approval(uow_factory, clock, office)
    assert incident.id is not None
    clock.move(timedelta(minutes=20))

    approved = await usecases.approve(
        uow_factory, clock, incident.id, office.head, incident.version
    )

    again = await stored(uow_factory, incident.id)
    assert again == approved
    assert again.status is Status.APPROVED
    assert again.version == 4
    assert [h.action for h in again.history] == [
        Action.DETECT,
        Action.ASSIGN,
        Action.ACCEPT,
        Action.SUBMIT_DRAFT,
        Action.APPROVE,
    ]
    assert [(h.from_status, h.to_status) for h in again.history[1:]] == [
        (Status.NEW, Status.ASSIGNED),
        (Status.ASSIGNED, Status.IN_WORK),
        (Status.IN_WORK, Status.UNDER_APPROVAL),
        (Status.UNDER_APPROVAL, Status.APPROVED),
    ]
    assert again.history[-1].at == clock.now()
    assert again.history[-1].actor_roles == frozenset({Role.HEAD})
    assert again.history[-1].clause == "п. 10"
    assert again.history[1].payload == {"departments": [office.roads.id]}
    assert again.history[3].payload == {"kind": "final"}
    [part] = again.assignments
    assert (part.department_id, part.executor_id, part.order) == (
        office.roads.id,
        office.executor.id,
        0,
    )
    assert part.state is AssignmentState.PENDING
    assert part.id is not None


async def test_revision_requested_then_resubmitted(uow_factory: UowFactory) -> None:
    clock = FixedClock(EPOCH)
    office = await seed(uow_factory)
    incident = await to_under_approval(uow_factory, clock, office)
    assert incident.id is not None

    back = await usecases.request_revision(
        uow_factory, clock, incident.id, office.head, incident.version, "уточните сроки ремонта"
    )
    assert back.status is Status.REVISION
    again = await usecases.apply_action(
        uow_factory, clock, incident.id, office.executor, Action.SUBMIT_DRAFT, back.version
    )

    loaded = await stored(uow_factory, incident.id)
    assert loaded == again
    assert loaded.status is Status.UNDER_APPROVAL
    assert loaded.history[-2].payload == {"reason": "уточните сроки ремонта"}
    assert loaded.history[-2].action is Action.REQUEST_REVISION
    assert len(loaded.history) == 6


async def test_a_joint_answer_keeps_its_parts_in_order(uow_factory: UowFactory) -> None:
    clock = FixedClock(EPOCH)
    office = await seed(uow_factory)
    incident = await detected(uow_factory, clock, office)
    assert incident.id is not None and office.roads.id is not None and office.parks.id is not None

    await usecases.assign(
        uow_factory,
        clock,
        incident.id,
        office.curator,
        0,
        [office.parks.id, office.roads.id],
        [office.other_executor.id],
    )

    loaded = await stored(uow_factory, incident.id)
    assert [(a.department_id, a.executor_id, a.order) for a in loaded.assignments] == [
        (office.parks.id, office.other_executor.id, 0),
        (office.roads.id, None, 1),
    ]
    assert all(a.assigned_at == EPOCH for a in loaded.assignments)


async def test_a_stale_button_loses_and_names_who_acted(uow_factory: UowFactory) -> None:
    clock = FixedClock(EPOCH)
    office = await seed(uow_factory)
    incident = await to_under_approval(uow_factory, clock, office)
    assert incident.id is not None
    await usecases.approve(uow_factory, clock, incident.id, office.head, incident.version)

    with pytest.raises(StaleVersion) as caught:
        await usecases.request_revision(
            uow_factory, clock, incident.id, office.curator, incident.version, "поздно"
        )
    assert (caught.value.expected, caught.value.actual) == (3, 4)
    assert caught.value.last_actor == office.head.id
    assert (await stored(uow_factory, incident.id)).status is Status.APPROVED


async def test_refused_actions_write_nothing(uow_factory: UowFactory) -> None:
    clock = FixedClock(EPOCH)
    office = await seed(uow_factory)
    incident = await detected(uow_factory, clock, office)
    assert incident.id is not None

    with pytest.raises(RoleNotAllowed):
        await usecases.apply_action(uow_factory, clock, incident.id, office.executor, Action.TAG, 0)
    with pytest.raises(TransitionNotAllowed):
        await usecases.approve(uow_factory, clock, incident.id, office.head, 0)
    with pytest.raises(NotFound):
        await usecases.approve(uow_factory, clock, 987654, office.head, 0)

    assert await stored(uow_factory, incident.id) == incident


async def test_actions_that_keep_the_status_still_write_history(uow_factory: UowFactory) -> None:
    clock = FixedClock(EPOCH)
    office = await seed(uow_factory)
    first = await detected(uow_factory, clock, office)
    second = await detected(uow_factory, clock, office)
    assert second.id is not None

    tagged = await usecases.apply_action(
        uow_factory,
        clock,
        second.id,
        office.curator,
        Action.LINK_REPEATED,
        0,
        {"earlier": first.id, "note": "повтор", "nested": {"a": [1, 2.5, None, True]}},
    )

    loaded = await stored(uow_factory, second.id)
    assert loaded == tagged
    assert loaded.status is Status.NEW and loaded.version == 1
    assert loaded.history[-1].payload == {
        "earlier": first.id,
        "note": "повтор",
        "nested": {"a": [1, 2.5, None, True]},
    }


async def test_without_commit_nothing_is_kept(uow_factory: UowFactory) -> None:
    office = await seed(uow_factory)
    async with uow_factory() as uow:
        await uow.staff.add(StaffMember(None, 999, "Временный", frozenset({Role.EXECUTOR})))
        assert await uow.staff.by_telegram(999) is not None
    async with uow_factory() as uow:
        assert await uow.staff.by_telegram(999) is None
        assert {m.id for m in await uow.staff.all()} == {
            office.curator.id,
            office.executor.id,
            office.other_executor.id,
            office.head.id,
        }


async def test_lookups_by_url_author_number_and_text(uow_factory: UowFactory) -> None:
    clock = FixedClock(EPOCH)
    office = await seed(uow_factory)
    first = await detected(uow_factory, clock, office)
    clock.move(timedelta(hours=1))
    second = await usecases.detect(
        uow_factory,
        clock,
        profile="lipetsk",
        flow="default",
        curator=office.curator,
        source=Source("tg", "https://t.me/c/1/2", "Мария", "ТРАВА не скошена"),
    )

    async with uow_factory() as uow:
        assert [i.id for i in await uow.incidents.find_by_url(SOURCE.url or "")] == [first.id]
        assert [
            i.id
            for i in await uow.incidents.find_by_author("Иван Петров", EPOCH - timedelta(days=1))
        ] == [first.id]
        assert await uow.incidents.find_by_author("Иван Петров", EPOCH) == []
        # the incident being compared is left out: it is not read only to be dropped
        assert await uow.incidents.find_by_url(SOURCE.url or "", but=first.id) == []
        assert (
            await uow.incidents.find_by_author("Иван Петров", EPOCH - timedelta(days=1), first.id)
            == []
        )
        assert [i.id for i in await uow.incidents.list_open()] == [first.id, second.id]
        assert [i.id for i in await uow.incidents.search("трава")] == [second.id]
        assert [i.id for i in await uow.incidents.search("ЛЕНИНА")] == [first.id]
        assert [i.id for i in await uow.incidents.search("https://")] == [second.id, first.id]
        assert await uow.incidents.search("нет такого") == []
        by_number = await uow.incidents.by_number(second.number or "")
        assert by_number is not None and by_number.id == second.id


async def test_erasing_personal_data_keeps_the_incident_and_its_history(
    uow_factory: UowFactory,
) -> None:
    clock = FixedClock(EPOCH)
    office = await seed(uow_factory)
    incident = await to_under_approval(uow_factory, clock, office)
    assert incident.id is not None

    async with uow_factory() as uow:
        assert await uow.incidents.erase_personal_data(incident.id)
        assert not await uow.incidents.erase_personal_data(987654)
        await uow.commit()

    loaded = await stored(uow_factory, incident.id)
    assert loaded.source == Source(
        network="vk", external_number="ПОС-17", external_deadline=SOURCE.external_deadline
    )
    assert loaded.history == incident.history
    assert loaded.status is incident.status
    async with uow_factory() as uow:
        assert [i.id for i in await uow.incidents.list_open()] == [incident.id]
        assert await uow.incidents.search("Петров") == []


async def test_aware_moments_come_back_in_utc(uow_factory: UowFactory) -> None:
    clock = FixedClock(datetime(2026, 3, 2, 12, 0, 0, 123456, tzinfo=MSK))
    office = await seed(uow_factory)
    incident = await detected(uow_factory, clock, office)

    loaded = await stored(uow_factory, incident.id)
    assert loaded.history[0].at == clock.now()
    assert loaded.detected_at == clock.now() - timedelta(minutes=30)
    assert loaded.source.external_deadline == SOURCE.external_deadline
    if not isinstance(uow_factory(), FakeUnitOfWork):
        assert loaded.history[0].at.tzinfo is UTC
        assert loaded.detected_at.tzinfo is UTC
        assert loaded.history[0].at.microsecond == 123456

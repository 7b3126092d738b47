"""Two people press at once: exactly one wins, the others learn who did, on both engines."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.durations import ClockKind
from domain.errors import StaleVersion
from domain.incident import Action, Actor, Incident, Source, Status
from domain.people import Department, StaffMember
from domain.roles import Role
from domain.timers import Timer
from storage.engine import Database
from tests.fakes import FixedClock
from tests.storage import steps as usecases

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def under_approval(db: Database, approvers: int) -> tuple[Incident, list[StaffMember]]:
    """An incident waiting for approval, and `approvers` people who may approve it."""
    clock = FixedClock(T0)
    async with db.unit_of_work() as uow:
        dept = await uow.departments.add(Department(None, "Отдел"))
        curator = await uow.staff.add(StaffMember(None, 1, "Куратор", frozenset({Role.CURATOR})))
        executor = await uow.staff.add(
            StaffMember(None, 2, "Исполнитель", frozenset({Role.EXECUTOR}), department_id=dept.id)
        )
        heads = [
            await uow.staff.add(
                StaffMember(None, 10 + n, f"Согласующий {n}", frozenset({Role.HEAD}))
            )
            for n in range(approvers)
        ]
        await uow.commit()
    assert dept.id is not None
    factory = db.unit_of_work
    incident = await usecases.detect(
        factory, clock, profile="lipetsk", flow="default", source=Source("vk"), curator=curator
    )
    iid = incident.id
    assert iid is not None
    await usecases.assign(factory, clock, iid, curator, 0, [dept.id], [executor.id])
    await usecases.apply_action(factory, clock, iid, executor, Action.ACCEPT, 1)
    incident = await usecases.apply_action(factory, clock, iid, executor, Action.SUBMIT_DRAFT, 2)
    assert incident.status is Status.UNDER_APPROVAL
    return incident, heads


@pytest.mark.parametrize("approvers", [2, 4])
async def test_concurrent_approvals_of_one_draft_exactly_one_wins(
    db: Database, approvers: int
) -> None:
    """Each press is a unit of work on its own connection; all load version 3 before any
    writes, then all write at once."""
    incident, heads = await under_approval(db, approvers)
    incident_id = incident.id
    assert incident_id is not None
    all_loaded = asyncio.Barrier(approvers)

    async def press(head: StaffMember) -> int | None:
        async with db.unit_of_work() as uow:
            mine = await uow.incidents.get(incident_id)
            assert mine is not None and mine.version == 3
            await all_loaded.wait()
            entry = mine.apply(Action.APPROVE, Actor(head.id, head.roles), T0, expected_version=3)
            await uow.incidents.update(mine, 3, [entry])
            await uow.commit()
        return head.id

    results = await asyncio.gather(*(press(h) for h in heads), return_exceptions=True)

    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1, results
    assert all(isinstance(e, StaleVersion) for e in losers), losers
    for lost in losers:
        assert isinstance(lost, StaleVersion)
        assert (lost.expected, lost.actual, lost.last_actor) == (3, 4, winners[0])
    async with db.unit_of_work() as uow:
        final = await uow.incidents.get(incident_id)
    assert final is not None
    assert final.status is Status.APPROVED and final.version == 4
    assert [h.action for h in final.history].count(Action.APPROVE) == 1
    assert final.history[-1].actor_id == winners[0]


async def test_concurrent_use_cases_one_approves_the_other_is_told(db: Database) -> None:
    incident, [first, second] = await under_approval(db, 2)
    assert incident.id is not None
    clock = FixedClock(T0 + timedelta(hours=1))
    results = await asyncio.gather(
        usecases.approve(db.unit_of_work, clock, incident.id, first, 3),
        usecases.request_revision(db.unit_of_work, clock, incident.id, second, 3, "нет"),
        return_exceptions=True,
    )
    done = [r for r in results if isinstance(r, Incident)]
    stale = [r for r in results if isinstance(r, StaleVersion)]
    assert len(done) == 1 and len(stale) == 1, results
    assert stale[0].last_actor == done[0].history[-1].actor_id


@pytest.mark.postgres
async def test_two_sweeps_on_postgresql_never_take_the_same_timer(postgres_url: str) -> None:
    from storage.engine import open_database

    db = await open_database(postgres_url, upgrade=False)
    try:
        async with db.unit_of_work() as uow:
            incident = await uow.incidents.add(Incident(None, "bor", "default", Source("vk"), T0))
            assert incident.id is not None
            for n in range(6):
                await uow.timers.add(
                    Timer(
                        None,
                        incident.id,
                        f"t{n}",
                        "п. 8",
                        ClockKind.WORKING,
                        T0,
                        T0 + timedelta(minutes=n),
                        None,
                        Role.EXECUTOR,
                    )
                )
            await uow.commit()
        async with db.unit_of_work() as first, db.unit_of_work() as second:
            mine = await first.timers.due(T0 + timedelta(hours=1), limit=4)
            theirs = await second.timers.due(T0 + timedelta(hours=1), limit=4)
        assert [t.name for t in mine] == ["t0", "t1", "t2", "t3"]
        assert [t.name for t in theirs] == ["t4", "t5"]
    finally:
        await db.close()

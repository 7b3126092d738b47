"""/tasks asks the database for messages under approval only at a step that can be the
person's (`incidents.turn`, #13): on the fake store, SQLite and PostgreSQL, a message under the
curator's approval is found for another curator and not for the head; a message whose step was
never kept (stored before migration 0010) is found for everyone until the bot's start works it
out again (`refresh_turns`), which moves no version."""

from __future__ import annotations

from datetime import timedelta

from domain.answering import Answering
from domain.incident import DraftKind, Status
from domain.people import StaffMember
from domain.ports import UnitOfWork
from domain.profiles import shipped_profile
from domain.roles import Role
from domain.routing import Routing
from domain.rulebook import involvement, standing_in
from domain.textchecks import DraftWarning
from tests.fakes import FakeUnitOfWork, FixedClock
from tests.storage.conftest import UowFactory
from tests.storage.test_routing_store import POST, RULERS, msk, office

PROFILE = shipped_profile("lipetsk")  # approval_chain = ["curator"] (п. 4, 10)


async def found_for(uow_factory: UowFactory, telegram_id: int) -> set[int]:
    """The open messages the database hands /tasks for this person to look at."""
    async with uow_factory() as uow:
        member = await uow.staff.by_telegram(telegram_id)
        assert member is not None
        departments = {d.id: d for d in await uow.departments.all() if d.id is not None}
        acts_for, acting = standing_in(
            member, await uow.staff.all(), msk("2026-11-24 12:00").date()
        )
        who = involvement(member, acts_for, acting, departments, PROFILE)
        return {i.id or 0 for i in await uow.incidents.open_involving(who)}


async def forget_turn(uow_factory: UowFactory, incident_id: int) -> None:
    """As a row kept before the turn was: NULL."""
    async with uow_factory() as uow:
        await set_turn(uow, incident_id, None)
        await uow.commit()


async def set_turn(uow: UnitOfWork, incident_id: int, turn: str | None) -> None:
    if isinstance(uow, FakeUnitOfWork):
        uow.data.incidents[incident_id].turn = turn
        return
    from sqlalchemy import update

    from storage.models import IncidentRow

    await uow.session.execute(  # type: ignore[attr-defined]
        update(IncidentRow).where(IncidentRow.id == incident_id).values(turn=turn)
    )


async def test_under_approval_is_found_by_whose_step_it_is(uow_factory: UowFactory) -> None:
    ids = await office(uow_factory)
    async with uow_factory() as uow:
        await uow.staff.add(StaffMember(None, 101, "Куратор Вторая", frozenset({Role.CURATOR})))
        await uow.commit()
    clock = FixedClock(msk("2026-11-24 10:00"))
    routing = Routing(uow_factory, clock, PROFILE, RULERS)
    answering = Answering(uow_factory, clock, PROFILE, RULERS)

    inc = (await routing.register_post(100, POST)).incident
    iid = inc.id or 0
    assert iid in await found_for(uow_factory, 100)  # registered by them
    assert iid not in await found_for(uow_factory, 101)
    inc = await routing.tag(100, iid, inc.version, topic_group="roads", topic="potholes")
    inc = await routing.assign(100, iid, inc.version, [ids["roads"]])
    assert iid in await found_for(uow_factory, 300)  # their department's
    assert iid not in await found_for(uow_factory, 400)  # another department's
    clock.move(timedelta(minutes=5))
    inc = await routing.accept(300, iid, inc.version)
    await answering.start_draft(300, iid, inc.version, DraftKind.FINAL)
    text = "Сообщаем, что яма на дороге у дома 10 заделана 24 ноября, покрытие восстановлено."
    await answering.add_to_draft(300, iid, text, [])
    inc = await routing.incident(iid)
    # In work: nobody's step; the other curator and the head have nothing to look at here.
    assert iid not in await found_for(uow_factory, 101)
    assert iid not in await found_for(uow_factory, 200)

    inc = await answering.submit(300, iid, inc.version, override=tuple(DraftWarning))
    assert inc.status is Status.UNDER_APPROVAL
    assert iid in await found_for(uow_factory, 101)  # the curator's step (п. 10)
    assert iid not in await found_for(uow_factory, 200)  # not the head's
    assert iid in await found_for(uow_factory, 300)  # the author: tied by the draft

    await forget_turn(uow_factory, iid)
    assert iid in await found_for(uow_factory, 200)  # not known: anyone's, nobody loses it
    assert await answering.refresh_turns() == 1
    assert iid not in await found_for(uow_factory, 200)
    assert iid in await found_for(uow_factory, 101)
    assert (await routing.incident(iid)).version == inc.version  # derived: no version moved

    # Worked out as of a version: a write since keeps what that write kept.
    async with uow_factory() as uow:
        await uow.incidents.keep_turns({iid: (inc.version - 1, "head")})
        await uow.commit()
    assert iid not in await found_for(uow_factory, 200)

    inc = await answering.approve(101, iid, inc.version)
    assert inc.status is Status.APPROVED
    # The executor publishes in Lipetsk (п. 12): no curator has work on it by role.
    assert iid not in await found_for(uow_factory, 101)
    assert iid in await found_for(uow_factory, 300)

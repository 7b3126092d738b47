"""A sixth act written as configuration only is loaded, routed and answered with no code
change: its own timer names, a shorter deadline for socially significant messages, a role of
its own, earliest external deadlines and approval by the kind of draft (tests/sixth_act.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.answering import Answering
from domain.errors import NotYourStep
from domain.incident import DraftKind, Importance, Incident, Source, Status
from domain.people import StaffMember
from domain.profiles import build_profile
from domain.roles import Role
from domain.timers import NoticeKind
from domain.work import Attachment, AttachmentKind
from tests.fakes import FakeUnitOfWork
from tests.sixth_act import sixth_data
from tests.usecases.conftest import RULERS, World, build_world, msk

SIXTH = build_profile("vymyshlenny", sixth_data())
POST = Source(network="vk", url="https://vk.com/wall-9_1", author="Автор", text="Не горит фонарь")
PRESS = Role("press_secretary")


def iid(incident: Incident) -> int:
    assert incident.id is not None
    return incident.id


async def world_with_press_secretary() -> tuple[World, StaffMember]:
    world = await build_world(custom=SIXTH)
    async with FakeUnitOfWork(world.store) as uow:
        press = await uow.staff.add(StaffMember(None, 700, "Пресс-секретарь", frozenset({PRESS})))
        await uow.commit()
    return world, press


async def test_the_sixth_act_is_routed_and_answered_as_its_configuration_says() -> None:
    world, press = await world_with_press_secretary()
    answers = Answering(world.uow, world.clock, SIXTH, RULERS)
    inc = (await world.routing.register_post(100, POST)).incident
    running = {t.name: t for t in await world.routing.timers(iid(inc))}
    assert set(running) == {"napravit", "otvet"}
    assert running["otvet"].due_at == msk("2026-11-24 17:00")  # 6 working hours from 10:00
    inc = await world.routing.tag(100, iid(inc), inc.version, importance=Importance.SIGNIFICANT)
    # Socially significant: the act's 2 hours (10:00-12:00), and the press secretary is told.
    assert {t.name: t.due_at for t in await world.routing.timers(iid(inc))}["otvet"] == msk(
        "2026-11-24 12:00"
    )
    told = {m.recipient_id for m in world.store.outbox.values() if m.kind is NoticeKind.SIGNIFICANT}
    assert told == {world.head.id, press.id}
    inc = await world.routing.assign(100, iid(inc), inc.version, [world.roads.id or 0])
    assert inc.history[-1].clause == "п. 3"
    proekt = {t.name: t.due_at for t in await world.routing.timers(iid(inc))}["proekt"]
    assert proekt == msk("2026-11-24 11:00")  # its own 1 hour for significant messages
    inc = await world.routing.accept(300, iid(inc), inc.version)
    await answers.start_draft(300, iid(inc), inc.version, DraftKind.FINAL)
    await answers.add_to_draft(
        300,
        iid(inc),
        "Фонарь на ул. Мира заменили 24 ноября.",
        [Attachment(AttachmentKind.PHOTO, "p")],
    )
    inc = await answers.submit(300, iid(inc), (await answers.incident(iid(inc))).version)
    with pytest.raises(NotYourStep):  # the curator's step comes first
        await answers.approve(700, iid(inc), inc.version)
    inc = await answers.approve(100, iid(inc), inc.version)
    step = {t.name: t for t in await world.routing.timers(iid(inc))}["vizirovanie"]
    assert step.holder_role is PRESS and step.clause == "п. 5"
    inc = await answers.approve(700, iid(inc), inc.version)
    assert inc.status is Status.APPROVED and inc.history[-1].clause == "п. 5"
    inc = await answers.publish(700, iid(inc), inc.version, "https://vk.com/wall-9_1?r=2", None)
    assert inc.status is Status.CLOSED and inc.history[-2].clause == "п. 6"
    assert await world.routing.timers(iid(inc)) == []


async def test_the_sixth_act_has_a_clarification_agreed_by_the_curator_alone() -> None:
    world, _ = await world_with_press_secretary()
    answers = Answering(world.uow, world.clock, SIXTH, RULERS)
    post = replace(POST, external_number="1", external_deadline=msk("2026-11-24 13:00"))
    inc = (await world.routing.register_post(100, post)).incident
    # earliest: the external 13:00 binds before the act's 17:00.
    assert {t.name: t.due_at for t in await world.routing.timers(iid(inc))}["otvet"] == msk(
        "2026-11-24 13:00"
    )
    inc = await world.routing.assign(100, iid(inc), inc.version, [world.roads.id or 0])
    inc = await world.routing.accept(300, iid(inc), inc.version)
    await answers.start_draft(300, iid(inc), inc.version, DraftKind.CLARIFICATION)
    await answers.add_to_draft(300, iid(inc), "Уточните, пожалуйста, номер дома.", [])
    inc = await answers.submit(300, iid(inc), (await answers.incident(iid(inc))).version)
    inc = await answers.approve(100, iid(inc), inc.version)
    assert inc.status is Status.APPROVED  # no press secretary step for a clarification
    inc = await answers.publish(700, iid(inc), inc.version, "https://vk.com/wall-9_1?r=3", None)
    assert inc.status is Status.CLARIFICATION
    assert {t.name: t for t in await world.routing.timers(iid(inc))}["otvet"].is_paused

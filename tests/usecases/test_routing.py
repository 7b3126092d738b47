from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from domain.errors import AccessDenied, StaleVersion
from domain.incident import Action, Importance, Incident, Source, Status
from domain.routing import AlreadyDone, NotStaff, NotYours
from domain.timers import NoticeKind
from domain.work import AssignmentState
from tests.usecases.conftest import World, absent, build_world, msk


def iid(incident: Incident) -> int:
    assert incident.id is not None
    return incident.id


POST = Source(
    network="vk", url="https://vk.com/wall-1_2", author="Мария Петрова", text="Яма на ул. Ленина"
)


def notices(world: World, kind: NoticeKind) -> list[tuple[int | None, int | None]]:
    return [(m.recipient_id, m.incident_id) for m in world.store.outbox.values() if m.kind is kind]


async def test_a_forwarded_post_becomes_an_incident_with_its_clocks_running(world: World) -> None:
    reg = await world.routing.register_post(100, POST)
    inc = reg.incident
    assert inc.status is Status.NEW and inc.id is not None
    assert [h.action for h in inc.history] == [Action.DETECT]
    timers = {t.name: t.due_at for t in await world.routing.timers(iid(inc))}
    assert timers == {"route": msk("2026-11-24 10:30"), "answer": msk("2026-11-25 11:00")}
    assert (world.curator.id, iid(inc)) in notices(world, NoticeKind.CARD)
    assert reg.repeats == ()


async def test_an_earlier_detection_time_moves_the_clocks_but_a_future_one_is_refused(
    world: World,
) -> None:
    inc = (await world.routing.register_post(100, POST)).incident
    assert inc.id is not None
    moved = await world.routing.set_detected_at(100, iid(inc), inc.version, msk("2026-11-24 09:00"))
    assert moved.detected_at == msk("2026-11-24 09:00")
    timers = {t.name: t.due_at for t in await world.routing.timers(iid(inc))}
    assert timers["route"] == msk("2026-11-24 09:30")
    with pytest.raises(ValueError, match="future"):
        await world.routing.set_detected_at(100, iid(inc), moved.version, msk("2026-11-24 11:00"))


async def test_the_same_url_is_offered_as_a_repeated_message(world: World) -> None:
    first = (await world.routing.register_post(100, POST)).incident
    world.clock.move(timedelta(days=2))
    second = await world.routing.register_post(100, replace(POST, author=None))
    assert [i.id for i in second.repeats] == [first.id]
    assert second.incident.id is not None and first.id is not None
    linked = await world.routing.link_repeat(
        100, second.incident.id, second.incident.version, first.id
    )
    assert linked.linked_ids == (iid(first),)
    assert linked.history[-1].clause == "п. 15"


async def test_socially_significant_tag_alerts_the_head_and_deputy_at_once(world: World) -> None:
    inc = (await world.routing.register_post(100, POST)).incident
    assert inc.id is not None
    tagged = await world.routing.tag(
        100,
        iid(inc),
        inc.version,
        topic_group="roads",
        topic="potholes",
        location="Центральный",
        importance=Importance.SIGNIFICANT,
    )
    assert tagged.tags.topic == "potholes" and tagged.tags.importance is Importance.SIGNIFICANT
    alerted = {r for r, _ in notices(world, NoticeKind.SIGNIFICANT)}
    assert alerted == {world.head.id, world.deputy.id}


async def test_assignment_reaches_the_departments_executors_on_duty_and_substitutes(
    world: World,
) -> None:
    async with world.uow() as uow:
        await uow.staff.update(
            replace(
                absent(world.ivanov, date(2026, 11, 23), date(2026, 11, 27)),
                substitute_id=world.sidorova.id,
            )
        )
        await uow.staff.update(replace(world.petrov, active=False))
        await uow.commit()
    inc = (await world.routing.register_post(100, POST)).incident
    assert inc.id is not None
    world.store.outbox.clear()
    assigned = await world.routing.assign(100, iid(inc), inc.version, [world.roads.id or 0])
    assert assigned.status is Status.ASSIGNED
    carded = {r for r, _ in notices(world, NoticeKind.CARD)}
    assert world.sidorova.id in carded  # Иванов is on sick leave: his substitute gets it
    assert world.ivanov.id not in carded and world.petrov.id not in carded
    timers = {t.name: t.due_at for t in await world.routing.timers(iid(inc))}
    assert "route" not in timers
    assert timers["competence_return"] == msk("2026-11-24 10:30")
    assert timers["draft"] == msk("2026-11-24 16:00")  # 4 working hours before Wed 11:00


async def test_a_department_with_nobody_on_duty_alerts_the_curator(world: World) -> None:
    async with world.uow() as uow:
        await uow.staff.update(absent(world.sidorova, date(2026, 11, 1), date(2026, 11, 30)))
        await uow.commit()
    inc = (await world.routing.register_post(100, POST)).incident
    assert inc.id is not None
    await world.routing.assign(100, iid(inc), inc.version, [world.housing.id or 0])
    assert (world.curator.id, iid(inc)) in notices(world, NoticeKind.NOBODY_CAN_ACT)


async def test_the_first_executor_to_accept_takes_it_and_a_second_tap_changes_nothing(
    world: World,
) -> None:
    inc = (await world.routing.register_post(100, POST)).incident
    assert inc.id is not None
    inc = await world.routing.assign(100, iid(inc), inc.version, [world.roads.id or 0])
    taken = await world.routing.accept(300, iid(inc), inc.version)
    assert taken.status is Status.IN_WORK
    assert taken.assignments[0].executor_id == world.ivanov.id
    with pytest.raises(AlreadyDone):
        await world.routing.accept(301, iid(inc), taken.version)
    with pytest.raises(StaleVersion):  # a button drawn before the acceptance
        await world.routing.return_not_competent(300, iid(inc), inc.version, "Не наше")
    timers = {t.name: t.holder_id for t in await world.routing.timers(iid(inc))}
    # Lipetsk 7: the return window runs 30 minutes from receipt; taking it does not close it.
    assert timers["competence_return"] == world.ivanov.id
    assert timers["draft"] == world.ivanov.id


async def test_a_return_within_the_window_goes_back_to_the_curator_for_rerouting(
    world: World,
) -> None:
    inc = (await world.routing.register_post(100, POST)).incident
    assert inc.id is not None
    inc = await world.routing.assign(100, iid(inc), inc.version, [world.housing.id or 0])
    world.clock.move(timedelta(minutes=20))
    back = await world.routing.return_not_competent(
        400, iid(inc), inc.version, "Это дороги, не ЖКХ"
    )
    assert not back.late
    assert back.incident.status is Status.RETURNED
    assert back.incident.history[-1].clause == "п. 7"
    assert back.incident.history[-1].payload["reason"] == "Это дороги, не ЖКХ"
    assert (world.curator.id, iid(inc)) in notices(world, NoticeKind.RETURNED)
    timers = {t.name: t.due_at for t in await world.routing.timers(iid(inc))}
    # Lipetsk 6 counts 30 minutes from detection only: no new routing deadline after a return;
    # the 9 working hours of п. 8 still run (Tuesday 10:00 + 9 h = Wednesday 11:00).
    assert "route" not in timers
    assert timers["answer"] == msk("2026-11-25 11:00")
    again = await world.routing.assign(100, iid(inc), back.incident.version, [world.roads.id or 0])
    assert again.status is Status.ASSIGNED
    assert [a.state for a in again.assignments] == [
        AssignmentState.RETURNED,
        AssignmentState.PENDING,
    ]


async def test_a_return_after_the_window_still_works_but_is_recorded_late(world: World) -> None:
    inc = (await world.routing.register_post(100, POST)).incident
    assert inc.id is not None
    inc = await world.routing.assign(100, iid(inc), inc.version, [world.housing.id or 0])
    world.clock.move(timedelta(minutes=31))
    back = await world.routing.return_not_competent(400, iid(inc), inc.version, "Не наше")
    assert back.late
    assert back.incident.history[-1].payload["late"] is True


async def test_a_joint_answer_goes_on_when_one_department_returns_its_part(world: World) -> None:
    inc = (await world.routing.register_post(100, POST)).incident
    assert inc.id is not None
    inc = await world.routing.assign(
        100, iid(inc), inc.version, [world.housing.id or 0, world.roads.id or 0]
    )
    # Lipetsk 14: the parts go in the curator's order; only the first department has it now.
    parts = [t for t in await world.routing.timers(iid(inc)) if t.name == "joint_part"]
    assert [p.assignment_id for p in parts] == [inc.assignments[0].id]
    assert [a.state for a in inc.assignments] == [AssignmentState.PENDING, AssignmentState.QUEUED]
    back = await world.routing.return_not_competent(400, iid(inc), inc.version, "Только дороги")
    assert back.incident.status is Status.ASSIGNED
    assert back.incident.history[-1].action is Action.RETURN_PART
    # The next department gets the message now: a sole department, no part to send.
    assert [a.state for a in back.incident.assignments] == [
        AssignmentState.RETURNED,
        AssignmentState.PENDING,
    ]
    assert not [t for t in await world.routing.timers(iid(inc)) if t.name == "joint_part"]


async def test_strangers_and_wrong_roles_change_nothing(world: World) -> None:
    inc = (await world.routing.register_post(100, POST)).incident
    assert inc.id is not None
    with pytest.raises(NotStaff):
        await world.routing.tag(999, iid(inc), inc.version, importance=Importance.HIGH)
    with pytest.raises(NotYours):  # an executor sees no incident before it reaches them
        await world.routing.tag(300, iid(inc), inc.version, importance=Importance.HIGH)
    with pytest.raises(NotStaff):
        await world.routing.register_post(999, POST)
    inc = await world.routing.assign(100, iid(inc), inc.version, [world.roads.id or 0])
    with pytest.raises(NotYours):
        await world.routing.accept(400, iid(inc), inc.version)
    after = await world.routing.incident(iid(inc))
    assert after.version == inc.version and after.status is Status.ASSIGNED


async def test_bor_the_heads_choice_is_the_assignment() -> None:
    world = await build_world("bor")
    inc = (await world.routing.register_post(100, POST)).incident
    assert inc.id is not None
    inc = await world.routing.send_to_head(100, iid(inc), inc.version)
    assert inc.status is Status.AWAITING_DECISION
    assert (world.head.id, iid(inc)) in notices(world, NoticeKind.CARD)
    decided = await world.routing.head_decide(200, iid(inc), inc.version, [world.roads.id or 0])
    assert decided.status is Status.ASSIGNED
    assert [h.action for h in decided.history][-2:] == [Action.HEAD_DECIDE, Action.ASSIGN]
    draft = {t.name: t.due_at for t in await world.routing.timers(iid(inc))}["draft"]
    assert draft == msk("2026-11-24 17:00")  # 6 working hours from Tue 10:00 (п. 9)


async def test_gulkevichi_the_curator_routes_within_two_hours_of_the_heads_decision() -> None:
    world = await build_world("gulkevichi")
    inc = (await world.routing.register_post(100, POST)).incident
    assert inc.id is not None
    inc = await world.routing.send_to_head(100, iid(inc), inc.version)
    decided = await world.routing.head_decide(200, iid(inc), inc.version, [world.roads.id or 0])
    assert decided.status is Status.DECIDED
    route = {t.name: t.due_at for t in await world.routing.timers(iid(inc))}["route"]
    assert route == msk("2026-11-24 12:00")


async def test_head_may_decide_no_reaction_is_needed() -> None:
    world = await build_world("bor")
    inc = (await world.routing.register_post(100, POST)).incident
    assert inc.id is not None
    inc = await world.routing.send_to_head(100, iid(inc), inc.version)
    done = await world.routing.head_no_reaction(200, iid(inc), inc.version, "Вопрос решён")
    assert done.status is Status.NO_REACTION
    assert await world.routing.timers(iid(inc)) == []


async def test_barnaul_not_subject_goes_to_the_external_curator_and_only_the_lead_returns() -> None:
    world = await build_world("barnaul")
    inc = (await world.routing.register_post(100, POST)).incident
    assert inc.id is not None
    marked = await world.routing.mark_not_subject(100, iid(inc), inc.version, "Нецензурная брань")
    assert marked.status is Status.NOT_SUBJECT
    assert marked.history[-1].payload["passed_to_external"] is True
    second = (
        await world.routing.register_post(100, replace(POST, url="https://vk.com/wall-1_3"))
    ).incident
    assert second.id is not None
    second = await world.routing.assign(100, iid(second), second.version, [world.roads.id or 0])
    with pytest.raises(AccessDenied):
        await world.routing.return_not_competent(300, iid(second), second.version, "Не наше")
    back = await world.routing.return_not_competent(302, iid(second), second.version, "Не наше")
    assert back.incident.status is Status.RETURNED


async def test_five_posts_on_one_topic_and_place_in_a_day_alert_the_heads_once(
    world: World,
) -> None:
    for n in range(6):
        inc = (
            await world.routing.register_post(100, replace(POST, url=f"https://vk.com/wall-5_{n}"))
        ).incident
        await world.routing.tag(
            100,
            iid(inc),
            inc.version,
            topic_group="roads",
            topic="potholes",
            location="Центральный",
        )
        world.clock.move(timedelta(minutes=30))
    surges = [m for m in world.store.outbox.values() if m.kind is NoticeKind.SURGE]
    assert {m.recipient_id for m in surges} == {world.head.id, world.deputy.id}
    assert all(
        m.payload["count"] == 5 for m in surges
    )  # once, at the fifth; the sixth adds no alert

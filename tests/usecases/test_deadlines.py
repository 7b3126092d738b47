from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from domain.deadlines import Deadlines, reminder_schedule
from domain.incident import Importance, Incident, Source
from domain.profiles import shipped_profile
from domain.timers import NoticeKind
from tests.usecases.conftest import RULERS, World, absent, msk

POST = Source(
    network="vk", url="https://vk.com/wall-1_9", author="Автор", text="Нет света в подъезде"
)


def iid(incident: Incident) -> int:
    assert incident.id is not None
    return incident.id


def sweeper(world: World) -> Deadlines:
    return Deadlines(world.uow, world.clock, shipped_profile("lipetsk"), RULERS)


def sent(world: World, kind: NoticeKind) -> list[tuple[int | None, str]]:
    return [
        (m.recipient_id, str(m.payload.get("timer")))
        for m in world.store.outbox.values()
        if m.kind is kind
    ]


async def test_a_thirty_minute_timer_reminds_ten_minutes_before_and_breaches_once(
    world: World,
) -> None:
    inc = (await world.routing.register_post(100, POST)).incident
    deadlines = sweeper(world)
    world.clock.set(msk("2026-11-24 10:19"))
    assert (await deadlines.sweep()).reminders == 0
    world.clock.set(msk("2026-11-24 10:20"))
    report = await deadlines.sweep()
    assert report.reminders == 1
    assert sent(world, NoticeKind.REMINDER) == [(world.curator.id, "route")]
    assert (await deadlines.sweep()).reminders == 0  # never twice
    world.clock.set(msk("2026-11-24 10:31"))
    report = await deadlines.sweep()
    assert report.breaches == 1
    escalated = {r for r, t in sent(world, NoticeKind.BREACH) if t == "route"}
    assert escalated == {world.curator.id, world.deputy.id}  # п. 19: the deputy head
    route = next(t for t in await world.routing.timers(iid(inc)) if t.name == "route")
    assert route.breached_at == msk("2026-11-24 10:30")
    assert (await deadlines.sweep()).breaches == 0


async def test_what_fell_due_while_the_bot_was_down_is_sent_once(world: World) -> None:
    await world.routing.register_post(100, POST)
    world.clock.set(
        msk("2026-11-24 12:00")
    )  # the reminder at 10:20 and the breach at 10:30 were missed
    report = await sweeper(world).sweep()
    # The breach says the deadline passed; a reminder "10 minutes left" would be stale.
    assert (report.reminders, report.breaches) == (0, 1)
    again = await sweeper(world).sweep()
    assert (again.reminders, again.breaches) == (0, 0)


async def test_the_nine_hour_answer_reminds_halfway_and_an_hour_before() -> None:
    from tests.usecases.conftest import build_world

    world = await build_world()
    inc = (await world.routing.register_post(100, POST)).incident
    answer = next(t for t in await world.routing.timers(iid(inc)) if t.name == "answer")
    spec = shipped_profile("lipetsk").flow().timers["answer"]
    schedule = reminder_schedule(spec, answer, RULERS)
    # 9 working hours from Tue 10:00: halfway after 4 h 30 min → Tue 15:30; due Wed 11:00; 1 h before → 10:00.
    assert schedule == [
        ("halfway", msk("2026-11-24 15:30")),
        ("before_1h", msk("2026-11-25 10:00")),
        ("breach", msk("2026-11-25 11:00")),
    ]
    assert answer.remind_at == msk("2026-11-24 15:30")


async def test_reminders_missed_together_go_out_as_the_latest_one() -> None:
    from tests.usecases.conftest import build_world

    world = await build_world()
    await world.routing.register_post(100, POST)
    # Wed 10:30: both reminders of the 9-hour answer (Tue 15:30 and Wed 10:00) were missed,
    # its breach (Wed 11:00) not yet: one reminder, the latest, and never the earlier one later.
    world.clock.set(msk("2026-11-25 10:30"))
    await sweeper(world).sweep()
    answers = [
        (m.recipient_id, m.payload["kind"])
        for m in world.store.outbox.values()
        if m.kind is NoticeKind.REMINDER and m.payload.get("timer") == "answer"
    ]
    assert answers and {kind for _, kind in answers} == {"before_1h"}
    assert len({who for who, _ in answers}) == len(answers)  # once per person
    assert (await sweeper(world).sweep()).reminders == 0


async def test_a_reminder_falling_on_the_same_moment_twice_is_sent_once() -> None:
    from tests.usecases.conftest import build_world

    world = await build_world()
    inc = (await world.routing.register_post(100, POST)).incident
    route = next(t for t in await world.routing.timers(iid(inc)) if t.name == "route")
    # A two-hour timer: halfway is also one hour before.
    two_hours = replace(route, due_at=msk("2026-11-24 12:00"))
    spec = replace(shipped_profile("lipetsk").flow().timers["joint_part"], reminders=None)
    schedule = reminder_schedule(spec, two_hours, RULERS)
    assert schedule == [("halfway", msk("2026-11-24 11:00")), ("breach", msk("2026-11-24 12:00"))]


async def test_nobody_is_pinged_at_night_unless_it_is_socially_significant(world: World) -> None:
    world.clock.set(msk("2026-11-24 17:00"))  # route: reminder 17:20, breach 17:30; swept at 21:00
    ordinary = (await world.routing.register_post(100, POST)).incident
    urgent = (
        await world.routing.register_post(100, replace(POST, url="https://vk.com/wall-1_10"))
    ).incident
    await world.routing.tag(100, iid(urgent), urgent.version, importance=Importance.SIGNIFICANT)
    world.clock.set(msk("2026-11-24 21:00"))
    await sweeper(world).sweep()
    quiet = [
        m
        for m in world.store.outbox.values()
        if m.kind in {NoticeKind.REMINDER, NoticeKind.BREACH} and m.incident_id == iid(ordinary)
    ]
    loud = [
        m
        for m in world.store.outbox.values()
        if m.kind in {NoticeKind.REMINDER, NoticeKind.BREACH} and m.incident_id == iid(urgent)
    ]
    assert quiet and all(m.not_before == msk("2026-11-25 09:00") for m in quiet)
    assert loud and all(m.not_before is None for m in loud)


async def test_an_absent_holder_is_replaced_by_the_substitute_or_the_curator_is_told(
    world: World,
) -> None:
    async with world.uow() as uow:
        await uow.staff.update(
            replace(
                absent(world.curator, date(2026, 11, 24), date(2026, 11, 24)),
                substitute_id=world.head.id,
            )
        )
        await uow.commit()
    await world.routing.register_post(100, POST)
    world.clock.set(msk("2026-11-24 10:25"))
    await sweeper(world).sweep()
    assert sent(world, NoticeKind.REMINDER) == [(world.head.id, "route")]

    async with world.uow() as uow:
        await uow.staff.update(replace(world.head, active=False))
        await uow.commit()
    await world.routing.register_post(100, replace(POST, url="https://vk.com/wall-1_11"))
    world.clock.move(timedelta(minutes=25))
    await sweeper(world).sweep()
    assert any(m.kind is NoticeKind.NOBODY_CAN_ACT for m in world.store.outbox.values())


async def test_a_member_who_blocks_the_bot_is_passed_over_and_the_curators_are_told(
    world: World,
) -> None:
    from domain.people import on_duty
    from domain.staffing import bot_blocked

    def told() -> list[int | None]:
        return [m.recipient_id for m in world.store.outbox.values() if m.kind is NoticeKind.BLOCKED]

    changed = await bot_blocked(world.uow, world.clock, world.ivanov.telegram_id, blocked=True)
    assert changed is not None and changed.blocked_bot
    assert told() == [world.curator.id]
    staff = dict(world.store.staff)
    assert on_duty(changed, date(2026, 11, 24), staff).acting is None
    # Telegram repeating itself changes nothing and tells nobody twice.
    assert await bot_blocked(world.uow, world.clock, world.ivanov.telegram_id, True) is None
    assert told() == [world.curator.id]
    back = await bot_blocked(world.uow, world.clock, world.ivanov.telegram_id, blocked=False)
    assert back is not None and not back.blocked_bot
    assert await bot_blocked(world.uow, world.clock, 999_999, blocked=True) is None  # a stranger

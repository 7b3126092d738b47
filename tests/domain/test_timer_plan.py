from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.production_calendar import RussianCalendarFacts
from domain.incident import Action, Actor, Incident, Source, Status
from domain.profiles import shipped_profile
from domain.roles import Role
from domain.timeline import Rulers
from domain.timer_plan import Context, TimerPlanner, next_due, received
from domain.timers import Timer
from domain.worktime import CalendarTime, WorkingTime

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
CURATOR = Actor(1, frozenset({Role.CURATOR}))
EXECUTOR = Actor(2, frozenset({Role.EXECUTOR}))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


def incident(profile: str = "lipetsk", detected: str = "2026-11-20 17:30") -> Incident:
    i = Incident.detect(
        profile=profile,
        flow="default",
        source=Source("vk"),
        detected_at=at(detected),
        curator=CURATOR,
        at=at(detected),
    )
    i.id = 10
    return i


def by_name(timers: list[Timer]) -> dict[str, Timer]:
    return {t.name: t for t in timers}


def opened(timers: list[Timer]) -> list[Timer]:
    return [replace(t, id=n) for n, t in enumerate(timers, start=100)]


def test_detection_starts_the_route_and_answer_clocks_of_lipetsk() -> None:
    plan = TimerPlanner(shipped_profile("lipetsk"), RULERS).on_detect(incident(), Context())
    timers = by_name(plan.start)
    assert set(timers) == {"route", "answer"}
    assert timers["route"].due_at == at("2026-11-23 09:30")
    assert timers["route"].holder_id == 1 and timers["route"].holder_role is Role.CURATOR
    assert timers["answer"].due_at == at("2026-11-24 10:00")
    assert timers["answer"].clause == "п. 8"


def test_assignment_stops_routing_and_starts_the_executors_clocks() -> None:
    planner = TimerPlanner(shipped_profile("lipetsk"), RULERS)
    inc = incident()
    live = opened(planner.on_detect(inc, Context()).start)
    inc.apply(Action.ASSIGN, CURATOR, at("2026-11-23 09:10"))
    ctx = Context(assignments=[(5, 2)], writer_id=2)
    plan = planner.on_action(inc, Action.ASSIGN, at("2026-11-23 09:10"), ctx, live)
    assert [t.name for t in plan.stop] == ["route"]
    started = by_name(plan.start)
    assert set(started) == {"competence_return", "draft"}
    assert started["competence_return"].due_at == at("2026-11-23 09:40")
    assert started["competence_return"].assignment_id == 5
    assert started["draft"].due_at == at("2026-11-23 15:00")  # 4 h before Tuesday 10:00
    assert started["draft"].holder_id == 2


def test_a_joint_assignment_gives_every_department_its_part_timer() -> None:
    planner = TimerPlanner(shipped_profile("lipetsk"), RULERS)
    inc = incident(detected="2026-11-24 10:00")
    live = opened(planner.on_detect(inc, Context()).start)
    inc.apply(Action.ASSIGN, CURATOR, at("2026-11-24 10:20"))
    plan = planner.on_events(
        inc,
        received([5, 6], joint=True),
        at("2026-11-24 10:20"),
        Context(assignments=[(5, 2), (6, 3)], writer_id=3),
        live,
    )
    parts = [t for t in plan.start if t.name == "joint_part"]
    assert [(t.assignment_id, t.holder_id, t.due_at) for t in parts] == [
        (5, 2, at("2026-11-24 12:20")),
        (6, 3, at("2026-11-24 12:20")),
    ]
    draft = by_name(plan.start)["draft"]
    assert draft.holder_id == 3  # the last executor writes the joint answer (п. 14)


def test_a_clarification_pauses_the_answer_clock_and_the_reply_resumes_it() -> None:
    planner = TimerPlanner(shipped_profile("lipetsk"), RULERS)
    inc = incident(detected="2026-11-24 10:00")
    answer = opened(planner.on_detect(inc, Context()).start)
    inc.status = Status.APPROVED
    inc.apply(Action.PUBLISH_CLARIFICATION, EXECUTOR, at("2026-11-24 12:00"))
    paused = planner.on_action(
        inc, Action.PUBLISH_CLARIFICATION, at("2026-11-24 12:00"), Context(), answer
    )
    frozen = by_name(paused.change)["answer"]
    assert frozen.is_paused and frozen.remind_at is None
    assert frozen.due_at == at("2026-11-25 11:00")  # kept: the pause moves it on resume
    inc.apply(Action.AUTHOR_REPLIED, CURATOR, at("2026-11-25 12:00"))
    resumed = planner.on_action(
        inc, Action.AUTHOR_REPLIED, at("2026-11-25 12:00"), Context(), [frozen]
    )
    timer = by_name(resumed.change)["answer"]
    # 9 h from Tuesday 10:00 was Wednesday 11:00; 8 working hours were paused → Thursday 11:00.
    assert timer.due_at == at("2026-11-26 11:00")
    assert not timer.is_paused


def test_a_terminal_status_stops_every_timer() -> None:
    planner = TimerPlanner(shipped_profile("lipetsk"), RULERS)
    inc = incident()
    live = opened(planner.on_detect(inc, Context()).start)
    inc.apply(Action.MARK_NOT_SUBJECT, CURATOR, at("2026-11-23 09:00"))
    plan = planner.on_action(inc, Action.MARK_NOT_SUBJECT, at("2026-11-23 09:00"), Context(), live)
    assert {t.name for t in plan.stop} == {"route", "answer"}
    assert all(t.stopped_at == at("2026-11-23 09:00") for t in plan.stop)
    assert plan.start == []


def test_an_external_deadline_governs_the_answer_timer() -> None:
    planner = TimerPlanner(shipped_profile("barnaul"), RULERS)
    inc = incident("barnaul", detected="2026-11-24 10:00")
    plan = planner.on_detect(inc, Context(external_deadline=at("2026-11-24 17:00")))
    assert by_name(plan.start)["answer"].due_at == at("2026-11-24 17:00")


@pytest.mark.parametrize("hours", [1, 5])
def test_next_due_is_the_earliest_running_timer(hours: int) -> None:
    planner = TimerPlanner(shipped_profile("lipetsk"), RULERS)
    timers = planner.on_detect(incident(), Context()).start
    late = replace(timers[0], due_at=at("2026-11-20 18:00") + timedelta(hours=hours), name="x")
    assert next_due([*timers, late]) is late

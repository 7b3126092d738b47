"""The acts' rules as the use cases keep them, each figure worked out here from the act's text.

Lipetsk decree 203, Bor, Gulkevichi, Myasnikovsky and Barnaul (shared/regulations); the
week of 23-29 November 2026, Moscow time, the test calendar: Mon-Thu 9-13, 14-18; Fri 9-13,
14-16:45; weekends off.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from domain.answering import (
    Answering,
    AnsweringSettings,
    DraftNeedsConfirmation,
    PromiseTooLate,
)
from domain.deadlines import Deadlines
from domain.errors import AccessDenied, HeadDecidesFirst, NotInAct, NotYours, NotYourStep
from domain.incident import Action, DraftKind, Importance, Incident, Source, Status
from domain.people import Department, StaffMember
from domain.profiles import shipped_profile
from domain.roles import Role
from domain.routing import Routing, RoutingSettings
from domain.textchecks import DraftWarning
from domain.timers import NoticeKind, Timer
from domain.work import Attachment, AttachmentKind
from tests.fakes import FakeUnitOfWork
from tests.usecases.conftest import RULERS, World, build_world, msk

POST = Source(network="vk", url="https://vk.com/wall-7_1", author="Автор", text="Яма на дороге")
PHOTO = Attachment(AttachmentKind.PHOTO, "photo-1")
ANSWER = "Здравствуйте! Яму на ул. Ленина заделали 24 ноября, фото прилагаем."
EXTERNAL_CHAT = -100777


def iid(incident: Incident) -> int:
    assert incident.id is not None
    return incident.id


def pid(member: StaffMember) -> int:
    assert member.id is not None
    return member.id


def answering(world: World, settings: AnsweringSettings | None = None) -> Answering:
    return Answering(
        world.uow, world.clock, world.routing.profile, RULERS, settings or AnsweringSettings()
    )


def sweeper(world: World) -> Deadlines:
    return Deadlines(world.uow, world.clock, world.routing.profile, RULERS)


async def timers(world: World, incident: Incident) -> dict[str, Timer]:
    return {t.name: t for t in await world.routing.timers(iid(incident))}


async def all_timers(world: World, incident: Incident) -> list[Timer]:
    async with world.uow() as uow:
        return list(await uow.timers.for_incident(iid(incident)))


def outbox(world: World, kind: NoticeKind) -> list[tuple[int | None, dict[str, object]]]:
    return [
        (m.recipient_id, dict(m.payload)) for m in world.store.outbox.values() if m.kind is kind
    ]


async def drafted(
    answers: Answering,
    inc: Incident,
    tg: int = 300,
    kind: DraftKind = DraftKind.FINAL,
    text: str = ANSWER,
    promised: date | None = None,
) -> Incident:
    await answers.start_draft(tg, iid(inc), inc.version, kind, promised)
    await answers.add_to_draft(tg, iid(inc), text, [PHOTO])
    current = await answers.incident(iid(inc))
    return await answers.submit(tg, iid(inc), current.version)


# ---- the head's decision is a step of its own (Bor 6, Gulkevichi 3.1.1, 3.2.1) ------------


@pytest.mark.parametrize("profile", ["bor", "gulkevichi"])
async def test_the_curator_cannot_route_past_the_heads_decision(profile: str) -> None:
    world = await build_world(profile)
    inc = (await world.routing.register_post(100, POST)).incident
    with pytest.raises(HeadDecidesFirst):
        await world.routing.assign(100, iid(inc), inc.version, [pid_d(world)])
    stored = await world.routing.incident(iid(inc))
    assert stored.status is Status.NEW and stored.version == inc.version
    inc = await world.routing.send_to_head(100, iid(inc), inc.version)
    inc = await world.routing.head_decide(200, iid(inc), inc.version, [pid_d(world)])
    if profile == "gulkevichi":  # 3.1.1: the curator routes within 2 working hours of it
        assert inc.status is Status.DECIDED
        assert (await timers(world, inc))["route"].due_at == msk("2026-11-24 12:00")
        inc = await world.routing.assign(100, iid(inc), inc.version, [pid_d(world)])
    assert inc.status is Status.ASSIGNED
    # A return brings it back to the head, who names the next executor.
    back = await world.routing.return_not_competent(300, iid(inc), inc.version, "Не дороги")
    with pytest.raises(HeadDecidesFirst):
        await world.routing.assign(100, iid(inc), back.incident.version, [pid_d(world)])


def pid_d(world: World) -> int:
    assert world.roads.id is not None
    return world.roads.id


# ---- return windows are windows (Lipetsk 7, Bor 7, Barnaul 5) -------------------------------


async def test_nobody_returning_within_the_window_is_no_breach() -> None:
    world = await build_world("lipetsk")
    inc = (await world.routing.register_post(100, POST)).incident
    world.clock.set(msk("2026-11-24 10:05"))
    inc = await world.routing.assign(100, iid(inc), inc.version, [pid_d(world)])
    world.clock.set(msk("2026-11-24 10:40"))  # п. 7's 30 minutes ended at 10:35
    report = await sweeper(world).sweep()
    assert report.breaches == 0
    assert not [p for _, p in outbox(world, NoticeKind.BREACH) if p["timer"] == "competence_return"]
    assert not [
        p for _, p in outbox(world, NoticeKind.REMINDER) if p["timer"] == "competence_return"
    ]
    window = next(t for t in await all_timers(world, inc) if t.name == "competence_return")
    assert window.stopped_at == msk("2026-11-24 10:35") and window.breached_at is None


async def test_a_return_after_the_window_is_the_returners_breach() -> None:
    world = await build_world("lipetsk")
    inc = (await world.routing.register_post(100, POST)).incident
    inc = await world.routing.assign(100, iid(inc), inc.version, [pid_d(world)])
    world.clock.set(msk("2026-11-24 10:45"))
    await sweeper(world).sweep()  # the window closed quietly at 10:30
    back = await world.routing.return_not_competent(301, iid(inc), inc.version, "Не дороги")
    assert back.late and back.incident.history[-1].payload["late"] is True
    window = next(t for t in await all_timers(world, inc) if t.name == "competence_return")
    assert window.breached_at == msk("2026-11-24 10:30")
    assert window.stopped_at == msk("2026-11-24 10:45")
    assert window.holder_id == world.petrov.id


async def test_barnaul_the_lead_confirms_competence_with_one_tap() -> None:
    world = await build_world("barnaul")
    inc = (await world.routing.register_post(100, POST)).incident
    inc = await world.routing.assign(100, iid(inc), inc.version, [pid_d(world)])
    with pytest.raises(AccessDenied):  # п. 5: the head of the department checks, not executors
        await world.routing.confirm_competence(300, iid(inc), inc.version)
    world.clock.set(msk("2026-11-24 10:10"))
    inc = await world.routing.confirm_competence(302, iid(inc), inc.version)
    assert inc.history[-1].action is Action.CONFIRM_COMPETENCE
    assert inc.history[-1].clause == "п. 5"
    assert "competence_return" not in await timers(world, inc)
    with pytest.raises(NotInAct):  # the window is closed: nothing left to confirm
        await world.routing.confirm_competence(302, iid(inc), inc.version)
    world.clock.set(msk("2026-11-24 11:00"))
    assert (await sweeper(world).sweep()).breaches == 0


# ---- reminders and breaches go to who holds the timer, named -----------------------------


async def test_the_total_deadline_pings_the_holders_not_every_executor() -> None:
    world = await build_world("lipetsk")
    inc = (await world.routing.register_post(100, POST)).incident
    world.clock.set(msk("2026-11-24 15:31"))  # halfway of п. 8's 9 hours: 10-13, 14-15:30
    await sweeper(world).sweep()
    answer = [r for r, p in outbox(world, NoticeKind.REMINDER) if p["timer"] == "answer"]
    assert answer == [world.curator.id]  # not yet routed: it is with the curator
    inc = await world.routing.assign(
        100, iid(inc), (await world.routing.incident(iid(inc))).version, [pid_d(world)]
    )
    inc = await world.routing.accept(300, iid(inc), inc.version)
    world.store.outbox.clear()
    world.clock.set(msk("2026-11-25 11:01"))  # 9 working hours: Wednesday 11:00
    await sweeper(world).sweep()
    breach = [(r, p) for r, p in outbox(world, NoticeKind.BREACH) if p["timer"] == "answer"]
    told = {r for r, _ in breach}
    assert world.ivanov.id in told  # he took it
    assert world.sidorova.id not in told and world.petrov.id not in told
    assert {world.curator.id, world.deputy.id} <= told  # п. 19
    assert all(p["holder_ids"] == [world.ivanov.id] for _, p in breach)


# ---- Gulkevichi 3.10 and 3.2.6 --------------------------------------------------------------


async def test_gulkevichi_emergencies_are_answered_on_days_off_in_working_hours() -> None:
    world = await build_world("gulkevichi", now="2026-11-27 17:30")  # Friday, after hours
    inc = (await world.routing.register_post(100, POST, flow="incident")).incident
    # 3.2.6: 8 working hours from receipt: Monday 09:00-13:00, 14:00-18:00.
    assert (await timers(world, inc))["answer"].due_at == msk("2026-11-30 18:00")
    await world.routing.tag(100, iid(inc), inc.version, importance=Importance.SIGNIFICANT)
    # 3.10: on Saturday with the usual hours (9-13, 14-18), never through the night.
    assert (await timers(world, inc))["answer"].due_at == msk("2026-11-28 18:00")


# ---- clarification requests (Gulkevichi 3.1.2) ---------------------------------------------


async def test_no_clarification_closes_by_itself_unless_configured() -> None:
    world = await build_world("lipetsk")
    answers = answering(world)
    inc = (await world.routing.register_post(100, POST)).incident
    inc = await world.routing.assign(100, iid(inc), inc.version, [pid_d(world)])
    inc = await world.routing.accept(300, iid(inc), inc.version)
    inc = await drafted(
        answers, inc, kind=DraftKind.CLARIFICATION, text="Уточните адрес дома, пожалуйста."
    )
    inc = await answers.approve(100, iid(inc), inc.version)
    inc = await answers.publish(300, iid(inc), inc.version, "https://vk.com/wall-7_1?r=1", None)
    world.clock.set(msk("2026-12-20 10:00"))
    assert await answers.close_silent_clarifications() == []
    with pytest.raises(AccessDenied):
        await answers.author_silent(iid(inc), inc.version, 300)
    closed = await answers.author_silent(iid(inc), inc.version, 100)  # the curator decides
    assert closed.status is Status.CLOSED and closed.history[-1].actor_id == world.curator.id


# ---- external deadlines ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("external", "due"),
    [
        ("2026-11-24 15:00", "2026-11-24 15:00"),  # earlier than п. 8: it binds
        ("2026-11-27 15:00", "2026-11-25 11:00"),  # later: п. 8's 9 hours still do
    ],
)
async def test_lipetsk_takes_the_earlier_of_its_own_figure_and_the_external_deadline(
    external: str, due: str
) -> None:
    world = await build_world("lipetsk")
    post = replace(POST, external_number="77", external_deadline=msk(external))
    inc = (await world.routing.register_post(100, post)).incident
    assert (await timers(world, inc))["answer"].due_at == msk(due)


async def test_barnaul_keeps_the_monitoring_deadline_across_a_clarification() -> None:
    world = await build_world("barnaul")
    answers = answering(world)
    post = replace(POST, external_number="88-1", external_deadline=msk("2026-11-24 17:00"))
    inc = (await world.routing.register_post(100, post)).incident
    inc = await world.routing.assign(100, iid(inc), inc.version, [pid_d(world)])
    inc = await world.routing.accept(300, iid(inc), inc.version)
    inc = await drafted(
        answers, inc, kind=DraftKind.CLARIFICATION, text="Уточните, пожалуйста, номер дома."
    )
    async with world.uow() as uow:  # the department's supervising deputy agrees first (п. 5)
        await uow.staff.add(StaffMember(None, 500, "Зам", frozenset({Role.SUPERVISING_DEPUTY})))
        await uow.commit()
    inc = await answers.approve(500, iid(inc), inc.version)
    inc = await answers.approve(100, iid(inc), inc.version)
    inc = await answers.record_external_decision(100, iid(inc), inc.version, approved=True)
    world.clock.set(msk("2026-11-24 12:00"))
    inc = await answers.publish(100, iid(inc), inc.version, "https://vk.com/x", None)
    world.clock.set(msk("2026-11-25 10:00"))
    inc = await answers.author_replied(100, iid(inc), inc.version, "Дом 5")
    answer = (await timers(world, inc))["answer"]
    # The system's 17:00 plus the working time it stood still: Tue 12-13, 14-18, Wed 9-10.
    assert not answer.is_paused
    assert answer.due_at == msk("2026-11-25 15:00")


# ---- deadlines the controller sets (Barnaul 4-6) --------------------------------------------


async def test_barnaul_the_controller_sets_the_draft_and_revision_deadlines() -> None:
    world = await build_world("barnaul")
    answers = answering(world)
    post = replace(POST, external_number="88-2", external_deadline=msk("2026-11-24 17:00"))
    inc = (await world.routing.register_post(100, post)).incident
    inc = await world.routing.assign(100, iid(inc), inc.version, [pid_d(world)])
    draft = (await timers(world, inc))["draft"]
    assert draft.due_at == msk("2026-11-24 17:00")  # п. 4: the system's deadline until set
    with pytest.raises((AccessDenied, NotYours)):
        await answers.set_deadline(300, iid(inc), inc.version, "draft", msk("2026-11-24 14:00"))
    inc = await answers.set_deadline(100, iid(inc), inc.version, "draft", msk("2026-11-24 14:00"))
    assert (await timers(world, inc))["draft"].due_at == msk("2026-11-24 14:00")
    assert inc.history[-1].action is Action.SET_DEADLINE and inc.history[-1].clause == "п. 4, 5, 6"
    assert inc.history[-1].payload["was"] == msk("2026-11-24 17:00").isoformat()
    with pytest.raises(ValueError, match="future"):
        await answers.set_deadline(100, iid(inc), inc.version, "draft", msk("2026-11-24 09:00"))


# ---- alerts: Barnaul 4, 8, 9, 12 -----------------------------------------------------------


async def test_barnaul_hands_abusive_messages_to_the_external_curator_at_once() -> None:
    world = await build_world("barnaul")
    world.routing = Routing(
        world.uow,
        world.clock,
        shipped_profile("barnaul"),
        RULERS,
        RoutingSettings(external_curator_chat_id=EXTERNAL_CHAT),
    )
    inc = (await world.routing.register_post(100, POST)).incident
    await world.routing.mark_not_subject(100, iid(inc), inc.version, "Угрозы (п. 9)")
    alerts = [m for m in world.store.outbox.values() if m.kind is NoticeKind.ALERT]
    assert {(m.recipient_id, m.chat_id) for m in alerts} == {
        (world.curator.id, None),
        (None, EXTERNAL_CHAT),
    }
    assert all(
        m.payload["event"] == "not_subject" and m.payload["clause"] == "п. 9" for m in alerts
    )
    # The curators are told the bot passed it on; without a chat they would pass it on.
    assert [m.payload["passed_on"] for m in alerts if m.recipient_id is not None] == [True]


async def test_barnaul_tells_the_chief_of_staff_of_a_socially_significant_message() -> None:
    world = await build_world("barnaul")
    async with FakeUnitOfWork(world.store) as uow:
        chief = await uow.staff.add(
            StaffMember(None, 600, "Руководитель аппарата", frozenset({Role("chief_of_staff")}))
        )
        await uow.commit()
    inc = (await world.routing.register_post(100, POST)).incident
    await world.routing.tag(100, iid(inc), inc.version, importance=Importance.SIGNIFICANT)
    told = {r for r, _ in outbox(world, NoticeKind.SIGNIFICANT)}
    assert told == {world.head.id, world.deputy.id, chief.id}  # п. 12


# ---- content: repeated messages, promised dates, private answers ---------------------------


async def test_the_answer_to_a_repeated_message_must_say_what_was_done() -> None:
    world = await build_world("lipetsk")
    answers = answering(world)
    first = (await world.routing.register_post(100, POST)).incident
    second = (await world.routing.register_post(100, replace(POST, text="Опять яма"))).incident
    second = await world.routing.link_repeat(100, iid(second), second.version, iid(first))
    second = await world.routing.assign(100, iid(second), second.version, [pid_d(world)])
    second = await world.routing.accept(300, iid(second), second.version)
    with pytest.raises(DraftNeedsConfirmation) as warned:
        await drafted(
            answers,
            second,
            text="Здравствуйте! Спасибо за обращение, информация принята к сведению и передана.",
        )
    assert DraftWarning.NO_PROGRESS in warned.value.warnings  # п. 15
    assert await answers.check(iid(second)) == (
        DraftWarning.NO_SUBSTANCE,
        DraftWarning.NO_PROGRESS,
    )


async def test_a_promised_final_date_past_seven_working_days_is_refused() -> None:
    world = await build_world("lipetsk")  # Tuesday 24 November
    answers = answering(world)
    inc = (await world.routing.register_post(100, POST)).incident
    inc = await world.routing.assign(100, iid(inc), inc.version, [pid_d(world)])
    inc = await world.routing.accept(300, iid(inc), inc.version)
    # п. 13: 7 working days from the day the intermediate answer goes out (today at the
    # earliest): 25, 26, 27, 30 November, 1, 2, 3 December.
    with pytest.raises(PromiseTooLate) as late:
        await answers.start_draft(
            300, iid(inc), inc.version, DraftKind.INTERMEDIATE, date(2026, 12, 4)
        )
    assert late.value.latest == date(2026, 12, 3) and late.value.clause == "п. 13"
    draft = await answers.start_draft(
        300, iid(inc), inc.version, DraftKind.INTERMEDIATE, date(2026, 12, 3)
    )
    assert draft.promised_final == date(2026, 12, 3)


async def test_myasnikovsky_and_barnaul_have_no_intermediate_answers() -> None:
    for profile in ("myasnikovsky", "barnaul"):
        world = await build_world(profile)
        inc = (await world.routing.register_post(100, POST)).incident
        inc = await world.routing.assign(100, iid(inc), inc.version, [pid_d(world)])
        inc = await world.routing.accept(300, iid(inc), inc.version)
        from domain.errors import DraftKindNotAllowed

        with pytest.raises(DraftKindNotAllowed):
            await answering(world).start_draft(
                300, iid(inc), inc.version, DraftKind.INTERMEDIATE, date(2026, 11, 30)
            )


# ---- what a return, a joint answer and an absence do to who holds a deadline ----------------


async def test_a_return_ends_the_departments_clocks_and_the_next_one_gets_its_own() -> None:
    world = await build_world("bor")
    inc = (await world.routing.register_post(100, POST)).incident
    inc = await world.routing.send_to_head(100, iid(inc), inc.version)
    inc = await world.routing.head_decide(200, iid(inc), inc.version, [pid_d(world)])
    inc = await world.routing.accept(300, iid(inc), inc.version)
    world.clock.set(msk("2026-11-24 10:20"))  # within п. 7's window
    back = await world.routing.return_not_competent(300, iid(inc), inc.version, "Не моё")
    assert not back.late and "draft" not in await timers(world, back.incident)
    world.clock.set(msk("2026-11-24 14:00"))
    inc = await world.routing.send_to_head(100, iid(inc), back.incident.version)
    housing_id = world.housing.id or 0
    inc = await world.routing.head_decide(200, iid(inc), inc.version, [housing_id])
    draft = (await timers(world, inc))["draft"]
    # п. 9: 6 working hours from the new department's receipt: 14-18, then 9-11 → 11:00.
    assert draft.due_at == msk("2026-11-25 11:00") and draft.holder_id is None
    world.clock.set(msk("2026-11-25 11:01"))
    await sweeper(world).sweep()
    named = {str(p["holder_ids"]) for _, p in outbox(world, NoticeKind.BREACH)}
    assert named == {str([world.sidorova.id])}  # not the one who returned it in time


async def test_in_a_joint_answer_the_deadlines_are_held_by_who_still_works_on_it() -> None:
    world = await build_world("lipetsk")
    answers = answering(world)
    inc = (await world.routing.register_post(100, POST)).incident
    inc = await world.routing.assign(
        100, iid(inc), inc.version, [pid_d(world), world.housing.id or 0]
    )
    inc = await world.routing.accept(300, iid(inc), inc.version)
    inc = await answers.submit_part(300, iid(inc), inc.version, "Дороги: яма заделана", [])
    world.clock.set(msk("2026-11-24 16:01"))  # п. 9: 4 h before Wednesday 11:00 → 16:00
    await sweeper(world).sweep()
    breach = [p for _, p in outbox(world, NoticeKind.BREACH) if p["timer"] == "draft"]
    assert breach and all(p["holder_ids"] == [world.sidorova.id] for p in breach)


async def test_a_window_used_in_time_is_not_late_when_its_action_comes_again() -> None:
    world = await build_world("gulkevichi")
    answers = answering(world)
    inc = (await world.routing.register_post(100, POST)).incident
    inc = await world.routing.send_to_head(100, iid(inc), inc.version)
    inc = await world.routing.head_decide(200, iid(inc), inc.version, [pid_d(world)])
    inc = await world.routing.assign(100, iid(inc), inc.version, [pid_d(world)])
    inc = await world.routing.accept(300, iid(inc), inc.version)
    world.clock.set(msk("2026-11-24 11:00"))  # within 3.1.2's 4 hours (until 14:00)
    asked = "Здравствуйте! Уточните, пожалуйста, номер дома и подъезда."
    inc = await drafted(answers, inc, kind=DraftKind.CLARIFICATION, text=asked)
    inc = await answers.request_revision(100, iid(inc), inc.version, "Вежливее")
    world.clock.set(msk("2026-11-24 15:00"))
    inc = await drafted(
        answers, inc, kind=DraftKind.CLARIFICATION, text="Уточните, пожалуйста, номер дома."
    )
    window = next(t for t in await all_timers(world, inc) if t.name == "clarification")
    assert window.used and window.breached_at is None


async def test_a_substitute_approves_for_the_absent_supervising_deputy() -> None:
    from tests.usecases.conftest import absent

    world = await build_world("barnaul")
    answers = answering(world)
    async with world.uow() as uow:
        deputy = await uow.staff.add(
            StaffMember(
                None, 500, "Зам", frozenset({Role.SUPERVISING_DEPUTY}), substitute_id=world.head.id
            )
        )
        await uow.staff.update(absent(deputy, date(2026, 11, 1), date(2026, 11, 30)))
        parks = await uow.departments.add(
            Department(None, "Парки", supervising_deputy_id=deputy.id)
        )
        await uow.staff.add(
            StaffMember(None, 600, "Садовник", frozenset({Role.EXECUTOR}), parks.id)
        )
        await uow.commit()
    inc = (await world.routing.register_post(100, POST)).incident
    inc = await world.routing.assign(100, iid(inc), inc.version, [parks.id or 0])
    inc = await world.routing.accept(600, iid(inc), inc.version)
    inc = await drafted(answers, inc, tg=600)
    with pytest.raises(NotYourStep):  # a deputy who does not stand in for him
        await answers.approve(201, iid(inc), inc.version)
    inc = await answers.approve(200, iid(inc), inc.version)  # the head stands in (Lipetsk 5.2)
    assert inc.approvals[-1].role is Role.SUPERVISING_DEPUTY
    assert inc.approvals[-1].approver_id == world.head.id


async def test_a_draft_reached_with_less_than_four_hours_left_binds_nobody() -> None:
    world = await build_world("lipetsk")
    inc = (await world.routing.register_post(100, POST)).incident
    world.clock.set(msk("2026-11-25 08:00"))
    inc = await world.routing.assign(
        100, iid(inc), (await world.routing.incident(iid(inc))).version, [pid_d(world)]
    )
    # п. 8: Wednesday 11:00; 4 working hours before it is Tuesday 16:00, already past when the
    # department got it: п. 9 cannot be met, so no draft deadline; п. 8 still runs.
    running = await timers(world, inc)
    assert "draft" not in running and running["answer"].due_at == msk("2026-11-25 11:00")


async def test_gulkevichi_the_curator_routes_where_the_head_decided() -> None:
    from domain.errors import NotHeadsChoice

    world = await build_world("gulkevichi")
    inc = (await world.routing.register_post(100, POST)).incident
    inc = await world.routing.send_to_head(100, iid(inc), inc.version)
    inc = await world.routing.head_decide(200, iid(inc), inc.version, [pid_d(world)])
    with pytest.raises(NotHeadsChoice):
        await world.routing.assign(100, iid(inc), inc.version, [world.housing.id or 0])
    inc = await world.routing.assign(100, iid(inc), inc.version, [pid_d(world)])
    assert inc.status is Status.ASSIGNED


async def test_barnaul_the_controller_sets_the_revision_deadline() -> None:
    world = await build_world("barnaul")
    answers = answering(world)
    async with world.uow() as uow:
        await uow.staff.add(StaffMember(None, 500, "Зам", frozenset({Role.SUPERVISING_DEPUTY})))
        await uow.commit()
    post = replace(POST, external_number="88-3", external_deadline=msk("2026-11-25 17:00"))
    inc = (await world.routing.register_post(100, post)).incident
    inc = await world.routing.assign(100, iid(inc), inc.version, [pid_d(world)])
    inc = await world.routing.accept(300, iid(inc), inc.version)
    inc = await drafted(answers, inc)
    inc = await answers.approve(500, iid(inc), inc.version)
    inc = await answers.request_revision(100, iid(inc), inc.version, "Добавьте фото")
    revision = (await timers(world, inc))["revision"]
    assert revision.due_at == msk("2026-11-25 17:00")  # the system's, until the controller sets one
    inc = await answers.set_deadline(
        100, iid(inc), inc.version, "revision", msk("2026-11-24 15:00")
    )
    assert (await timers(world, inc))["revision"].due_at == msk("2026-11-24 15:00")
    assert inc.history[-1].payload["timer"] == "revision"

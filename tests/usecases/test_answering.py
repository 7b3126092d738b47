from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, Self

import pytest

from domain.answering import (
    Answering,
    AnsweringSettings,
    DraftKindNotAllowed,
    DraftNeedsConfirmation,
    NotYourStep,
    PartsMissing,
)
from domain.errors import AccessDenied, StaleVersion
from domain.incident import Action, DraftKind, Incident, Outcome, Reaction, Source, Status
from domain.people import Department, StaffMember
from domain.profiles import JointOrder
from domain.roles import Role
from domain.routing import AlreadyDone, NotStaff, NotYours
from domain.textchecks import DraftWarning
from domain.timers import NoticeKind, Timer
from domain.work import Attachment, AttachmentKind, Decision
from tests.fakes import FakeStore, FakeUnitOfWork
from tests.usecases.conftest import RULERS, World, build_world, msk

POST = Source(
    network="vk", url="https://vk.com/wall-1_2", author="Мария Петрова", text="Яма на ул. Ленина"
)
ANSWER = (
    "Здравствуйте! Яму на ул. Ленина заделали 25 ноября: ремонт выполнила подрядная "
    "организация по муниципальному контракту."
)
PHOTO = Attachment(AttachmentKind.PHOTO, "photo-file-1")
LINK = "https://vk.com/wall-1_2?reply=77"


def iid(incident: Incident) -> int:
    assert incident.id is not None
    return incident.id


def pid(member: StaffMember | Department) -> int:
    assert member.id is not None
    return member.id


def answering(
    world: World,
    settings: AnsweringSettings | None = None,
    factory: Callable[[FakeStore], FakeUnitOfWork] = FakeUnitOfWork,
) -> Answering:
    store = world.store
    return Answering(lambda: factory(store), world.clock, world.routing.profile, RULERS, settings)


def notices(world: World, kind: NoticeKind) -> list[tuple[int | None, dict[str, Any]]]:
    return [
        (m.recipient_id, dict(m.payload)) for m in world.store.outbox.values() if m.kind is kind
    ]


def carded(world: World) -> set[int | None]:
    return {r for r, _ in notices(world, NoticeKind.CARD)}


async def timers(answers: Answering, incident: Incident) -> dict[str, Timer]:
    return {t.name: t for t in await answers.timers(iid(incident))}


async def in_work(
    world: World, departments: Sequence[Department] = (), post: Source = POST
) -> Incident:
    """Registered, routed as the profile says (through the head where it decides), accepted."""
    routing = world.routing
    inc = (await routing.register_post(100, post)).incident
    targets = [pid(d) for d in departments or [world.roads]]
    if routing.profile.flow().head_decision:
        inc = await routing.send_to_head(100, iid(inc), inc.version)
        inc = await routing.head_decide(200, iid(inc), inc.version, targets)
    if inc.status is not Status.ASSIGNED:
        inc = await routing.assign(100, iid(inc), inc.version, targets)
    inc = await routing.accept(300, iid(inc), inc.version)
    if len(targets) > 1 and routing.profile.joint_order is JointOrder.PARALLEL:
        inc = await routing.accept(400, iid(inc), inc.version)
    return inc


async def drafted(
    answers: Answering,
    inc: Incident,
    tg: int = 300,
    kind: DraftKind = DraftKind.FINAL,
    text: str = ANSWER,
    promised_final: date | None = None,
) -> Incident:
    """The writer drafts in two messages (text, then a photo) and submits."""
    await answers.start_draft(tg, iid(inc), inc.version, kind, promised_final)
    await answers.add_to_draft(tg, iid(inc), text, [])
    await answers.add_to_draft(tg, iid(inc), None, [PHOTO])
    current = await answers.incident(iid(inc))
    return await answers.submit(tg, iid(inc), current.version)


async def test_lipetsk_curator_approves_in_a_working_hour_executor_publishes_in_30_min() -> None:
    world = await build_world("lipetsk")
    answers = answering(world)
    inc = await in_work(world)
    world.clock.set(msk("2026-11-24 11:00"))
    inc = await drafted(answers, inc)
    assert inc.status is Status.UNDER_APPROVAL
    assert inc.history[-1].clause == "п. 9"
    assert inc.drafts[-1].submitted_at == msk("2026-11-24 11:00")
    running = await timers(answers, inc)
    assert "draft" not in running
    assert running["approval"].due_at == msk("2026-11-24 12:00")  # п. 10: 1 working hour
    assert running["approval"].holder_id == world.curator.id
    assert world.curator.id in carded(world)

    world.clock.set(msk("2026-11-24 11:40"))
    inc = await answers.approve(100, iid(inc), inc.version)
    assert inc.status is Status.APPROVED and inc.history[-1].clause == "п. 10"
    [approval] = inc.approvals
    assert (approval.step, approval.role, approval.approver_id) == (
        0,
        Role.CURATOR,
        pid(world.curator),
    )
    running = await timers(answers, inc)
    assert "approval" not in running
    assert running["publication"].due_at == msk("2026-11-24 12:10")  # п. 12: 30 minutes
    assert running["publication"].holder_id == world.ivanov.id

    world.clock.set(msk("2026-11-24 12:05"))
    inc = await answers.publish(300, iid(inc), inc.version, LINK, None)
    assert inc.status is Status.CLOSED and inc.outcome is Outcome.ANSWERED
    assert [(h.action, h.clause) for h in inc.history[-2:]] == [
        (Action.PUBLISH_FINAL, "п. 12"),
        (Action.CLOSE, None),
    ]
    assert inc.history[-1].actor_roles == frozenset({Role.SYSTEM})
    [published] = inc.publications
    assert (published.publisher_id, published.link) == (world.ivanov.id, LINK)
    assert await answers.timers(iid(inc)) == []

    inc = await answers.record_reaction(100, iid(inc), inc.version, Reaction.SATISFIED)
    assert inc.reaction is Reaction.SATISFIED and inc.status is Status.CLOSED


async def test_bor_the_head_approves_and_the_curator_publishes_within_an_hour() -> None:
    world = await build_world("bor")
    answers = answering(world)
    inc = await drafted(answers, await in_work(world))
    assert "approval" not in await timers(answers, inc)  # п. 9 gives the head no figure
    assert world.head.id in carded(world)
    world.clock.set(msk("2026-11-24 14:30"))
    inc = await answers.approve(200, iid(inc), inc.version)
    assert inc.status is Status.APPROVED and inc.history[-1].clause == "п. 9"
    publication = (await timers(answers, inc))["publication"]
    assert publication.due_at == msk("2026-11-24 15:30")  # п. 10
    assert publication.holder_id == world.curator.id
    with pytest.raises(AccessDenied):
        await answers.publish(300, iid(inc), inc.version, LINK, None)
    inc = await answers.publish(100, iid(inc), inc.version, None, "screenshot-1")
    assert inc.status is Status.CLOSED and inc.publications[0].screenshot_file_id == "screenshot-1"
    assert inc.history[-2].clause == "п. 10"


async def test_gulkevichi_the_curator_checks_the_head_approves_the_curator_publishes() -> None:
    world = await build_world("gulkevichi")
    answers = answering(world)
    inc = await drafted(answers, await in_work(world))
    with pytest.raises(NotYourStep) as early:
        await answers.approve(200, iid(inc), inc.version)
    assert early.value.role is Role.CURATOR
    inc = await answers.approve(100, iid(inc), inc.version)
    assert inc.status is Status.UNDER_APPROVAL
    assert (inc.history[-1].action, inc.history[-1].clause) == (
        Action.APPROVE_STEP,
        "п. 3.1.3, 3.2.3",
    )
    assert world.head.id in carded(world)
    inc = await answers.approve(200, iid(inc), inc.version)
    assert inc.status is Status.APPROVED and inc.history[-1].clause == "п. 3.1.7, 3.2.6"
    assert [(a.step, a.role) for a in inc.approvals] == [(0, Role.CURATOR), (1, Role.HEAD)]
    inc = await answers.publish(100, iid(inc), inc.version, LINK, None, public=False)
    assert inc.status is Status.CLOSED and inc.publications[0].public is False
    assert await answers.timers(iid(inc)) == []


async def test_myasnikovsky_curator_forwards_in_30_min_and_records_the_regions_say() -> None:
    world = await build_world("myasnikovsky")
    answers = answering(world)
    inc = await in_work(world)
    world.clock.set(msk("2026-11-28 10:00"))  # a Saturday: the 24 hours are plain hours
    inc = await drafted(answers, inc)
    approval = (await timers(answers, inc))["approval"]
    # п. 10's 30 minutes are working minutes (the reading): Monday 09:00-09:30.
    assert approval.due_at == msk("2026-11-30 09:30") and approval.holder_id == world.curator.id
    inc = await answers.approve(100, iid(inc), inc.version)
    assert inc.status is Status.UNDER_APPROVAL
    assert "approval" not in await timers(answers, inc)  # the region's step has no figure
    with pytest.raises(NotYourStep) as external:
        await answers.approve(100, iid(inc), inc.version)
    assert external.value.role is Role.EXTERNAL_CURATOR

    world.clock.set(msk("2026-11-28 12:00"))
    inc = await answers.record_external_decision(
        100, iid(inc), inc.version, approved=False, reason="Добавьте сроки ремонта"
    )
    assert inc.status is Status.REVISION and inc.history[-1].clause == "п. 10"
    returned = inc.approvals[-1]
    assert (returned.role, returned.approver_id, returned.decision) == (
        Role.EXTERNAL_CURATOR,
        None,
        Decision.REVISION,
    )
    assert (await timers(answers, inc))["revision"].due_at == msk("2026-11-30 09:30")
    assert (
        world.ivanov.id,
        {"reason": "Добавьте сроки ремонта", "role": "external_curator", "external": True},
    ) in notices(world, NoticeKind.REVISION)

    inc = await drafted(answers, inc, text=ANSWER + " Разметку нанесут до 1 декабря.")
    assert inc.drafts[-1].revision == 1
    inc = await answers.approve(100, iid(inc), inc.version)
    inc = await answers.record_external_decision(100, iid(inc), inc.version, approved=True)
    assert inc.status is Status.APPROVED and inc.approvals[-1].approver_id is None
    inc = await answers.publish(100, iid(inc), inc.version, LINK, None)
    assert inc.status is Status.CLOSED and inc.history[-2].clause == "п. 10"


async def barnaul_deputies(world: World) -> tuple[StaffMember, StaffMember]:
    """A supervising deputy for roads (Barnaul 5) and another one for housing."""
    async with world.uow() as uow:
        roads_deputy = await uow.staff.add(
            StaffMember(None, 500, "Курирующий зам дорог", frozenset({Role.SUPERVISING_DEPUTY}))
        )
        housing_deputy = await uow.staff.add(
            StaffMember(None, 501, "Курирующий зам ЖКХ", frozenset({Role.SUPERVISING_DEPUTY}))
        )
        await uow.commit()
    world.store.departments[pid(world.roads)] = replace(
        world.roads, supervising_deputy_id=roads_deputy.id
    )
    world.store.departments[pid(world.housing)] = replace(
        world.housing, supervising_deputy_id=housing_deputy.id
    )
    return roads_deputy, housing_deputy


async def test_barnaul_the_deputy_then_the_controller_then_the_city_curator_approve() -> None:
    world = await build_world("barnaul")
    deputy, other_deputy = await barnaul_deputies(world)
    answers = answering(world)
    post = replace(POST, external_number="ИМ-1", external_deadline=msk("2026-11-25 17:00"))
    inc = await drafted(answers, await in_work(world, post=post))
    assert deputy.id in carded(world) and other_deputy.id not in carded(world)
    assert "approval" not in await timers(answers, inc)  # the controller has not received it
    with pytest.raises(NotYours):
        await answers.approve(501, iid(inc), inc.version)
    with pytest.raises(NotYourStep):
        await answers.approve(100, iid(inc), inc.version)

    world.clock.set(msk("2026-11-24 12:50"))
    inc = await answers.approve(500, iid(inc), inc.version)
    assert inc.history[-1].clause == "п. 5"
    approval = (await timers(answers, inc))["approval"]
    assert approval.due_at == msk("2026-11-24 14:20")  # п. 6: 30 working minutes, over lunch
    assert approval.holder_id == world.curator.id

    inc = await answers.approve(100, iid(inc), inc.version)
    assert inc.status is Status.UNDER_APPROVAL
    assert "approval" not in await timers(answers, inc)
    inc = await answers.record_external_decision(100, iid(inc), inc.version, approved=True)
    assert inc.status is Status.APPROVED and inc.history[-1].clause == "п. 6"
    assert [a.role for a in inc.approvals] == [
        Role.SUPERVISING_DEPUTY,
        Role.CURATOR,
        Role.EXTERNAL_CURATOR,
    ]

    inc = await answers.cannot_publish(100, iid(inc), inc.version, "Комментарии закрыты")
    assert inc.status is Status.APPROVED and inc.history[-1].clause == "п. 8"
    # п. 8: the external curator is told at once; the controller passes it on.
    assert (
        world.curator.id,
        {"reason": "Комментарии закрыты", "event": "publication_failed", "clause": "п. 8"},
    ) in notices(world, NoticeKind.ALERT)
    inc = await answers.publish(100, iid(inc), inc.version, None, "direct-message-screenshot")
    assert inc.status is Status.CLOSED
    assert await answers.timers(iid(inc)) == []


async def test_lipetsk_a_return_for_revision_gives_an_hour_and_the_chain_starts_again() -> None:
    world = await build_world("lipetsk")
    answers = answering(world)
    inc = await drafted(answers, await in_work(world))
    world.clock.set(msk("2026-11-24 17:30"))
    with pytest.raises(ValueError, match="reason"):
        await answers.request_revision(100, iid(inc), inc.version, "  ")
    inc = await answers.request_revision(100, iid(inc), inc.version, "Нет сроков")
    assert inc.status is Status.REVISION and inc.history[-1].clause == "п. 10, 11"
    assert inc.approvals[-1].decision is Decision.REVISION
    revision = (await timers(answers, inc))["revision"]
    assert revision.due_at == msk("2026-11-25 09:30")  # п. 11: 1 working hour, overnight
    assert revision.holder_id == world.ivanov.id
    assert "approval" not in await timers(answers, inc)
    assert (world.ivanov.id, {"reason": "Нет сроков", "role": "curator", "external": False}) in (
        notices(world, NoticeKind.REVISION)
    )

    world.clock.set(msk("2026-11-25 09:20"))
    inc = await drafted(answers, inc, text=ANSWER + " Гарантия на покрытие — 3 года.")
    assert inc.status is Status.UNDER_APPROVAL
    assert [d.revision for d in inc.drafts] == [0, 1]
    assert inc.drafts[0].text == ANSWER  # the returned text stays in the record
    running = await timers(answers, inc)
    assert "revision" not in running
    assert running["approval"].due_at == msk("2026-11-25 10:20")
    inc = await answers.approve(100, iid(inc), inc.version)
    assert inc.status is Status.APPROVED
    assert inc.approvals[-1].step == 0 and inc.approvals[-1].draft_id == inc.drafts[1].id


async def test_a_department_lead_who_writes_the_answer_holds_its_clocks_and_publishes_it() -> None:
    world = await build_world("lipetsk")
    answers = answering(world)
    inc = await drafted(answers, await in_work(world), tg=302)
    assert inc.drafts[-1].author_id == world.lead.id
    inc = await answers.request_revision(100, iid(inc), inc.version, "Добавьте фото после")
    assert (await timers(answers, inc))["revision"].holder_id == world.lead.id
    inc = await drafted(answers, inc, tg=302)
    inc = await answers.approve(100, iid(inc), inc.version)
    assert (await timers(answers, inc))["publication"].holder_id == world.lead.id
    with pytest.raises(NotYours):
        await answers.publish(300, iid(inc), inc.version, LINK, None)
    inc = await answers.publish(302, iid(inc), inc.version, LINK, None)
    assert inc.status is Status.CLOSED


async def test_gulkevichi_after_a_revision_the_chain_starts_again_from_the_curator() -> None:
    world = await build_world("gulkevichi")
    answers = answering(world)
    inc = await drafted(answers, await in_work(world))
    inc = await answers.approve(100, iid(inc), inc.version)
    world.clock.set(msk("2026-11-24 15:00"))
    inc = await answers.request_revision(200, iid(inc), inc.version, "Уточните адрес")
    assert (await timers(answers, inc))["revision"].due_at == msk("2026-11-25 10:00")  # 3.1.4
    inc = await drafted(answers, inc)
    with pytest.raises(NotYourStep):
        await answers.approve(200, iid(inc), inc.version)
    inc = await answers.approve(100, iid(inc), inc.version)
    inc = await answers.approve(200, iid(inc), inc.version)
    assert inc.status is Status.APPROVED


async def test_lipetsk_an_intermediate_answer_then_the_final_one_in_7_working_days() -> None:
    world = await build_world("lipetsk")
    answers = answering(world)
    inc = await in_work(world)
    with pytest.raises(ValueError, match="promises"):
        await answers.start_draft(300, iid(inc), inc.version, DraftKind.INTERMEDIATE)
    with pytest.raises(ValueError, match="past"):
        await answers.start_draft(
            300, iid(inc), inc.version, DraftKind.INTERMEDIATE, date(2026, 11, 23)
        )
    promised = date(2026, 12, 3)
    inc = await drafted(
        answers,
        inc,
        kind=DraftKind.INTERMEDIATE,
        text="Здравствуйте! Подрядчик выйдет на ремонт ямы на следующей неделе.",
        promised_final=promised,
    )
    assert inc.drafts[-1].promised_final == promised
    inc = await answers.approve(100, iid(inc), inc.version)
    world.clock.set(msk("2026-11-24 12:00"))
    inc = await answers.publish(300, iid(inc), inc.version, LINK, None)
    assert inc.status is Status.AWAITING_FINAL and inc.history[-1].clause == "п. 13"
    running = await timers(answers, inc)
    # The 9-hour answer clock is done; the return window of п. 7 closes by itself.
    assert set(running) - {"competence_return"} == {"final_after_intermediate"}
    final_due = running["final_after_intermediate"]
    assert final_due.due_at == msk("2026-12-03 18:00")  # end of the 7th working day
    assert final_due.holder_id == world.ivanov.id

    with pytest.raises(DraftKindNotAllowed):
        await answers.start_draft(300, iid(inc), inc.version, DraftKind.CLARIFICATION)
    world.clock.set(msk("2026-12-01 10:00"))
    inc = await drafted(answers, inc)
    assert inc.drafts[-1].revision == 0
    assert "final_after_intermediate" not in await timers(answers, inc)
    inc = await answers.approve(100, iid(inc), inc.version)
    inc = await answers.publish(300, iid(inc), inc.version, LINK + "&final", None)
    assert inc.status is Status.CLOSED
    assert inc.outcome is Outcome.ANSWERED_AFTER_INTERMEDIATE
    assert [p.draft_id for p in inc.publications] == [d.id for d in inc.drafts]


async def test_gulkevichi_a_clarification_stops_the_answer_clock_over_the_weekend() -> None:
    world = await build_world("gulkevichi", now="2026-11-27 09:00")
    answers = answering(world)
    inc = await in_work(world)
    answer_due = (await timers(answers, inc))["answer"].due_at
    assert answer_due == msk("2026-12-01 18:00")  # п. 3.1.5: two working days
    inc = await drafted(
        answers,
        inc,
        kind=DraftKind.CLARIFICATION,
        text="Здравствуйте! Уточните, пожалуйста, номер дома, у которого находится яма.",
    )
    submitted = world.clock.now()
    # п. 3.1.2: a clarification request is agreed with the curator alone, not the head.
    inc = await answers.approve(100, iid(inc), inc.version)
    assert inc.status is Status.APPROVED
    asked = msk("2026-11-27 15:00")  # Friday
    world.clock.set(asked)
    inc = await answers.publish(100, iid(inc), inc.version, LINK, None)
    assert inc.status is Status.CLARIFICATION and inc.history[-1].clause == "п. 3.1.2"
    paused = (await timers(answers, inc))["answer"]
    # 3.1.5 is the structure's own time: it stood still from the submission.
    assert paused.is_paused and paused.pauses[-1].started_at == submitted
    draft_clock = (await timers(answers, inc))["draft"]
    assert draft_clock.is_paused  # 3.1.2's 8 hours stand still too, not dropped

    replied = msk("2026-11-30 11:00")  # Monday
    world.clock.set(replied)
    inc = await answers.author_replied(100, iid(inc), inc.version, "Дом 12, у второго подъезда")
    assert inc.status is Status.IN_WORK and inc.history[-1].clause == "п. 3.1.2"
    resumed = (await timers(answers, inc))["answer"]
    assert resumed.due_at is not None and not resumed.is_paused
    stood = RULERS.working.between(submitted, replied)
    assert stood == timedelta(hours=8, minutes=45)  # Fri 9:00-13:00, 14:00-16:45, Mon 9:00-11:00
    assert answer_due is not None
    assert RULERS.working.between(answer_due, resumed.due_at) == stood
    assert resumed.due_at == msk("2026-12-03 09:45")
    assert not (await timers(answers, inc))["draft"].is_paused
    assert (world.ivanov.id, {"text": "Дом 12, у второго подъезда"}) in notices(
        world, NoticeKind.AUTHOR_REPLIED
    )
    inc = await drafted(answers, inc)
    assert inc.drafts[-1].kind is DraftKind.FINAL and inc.drafts[-1].revision == 0


async def test_an_unanswered_clarification_is_closed_by_the_system_after_the_silence() -> None:
    world = await build_world("lipetsk")
    answers = answering(world, AnsweringSettings(clarification_silence=timedelta(days=3)))
    inc = await drafted(
        answers,
        await in_work(world),
        kind=DraftKind.CLARIFICATION,
        text="Здравствуйте! Уточните, пожалуйста, адрес, где находится яма.",
    )
    inc = await answers.approve(100, iid(inc), inc.version)
    world.clock.set(msk("2026-11-24 12:00"))
    inc = await answers.publish(300, iid(inc), inc.version, LINK, None)
    assert inc.status is Status.CLARIFICATION
    assert await answers.close_silent_clarifications(msk("2026-11-27 11:59")) == []
    world.clock.set(msk("2026-11-27 12:00"))
    assert await answers.close_silent_clarifications() == [iid(inc)]
    inc = await answers.incident(iid(inc))
    assert inc.status is Status.CLOSED and inc.outcome is Outcome.AUTHOR_SILENT
    assert inc.history[-1].actor_id is None
    assert inc.history[-1].actor_roles == frozenset({Role.SYSTEM})
    assert await answers.timers(iid(inc)) == []
    assert await answers.close_silent_clarifications() == []


async def test_lipetsk_the_last_executor_writes_the_joint_answer_once_parts_are_in() -> None:
    world = await build_world("lipetsk")
    answers = answering(world)
    inc = await in_work(world, [world.roads, world.housing])
    # п. 14: the curator's order; the roads department has it first, with 2 hours.
    parts_due = [t for t in await answers.timers(iid(inc)) if t.name == "joint_part"]
    assert [t.due_at for t in parts_due] == [msk("2026-11-24 12:00")]
    assert world.sidorova.id not in carded(world)  # housing waits for its turn
    with pytest.raises(NotYours):  # housing has not received it yet
        await answers.start_draft(400, iid(inc), inc.version, DraftKind.FINAL)
    with pytest.raises(PartsMissing) as missing:
        await answers.start_draft(300, iid(inc), inc.version, DraftKind.FINAL)
    assert missing.value.department_ids == (pid(world.roads),)
    world.store.outbox.clear()

    world.clock.move(timedelta(minutes=50))
    inc = await answers.submit_part(300, iid(inc), inc.version, "Яму заделаем 26 ноября", [PHOTO])
    assert inc.status is Status.IN_WORK and inc.history[-1].clause == "п. 14"
    roads_part = next(a for a in inc.assignments if a.department_id == world.roads.id)
    assert roads_part.part_text == "Яму заделаем 26 ноября"
    left = [t for t in await answers.timers(iid(inc)) if t.name == "joint_part"]
    assert [t.assignment_id for t in left] == [
        next(a.id for a in inc.assignments if a.department_id == world.housing.id)
    ]
    # Its 2 hours run from the moment the message reached housing: 10:50 + 2 h.
    assert [t.due_at for t in left] == [msk("2026-11-24 12:50")]
    assert world.sidorova.id in carded(world)
    inc = await world.routing.accept(400, iid(inc), inc.version)
    with pytest.raises(AlreadyDone):
        await answers.submit_part(300, iid(inc), inc.version, "Ещё раз", [])
    [part] = await answers.parts(iid(inc))
    assert (part.department_id, part.attachments) == (pid(world.roads), (PHOTO,))

    with pytest.raises(NotYours):
        await answers.start_draft(300, iid(inc), inc.version, DraftKind.FINAL)
    inc = await drafted(answers, inc, tg=400)
    assert inc.drafts[-1].author_id == world.sidorova.id
    assert await answers.timers(iid(inc)) and not [
        t for t in await answers.timers(iid(inc)) if t.name == "joint_part"
    ]
    inc = await answers.approve(100, iid(inc), inc.version)
    with pytest.raises(NotYours):
        await answers.publish(300, iid(inc), inc.version, LINK, None)
    inc = await answers.publish(400, iid(inc), inc.version, LINK, None)
    assert inc.status is Status.CLOSED


async def test_barnaul_the_controller_writes_the_joint_answer_and_approves_it_first() -> None:
    world = await build_world("barnaul")
    await barnaul_deputies(world)
    answers = answering(world)
    inc = await in_work(world, [world.roads, world.housing])
    inc = await answers.submit_part(300, iid(inc), inc.version, "Дороги: яма заделана", [])
    with pytest.raises(PartsMissing):
        await answers.start_draft(100, iid(inc), inc.version, DraftKind.FINAL)
    inc = await answers.submit_part(400, iid(inc), inc.version, "ЖКХ: люк заменён", [])
    assert [p.text for p in await answers.parts(iid(inc))] == [
        "Дороги: яма заделана",
        "ЖКХ: люк заменён",
    ]
    with pytest.raises(NotYours):
        await answers.start_draft(400, iid(inc), inc.version, DraftKind.FINAL)
    inc = await drafted(answers, inc, tg=100)
    assert (await timers(answers, inc))["approval"].holder_id == world.curator.id
    inc = await answers.approve(100, iid(inc), inc.version)
    inc = await answers.record_external_decision(100, iid(inc), inc.version, approved=True)
    assert [a.role for a in inc.approvals] == [Role.CURATOR, Role.EXTERNAL_CURATOR]
    assert inc.status is Status.APPROVED


class _Interleaving(FakeUnitOfWork):
    """Yields right after the transaction begins, so two presses read the same state."""

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        await asyncio.sleep(0)
        return self


async def test_two_approvers_pressing_at_once_one_wins_and_the_other_sees_a_stale_card() -> None:
    world = await build_world("lipetsk")
    async with world.uow() as uow:
        await uow.staff.add(StaffMember(None, 101, "Куратор Борис", frozenset({Role.CURATOR})))
        await uow.commit()
    answers = answering(world, factory=_Interleaving)
    inc = await drafted(answers, await in_work(world))
    results = await asyncio.gather(
        answers.approve(100, iid(inc), inc.version),
        answers.request_revision(101, iid(inc), inc.version, "Нет фото до ремонта"),
        return_exceptions=True,
    )
    assert isinstance(results[0], Incident) and results[0].status is Status.APPROVED
    assert isinstance(results[1], StaleVersion)
    stored = await answers.incident(iid(inc))
    assert stored.status is Status.APPROVED and len(stored.approvals) == 1
    assert [h.action for h in stored.history].count(Action.REQUEST_REVISION) == 0


async def test_a_phone_number_in_the_draft_needs_the_executors_confirmation() -> None:
    world = await build_world("lipetsk")
    answers = answering(world)
    inc = await in_work(world)
    text = ANSWER + " Вопросы — по телефону мастера +7 (903) 123-45-67."
    await answers.start_draft(300, iid(inc), inc.version, DraftKind.FINAL)
    await answers.add_to_draft(300, iid(inc), text, [PHOTO])
    assert await answers.check(iid(inc)) == (DraftWarning.PERSONAL_DATA,)
    inc = await answers.incident(iid(inc))
    with pytest.raises(DraftNeedsConfirmation) as refused:
        await answers.submit(300, iid(inc), inc.version)
    assert refused.value.warnings == (DraftWarning.PERSONAL_DATA,)
    assert refused.value.fragments == ("+7 (903) 123-45-67",)
    assert (await answers.incident(iid(inc))).status is Status.IN_WORK
    inc = await answers.submit(300, iid(inc), inc.version, override=[DraftWarning.PERSONAL_DATA])
    assert inc.status is Status.UNDER_APPROVAL
    assert inc.drafts[-1].overridden_warnings == ("personal_data",)
    assert inc.history[-1].payload["overridden"] == ["personal_data"]


async def test_topic_photos_and_myasnikovskys_measures_are_asked_of_a_final_answer() -> None:
    world = await build_world("myasnikovsky")
    answers = Answering(
        lambda: FakeUnitOfWork(world.store),
        world.clock,
        world.routing.profile,
        RULERS,
        needs_photo=lambda topic: topic == "roads",
    )
    inc = (await world.routing.register_post(100, POST)).incident
    inc = await world.routing.tag(100, iid(inc), inc.version, topic_group="x", topic="roads")
    inc = await world.routing.assign(100, iid(inc), inc.version, [pid(world.roads)])
    inc = await world.routing.accept(300, iid(inc), inc.version)
    await answers.start_draft(300, iid(inc), inc.version, DraftKind.FINAL)
    await answers.add_to_draft(300, iid(inc), "Спасибо за обращение, информация принята.", [])
    assert await answers.check(iid(inc)) == (
        DraftWarning.NO_SUBSTANCE,
        DraftWarning.NO_PHOTO,
        DraftWarning.NO_MEASURES,
    )
    inc = await answers.incident(iid(inc))
    await answers.start_draft(300, iid(inc), inc.version, DraftKind.CLARIFICATION)
    assert await answers.check(iid(inc)) == (DraftWarning.NO_SUBSTANCE,)


async def test_a_draft_grows_over_several_messages_and_long_texts_are_kept_whole() -> None:
    world = await build_world("lipetsk")
    answers = answering(world)
    inc = await in_work(world)
    first = await answers.start_draft(300, iid(inc), inc.version, DraftKind.FINAL)
    assert await answers.start_draft(300, iid(inc), inc.version, DraftKind.FINAL) == first
    long_text = "Подробно о ремонте. " * 600
    await answers.add_to_draft(300, iid(inc), "Здравствуйте!", [])
    await answers.add_to_draft(300, iid(inc), long_text, [PHOTO])
    draft = await answers.add_to_draft(300, iid(inc), ANSWER, [])
    assert draft.text == "\n\n".join(["Здравствуйте!", long_text.strip(), ANSWER])
    assert len(draft.text) > 10_000 and draft.attachments == (PHOTO,)
    with pytest.raises(AlreadyDone):
        await answers.start_draft(302, iid(inc), inc.version, DraftKind.FINAL)
    with pytest.raises(NotYours):
        await answers.add_to_draft(302, iid(inc), "Чужой текст", [])
    with pytest.raises(StaleVersion):  # every change of the draft moves the version
        await answers.submit(300, iid(inc), inc.version)
    inc = await answers.incident(iid(inc))
    switched = await answers.start_draft(
        300, iid(inc), inc.version, DraftKind.INTERMEDIATE, date(2026, 11, 30)
    )
    assert switched.kind is DraftKind.INTERMEDIATE and switched.text == draft.text
    assert len((await answers.incident(iid(inc))).drafts) == 1


async def test_gulkevichi_the_curator_converts_a_message_into_a_59fz_appeal() -> None:
    world = await build_world("gulkevichi")
    answers = answering(world)
    inc = await in_work(world)
    with pytest.raises(AccessDenied):
        await answers.convert_59fz(300, iid(inc), inc.version, "Нужен официальный ответ")
    inc = await answers.convert_59fz(100, iid(inc), inc.version, "Нужен официальный ответ")
    assert inc.status is Status.CONVERTED and inc.outcome is Outcome.CONVERTED
    assert inc.history[-1].clause == "п. 3.9"
    assert await answers.timers(iid(inc)) == []


async def test_wrong_roles_are_refused_and_change_nothing() -> None:
    world = await build_world("lipetsk")
    answers = answering(world)
    inc = await in_work(world)

    def snapshot() -> tuple[object, ...]:
        stored = world.store.incidents[iid(inc)]
        return (
            stored.version,
            stored.status,
            len(stored.history),
            len(stored.drafts),
            len(stored.approvals),
            len(world.store.outbox),
            len(world.store.timers),
        )

    before = snapshot()
    with pytest.raises(NotYours):
        await answers.start_draft(400, iid(inc), inc.version, DraftKind.FINAL)  # housing
    with pytest.raises(NotYours):
        await answers.start_draft(301, iid(inc), inc.version, DraftKind.FINAL)  # not his
    with pytest.raises(AccessDenied):  # the curator writes no draft of a single department
        await answers.start_draft(100, iid(inc), inc.version, DraftKind.FINAL)
    with pytest.raises(AccessDenied):
        await answers.start_draft(200, iid(inc), inc.version, DraftKind.FINAL)
    with pytest.raises(NotStaff):
        await answers.start_draft(999, iid(inc), inc.version, DraftKind.FINAL)
    assert snapshot() == before

    inc = await drafted(answers, inc)
    before = snapshot()
    with pytest.raises(NotYourStep):
        await answers.approve(200, iid(inc), inc.version)
    with pytest.raises(NotYourStep):  # the curator agrees it, not the executor
        await answers.approve(300, iid(inc), inc.version)
    with pytest.raises(NotStaff):
        await answers.approve(999, iid(inc), inc.version)
    with pytest.raises(NotYourStep):
        await answers.record_external_decision(100, iid(inc), inc.version, approved=True)
    with pytest.raises(StaleVersion):
        await answers.approve(100, iid(inc), inc.version - 1)
    assert snapshot() == before

    inc = await answers.approve(100, iid(inc), inc.version)
    before = snapshot()
    with pytest.raises(AccessDenied):
        await answers.publish(100, iid(inc), inc.version, LINK, None)
    with pytest.raises(NotYours):
        await answers.publish(301, iid(inc), inc.version, LINK, None)
    with pytest.raises(ValueError, match="link or a screenshot"):
        await answers.publish(300, iid(inc), inc.version, " ", None)
    with pytest.raises(AccessDenied):
        await answers.author_replied(300, iid(inc), inc.version, "Ответ автора")
    assert snapshot() == before

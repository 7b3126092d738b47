"""Every domain object goes in and comes back equal, on SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, StatementError

from domain.durations import ClockKind
from domain.errors import StaleVersion
from domain.incident import (
    Action,
    Actor,
    DraftKind,
    HistoryEntry,
    Importance,
    Incident,
    Outcome,
    Reaction,
    Source,
    Status,
    Tags,
)
from domain.people import Absence, AbsenceKind, Department, Invite, StaffMember
from domain.ports import CardRef
from domain.roles import Role
from domain.timers import NoticeKind, OutboxMessage, ReminderKey, Timer, TimerPause
from domain.work import (
    Approval,
    Assignment,
    AssignmentState,
    Attachment,
    AttachmentKind,
    Decision,
    Draft,
    Publication,
)
from storage.engine import Database
from storage.repositories import Organisation

T0 = datetime(2026, 3, 2, 6, 0, 0, 250000, tzinfo=UTC)
YEKT = timezone(timedelta(hours=5))


async def people(db: Database) -> tuple[Department, StaffMember, StaffMember, StaffMember]:
    async with db.unit_of_work() as uow:
        dept = await uow.departments.add(Department(None, "Благоустройство"))
        curator = await uow.staff.add(
            StaffMember(None, 1, "Куратор", frozenset({Role.CURATOR, Role.ADMIN}))
        )
        executor = await uow.staff.add(
            StaffMember(None, 2, "Исполнитель", frozenset({Role.EXECUTOR}), department_id=dept.id)
        )
        head = await uow.staff.add(StaffMember(None, 3, "Глава", frozenset({Role.HEAD})))
        await uow.commit()
    return dept, curator, executor, head


def entry(
    action: Action, actor: StaffMember, at: datetime, src: Status, dst: Status, **payload: object
) -> HistoryEntry:
    return HistoryEntry(at, actor.id, actor.roles, action, src, dst, "п. 6", payload)


async def test_an_incident_with_everything_round_trips(db: Database) -> None:
    dept, curator, executor, head = await people(db)
    assert (
        dept.id is not None
        and executor.id is not None
        and curator.id is not None
        and head.id is not None
    )
    incident = Incident(
        id=None,
        profile="gulkevichi",
        flow="incident",
        source=Source(
            "ok", "https://ok.ru/x", "Автор", "Текст", ("m1",), "EXT-1", T0.astimezone(YEKT)
        ),
        detected_at=T0,
        curator_id=curator.id,
        status=Status.IN_WORK,
        version=3,
        tags=Tags("Транспорт", "Автобусы", None, Importance.SIGNIFICANT),
        clauses={"assign": "п. 99"},
        history=[
            entry(Action.DETECT, curator, T0, Status.NEW, Status.NEW, detected_at=T0.isoformat()),
            entry(
                Action.ASSIGN,
                curator,
                T0 + timedelta(minutes=1),
                Status.NEW,
                Status.ASSIGNED,
                departments=[dept.id],
            ),
            entry(
                Action.ACCEPT, executor, T0 + timedelta(minutes=2), Status.ASSIGNED, Status.IN_WORK
            ),
        ],
        assignments=[
            Assignment(None, dept.id, executor.id, 0, T0, AssignmentState.ACCEPTED),
            Assignment(None, dept.id, None, 1, T0, AssignmentState.RETURNED, "часть", "не наше"),
        ],
        drafts=[
            Draft(
                None,
                DraftKind.INTERMEDIATE,
                "Промежуточный",
                executor.id,
                T0,
                (
                    Attachment(AttachmentKind.PHOTO, "f1", "до"),
                    Attachment(AttachmentKind.DOCUMENT, "f2"),
                ),
                submitted_at=T0 + timedelta(hours=1),
                revision=1,
                promised_final=date(2026, 3, 11),
                overridden_warnings=("too_short", "no_greeting"),
            ),
        ],
    )

    async with db.unit_of_work() as uow:
        added = await uow.incidents.add(incident)
        await uow.commit()
    assert incident.id is None, "the argument is not changed"
    assert added.id is not None and added.number is not None
    assert all(a.id is not None for a in added.assignments) and added.drafts[0].id is not None

    async with db.unit_of_work() as uow:
        loaded = await uow.incidents.get(added.id)
    assert loaded == added
    assert loaded is not None
    assert (
        loaded.source.external_deadline is not None
        and loaded.source.external_deadline.tzinfo is UTC
    )
    assert loaded.history[1].actor_roles == frozenset({Role.CURATOR, Role.ADMIN})
    assert loaded.history[1].payload == {"departments": [dept.id]}
    assert loaded.drafts[0].attachments[1] == Attachment(AttachmentKind.DOCUMENT, "f2", None)

    draft_id = loaded.drafts[0].id
    assert draft_id is not None
    first = loaded.assignments[0]
    loaded.assignments[0] = replace(first, state=AssignmentState.PART_SUBMITTED, part_text="готово")
    loaded.drafts[0] = replace(
        loaded.drafts[0], attachments=(Attachment(AttachmentKind.VIDEO, "v1"),)
    )
    loaded.drafts.append(
        Draft(None, DraftKind.FINAL, "Окончательный", executor.id, T0 + timedelta(days=1))
    )
    loaded.approvals.append(
        Approval(
            None, draft_id, 0, Role.HEAD, head.id, Decision.REVISION, T0 + timedelta(hours=2), "нет"
        )
    )
    loaded.approvals.append(
        Approval(None, draft_id, 1, Role.EXTERNAL_CURATOR, None, Decision.APPROVED, T0)
    )
    loaded.publications.append(
        Publication(
            None,
            draft_id,
            executor.id,
            T0 + timedelta(hours=3),
            "https://ok.ru/a",
            "s1",
            False,
            True,
        )
    )
    loaded.outcome = Outcome.ANSWERED_AFTER_INTERMEDIATE
    loaded.reaction = Reaction.SATISFIED
    loaded.tags = Tags("Транспорт", "Трамваи", "Центр", Importance.ORDINARY)
    later = entry(
        Action.SUBMIT_PART, executor, T0 + timedelta(hours=4), Status.IN_WORK, Status.IN_WORK
    )
    loaded.history.append(later)
    loaded.version += 1

    async with db.unit_of_work() as uow:
        other = await uow.incidents.add(replace(incident, history=[], assignments=[], drafts=[]))
        assert other.id is not None
        loaded.linked_ids = (other.id,)
        await uow.incidents.update(loaded, 3, [later])
        await uow.commit()
    assert all(d.id is not None for d in loaded.drafts)
    assert all(a.id is not None for a in loaded.approvals)
    assert all(p.id is not None for p in loaded.publications)

    async with db.unit_of_work() as uow:
        again = await uow.incidents.get(added.id)
    assert again == loaded
    assert again is not None and again.version == 4
    assert [d.kind for d in again.drafts] == [DraftKind.INTERMEDIATE, DraftKind.FINAL]
    assert again.drafts[0].attachments == (Attachment(AttachmentKind.VIDEO, "v1"),)


async def test_update_checks_the_version_and_never_rewrites_history(db: Database) -> None:
    _, curator, _, _ = await people(db)
    detected = Incident.detect(
        profile="bor",
        flow="default",
        source=Source("vk"),
        detected_at=T0,
        curator=replace_actor(curator),
        at=T0,
    )
    async with db.unit_of_work() as uow:
        incident = await uow.incidents.add(detected)
        await uow.commit()
    assert incident.id is not None
    tag = incident.apply(Action.TAG, replace_actor(curator), T0, payload={"topic": "a"})
    async with db.unit_of_work() as uow:
        with pytest.raises(StaleVersion) as caught:
            await uow.incidents.update(incident, 7, [tag])
        assert (caught.value.expected, caught.value.actual, caught.value.last_actor) == (
            7,
            0,
            curator.id,
        )
    number = incident.number
    assert number is not None
    async with db.unit_of_work() as uow:
        await uow.incidents.update(replace(incident, number=None), 0, [tag])
        await uow.commit()
    async with db.unit_of_work() as uow:
        loaded = await uow.incidents.get(incident.id)
        assert loaded is not None and [h.action for h in loaded.history] == [
            Action.DETECT,
            Action.TAG,
        ]
        assert loaded.number == number and loaded.version == 1
        assert await uow.incidents.get(123456) is None


def replace_actor(member: StaffMember) -> Actor:
    return Actor(member.id, member.roles)


async def test_history_is_append_only_in_the_database(db: Database) -> None:
    _, curator, _, _ = await people(db)
    async with db.unit_of_work() as uow:
        await uow.incidents.add(
            Incident.detect(
                profile="bor",
                flow="default",
                source=Source("vk"),
                detected_at=T0,
                curator=replace_actor(curator),
                at=T0,
            )
        )
        await uow.commit()
    for statement in ("UPDATE history SET action = 'close'", "DELETE FROM history"):
        async with db.engine.connect() as conn:
            with pytest.raises(DBAPIError, match="append-only"):
                await conn.execute(text(statement))
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM history"))).scalar_one() == 1


async def test_naive_moments_are_refused(db: Database) -> None:
    async with db.unit_of_work() as uow:
        with pytest.raises(StatementError, match="naive datetime refused"):
            await uow.invites.add(Invite("t", Role.EXECUTOR, datetime(2026, 1, 1), None))  # noqa: DTZ001


async def test_staff_departments_invites_cards_and_organisation(db: Database) -> None:
    dept, _, executor, head = await people(db)
    assert dept.id is not None and executor.id is not None and head.id is not None
    member = StaffMember(
        None,
        5_000_000_000,
        "Заместитель",
        frozenset({Role.DEPUTY_HEAD, Role.SUPERVISING_DEPUTY}),
        department_id=dept.id,
        substitute_id=head.id,
        absences=(
            Absence(AbsenceKind.LEAVE, date(2026, 7, 1), date(2026, 7, 14)),
            Absence(AbsenceKind.SICK_LEAVE, date(2026, 2, 1), date(2026, 2, 3)),
        ),
        blocked_bot=True,
    )
    async with db.unit_of_work() as uow:
        added = await uow.staff.add(member)
        assert added.id is not None
        await uow.departments.update(
            replace(dept, lead_id=executor.id, supervising_deputy_id=added.id)
        )
        await uow.invites.add(Invite("setup", Role.ADMIN, T0, None))
        await uow.invites.add(Invite("inv", Role.EXECUTOR, T0.astimezone(YEKT), head.id, dept.id))
        await uow.organisation.save(Organisation("Администрация", "lipetsk", "Europe/Moscow"))
        await uow.commit()

    async with db.unit_of_work() as uow:
        assert await uow.staff.get(added.id) == added
        assert await uow.staff.by_telegram(5_000_000_000) == added
        assert [m.id for m in await uow.staff.in_department(dept.id)] == [executor.id, added.id]
        assert len(await uow.staff.all()) == 4
        assert await uow.departments.get(dept.id) == replace(
            dept, lead_id=executor.id, supervising_deputy_id=added.id
        )
        assert await uow.departments.all() == [await uow.departments.get(dept.id)]
        changed = replace(
            added, roles=frozenset({Role.EXECUTOR}), absences=(), active=False, blocked_bot=False
        )
        await uow.staff.update(changed)
        assert await uow.invites.mark_used("setup", added.id, T0)
        assert not await uow.invites.mark_used("setup", head.id, T0)
        assert not await uow.invites.mark_used("nope", head.id, T0)
        assert await uow.invites.unused_setup() is None
        await uow.organisation.save(
            Organisation("Администрация района", "bor", "Asia/Yekaterinburg")
        )
        await uow.commit()

    async with db.unit_of_work() as uow:
        assert await uow.staff.get(added.id) == changed
        assert await uow.invites.get("setup") == Invite(
            "setup", Role.ADMIN, T0, None, None, added.id, T0
        )
        assert await uow.invites.get("inv") == Invite("inv", Role.EXECUTOR, T0, head.id, dept.id)
        assert await uow.invites.get("missing") is None
        assert await uow.organisation.get() == Organisation(
            "Администрация района", "bor", "Asia/Yekaterinburg"
        )


async def test_cards_are_put_and_replaced(db: Database) -> None:
    _, curator, executor, _ = await people(db)
    assert curator.id is not None and executor.id is not None
    async with db.unit_of_work() as uow:
        incident = await uow.incidents.add(Incident(None, "bor", "default", Source("vk"), T0))
        assert incident.id is not None
        await uow.cards.put(CardRef(incident.id, executor.id, -100123, 5))
        await uow.cards.put(CardRef(incident.id, executor.id, -100123, 6))
        await uow.cards.put(CardRef(incident.id, curator.id, 77, 1))
        await uow.commit()
    async with db.unit_of_work() as uow:
        assert await uow.cards.get(incident.id, executor.id) == CardRef(
            incident.id, executor.id, -100123, 6
        )
        assert await uow.cards.get(incident.id, curator.id) == CardRef(
            incident.id, curator.id, 77, 1
        )
        assert await uow.cards.get(incident.id, 999) is None


def timer(incident_id: int, name: str, due: datetime | None, **kw: object) -> Timer:
    return Timer(
        id=None,
        incident_id=incident_id,
        name=name,
        clause="п. 8",
        clock=ClockKind.WORKING,
        started_at=T0,
        due_at=due,
        holder_id=None,
        holder_role=Role.EXECUTOR,
        **kw,  # type: ignore[arg-type]
    )


async def test_timers_round_trip_and_due_takes_only_open_unpaused_ones(db: Database) -> None:
    _, _, executor, _ = await people(db)
    async with db.unit_of_work() as uow:
        incident = await uow.incidents.add(Incident(None, "bor", "default", Source("vk"), T0))
        iid = incident.id
        assert iid is not None
        full = timer(
            iid,
            "answer",
            None,
            assignment_id=None,
            pauses=[TimerPause(T0, T0 + timedelta(hours=1)), TimerPause(T0 + timedelta(hours=2))],
            breached_at=T0.astimezone(YEKT),
            remind_at=T0,
        )
        full = replace(
            full, holder_id=executor.id, clock=ClockKind.CALENDAR, holder_role=Role.DEPARTMENT_LEAD
        )
        paused = await uow.timers.add(full)
        late = await uow.timers.add(
            timer(iid, "late", T0 + timedelta(hours=3), remind_at=T0 + timedelta(hours=1))
        )
        early = await uow.timers.add(timer(iid, "early", T0 + timedelta(hours=1)))
        tie = await uow.timers.add(timer(iid, "tie", T0 + timedelta(hours=1)))
        stopped = await uow.timers.add(timer(iid, "stopped", T0, stopped_at=T0, remind_at=T0))
        resumed = await uow.timers.add(
            timer(
                iid,
                "resumed",
                T0 + timedelta(minutes=30),
                pauses=[TimerPause(T0, T0 + timedelta(minutes=1))],
            )
        )
        future = await uow.timers.add(
            timer(iid, "future", T0 + timedelta(days=3), remind_at=T0 + timedelta(hours=2))
        )
        await uow.commit()

    async with db.unit_of_work() as uow:
        assert [t.name for t in await uow.timers.due(T0 + timedelta(hours=3))] == [
            "resumed",
            "early",
            "tie",
            "late",
        ]
        assert [t.name for t in await uow.timers.due(T0 + timedelta(hours=3), limit=2)] == [
            "resumed",
            "early",
        ]
        assert await uow.timers.due(T0 - timedelta(seconds=1)) == []
        reminded = await uow.timers.to_remind(T0 + timedelta(hours=3))
        assert [t.name for t in reminded] == ["late", "future"]
        assert reminded[1].remind_at == T0 + timedelta(hours=2) and reminded[1] == future
        assert [t.name for t in await uow.timers.to_remind(T0 + timedelta(hours=1))] == ["late"]
        opened = await uow.timers.open_for(iid)
        assert [t.name for t in opened] == ["answer", "late", "early", "tie", "resumed", "future"]
        assert opened[0] == paused and opened[0].is_paused
        assert opened[4] == resumed
        assert opened[0].breached_at is not None and opened[0].breached_at.tzinfo is UTC

        assert early.id is not None
        await uow.timers.update(replace(early, stopped_at=T0 + timedelta(hours=1)))
        resumed_again = replace(
            paused,
            pauses=[
                paused.pauses[0],
                TimerPause(T0 + timedelta(hours=2), T0 + timedelta(hours=2, minutes=5)),
            ],
            due_at=T0,
        )
        await uow.timers.update(resumed_again)
        await uow.commit()
    async with db.unit_of_work() as uow:
        assert [t.name for t in await uow.timers.due(T0 + timedelta(hours=3))] == [
            "answer",
            "resumed",
            "tie",
            "late",
        ]
        assert (await uow.timers.due(T0 + timedelta(hours=3)))[0] == resumed_again
    assert all(t.id is not None for t in (late, tie, stopped, future))


@pytest.mark.parametrize(
    ("method", "index"), [("due", "ix_timers_due_open"), ("to_remind", "ix_timers_remind_open")]
)
async def test_the_sweep_queries_are_served_by_partial_indexes(
    db: Database, method: str, index: str
) -> None:
    """The statements `due()` and `to_remind()` really send, explained: an index scan, no sort."""
    seen: list[tuple[str, Any]] = []

    def capture(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if "FROM timers" in statement and "_at <=" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with db.unit_of_work() as uow:
            await getattr(uow.timers, method)(T0)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    [(statement, parameters)] = seen
    async with db.engine.connect() as conn:
        if db.backend == "postgresql":
            await conn.exec_driver_sql("SET enable_seqscan = off")
            await conn.exec_driver_sql("SET enable_bitmapscan = off")
            prefix = "EXPLAIN "
        else:
            prefix = "EXPLAIN QUERY PLAN "
        rows = (await conn.exec_driver_sql(prefix + statement, parameters)).all()
    plan = " | ".join(str(r[-1]) for r in rows)
    assert index in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


async def test_a_reminder_is_recorded_once(db: Database) -> None:
    async with db.unit_of_work() as uow:
        incident = await uow.incidents.add(Incident(None, "bor", "default", Source("vk"), T0))
        assert incident.id is not None
        key = ReminderKey(incident.id, "answer", "halfway")
        assert await uow.reminders.record(key, T0)
        assert not await uow.reminders.record(key, T0 + timedelta(minutes=1))
        assert await uow.reminders.record(replace(key, kind="breach"), T0)
        assert await uow.reminders.record(replace(key, timer_name="approval"), T0)
        await uow.commit()
    async with db.unit_of_work() as uow:
        assert not await uow.reminders.record(key, T0 + timedelta(hours=1))
        assert await uow.incidents.get(incident.id) is not None, "the transaction is still usable"


async def test_outbox_pending_order_dedupe_and_marks(db: Database) -> None:
    _, curator, _, _ = await people(db)

    def notice(n: int, **kw: Any) -> OutboxMessage:
        return OutboxMessage(
            None,
            T0 + timedelta(seconds=n),
            NoticeKind.TEXT,
            recipient_id=curator.id,
            payload={"text": f"№{n}", "n": n},
            **kw,
        )

    async with db.unit_of_work() as uow:
        one = await uow.outbox.add(notice(1))
        two = await uow.outbox.add(notice(2, dedupe_key="report:2026-03-02"))
        again = await uow.outbox.add(notice(9, dedupe_key="report:2026-03-02"))
        three = await uow.outbox.add(
            notice(3, chat_id=-100500, not_before=T0 + timedelta(minutes=5))
        )
        four = await uow.outbox.add(notice(4))
        await uow.commit()
    assert again == two
    assert (
        one.id is not None and two.id is not None and three.id is not None and four.id is not None
    )

    async with db.unit_of_work() as uow:
        assert [m.id for m in await uow.outbox.pending()] == [one.id, two.id, three.id, four.id]
        assert (await uow.outbox.pending())[0] == one
        assert [m.id for m in await uow.outbox.pending(limit=2)] == [one.id, two.id]
        assert [m.id for m in await uow.outbox.pending(now=T0)] == [one.id, two.id, four.id]
        await uow.outbox.mark_sent(one.id, T0 + timedelta(seconds=5))
        await uow.outbox.mark_failed(two.id, "403 Forbidden: bot was blocked by the user")
        await uow.outbox.postpone(four.id, T0 + timedelta(minutes=1), "429 retry after 60")
        await uow.commit()
    async with db.unit_of_work() as uow:
        pending = await uow.outbox.pending(now=T0 + timedelta(minutes=10))
        assert [m.id for m in pending] == [three.id, four.id]
        assert pending[1].attempts == 1 and pending[1].not_before == T0 + timedelta(minutes=1)
        assert pending[0].chat_id == -100500 and pending[0].payload == {"text": "№3", "n": 3}


async def test_an_incidents_timers_come_back_with_their_pauses_in_one_statement(
    db: Database,
) -> None:
    """`for_incident` and `open_for_many` read the timers with their pauses (a JSON array
    beside each timer): moments exact to the microsecond and in UTC whatever zone they were
    written in, pauses in the order written, an open pause open, no pause none."""
    from storage import metering

    async with db.unit_of_work() as uow:
        incident = await uow.incidents.add(Incident(None, "bor", "default", Source("vk"), T0))
        iid = incident.id or 0
        other = await uow.incidents.add(Incident(None, "bor", "default", Source("vk"), T0))
        pauses = [
            TimerPause(T0.astimezone(YEKT), (T0 + timedelta(minutes=7)).astimezone(YEKT)),
            TimerPause(T0 + timedelta(hours=1, microseconds=13), T0 + timedelta(hours=2)),
            TimerPause(T0 + timedelta(hours=3)),
        ]
        paused = await uow.timers.add(timer(iid, "answer", None, pauses=pauses))
        plain = await uow.timers.add(timer(iid, "route", T0 + timedelta(hours=1)))
        stopped = await uow.timers.add(timer(iid, "old", T0, stopped_at=T0))
        theirs = await uow.timers.add(
            timer(other.id or 0, "answer", T0, pauses=[TimerPause(T0, T0 + timedelta(hours=1))])
        )
        await uow.commit()
    meter = metering.start()
    async with db.unit_of_work() as uow:
        read = {t.name: t for t in await uow.timers.for_incident(iid)}
    assert meter.statements == 1
    assert read == {"answer": paused, "route": plain, "old": stopped}
    assert read["answer"].pauses == pauses and read["route"].pauses == []
    assert all(p.started_at.tzinfo is UTC for p in read["answer"].pauses)
    async with db.unit_of_work() as uow:
        many = await uow.timers.open_for_many([iid, other.id or 0])
    assert sorted(t.name for t in many[iid]) == ["answer", "route"]
    assert list(many[other.id or 0]) == [theirs]


async def test_several_timers_are_added_in_one_statement_each_with_its_id(db: Database) -> None:
    from storage import metering

    async with db.unit_of_work() as uow:
        incident = await uow.incidents.add(Incident(None, "bor", "default", Source("vk"), T0))
        iid = incident.id or 0
        await uow.commit()
    meter = metering.start()
    async with db.unit_of_work() as uow:
        added = await uow.timers.add_many(  # unlike NULLs: b has no deadline, c a reminder
            [
                timer(iid, "a", T0 + timedelta(hours=1)),
                timer(iid, "b", None),
                timer(iid, "c", T0 + timedelta(hours=3), remind_at=T0),
            ]
        )
        await uow.commit()
    assert meter.statements <= 2  # the INSERT, and the incident's nearest deadline at commit
    assert [t.name for t in added] == ["a", "b", "c"]
    async with db.unit_of_work() as uow:
        read = {t.id: t for t in await uow.timers.for_incident(iid)}
    assert read == {t.id: t for t in added} and len(read) == 3


async def test_an_actions_history_entries_go_in_one_statement(db: Database) -> None:
    """A person's entry and the bot's own after it (no actor, no clause) are one INSERT."""
    from storage import metering

    _, _, executor, _ = await people(db)
    async with db.unit_of_work() as uow:
        incident = await uow.incidents.add(Incident(None, "bor", "default", Source("vk"), T0))
        await uow.commit()
    iid = incident.id or 0
    system = frozenset({Role.SYSTEM})
    entries = [
        HistoryEntry(
            T0,
            executor.id,
            frozenset({Role.EXECUTOR}),
            Action.TAG,
            Status.NEW,
            Status.NEW,
            "п. 6",
            {},
        ),
        HistoryEntry(T0, None, system, Action.TAG, Status.NEW, Status.NEW, None, {}),
    ]
    async with db.unit_of_work() as uow:
        loaded = await uow.incidents.get(iid)
        assert loaded is not None
        meter = metering.start()
        await uow.incidents.update(loaded, loaded.version, entries)
        assert meter.statements == 2  # the incident's row, the history
        await uow.commit()
    async with db.unit_of_work() as uow:
        again = await uow.incidents.get(iid)
    assert again is not None and again.history[-2:] == entries


async def test_many_incidents_load_in_parts_in_their_order(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`_load` binds every id in each of its parts, so more than `_LOAD_AT_ONCE` go in turns:
    all of them come back, in the order asked."""
    from storage import repositories

    monkeypatch.setattr(repositories, "_LOAD_AT_ONCE", 2)
    async with db.unit_of_work() as uow:
        made = [
            await uow.incidents.add(Incident(None, "bor", "default", Source("vk"), T0))
            for _ in range(5)
        ]
        await uow.commit()
    async with db.unit_of_work() as uow:
        found = await uow.incidents.list_open(limit=10)
    assert [i.id for i in found] == [i.id for i in made]
    assert found == made

"""In-memory doubles of the storage ports, for use-case tests without a database."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from domain.errors import StaleVersion
from domain.incident import OPEN, Action, HistoryEntry, Incident, Source, Status
from domain.people import Department, Invite, StaffMember
from domain.ports import CardRef, IncidentHead, Involvement, ReportRun, UnitOfWork
from domain.timers import Lane, NoticeKind, OutboxMessage, ReminderKey, Timer


class FixedClock:
    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("a clock gives aware moments")
        self._now = now

    def now(self) -> datetime:
        return self._now

    def move(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, now: datetime) -> None:
        self._now = now


class FakeStore:
    """What a database would hold; shared by every unit of work of one test."""

    def __init__(self) -> None:
        self.incidents: dict[int, Incident] = {}
        self.staff: dict[int, StaffMember] = {}
        self.departments: dict[int, Department] = {}
        self.invites: dict[str, Invite] = {}
        self.cards: dict[tuple[int, int], CardRef] = {}
        self.timers: dict[int, Timer] = {}
        self.reminders: dict[ReminderKey, datetime] = {}
        self.outbox: dict[int, OutboxMessage] = {}
        self.report_runs: dict[int, ReportRun] = {}
        self.posts: list[tuple[datetime, int | None, str | None]] = []
        self.next_id = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def _loaded(incident: Incident) -> Incident:
    """A copy as the SQL repository loads it: `turn` is written, never read."""
    found = copy.deepcopy(incident)
    found.turn = None
    return found


class _Incidents:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    def _ids(self, incident: Incident) -> None:
        incident.assignments = [
            a if a.id is not None else replace(a, id=self.uow.data.new_id())
            for a in incident.assignments
        ]
        incident.drafts = [
            d if d.id is not None else replace(d, id=self.uow.data.new_id())
            for d in incident.drafts
        ]

    async def add(self, incident: Incident) -> Incident:
        stored = copy.deepcopy(incident)
        stored.id = self.uow.data.new_id()
        stored.number = stored.number or str(stored.id)
        self._ids(stored)
        self.uow.data.incidents[stored.id] = stored
        return _loaded(stored)

    async def get(self, incident_id: int) -> Incident | None:
        found = self.uow.data.incidents.get(incident_id)
        return _loaded(found) if found else None

    async def update(
        self, incident: Incident, expected_version: int, new_history: Sequence[HistoryEntry]
    ) -> None:
        assert incident.id is not None
        current = self.uow.data.incidents[incident.id]
        committed = self.uow.store.incidents.get(incident.id, current)
        written = self.__dict__.setdefault("_written", set())
        if committed.version != current.version and incident.id not in written:
            current = committed  # another unit of work committed meanwhile
        written.add(incident.id)
        if current.version != expected_version:
            last = current.history[-1].actor_id if current.history else None
            raise StaleVersion(expected_version, current.version, last)
        # As the SQL repository does: what is written gets its ids and the new version in hand.
        self._ids(incident)
        incident.version = max(incident.version, expected_version + 1)
        stored = copy.deepcopy(incident)
        stored.history = [*current.history, *new_history]
        self.uow.data.incidents[incident.id] = stored

    async def find_by_url(self, url: str, but: int | None = None) -> Sequence[Incident]:
        return [
            _loaded(i)
            for i in self.uow.data.incidents.values()
            if i.source.url == url and i.id != but
        ]

    async def find_by_author(
        self, author: str, since: datetime, but: int | None = None
    ) -> Sequence[Incident]:
        return [
            _loaded(i)
            for i in self.uow.data.incidents.values()
            if i.source.author == author and i.detected_at >= since and i.id != but
        ]

    async def list_open(self, limit: int = 100) -> Sequence[Incident]:
        items = [i for i in self.uow.data.incidents.values() if i.status in OPEN]
        return [_loaded(i) for i in sorted(items, key=lambda i: i.detected_at)[:limit]]

    async def count_open(self) -> int:
        return sum(1 for i in self.uow.data.incidents.values() if i.status in OPEN)

    async def open_page(self, after_id: int | None = None, limit: int = 500) -> Sequence[Incident]:
        items = sorted(
            (
                i
                for i in self.uow.data.incidents.values()
                if i.status in OPEN and (after_id is None or (i.id or 0) > after_id)
            ),
            key=lambda i: i.id or 0,
        )
        return [_loaded(i) for i in items[:limit]]

    async def open_involving(
        self, who: Involvement, after_id: int | None = None, limit: int = 500
    ) -> Sequence[Incident]:
        timers = self.uow.data.timers.values()

        def tied(i: Incident) -> bool:
            return (
                i.curator_id in who.people
                or any(
                    a.executor_id in who.people or a.department_id in who.departments
                    for a in i.assignments
                )
                or any(d.author_id in who.people for d in i.drafts)
                or any(
                    t.incident_id == i.id and t.is_open and t.holder_id in who.people
                    for t in timers
                )
                or i.status.value in who.statuses
                or (
                    bool(who.turns)
                    and i.status is Status.UNDER_APPROVAL
                    and (i.turn is None or i.turn in who.turns)
                )
            )

        items = sorted(
            (
                i
                for i in self.uow.data.incidents.values()
                if i.status in OPEN and (after_id is None or (i.id or 0) > after_id) and tied(i)
            ),
            key=lambda i: i.id or 0,
        )
        return [_loaded(i) for i in items[:limit]]

    async def awaiting_approval(
        self, after_id: int | None = None, limit: int = 500
    ) -> Sequence[Incident]:
        items = sorted(
            (
                i
                for i in self.uow.data.incidents.values()
                if i.status is Status.UNDER_APPROVAL
                and i.drafts
                and (after_id is None or (i.id or 0) > after_id)
            ),
            key=lambda i: i.id or 0,
        )
        return [_loaded(i) for i in items[:limit]]

    async def keep_turns(self, turns: Mapping[int, tuple[int, str]]) -> None:
        for incident_id, (version, turn) in turns.items():
            stored = self.uow.data.incidents.get(incident_id)
            if stored is not None and stored.version == version:
                self.uow.data.incidents[incident_id] = replace(stored, turn=turn)

    async def open_by_urgency(self, offset: int = 0, limit: int = 30) -> Sequence[IncidentHead]:
        never = datetime.max.replace(tzinfo=UTC)

        def due(incident: Incident) -> tuple[bool, datetime, int]:
            dues = [
                t.due_at
                for t in self.uow.data.timers.values()
                if t.incident_id == incident.id and t.is_open and t.due_at is not None
            ]
            return (not dues, min(dues) if dues else never, incident.id or 0)

        items = [i for i in self.uow.data.incidents.values() if i.status in OPEN]
        ordered = sorted(items, key=due)
        return [
            IncidentHead(i.id, i.number, i.status, i.version)
            for i in ordered[offset : offset + limit]
        ]

    async def silent_clarifications(
        self, asked_before: datetime, limit: int = 100
    ) -> Sequence[Incident]:
        found = []
        for incident in sorted(self.uow.data.incidents.values(), key=lambda i: i.id or 0):
            if incident.status is not Status.CLARIFICATION:
                continue
            asked = [e.at for e in incident.history if e.action is Action.PUBLISH_CLARIFICATION]
            if asked and max(asked) <= asked_before:
                found.append(_loaded(incident))
        return found[:limit]

    async def by_number(self, number: str) -> Incident | None:
        found = next((i for i in self.uow.data.incidents.values() if i.number == number), None)
        return _loaded(found) if found else None

    async def search(self, text: str, limit: int = 20) -> Sequence[Incident]:
        needle = text.casefold()
        hits = [
            i
            for i in self.uow.data.incidents.values()
            if needle
            in " ".join(filter(None, [i.source.text, i.source.author, i.source.url])).casefold()
        ]
        return [_loaded(i) for i in sorted(hits, key=lambda i: i.detected_at, reverse=True)[:limit]]

    async def erase_personal_data(self, incident_id: int) -> bool:
        found = self.uow.data.incidents.get(incident_id)
        if found is None:
            return False
        found.source = _erased(found.source)
        return True

    async def erase_personal_data_before(self, moment: datetime) -> int:
        count = 0
        for incident in self.uow.data.incidents.values():
            if incident.detected_at < moment and incident.source.author is not None:
                incident.source = _erased(incident.source)
                count += 1
        return count


def _erased(source: Source) -> Source:
    return replace(source, author=None, text="", url=None, media=())


class _Staff:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def add(self, member: StaffMember) -> StaffMember:
        stored = replace(member, id=self.uow.data.new_id())
        assert stored.id is not None
        self.uow.data.staff[stored.id] = stored
        return stored

    async def get(self, member_id: int) -> StaffMember | None:
        return self.uow.data.staff.get(member_id)

    async def by_telegram(self, telegram_id: int) -> StaffMember | None:
        return next((m for m in self.uow.data.staff.values() if m.telegram_id == telegram_id), None)

    async def update(self, member: StaffMember) -> None:
        assert member.id is not None
        self.uow.data.staff[member.id] = member

    async def in_department(self, department_id: int) -> Sequence[StaffMember]:
        return [m for m in self.uow.data.staff.values() if m.department_id == department_id]

    async def all(self) -> Sequence[StaffMember]:
        return list(self.uow.data.staff.values())


class _Departments:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def add(self, department: Department) -> Department:
        stored = replace(department, id=self.uow.data.new_id())
        assert stored.id is not None
        self.uow.data.departments[stored.id] = stored
        return stored

    async def get(self, department_id: int) -> Department | None:
        return self.uow.data.departments.get(department_id)

    async def all(self) -> Sequence[Department]:
        return list(self.uow.data.departments.values())


class _Cards:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def get(self, incident_id: int, person_id: int) -> CardRef | None:
        return self.uow.data.cards.get((incident_id, person_id))

    async def put(self, card: CardRef) -> None:
        self.uow.data.cards[(card.incident_id, card.person_id)] = card

    async def holders(self, incident_id: int) -> Sequence[int]:
        return [person for (incident, person) in self.uow.data.cards if incident == incident_id]

    async def of_incident(self, incident_id: int) -> Sequence[CardRef]:
        return [c for (incident, _), c in self.uow.data.cards.items() if incident == incident_id]


class _Invites:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def add(self, invite: Invite) -> None:
        self.uow.data.invites[invite.token] = invite

    async def get(self, token: str) -> Invite | None:
        return self.uow.data.invites.get(token)

    async def mark_used(self, token: str, member_id: int, at: datetime) -> bool:
        committed = self.uow.store.invites.get(token)
        invite = self.uow.data.invites.get(token)
        if invite is None or invite.used or (committed is not None and committed.used):
            return False
        self.uow.data.invites[token] = replace(invite, used_by=member_id, used_at=at)
        return True

    async def unused_setup(self) -> Invite | None:
        return next(
            (i for i in self.uow.data.invites.values() if i.created_by is None and not i.used), None
        )


class _Timers:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def add(self, timer: Timer) -> Timer:
        stored = copy.deepcopy(timer)
        stored.id = self.uow.data.new_id()
        self.uow.data.timers[stored.id] = stored
        return copy.deepcopy(stored)

    async def add_many(self, timers: Sequence[Timer]) -> list[Timer]:
        return [await self.add(t) for t in timers]

    async def update_many(self, timers: Sequence[Timer]) -> None:
        for timer in timers:
            await self.update(timer)

    async def update(self, timer: Timer) -> None:
        assert timer.id is not None
        stored = copy.deepcopy(timer)
        before = self.uow.data.timers.get(timer.id)
        if before is not None and before.breached_at is not None:
            stored.breached_at = before.breached_at
        self.uow.data.timers[timer.id] = stored

    async def mark_swept(
        self, timer_id: int, remind_at: datetime | None, breached_at: datetime | None
    ) -> bool:
        timer = self.uow.data.timers.get(timer_id)
        if timer is None or not timer.is_open or timer.is_paused:
            return False
        timer.remind_at = remind_at
        if breached_at is not None:
            timer.breached_at = breached_at
        return True

    async def close_window(self, timer_id: int) -> bool:
        timer = self.uow.data.timers.get(timer_id)
        if timer is None or not timer.is_open or timer.is_paused:
            return False
        timer.stopped_at, timer.remind_at = timer.due_at, None
        return True

    async def open_for_many(self, incident_ids: Sequence[int]) -> Mapping[int, Sequence[Timer]]:
        return {i: await self.open_for(i) for i in incident_ids}

    async def open_for(self, incident_id: int) -> Sequence[Timer]:
        return [
            copy.deepcopy(t)
            for t in self.uow.data.timers.values()
            if t.incident_id == incident_id and t.is_open
        ]

    async def for_incident(self, incident_id: int) -> Sequence[Timer]:
        return [
            copy.deepcopy(t) for t in self.uow.data.timers.values() if t.incident_id == incident_id
        ]

    async def to_remind(self, now: datetime, limit: int = 100) -> Sequence[Timer]:
        items = [
            t
            for t in self.uow.data.timers.values()
            if t.is_open and t.remind_at is not None and t.remind_at <= now and not t.is_paused
        ]
        return [copy.deepcopy(t) for t in sorted(items, key=lambda t: t.remind_at or now)[:limit]]

    async def due(self, now: datetime, limit: int = 100) -> Sequence[Timer]:
        items = [
            t
            for t in self.uow.data.timers.values()
            if t.is_open and t.due_at is not None and t.due_at <= now and not t.is_paused
        ]
        return [copy.deepcopy(t) for t in sorted(items, key=lambda t: t.due_at or now)[:limit]]


class _Reminders:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def record(self, key: ReminderKey, at: datetime) -> bool:
        if key in self.uow.data.reminders:
            return False
        self.uow.data.reminders[key] = at
        return True


class _Outbox:
    """Claims live beside the messages in the store (`outbox_claims`: id → (until, by)), so
    they commit and roll back with the unit of work like the rest."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    def _claims(self) -> dict[int, tuple[datetime, str]]:
        claims: dict[int, tuple[datetime, str]] = vars(self.uow.data).setdefault(
            "outbox_claims", {}
        )
        return claims

    def _unclaim(self, message_id: int) -> None:
        self._claims().pop(message_id, None)

    async def add(self, message: OutboxMessage) -> OutboxMessage:
        stored = replace(message, id=self.uow.data.new_id())
        assert stored.id is not None
        self.uow.data.outbox[stored.id] = stored
        return stored

    async def queue(self, message: OutboxMessage) -> None:
        await self.add(message)

    async def pending(
        self, limit: int = 100, now: datetime | None = None
    ) -> Sequence[OutboxMessage]:
        items = [
            m
            for m in self.uow.data.outbox.values()
            if m.sent_at is None
            and m.failed is None
            and (now is None or m.not_before is None or m.not_before <= now)
        ]
        return sorted(items, key=lambda m: m.id or 0)[:limit]

    async def claim(
        self,
        limit: int,
        now: datetime,
        lease: timedelta,
        *,
        by: str | None = None,
        lane: Lane | None = None,
    ) -> Sequence[OutboxMessage]:
        claims = self._claims()
        token = by or uuid.uuid4().hex
        lanes: set[tuple[str, int | None]] = set()
        taken: list[OutboxMessage] = []
        for m in await self.pending(limit=len(self.uow.data.outbox) + 1):
            assert m.id is not None
            if lane is not None and not lane.holds(m.kind):
                continue
            queue = (
                ("person", m.recipient_id) if m.recipient_id is not None else ("chat", m.chat_id)
            )
            older_unsent = queue in lanes
            if m.recipient_id is not None or m.chat_id is not None:
                lanes.add(queue)
            if len(taken) >= limit or older_unsent:
                continue
            if m.not_before is not None and m.not_before > now:
                continue
            held = claims.get(m.id)
            if held is not None and held[0] >= now:
                continue
            claims[m.id] = (now + lease, token)
            taken.append(m)
        return taken

    async def release(self, message_ids: Sequence[int], by: str) -> None:
        claims = self._claims()
        for message_id in message_ids:
            held = claims.get(message_id)
            if held is not None and held[1] == by:
                del claims[message_id]

    async def claimants(self, now: datetime) -> Sequence[str]:
        outbox = self.uow.data.outbox
        return sorted(
            {
                by
                for message_id, (until, by) in self._claims().items()
                if until >= now
                and message_id in outbox
                and outbox[message_id].sent_at is None
                and outbox[message_id].failed is None
            }
        )

    async def release_all(self, by: str) -> int:
        claims = self._claims()
        mine = [message_id for message_id, (_, holder) in claims.items() if holder == by]
        for message_id in mine:
            del claims[message_id]
        return len(mine)

    async def unsent_cards(self, incident_id: int) -> Sequence[tuple[int, int]]:
        return sorted(
            (m.id, m.recipient_id)
            for m in self.uow.data.outbox.values()
            if m.id is not None
            and m.recipient_id is not None
            and m.kind is NoticeKind.CARD
            and m.incident_id == incident_id
            and m.sent_at is None
            and m.failed is None
        )

    async def advance(self, message_id: int, progress: int, *, by: str, until: datetime) -> bool:
        claims = self._claims()
        held = claims.get(message_id)
        old = self.uow.data.outbox[message_id]
        if held is None or held[1] != by or old.sent_at is not None or old.failed is not None:
            return False
        claims[message_id] = (until, by)
        self.uow.data.outbox[message_id] = replace(old, progress=progress)
        return True

    async def mark_sent(self, message_id: int, at: datetime) -> None:
        self._unclaim(message_id)
        self.uow.data.outbox[message_id] = replace(self.uow.data.outbox[message_id], sent_at=at)

    async def mark_failed(self, message_id: int, reason: str) -> None:
        self._unclaim(message_id)
        old = self.uow.data.outbox[message_id]
        if old.sent_at is None:
            self.uow.data.outbox[message_id] = replace(old, failed=reason)

    async def postpone(self, message_id: int, until: datetime, reason: str) -> None:
        self._unclaim(message_id)
        old = self.uow.data.outbox[message_id]
        if old.sent_at is None:
            self.uow.data.outbox[message_id] = replace(
                old, not_before=until, attempts=old.attempts + 1
            )


class _Reports:
    """The report runs, content posts and surge lookups (`domain.ports.ReportRepository`)."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def claim_run(
        self, kind: str, period_start: datetime, period_end: datetime, at: datetime
    ) -> ReportRun | None:
        runs = [*self.uow.data.report_runs.values(), *self.uow.store.report_runs.values()]
        if any(r.kind == kind and r.period_start == period_start for r in runs):
            return None
        run = ReportRun(self.uow.data.new_id(), kind, period_start, period_end, at)
        assert run.id is not None
        self.uow.data.report_runs[run.id] = run
        return run

    async def get_run(self, run_id: int) -> ReportRun | None:
        return self.uow.data.report_runs.get(run_id)

    async def run_for(self, kind: str, period_start: datetime) -> ReportRun | None:
        return next(
            (
                r
                for r in self.uow.data.report_runs.values()
                if r.kind == kind and r.period_start == period_start
            ),
            None,
        )

    async def save_summary(self, run_id: int, summary: Mapping[str, Any]) -> None:
        run = self.uow.data.report_runs[run_id]
        self.uow.data.report_runs[run_id] = replace(run, summary=dict(summary))

    async def last_run(self, kind: str) -> ReportRun | None:
        runs = [r for r in self.uow.data.report_runs.values() if r.kind == kind]
        return max(runs, key=lambda r: r.period_start, default=None)

    async def any_incident_before(self, moment: datetime) -> bool:
        return any(i.detected_at < moment for i in self.uow.data.incidents.values())

    async def same_topic_and_location(
        self, topic: str, location: str, since: datetime, until: datetime
    ) -> Sequence[tuple[int, str | None, datetime]]:
        hits = [
            i
            for i in self.uow.data.incidents.values()
            if i.tags.topic == topic
            and i.tags.location == location
            and since <= i.detected_at <= until
            and i.id is not None
        ]
        hits.sort(key=lambda i: (i.detected_at, i.id or 0))
        return [(i.id or 0, i.number, i.detected_at) for i in hits]

    async def record_post(self, at: datetime, by: int | None, note: str | None) -> None:
        self.uow.data.posts.append((at, by, note))

    async def last_post(self) -> datetime | None:
        return max((at for at, _, _ in self.uow.data.posts), default=None)


class FakeUnitOfWork:
    """Changes go to a copy of the store and replace it on commit, like a transaction."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.data = store
        self.committed = False
        self.incidents = _Incidents(self)
        self.staff = _Staff(self)
        self.departments = _Departments(self)
        self.invites = _Invites(self)
        self.cards = _Cards(self)
        self.timers = _Timers(self)
        self.reminders = _Reminders(self)
        self.outbox = _Outbox(self)
        self.reports = _Reports(self)

    async def __aenter__(self) -> Self:
        self.data = copy.deepcopy(self.store)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    async def commit(self) -> None:
        self.store.__dict__.update(self.data.__dict__)
        self.data = copy.deepcopy(self.store)
        self.committed = True

    async def rollback(self) -> None:
        self.data = copy.deepcopy(self.store)


def fake_uow_factory(store: FakeStore) -> Callable[[], FakeUnitOfWork]:
    return lambda: FakeUnitOfWork(store)


EPOCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _typecheck(store: FakeStore) -> UnitOfWork:
    return FakeUnitOfWork(store)

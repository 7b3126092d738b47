"""What the use cases need from storage. `storage/` implements these; tests have fakes.

A unit of work spans one use-case call: repositories never commit, the use case does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self

from domain.incident import HistoryEntry, Incident, Status
from domain.people import Department, Invite, StaffMember
from domain.timers import Lane, OutboxMessage, ReminderKey, Timer


class IncidentRepository(Protocol):
    async def add(self, incident: Incident) -> Incident:
        """Insert with its history, assignments and drafts; returns it with ids set."""
        ...

    async def get(self, incident_id: int) -> Incident | None: ...

    async def update(
        self, incident: Incident, expected_version: int, new_history: Sequence[HistoryEntry]
    ) -> None:
        """Write the incident's state if it is still at `expected_version`, else `StaleVersion`.

        Appends `new_history` (history is never rewritten). The incident in hand becomes what
        is stored: its new children get their ids and it gets the new version."""
        ...

    async def find_by_url(self, url: str, but: int | None = None) -> Sequence[Incident]:
        """The incidents of this post, except the incident `but` (the one being compared)."""
        ...

    async def find_by_author(
        self, author: str, since: datetime, but: int | None = None
    ) -> Sequence[Incident]:
        """The incidents of this author detected since `since`, except the incident `but`."""
        ...

    async def list_open(self, limit: int = 100) -> Sequence[Incident]: ...

    async def count_open(self) -> int:
        """How many incidents are open (COUNT in the database)."""
        ...

    async def open_page(self, after_id: int | None = None, limit: int = 500) -> Sequence[Incident]:
        """Open incidents by id, after `after_id`: a keyset page of all of them."""
        ...

    async def open_involving(
        self, who: Involvement, after_id: int | None = None, limit: int = 500
    ) -> Sequence[Incident]:
        """Open incidents by id after `after_id` that touch `who` (see `Involvement`)."""
        ...

    async def awaiting_approval(
        self, after_id: int | None = None, limit: int = 500
    ) -> Sequence[Incident]:
        """Incidents under approval with a draft, by id after `after_id`: a keyset page."""
        ...

    async def keep_turns(self, turns: Mapping[int, tuple[int, str]]) -> None:
        """Keep whose approval step it is (`Incident.turn`) for incidents by id, each as of its
        version (id -> (version, turn)); an incident written since keeps what that write kept.
        Nothing else changes and no version moves: it is derived, not an act."""
        ...

    async def open_by_urgency(self, offset: int = 0, limit: int = 30) -> Sequence[IncidentHead]:
        """Open incidents by their nearest open deadline (none last), then by id: a page of
        what a list line shows of them (not the whole incidents)."""
        ...

    async def silent_clarifications(
        self, asked_before: datetime, limit: int = 100
    ) -> Sequence[Incident]:
        """Incidents waiting for the author whose last clarification request was published
        at `asked_before` or earlier."""
        ...

    async def by_number(self, number: str) -> Incident | None: ...

    async def search(self, text: str, limit: int = 20) -> Sequence[Incident]:
        """Incidents whose source text, author or URL contains `text` (any case), newest first."""
        ...

    async def erase_personal_data(self, incident_id: int) -> bool:
        """Blank the author's data in the source (Gulkevichi 1.5); counts stay."""
        ...

    async def erase_personal_data_before(self, moment: datetime) -> int: ...


class StaffRepository(Protocol):
    async def add(self, member: StaffMember) -> StaffMember: ...

    async def get(self, member_id: int) -> StaffMember | None: ...

    async def by_telegram(self, telegram_id: int) -> StaffMember | None: ...

    async def update(self, member: StaffMember) -> None: ...

    async def in_department(self, department_id: int) -> Sequence[StaffMember]: ...

    async def all(self) -> Sequence[StaffMember]: ...


@dataclass(frozen=True, slots=True)
class IncidentHead:
    """What a line of a list shows of an incident, without its children."""

    id: int | None
    number: str | None
    status: Status
    version: int


@dataclass(frozen=True, slots=True)
class CardRef:
    """Where a person's card of an incident is, so it is edited in place."""

    incident_id: int
    person_id: int
    chat_id: int
    message_id: int


class CardRepository(Protocol):
    async def get(self, incident_id: int, person_id: int) -> CardRef | None: ...

    async def put(self, card: CardRef) -> None: ...

    async def holders(self, incident_id: int) -> Sequence[int]:
        """Everyone who has a card of the incident: they see it redrawn on every change."""
        ...

    async def of_incident(self, incident_id: int) -> Sequence[CardRef]:
        """Every card of the incident, whoever holds it."""
        ...


class InviteRepository(Protocol):
    async def add(self, invite: Invite) -> None: ...

    async def get(self, token: str) -> Invite | None: ...

    async def mark_used(self, token: str, member_id: int, at: datetime) -> bool:
        """False if it was used already (two people opening one link at once)."""
        ...

    async def unused_setup(self) -> Invite | None:
        """The setup link of first start, if nobody has used it yet."""
        ...


class DepartmentRepository(Protocol):
    async def add(self, department: Department) -> Department: ...

    async def get(self, department_id: int) -> Department | None: ...

    async def all(self) -> Sequence[Department]: ...


class TimerRepository(Protocol):
    async def add(self, timer: Timer) -> Timer: ...

    async def add_many(self, timers: Sequence[Timer]) -> list[Timer]:
        """Several timers in one write, in order, each with its id."""
        ...

    async def update(self, timer: Timer) -> None: ...

    async def update_many(self, timers: Sequence[Timer]) -> None:
        """`update` each, in order (a store may write them in one statement)."""
        ...

    async def open_for(self, incident_id: int) -> Sequence[Timer]: ...

    async def open_for_many(self, incident_ids: Sequence[int]) -> Mapping[int, Sequence[Timer]]:
        """The open timers of several incidents at once (one query, whatever their number)."""
        ...

    async def mark_swept(
        self, timer_id: int, remind_at: datetime | None, breached_at: datetime | None
    ) -> bool:
        """The sweep's own columns only (`remind_at`; `breached_at` when given), and only
        while the timer is still open and running: False when an action stopped or paused it
        since the sweep read it (then the sweep says nothing of it)."""
        ...

    async def close_window(self, timer_id: int) -> bool:
        """A window's time ran out: stopped at its due moment, if still open and running."""
        ...

    async def for_incident(self, incident_id: int) -> Sequence[Timer]:
        """Open and stopped, in the order they started."""
        ...

    async def due(self, now: datetime, limit: int = 100) -> Sequence[Timer]:
        """Open, unpaused timers whose due moment is at or before `now`, earliest first."""
        ...

    async def to_remind(self, now: datetime, limit: int = 100) -> Sequence[Timer]:
        """Open, unpaused timers whose `remind_at` is at or before `now`, earliest first.

        Several processes may sweep at once: on PostgreSQL the rows stay locked (SKIP LOCKED)
        until the unit of work ends."""
        ...


class ReminderLog(Protocol):
    async def record(self, key: ReminderKey, at: datetime) -> bool:
        """True the first time a key is recorded; False if that reminder was already sent."""
        ...


class Outbox(Protocol):
    """Notices to deliver. Several senders (bot instances) may deliver at once: each `claim`s
    rows under a lease, so no notice is sent twice while its lease runs, and a crashed sender's
    rows go to another once the lease is over. Per chat, notices go out in the order written."""

    async def add(self, message: OutboxMessage) -> OutboxMessage: ...

    async def queue(self, message: OutboxMessage) -> None:
        """`add` without the id: what a unit of work queues is written in one go, in order,
        before the outbox is read or the unit of work commits."""
        ...

    async def pending(
        self, limit: int = 100, now: datetime | None = None
    ) -> Sequence[OutboxMessage]:
        """For inspection: unsent and not failed, oldest first; with `now`, only those not
        postponed past it. Claims are ignored: sending goes through `claim`."""
        ...

    async def claim(
        self,
        limit: int,
        now: datetime,
        lease: timedelta,
        *,
        by: str | None = None,
        lane: Lane | None = None,
    ) -> Sequence[OutboxMessage]:
        """Take up to `limit` notices to send now, oldest first, for `lease` (token `by`).

        `lane`: only notices of these kinds (or of all other kinds), ordered among themselves:
        a heavy report in one lane never holds up a card or a reminder in the other.

        A notice is taken if it is unsent, not failed, not postponed past `now`, not under
        another's running lease, and the oldest unsent one of its person (or chat): a newer
        notice never overtakes an older one that is postponed or being sent by another. Commit
        the unit of work before sending; `mark_sent`, `mark_failed`, `postpone` end the claim."""
        ...

    async def release(self, message_ids: Sequence[int], by: str) -> None:
        """Give back claims of `by` that will not be sent now: others may take them at once."""
        ...

    async def claimants(self, now: datetime) -> Sequence[str]:
        """The tokens holding a running lease (to find those of a sender that is gone)."""
        ...

    async def release_all(self, by: str) -> int:
        """Give back every claim of `by`, a sender known to be gone; how many."""
        ...

    async def unsent_cards(self, incident_id: int) -> Sequence[tuple[int, int]]:
        """The unsent, not failed card notices of the incident as (id, recipient), by id: a
        sender drawing the incident's cards once covers each person's later ones with it."""
        ...

    async def advance(self, message_id: int, progress: int, *, by: str, until: datetime) -> bool:
        """The first `progress` parts of a notice in several messages went out (see
        `OutboxMessage.progress`); `by`'s lease on it runs on until `until`. False, recording
        nothing, when the notice is no longer `by`'s (its lease ended and another took it)."""
        ...

    async def mark_sent(self, message_id: int, at: datetime) -> None: ...

    async def mark_failed(self, message_id: int, reason: str) -> None: ...

    async def postpone(self, message_id: int, until: datetime, reason: str) -> None:
        """One more failed attempt: try again not before `until`."""
        ...


@dataclass(frozen=True, slots=True)
class Involvement:
    """Open incidents that may hold work for someone, as the database can tell: registered by
    one of `people`, assigned to one of them or to one of `departments`, drafted by one of
    them, with an open timer one of them holds, in one of `statuses`, or under approval at
    one of `turns`. A superset: the rulebook decides among them
    (`domain.rulebook.involvement`)."""

    people: frozenset[int]
    departments: frozenset[int]
    statuses: frozenset[str]
    turns: frozenset[str] = frozenset()
    """Under approval with the current step one of these (`Incident.turn` as stored), or with
    the step not kept (stored before it was)."""


class UnitOfWork(Protocol):
    @property
    def incidents(self) -> IncidentRepository: ...

    @property
    def staff(self) -> StaffRepository: ...

    @property
    def departments(self) -> DepartmentRepository: ...

    @property
    def invites(self) -> InviteRepository: ...

    @property
    def cards(self) -> CardRepository: ...

    @property
    def timers(self) -> TimerRepository: ...

    @property
    def reminders(self) -> ReminderLog: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def reports(self) -> ReportRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


# ---- reports (domain/reports.py) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportRun:
    """Something posted once per (kind, period start): a periodic report, or a surge alert."""

    id: int | None
    kind: str
    period_start: datetime
    period_end: datetime
    created_at: datetime
    summary: Mapping[str, Any] | None = None
    """The report's headline figures as posted, for the next period's dynamics."""


class ReportRepository(Protocol):
    async def claim_run(
        self, kind: str, period_start: datetime, period_end: datetime, at: datetime
    ) -> ReportRun | None:
        """Insert-or-skip on (kind, period_start): the new run, or None if there is one already
        (another instance, or this one before a restart, posted it)."""
        ...

    async def get_run(self, run_id: int) -> ReportRun | None: ...

    async def run_for(self, kind: str, period_start: datetime) -> ReportRun | None: ...

    async def save_summary(self, run_id: int, summary: Mapping[str, Any]) -> None: ...

    async def last_run(self, kind: str) -> ReportRun | None:
        """The run of `kind` with the latest period start."""
        ...

    async def any_incident_before(self, moment: datetime) -> bool: ...

    async def same_topic_and_location(
        self, topic: str, location: str, since: datetime, until: datetime
    ) -> Sequence[tuple[int, str | None, datetime]]:
        """(id, number, detected_at) of incidents on the topic and location detected in
        [since, until], earliest first."""
        ...

    async def record_post(self, at: datetime, by: int | None, note: str | None) -> None:
        """An official post made in the organisation's accounts (Myasnikovsky 6)."""
        ...

    async def last_post(self) -> datetime | None: ...

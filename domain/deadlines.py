"""Deadlines that act: reminders before a timer runs out, and the breach when it does.

The timers table is the truth: each open timer carries `remind_at`, the next moment the sweep
must look at it, so one indexed query finds the work. Each reminder has a unique key
(incident, timer, kind) recorded in the same transaction as its notice, so a restart sends
what fell due while the bot was down, once, and never repeats what was sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from domain.clock import Clock
from domain.incident import Importance, Incident
from domain.people import StaffMember, on_duty
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.profiles import Profile, Reminder, TimerKind, TimerSpec, default_reminders
from domain.roles import Role
from domain.timeline import Rulers
from domain.timers import NoticeKind, OutboxMessage, ReminderKey, Timer
from domain.work import Assignment, AssignmentState
from domain.worktime import Pause, TimeRuler

BREACH = "breach"


def spec_of(profile: Profile, timer: Timer, flow: str | None = None) -> TimerSpec | None:
    """The timer's spec in the incident's own flow (flows may share timer names)."""
    return profile.flow(flow).timers.get(timer.name)


def reminder_schedule(
    spec: TimerSpec | None, timer: Timer, rulers: Rulers
) -> list[tuple[str, datetime]]:
    """(kind, moment) of every reminder of the timer and of its breach, in time order."""
    if timer.due_at is None:
        return []
    ruler = rulers.for_clock(timer.clock)
    if spec is not None and spec.reminders is not None:
        reminders = spec.reminders
    elif spec is not None and spec.kind is TimerKind.WINDOW:
        reminders = ()  # a window is no duty: nobody is pinged to use it
    else:
        reminders = default_reminders(spec.length if spec is not None else None)
    closed = [(p.started_at, p.ended_at) for p in timer.pauses if p.ended_at is not None]
    span = ruler.between(timer.started_at, timer.due_at, closed)
    moments: list[tuple[str, datetime]] = []
    for reminder in reminders:
        moment = _moment(reminder, timer, ruler, span, closed)
        if moment is None or not timer.started_at < moment < timer.due_at:
            continue
        if any(m == moment for _, m in moments):
            continue  # halfway of two hours is also one hour before: one reminder, not two
        moments.append((reminder.code, moment))
    moments.append((BREACH, timer.due_at))
    return sorted(moments, key=lambda km: km[1])


def _moment(
    reminder: Reminder, timer: Timer, ruler: TimeRuler, span: timedelta, closed: Sequence[Pause]
) -> datetime | None:
    assert timer.due_at is not None
    if reminder.halfway:
        return ruler.add(timer.started_at, span / 2, closed)
    assert reminder.before is not None
    if reminder.before.delta >= span:
        return None
    return ruler.subtract(timer.due_at, reminder.before.delta)


def next_remind_at(
    spec: TimerSpec | None, timer: Timer, rulers: Rulers, after: datetime
) -> datetime | None:
    later = [m for _, m in reminder_schedule(spec, timer, rulers) if m > after]
    if timer.breached_at is not None:
        later = [m for m in later if timer.due_at is None or m < timer.due_at]
    return min(later, default=None)


@dataclass(frozen=True, slots=True)
class SweepReport:
    timers: int
    reminders: int
    breaches: int


def delivered(incident: Incident) -> list[Assignment]:
    """The assignments not returned whose department has the message."""
    return [
        a
        for a in incident.assignments
        if a.state not in {AssignmentState.RETURNED, AssignmentState.QUEUED}
    ]


def acting_for(
    people: Iterable[StaffMember], day: date, staff: Mapping[int, StaffMember]
) -> dict[int, StaffMember]:
    """Whoever acts for each of `people` on `day` (a substitute for the absent), by id, in
    the order of `people`; nobody for one whose chain of substitutes runs out."""
    acting: dict[int, StaffMember] = {}
    for person in people:
        duty = on_duty(person, day, staff)
        if duty.acting is not None and duty.acting.id is not None:
            acting[duty.acting.id] = duty.acting
    return acting


def nobody_can_act(
    incident: Incident, now: datetime, payload: Mapping[str, Any], dedupe_key: str | None = None
) -> OutboxMessage:
    """The curator's notice that nobody on duty can act on the incident; `payload` says on
    what (a timer, or the department just assigned)."""
    return OutboxMessage(
        id=None,
        created_at=now,
        kind=NoticeKind.NOBODY_CAN_ACT,
        recipient_id=incident.curator_id,
        incident_id=incident.id,
        payload=payload,
        dedupe_key=dedupe_key,
    )


class Deadlines:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, profile: Profile, rulers: Rulers
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.profile = profile
        self.rulers = rulers

    async def sweep(self, limit: int = 200) -> SweepReport:
        """Send what fell due up to now: reminders (quiet outside working time, except for
        socially significant incidents) and breaches, escalated as the profile says."""
        now = self.clock.now()
        reminders = breaches = 0
        async with self.uow_factory() as uow:
            timers = await uow.timers.to_remind(now, limit)
            staff = {m.id: m for m in await uow.staff.all() if m.id is not None}
            for timer in timers:
                incident = await uow.incidents.get(timer.incident_id)
                if incident is None:
                    continue
                spec = spec_of(self.profile, timer, incident.flow)
                window = spec is not None and spec.kind is TimerKind.WINDOW
                if window and timer.due_at is not None and timer.due_at <= now:
                    # A window closes quietly: only what is done after it is late.
                    await uow.timers.close_window(timer.id or 0)
                    continue
                schedule = [(k, m) for k, m in reminder_schedule(spec, timer, self.rulers)]
                due_now = [k for k, m in schedule if m <= now]
                if BREACH in due_now:
                    timer = replace(timer, breached_at=timer.due_at)
                # Only the sweep's own columns, only while the timer still runs: an action
                # that stopped or paused it since the read wins, and nothing is said of it.
                running = await uow.timers.mark_swept(
                    timer.id or 0,
                    next_remind_at(spec, timer, self.rulers, now),
                    timer.due_at if BREACH in due_now else None,
                )
                if not running:
                    continue
                fresh: list[str] = []
                for kind in due_now:
                    key = ReminderKey(timer.incident_id, f"{timer.name}:{timer.id}", kind)
                    if await uow.reminders.record(key, now):
                        fresh.append(kind)
                # Several fell due at once (the bot was down): only the latest is news. Earlier
                # reminders are recorded as handled, not sent as a pile; once the deadline has
                # passed, the breach notice alone says so.
                warned = [kind for kind in fresh if kind != BREACH]
                if warned and BREACH not in fresh:
                    reminders += 1
                    await self._remind(uow, incident, timer, staff, now, warned[-1])
                if BREACH in fresh:
                    breaches += 1
                    await self._escalate(uow, incident, timer, spec, staff, now)
            await uow.commit()
        return SweepReport(len(timers), reminders, breaches)

    def _not_before(self, incident: Incident, now: datetime) -> datetime | None:
        """Quiet hours: nobody is pinged outside working time unless it is socially significant."""
        if incident.tags.importance is Importance.SIGNIFICANT:
            return None
        working = self.rulers.working
        if working.is_working(now):
            return None
        return working.next_working_moment(now)

    def holders(
        self, incident: Incident, timer: Timer, staff: dict[int, StaffMember], day: date
    ) -> list[StaffMember]:
        """Who must act, as they stand today (substitutes for the absent): the named holder;
        else the people of the role — of the timer's department, or, for an executor's
        timer of the whole incident, of the departments that have the message (the curator
        while none has it yet)."""
        intended: list[StaffMember] = []
        if timer.holder_id is not None and timer.holder_id in staff:
            intended = [staff[timer.holder_id]]
        elif timer.holder_role is Role.CURATOR and incident.curator_id in staff:
            intended = [staff[incident.curator_id]]
        elif timer.holder_role in {Role.EXECUTOR, Role.DEPARTMENT_LEAD}:
            shares = self._shares(incident, timer)
            for share in shares:
                if timer.holder_role is Role.EXECUTOR and share.executor_id in staff:
                    intended.append(staff[share.executor_id])
                    continue
                intended += [
                    m
                    for m in staff.values()
                    if m.active
                    and timer.holder_role in m.roles
                    and m.department_id == share.department_id
                ]
            if not shares and incident.curator_id in staff:
                intended = [staff[incident.curator_id]]
        else:
            intended = [m for m in staff.values() if m.active and timer.holder_role in m.roles]
        return list(acting_for(intended, day, staff).values())

    @staticmethod
    def _shares(incident: Incident, timer: Timer) -> list[Assignment]:
        """The departments a timer concerns: its own; for the whole incident's, those that
        have the message and still owe their work (in a joint answer, not those whose part
        is in: the writer of the joint answer holds it)."""
        if timer.assignment_id is not None:
            return [a for a in incident.assignments if a.id == timer.assignment_id]
        return [
            a
            for a in delivered(incident)
            if a.state in {AssignmentState.PENDING, AssignmentState.ACCEPTED}
        ]

    async def _remind(
        self,
        uow: UnitOfWork,
        incident: Incident,
        timer: Timer,
        staff: dict[int, StaffMember],
        now: datetime,
        kind: str,
    ) -> None:
        people = self.holders(incident, timer, staff, now.astimezone(self._zone()).date())
        if not people:
            await self._nobody(uow, incident, timer, now)
            return
        not_before = self._not_before(incident, now)
        for person in people:
            await uow.outbox.queue(
                OutboxMessage(
                    id=None,
                    created_at=now,
                    kind=NoticeKind.REMINDER,
                    recipient_id=person.id,
                    incident_id=incident.id,
                    not_before=not_before,
                    payload={"timer": timer.name, "kind": kind, "timer_id": timer.id},
                )
            )

    async def _nobody(
        self, uow: UnitOfWork, incident: Incident, timer: Timer, now: datetime
    ) -> None:
        if incident.curator_id is None:
            return
        await uow.outbox.queue(
            nobody_can_act(incident, now, {"timer": timer.name}, dedupe_key=f"nobody:{timer.id}")
        )

    async def _escalate(
        self,
        uow: UnitOfWork,
        incident: Incident,
        timer: Timer,
        spec: TimerSpec | None,
        staff: dict[int, StaffMember],
        now: datetime,
    ) -> None:
        """The breach goes to the people who held the timer, named in it, and to the roles
        the profile names for it: the curator of the incident, the lead or supervising deputy
        of the department concerned, everyone of any other role (the head, a deputy)."""
        roles = spec.breach if spec is not None else (Role.CURATOR,)
        concerned = {a.department_id for a in self._shares(incident, timer)}
        recipients: dict[int, StaffMember] = {}
        for role in roles:
            for m in staff.values():
                if m.id is None or not m.active or role not in m.roles:
                    continue
                if role is Role.CURATOR and m.id != incident.curator_id:
                    continue
                if (
                    role in {Role.DEPARTMENT_LEAD, Role.SUPERVISING_DEPUTY, Role.EXECUTOR}
                    and m.department_id not in concerned
                ):
                    continue
                recipients[m.id] = m
        holders = self.holders(incident, timer, staff, now.astimezone(self._zone()).date())
        not_before = self._not_before(incident, now)
        payload = {
            "timer": timer.name,
            "clause": timer.clause,
            "holder_id": timer.holder_id,
            "holder_role": timer.holder_role.value,
            "holder_ids": [p.id for p in holders],
            "due": timer.due_at.isoformat() if timer.due_at else None,
        }
        for person in {**recipients, **{p.id or 0: p for p in holders}}.values():
            await uow.outbox.queue(
                OutboxMessage(
                    id=None,
                    created_at=now,
                    kind=NoticeKind.BREACH,
                    recipient_id=person.id,
                    incident_id=incident.id,
                    not_before=not_before,
                    payload=payload,
                    dedupe_key=f"breach:{timer.id}:{person.id}",
                )
            )
        if not holders:
            await self._nobody(uow, incident, timer, now)

    def _zone(self) -> tzinfo:
        zone = getattr(self.rulers.working, "zone", None)
        return zone if isinstance(zone, tzinfo) else UTC

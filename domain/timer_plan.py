"""Which timers an event starts, stops, pauses or resumes: the profile says it, timer by timer.

The timers table is the truth about deadlines: each open timer has its due moment, so the
scheduler asks "what is due" with one query and cards show "the next deadline" from it.
Every action of the transition table is an event (`events_of`); a draft's events carry its
kind, an assignment's events its id. A timer kept per assignment (a return window, a part of
a joint answer) follows the events of its own assignment only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from domain.deadlines import next_remind_at
from domain.incident import TERMINAL, Action, DraftKind, Importance, Incident, Status
from domain.profiles import (
    Event,
    Holder,
    Per,
    Profile,
    TimerKind,
    TimerSpec,
)
from domain.roles import HEADS, Role
from domain.timeline import Rulers, due_of, effective_clock
from domain.timers import Timer, TimerPause

_FAR = datetime.max.replace(tzinfo=UTC)

ACTION_EVENTS: Mapping[Action, Event] = {
    Action.SEND_TO_HEAD: Event.SENT_TO_HEAD,
    Action.HEAD_DECIDE: Event.HEAD_DECIDED,
    Action.ASSIGN: Event.ASSIGNED,
    Action.ACCEPT: Event.ACCEPTED,
    Action.CONFIRM_COMPETENCE: Event.COMPETENCE_CONFIRMED,
    Action.RETURN_PART: Event.PART_RETURNED,
    Action.RETURN_NOT_COMPETENT: Event.RETURNED,
    Action.SUBMIT_PART: Event.PART_SUBMITTED,
    Action.SUBMIT_DRAFT: Event.SUBMITTED,
    Action.APPROVE_STEP: Event.STEP_APPROVED,
    Action.APPROVE: Event.APPROVED,
    Action.REQUEST_REVISION: Event.REVISION_REQUESTED,
    Action.PUBLISH_FINAL: Event.PUBLISHED,
    Action.PUBLISH_INTERMEDIATE: Event.PUBLISHED,
    Action.PUBLISH_CLARIFICATION: Event.PUBLISHED,
    Action.PUBLICATION_FAILED: Event.PUBLICATION_FAILED,
    Action.AUTHOR_REPLIED: Event.AUTHOR_REPLIED,
}
"""The event each action is; actions not here start and stop nothing (but a terminal status
ends every timer)."""


@dataclass(frozen=True, slots=True)
class Occurrence:
    """An event as it happened: the kind of the draft concerned, the assignment concerned."""

    event: Event
    kind: DraftKind | None = None
    assignment_id: int | None = None


def events_of(
    action: Action, incident: Incident, assignment_id: int | None = None
) -> list[Occurrence]:
    """The event of `action` just applied to `incident`: the kind of its last draft for the
    events about a draft, the assignment for the events about one department's share."""
    event = ACTION_EVENTS.get(action)
    if event is None:
        return []
    kind = _PUBLISHED_KINDS.get(action) or (incident.drafts[-1].kind if incident.drafts else None)
    return [Occurrence(event, kind, assignment_id)]


_PUBLISHED_KINDS: Mapping[Action, DraftKind] = {
    Action.PUBLISH_FINAL: DraftKind.FINAL,
    Action.PUBLISH_INTERMEDIATE: DraftKind.INTERMEDIATE,
    Action.PUBLISH_CLARIFICATION: DraftKind.CLARIFICATION,
}


def received(assignment_ids: Iterable[int | None], joint: bool) -> list[Occurrence]:
    """Departments that received the message now: `assigned` each, and `part_requested` too
    where the answer is a joint one."""
    out: list[Occurrence] = []
    for aid in assignment_ids:
        out.append(Occurrence(Event.ASSIGNED, None, aid))
        if joint:
            out.append(Occurrence(Event.PART_REQUESTED, None, aid))
    return out


@dataclass(frozen=True, slots=True)
class Context:
    """What the planner needs to know about the incident beyond its status."""

    importance: Importance = Importance.ORDINARY
    external_deadline: datetime | None = None
    approver_role: Role | None = None
    """The step the approval chain is at now, for `approver`-held and step timers."""
    approver_id: int | None = None
    """The person named for that step, where the step has one (the curator, a department's
    lead or supervising deputy)."""
    assignments: Sequence[tuple[int | None, int | None]] = ()
    """(assignment id, executor id) of the departments that have the message, in order."""
    writer_id: int | None = None
    """Who writes the answer, once known: the holder of the executor's timers."""


@dataclass(slots=True)
class Plan:
    start: list[Timer] = field(default_factory=list)
    stop: list[Timer] = field(default_factory=list)
    change: list[Timer] = field(default_factory=list)
    """Paused or resumed timers with their due moments; windows found late."""
    late: list[Timer] = field(default_factory=list)
    """Windows whose action came after they closed (a late return): also in `stop` or
    `change`, marked breached."""


class TimerPlanner:
    def __init__(self, profile: Profile, rulers: Rulers) -> None:
        self.profile = profile
        self.rulers = rulers

    def on_detect(self, incident: Incident, ctx: Context) -> Plan:
        return self.on_events(
            incident, [Occurrence(Event.DETECTED)], incident.detected_at, ctx, timers=()
        )

    def on_action(
        self,
        incident: Incident,
        action: Action,
        at: datetime,
        ctx: Context,
        timers: Sequence[Timer],
        assignment_id: int | None = None,
    ) -> Plan:
        """The plan after `action` was applied to `incident` (its status is the new one)."""
        return self.on_events(incident, events_of(action, incident, assignment_id), at, ctx, timers)

    def on_events(
        self,
        incident: Incident,
        occurrences: Sequence[Occurrence],
        at: datetime,
        ctx: Context,
        timers: Sequence[Timer],
    ) -> Plan:
        """The plan after `occurrences`, in order. `timers` are the incident's timers, open
        and stopped (a window closed by its time is found late by the action after it)."""
        plan = Plan()
        flow = self.profile.flow(incident.flow)
        current = {id(t): t for t in timers}
        if incident.status in TERMINAL:
            for t in timers:
                if t.is_open:
                    self._stop(plan, current, t, at, late=False)
            return plan
        for occ in occurrences:
            for t in list(current.values()):
                spec = flow.timers.get(t.name)
                if spec is None or not self._concerns(spec, t, occ):
                    continue
                action = spec.stops_on(occ.event, occ.kind)
                if t.is_open:
                    if action:
                        late = spec.kind is TimerKind.WINDOW and _past(t, at)
                        self._stop(plan, current, t, at, late=late, used=not late)
                    elif spec.closes_on(occ.event, occ.kind):
                        self._stop(plan, current, t, at, late=False)
                    elif spec.pauses_on(occ.event, occ.kind) and not t.is_paused:
                        paused = replace(t, pauses=[*t.pauses, TimerPause(at)], remind_at=None)
                        self._change(plan, current, t, paused)
                    elif spec.resumes_on(occ.event, occ.kind) and t.is_paused:
                        self._change(plan, current, t, self.resume(t, at, incident.flow))
                elif (
                    action
                    and _closed_unused_window(spec, t)
                    and _past(t, at)
                    and not _reopened(current.values(), t)
                ):
                    marked = replace(t, stopped_at=at, breached_at=t.due_at)
                    self._change(plan, current, t, marked)
                    plan.late.append(marked)
            if occ.event is Event.RETURNED:
                self._unhold(plan, current)
            self._starts(plan, current, incident, occ, at, ctx)
        return plan

    def _unhold(self, plan: Plan, current: dict[int, Timer]) -> None:
        """Back with the curator: the incident's executor timers that run on (п. 8's total)
        are held by nobody in particular until the next department takes it."""
        for t in list(current.values()):
            if (
                t.is_open
                and t.assignment_id is None
                and t.holder_id is not None
                and t.holder_role in {Role.EXECUTOR, Role.DEPARTMENT_LEAD}
            ):
                self._change(plan, current, t, replace(t, holder_id=None))

    def close_window(self, timer: Timer) -> Timer:
        """A window whose time ran out closes quietly at its due moment: no breach."""
        return replace(timer, stopped_at=timer.due_at, remind_at=None)

    def resume(self, timer: Timer, at: datetime, flow: str | None = None) -> Timer:
        """The clock runs again: the due moment moves on by the time it stood still (on the
        timer's own clock), whatever set it — the act's figure, an external deadline or the
        curator. A pause that began after the due moment had passed gives nothing back."""
        last = timer.pauses[-1]
        pauses = [*timer.pauses[:-1], TimerPause(last.started_at, at)]
        due = timer.due_at
        if due is not None and last.started_at < due:
            ruler = self.rulers.for_clock(timer.clock)
            stood = ruler.between(last.started_at, at)
            # Whole minutes, rounded up: nobody loses a part of a minute the clock stood.
            stood = timedelta(minutes=math.ceil(stood.total_seconds() / 60))
            due = ruler.add(due, stood)
        resumed = replace(timer, pauses=pauses, due_at=due)
        resumed.remind_at = next_remind_at(self._spec(timer.name, flow), resumed, self.rulers, at)
        return resumed

    def set_due(self, timer: Timer, due: datetime, at: datetime, flow: str | None) -> Timer:
        """The curator's own due moment for a settable timer (Barnaul 4-6)."""
        changed = replace(timer, due_at=due, breached_at=None)
        changed.remind_at = (
            None
            if timer.is_paused
            else next_remind_at(self._spec(timer.name, flow), changed, self.rulers, at)
        )
        return changed

    # ---- steps ---------------------------------------------------------------------------

    def _spec(self, name: str, flow: str | None = None) -> TimerSpec | None:
        """The timer's spec in the incident's own flow (flows may share timer names)."""
        return self.profile.flow(flow).timers.get(name)

    @staticmethod
    def _concerns(spec: TimerSpec, timer: Timer, occ: Occurrence) -> bool:
        """An assignment's timer follows the events of its own assignment (and those of the
        whole incident); an incident's timer follows every event."""
        if spec.per is Per.INCIDENT or occ.assignment_id is None:
            return True
        return timer.assignment_id == occ.assignment_id

    def _stop(
        self,
        plan: Plan,
        current: dict[int, Timer],
        timer: Timer,
        at: datetime,
        *,
        late: bool,
        used: bool = False,
    ) -> None:
        """Stop a timer: a window done late is breached; a window done in time is used (its
        repetition is never late); one past its time closed quietly at its due moment."""
        if late:
            stopped = replace(timer, stopped_at=at, breached_at=timer.due_at, remind_at=None)
            plan.late.append(stopped)
        elif timer.window and _past(timer, at):
            stopped = self.close_window(timer)  # it had closed already: no breach
        else:
            stopped = replace(timer, stopped_at=at, remind_at=None, used=used and timer.window)
        plan.stop.append(stopped)
        current[id(timer)] = stopped

    @staticmethod
    def _change(plan: Plan, current: dict[int, Timer], old: Timer, new: Timer) -> None:
        plan.change = [t for t in plan.change if t is not old]
        plan.change.append(new)
        for key, value in current.items():
            if value is old:
                current[key] = new
                break

    def _starts(
        self,
        plan: Plan,
        current: dict[int, Timer],
        incident: Incident,
        occ: Occurrence,
        at: datetime,
        ctx: Context,
    ) -> None:
        flow = self.profile.flow(incident.flow)
        assert incident.id is not None
        starting = [s for s in flow.timers.values() if s.starts_on(occ.event, occ.kind)]
        # Reference timers first, so `before` timers can measure back from their due moments.
        starting.sort(key=lambda s: s.before is not None)
        for spec in starting:
            if spec.step is not None and not _at_step(spec.step, ctx.approver_role):
                continue
            if spec.holder is Holder.APPROVER and ctx.approver_role is Role.EXTERNAL_CURATOR:
                continue  # the external curator's time is not the administration's
            for assignment_id, holder_id, holder_role in self._holders(spec, incident, ctx, occ):
                live = [
                    t
                    for t in current.values()
                    if t.is_open and t.name == spec.name and t.assignment_id == assignment_id
                ]
                if live:
                    continue
                dues = {t.name: t.due_at for t in current.values() if t.is_open}
                due = self._due(spec, at, ctx, dues)
                if spec.before is not None and due is None and not spec.settable:
                    continue
                timer = Timer(
                    id=None,
                    incident_id=incident.id,
                    name=spec.name,
                    clause=spec.clause,
                    clock=effective_clock(self.profile, spec, ctx.importance),
                    started_at=at,
                    due_at=due,
                    holder_id=holder_id,
                    holder_role=holder_role,
                    assignment_id=assignment_id,
                    window=spec.kind is TimerKind.WINDOW,
                )
                timer.remind_at = next_remind_at(spec, timer, self.rulers, at)
                plan.start.append(timer)
                current[id(timer)] = timer

    def _due(
        self, spec: TimerSpec, at: datetime, ctx: Context, dues: Mapping[str, datetime | None]
    ) -> datetime | None:
        """The act's figure, combined with the external deadline as the timer says."""
        reference = dues.get(spec.before) if spec.before is not None else None
        return due_of(
            self.profile, spec, self.rulers, at, ctx.importance, ctx.external_deadline, reference
        )

    def _holders(
        self, spec: TimerSpec, incident: Incident, ctx: Context, occ: Occurrence
    ) -> list[tuple[int | None, int | None, Role]]:
        """(assignment id, person id, role) for each holder of a new timer. A person left
        None is found when the timer needs them: whoever of the role or department is on
        duty then."""
        if spec.per is Per.ASSIGNMENT:
            role = Role.DEPARTMENT_LEAD if spec.holder is Holder.DEPARTMENT_LEAD else Role.EXECUTOR
            ids = (
                [occ.assignment_id]
                if occ.assignment_id is not None
                else [aid for aid, _ in ctx.assignments]
            )
            executors = dict(ctx.assignments)
            return [
                (aid, executors.get(aid) if role is Role.EXECUTOR else None, role) for aid in ids
            ]
        if spec.holder is Holder.CURATOR:
            return [(None, incident.curator_id, Role.CURATOR)]
        if spec.holder is Holder.HEAD:
            return [(None, None, Role.HEAD)]
        if spec.holder is Holder.SUPERVISING_DEPUTY:
            named = ctx.approver_id if ctx.approver_role is Role.SUPERVISING_DEPUTY else None
            return [(None, named, Role.SUPERVISING_DEPUTY)]
        if spec.holder is Holder.APPROVER:
            role = ctx.approver_role or self.profile.approval_chain[0]
            named = ctx.approver_id
            if named is None and role is Role.CURATOR:
                named = incident.curator_id
            return [(None, named, role)]
        if spec.holder is Holder.PUBLISHER:
            publisher = self.profile.publisher
            if publisher is Role.CURATOR:
                return [(None, incident.curator_id, Role.CURATOR)]
            if publisher in {Role.EXECUTOR, Role.DEPARTMENT_LEAD}:
                return [(None, ctx.writer_id, publisher)]  # who wrote it publishes (Lipetsk 12)
            return [(None, None, publisher)]  # whoever has the role (a press secretary)
        if spec.holder is Holder.DEPARTMENT_LEAD:
            return [(None, None, Role.DEPARTMENT_LEAD)]
        return [(None, ctx.writer_id, Role.EXECUTOR)]


def _at_step(step: Role, now: Role | None) -> bool:
    if now is None:
        return False
    if step in HEADS:
        return now in HEADS
    return now is step


def _past(timer: Timer, at: datetime) -> bool:
    return timer.due_at is not None and at > timer.due_at


def _reopened(timers: Iterable[Timer], closed: Timer) -> bool:
    """Another timer of the same name and share runs (a new department has the message): the
    action concerns it, not the window closed before."""
    return any(
        t.is_open and t.name == closed.name and t.assignment_id == closed.assignment_id
        for t in timers
    )


def _closed_unused_window(spec: TimerSpec, timer: Timer) -> bool:
    """A window closed (by its time, or by an event that closes it: the lead's "our
    competence") whose action was not done in it, and not yet found late."""
    return (
        spec.kind is TimerKind.WINDOW
        and timer.stopped_at is not None
        and not timer.used
        and timer.breached_at is None
    )


def closed_windows(
    profile: Profile, incident: Incident, timers: Sequence[Timer], occ: Occurrence, at: datetime
) -> list[Timer]:
    """The windows `occ` would find closed: its action comes late (a return after Lipetsk 7's
    30 minutes)."""
    flow = profile.flow(incident.flow)
    found = []
    for t in timers:
        spec = flow.timers.get(t.name)
        if spec is None or spec.kind is not TimerKind.WINDOW or t.breached_at is not None:
            continue
        if t.used:
            continue
        concerned = TimerPlanner._concerns(spec, t, occ) and spec.stops_on(occ.event, occ.kind)
        if concerned and _past(t, at):
            found.append(t)
    return found


def next_due(timers: Sequence[Timer]) -> Timer | None:
    """The open, running timer that runs out first: what a card shows."""
    running = [t for t in timers if t.is_open and t.due_at is not None and not t.is_paused]
    return min(running, key=lambda t: t.due_at or _FAR, default=None)


def is_open_status(status: Status) -> bool:
    return status not in TERMINAL

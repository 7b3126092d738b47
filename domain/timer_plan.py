"""Which timers an action starts, stops, pauses or resumes, as the profile says.

The timers table is the truth about deadlines: each open timer has its due moment, so the
scheduler asks "what is due" with one query and cards show "the next deadline" from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from domain.deadlines import next_remind_at
from domain.incident import TERMINAL, Action, Importance, Incident, Status
from domain.profiles import Holder, Profile, TimerSpec, TimerStart
from domain.roles import Role
from domain.timeline import Rulers, due_after, effective_clock
from domain.timers import Timer, TimerPause

STARTS: Mapping[Action, tuple[TimerStart, ...]] = {
    Action.HEAD_DECIDE: (TimerStart.HEAD_DECIDED,),
    Action.ASSIGN: (TimerStart.ASSIGNED,),
    Action.SUBMIT_DRAFT: (TimerStart.DRAFT_SUBMITTED,),
    Action.APPROVE_STEP: (TimerStart.DRAFT_SUBMITTED,),
    Action.REQUEST_REVISION: (TimerStart.REVISION_REQUESTED,),
    Action.APPROVE: (TimerStart.APPROVED,),
    Action.PUBLISH_INTERMEDIATE: (TimerStart.INTERMEDIATE_PUBLISHED,),
}
"""Events an action is. A joint assignment is also PART_REQUESTED (see `on_action`)."""

STOPS: Mapping[Action, frozenset[str]] = {
    Action.SEND_TO_HEAD: frozenset({"route"}),
    Action.ASSIGN: frozenset({"route"}),
    Action.ACCEPT: frozenset({"competence_return"}),
    Action.RETURN_NOT_COMPETENT: frozenset(
        {"competence_return", "draft", "joint_part", "clarification", "revision"}
    ),
    Action.RETURN_PART: frozenset({"competence_return", "joint_part"}),
    Action.SUBMIT_PART: frozenset({"joint_part", "competence_return"}),
    Action.SUBMIT_DRAFT: frozenset(
        {"draft", "revision", "clarification", "final_after_intermediate", "joint_part"}
    ),
    Action.APPROVE_STEP: frozenset({"approval"}),
    Action.APPROVE: frozenset({"approval"}),
    Action.REQUEST_REVISION: frozenset({"approval"}),
    Action.PUBLISH_FINAL: frozenset({"publication", "answer"}),
    Action.PUBLISH_INTERMEDIATE: frozenset({"publication", "answer"}),
    Action.PUBLISH_CLARIFICATION: frozenset({"publication"}),
}
PAUSES: Mapping[Action, frozenset[str]] = {Action.PUBLISH_CLARIFICATION: frozenset({"answer"})}
"""The answer clock stops while the author is asked for details (Gulkevichi 3.1.2)."""
RESUMES: Mapping[Action, frozenset[str]] = {Action.AUTHOR_REPLIED: frozenset({"answer"})}

_FIRST_INVOLVED: Mapping[Holder, TimerStart] = {
    Holder.CURATOR: TimerStart.DETECTED,
    Holder.HEAD: TimerStart.DETECTED,
    Holder.EXECUTOR: TimerStart.ASSIGNED,
    Holder.DEPARTMENT_LEAD: TimerStart.ASSIGNED,
    Holder.SUPERVISING_DEPUTY: TimerStart.DRAFT_SUBMITTED,
    Holder.APPROVER: TimerStart.DRAFT_SUBMITTED,
    Holder.PUBLISHER: TimerStart.APPROVED,
}
"""A `before` timer (due N hours before another) starts when its holder gets the incident."""
_FAR = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Context:
    """What the planner needs to know about the incident beyond its status."""

    importance: Importance = Importance.ORDINARY
    external_deadline: datetime | None = None
    approver_role: Role | None = None
    """Who is next in the approval chain, for `approver`-held timers."""
    assignments: Sequence[tuple[int | None, int | None]] = ()
    """(assignment id, executor id) pairs, in order; the last one writes a joint answer."""


@dataclass(slots=True)
class Plan:
    start: list[Timer] = field(default_factory=list)
    stop: list[Timer] = field(default_factory=list)
    change: list[Timer] = field(default_factory=list)
    """Paused or resumed timers, with their new due moments."""


class TimerPlanner:
    def __init__(self, profile: Profile, rulers: Rulers) -> None:
        self.profile = profile
        self.rulers = rulers

    def on_detect(self, incident: Incident, ctx: Context) -> Plan:
        plan = Plan()
        self._start(plan, incident, TimerStart.DETECTED, incident.detected_at, ctx, open_timers=())
        return plan

    def on_action(
        self,
        incident: Incident,
        action: Action,
        at: datetime,
        ctx: Context,
        open_timers: Sequence[Timer],
        assignment_id: int | None = None,
    ) -> Plan:
        """The plan after `action` was applied to `incident` (its status is the new one)."""
        plan = Plan()
        stopping = STOPS.get(action, frozenset())
        if incident.status in TERMINAL:
            stopping = frozenset(t.name for t in open_timers)
        for timer in open_timers:
            per_assignment = timer.assignment_id is not None and assignment_id is not None
            if timer.name in stopping and (
                not per_assignment or timer.assignment_id == assignment_id
            ):
                stopped = replace(timer, stopped_at=at)
                plan.stop.append(stopped)
            elif timer.name in PAUSES.get(action, frozenset()) and not timer.is_paused:
                paused = replace(
                    timer, pauses=[*timer.pauses, TimerPause(at)], due_at=None, remind_at=None
                )
                plan.change.append(paused)
            elif timer.name in RESUMES.get(action, frozenset()) and timer.is_paused:
                plan.change.append(self.resume(timer, at, incident.flow))
        if incident.status in TERMINAL:
            return plan
        still_open = [t for t in open_timers if t not in plan.stop]
        for event in STARTS.get(action, ()):
            self._start(plan, incident, event, at, ctx, still_open)
        if action is Action.ASSIGN and len(ctx.assignments) > 1:
            self._start(plan, incident, TimerStart.PART_REQUESTED, at, ctx, still_open)
        return plan

    def resume(self, timer: Timer, at: datetime, flow: str | None = None) -> Timer:
        pauses = [*timer.pauses[:-1], TimerPause(timer.pauses[-1].started_at, at)]
        spec = self._spec(timer.name, flow)
        due = timer.due_at
        if spec is not None and spec.length is not None:
            ruler = self.rulers.for_clock(timer.clock)
            closed = [(p.started_at, p.ended_at) for p in pauses if p.ended_at is not None]
            due = due_after(ruler, timer.started_at, spec.length, closed)
        resumed = replace(timer, pauses=pauses, due_at=due)
        resumed.remind_at = next_remind_at(spec, resumed, self.rulers, at)
        return resumed

    def _spec(self, name: str, flow: str | None = None) -> TimerSpec | None:
        """The timer's spec in the incident's own flow (flows may share timer names)."""
        return self.profile.flow(flow).timers.get(name)

    def _start(
        self,
        plan: Plan,
        incident: Incident,
        event: TimerStart,
        at: datetime,
        ctx: Context,
        open_timers: Sequence[Timer],
    ) -> None:
        flow = self.profile.flow(incident.flow)
        assert incident.id is not None
        already = {(t.name, t.assignment_id) for t in open_timers}
        dues = {t.name: t.due_at for t in [*open_timers, *plan.start]}
        starting = [t for t in flow.timers.values() if t.start is event]
        starting += [
            t
            for t in flow.timers.values()
            if t.before is not None and _FIRST_INVOLVED[t.holder] is event
        ]
        # Reference timers first, so `before` timers can measure back from their due moments.
        starting.sort(key=lambda t: t.before is not None)
        for spec in starting:
            for assignment_id, holder_id, holder_role in self._holders(spec, incident, ctx):
                if (spec.name, assignment_id) in already:
                    continue
                due = self._due(spec, at, ctx, dues)
                if spec.before is not None and due is None and not spec.set_by_curator:
                    continue
                clock = effective_clock(self.profile, spec, ctx.importance)
                timer = Timer(
                    id=None,
                    incident_id=incident.id,
                    name=spec.name,
                    clause=spec.clause,
                    clock=clock,
                    started_at=at,
                    due_at=due,
                    holder_id=holder_id,
                    holder_role=holder_role,
                    assignment_id=assignment_id,
                )
                timer.remind_at = next_remind_at(spec, timer, self.rulers, at)
                plan.start.append(timer)
                dues.setdefault(spec.name, due)
                already.add((spec.name, assignment_id))

    def _due(
        self, spec: TimerSpec, at: datetime, ctx: Context, dues: Mapping[str, datetime | None]
    ) -> datetime | None:
        ruler = self.rulers.for_clock(effective_clock(self.profile, spec, ctx.importance))
        if spec.external_governs and ctx.external_deadline is not None:
            return ctx.external_deadline
        if spec.before is not None:
            ref = dues.get(spec.before)
            if ref is None or spec.length is None:
                return None
            return max(at, ruler.subtract(ref, spec.length.delta))
        if spec.length is None:
            return None
        return due_after(ruler, at, spec.length)

    def _holders(
        self, spec: TimerSpec, incident: Incident, ctx: Context
    ) -> list[tuple[int | None, int | None, Role]]:
        """(assignment id, person id, role) for each holder of a new timer."""
        if spec.holder is Holder.CURATOR:
            return [(None, incident.curator_id, Role.CURATOR)]
        if spec.holder is Holder.HEAD:
            return [(None, None, Role.HEAD)]
        if spec.holder is Holder.SUPERVISING_DEPUTY:
            return [(None, None, Role.SUPERVISING_DEPUTY)]
        if spec.holder is Holder.APPROVER:
            return [
                (
                    None,
                    incident.curator_id if ctx.approver_role is Role.CURATOR else None,
                    ctx.approver_role or Role.CURATOR,
                )
            ]
        if spec.holder is Holder.PUBLISHER:
            publisher = self.profile.publisher
            lead = ctx.assignments[-1] if ctx.assignments else (None, None)
            if publisher is Role.CURATOR:
                return [(None, incident.curator_id, Role.CURATOR)]
            return [(None, lead[1], publisher)]
        role = Role.DEPARTMENT_LEAD if spec.holder is Holder.DEPARTMENT_LEAD else Role.EXECUTOR
        per_assignment = spec.name in {"competence_return", "joint_part"}
        if per_assignment:
            return [
                (aid, executor if role is Role.EXECUTOR else None, role)
                for aid, executor in ctx.assignments
            ]
        if not ctx.assignments:
            return [(None, None, role)]
        aid, executor = ctx.assignments[-1]
        return [(aid, executor if role is Role.EXECUTOR else None, role)]


def next_due(timers: Sequence[Timer]) -> Timer | None:
    """The open, running timer that runs out first: what a card shows."""
    running = [t for t in timers if t.is_open and t.due_at is not None]
    return min(running, key=lambda t: t.due_at or _FAR, default=None)


def is_open_status(status: Status) -> bool:
    return status not in TERMINAL

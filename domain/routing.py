"""From a forwarded post to the right executor: intake, tagging, the head's decision,
assignment, acceptance and "not our competence".

Every method is one use case: one unit of work, the rulebook asked first, transitions through
the table (history), timers as the profile says, and notices in the outbox in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from domain.clock import Clock
from domain.errors import (
    AccessDenied,
    AlreadyDone,
    DomainError,
    NotHeadsChoice,
    NotStaff,
    NotYours,
)
from domain.incident import (
    TERMINAL,
    Action,
    HistoryEntry,
    Importance,
    Incident,
    Source,
    Status,
)
from domain.intake import canonical_url
from domain.people import StaffMember
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.profiles import AlertEvent, Event, JointOrder, Profile
from domain.reports import SurgeSettings, check_surge
from domain.roles import CURATORS, HEADS, Role
from domain.rulebook import Move, active, own_share
from domain.timeline import Rulers
from domain.timer_plan import Occurrence, Plan, closed_windows, events_of, received
from domain.timers import NoticeKind, OutboxMessage, Timer
from domain.usecases import NotFound, actor_of
from domain.work import Assignment, AssignmentState
from domain.workflow import Workflow, member_of, replace_assignment

__all__ = [
    "CURATORS",
    "AlreadyDone",
    "NoExecutor",
    "NotStaff",
    "NotYours",
    "Registered",
    "Returned",
    "Routing",
    "RoutingSettings",
]


class NoExecutor(DomainError):
    """A department with nobody on duty who could take the incident."""

    def __init__(self, department_id: int) -> None:
        super().__init__(f"department {department_id} has no executor on duty")
        self.department_id = department_id


@dataclass(frozen=True, slots=True)
class Registered:
    incident: Incident
    repeats: tuple[Incident, ...]
    """Earlier incidents on the same URL, or by the same author within the configured period."""


@dataclass(frozen=True, slots=True)
class Returned:
    incident: Incident
    late: bool
    """Returned after the profile's window closed (still allowed, recorded as late)."""


@dataclass(frozen=True, slots=True)
class RoutingSettings:
    repeat_window: timedelta = timedelta(days=30)
    surge: SurgeSettings = field(default_factory=SurgeSettings)
    """Surges of activity on one topic and location (Lipetsk 21, Barnaul 12)."""
    external_curator_chat_id: int | None = None
    """The external curator's chat, where the profile hands them messages (Barnaul 4, 9)."""


class Routing(Workflow):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        profile: Profile,
        rulers: Rulers,
        settings: RoutingSettings | None = None,
    ) -> None:
        super().__init__(uow_factory, clock, profile, rulers)
        self.settings = settings or RoutingSettings()

    # ---- intake ------------------------------------------------------------------------

    async def register_post(
        self,
        curator_telegram_id: int,
        source: Source,
        *,
        flow: str | None = None,
        detected_at: datetime | None = None,
        files: int = 0,
    ) -> Registered:
        """The curator forwards a post (`files`: an album's files, one message of several).
        Detection is now unless the curator gives an earlier one. The curator is told the
        number, and any likely repeats, then gets the card, both through the outbox."""
        now = self.clock.now()
        flow_name = self.profile.flow(flow).name
        if source.url:
            # One post, one form of its link: repeats are found by it (tracking tags dropped).
            source = replace(source, url=canonical_url(source.url))
        async with self.uow_factory() as uow:
            curator = await _member(uow, curator_telegram_id, CURATORS)
            incident = Incident.detect(
                profile=self.profile.name,
                flow=flow_name,
                source=source,
                detected_at=detected_at or now,
                curator=actor_of(curator),
                at=now,
            )
            incident.clauses = dict(self.profile.clauses)
            incident = await uow.incidents.add(self.stamped(incident))
            repeats = await self._repeats(uow, incident)
            ctx = await self._context(uow, incident)
            await self._apply_plan(uow, self.planner.on_detect(incident, ctx))
            told = {
                "number": incident.number or str(incident.id),
                "files": files,
                "repeats": [r.number or str(r.id) for r in repeats],
            }
            await self._notice(uow, NoticeKind.REGISTERED, incident.id, curator.id, now, told)
            await self._card(uow, incident.id, curator.id, now)
            await uow.commit()
        return Registered(incident, repeats)

    async def _repeats(self, uow: UnitOfWork, incident: Incident) -> tuple[Incident, ...]:
        found: dict[int, Incident] = {}
        if incident.source.url:
            for other in await uow.incidents.find_by_url(incident.source.url, incident.id):
                if other.id is not None and other.id != incident.id:
                    found[other.id] = other
        if incident.source.author:
            since = incident.detected_at - self.settings.repeat_window
            found_by_author = await uow.incidents.find_by_author(
                incident.source.author, since, incident.id
            )
            for other in found_by_author:
                if other.id is not None and other.id != incident.id:
                    same_topic = (
                        incident.tags.topic is None or other.tags.topic == incident.tags.topic
                    )
                    if same_topic:
                        found[other.id] = other
        return tuple(sorted(found.values(), key=lambda i: i.detected_at))

    async def repeats_of(self, incident_id: int) -> tuple[Incident, ...]:
        async with self.uow_factory() as uow:
            return await self._repeats(uow, await self._load(uow, incident_id))

    async def repeats_in(self, uow: UnitOfWork, incident: Incident) -> tuple[Incident, ...]:
        """The earlier posts like `incident`, already loaded in `uow`."""
        return await self._repeats(uow, incident)

    async def set_detected_at(
        self, curator_telegram_id: int, incident_id: int, version: int, detected_at: datetime
    ) -> Incident:
        """An earlier detection time, never a future one; the timers that run from detection
        start again from it."""
        now = self.clock.now()
        if detected_at > now:
            raise ValueError("a message cannot be detected in the future")
        return await self._do(
            curator_telegram_id,
            incident_id,
            version,
            Action.TAG,
            Move.SET_DETECTED,
            {"detected_at": detected_at.isoformat()},
            mutate=lambda i: setattr(i, "detected_at", detected_at),
            redetect=True,
        )

    # ---- tagging -----------------------------------------------------------------------

    async def tag(
        self,
        actor_telegram_id: int,
        incident_id: int,
        version: int,
        *,
        topic_group: str | None = None,
        topic: str | None = None,
        location: str | None = None,
        importance: Importance | None = None,
    ) -> Incident:
        """Tags change until assignment; a socially significant one alerts the heads at once.
        A change of importance re-plans the timers that run from detection (a socially
        significant message may have its own figure or clock)."""
        changes: dict[str, Any] = {}
        if topic_group is not None:
            changes["topic_group"] = topic_group
            changes["topic"] = topic
        elif topic is not None:
            changes["topic"] = topic
        if location is not None:
            changes["location"] = location
        if importance is not None:
            changes["importance"] = importance
        if not changes:
            raise ValueError("nothing to tag")

        def mutate(incident: Incident) -> None:
            incident.tags = replace(incident.tags, **changes)

        payload = {k: str(v) if v is not None else None for k, v in changes.items()}
        return await self._do(
            actor_telegram_id,
            incident_id,
            version,
            Action.TAG,
            Move.TAG,
            payload,
            mutate=mutate,
            after=self._after_tagging,
            redetect=importance is not None,
        )

    async def _after_tagging(self, uow: UnitOfWork, incident: Incident, now: datetime) -> None:
        await self._alert_if_significant(uow, incident, now)
        await check_surge(uow, incident, self.settings.surge, now)

    async def _alert_if_significant(
        self, uow: UnitOfWork, incident: Incident, now: datetime
    ) -> None:
        if incident.tags.importance is not Importance.SIGNIFICANT:
            return
        for member in await uow.staff.all():
            if member.active and member.roles & set(self.profile.significant_alert):
                await uow.outbox.queue(
                    OutboxMessage(
                        id=None,
                        created_at=now,
                        kind=NoticeKind.SIGNIFICANT,
                        recipient_id=member.id,
                        incident_id=incident.id,
                        payload={"clause": self.profile.significant_clause},
                        dedupe_key=f"significant:{incident.id}:{member.id}",
                    )
                )

    async def link_repeat(
        self, curator_telegram_id: int, incident_id: int, version: int, earlier_id: int
    ) -> Incident:
        async with self.uow_factory() as uow:
            earlier = await self._load(uow, earlier_id)

        def mutate(incident: Incident) -> None:
            if earlier_id == incident.id:
                raise ValueError("an incident cannot repeat itself")
            if earlier_id not in incident.linked_ids:
                incident.linked_ids = (*incident.linked_ids, earlier_id)

        return await self._do(
            curator_telegram_id,
            incident_id,
            version,
            Action.LINK_REPEATED,
            Move.LINK_REPEAT,
            {"earlier": earlier_id, "earlier_number": earlier.number},
            mutate=mutate,
        )

    # ---- outcomes before assignment ------------------------------------------------------

    async def mark_not_subject(
        self, curator_telegram_id: int, incident_id: int, version: int, reason: str
    ) -> Incident:
        """Not subject to answer; where the profile says so the external curator is told at
        once (Barnaul 9)."""
        payload: dict[str, Any] = {"reason": reason}
        if self.profile.not_subject_to_external:
            payload["passed_to_external"] = True
        return await self._do(
            curator_telegram_id,
            incident_id,
            version,
            Action.MARK_NOT_SUBJECT,
            Move.NOT_SUBJECT,
            payload,
            after=self._alerting(AlertEvent.NOT_SUBJECT, reason),
        )

    async def pass_to_external(
        self, curator_telegram_id: int, incident_id: int, version: int, reason: str
    ) -> Incident:
        return await self._do(
            curator_telegram_id,
            incident_id,
            version,
            Action.PASS_TO_EXTERNAL,
            Move.PASS_EXTERNAL,
            {"reason": reason},
            after=self._alerting(AlertEvent.PASSED_EXTERNAL, reason),
        )

    def _alerting(
        self, event: AlertEvent, reason: str
    ) -> Callable[[UnitOfWork, Incident, datetime], Any]:
        async def after(uow: UnitOfWork, incident: Incident, now: datetime) -> None:
            await self._alert(
                uow,
                incident,
                event,
                now,
                {"reason": reason},
                chat_id=self.settings.external_curator_chat_id,
            )

        return after

    async def send_to_head(
        self, curator_telegram_id: int, incident_id: int, version: int
    ) -> Incident:
        return await self._do(
            curator_telegram_id,
            incident_id,
            version,
            Action.SEND_TO_HEAD,
            Move.SEND_TO_HEAD,
            {},
            after=self._tell_heads,
        )

    async def _tell_heads(self, uow: UnitOfWork, incident: Incident, now: datetime) -> None:
        """The heads get the card: their decision is needed."""
        for member in await uow.staff.all():
            if member.active and member.roles & HEADS:
                await self._card(uow, incident.id, member.id, now)

    async def head_no_reaction(
        self, head_telegram_id: int, incident_id: int, version: int, reason: str
    ) -> Incident:
        return await self._do(
            head_telegram_id,
            incident_id,
            version,
            Action.HEAD_NO_REACTION,
            Move.HEAD_NO_REACTION,
            {"reason": reason},
        )

    async def head_decide(
        self,
        head_telegram_id: int,
        incident_id: int,
        version: int,
        department_ids: Sequence[int],
        person_id: int | None = None,
    ) -> Incident:
        """The head names the department(s) or a person. Where the act has the head name the
        executor (Bor 6) the decision is the assignment, in the same unit of work; otherwise
        the curator routes after it (Gulkevichi 3.1.1: within 2 working hours)."""
        if not department_ids and person_id is None:
            raise ValueError("name a department or a person")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await member_of(uow, head_telegram_id)
            incident = await self._load(uow, incident_id)
            await self._check(uow, Move.HEAD_DECIDE, incident, member, now, version)
            payload = {"departments": list(department_ids), "person": person_id}
            incident, plan = await self._transition(
                uow,
                incident,
                Action.HEAD_DECIDE,
                actor_of(member),
                now,
                version=version,
                payload=payload,
            )
            if not self.profile.flow(incident.flow).head_assigns:
                await self._settle(uow, incident, plan, now)
                return incident
            await self._apply_plan(uow, plan)
            incident = await self._assign(uow, incident, member, department_ids, person_id, now)
            await self._cards_for_all(uow, incident, now)
            await uow.commit()
        return incident

    # ---- assignment ------------------------------------------------------------------------

    async def assign(
        self,
        actor_telegram_id: int,
        incident_id: int,
        version: int,
        department_ids: Sequence[int],
        person_id: int | None = None,
    ) -> Incident:
        """Route to departments in order (several: a joint answer, Lipetsk 14), or to a person.

        Each department's executors on duty get the card (substitutes for absent ones); the
        first to accept takes it. In a sequential joint answer only the first department gets
        it now, each next one when the one before has sent its part."""
        if not department_ids and person_id is None:
            raise ValueError("name a department or a person")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await member_of(uow, actor_telegram_id)
            incident = await self._load(uow, incident_id)
            await self._check(uow, Move.ASSIGN, incident, member, now, version)
            chosen = heads_choice(incident)
            if chosen and set(chosen) != set(department_ids):
                raise NotHeadsChoice(chosen)
            incident = await self._assign(uow, incident, member, department_ids, person_id, now)
            await uow.commit()
        return incident

    async def _assign(
        self,
        uow: UnitOfWork,
        incident: Incident,
        member: StaffMember,
        department_ids: Sequence[int],
        person_id: int | None,
        now: datetime,
    ) -> Incident:
        staff = {m.id: m for m in await uow.staff.all() if m.id is not None}
        targets: list[tuple[int, int | None]] = []
        if person_id is not None:
            person = staff.get(person_id)
            if person is None or not person.active or person.department_id is None:
                raise NotFound("executor", person_id)
            targets.append((person.department_id, person_id))
        for department_id in department_ids:
            if await uow.departments.get(department_id) is None:
                raise NotFound("department", department_id)
            if all(d != department_id for d, _ in targets):
                targets.append((department_id, None))
        sequential = self.profile.joint_order is JointOrder.SEQUENTIAL and len(targets) > 1

        def reassign(i: Incident) -> None:
            """The returned assignments stay, as history; the new ones follow them."""
            i.assignments = [a for a in i.assignments if a.state is AssignmentState.RETURNED]
            start = len(i.assignments)
            for n, (department_id, executor_id) in enumerate(targets):
                queued = sequential and n > 0
                i.assignments.append(
                    Assignment(
                        id=None,
                        department_id=department_id,
                        executor_id=executor_id,
                        order=start + n,
                        assigned_at=now,
                        state=AssignmentState.QUEUED if queued else AssignmentState.PENDING,
                    )
                )

        version = incident.version
        seen = incident.version
        incident.clauses = dict(self.profile.clauses)
        entry = incident.apply(
            Action.ASSIGN,
            actor_of(member),
            now,
            expected_version=version,
            payload={
                "departments": [d for d, _ in targets],
                "person": person_id,
                "order": "sequential" if sequential else "parallel",
            },
        )
        reassign(incident)
        incident = await self._store(uow, incident, seen, [entry])
        reached = [a for a in active(incident) if a.state is AssignmentState.PENDING]
        joint = len(active(incident)) > 1
        plan = await self._replan(uow, incident, received((a.id for a in reached), joint), now)
        await self._apply_plan(uow, plan)
        for assignment in reached:
            await self._notify_department(uow, incident, assignment, staff, now)
        await self._card(uow, incident.id, incident.curator_id, now)
        return incident

    async def accept(self, actor_telegram_id: int, incident_id: int, version: int) -> Incident:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await member_of(uow, actor_telegram_id)
            incident = await self._load(uow, incident_id)
            situation = await self._check(uow, Move.ACCEPT, incident, member, now, version)
            assignment = own_share(incident, member, situation)
            taken = replace(assignment, state=AssignmentState.ACCEPTED, executor_id=member.id)
            incident, plan = await self._transition(
                uow,
                incident,
                Action.ACCEPT,
                actor_of(member),
                now,
                version=version,
                payload={"department_id": assignment.department_id},
                mutate=replace_assignment(assignment, taken),
                assignment_id=assignment.id,
            )
            # Timers held by "whoever of the department" now belong to the one who took it;
            # with one department, so do the incident's executor timers.
            alone = len(active(incident)) == 1
            stopped = {t.id for t in plan.stop}
            for timer in await uow.timers.open_for(incident_id):
                mine = timer.assignment_id == assignment.id or (
                    alone and timer.assignment_id is None and timer.holder_role is Role.EXECUTOR
                )
                if mine and timer.holder_id is None and timer.id not in stopped:
                    plan.change.append(replace(timer, holder_id=member.id))
            await self._settle(uow, incident, plan, now)
        return incident

    async def confirm_competence(
        self, actor_telegram_id: int, incident_id: int, version: int
    ) -> Incident:
        """The department lead confirms the message is the department's: the return window
        closes (Barnaul 5) and the lead follows the answer from here."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await member_of(uow, actor_telegram_id)
            incident = await self._load(uow, incident_id)
            situation = await self._check(
                uow, Move.CONFIRM_COMPETENCE, incident, member, now, version
            )
            assignment = own_share(incident, member, situation)
            incident, plan = await self._transition(
                uow,
                incident,
                Action.CONFIRM_COMPETENCE,
                actor_of(member),
                now,
                version=version,
                payload={"department_id": assignment.department_id},
                assignment_id=assignment.id,
            )
            await self._settle(uow, incident, plan, now, {member.id or 0})
        return incident

    async def return_not_competent(
        self, actor_telegram_id: int, incident_id: int, version: int, reason: str
    ) -> Returned:
        """ "Not our competence": within the profile's window, or later but recorded as late
        (the window's timer then is the breach). Who may return is the profile's (Barnaul 5:
        the department lead)."""
        if not reason.strip():
            raise ValueError("a return needs a reason")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await member_of(uow, actor_telegram_id)
            incident = await self._load(uow, incident_id)
            situation = await self._check(uow, Move.RETURN, incident, member, now, version)
            assignment = own_share(incident, member, situation)
            others = [
                a
                for a in incident.assignments
                if a is not assignment and a.state is not AssignmentState.RETURNED
            ]
            action = Action.RETURN_PART if others else Action.RETURN_NOT_COMPETENT
            back = replace(
                assignment,
                state=AssignmentState.RETURNED,
                return_reason=reason.strip(),
                executor_id=assignment.executor_id or member.id,
            )
            event = Event.PART_RETURNED if others else Event.RETURNED
            late = bool(
                closed_windows(
                    self.profile,
                    incident,
                    await uow.timers.for_incident(incident_id),
                    Occurrence(event, None, assignment.id),
                    now,
                )
            )
            payload: dict[str, Any] = {
                "reason": reason.strip(),
                "late": late,
                "department_id": assignment.department_id,
            }
            incident, plan = await self._transition(
                uow,
                incident,
                action,
                actor_of(member),
                now,
                version=version,
                payload=payload,
                mutate=replace_assignment(assignment, back),
                assignment_id=assignment.id,
            )
            # A return after the window is the breach of its clause, the returner's (Lipetsk 7).
            plan.late = [replace(t, holder_id=member.id) for t in plan.late]
            plan.stop = [_held_by(t, plan.late) for t in plan.stop]
            plan.change = [_held_by(t, plan.late) for t in plan.change]
            await self._notice(
                uow, NoticeKind.RETURNED, incident.id, incident.curator_id, now, payload
            )
            if action is Action.RETURN_PART:
                await self._apply_plan(uow, plan)
                plan = Plan()
                await self._advance(uow, incident, now)
            await self._settle(uow, incident, plan, now)
        return Returned(incident, late)

    # ---- helpers ---------------------------------------------------------------------------

    async def _do(
        self,
        actor_telegram_id: int,
        incident_id: int,
        version: int,
        action: Action,
        move: Move,
        payload: dict[str, Any],
        *,
        mutate: Callable[[Incident], None] | None = None,
        after: Callable[[UnitOfWork, Incident, datetime], Any] | None = None,
        redetect: bool = False,
    ) -> Incident:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await member_of(uow, actor_telegram_id)
            incident = await self._load(uow, incident_id)
            await self._check(uow, move, incident, member, now, version)
            seen = incident.version
            incident.clauses = dict(self.profile.clauses)
            entry: HistoryEntry = incident.apply(
                action, actor_of(member), now, expected_version=version, payload=payload
            )
            if mutate is not None:
                mutate(incident)
            await self._store(uow, incident, seen, [entry])
            if redetect:
                plan = await self._redetect(uow, incident, now)
            else:
                plan = await self._replan(
                    uow, incident, [] if action is Action.TAG else events_of(action, incident), now
                )
            if after is not None:
                await after(uow, incident, now)
            await self._settle(uow, incident, plan, now)
        return incident

    async def _redetect(self, uow: UnitOfWork, incident: Incident, now: datetime) -> Plan:
        """The timers that run from detection start again: from a new detection time, or with
        the figure and clock of a new importance. Those of later steps stay as they are."""
        assert incident.id is not None
        flow = self.profile.flow(incident.flow)
        plan = Plan()
        from_detection = {n for n, s in flow.timers.items() if s.starts_on(Event.DETECTED, None)}
        for timer in await uow.timers.open_for(incident.id):
            if timer.name in from_detection:
                plan.stop.append(replace(timer, stopped_at=now, remind_at=None))
        if not plan.stop:
            return plan
        fresh = self.planner.on_detect(incident, await self._context(uow, incident))
        restarted = {t.name for t in plan.stop}
        plan.start = [t for t in fresh.start if t.name in restarted]
        return plan


def _held_by(timer: Timer, late: Sequence[Timer]) -> Timer:
    """The timer as marked late, if it was."""
    return next((marked for marked in late if marked.id == timer.id), timer)


async def _member(uow: UnitOfWork, telegram_id: int, roles: frozenset[Role]) -> StaffMember:
    """A staff member with one of `roles` (for steps that are no move on an incident yet:
    registering a post)."""
    member = await member_of(uow, telegram_id)
    if not member.roles & roles:
        raise AccessDenied(roles)
    return member


def heads_choice(incident: Incident) -> tuple[int, ...]:
    """The departments the head named in the decision the incident now stands on (Gulkevichi
    3.1.1: the curator routes there); empty when no decision stands."""
    if incident.status is not Status.DECIDED:
        return ()
    for entry in reversed(incident.history):
        if entry.action is Action.HEAD_DECIDE:
            return tuple(int(d) for d in entry.payload.get("departments", ()))
    return ()


def is_closed(incident: Incident) -> bool:
    return incident.status in TERMINAL or incident.status is Status.PUBLISHED

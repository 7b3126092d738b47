"""From a forwarded post to the right executor: intake, tagging, the head's decision,
assignment, acceptance and "not our competence".

Every method is one use case: one unit of work, transitions through the table (history),
timers as the profile says, and notices in the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from domain.clock import Clock
from domain.deadlines import acting_for, nobody_can_act
from domain.errors import DomainError
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
from domain.profiles import Profile
from domain.reports import SurgeSettings, check_surge
from domain.roles import HEADS, Role
from domain.timeline import Rulers
from domain.timer_plan import Context
from domain.timers import NoticeKind, OutboxMessage, Timer
from domain.usecases import NotFound, actor_of, load_incident
from domain.work import Assignment, AssignmentState
from domain.workflow import Workflow, replace_assignment

CURATORS = frozenset({Role.CURATOR, Role.ADMIN})


class NotStaff(DomainError):
    """A stranger, or someone removed from the staff."""


class NotYours(DomainError):
    """The person has the role but this incident is not theirs (another department's card)."""


class AlreadyDone(DomainError):
    """The same step was already taken (a double tap, or a colleague was faster)."""

    def __init__(self, by: int | None) -> None:
        super().__init__(f"already done by {by}")
        self.by = by


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
    """Returned after the profile's window (still allowed, recorded as late)."""


@dataclass(frozen=True, slots=True)
class RoutingSettings:
    repeat_window: timedelta = timedelta(days=30)
    surge: SurgeSettings = field(default_factory=SurgeSettings)
    """Surges of activity on one topic and location (Lipetsk 21, Barnaul 12)."""


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
    ) -> Registered:
        """The curator forwards a post. Detection is now unless the curator gives an earlier one."""
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
            incident.extra_clauses = dict(self.profile.clauses)
            incident = await uow.incidents.add(incident)
            repeats = await self._repeats(uow, incident)
            ctx = Context(external_deadline=source.external_deadline)
            await self._apply_plan(uow, self.planner.on_detect(incident, ctx))
            await self._card(uow, incident.id, curator.id, now)
            await uow.commit()
        return Registered(incident, repeats)

    async def _repeats(self, uow: UnitOfWork, incident: Incident) -> tuple[Incident, ...]:
        found: dict[int, Incident] = {}
        if incident.source.url:
            for other in await uow.incidents.find_by_url(incident.source.url):
                if other.id is not None and other.id != incident.id:
                    found[other.id] = other
        if incident.source.author:
            since = incident.detected_at - self.settings.repeat_window
            for other in await uow.incidents.find_by_author(incident.source.author, since):
                if other.id is not None and other.id != incident.id:
                    same_topic = (
                        incident.tags.topic is None or other.tags.topic == incident.tags.topic
                    )
                    if same_topic:
                        found[other.id] = other
        return tuple(sorted(found.values(), key=lambda i: i.detected_at))

    async def repeats_of(self, incident_id: int) -> tuple[Incident, ...]:
        async with self.uow_factory() as uow:
            return await self._repeats(uow, await load_incident(uow, incident_id))

    async def set_detected_at(
        self, curator_telegram_id: int, incident_id: int, version: int, detected_at: datetime
    ) -> Incident:
        """An earlier detection time, never a future one; the timers follow it."""
        now = self.clock.now()
        if detected_at > now:
            raise ValueError("a message cannot be detected in the future")
        return await self._do(
            curator_telegram_id,
            incident_id,
            version,
            Action.TAG,
            CURATORS,
            {"detected_at": detected_at.isoformat()},
            mutate=lambda i: setattr(i, "detected_at", detected_at),
            replan=True,
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
        """Tags change until assignment; a socially significant one alerts the heads at once."""
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
            CURATORS,
            payload,
            mutate=mutate,
            after=self._after_tagging,
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
                await uow.outbox.add(
                    OutboxMessage(
                        id=None,
                        created_at=now,
                        kind=NoticeKind.SIGNIFICANT,
                        recipient_id=member.id,
                        incident_id=incident.id,
                        dedupe_key=f"significant:{incident.id}:{member.id}",
                    )
                )

    async def link_repeat(
        self, curator_telegram_id: int, incident_id: int, version: int, earlier_id: int
    ) -> Incident:
        async with self.uow_factory() as uow:
            earlier = await load_incident(uow, earlier_id)

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
            CURATORS,
            {"earlier": earlier_id, "earlier_number": earlier.number},
            mutate=mutate,
        )

    # ---- outcomes before assignment ------------------------------------------------------

    async def mark_not_subject(
        self, curator_telegram_id: int, incident_id: int, version: int, reason: str
    ) -> Incident:
        """Not subject to answer; Barnaul passes such messages to the external curator (п. 9)."""
        payload: dict[str, Any] = {"reason": reason}
        if self.profile.not_subject_to_external:
            payload["passed_to_external"] = True
        return await self._do(
            curator_telegram_id, incident_id, version, Action.MARK_NOT_SUBJECT, CURATORS, payload
        )

    async def pass_to_external(
        self, curator_telegram_id: int, incident_id: int, version: int, reason: str
    ) -> Incident:
        return await self._do(
            curator_telegram_id,
            incident_id,
            version,
            Action.PASS_TO_EXTERNAL,
            CURATORS,
            {"reason": reason},
        )

    async def send_to_head(
        self, curator_telegram_id: int, incident_id: int, version: int
    ) -> Incident:
        return await self._do(
            curator_telegram_id,
            incident_id,
            version,
            Action.SEND_TO_HEAD,
            CURATORS,
            {},
            after=self._tell_heads,
        )

    async def _tell_heads(self, uow: UnitOfWork, incident: Incident, now: datetime) -> None:
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
            HEADS,
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
        """The head names the department(s) or a person. Where the flow has a routing timer
        from the head's decision (Gulkevichi 3.1.1), the curator then routes; otherwise
        (Bor 6) the head's choice is the assignment."""
        payload = {"departments": list(department_ids), "person": person_id}
        decided = await self._do(
            head_telegram_id, incident_id, version, Action.HEAD_DECIDE, HEADS, payload
        )
        route = self.profile.flow(decided.flow).timers.get("route")
        if route is not None and route.start is not None and route.start.value == "head_decided":
            return decided
        return await self.assign(
            head_telegram_id, incident_id, decided.version, department_ids, person_id
        )

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

        Each department's executors on duty get the card (substitutes for absent ones);
        the first to accept takes it."""
        if not department_ids and person_id is None:
            raise ValueError("name a department or a person")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await _member(uow, actor_telegram_id, CURATORS | HEADS)
            incident = await load_incident(uow, incident_id)
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

            def reassign(i: Incident) -> None:
                """The returned assignments stay, as history; the new ones follow them."""
                i.assignments = [a for a in i.assignments if a.state is AssignmentState.RETURNED]
                start = len(i.assignments)
                for order, (department_id, executor_id) in enumerate(targets, start=start):
                    i.assignments.append(
                        Assignment(
                            id=None,
                            department_id=department_id,
                            executor_id=executor_id,
                            order=order,
                            assigned_at=now,
                        )
                    )

            incident, plan = await self._transition(
                uow,
                incident,
                Action.ASSIGN,
                actor_of(member),
                now,
                version=version,
                payload={"departments": [d for d, _ in targets], "person": person_id},
                mutate=reassign,
            )
            await self._apply_plan(uow, plan)
            for assignment in incident.assignments:
                if assignment.state is not AssignmentState.RETURNED:
                    await self._notify_department(uow, incident, assignment, staff, now)
            await self._card(uow, incident.id, incident.curator_id, now)
            await uow.commit()
        return incident

    async def _notify_department(
        self,
        uow: UnitOfWork,
        incident: Incident,
        assignment: Assignment,
        staff: dict[int, StaffMember],
        now: datetime,
    ) -> None:
        today = now.date()
        if assignment.executor_id is not None:
            intended = [staff[assignment.executor_id]]
        else:
            intended = [
                m
                for m in staff.values()
                if m.department_id == assignment.department_id
                and Role.EXECUTOR in m.roles
                and m.active
            ]
        if (
            self.profile.department_lead
            or Role.DEPARTMENT_LEAD is self.profile.competence_return_by
        ):
            intended += [
                m
                for m in staff.values()
                if m.department_id == assignment.department_id
                and Role.DEPARTMENT_LEAD in m.roles
                and m.active
            ]
        acting = acting_for(intended, today, staff)
        if not acting:
            await uow.outbox.add(
                nobody_can_act(incident, now, {"department_id": assignment.department_id})
            )
            return
        for person_id in acting:
            await self._card(uow, incident.id, person_id, now)

    async def accept(self, actor_telegram_id: int, incident_id: int, version: int) -> Incident:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await _member(
                uow, actor_telegram_id, frozenset({Role.EXECUTOR, Role.DEPARTMENT_LEAD})
            )
            incident = await load_incident(uow, incident_id)
            assignment = self._own_assignment(incident, member)
            if assignment.state is not AssignmentState.PENDING:
                raise AlreadyDone(assignment.executor_id)
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
            # Timers held by "whoever of the department" now belong to the one who accepted.
            for timer in await uow.timers.open_for(incident_id):
                if (
                    timer.assignment_id == assignment.id
                    and timer.holder_id is None
                    and timer.id not in {t.id for t in plan.stop}
                ):
                    plan.change.append(replace(timer, holder_id=member.id))
            await self._settle(uow, incident, plan, now)
        return incident

    async def return_not_competent(
        self, actor_telegram_id: int, incident_id: int, version: int, reason: str
    ) -> Returned:
        """ "Not our competence": within the profile's window, or later but recorded as late.
        In Barnaul the department lead decides (п. 5)."""
        if not reason.strip():
            raise ValueError("a return needs a reason")
        now = self.clock.now()
        allowed = frozenset({self.profile.competence_return_by, Role.DEPARTMENT_LEAD})
        async with self.uow_factory() as uow:
            member = await _member(uow, actor_telegram_id, allowed)
            incident = await load_incident(uow, incident_id)
            assignment = self._own_assignment(incident, member)
            taken_by_other = assignment.executor_id not in (None, member.id)
            if assignment.state is AssignmentState.RETURNED:
                raise AlreadyDone(assignment.executor_id)
            if taken_by_other and Role.DEPARTMENT_LEAD not in member.roles:
                raise NotYours(f"incident {incident.id} was taken by {assignment.executor_id}")
            open_timers = await uow.timers.open_for(incident_id)
            window = [
                t
                for t in open_timers
                if t.name == "competence_return" and t.assignment_id == assignment.id
            ]
            late = bool(window) and window[0].due_at is not None and now > window[0].due_at
            if not window:
                late = "competence_return" in self.profile.flow(incident.flow).timers
            others = [
                a
                for a in incident.assignments
                if a is not assignment and a.state is not AssignmentState.RETURNED
            ]
            action = Action.RETURN_PART if others else Action.RETURN_NOT_COMPETENT
            payload = {
                "reason": reason.strip(),
                "late": late,
                "department_id": assignment.department_id,
            }
            back = replace(
                assignment,
                state=AssignmentState.RETURNED,
                return_reason=reason.strip(),
                executor_id=assignment.executor_id or member.id,
            )
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
            if action is Action.RETURN_NOT_COMPETENT:
                plan.start.extend(self._reroute_timer(incident, now))
            await self._notice(
                uow, NoticeKind.RETURNED, incident.id, incident.curator_id, now, payload
            )
            await self._settle(uow, incident, plan, now)
        return Returned(incident, late)

    def _reroute_timer(self, incident: Incident, now: datetime) -> list[Timer]:
        """Back with the curator: the routing timer runs again from the return."""
        spec = self.profile.flow(incident.flow).timers.get("route")
        if spec is None or spec.length is None or incident.id is None:
            return []
        from domain.timeline import due_after, effective_clock

        clock = effective_clock(self.profile, spec, incident.tags.importance)
        due = due_after(self.planner.rulers.for_clock(clock), now, spec.length)
        return [
            Timer(
                id=None,
                incident_id=incident.id,
                name="route",
                clause=spec.clause,
                clock=clock,
                started_at=now,
                due_at=due,
                holder_id=incident.curator_id,
                holder_role=Role.CURATOR,
            )
        ]

    # ---- helpers ---------------------------------------------------------------------------

    def _own_assignment(self, incident: Incident, member: StaffMember) -> Assignment:
        """The assignment of the person's department (or their own)."""
        active = [a for a in incident.assignments if a.state is not AssignmentState.RETURNED]
        mine = [a for a in active if a.executor_id == member.id] or [
            a
            for a in active
            if a.department_id == member.department_id and member.department_id is not None
        ]
        if not mine:
            returned = [
                a
                for a in incident.assignments
                if a.department_id == member.department_id and a.state is AssignmentState.RETURNED
            ]
            if returned:
                raise AlreadyDone(returned[0].executor_id)
            raise NotYours(f"incident {incident.id} is not assigned to {member.id}")
        return mine[0]

    async def _do(
        self,
        actor_telegram_id: int,
        incident_id: int,
        version: int,
        action: Action,
        roles: frozenset[Role],
        payload: dict[str, Any],
        *,
        mutate: Any = None,
        after: Any = None,
        replan: bool = False,
    ) -> Incident:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await _member(uow, actor_telegram_id, roles)
            incident = await load_incident(uow, incident_id)
            seen = incident.version
            entry: HistoryEntry = incident.apply(
                action, actor_of(member), now, expected_version=version, payload=payload
            )
            if mutate is not None:
                mutate(incident)
            await uow.incidents.update(incident, seen, [entry])
            if replan:
                plan = self.planner.on_detect(incident, self._context(incident))
                plan.stop[:0] = [
                    replace(timer, stopped_at=now)
                    for timer in await uow.timers.open_for(incident_id)
                    if timer.name in {"route", "answer"}
                ]
            else:
                plan = await self._replan(uow, incident, action, now)
            if after is not None:
                await after(uow, incident, now)
            await self._settle(uow, incident, plan, now)
        return incident


async def _member(uow: UnitOfWork, telegram_id: int, roles: frozenset[Role]) -> StaffMember:
    member = await uow.staff.by_telegram(telegram_id)
    if member is None or not member.active:
        raise NotStaff(f"telegram user {telegram_id} is not on the staff")
    if not member.roles & roles:
        from domain.staffing import AccessDenied

        raise AccessDenied(roles)
    return member


def is_closed(incident: Incident) -> bool:
    return incident.status in TERMINAL or incident.status is Status.PUBLISHED

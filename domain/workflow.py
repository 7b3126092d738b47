"""What every use case that moves an incident does: ask the rulebook, apply the transition,
store it with the version the actor saw, re-plan the timers from the events as the profile
says, and queue the cards of everyone involved, all in the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from typing import Any

from domain.clock import Clock
from domain.deadlines import acting_for, nobody_can_act
from domain.errors import DomainError, NotStaff, StaleVersion
from domain.incident import Action, Actor, HistoryEntry, Incident
from domain.people import Department, StaffMember, on_duty
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.profiles import AlertEvent, Profile
from domain.roles import Role
from domain.rulebook import (
    Move,
    Situation,
    active,
    current_step,
    delivered,
    moves,
    refusal,
    require,
    standing_in,
    turn_of,
    writer_department,
)
from domain.timeline import Rulers
from domain.timer_plan import Context, Occurrence, Plan, TimerPlanner, events_of, received
from domain.timers import NoticeKind, OutboxMessage, Timer
from domain.usecases import load_incident
from domain.work import Assignment, AssignmentState


@dataclass(frozen=True, slots=True)
class Verdict:
    incident: Incident | None
    moves: frozenset[Move]
    refusal: DomainError | None


class Workflow:
    """The base of the use-case classes that move incidents (`Routing`, `Answering`)."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, profile: Profile, rulers: Rulers
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.profile = profile
        self.rulers = rulers
        self.planner = TimerPlanner(profile, rulers)

    # ---- reading -------------------------------------------------------------------------

    async def incident(self, incident_id: int) -> Incident:
        async with self.uow_factory() as uow:
            return await self._load(uow, incident_id)

    async def timers(self, incident_id: int) -> Sequence[Timer]:
        async with self.uow_factory() as uow:
            return await uow.timers.open_for(incident_id)

    async def verdict(
        self, incident_id: int, member: StaffMember, move: Move = Move.VIEW
    ) -> Verdict:
        """The incident, what `member` may do on it now (nothing: not theirs to see) and why
        not `move`, in one read."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            incident = await uow.incidents.get(incident_id)
            if incident is None:
                return Verdict(None, frozenset(), None)
            incident.clauses = dict(self.profile.clauses)
            situation = await self._situation(uow, incident, member, now)
        allowed = moves(incident, member, self.profile, now, situation)
        why = refusal(move, incident, member, self.profile, now, situation)
        return Verdict(incident, allowed, why)

    async def _load(self, uow: UnitOfWork, incident_id: int) -> Incident:
        incident = await load_incident(uow, incident_id)
        incident.clauses = dict(self.profile.clauses)
        return incident

    def today(self, now: datetime) -> date:
        zone = getattr(self.rulers.working, "zone", None)
        return now.astimezone(zone).date() if isinstance(zone, tzinfo) else now.date()

    async def _situation(
        self,
        uow: UnitOfWork,
        incident: Incident,
        member: StaffMember,
        now: datetime,
        staff: Sequence[StaffMember] | None = None,
    ) -> Situation:
        """What the rulebook reads about the incident beyond it."""
        assert incident.id is not None
        if staff is None:
            staff = await uow.staff.all()
        departments = {d.id: d for d in await uow.departments.all() if d.id is not None}
        acts_for, acting_departments = standing_in(member, staff, self.today(now))
        return Situation(
            departments=departments,
            acts_for=acts_for,
            acting_departments=acting_departments,
            timers=await uow.timers.open_for(incident.id),
        )

    async def _check(
        self,
        uow: UnitOfWork,
        move: Move,
        incident: Incident,
        member: StaffMember,
        now: datetime,
        version: int | None = None,
    ) -> Situation:
        """The rulebook's answer for `move`, after the version the person saw."""
        if version is not None and version != incident.version:
            last = incident.history[-1].actor_id if incident.history else None
            raise StaleVersion(version, incident.version, last)
        situation = await self._situation(uow, incident, member, now)
        require(move, incident, member, self.profile, now, situation)
        return situation

    # ---- moving an incident --------------------------------------------------------------

    async def _transition(
        self,
        uow: UnitOfWork,
        incident: Incident,
        action: Action,
        actor: Actor,
        now: datetime,
        *,
        version: int,
        payload: Mapping[str, Any],
        mutate: Callable[[Incident], None] | None = None,
        assignment_id: int | None = None,
        occurrences: Sequence[Occurrence] | None = None,
    ) -> tuple[Incident, Plan]:
        """Apply `action` to the incident as the actor saw it at `version`, `mutate` what the
        action changes beside the status, store it, and plan the timers from the action's
        events (or `occurrences`): the stored incident and the plan, not yet applied."""
        seen = incident.version
        incident.clauses = dict(self.profile.clauses)
        entry = incident.apply(action, actor, now, expected_version=version, payload=payload)
        if mutate is not None:
            mutate(incident)
        stored = await self._store(uow, incident, seen, [entry])
        events = (
            list(occurrences)
            if occurrences is not None
            else events_of(action, stored, assignment_id)
        )
        plan = await self._replan(uow, stored, events, now)
        return stored, plan

    async def _store(
        self, uow: UnitOfWork, incident: Incident, seen: int, entries: Sequence[HistoryEntry]
    ) -> Incident:
        """Write the incident over the version `seen`, with its new history. The repository
        gives what it writes its ids and the new version, so the incident in hand is what is
        stored: it is not read back."""
        assert incident.id is not None
        await uow.incidents.update(self.stamped(incident), seen, entries)
        return incident

    async def refresh_turns(self, batch: int = 500) -> int:
        """Work out anew whose approval step it is for every message under approval, as kept
        for /tasks (`Incident.turn`): at the bot's start, so a changed chain of approvals in
        the profile, or messages kept before the turn was, are found by the right people.
        Returns how many were looked at."""
        after: int | None = None
        seen = 0
        while True:
            async with self.uow_factory() as uow:
                page = await uow.incidents.awaiting_approval(after, batch)
                await uow.incidents.keep_turns(
                    {i.id: (i.version, turn_of(self.profile, i)) for i in page if i.id is not None}
                )
                await uow.commit()
            seen += len(page)
            if len(page) < batch:
                return seen
            after = page[-1].id

    def stamped(self, incident: Incident) -> Incident:
        """The incident with whose approval step it is worked out (`Incident.turn`), as every
        write of it must carry for /tasks to find it."""
        incident.turn = turn_of(self.profile, incident)
        return incident

    async def _replan(
        self, uow: UnitOfWork, incident: Incident, events: Sequence[Occurrence], now: datetime
    ) -> Plan:
        """The timers' plan after `events`, from the incident as stored and its timers."""
        assert incident.id is not None
        ctx = await self._context(uow, incident)
        return self.planner.on_events(
            incident, events, now, ctx, await uow.timers.for_incident(incident.id)
        )

    async def _settle(
        self,
        uow: UnitOfWork,
        incident: Incident,
        plan: Plan,
        now: datetime,
        extra: Iterable[int] = (),
    ) -> None:
        """Apply the plan, redraw the card of everyone involved (and `extra`), commit."""
        await self._apply_plan(uow, plan)
        await self._cards_for_all(uow, incident, now, extra)
        await uow.commit()

    async def _context(self, uow: UnitOfWork, incident: Incident) -> Context:
        """The planner's view: the step the approval chain is at now and its named person,
        the departments that have the message, who writes the answer."""
        step = current_step(self.profile, incident)
        approver_id: int | None = None
        if step is Role.CURATOR:
            approver_id = incident.curator_id
        elif step in {Role.DEPARTMENT_LEAD, Role.SUPERVISING_DEPUTY}:
            department_id = writer_department(incident)
            department: Department | None = (
                await uow.departments.get(department_id) if department_id is not None else None
            )
            if department is not None:
                approver_id = (
                    department.lead_id
                    if step is Role.DEPARTMENT_LEAD
                    else department.supervising_deputy_id
                )
        return Context(
            importance=incident.tags.importance,
            external_deadline=incident.source.external_deadline,
            approver_role=step,
            approver_id=approver_id,
            assignments=[(a.id, a.executor_id) for a in delivered(incident)],
            writer_id=_writer(incident),
        )

    async def _apply_plan(self, uow: UnitOfWork, plan: Plan) -> None:
        await uow.timers.update_many([*plan.stop, *plan.change])
        await uow.timers.add_many(plan.start)

    async def _notify_department(
        self,
        uow: UnitOfWork,
        incident: Incident,
        assignment: Assignment,
        staff: dict[int, StaffMember],
        now: datetime,
    ) -> None:
        """The department's people on duty get the card, and a message that rings."""
        today = self.today(now)
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
            await uow.outbox.queue(
                nobody_can_act(incident, now, {"department_id": assignment.department_id})
            )
            return
        for person_id in acting:
            await self._card(uow, incident.id, person_id, now)

    async def _advance(self, uow: UnitOfWork, incident: Incident, now: datetime) -> Incident:
        """A sequential joint answer moves on: when no department that has the message still
        owes its part, the next one waiting gets it (Lipetsk 14)."""
        current = active(incident)
        working = [
            a
            for a in current[:-1]
            if a.state in {AssignmentState.PENDING, AssignmentState.ACCEPTED}
        ]
        queued = [a for a in current if a.state is AssignmentState.QUEUED]
        if working or not queued:
            return incident
        nxt = queued[0]
        seen = incident.version
        incident.assignments = [
            replace(a, state=AssignmentState.PENDING) if a.id == nxt.id else a
            for a in incident.assignments
        ]
        incident.version += 1
        incident = await self._store(uow, incident, seen, [])
        plan = await self._replan(uow, incident, received([nxt.id], len(active(incident)) > 1), now)
        await self._apply_plan(uow, plan)
        staff = {m.id: m for m in await uow.staff.all() if m.id is not None}
        reached = next(a for a in incident.assignments if a.id == nxt.id)
        await self._notify_department(uow, incident, reached, staff, now)
        return incident

    # ---- notices -------------------------------------------------------------------------

    async def _notice(
        self,
        uow: UnitOfWork,
        kind: NoticeKind,
        incident_id: int | None,
        person_id: int | None,
        now: datetime,
        payload: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
    ) -> None:
        if person_id is None:
            return
        await uow.outbox.queue(
            OutboxMessage(
                id=None,
                created_at=now,
                kind=kind,
                recipient_id=person_id,
                incident_id=incident_id,
                payload=payload or {},
                dedupe_key=dedupe_key,
            )
        )

    async def _card(
        self, uow: UnitOfWork, incident_id: int | None, person_id: int | None, now: datetime
    ) -> None:
        await self._notice(uow, NoticeKind.CARD, incident_id, person_id, now)

    async def _cards_for_all(
        self, uow: UnitOfWork, incident: Incident, now: datetime, extra: Iterable[int] = ()
    ) -> None:
        """A card redrawn for everyone involved: the curator, the executors, whoever holds a
        card of the incident, and `extra` (the approvers of the next step, the writer); and
        for each of them who is absent today, whoever stands in for them."""
        people = {incident.curator_id, *(a.executor_id for a in incident.assignments), *extra}
        if incident.id is not None:
            people.update(await uow.cards.holders(incident.id))
        staff = {m.id: m for m in await uow.staff.all() if m.id is not None}
        day = self.today(now)
        for person in list(people):
            member = staff.get(person) if person is not None else None
            if member is not None:
                acting = on_duty(member, day, staff).acting
                if acting is not None and acting.id is not None:
                    people.add(acting.id)
        for person in sorted(p for p in people if p is not None):
            await self._card(uow, incident.id, person, now)

    async def _on_duty(self, uow: UnitOfWork, person_id: int | None, now: datetime) -> list[int]:
        """Whoever acts today for `person_id`: them, or their substitute while they are away."""
        if person_id is None:
            return []
        staff = {m.id: m for m in await uow.staff.all() if m.id is not None}
        member = staff.get(person_id)
        if member is None:
            return []
        acting = on_duty(member, self.today(now), staff).acting
        return [acting.id] if acting is not None and acting.id is not None else [person_id]

    async def _alert(
        self,
        uow: UnitOfWork,
        incident: Incident,
        event: AlertEvent,
        now: datetime,
        payload: Mapping[str, Any],
        chat_id: int | None = None,
    ) -> None:
        """Tell at once the roles the profile names for `event`. The external curator is not
        a bot user: their notice goes to `chat_id` (the configured chat of the external
        curator) where there is one, and always to the curators, who pass it on."""
        alert = self.profile.alerts.get(event)
        if alert is None:
            return
        to_chat = Role.EXTERNAL_CURATOR in alert.roles and chat_id is not None
        body = {**payload, "event": event.value, "clause": alert.clause}
        if to_chat:
            body["passed_on"] = True  # the curators need not pass it on themselves
        recipients: set[int] = set()
        for member in await uow.staff.all():
            if member.id is None or not member.active:
                continue
            wanted = set(alert.roles)
            if Role.EXTERNAL_CURATOR in wanted:
                wanted.add(Role.CURATOR)
            if member.roles & wanted:
                recipients.add(member.id)
        for person in sorted(recipients):
            await self._notice(
                uow,
                NoticeKind.ALERT,
                incident.id,
                person,
                now,
                body,
                dedupe_key=f"alert:{event.value}:{incident.id}:{person}:{incident.version}",
            )
        if to_chat:
            await uow.outbox.queue(
                OutboxMessage(
                    id=None,
                    created_at=now,
                    kind=NoticeKind.ALERT,
                    chat_id=chat_id,
                    incident_id=incident.id,
                    payload={**body, "to_external": True, "passed_on": False},
                    dedupe_key=f"alert:{event.value}:{incident.id}:external:{incident.version}",
                )
            )


async def member_of(uow: UnitOfWork, telegram_id: int) -> StaffMember:
    """The staff member behind a Telegram account, or NotStaff."""
    member = await uow.staff.by_telegram(telegram_id)
    if member is None or not member.active:
        raise NotStaff(f"telegram user {telegram_id} is not on the staff")
    return member


def _writer(incident: Incident) -> int | None:
    """Who writes the answer, once known: the last draft's author, or the one who took the
    department's share where there is only one."""
    if incident.drafts:
        return incident.drafts[-1].author_id
    current = delivered(incident)
    if len(current) == 1:
        return current[0].executor_id
    return None


def replace_assignment(old: Assignment, new: Assignment) -> Callable[[Incident], None]:
    """The change that puts `new` in the place of the incident's assignment `old`."""

    def mutate(incident: Incident) -> None:
        incident.assignments = [
            new if a is old or (old.id is not None and a.id == old.id) else a
            for a in incident.assignments
        ]

    return mutate


def _active(incident: Incident) -> list[Assignment]:
    """The assignments not returned, in the curator's order."""
    return sorted(
        (a for a in incident.assignments if a.state is not AssignmentState.RETURNED),
        key=lambda a: a.order,
    )


__all__ = ["Workflow", "member_of", "replace_assignment"]

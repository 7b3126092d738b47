"""What every use case that moves an incident does with the change: store it with the version
the actor saw, re-plan the timers as the profile says, and queue the cards of everyone involved,
all in the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from domain.clock import Clock
from domain.incident import Action, Actor, HistoryEntry, Incident
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.profiles import Profile
from domain.roles import Role
from domain.timeline import Rulers
from domain.timer_plan import Context, Plan, TimerPlanner
from domain.timers import NoticeKind, OutboxMessage, Timer
from domain.usecases import load_incident
from domain.work import Assignment, AssignmentState


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
            return await load_incident(uow, incident_id)

    async def timers(self, incident_id: int) -> Sequence[Timer]:
        async with self.uow_factory() as uow:
            return await uow.timers.open_for(incident_id)

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
        approver_role: Role | None = None,
        assignment_id: int | None = None,
    ) -> tuple[Incident, Plan]:
        """Apply `action` to the incident as the actor saw it at `version`, `mutate` what the
        action changes beside the status, store it, and plan the timers: the stored incident
        and the plan, not yet applied."""
        seen = incident.version
        entry = incident.apply(action, actor, now, expected_version=version, payload=payload)
        if mutate is not None:
            mutate(incident)
        stored = await self._store(uow, incident, seen, [entry])
        plan = await self._replan(
            uow, stored, action, now, approver_role=approver_role, assignment_id=assignment_id
        )
        return stored, plan

    async def _store(
        self, uow: UnitOfWork, incident: Incident, seen: int, entries: Sequence[HistoryEntry]
    ) -> Incident:
        """Write the incident over the version `seen`, with its new history; read it back."""
        assert incident.id is not None
        await uow.incidents.update(incident, seen, entries)
        return await load_incident(uow, incident.id)

    async def _replan(
        self,
        uow: UnitOfWork,
        incident: Incident,
        action: Action,
        now: datetime,
        *,
        approver_role: Role | None = None,
        assignment_id: int | None = None,
    ) -> Plan:
        """The timers' plan after `action`, from the incident as stored and its open timers."""
        assert incident.id is not None
        return self.planner.on_action(
            incident,
            action,
            now,
            self._context(incident, approver_role),
            await uow.timers.open_for(incident.id),
            assignment_id=assignment_id,
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

    def _context(self, incident: Incident, approver_role: Role | None = None) -> Context:
        return Context(
            importance=incident.tags.importance,
            external_deadline=incident.source.external_deadline,
            approver_role=approver_role or self.profile.approval_chain[0],
            assignments=[(a.id, a.executor_id) for a in _active(incident)],
        )

    async def _apply_plan(self, uow: UnitOfWork, plan: Plan) -> None:
        for timer in [*plan.stop, *plan.change]:
            await uow.timers.update(timer)
        for timer in plan.start:
            await uow.timers.add(timer)

    # ---- notices -------------------------------------------------------------------------

    async def _notice(
        self,
        uow: UnitOfWork,
        kind: NoticeKind,
        incident_id: int | None,
        person_id: int | None,
        now: datetime,
        payload: dict[str, Any] | None = None,
    ) -> None:
        if person_id is None:
            return
        await uow.outbox.add(
            OutboxMessage(
                id=None,
                created_at=now,
                kind=kind,
                recipient_id=person_id,
                incident_id=incident_id,
                payload=payload or {},
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
        card of the incident, and `extra` (the approvers of the next step, the writer)."""
        people = {incident.curator_id, *(a.executor_id for a in incident.assignments), *extra}
        if incident.id is not None:
            people.update(await uow.cards.holders(incident.id))
        for person in sorted(p for p in people if p is not None):
            await self._card(uow, incident.id, person, now)


def replace_assignment(old: Assignment, new: Assignment) -> Callable[[Incident], None]:
    """The change that puts `new` in the place of the incident's assignment `old`."""

    def mutate(incident: Incident) -> None:
        incident.assignments = [new if a is old else a for a in incident.assignments]

    return mutate


def _active(incident: Incident) -> list[Assignment]:
    """The assignments not returned, in the curator's order."""
    return sorted(
        (a for a in incident.assignments if a.state is not AssignmentState.RETURNED),
        key=lambda a: a.order,
    )

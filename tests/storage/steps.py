"""Raw transitions stored through a unit of work: what the storage tests exercise (versions,
history, children), without the rulebook's guards. The bot never moves an incident this way:
its use cases (`domain/routing.py`, `domain/answering.py`) ask the rulebook first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain.clock import Clock
from domain.incident import Action, Incident, Source, Tags
from domain.people import StaffMember
from domain.ports import UnitOfWorkFactory
from domain.profiles import SHIPPED, shipped_profile
from domain.usecases import actor_of, load_incident
from domain.work import Assignment


def _clauses(incident: Incident) -> None:
    if incident.profile in SHIPPED:
        incident.clauses = dict(shipped_profile(incident.profile).clauses)


async def detect(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    profile: str,
    flow: str,
    source: Source,
    curator: StaffMember,
    detected_at: datetime | None = None,
    tags: Tags | None = None,
) -> Incident:
    """Register a post the curator found; the detection time may be earlier, never later."""
    now = clock.now()
    incident = Incident.detect(
        profile=profile,
        flow=flow,
        source=source,
        detected_at=detected_at or now,
        curator=actor_of(curator),
        at=now,
        tags=tags,
    )
    async with uow_factory() as uow:
        incident = await uow.incidents.add(incident)
        await uow.commit()
    return incident


async def _act(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    incident_id: int,
    member: StaffMember,
    action: Action,
    expected_version: int,
    payload: dict[str, object] | None = None,
    extra: Sequence[Assignment] = (),
) -> Incident:
    async with uow_factory() as uow:
        incident = await load_incident(uow, incident_id)
        _clauses(incident)
        seen = incident.version
        entry = incident.apply(
            action,
            actor_of(member),
            clock.now(),
            expected_version=expected_version,
            payload=payload,
        )
        incident.assignments.extend(extra)
        await uow.incidents.update(incident, seen, [entry])
        await uow.commit()
    return incident


async def assign(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    incident_id: int,
    member: StaffMember,
    expected_version: int,
    department_ids: Sequence[int],
    executor_ids: Sequence[int | None] = (),
) -> Incident:
    """Route to departments in order (several make a joint answer, Lipetsk 14)."""
    if not department_ids:
        raise ValueError("name at least one department")
    now = clock.now()
    executors = list(executor_ids) + [None] * (len(department_ids) - len(executor_ids))
    parts = [
        Assignment(id=None, department_id=d, executor_id=e, order=i, assigned_at=now)
        for i, (d, e) in enumerate(zip(department_ids, executors, strict=True))
    ]
    return await _act(
        uow_factory,
        clock,
        incident_id,
        member,
        Action.ASSIGN,
        expected_version,
        {"departments": list(department_ids)},
        parts,
    )


async def approve(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    incident_id: int,
    member: StaffMember,
    expected_version: int,
) -> Incident:
    return await _act(uow_factory, clock, incident_id, member, Action.APPROVE, expected_version)


async def request_revision(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    incident_id: int,
    member: StaffMember,
    expected_version: int,
    reason: str,
) -> Incident:
    return await _act(
        uow_factory,
        clock,
        incident_id,
        member,
        Action.REQUEST_REVISION,
        expected_version,
        {"reason": reason},
    )


async def apply_action(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    incident_id: int,
    member: StaffMember,
    action: Action,
    expected_version: int,
    payload: dict[str, object] | None = None,
) -> Incident:
    """Any transition that needs nothing beyond its history entry."""
    return await _act(uow_factory, clock, incident_id, member, action, expected_version, payload)

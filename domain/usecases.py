"""What every use case shares: who acts, loading an incident, the NotFound refusal. The use
cases themselves are `Routing` and `Answering` (`domain/workflow.py`): each asks the rulebook
before it moves an incident."""

from __future__ import annotations

from domain.errors import DomainError
from domain.incident import Actor, Incident
from domain.people import StaffMember
from domain.ports import UnitOfWork


class NotFound(DomainError):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"{what} {ident!r} not found")
        self.what = what
        self.ident = ident


def actor_of(member: StaffMember) -> Actor:
    return Actor(member.id, member.roles)


async def load_incident(uow: UnitOfWork, incident_id: int) -> Incident:
    """The incident, or NotFound."""
    incident = await uow.incidents.get(incident_id)
    if incident is None:
        raise NotFound("incident", incident_id)
    return incident

"""Load what a card shows, for one viewer, from the store: nothing if the rulebook says the
incident is not theirs to see."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from aiogram.types import InlineKeyboardMarkup

from domain.incident import Incident, Status
from domain.people import Department, StaffMember
from domain.ports import UnitOfWork
from domain.rulebook import Move, Situation, moves, settable_timers, standing_in
from domain.screening import screen
from domain.services import Services
from domain.timers import Timer
from handlers.render import CardView, card_keyboard, card_text

Card = tuple[str, InlineKeyboardMarkup | None]


def topic_titles(services: Services) -> dict[str, str]:
    titles: dict[str, str] = {}
    for code, title, topics in services.topics:
        titles[code] = title
        titles.update(dict(topics))
    return titles


@dataclass(frozen=True, slots=True)
class CardData:
    """What a card shows of an incident, whoever views it: read once, drawn for each viewer."""

    incident: Incident
    timers: Sequence[Timer]
    departments: Mapping[int, Department]
    staff: Sequence[StaffMember]
    linked_numbers: list[str]
    repeats: tuple[Incident, ...]
    now: datetime
    flags: tuple[str, ...] = ()
    """What the post's text raises (`domain.screening`), worked out once for every viewer."""


async def read_card(
    services: Services, incident_id: int, uow: UnitOfWork | None = None
) -> CardData | None:
    """The incident and what its card needs, in `uow` (or a unit of work of its own); None
    when the incident is missing."""
    if uow is None:
        async with services.uow_factory() as own:
            return await read_card(services, incident_id, own)
    now = services.clock.now()
    incident = await uow.incidents.get(incident_id)
    if incident is None:
        return None
    incident.clauses = dict(services.profile.clauses)
    timers = await uow.timers.open_for(incident_id)
    departments = {d.id: d for d in await uow.departments.all() if d.id is not None}
    staff = await uow.staff.all()
    linked = []
    for other_id in incident.linked_ids:
        other = await uow.incidents.get(other_id)
        if other is not None:
            linked.append(other.number or str(other.id))
    repeats: tuple[Incident, ...] = ()
    if incident.status is Status.NEW:  # the card offers to link it to earlier posts like it
        repeats = await services.routing.repeats_in(uow, incident)
    flags = tuple(f.value for f in screen(incident.source.text))
    return CardData(incident, timers, departments, staff, linked, repeats, now, flags)


def view_of(services: Services, data: CardData, viewer: StaffMember) -> CardView | None:
    """The card as `viewer` sees it; None when the incident is not theirs."""
    incident, timers, now = data.incident, data.timers, data.now
    acts_for, acting_departments = standing_in(viewer, data.staff, services.routing.today(now))
    situation = Situation(
        departments=dict(data.departments),
        acts_for=acts_for,
        acting_departments=acting_departments,
        timers=timers,
    )
    allowed = moves(incident, viewer, services.profile, now, situation)
    if Move.VIEW not in allowed:
        return None
    return CardView(
        incident=incident,
        viewer=viewer,
        timers=timers,
        departments={k: d.name for k, d in data.departments.items()},
        profile=services.profile,
        rulers=services.rulers,
        zone=services.zone,
        now=now,
        topic_titles=topic_titles(services),
        flags=list(data.flags),
        repeats=data.repeats,
        linked_numbers=data.linked_numbers,
        moves=allowed,
        settable=settable_timers(services.profile, incident, timers),
    )


def draw(services: Services, data: CardData, viewer: StaffMember) -> Card | None:
    view = view_of(services, data, viewer)
    if view is None:
        return None
    return card_text(view), card_keyboard(view)


async def card_view(services: Services, incident_id: int, viewer: StaffMember) -> CardView | None:
    """The card as `viewer` sees it; None when the incident is missing or not theirs."""
    data = await read_card(services, incident_id)
    return None if data is None else view_of(services, data, viewer)


async def render_card(services: Services, incident_id: int, viewer: StaffMember) -> Card | None:
    data = await read_card(services, incident_id)
    return None if data is None else draw(services, data, viewer)

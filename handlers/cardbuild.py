"""Load what a card shows, for one viewer, from the store: nothing if the rulebook says the
incident is not theirs to see."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from domain.incident import Incident, Status
from domain.people import StaffMember
from domain.rulebook import Move, Situation, moves, settable_timers, standing_in
from domain.services import Services
from handlers.render import CardView, card_keyboard, card_text

Card = tuple[str, InlineKeyboardMarkup | None]


def topic_titles(services: Services) -> dict[str, str]:
    titles: dict[str, str] = {}
    for code, title, topics in services.topics:
        titles[code] = title
        titles.update(dict(topics))
    return titles


async def card_view(services: Services, incident_id: int, viewer: StaffMember) -> CardView | None:
    """The card as `viewer` sees it; None when the incident is missing or not theirs."""
    from domain.screening import screen

    now = services.clock.now()
    async with services.uow_factory() as uow:
        incident = await uow.incidents.get(incident_id)
        if incident is None:
            return None
        incident.clauses = dict(services.profile.clauses)
        timers = await uow.timers.open_for(incident_id)
        all_departments = {d.id: d for d in await uow.departments.all() if d.id is not None}
        staff = await uow.staff.all()
        acts_for, acting_departments = standing_in(viewer, staff, services.routing.today(now))
        situation = Situation(
            departments=all_departments,
            acts_for=acts_for,
            acting_departments=acting_departments,
            timers=timers,
        )
        allowed = moves(incident, viewer, services.profile, now, situation)
        if Move.VIEW not in allowed:
            return None
        linked = []
        for other_id in incident.linked_ids:
            other = await uow.incidents.get(other_id)
            if other is not None:
                linked.append(other.number or str(other.id))
    repeats: tuple[Incident, ...] = ()
    if incident.status is Status.NEW:
        repeats = await services.routing.repeats_of(incident_id)
    return CardView(
        incident=incident,
        viewer=viewer,
        timers=timers,
        departments={k: d.name for k, d in all_departments.items()},
        profile=services.profile,
        rulers=services.rulers,
        zone=services.zone,
        now=now,
        topic_titles=topic_titles(services),
        flags=[f.value for f in screen(incident.source.text)],
        repeats=repeats,
        linked_numbers=linked,
        moves=allowed,
        settable=settable_timers(services.profile, incident, timers),
    )


async def render_card(services: Services, incident_id: int, viewer: StaffMember) -> Card | None:
    view = await card_view(services, incident_id, viewer)
    if view is None:
        return None
    return card_text(view), card_keyboard(view)

"""Cards and lists as people see them: text and buttons from the incident's current state."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from domain.durations import ClockKind
from domain.incident import Incident, Status
from domain.people import StaffMember
from domain.profiles import Profile
from domain.roles import HEADS, Role
from domain.timeline import Rulers
from domain.timers import Timer
from domain.work import AssignmentState
from handlers import texts
from handlers.callbacks import Act, IncCb

PREVIEW_CHARS = 900
CURATORS = frozenset({Role.CURATOR, Role.ADMIN})


def moment(value: datetime, zone: tzinfo) -> str:
    return value.astimezone(zone).strftime("%d.%m.%Y %H:%M")


def duration(delta: timedelta, *, ceil: bool = False) -> str:
    """Whole minutes: rounded up for time left (29:59 left reads "30 min"), down for time past."""
    seconds = max(0, int(delta.total_seconds()))
    minutes = -(-seconds // 60) if ceil else seconds // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return texts.LEFT_DAYS.format(d=days, h=hours)
    if hours and mins:
        return texts.LEFT_HOURS.format(h=hours, m=mins)
    if hours:
        return texts.LEFT_HOURS_ONLY.format(h=hours)
    return texts.LEFT_MINUTES.format(m=mins)


def time_left(timer: Timer, now: datetime, rulers: Rulers) -> tuple[timedelta, bool]:
    """Time left (working time for working-time timers) and whether it ran out."""
    assert timer.due_at is not None
    ruler = rulers.for_clock(timer.clock)
    if now <= timer.due_at:
        return ruler.between(now, timer.due_at), False
    return ruler.between(timer.due_at, now), True


def deadline_line(timer: Timer, now: datetime, rulers: Rulers, zone: tzinfo) -> str:
    what = texts.TIMERS.get(timer.name, timer.name)
    if timer.due_at is None:
        return texts.CARD_DEADLINE_PAUSED.format(what=what, clause=timer.clause)
    left, over = time_left(timer, now, rulers)
    suffix = texts.WORKING if timer.clock is ClockKind.WORKING else ""
    if over:
        return texts.CARD_DEADLINE_OVERDUE.format(
            what=what,
            due=moment(timer.due_at, zone),
            ago=duration(left) + suffix,
            clause=timer.clause,
        )
    return texts.CARD_DEADLINE.format(
        what=what,
        due=moment(timer.due_at, zone),
        left=duration(left, ceil=True) + suffix,
        clause=timer.clause,
    )


@dataclass
class CardView:
    incident: Incident
    viewer: StaffMember
    timers: Sequence[Timer]
    departments: Mapping[int, str]
    profile: Profile
    rulers: Rulers
    zone: tzinfo
    now: datetime
    topic_titles: Mapping[str, str] = field(default_factory=dict)
    flags: Sequence[str] = ()
    repeats: Sequence[Incident] = ()
    linked_numbers: Sequence[str] = ()


def card_text(view: CardView) -> str:
    inc = view.incident
    src = inc.source
    lines = [
        texts.CARD_TITLE.format(
            number=inc.number or inc.id, network=texts.NETWORKS.get(src.network, src.network)
        )
    ]
    if src.author:
        lines.append(texts.CARD_AUTHOR.format(author=html.escape(src.author)))
    if src.text:
        body = (
            src.text
            if len(src.text) <= PREVIEW_CHARS
            else src.text[:PREVIEW_CHARS].rstrip() + texts.TEXT_CUT
        )
        lines.append(f"«{html.escape(body)}»")
    if src.media:
        lines.append(texts.CARD_MEDIA.format(count=len(src.media)))
    if src.url:
        lines.append(texts.CARD_LINK.format(url=html.escape(src.url)))
    if src.external_number or src.external_deadline:
        deadline = (
            moment(src.external_deadline, view.zone) if src.external_deadline else texts.CARD_NO_TAG
        )
        lines.append(
            texts.CARD_EXTERNAL.format(
                number=html.escape(src.external_number or "—"), deadline=deadline
            )
        )
    lines.append(texts.CARD_DETECTED.format(moment=moment(inc.detected_at, view.zone)))
    topic = view.topic_titles.get(inc.tags.topic or "", inc.tags.topic) or texts.CARD_NO_TAG
    group = view.topic_titles.get(inc.tags.topic_group or "", inc.tags.topic_group)
    if group and topic != texts.CARD_NO_TAG:
        topic = f"{group} → {topic}"
    lines.append(
        texts.CARD_TAGS.format(
            topic=html.escape(topic),
            location=html.escape(inc.tags.location or texts.CARD_NO_TAG),
            importance=texts.IMPORTANCE[inc.tags.importance],
        )
    )
    if view.flags:
        lines.append(
            texts.CARD_FLAGS.format(flags=", ".join(texts.FLAGS.get(f, f) for f in view.flags))
        )
    if view.linked_numbers:
        lines.append(texts.CARD_REPEATS.format(numbers=", №".join(view.linked_numbers)))
    lines.append(texts.CARD_STATUS.format(status=texts.STATUSES[inc.status]))
    active = [a for a in inc.assignments if a.state is not AssignmentState.RETURNED]
    if active:
        names = [
            view.departments.get(a.department_id, str(a.department_id))
            for a in sorted(active, key=lambda a: a.order)
        ]
        lines.append(texts.CARD_DEPARTMENTS.format(departments=html.escape(", ".join(names))))
    for a in inc.assignments:
        if (
            a.state is AssignmentState.RETURNED
            and a.return_reason
            and inc.status is Status.RETURNED
        ):
            lines.append(
                texts.CARD_RETURNED.format(
                    department=html.escape(view.departments.get(a.department_id, "?")),
                    reason=html.escape(a.return_reason),
                )
            )
    for timer in sorted(_relevant(view), key=lambda t: (t.due_at is None, t.due_at or view.now)):
        lines.append(deadline_line(timer, view.now, view.rulers, view.zone))
    return "\n".join(lines)


def _relevant(view: CardView) -> list[Timer]:
    """The viewer's own timers first; the overall answer deadline for everyone."""
    mine = []
    departments = {a.id: a.department_id for a in view.incident.assignments}
    overseer = bool(view.viewer.roles & (CURATORS | HEADS))
    for t in view.timers:
        if not t.is_open:
            continue
        if t.assignment_id is not None and not overseer:
            own = departments.get(t.assignment_id) == view.viewer.department_id or t.holder_id == view.viewer.id
            if not own:
                continue
        if (
            t.name == "answer"
            or t.holder_id == view.viewer.id
            or (t.holder_id is None and t.holder_role in view.viewer.roles)
            or view.viewer.roles & CURATORS
            or view.viewer.roles & HEADS
        ):
            mine.append(t)
    return mine


def card_keyboard(view: CardView) -> InlineKeyboardMarkup | None:
    inc = view.incident
    assert inc.id is not None
    kb = InlineKeyboardBuilder()

    def button(label: str, action: str, x: str = "") -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=label, callback_data=IncCb(a=action, i=inc.id or 0, v=inc.version, x=x).pack()
        )

    roles = view.viewer.roles
    rows: list[list[InlineKeyboardButton]] = []
    if roles & CURATORS and inc.status in {Status.NEW, Status.DECIDED, Status.RETURNED}:
        rows.append(
            [
                button(texts.BTN_TOPIC, Act.TOPIC_MENU),
                button(texts.BTN_LOCATION, Act.LOCATION_MENU),
                button(texts.BTN_IMPORTANCE, Act.IMPORTANCE_MENU),
            ]
        )
        route = [button(texts.BTN_ASSIGN, Act.ASSIGN_MENU)]
        if view.profile.flow(inc.flow).head_decision and inc.status in {
            Status.NEW,
            Status.RETURNED,
        }:
            route.append(button(texts.BTN_TO_HEAD, Act.TO_HEAD))
        rows.append(route)
        rows.append(
            [
                button(texts.BTN_NOT_SUBJECT, Act.NOT_SUBJECT),
                button(texts.BTN_EXTERNAL, Act.EXTERNAL),
            ]
        )
        for earlier in view.repeats[:3]:
            if earlier.id is not None and earlier.id not in inc.linked_ids:
                rows.append(
                    [
                        button(
                            texts.BTN_REPEAT.format(number=earlier.number or earlier.id),
                            Act.REPEAT,
                            str(earlier.id),
                        )
                    ]
                )
        if inc.status is Status.NEW:
            rows.append([button(texts.BTN_DETECTED, Act.DETECTED)])
    if roles & HEADS and inc.status is Status.AWAITING_DECISION:
        rows.append([button(texts.BTN_DECIDE, Act.HEAD_MENU)])
        rows.append([button(texts.BTN_NO_REACTION, Act.NO_REACTION)])
    if roles & {Role.EXECUTOR, Role.DEPARTMENT_LEAD} and inc.status in {
        Status.ASSIGNED,
        Status.IN_WORK,
    }:
        mine = [
            a
            for a in inc.assignments
            if a.state is not AssignmentState.RETURNED
            and (a.executor_id == view.viewer.id or (a.department_id == view.viewer.department_id))
        ]
        if mine:
            a = mine[0]
            row = []
            if a.state is AssignmentState.PENDING and (
                Role.EXECUTOR in roles or a.executor_id is None
            ):
                row.append(button(texts.BTN_ACCEPT, Act.ACCEPT))
            can_return = view.profile.competence_return_by in roles or Role.DEPARTMENT_LEAD in roles
            if can_return and a.state in {AssignmentState.PENDING, AssignmentState.ACCEPTED}:
                row.append(button(texts.BTN_NOT_OURS, Act.RETURN))
            if row:
                rows.append(row)
    for row in rows:
        kb.row(*row)
    return kb.as_markup() if rows else None


def list_line(
    incident: Incident, timers: Sequence[Timer], now: datetime, rulers: Rulers, zone: tzinfo
) -> str:
    running = [t for t in timers if t.is_open and t.due_at is not None]
    nearest = min(running, key=lambda t: t.due_at or now, default=None)
    deadline = deadline_line(nearest, now, rulers, zone) if nearest else texts.LIST_NO_DEADLINE
    return texts.LIST_LINE.format(
        number=incident.number or incident.id,
        status=texts.STATUSES[incident.status],
        deadline=deadline,
    )

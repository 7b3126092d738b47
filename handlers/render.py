"""Cards and lists as people see them: text and buttons from the incident's current state."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from domain.durations import ClockKind
from domain.incident import Incident, Status
from domain.people import StaffMember
from domain.profiles import Profile
from domain.roles import Role
from domain.rulebook import DRAFT_MOVES, Move, current_step
from domain.timeline import Rulers
from domain.timers import Timer
from domain.work import AssignmentState
from handlers import texts
from handlers.callbacks import A, Act, IncCb

PREVIEW_CHARS = 900


def role_name(role: Role | str, profile: Profile) -> str:
    """A role as people call it: the built-in names, or the profile's title for its own."""
    value = role.value if isinstance(role, Role) else role
    if value in texts.ROLES:
        return texts.ROLES[value]
    try:
        spec = profile.roles.get(Role(value))
    except ValueError:
        spec = None
    return spec.title if spec is not None else value


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


def timer_name(name: str, profile: Profile | None = None) -> str:
    """A timer as people read it: the shipped names, or the title a configured act gives."""
    if name in texts.TIMERS:
        return texts.TIMERS[name]
    return (profile.timer_title(name) if profile is not None else "") or name


def deadline_line(
    timer: Timer, now: datetime, rulers: Rulers, zone: tzinfo, profile: Profile | None = None
) -> str:
    what = timer_name(timer.name, profile)
    if timer.is_paused:
        return texts.CARD_DEADLINE_PAUSED.format(what=what, clause=timer.clause)
    if timer.due_at is None:
        return texts.CARD_DEADLINE_UNSET.format(what=what, clause=timer.clause)
    left, over = time_left(timer, now, rulers)
    suffix = texts.WORKING if timer.clock is not ClockKind.CALENDAR else ""
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
    moves: frozenset[Move] = frozenset()
    """What the viewer may do now: the rulebook's answer, the buttons shown."""
    settable: Sequence[Timer] = ()
    """Open timers the curator may set (Barnaul 4-6)."""


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
    lines.extend(_answer_lines(view))
    for timer in sorted(_relevant(view), key=lambda t: (t.due_at is None, t.due_at or view.now)):
        lines.append(deadline_line(timer, view.now, view.rulers, view.zone, view.profile))
    return "\n".join(lines)


def _answer_lines(view: CardView) -> list[str]:
    inc = view.incident
    lines: list[str] = []
    active = [a for a in inc.assignments if a.state is not AssignmentState.RETURNED]
    if len(active) > 1 and inc.status in {Status.IN_WORK, Status.ASSIGNED}:
        ready = [a for a in active if a.part_text]
        lines.append(texts.CARD_PARTS.format(ready=len(ready), total=len(active)))
        for a in sorted(ready, key=lambda a: a.order):
            part = a.part_text or ""
            lines.append(
                texts.CARD_PART.format(
                    department=html.escape(view.departments.get(a.department_id, "?")),
                    text=html.escape(part if len(part) <= 300 else part[:300] + texts.TEXT_CUT),
                )
            )
    if inc.drafts:
        draft = inc.drafts[-1]
        kind = texts.DRAFT_KINDS[draft.kind]
        if draft.submitted_at is None and inc.status in {
            Status.IN_WORK,
            Status.REVISION,
            Status.AWAITING_FINAL,
        }:
            lines.append(
                texts.CARD_DRAFT_OPEN.format(
                    kind=kind, chars=len(draft.text), files=len(draft.attachments)
                )
            )
        elif draft.submitted_at is not None:
            body = (
                draft.text
                if len(draft.text) <= PREVIEW_CHARS
                else draft.text[:PREVIEW_CHARS] + texts.TEXT_CUT
            )
            lines.append(
                texts.CARD_DRAFT.format(
                    kind=kind, revision=draft.revision + 1, text=html.escape(body)
                )
            )
            if draft.attachments:
                lines.append(texts.CARD_MEDIA.format(count=len(draft.attachments)))
        if draft.promised_final is not None:
            lines.append(texts.CARD_PROMISED.format(date=draft.promised_final.strftime("%d.%m.%Y")))
    if inc.status is Status.REVISION:
        reasons = [a.reason for a in inc.approvals if a.reason and a.decision.value == "revision"]
        if reasons:
            lines.append(texts.CARD_REVISION_REASON.format(reason=html.escape(reasons[-1])))
    step = current_step(view.profile, inc)
    if step is not None:
        lines.append(texts.CARD_STEP.format(role=role_name(step, view.profile)))
    for pub in inc.publications[-1:]:
        label = texts.CARD_PUBLISHED if pub.public else texts.CARD_SENT_PRIVATE
        lines.append(
            label.format(
                moment=moment(pub.at, view.zone), where=html.escape(pub.link or "скриншот")
            )
        )
    if inc.outcome is not None:
        lines.append(texts.CARD_OUTCOME.format(outcome=texts.OUTCOMES[inc.outcome]))
    if inc.reaction is not None:
        lines.append(texts.CARD_REACTION.format(reaction=texts.REACTIONS[inc.reaction]))
    return lines


def _answer_rows(
    view: CardView, button: Callable[..., InlineKeyboardButton]
) -> list[list[InlineKeyboardButton]]:
    inc, moves = view.incident, view.moves
    rows: list[list[InlineKeyboardButton]] = []
    if Move.SUBMIT_PART in moves:
        rows.append([button(texts.BTN_PART, A.PART)])
    if any(m in moves for m in DRAFT_MOVES.values()):
        rows.append([button(texts.BTN_DRAFT, A.DRAFT_MENU)])
    if Move.EDIT_DRAFT in moves:
        rows.append([button(texts.BTN_SUBMIT, A.SUBMIT), button(texts.BTN_PREVIEW, A.PREVIEW)])
    if Move.RECORD_EXTERNAL in moves:
        rows.append([button(texts.BTN_EXT_OK, A.EXT_OK)])
        rows.append([button(texts.BTN_EXT_BACK, A.EXT_BACK)])
    if Move.APPROVE in moves:
        rows.append([button(texts.BTN_APPROVE, A.APPROVE), button(texts.BTN_REVISE, A.REVISE)])
    if Move.PUBLISH in moves:
        rows.append([button(texts.BTN_PUBLISHED, A.PUBLISHED)])
        rows.append([button(texts.BTN_PUBLISHED_PRIVATE, A.PUBLISHED_PRIVATE)])
    if Move.PUBLISH_GENERAL in moves:
        rows.append([button(texts.BTN_PUBLISHED_GENERAL, A.PUBLISHED_GENERAL)])
    if Move.CANNOT_PUBLISH in moves:
        rows.append([button(texts.BTN_CANT_PUBLISH, A.CANT_PUBLISH)])
    if (
        Move.PREVIEW in moves
        and Move.EDIT_DRAFT not in moves
        and inc.status in {Status.UNDER_APPROVAL, Status.APPROVED}
    ):
        rows.append([button(texts.BTN_PREVIEW, A.PREVIEW)])
    if Move.AUTHOR_REPLIED in moves:
        rows.append([button(texts.BTN_AUTHOR_REPLIED, A.AUTHOR_REPLIED)])
    if Move.AUTHOR_SILENT in moves:
        rows.append([button(texts.BTN_AUTHOR_SILENT, A.AUTHOR_SILENT)])
    if Move.SET_DEADLINE in moves:
        for timer in view.settable:
            what = timer_name(timer.name, view.profile)
            rows.append(
                [button(texts.BTN_SET_DEADLINE.format(what=what), Act.DEADLINE, timer.name)]
            )
    if Move.CONVERT in moves:
        rows.append([button(texts.BTN_CONVERT, A.CONVERT)])
    if Move.REACTION in moves:
        rows.append([button(label, A.REACTION, code) for code, label in texts.REACTIONS.items()])
    return rows


def _relevant(view: CardView) -> list[Timer]:
    """The viewer's own timers first; the overall answer deadline for everyone."""
    mine = []
    departments = {a.id: a.department_id for a in view.incident.assignments}
    overseer = view.profile.oversees(view.viewer.roles)
    total = view.profile.flow(view.incident.flow).total
    for t in view.timers:
        if not t.is_open:
            continue
        if t.assignment_id is not None and not overseer:
            own = (
                departments.get(t.assignment_id) == view.viewer.department_id
                or t.holder_id == view.viewer.id
            )
            if not own:
                continue
        if (
            t.name == total
            or t.holder_id == view.viewer.id
            or (t.holder_id is None and t.holder_role in view.viewer.roles)
            or overseer
        ):
            mine.append(t)
    return mine


ROW_WIDTH = 8
"""Telegram's and aiogram's builder's widest row; a longer one is split like the builder does."""
MAX_BUTTONS = 100


def markup(rows: Iterable[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """The keyboard of these rows, as aiogram's `InlineKeyboardBuilder` makes it (rows over
    8 buttons split, more than 100 refused) without the builder's deep copy of every button
    (pydantic's deepcopy: a twelfth of a press's CPU)."""
    kept = [
        list(row[start : start + ROW_WIDTH])
        for row in rows
        for start in range(0, len(row), ROW_WIDTH)
        if row
    ]
    if sum(len(row) for row in kept) > MAX_BUTTONS:
        raise ValueError(f"a keyboard holds at most {MAX_BUTTONS} buttons")
    return InlineKeyboardMarkup(inline_keyboard=kept)


def grid(buttons: Sequence[InlineKeyboardButton], width: int) -> InlineKeyboardMarkup:
    """The buttons `width` to a row, the last row holding what is left."""
    return markup(buttons[start : start + width] for start in range(0, len(buttons), width))


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    """A button whose press sends `data`, packed."""
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def card_keyboard(view: CardView) -> InlineKeyboardMarkup | None:
    """Exactly the buttons of the moves the rulebook allows the viewer now."""
    inc, moves = view.incident, view.moves
    assert inc.id is not None

    def button(label: str, action: str, x: str = "") -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=label, callback_data=IncCb(a=action, i=inc.id or 0, v=inc.version, x=x).pack()
        )

    rows: list[list[InlineKeyboardButton]] = []
    if Move.TAG in moves:
        rows.append(
            [
                button(texts.BTN_TOPIC, Act.TOPIC_MENU),
                button(texts.BTN_LOCATION, Act.LOCATION_MENU),
                button(texts.BTN_IMPORTANCE, Act.IMPORTANCE_MENU),
            ]
        )
    route = []
    if Move.ASSIGN in moves:
        route.append(button(texts.BTN_ASSIGN, Act.ASSIGN_MENU))
    if Move.SEND_TO_HEAD in moves:
        route.append(button(texts.BTN_TO_HEAD, Act.TO_HEAD))
    if route:
        rows.append(route)
    outside = []
    if Move.NOT_SUBJECT in moves:
        outside.append(button(texts.BTN_NOT_SUBJECT, Act.NOT_SUBJECT))
    if Move.PASS_EXTERNAL in moves:
        outside.append(button(texts.BTN_EXTERNAL, Act.EXTERNAL))
    if outside:
        rows.append(outside)
    if Move.LINK_REPEAT in moves and inc.status is Status.NEW:
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
    if Move.SET_DETECTED in moves:
        rows.append([button(texts.BTN_DETECTED, Act.DETECTED)])
    if Move.HEAD_DECIDE in moves:
        rows.append([button(texts.BTN_DECIDE, Act.HEAD_MENU)])
    if Move.HEAD_NO_REACTION in moves:
        rows.append([button(texts.BTN_NO_REACTION, Act.NO_REACTION)])
    share = []
    if Move.ACCEPT in moves:
        share.append(button(texts.BTN_ACCEPT, Act.ACCEPT))
    if Move.CONFIRM_COMPETENCE in moves:
        share.append(button(texts.BTN_OURS, Act.OURS))
    if Move.RETURN in moves:
        share.append(button(texts.BTN_NOT_OURS, Act.RETURN))
    if share:
        rows.append(share)
    rows.extend(_answer_rows(view, button))
    return markup(rows) if rows else None


class Listed(Protocol):
    """What a list line shows of an incident: a whole one, or its head (`IncidentHead`)."""

    @property
    def id(self) -> int | None: ...

    @property
    def number(self) -> str | None: ...

    @property
    def status(self) -> Status: ...

    @property
    def version(self) -> int: ...


def list_line(
    incident: Listed, timers: Sequence[Timer], now: datetime, rulers: Rulers, zone: tzinfo
) -> str:
    running = [t for t in timers if t.is_open and t.due_at is not None]
    nearest = min(running, key=lambda t: t.due_at or now, default=None)
    deadline = deadline_line(nearest, now, rulers, zone) if nearest else texts.LIST_NO_DEADLINE
    return texts.LIST_LINE.format(
        number=incident.number or incident.id,
        status=texts.STATUSES[incident.status],
        deadline=deadline,
    )

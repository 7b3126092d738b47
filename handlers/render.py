"""Cards and lists as people see them: text and buttons from the incident's current state."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from domain.answering import current_step, open_draft
from domain.durations import ClockKind
from domain.incident import OPEN, Incident, Status
from domain.people import StaffMember
from domain.profiles import Profile
from domain.roles import HEADS, Role
from domain.timeline import Rulers
from domain.timers import Timer
from domain.work import AssignmentState
from handlers import texts
from handlers.callbacks import A, Act, IncCb

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
    lines.extend(_answer_lines(view))
    for timer in sorted(_relevant(view), key=lambda t: (t.due_at is None, t.due_at or view.now)):
        lines.append(deadline_line(timer, view.now, view.rulers, view.zone))
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
        lines.append(texts.CARD_STEP.format(role=texts.ROLES[step]))
    for pub in inc.publications[-1:]:
        lines.append(
            texts.CARD_PUBLISHED.format(
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
    inc, viewer, profile = view.incident, view.viewer, view.profile
    roles = viewer.roles
    rows: list[list[InlineKeyboardButton]] = []
    active = sorted(
        (a for a in inc.assignments if a.state is not AssignmentState.RETURNED),
        key=lambda a: a.order,
    )
    drafting = inc.status in {Status.IN_WORK, Status.REVISION, Status.AWAITING_FINAL}
    draft = open_draft(inc)
    if drafting:
        joint = len(active) > 1
        mine = [a for a in active if a.executor_id == viewer.id]
        if (
            joint
            and mine
            and mine[0].state is AssignmentState.ACCEPTED
            and inc.status is Status.IN_WORK
        ):
            rows.append([button(texts.BTN_PART, A.PART)])
        all_parts = all(a.part_text for a in active) if joint else True
        if joint:
            writer = (
                roles & {Role.CURATOR, Role.ADMIN}
                if profile.joint_answer_by.value == "curator"
                else (active[-1].executor_id == viewer.id)
            )
        else:
            writer = bool(mine) or (
                Role.DEPARTMENT_LEAD in roles
                and any(a.department_id == viewer.department_id for a in active)
            )
        if writer and all_parts:
            rows.append([button(texts.BTN_DRAFT, A.DRAFT_MENU)])
        if draft is not None and draft.author_id == viewer.id:
            rows.append([button(texts.BTN_SUBMIT, A.SUBMIT), button(texts.BTN_PREVIEW, A.PREVIEW)])
    if inc.status is Status.UNDER_APPROVAL:
        step = current_step(profile, inc)
        if step is Role.EXTERNAL_CURATOR and roles & CURATORS:
            rows.append([button(texts.BTN_EXT_OK, A.EXT_OK)])
            rows.append([button(texts.BTN_EXT_BACK, A.EXT_BACK)])
        elif step is not None and step in roles:
            rows.append([button(texts.BTN_APPROVE, A.APPROVE), button(texts.BTN_REVISE, A.REVISE)])
        rows.append([button(texts.BTN_PREVIEW, A.PREVIEW)])
    if inc.status is Status.APPROVED:
        last = inc.drafts[-1] if inc.drafts else None
        publisher = profile.publisher
        can = (
            (last is not None and last.author_id == viewer.id)
            if publisher in {Role.EXECUTOR, Role.DEPARTMENT_LEAD}
            else publisher in roles
        )
        if can:
            rows.append([button(texts.BTN_PUBLISHED, A.PUBLISHED)])
            rows.append([button(texts.BTN_PUBLISHED_PRIVATE, A.PUBLISHED_PRIVATE)])
            if profile.name == "gulkevichi":
                rows.append([button(texts.BTN_PUBLISHED_GENERAL, A.PUBLISHED_GENERAL)])
            rows.append([button(texts.BTN_CANT_PUBLISH, A.CANT_PUBLISH)])
        rows.append([button(texts.BTN_PREVIEW, A.PREVIEW)])
    if roles & CURATORS:
        if inc.status is Status.CLARIFICATION:
            rows.append([button(texts.BTN_AUTHOR_REPLIED, A.AUTHOR_REPLIED)])
        convertible = inc.status in OPEN - {
            Status.PUBLISHED,
            Status.UNDER_APPROVAL,
            Status.APPROVED,
            Status.NEW,
        }
        if convertible:
            rows.append([button(texts.BTN_CONVERT, A.CONVERT)])
        if (
            inc.status is Status.CLOSED
            and inc.reaction is None
            and inc.outcome is not None
            and inc.outcome.value.startswith("answered")
        ):
            rows.append(
                [button(label, A.REACTION, code) for code, label in texts.REACTIONS.items()]
            )
    return rows


def _relevant(view: CardView) -> list[Timer]:
    """The viewer's own timers first; the overall answer deadline for everyone."""
    mine = []
    departments = {a.id: a.department_id for a in view.incident.assignments}
    overseer = bool(view.viewer.roles & (CURATORS | HEADS))
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
    rows.extend(_answer_rows(view, button))
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

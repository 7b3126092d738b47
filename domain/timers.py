"""Open timers: one per running deadline, with its due moment, so "what is due" is one query."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.durations import ClockKind
from domain.roles import Role


@dataclass(frozen=True, slots=True)
class TimerPause:
    started_at: datetime
    ended_at: datetime | None = None
    """None while the pause lasts (a clarification awaited): the timer is frozen."""


@dataclass(slots=True)
class Timer:
    id: int | None
    incident_id: int
    name: str
    clause: str
    clock: ClockKind
    started_at: datetime
    due_at: datetime | None
    """None while paused: the due moment is recomputed when the pause ends."""
    holder_id: int | None
    holder_role: Role
    assignment_id: int | None = None
    pauses: list[TimerPause] = field(default_factory=list)
    stopped_at: datetime | None = None
    breached_at: datetime | None = None
    remind_at: datetime | None = None
    """When the sweep next looks at it: a reminder, or the breach at `due_at`; None when done."""
    window: bool = False
    """A window, not a deadline (Lipetsk 7): it closes quietly; only its action done after
    it is a breach (`breached_at`)."""
    used: bool = False
    """A window whose action was done within it: a repetition later (a second clarification
    request after the first was returned) is not late."""

    @property
    def is_open(self) -> bool:
        return self.stopped_at is None

    @property
    def is_paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].ended_at is None


class ReminderKind(StrEnum):
    HALFWAY = "halfway"
    ONE_HOUR = "one_hour"
    TEN_MINUTES = "ten_minutes"
    BREACH = "breach"
    ESCALATION = "escalation"


@dataclass(frozen=True, slots=True)
class ReminderKey:
    """A reminder goes out once: unique per incident, timer and kind."""

    incident_id: int
    timer_name: str
    kind: str


class NoticeKind(StrEnum):
    """What a person is told. The sender renders the Russian text when it sends."""

    CARD = "card"
    """Draw or redraw the person's card of the incident (edited in place)."""
    SIGNIFICANT = "significant"
    """A socially significant message: the heads are told at once."""
    RETURNED = "returned"
    """"Not our competence": the curator re-routes."""
    ASSIGNED = "assigned"
    DECISION_NEEDED = "decision_needed"
    NOBODY_CAN_ACT = "nobody_can_act"
    """An executor is absent with no present substitute, or blocked the bot."""
    BLOCKED = "blocked"
    """A staff member blocked the bot: the curators are told (`payload["name"]`)."""
    UPDATE_SKIPPED = "update_skipped"
    """An update from Telegram could not be read and was skipped: the administrators are told
    (`payload["update_id"]`, `payload["reason"]`)."""
    REMINDER = "reminder"
    BREACH = "breach"
    REGISTERED = "registered"
    """The curator's post is registered: told `payload["number"]`, `payload["files"]` (an album's
    files, 0 for one message) and `payload["repeats"]` (the numbers of likely repeats). Queued,
    not sent by the handler: a reply would hold the update until the chat's turn under
    Telegram's per-chat limit, and would be lost with a failed request."""
    TEXT = "text"
    """A plain text in `payload["text"]` (reports, for example)."""
    REVISION = "revision"
    """A draft sent back for revision: `payload["reason"]`, `payload["role"]` of the approver."""
    AUTHOR_REPLIED = "author_replied"
    """The author answered a clarification request: their words in `payload["text"]`."""
    ALERT = "alert"
    """Somebody must be told at once, as the profile's `alerts` say: `payload["event"]` (a
    message not subject to answer, outside competence, not publishable), `payload["clause"]`;
    `payload["to_external"]` when the chat is the external curator's."""
    PUBLICATION_FAILED = "publication_failed"
    """The answer cannot be published where the post was: tell the external curator
    (Barnaul 8). `payload["reason"]`."""
    # ---- reports (domain/reports.py; rendered by bot/reporting.py) ----
    REPORT = "report"
    """A report: `payload["run_id"]` of a scheduled run, or the period of one asked for
    (`kind`, `start`, `end`). Text, chart and workbook are made from the database at send time."""
    DISCIPLINE = "discipline"
    """The discipline log of a period (`kind`, `start`, `end`, `format`: xlsx or csv)."""
    SURGE = "surge"
    """Heightened social activity: many messages on one topic and location (Lipetsk 21)."""
    CONTENT_REMINDER = "content_reminder"
    """The official accounts have not posted for a while (Myasnikovsky 6)."""


@dataclass(frozen=True, slots=True)
class Lane:
    """A share of the outbox one sender delivers: the notices of `kinds`, or (`other`) of
    every kind but those. Order is kept within a lane, so the other lane overtakes it."""

    kinds: frozenset[NoticeKind]
    other: bool = False

    def holds(self, kind: NoticeKind) -> bool:
        return (kind in self.kinds) is not self.other


HEAVY = frozenset({NoticeKind.REPORT, NoticeKind.DISCIPLINE})
"""Notices that take seconds to make (queries over a period, a chart, a workbook)."""
REPORTS_LANE = Lane(HEAVY)
NOTICES_LANE = Lane(HEAVY, other=True)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A notice to deliver, written in the same transaction as the change that caused it.

    It carries facts, not text: the sender renders the current state in Russian when it sends,
    so a card redrawn late never shows an older state than the database."""

    id: int | None
    created_at: datetime
    kind: NoticeKind
    recipient_id: int | None = None
    """A staff member (the sender finds their chat)."""
    chat_id: int | None = None
    """Or a chat directly: a configured group."""
    incident_id: int | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    dedupe_key: str | None = None
    """Unique when set: the same notice is never queued twice (reminders, reports)."""
    sent_at: datetime | None = None
    attempts: int = 0
    not_before: datetime | None = None
    """Retry backoff: not sent before this moment."""
    failed: str | None = None
    progress: int = 0
    """Parts of a notice in several messages (a report's text, chart and workbook) already
    delivered: a retry goes on after them instead of sending them again."""

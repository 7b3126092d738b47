"""Open timers: one per running deadline, with its due moment, so "what is due" is one query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

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


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message to send, written in the same transaction as the change that caused it."""

    id: int | None
    chat_id: int
    text: str
    created_at: datetime
    reply_markup: str | None = None
    """JSON of an inline keyboard, as the Bot API takes it."""
    incident_id: int | None = None
    dedupe_key: str | None = None
    sent_at: datetime | None = None
    attempts: int = 0
    failed: str | None = None

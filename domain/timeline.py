"""A profile's timers turned into due moments for one incident."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.clock import require_aware
from domain.durations import ClockKind, Duration
from domain.incident import Importance
from domain.profiles import Flow, Profile, TimerSpec, TimerStart
from domain.worktime import Pause, TimeRuler

Ruler = TimeRuler


@dataclass(frozen=True, slots=True)
class Rulers:
    working: Ruler
    calendar: Ruler

    def for_clock(self, clock: ClockKind) -> Ruler:
        return self.working if clock is ClockKind.WORKING else self.calendar


def effective_clock(profile: Profile, timer: TimerSpec, importance: Importance) -> ClockKind:
    """Emergencies run on days off too where the act says so (Gulkevichi 3.10)."""
    if profile.emergency_on_days_off and importance is Importance.SIGNIFICANT:
        return ClockKind.CALENDAR
    return timer.clock


def due_after(
    ruler: Ruler, start: datetime, length: Duration, pauses: Sequence[Pause] = ()
) -> datetime:
    if length.days:
        return ruler.add_days(start, length.days, pauses)
    return ruler.add(start, length.delta, pauses)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    timer: TimerSpec
    clock: ClockKind
    due: datetime | None
    """Known when the timer's clock starts at detection (or an external deadline governs it)."""
    external: bool = False
    """The due moment is the external system's deadline."""


def timeline(
    profile: Profile,
    flow: Flow,
    rulers: Rulers,
    detected: datetime,
    importance: Importance = Importance.ORDINARY,
    external_deadline: datetime | None = None,
) -> tuple[TimelineEntry, ...]:
    """Every timer of the flow; due moments for those that start at detection and those
    measured back from them (the draft due 4 hours before the total deadline, Lipetsk 9)."""
    require_aware(detected, "detected")
    if external_deadline is not None:
        require_aware(external_deadline, "external deadline")
    dues: dict[str, TimelineEntry] = {}
    pending = list(flow.timers.values())
    # `before` timers depend on others; resolve in dependency order (profiles forbid cycles
    # only by construction, so bound the passes).
    for _ in range(len(pending) + 1):
        rest = []
        for timer in pending:
            entry = _entry(profile, timer, rulers, detected, importance, external_deadline, dues)
            if entry is None:
                rest.append(timer)
            else:
                dues[timer.name] = entry
        pending = rest
        if not pending:
            break
    for timer in pending:
        dues[timer.name] = TimelineEntry(timer, effective_clock(profile, timer, importance), None)
    return tuple(dues[name] for name in flow.timers)


def _entry(
    profile: Profile,
    timer: TimerSpec,
    rulers: Rulers,
    detected: datetime,
    importance: Importance,
    external_deadline: datetime | None,
    known: dict[str, TimelineEntry],
) -> TimelineEntry | None:
    clock = effective_clock(profile, timer, importance)
    ruler = rulers.for_clock(clock)
    if timer.external_governs and external_deadline is not None:
        return TimelineEntry(timer, clock, external_deadline, external=True)
    if timer.before is not None:
        ref = known.get(timer.before)
        if ref is None:
            return None
        if ref.due is None or timer.length is None:
            return TimelineEntry(timer, clock, None)
        return TimelineEntry(
            timer, clock, max(detected, ruler.subtract(ref.due, timer.length.delta))
        )
    if timer.start is TimerStart.DETECTED and timer.length is not None:
        return TimelineEntry(timer, clock, due_after(ruler, detected, timer.length))
    return TimelineEntry(timer, clock, None)

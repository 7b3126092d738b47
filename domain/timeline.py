"""A profile's timers turned into due moments for one incident."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.clock import require_aware
from domain.durations import ClockKind, Duration
from domain.incident import Importance
from domain.profiles import Event, ExternalRule, Flow, Profile, TimerSpec
from domain.worktime import Pause, TimeRuler

Ruler = TimeRuler


@dataclass(frozen=True, slots=True)
class Rulers:
    working: Ruler
    calendar: Ruler
    every_day: Ruler
    """Working days as `working`, days off worked with the usual hours (Gulkevichi 3.10)."""

    def for_clock(self, clock: ClockKind) -> Ruler:
        if clock is ClockKind.WORKING:
            return self.working
        if clock is ClockKind.EVERY_DAY:
            return self.every_day
        return self.calendar


def effective_clock(profile: Profile, timer: TimerSpec, importance: Importance) -> ClockKind:
    """The timer's clock; for a socially significant message the one the timer or the profile
    names for it (Gulkevichi 3.10: days off are worked too, `every_day`)."""
    if importance is Importance.SIGNIFICANT:
        return timer.significant_clock or profile.significant_clock or timer.clock
    return timer.clock


def effective_length(timer: TimerSpec, importance: Importance) -> Duration | None:
    """The act's figure; for a socially significant message the timer's own figure for it."""
    if importance is Importance.SIGNIFICANT and timer.significant_length is not None:
        return timer.significant_length
    return timer.length


def due_of(
    profile: Profile,
    timer: TimerSpec,
    rulers: Rulers,
    start: datetime,
    importance: Importance,
    external_deadline: datetime | None,
    reference: datetime | None = None,
) -> datetime | None:
    """When a timer started at `start` is due: the act's figure (measured back from the
    `reference` timer's due moment for a `before` timer), combined with the external deadline
    as the timer says. None: no figure and no external deadline (the curator sets it), or a
    `before` timer that started with less than its figure left (it binds nobody)."""
    ruler = rulers.for_clock(effective_clock(profile, timer, importance))
    length = effective_length(timer, importance)
    own: datetime | None = None
    if timer.before is not None:
        if reference is not None and length is not None:
            own = ruler.subtract(reference, length.delta)
            if own <= start:
                # The message reached them with less than `length` left: the act's condition
                # cannot be met, so it binds nobody; the reference deadline still does.
                own = None
    elif length is not None:
        own = due_after(ruler, start, length)
    if timer.external is ExternalRule.NONE or external_deadline is None:
        return own
    if timer.external is ExternalRule.EXTERNAL or own is None:
        return external_deadline
    return min(own, external_deadline)


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
    reference: datetime | None = None
    if timer.before is not None:
        ref = known.get(timer.before)
        if ref is None:
            return None
        reference = ref.due
        if reference is None:
            return TimelineEntry(timer, clock, None)
    elif not timer.starts_on(Event.DETECTED, None):
        if timer.external is ExternalRule.EXTERNAL and external_deadline is not None:
            return TimelineEntry(timer, clock, external_deadline, external=True)
        return TimelineEntry(timer, clock, None)
    due = due_of(profile, timer, rulers, detected, importance, external_deadline, reference)
    external = (
        external_deadline is not None
        and due == external_deadline
        and timer.external is not ExternalRule.NONE
    )
    return TimelineEntry(timer, clock, due, external=external)

"""Exact working-time arithmetic for regulation deadlines.

A `WorkingTime` engine answers "when does N working hours after X end", "how much working
time lies between X and Y" and "end of the N-th working day after X" for one organisation:
its time zone, its weekly schedule (intervals of local wall-clock minutes, lunch breaks
included), the official Russian production calendar (through the `CalendarFacts` port),
configured overrides, the pre-holiday shortening of art. 95 of the Labour Code, and pauses.

Rules shared by every operation:

* Datetimes must be aware (naive → ValueError); results are in the organisation's zone.
* The internal unit is the whole second. Input datetimes and amounts with a sub-second
  part are rounded to the nearest second (half up) before any arithmetic, so results are
  always whole seconds and `between(s, add(s, n)) == n` holds exactly.
* Working time is measured, so interval ends do not matter for `add`/`between`; for
  `is_working` an interval is half-open: 09:00 is working time, 18:00 is not.
* Local wall-clock boundaries are converted to UTC with `fold=0` (the first occurrence of
  an ambiguous time); boundaries inside a DST gap are clamped so that intervals never run
  backwards. An interval that spans a DST change therefore counts real elapsed seconds.
  Russian zones have no DST, so this only matters for foreign zones.
* Tables are built lazily per calendar year and cached: one flat list of UTC working
  intervals with running totals of working seconds, plus a per-day index. `add`,
  `subtract` and `between` are two binary searches each, never a walk over days.
* An engine is not thread-safe (lazy caches, `last_uncovered_years`); the bot uses it from
  one event loop.
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Protocol

logger = logging.getLogger("otklik.worktime")

Interval = tuple[int, int]
"""Local wall-clock minutes from midnight, start < end, within 0..1440."""
DaySchedule = tuple[Interval, ...]
Pause = tuple[datetime, datetime]
"""A closed interval of aware datetimes during which working time does not count."""

MINUTES_PER_DAY = 24 * 60
FIX_KEYS = ("calendar.extra_days_off", "calendar.extra_workdays")

STATUTORY_HOLIDAYS: frozenset[tuple[int, int]] = frozenset(
    {(1, day) for day in range(1, 9)} | {(2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)}
)
"""Non-working holidays of art. 112 of the Labour Code as (month, day)."""

_ZERO = timedelta(0)
_FIRST_YEAR = 2
_LAST_YEAR = 9998


def is_statutory_holiday(day: date) -> bool:
    return (day.month, day.day) in STATUTORY_HOLIDAYS


def _precedes_statutory_holiday(day: date) -> bool:
    if day.month == 12 and day.day == 31:
        return True
    return is_statutory_holiday(day + timedelta(days=1))


@dataclass(frozen=True, slots=True)
class YearFacts:
    """The official production calendar of one year.

    `days_off`: official non-working days (holidays, days off they were moved to,
    transferred days off). `working_days`: a weekend day made working → the date of the
    weekday it replaces (it follows that weekday's schedule).
    """

    days_off: frozenset[date]
    working_days: Mapping[date, date] = field(default_factory=dict)


class CalendarFacts(Protocol):
    """Port: the official production calendar."""

    def year(self, year: int) -> YearFacts | None:
        """None means no decree is known for that year."""
        ...


class NoOfficialCalendar:
    """No decree for any year: statutory holidays only, every year reported uncovered."""

    def year(self, year: int) -> YearFacts | None:
        return None


class StaticCalendarFacts:
    """Facts given as a mapping year → YearFacts; years missing from it are uncovered."""

    def __init__(self, years: Mapping[int, YearFacts]) -> None:
        self._years = dict(years)

    def year(self, year: int) -> YearFacts | None:
        return self._years.get(year)


def uncovered_years_message(years: Iterable[int]) -> str:
    """The warning shown to administrators; it names the config keys that fix it."""
    listed = ", ".join(str(y) for y in sorted(set(years)))
    return (
        f"no production calendar decree is known for {listed}: only the statutory holidays "
        f"of art. 112 are days off there (no transferred days off, no working weekends); "
        f"set {FIX_KEYS[0]} and {FIX_KEYS[1]} to fix it"
    )


class TimeRuler(Protocol):
    """What timers need from a clock of durations: working time or plain calendar time."""

    def add(self, start: datetime, amount: timedelta, pauses: Iterable[Pause] = ()) -> datetime:
        """The earliest moment m >= start with `amount` of counted time in [start, m]."""
        ...

    def subtract(self, end: datetime, amount: timedelta) -> datetime:
        """The latest moment m <= end with `amount` of counted time in [m, end]."""
        ...

    def between(self, start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> timedelta:
        """Counted time in [start, end] minus pauses."""
        ...

    def add_days(self, start: datetime, days: int, pauses: Iterable[Pause] = ()) -> datetime:
        """A deadline of `days` days after start."""
        ...

    def is_working(self, moment: datetime) -> bool: ...

    def next_working_moment(self, moment: datetime) -> datetime: ...

    def working_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]: ...

    def uncovered_years(self, start: datetime, end: datetime) -> tuple[int, ...]: ...

    @property
    def last_uncovered_years(self) -> tuple[int, ...]:
        """Uncovered years touched by the last add/subtract/between/add_days call."""
        ...


def _epoch(moment: datetime) -> int:
    """Whole UTC seconds since the epoch, sub-second part rounded half up."""
    if moment.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware: {moment.isoformat()}")
    if moment.microsecond:
        return math.floor(moment.timestamp() + 0.5)
    return int(moment.timestamp())


def _seconds(amount: timedelta) -> int:
    if amount < _ZERO:
        raise ValueError(f"amount must not be negative: {amount}")
    seconds = amount.days * 86400 + amount.seconds
    return seconds + 1 if amount.microseconds >= 500_000 else seconds


def _merge_pauses(pauses: Iterable[Pause]) -> list[tuple[int, int]]:
    items = []
    for begin, end in pauses:
        a, b = _epoch(begin), _epoch(end)
        if b < a:
            raise ValueError(f"pause ends before it starts: {begin} .. {end}")
        if b > a:
            items.append((a, b))
    items.sort()
    merged: list[tuple[int, int]] = []
    for a, b in items:
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _shorten(intervals: DaySchedule, minutes: int) -> DaySchedule:
    """Cut `minutes` of working time from the end of the day, across intervals."""
    result = list(intervals)
    while minutes > 0 and result:
        start, end = result[-1]
        if end - start <= minutes:
            minutes -= end - start
            result.pop()
        else:
            result[-1] = (start, end - minutes)
            minutes = 0
    return tuple(result)


def _validate_day(label: str, day: Sequence[tuple[int, int]]) -> DaySchedule:
    intervals = tuple((int(s), int(e)) for s, e in day)
    previous_end = 0
    for start, end in intervals:
        if not 0 <= start < end <= MINUTES_PER_DAY or start < previous_end:
            raise ValueError(
                f"{label}: intervals must be sorted, non-overlapping, "
                f"within 0..1440 minutes: {intervals}"
            )
        previous_end = end
    return intervals


def _validate_schedule(schedule: Sequence[Sequence[tuple[int, int]]]) -> tuple[DaySchedule, ...]:
    if len(schedule) != 7:
        raise ValueError("the weekly schedule needs 7 days, Monday first")
    week = tuple(_validate_day(f"weekday {index}", day) for index, day in enumerate(schedule))
    if not any(week):
        raise ValueError("the weekly schedule has no working time at all")
    return week


class _NeedYear(Exception):
    """Internal: the tables must be extended to `year` and the computation retried."""

    def __init__(self, year: int) -> None:
        self.year = year


@dataclass(slots=True)
class _YearTable:
    starts: list[int]
    ends: list[int]
    day_counts: list[int]
    first_ordinal: int
    lo: int
    hi: int


class WorkingTime:
    """Working-time arithmetic for one organisation (see the module docstring).

    `schedule`: 7 tuples (Monday..Sunday) of (start, end) local minutes; empty = day off.
    `extra_days_off` and `extra_workdays` (date → weekday index whose schedule it follows)
    beat the official calendar. Statutory holidays of art. 112 are days off even if the
    calendar port forgot them, unless an extra workday says otherwise.

    Pre-holiday rule (art. 95): a working day is shortened by `preholiday_shortening_minutes`
    from the end when the next calendar day is an art. 112 holiday; a working weekend day
    that replaces such a weekday is shortened too. A day that loses all its working time
    to shortening is not a working day.

    `days_off_schedule` (the `every_day` clock, Gulkevichi 3.10): a day that would have no
    working time at all (weekend, holiday, transferred or extra day off, a day shortened to
    nothing) gets these intervals instead, unshortened; working days are unchanged.
    """

    def __init__(
        self,
        zone: tzinfo,
        schedule: Sequence[Sequence[tuple[int, int]]],
        calendar: CalendarFacts,
        *,
        extra_days_off: Iterable[date] = (),
        extra_workdays: Mapping[date, int] | None = None,
        preholiday_shortening_minutes: int = 60,
        days_off_schedule: Sequence[tuple[int, int]] | None = None,
    ) -> None:
        self._zone = zone
        self._week = _validate_schedule(schedule)
        self._days_off: DaySchedule = ()
        if days_off_schedule is not None:
            self._days_off = _validate_day("days off schedule", days_off_schedule)
            if not self._days_off:
                raise ValueError("the days off schedule has no working time at all")
        self._calendar = calendar
        self._extra_off = frozenset(extra_days_off)
        self._extra_work = dict(extra_workdays or {})
        for day, weekday in self._extra_work.items():
            if not 0 <= weekday <= 6:
                raise ValueError(f"extra workday {day}: weekday index must be 0..6: {weekday}")
            if day in self._extra_off:
                raise ValueError(f"{day} is both an extra day off and an extra workday")
        if preholiday_shortening_minutes < 0:
            raise ValueError("preholiday_shortening_minutes must not be negative")
        self._shortening = preholiday_shortening_minutes

        self._facts: dict[int, YearFacts | None] = {}
        self._uncovered: set[int] = set()
        self._years: dict[int, _YearTable] = {}
        self._y0 = 0
        self._y1 = -1
        self._lo = 0
        self._hi = -1
        self._base_ordinal = 0
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._cum_start: list[int] = []
        self._cum_end: list[int] = []
        self._day_first: list[int] = [0]
        self._wd_before: list[int] = [0]
        self._wd_end: list[int] = []
        self._last = (0, 0)

    @property
    def zone(self) -> tzinfo:
        return self._zone

    # ---- public operations -------------------------------------------------------------

    def add(self, start: datetime, amount: timedelta, pauses: Iterable[Pause] = ()) -> datetime:
        """The earliest m >= start with working time in [start, m] minus pauses == amount.

        A deadline landing exactly on the end of a working interval is that end.
        """
        t = _epoch(start)
        s = _seconds(amount)
        if s == 0:
            self._last = (t, t)
            return start.astimezone(self._zone)
        merged = _merge_pauses(pauses) if pauses else None
        while True:
            try:
                m = self._add(t, s, merged)
                break
            except _NeedYear as need:
                self._extend(need.year)
        self._last = (t, m)
        return datetime.fromtimestamp(m, self._zone)

    def subtract(self, end: datetime, amount: timedelta) -> datetime:
        """The latest m <= end with working time in [m, end] == amount.

        Four working hours before 18:00 with lunch 13:00-14:00 is 14:00, not 13:00.
        """
        t = _epoch(end)
        s = _seconds(amount)
        if s == 0:
            self._last = (t, t)
            return end.astimezone(self._zone)
        while True:
            try:
                m = self._solve_backward(self._w(t) - s)
                break
            except _NeedYear as need:
                self._extend(need.year)
        self._last = (m, t)
        return datetime.fromtimestamp(m, self._zone)

    def between(self, start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> timedelta:
        """Working time in [start, end] minus the working time inside pauses."""
        a = _epoch(start)
        b = _epoch(end)
        if b < a:
            raise ValueError(f"end {end} is before start {start}")
        merged = _merge_pauses(pauses) if pauses else None
        while True:
            try:
                seconds = self._between(a, b, merged)
                break
            except _NeedYear as need:
                self._extend(need.year)
        self._last = (a, b)
        return timedelta(seconds=seconds)

    def add_days(self, start: datetime, days: int, pauses: Iterable[Pause] = ()) -> datetime:
        """End of the N-th working day strictly after start's local date ("within N
        working days from the day of X"): the end of its last interval, after shortening.

        With pauses, the deadline D keeps the working time it granted: the result is
        `add(start, between(start, D), pauses)`, i.e. D moves later by the working time the
        pauses took, including pauses that fall into the extension itself.
        """
        if days < 1:
            raise ValueError(f"days must be >= 1: {days}")
        t = _epoch(start)
        ordinal = start.astimezone(self._zone).toordinal()
        merged = _merge_pauses(pauses) if pauses else None
        while True:
            try:
                m = self._add_days(t, ordinal, days, merged)
                break
            except _NeedYear as need:
                self._extend(need.year)
        self._last = (t, m)
        return datetime.fromtimestamp(m, self._zone)

    def is_working(self, moment: datetime) -> bool:
        """Whether the moment lies inside a working interval [start, end)."""
        ts = self._timestamp(moment)
        while True:
            try:
                return self._locate(ts) >= 0
            except _NeedYear as need:
                self._extend(need.year)

    def next_working_moment(self, moment: datetime) -> datetime:
        """The moment itself if it is working time, else the start of the next interval."""
        ts = self._timestamp(moment)
        while True:
            try:
                if self._locate(ts) >= 0:
                    return moment.astimezone(self._zone)
                i = bisect_right(self._starts, ts)
                if i == len(self._starts):
                    raise _NeedYear(self._y1 + 1)
                return datetime.fromtimestamp(self._starts[i], self._zone)
            except _NeedYear as need:
                self._extend(need.year)

    def working_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The day's working intervals, after calendar, overrides and shortening."""
        if not self._y0 <= day.year <= self._y1:
            self._extend(day.year)
        k = day.toordinal() - self._base_ordinal
        zone = self._zone
        return tuple(
            (
                datetime.fromtimestamp(self._starts[i], zone),
                datetime.fromtimestamp(self._ends[i], zone),
            )
            for i in range(self._day_first[k], self._day_first[k + 1])
        )

    def uncovered_years(self, start: datetime, end: datetime) -> tuple[int, ...]:
        """Years touched by [start, end] (local dates) with no known decree."""
        first = start.astimezone(self._zone).year
        last = end.astimezone(self._zone).year
        if last < first:
            raise ValueError(f"end {end} is before start {start}")
        return tuple(y for y in range(first, last + 1) if self._year_facts(y) is None)

    @property
    def last_uncovered_years(self) -> tuple[int, ...]:
        """Uncovered years touched by the last add/subtract/between/add_days call.

        Computed on read so that the hot path only stores two integers.
        """
        if not self._uncovered:
            return ()
        zone = self._zone
        first = datetime.fromtimestamp(self._last[0], zone).year
        last = datetime.fromtimestamp(self._last[1], zone).year
        return tuple(y for y in range(first, last + 1) if y in self._uncovered)

    # ---- core arithmetic on UTC seconds ------------------------------------------------

    def _w(self, t: int) -> int:
        """Working seconds from the start of the loaded range to t."""
        if not self._lo <= t <= self._hi:
            raise _NeedYear(self._year_of(t))
        i = bisect_right(self._starts, t) - 1
        if i < 0:
            return 0
        end = self._ends[i]
        return self._cum_start[i] + (t if t < end else end) - self._starts[i]

    def _solve_forward(self, target: int) -> int:
        """The earliest t with W(t) == target (target > 0)."""
        j = bisect_left(self._cum_end, target)
        if j == len(self._cum_end):
            raise _NeedYear(self._y1 + 1)
        return self._starts[j] + target - self._cum_start[j]

    def _solve_backward(self, target: int) -> int:
        """The latest t with W(t) == target."""
        j = bisect_right(self._cum_start, target) - 1
        if j < 0:
            raise _NeedYear(self._y0 - 1)
        return self._starts[j] + target - self._cum_start[j]

    def _add(self, t: int, s: int, pauses: list[tuple[int, int]] | None) -> int:
        w = self._w(t)
        if pauses:
            cursor = t
            for begin, end in pauses:
                if end <= cursor:
                    continue
                if begin > cursor:
                    available = self._w(begin) - w
                    if available >= s:
                        break
                    s -= available
                cursor = end
                w = self._w(end)
        return self._solve_forward(w + s)

    def _between(self, a: int, b: int, pauses: list[tuple[int, int]] | None) -> int:
        w_a = self._w(a)
        w_b = self._w(b)
        total = w_b - w_a
        if pauses:
            for begin, end in pauses:
                lo = begin if begin > a else a
                hi = end if end < b else b
                if hi > lo:
                    total -= self._w(hi) - self._w(lo)
        return total

    def _add_days(
        self, t: int, ordinal: int, days: int, pauses: list[tuple[int, int]] | None
    ) -> int:
        if not self._lo <= t < self._hi:
            raise _NeedYear(self._year_of(t))
        k = ordinal - self._base_ordinal
        index = self._wd_before[k + 1] + days - 1
        if index >= len(self._wd_end):
            raise _NeedYear(self._y1 + 1)
        deadline = self._wd_end[index]
        if not pauses:
            return deadline
        return self._add(t, self._w(deadline) - self._w(t), pauses)

    def _locate(self, ts: float) -> int:
        """Index of the interval containing ts, or -1."""
        if not self._lo <= ts < self._hi:
            raise _NeedYear(self._year_of(math.floor(ts)))
        i = bisect_right(self._starts, ts) - 1
        if i >= 0 and ts < self._ends[i]:
            return i
        return -1

    @staticmethod
    def _timestamp(moment: datetime) -> float:
        if moment.utcoffset() is None:
            raise ValueError(f"datetime must be timezone-aware: {moment.isoformat()}")
        return moment.timestamp()

    def _year_of(self, t: int) -> int:
        try:
            return datetime.fromtimestamp(t, self._zone).year
        except (OverflowError, ValueError, OSError):
            raise ValueError("moment outside the supported range of years") from None

    # ---- tables ------------------------------------------------------------------------

    def _year_facts(self, year: int) -> YearFacts | None:
        if year in self._facts:
            return self._facts[year]
        facts = self._calendar.year(year)
        self._facts[year] = facts
        if facts is None:
            self._uncovered.add(year)
            logger.warning("%s", uncovered_years_message([year]))
        return facts

    def _local_intervals(self, day: date, facts: YearFacts | None) -> DaySchedule:
        """The day's intervals in local minutes; a day without any gets the days off
        schedule (empty unless one was given)."""
        return self._own_intervals(day, facts) or self._days_off

    def _own_intervals(self, day: date, facts: YearFacts | None) -> DaySchedule:
        """The day's intervals in local minutes: overrides, then facts, then statute."""
        if day in self._extra_off:
            return ()
        override = self._extra_work.get(day)
        if override is not None:
            intervals = self._week[override]
            short = _precedes_statutory_holiday(day)
        elif is_statutory_holiday(day) or (facts is not None and day in facts.days_off):
            return ()
        else:
            replaced = facts.working_days.get(day) if facts is not None else None
            if replaced is not None:
                intervals = self._week[replaced.weekday()]
                short = _precedes_statutory_holiday(day) or _precedes_statutory_holiday(replaced)
            else:
                intervals = self._week[day.weekday()]
                short = _precedes_statutory_holiday(day)
        if short and self._shortening and intervals:
            return _shorten(intervals, self._shortening)
        return intervals

    def _local_epoch(self, midnight: datetime, minutes: int) -> int:
        return int((midnight + timedelta(minutes=minutes)).replace(tzinfo=self._zone).timestamp())

    def _build_year(self, year: int) -> _YearTable:
        facts = self._year_facts(year)
        starts: list[int] = []
        ends: list[int] = []
        counts: list[int] = []
        first = date(year, 1, 1)
        previous = self._local_epoch(datetime(year, 1, 1), 0)  # noqa: DTZ001 - wall clock
        lo = previous
        for ordinal in range(first.toordinal(), date(year + 1, 1, 1).toordinal()):
            day = date.fromordinal(ordinal)
            count = 0
            intervals = self._local_intervals(day, facts)
            if intervals:
                midnight = datetime(day.year, day.month, day.day)  # noqa: DTZ001 - wall clock
                for start_minute, end_minute in intervals:
                    a = max(self._local_epoch(midnight, start_minute), previous)
                    b = max(self._local_epoch(midnight, end_minute), a)
                    if b > a:
                        starts.append(a)
                        ends.append(b)
                        count += 1
                        previous = b
            counts.append(count)
        hi = self._local_epoch(datetime(year + 1, 1, 1), 0)  # noqa: DTZ001 - wall clock
        return _YearTable(starts, ends, counts, first.toordinal(), lo, hi)

    def _extend(self, year: int) -> None:
        """Load every year between the loaded range and `year`, then rebuild the flat table."""
        if not _FIRST_YEAR <= year <= _LAST_YEAR:
            raise ValueError(f"year {year} is outside the supported range (or no working time)")
        if self._y1 < self._y0:
            y0 = y1 = year
        else:
            y0, y1 = min(self._y0, year), max(self._y1, year)
        for y in range(y0, y1 + 1):
            if y not in self._years:
                self._years[y] = self._build_year(y)
        starts: list[int] = []
        ends: list[int] = []
        cum_start: list[int] = []
        cum_end: list[int] = []
        day_first = [0]
        wd_before = [0]
        wd_end: list[int] = []
        total = 0
        for y in range(y0, y1 + 1):
            table = self._years[y]
            for a, b in zip(table.starts, table.ends, strict=True):
                cum_start.append(total)
                total += b - a
                cum_end.append(total)
            index = len(starts)
            starts.extend(table.starts)
            ends.extend(table.ends)
            for count in table.day_counts:
                index += count
                day_first.append(index)
                if count:
                    wd_end.append(ends[index - 1])
                wd_before.append(len(wd_end))
        self._y0, self._y1 = y0, y1
        self._lo, self._hi = self._years[y0].lo, self._years[y1].hi
        self._base_ordinal = self._years[y0].first_ordinal
        self._starts, self._ends = starts, ends
        self._cum_start, self._cum_end = cum_start, cum_end
        self._day_first, self._wd_before, self._wd_end = day_first, wd_before, wd_end


class CalendarTime:
    """Plain calendar time for timers written in hours ("answer within 24 hours").

    Every second counts except those inside pauses. `add_days(start, n)` is start plus
    n × 24 elapsed hours (extended by pauses), not "end of a day". No production calendar
    is involved, so no year is ever uncovered.
    """

    def __init__(self, zone: tzinfo) -> None:
        self._zone = zone

    @property
    def zone(self) -> tzinfo:
        return self._zone

    def add(self, start: datetime, amount: timedelta, pauses: Iterable[Pause] = ()) -> datetime:
        t = _epoch(start)
        s = _seconds(amount)
        if s == 0:
            return start.astimezone(self._zone)
        cursor = t
        if pauses:
            for begin, end in _merge_pauses(pauses):
                if end <= cursor:
                    continue
                if begin > cursor:
                    if begin - cursor >= s:
                        break
                    s -= begin - cursor
                cursor = end
        return datetime.fromtimestamp(cursor + s, self._zone)

    def subtract(self, end: datetime, amount: timedelta) -> datetime:
        return datetime.fromtimestamp(_epoch(end) - _seconds(amount), self._zone)

    def between(self, start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> timedelta:
        a = _epoch(start)
        b = _epoch(end)
        if b < a:
            raise ValueError(f"end {end} is before start {start}")
        total = b - a
        if pauses:
            for begin, finish in _merge_pauses(pauses):
                lo = max(begin, a)
                hi = min(finish, b)
                if hi > lo:
                    total -= hi - lo
        return timedelta(seconds=total)

    def add_days(self, start: datetime, days: int, pauses: Iterable[Pause] = ()) -> datetime:
        if days < 1:
            raise ValueError(f"days must be >= 1: {days}")
        return self.add(start, timedelta(days=days), pauses)

    def is_working(self, moment: datetime) -> bool:
        _epoch(moment)
        return True

    def next_working_moment(self, moment: datetime) -> datetime:
        _epoch(moment)
        return moment.astimezone(self._zone)

    def working_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The whole local day, midnight to the next midnight."""
        begin = datetime(day.year, day.month, day.day, tzinfo=self._zone)
        after = day + timedelta(days=1)
        return ((begin, datetime(after.year, after.month, after.day, tzinfo=self._zone)),)

    def uncovered_years(self, start: datetime, end: datetime) -> tuple[int, ...]:
        return ()

    @property
    def last_uncovered_years(self) -> tuple[int, ...]:
        return ()

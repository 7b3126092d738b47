"""Reports the head reads: the weekly report (Barnaul 11), the monthly and quarterly summaries
with quality and dynamics (Myasnikovsky 13, Lipetsk 20, Bor 17), the discipline log (Lipetsk
19), surges of social activity (Lipetsk 21, Barnaul 12) and the content plan (Myasnikovsky 6).

The figures are computed in the database (`ReportQueries`: aggregate queries, never a load of
every incident); only "time to answer" needs two moments per answered incident, because working
time is measured with the organisation's `WorkingTime`, which the database does not know.
A periodic report is posted once per period: a `report_runs` row unique on (kind, period start)
is inserted, or skipped, in the same transaction as its outbox notices.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import math
import re
from bisect import bisect_right
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from operator import itemgetter
from typing import Any, Protocol

from domain.clock import Clock, require_aware
from domain.durations import ClockKind
from domain.errors import AccessDenied
from domain.incident import Incident
from domain.people import StaffMember
from domain.ports import ReportRepository, ReportRun, UnitOfWork, UnitOfWorkFactory
from domain.roles import HEADS, Role
from domain.timeline import Rulers
from domain.timers import NoticeKind, OutboxMessage
from domain.worktime import TimeRuler

READERS = HEADS | {Role.CURATOR}
"""Who reads reports and the discipline log: the head, the deputies and the curator."""
POSTERS = frozenset({Role.CURATOR, Role.ADMIN})
"""Who marks an official post made (Myasnikovsky 6)."""
MAX_CUSTOM_DAYS = 366
TREND_WEEKS = 8


class PeriodKind(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end): incidents detected in it, deadlines that fell in it."""

    kind: PeriodKind
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        require_aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError("a period ends after it starts")

    @property
    def detailed(self) -> bool:
        """Summaries (not the weekly report) add quality and dynamics."""
        return self.kind is not PeriodKind.WEEKLY

    def previous(self, zone: tzinfo) -> Period:
        """The period just before, of the same kind: the previous month or quarter in local
        time, otherwise the same length."""
        months = {PeriodKind.MONTHLY: 1, PeriodKind.QUARTERLY: 3}.get(self.kind)
        if months is None:
            return Period(self.kind, self.start - (self.end - self.start), self.start)
        start = months_before(self.start.astimezone(zone), months)
        return Period(self.kind, start.astimezone(UTC), self.start)

    def payload(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Period:
        return cls(
            PeriodKind(str(payload["kind"])),
            datetime.fromisoformat(str(payload["start"])),
            datetime.fromisoformat(str(payload["end"])),
        )

    @classmethod
    def of_run(cls, run: ReportRun) -> Period:
        return cls(PeriodKind(run.kind), run.period_start, run.period_end)


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock time `months` calendar months earlier (the day clamped to the
    month's length: a month before 31 March is 28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def last_weekly(now: datetime, zone: tzinfo, weekday: int, at: time) -> Period:
    """The latest week ending at `weekday` `at` (local) not after now: the weekly report's week
    runs from the previous report moment to this one, so no message falls between two weeks."""
    local = now.astimezone(zone)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    end = datetime.combine(day, at, tzinfo=zone)
    if end > local:
        end = datetime.combine(day - timedelta(days=7), at, tzinfo=zone)
    start = datetime.combine(end.date() - timedelta(days=7), at, tzinfo=zone)
    return Period(PeriodKind.WEEKLY, _utc(start), _utc(end))


def last_month(now: datetime, zone: tzinfo) -> Period:
    local = now.astimezone(zone)
    end = datetime(local.year, local.month, 1, tzinfo=zone)
    return Period(PeriodKind.MONTHLY, _utc(months_before(end, 1)), _utc(end))


def last_quarter(now: datetime, zone: tzinfo) -> Period:
    local = now.astimezone(zone)
    end = datetime(local.year, 3 * ((local.month - 1) // 3) + 1, 1, tzinfo=zone)
    return Period(PeriodKind.QUARTERLY, _utc(months_before(end, 3)), _utc(end))


_RANGE = re.compile(
    r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*[-–—]\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$"
)
_WORDS = {
    "": PeriodKind.WEEKLY,
    "week": PeriodKind.WEEKLY,
    "неделя": PeriodKind.WEEKLY,
    "month": PeriodKind.MONTHLY,
    "месяц": PeriodKind.MONTHLY,
    "quarter": PeriodKind.QUARTERLY,
    "квартал": PeriodKind.QUARTERLY,
}


def parse_period(text: str, now: datetime, zone: tzinfo) -> Period | None:
    """`/report` arguments: week | month | quarter (the last 7 days, month, 3 months up to
    now) or ДД.ММ.ГГГГ-ДД.ММ.ГГГГ (whole local days, both included, not past now)."""
    word = text.strip().casefold()
    kind = _WORDS.get(word)
    if kind is PeriodKind.WEEKLY:
        return Period(kind, _utc(now - timedelta(days=7)), _utc(now))
    if kind is not None:
        months = 1 if kind is PeriodKind.MONTHLY else 3
        start = months_before(now.astimezone(zone), months)
        return Period(kind, _utc(start), _utc(now))
    m = _RANGE.match(text)
    if not m:
        return None
    d1, m1, y1, d2, m2, y2 = (int(g) for g in m.groups())
    try:
        first, last = date(y1, m1, d1), date(y2, m2, d2)
    except ValueError:
        return None
    if last < first or (last - first).days >= MAX_CUSTOM_DAYS:
        return None
    start = datetime.combine(first, time(), tzinfo=zone)
    end = min(datetime.combine(last + timedelta(days=1), time(), tzinfo=zone), now)
    if end <= start:
        return None
    return Period(PeriodKind.CUSTOM, _utc(start), _utc(end))


# ---- what the database answers ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Headline:
    """Incidents detected in the period, by where they stand now."""

    total: int = 0
    answered: int = 0
    """A final or intermediate answer is published."""
    on_time: int = 0
    late: int = 0
    """Answered after the total deadline (the `answer` timer)."""
    open: int = 0
    """Not answered yet and still in work."""
    overdue: int = 0
    """Of the open ones: past the total deadline."""
    not_subject: int = 0
    closed_other: int = 0
    """Closed without an answer otherwise: no reaction needed, 59-FZ, passed on, author silent."""
    repeated: int = 0

    def __add__(self, other: Headline) -> Headline:
        return Headline(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))


def _values(h: Headline) -> tuple[int, ...]:
    return (
        h.total,
        h.answered,
        h.on_time,
        h.late,
        h.open,
        h.overdue,
        h.not_subject,
        h.closed_other,
        h.repeated,
    )


@dataclass(frozen=True, slots=True)
class DepartmentLine:
    """One department's incidents of the period (a joint answer counts for each department);
    `department_id` None: not routed to any department (yet)."""

    department_id: int | None
    counts: Headline

    @property
    def on_time_share(self) -> float | None:
        answered = self.counts.on_time + self.counts.late
        return self.counts.on_time / answered if answered else None


@dataclass(frozen=True, slots=True)
class Breakdowns:
    topics: tuple[tuple[str | None, str | None, int], ...] = ()
    """(topic group, topic, count), most first."""
    locations: tuple[tuple[str | None, int], ...] = ()
    importance: tuple[tuple[str, int], ...] = ()
    reactions: tuple[tuple[str, int], ...] = ()
    """Authors' reactions recorded: satisfied, neutral, dissatisfied."""
    intermediate: int = 0
    """Incidents given an intermediate answer."""


@dataclass(frozen=True, slots=True)
class BreachFact:
    """A timer whose due moment fell in the period and that was not done by it."""

    incident_id: int
    number: str | None
    timer: str
    clause: str
    clock: ClockKind
    holder_id: int | None
    holder_role: Role
    department_id: int | None
    started_at: datetime
    due_at: datetime
    done_at: datetime | None
    """When the timer stopped; None: still not done."""


@dataclass(frozen=True, slots=True)
class Breach:
    fact: BreachFact
    overdue: timedelta
    """Time past the due moment, on the timer's clock (working time for working timers), up to
    the moment it was done, or up to when the report was made if it still is not."""


@dataclass(frozen=True, slots=True)
class Quality:
    revisions: int = 0
    """Drafts returned for revision."""
    intermediate: int = 0
    """Incidents given an intermediate answer."""
    reactions: tuple[tuple[str, int], ...] = ()
    """Authors' reactions recorded: satisfied, neutral, dissatisfied."""


@dataclass(frozen=True, slots=True)
class IncidentLine:
    """One row of the workbook."""

    id: int
    number: str | None
    detected_at: datetime
    network: str
    topic_group: str | None
    topic: str | None
    location: str | None
    importance: str
    status: str
    outcome: str | None
    reaction: str | None
    answered_at: datetime | None
    answer_due: datetime | None
    late: bool
    repeated: bool
    departments: tuple[int, ...] = ()


class ReportQueries(Protocol):
    """Aggregates over incidents, timers, assignments and publications (storage/reports.py)."""

    async def cohort(
        self, start: datetime, end: datetime, now: datetime
    ) -> tuple[Headline, Sequence[DepartmentLine]]:
        """Incidents detected in [start, end): in all, and per department."""
        ...

    async def headline(self, start: datetime, end: datetime, now: datetime) -> Headline:
        """The totals of `cohort` alone, without the departments (cheaper: a summary's previous
        period needs only these)."""
        ...

    async def breakdowns(self, start: datetime, end: datetime) -> Breakdowns: ...

    async def breaches(
        self, start: datetime, end: datetime, now: datetime, limit: int | None = None
    ) -> Sequence[BreachFact]:
        """Timers due in [start, end) and not done by then (or still not done by now), in the
        order they fell due; the first `limit` of them."""
        ...

    async def breach_count(self, start: datetime, end: datetime, now: datetime) -> int: ...

    async def answer_times(self, start: datetime, end: datetime) -> Sequence[tuple[int, int]]:
        """(detected, first final or intermediate answer published), as UTC epoch seconds, of
        the answered incidents detected in [start, end): two numbers per answered incident,
        because working time is measured here, not in the database."""
        ...

    async def trend(self, edges: Sequence[datetime]) -> Sequence[int]:
        """Incidents detected between consecutive edges."""
        ...

    async def revisions(self, start: datetime, end: datetime) -> int:
        """Drafts of the period's incidents returned for revision."""
        ...

    async def incident_lines(
        self, start: datetime, end: datetime, now: datetime
    ) -> Sequence[IncidentLine]: ...


# ---- the report -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """The few figures compared with the previous period (dynamics)."""

    headline: Headline
    breaches: int
    median: timedelta | None

    def payload(self) -> dict[str, Any]:
        return {
            "headline": list(_values(self.headline)),
            "breaches": self.breaches,
            "median": None if self.median is None else self.median.total_seconds(),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Summary:
        seconds = payload.get("median")
        return cls(
            Headline(*(int(v) for v in payload["headline"])),
            int(payload["breaches"]),
            None if seconds is None else timedelta(seconds=float(seconds)),
        )


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    made_at: datetime
    headline: Headline
    breakdowns: Breakdowns
    departments: tuple[DepartmentLine, ...]
    breaches: tuple[Breach, ...]
    """The first `BREACHES_LISTED` breaches, in the order they fell due (all of them go to the
    workbook, read separately)."""
    breach_count: int
    median: timedelta | None
    p90: timedelta | None
    measured: int
    """Answered incidents the time to answer is measured over."""
    trend: tuple[tuple[datetime, int], ...]
    """(week start, incidents detected that week), oldest first, the period's week last."""
    quality: Quality | None = None
    previous: Summary | None = None
    answer_clock: ClockKind = ClockKind.WORKING
    """The clock the time to answer is measured on: the overall deadline's (Myasnikovsky 8
    counts plain hours)."""

    @property
    def summary(self) -> Summary:
        return Summary(self.headline, self.breach_count, self.median)


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The middle value (the mean of the two middle ones for an even count)."""
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return None
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: Sequence[timedelta], p: float) -> timedelta | None:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    if not 0 < p <= 100:
        raise ValueError("p is in (0, 100]")
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def overdue(fact: BreachFact, rulers: Rulers, now: datetime) -> timedelta:
    until = fact.done_at or now
    if until <= fact.due_at:
        return timedelta(0)
    return rulers.for_clock(fact.clock).between(fact.due_at, until)


class WorkingSeconds:
    """Working seconds since a fixed origin for many moments at once: the working intervals of
    each day come from the organisation's ruler (its schedule, the production calendar,
    shortened days), then a moment is one binary search. `between(a, b)` equals the ruler's
    `between` for moments inside the covered days; measuring a quarter's answers this way
    costs a fraction of a microsecond each."""

    def __init__(self, ruler: TimeRuler, first: date, last: date) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._before: list[int] = []
        total = 0
        day = first - timedelta(days=1)
        while day <= last + timedelta(days=1):
            for a, b in ruler.working_intervals(day):
                start, end = int(a.timestamp()), int(b.timestamp())
                self._starts.append(start)
                self._ends.append(end)
                self._before.append(total)
                total += end - start
            day += timedelta(days=1)

    def at(self, epoch: int) -> int:
        i = bisect_right(self._starts, epoch) - 1
        if i < 0:
            return 0
        return self._before[i] + min(epoch, self._ends[i]) - self._starts[i]

    def between(self, start: int, end: int) -> int:
        return max(0, self.at(end) - self.at(start))

    def between_each(self, pairs: Iterable[tuple[int, int]]) -> list[int]:
        """`between` of each pair, in one loop (a quarter has a quarter of a million): the same
        arithmetic as `at`, inlined, each interval's `before - start` added once."""
        starts, ends = self._starts, self._ends
        offsets = [b - s for b, s in zip(self._before, starts, strict=True)]
        out = []
        for start, end in pairs:
            i = bisect_right(starts, start) - 1
            if i < 0:
                a = 0
            else:
                stop = ends[i]
                a = offsets[i] + (start if start < stop else stop)
            i = bisect_right(starts, end) - 1
            if i < 0:
                b = 0
            else:
                stop = ends[i]
                b = offsets[i] + (end if end < stop else stop)
            out.append(b - a if b > a else 0)
        return out


def answer_seconds(pairs: Sequence[tuple[int, int]], ruler: TimeRuler, zone: tzinfo) -> list[int]:
    """Working seconds from detection to the first answer, per answered incident."""
    if not pairs:
        return []
    first = datetime.fromtimestamp(min(map(itemgetter(0), pairs)), zone).date()
    last = datetime.fromtimestamp(max(map(itemgetter(1), pairs)), zone).date()
    return WorkingSeconds(ruler, first, last).between_each(pairs)


def _seconds_stats(values: list[int]) -> tuple[timedelta | None, timedelta | None]:
    """`median` and `percentile(..., 90)` of the values as durations, sorting the integers
    once instead of a timedelta per value twice."""
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return None, None
    mid = n // 2
    if n % 2:
        middle = timedelta(seconds=ordered[mid])
    else:
        middle = (timedelta(seconds=ordered[mid - 1]) + timedelta(seconds=ordered[mid])) / 2
    return middle, timedelta(seconds=ordered[max(0, math.ceil(90 / 100 * n) - 1)])


def trend_edges(end: datetime, weeks: int = TREND_WEEKS) -> list[datetime]:
    return [end - timedelta(days=7 * k) for k in range(weeks, -1, -1)]


async def _together(concurrent: bool, *calls: Callable[[], Awaitable[Any]]) -> list[Any]:
    """Run the calls one after another, or at once (queries on connections of their own)."""
    if concurrent:
        return list(await asyncio.gather(*(call() for call in calls)))
    return [await call() for call in calls]


async def _answer_stats(
    queries: ReportQueries,
    period: Period,
    rulers: Rulers,
    zone: tzinfo,
    clock: ClockKind = ClockKind.WORKING,
) -> tuple[timedelta | None, timedelta | None, int]:
    pairs = await queries.answer_times(period.start, period.end)
    seconds = answer_seconds(pairs, rulers.for_clock(clock), zone)
    middle, p90 = _seconds_stats(seconds)
    return middle, p90, len(seconds)


async def summarize(
    queries: ReportQueries,
    period: Period,
    rulers: Rulers,
    zone: tzinfo,
    now: datetime,
    *,
    concurrent: bool = False,
    answer_clock: ClockKind = ClockKind.WORKING,
) -> Summary:
    headline, (middle, _, _), breaches = await _together(
        concurrent,
        lambda: queries.headline(period.start, period.end, now),
        lambda: _answer_stats(queries, period, rulers, zone, answer_clock),
        lambda: queries.breach_count(period.start, period.end, now),
    )
    return Summary(headline, breaches, middle)


async def reported_before(
    reports: ReportRepository, run: ReportRun, zone: tzinfo
) -> Summary | None:
    """The previous period's figures as its own report posted them, if it was posted."""
    period = Period.of_run(run)
    if run.id is None or not period.detailed:
        return None
    before = await reports.run_for(run.kind, period.previous(zone).start)
    if before is None or before.summary is None:
        return None
    return Summary.from_payload(before.summary)


BREACHES_LISTED = 30
"""Breaches the report itself lists; the workbook has them all."""


async def build_report(
    queries: ReportQueries,
    period: Period,
    rulers: Rulers,
    zone: tzinfo,
    now: datetime,
    *,
    trend_weeks: int = TREND_WEEKS,
    breaches_listed: int = BREACHES_LISTED,
    previous: Summary | None = None,
    concurrent: bool = False,
    answer_clock: ClockKind = ClockKind.WORKING,
) -> Report:
    """Every figure of the report, from aggregate queries; durations on the clock of each
    timer, the time to answer on `answer_clock` (the overall deadline's).

    A summary compares with `previous` (the previous period's figures as they were reported,
    so both periods are seen at the same distance from their end); without it, the previous
    period is computed now. `concurrent`: the queries run at once, for `queries` whose calls
    each take a connection of their own (`storage.reports.SqlReportQueries`)."""
    start, end = period.start, period.end
    edges = trend_edges(end, trend_weeks)
    detailed = period.detailed

    async def nothing() -> None:
        return None

    (
        (headline, departments),
        breakdowns,
        listed,
        count,
        (middle, p90, measured),
        counts,
        revisions,
        before,
    ) = await _together(
        concurrent,
        lambda: queries.cohort(start, end, now),
        lambda: queries.breakdowns(start, end),
        lambda: queries.breaches(start, end, now, limit=breaches_listed),
        lambda: queries.breach_count(start, end, now),
        lambda: _answer_stats(queries, period, rulers, zone, answer_clock),
        lambda: queries.trend(edges),
        (lambda: queries.revisions(start, end)) if detailed else nothing,
        (
            lambda: summarize(
                queries,
                period.previous(zone),
                rulers,
                zone,
                now,
                concurrent=concurrent,
                answer_clock=answer_clock,
            )
        )
        if detailed and previous is None
        else nothing,
    )
    return Report(
        period=period,
        made_at=now,
        headline=headline,
        breakdowns=breakdowns,
        departments=tuple(
            sorted(departments, key=lambda d: (d.department_id is None, -d.counts.total))
        ),
        breaches=tuple(Breach(f, overdue(f, rulers, now)) for f in listed),
        breach_count=count,
        median=middle,
        p90=p90,
        measured=measured,
        trend=tuple(zip(edges[:-1], counts, strict=True)),
        quality=Quality(revisions, breakdowns.intermediate, breakdowns.reactions)
        if detailed
        else None,
        previous=(previous or before) if detailed else None,
        answer_clock=answer_clock,
    )


# ---- the discipline log (Lipetsk 19, Bor 16, Myasnikovsky 12) ------------------------------


@dataclass(frozen=True, slots=True)
class PersonBreaches:
    person_id: int | None
    """None: the timer was held by a role nobody in particular had (the head, for example)."""
    role: Role
    breaches: tuple[Breach, ...]

    @property
    def total_overdue(self) -> timedelta:
        return sum((b.overdue for b in self.breaches), timedelta(0))


def responsible(fact: BreachFact, leads: Mapping[int, int | None]) -> int | None:
    """Who held the timer: the holder, or the department's lead for a lead's timer."""
    if fact.holder_id is not None:
        return fact.holder_id
    if fact.holder_role is Role.DEPARTMENT_LEAD and fact.department_id is not None:
        return leads.get(fact.department_id)
    return None


def discipline_log(
    breaches: Sequence[Breach], leads: Mapping[int, int | None]
) -> list[PersonBreaches]:
    """Breaches per person, the most overdue time first."""
    people: dict[tuple[int | None, Role | None], list[Breach]] = {}
    for b in breaches:
        person = responsible(b.fact, leads)
        key = (person, None) if person is not None else (None, b.fact.holder_role)
        people.setdefault(key, []).append(b)
    log = [
        PersonBreaches(
            person, items[0].fact.holder_role, tuple(sorted(items, key=lambda b: b.fact.due_at))
        )
        for (person, _), items in people.items()
    ]
    return sorted(log, key=lambda p: (-p.total_overdue, -len(p.breaches), p.person_id or 0))


async def build_discipline(
    queries: ReportQueries, period: Period, rulers: Rulers, now: datetime
) -> tuple[Breach, ...]:
    return tuple(
        Breach(f, overdue(f, rulers, now))
        for f in await queries.breaches(period.start, period.end, now)
    )


# ---- posting periodic reports once ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportSchedule:
    zone: tzinfo
    weekly: bool = True
    weekly_day: int = 4
    """Monday 0 … Sunday 6: Friday (Barnaul 11)."""
    weekly_time: time = time(16, 0)
    monthly: bool = False
    quarterly: bool = False
    group_chat_id: int | None = None
    """The report goes to this group; without it, to the heads' and curators' private chats."""
    content_plan_days: int | None = None
    """Remind the curators when the official accounts have not posted for this many days
    (Myasnikovsky 6); None: no content plan."""


def due_periods(schedule: ReportSchedule, now: datetime, working: TimeRuler) -> list[Period]:
    """The latest period of each enabled report whose moment has come. The weekly report is
    due at its day and time; the monthly and quarterly ones at the first working moment after
    the period ends. Only the latest period counts: a bot down for a month does not flood the
    heads with old reports."""
    due = []
    if schedule.weekly:
        due.append(last_weekly(now, schedule.zone, schedule.weekly_day, schedule.weekly_time))
    for enabled, make in (
        (schedule.monthly, last_month),
        (schedule.quarterly, last_quarter),
    ):
        if enabled:
            period = make(now, schedule.zone)
            if working.next_working_moment(period.end) <= now:
                due.append(period)
    return due


def _notice(
    kind: NoticeKind,
    now: datetime,
    payload: Mapping[str, Any],
    *,
    recipient: int | None = None,
    chat: int | None = None,
    key: str | None = None,
    incident_id: int | None = None,
) -> OutboxMessage:
    return OutboxMessage(
        id=None,
        created_at=now,
        kind=kind,
        recipient_id=recipient,
        chat_id=chat,
        incident_id=incident_id,
        payload=dict(payload),
        dedupe_key=key,
    )


def _with(members: Sequence[StaffMember], roles: frozenset[Role]) -> list[StaffMember]:
    return [m for m in members if m.active and m.id is not None and m.roles & roles]


class ReportJobs:
    """What the scheduler's sweep calls: post the reports that are due, once, and remind the
    curators of the content plan. Cheap when there is nothing to do: periods already handled
    are remembered, so the database is asked once per period."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        schedule: ReportSchedule,
        working: TimeRuler,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.schedule = schedule
        self.working = working
        self._handled: set[tuple[PeriodKind, datetime]] = set()
        self._content_day: date | None = None

    async def sweep(self) -> int:
        """Notices queued."""
        now = self.clock.now()
        queued = 0
        for period in due_periods(self.schedule, now, self.working):
            key = (period.kind, period.start)
            if key not in self._handled:
                queued += await self.post(period, now)
                self._handled.add(key)
        if self.schedule.content_plan_days is not None:
            queued += await self.remind_content(now)
        return queued

    async def post(self, period: Period, now: datetime) -> int:
        """Claim the period's run and queue its notices in one transaction; nothing when another
        instance (or this one before a restart) did, or when there has never been an incident
        (a new installation gets no empty report)."""
        async with self.uow_factory() as uow:
            if not await uow.reports.any_incident_before(period.end):
                return 0
            run = await uow.reports.claim_run(period.kind.value, period.start, period.end, now)
            if run is None:
                return 0
            payload = {"run_id": run.id}
            notices = []
            group = self.schedule.group_chat_id
            if group is not None:
                key = f"report:{run.id}:chat"
                notices.append(_notice(NoticeKind.REPORT, now, payload, chat=group, key=key))
            else:
                for m in _with(await uow.staff.all(), READERS):
                    notices.append(
                        _notice(
                            NoticeKind.REPORT,
                            now,
                            payload,
                            recipient=m.id,
                            key=f"report:{run.id}:{m.id}",
                        )
                    )
            for notice in notices:
                await uow.outbox.queue(notice)
            await uow.commit()
        return len(notices)

    async def remind_content(self, now: datetime) -> int:
        """Once a day, in working time: the curators are reminded when no official post was
        recorded for `content_plan_days` days (or none ever)."""
        days = self.schedule.content_plan_days
        today = now.astimezone(self.schedule.zone).date()
        if days is None or self._content_day == today or not self.working.is_working(now):
            return 0
        queued = 0
        async with self.uow_factory() as uow:
            last = await uow.reports.last_post()
            idle = None if last is None else (today - last.astimezone(self.schedule.zone).date())
            if idle is None or idle.days >= days:
                payload = {"last": last.isoformat() if last else None, "days": days}
                for m in _with(await uow.staff.all(), frozenset({Role.CURATOR})):
                    await uow.outbox.queue(
                        _notice(
                            NoticeKind.CONTENT_REMINDER,
                            now,
                            payload,
                            recipient=m.id,
                            key=f"content:{today.isoformat()}:{m.id}",
                        )
                    )
                    queued += 1
                await uow.commit()
        self._content_day = today
        return queued


# ---- asked for in a private chat -----------------------------------------------------------


async def _member(uow: UnitOfWork, telegram_id: int, roles: frozenset[Role]) -> StaffMember:
    member = await uow.staff.by_telegram(telegram_id)
    if member is None or not member.active or member.id is None or not member.roles & roles:
        raise AccessDenied(roles)
    return member


async def request_report(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    telegram_id: int,
    period: Period,
    *,
    request: str,
    discipline: str | None = None,
) -> None:
    """Queue the report (or, with `discipline` = "xlsx" or "csv", the discipline log) of the
    period for the head, a deputy or the curator who asked, in their private chat. `request`
    names the asking message, so a repeated update queues nothing twice."""
    async with uow_factory() as uow:
        member = await _member(uow, telegram_id, READERS)
        payload = period.payload()
        kind = NoticeKind.REPORT
        if discipline is not None:
            kind = NoticeKind.DISCIPLINE
            payload["format"] = discipline
        await uow.outbox.queue(
            _notice(
                kind,
                clock.now(),
                payload,
                recipient=member.id,
                key=f"{kind.value}:asked:{request}",
            )
        )
        await uow.commit()


async def record_official_post(
    uow_factory: UnitOfWorkFactory, clock: Clock, telegram_id: int, note: str | None = None
) -> datetime | None:
    """The curator marks an official post made (Myasnikovsky 6); the previous one comes back."""
    async with uow_factory() as uow:
        member = await _member(uow, telegram_id, POSTERS)
        previous = await uow.reports.last_post()
        await uow.reports.record_post(clock.now(), member.id, (note or "").strip() or None)
        await uow.commit()
    return previous


# ---- surges of social activity (Lipetsk 21, Myasnikovsky 13, Barnaul 12) --------------------


@dataclass(frozen=True, slots=True)
class SurgeSettings:
    threshold: int = 5
    """This many messages on one topic and location within `window` make a surge."""
    window: timedelta = timedelta(hours=24)
    alert_roles: frozenset[Role] = field(default_factory=lambda: HEADS)


def surge_kind(topic: str, location: str) -> str:
    """The run kind of a topic and location's surges (fits the 32-character kind column)."""
    digest = hashlib.sha1(f"{topic}\x1f{location.casefold()}".encode()).hexdigest()
    return f"surge:{digest[:16]}"


async def check_surge(
    uow: UnitOfWork, incident: Incident, settings: SurgeSettings, now: datetime
) -> bool:
    """Call where an incident gets tagged, in the same unit of work, after the tags are
    written: when its topic and location now have `threshold` messages within `window`, the
    heads are alerted at once, listing them. Once per surge: a surge still going on (its last
    alert's newest message is within the window) is not alerted again. True if alerted."""
    topic, location = incident.tags.topic, incident.tags.location
    if not topic or not location or settings.threshold < 1:
        return False
    since = now - settings.window
    hits = await uow.reports.same_topic_and_location(topic, location, since, now)
    if len(hits) < settings.threshold:
        return False
    kind = surge_kind(topic, location)
    last = await uow.reports.last_run(kind)
    if last is not None and last.period_end >= since:
        return False
    run = await uow.reports.claim_run(kind, hits[0][2], hits[-1][2], now)
    if run is None:
        return False
    payload = {
        "topic_group": incident.tags.topic_group,
        "topic": topic,
        "location": location,
        "count": len(hits),
        "hours": round(settings.window.total_seconds() / 3600),
        "incidents": [i for i, _, _ in hits],
        "numbers": [n or str(i) for i, n, _ in hits],
    }
    for m in _with(await uow.staff.all(), settings.alert_roles):
        await uow.outbox.queue(
            _notice(
                NoticeKind.SURGE,
                now,
                payload,
                recipient=m.id,
                incident_id=incident.id,
                key=f"surge:{run.id}:{m.id}",
            )
        )
    return True

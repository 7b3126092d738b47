"""WorkingTime against a brute-force oracle that walks minute by minute.

The oracle re-states the calendar rules in the plainest way (a 1440-slot list per local
day) and never uses the engine's tables; the organisation is in Moscow (UTC+3, no DST),
so local minutes are UTC minutes shifted by 180.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.production_calendar import RussianCalendarFacts
from domain.worktime import CalendarFacts, NoOfficialCalendar, WorkingTime, YearFacts

MOSCOW = ZoneInfo("Europe/Moscow")
OFFSET = 180
HOLIDAYS = {(1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (1, 8)}
HOLIDAYS |= {(2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)}
CALENDARS: dict[str, CalendarFacts] = {"ru": RussianCalendarFacts(), "none": NoOfficialCalendar()}
FIRST = date(2025, 1, 1).toordinal()
LAST = date(2027, 12, 31).toordinal()
HOT_SPOTS = [  # working Saturdays, New Year holidays, eves of holidays
    date(2025, 10, 30),
    date(2027, 2, 18),
    date(2025, 12, 28),
    date(2026, 12, 28),
    date(2027, 12, 28),
    date(2026, 4, 28),
    date(2026, 11, 1),
]

PROFILE = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def holiday(day: date) -> bool:
    return (day.month, day.day) in HOLIDAYS


@dataclass
class Org:
    week: tuple[tuple[tuple[int, int], ...], ...]
    calendar: str
    shortening: int
    days_off: frozenset[date]
    workdays: dict[date, int]
    days_off_schedule: tuple[tuple[int, int], ...] | None = None
    """The `every_day` clock: a day without working time is worked with these hours."""
    _days: dict[int, list[bool]] = field(default_factory=dict)

    def engine(self) -> WorkingTime:
        return WorkingTime(
            MOSCOW,
            self.week,
            CALENDARS[self.calendar],
            extra_days_off=self.days_off,
            extra_workdays=self.workdays,
            preholiday_shortening_minutes=self.shortening,
            days_off_schedule=self.days_off_schedule,
        )

    def facts(self, year: int) -> YearFacts | None:
        return CALENDARS[self.calendar].year(year)

    def day(self, ordinal: int) -> list[bool]:
        if ordinal not in self._days:
            slots = self._compute(date.fromordinal(ordinal))
            if not any(slots) and self.days_off_schedule:
                for start, end in self.days_off_schedule:
                    for minute in range(start, end):
                        slots[minute] = True
            self._days[ordinal] = slots
        return self._days[ordinal]

    def _compute(self, day: date) -> list[bool]:
        slots = [False] * 1440
        facts = self.facts(day.year)
        eves = [day]
        if day in self.days_off:
            return slots
        if day in self.workdays:
            schedule = self.week[self.workdays[day]]
        elif holiday(day) or (facts is not None and day in facts.days_off):
            return slots
        elif facts is not None and day in facts.working_days:
            replaced = facts.working_days[day]
            schedule = self.week[replaced.weekday()]
            eves.append(replaced)
        else:
            schedule = self.week[day.weekday()]
        for start, end in schedule:
            for minute in range(start, end):
                slots[minute] = True
        if any(holiday(d + timedelta(days=1)) for d in eves):
            cut = self.shortening
            for minute in range(1439, -1, -1):
                if cut == 0:
                    break
                if slots[minute]:
                    slots[minute] = False
                    cut -= 1
        return slots

    def working(self, minute: int) -> bool:
        local = minute + OFFSET
        return self.day(local // 1440 + 719163)[local % 1440]

    def day_has_work(self, minute: int) -> bool:
        return any(self.day((minute + OFFSET) // 1440 + 719163))


def paused(minute: int, pauses: list[tuple[int, int]]) -> bool:
    return any(a <= minute < b for a, b in pauses)


def oracle_add(org: Org, start: int, amount: int, pauses: list[tuple[int, int]]) -> int:
    minute, count = start, 0
    while count < amount:
        if (minute + OFFSET) % 1440 == 0 and not org.day_has_work(minute):
            minute += 1440
            continue
        if org.working(minute) and not paused(minute, pauses):
            count += 1
        minute += 1
    return minute


def oracle_between(org: Org, start: int, end: int, pauses: list[tuple[int, int]]) -> int:
    return sum(1 for m in range(start, end) if org.working(m) and not paused(m, pauses))


def oracle_subtract(org: Org, end: int, amount: int) -> int:
    minute, count = end, 0
    while count < amount:
        minute -= 1
        if org.working(minute):
            count += 1
    return minute


def oracle_add_days(org: Org, start: int, days: int, pauses: list[tuple[int, int]]) -> int:
    ordinal = (start + OFFSET) // 1440 + 719163
    found = 0
    while found < days:
        ordinal += 1
        if any(org.day(ordinal)):
            found += 1
    slots = org.day(ordinal)
    last = max(i for i, working in enumerate(slots) if working)
    deadline = (ordinal - 719163) * 1440 + last + 1 - OFFSET
    if not pauses:
        return deadline
    return oracle_add(org, start, oracle_between(org, start, deadline, []), pauses)


def moment(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC).astimezone(MOSCOW)


def minutes(value: datetime) -> int:
    seconds = int(value.timestamp())
    assert seconds % 60 == 0
    assert value.utcoffset() == timedelta(hours=3)
    return seconds // 60


@st.composite
def day_schedules(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    if draw(st.integers(0, 9)) < 3:
        return ()
    count = draw(st.integers(1, 3))
    bounds = sorted(draw(st.sets(st.integers(0, 1440), min_size=2 * count, max_size=2 * count)))
    return tuple((bounds[i], bounds[i + 1]) for i in range(0, 2 * count, 2))


@st.composite
def orgs(draw: st.DrawFn, around: int, every_day: bool = False) -> Org:
    week = tuple(draw(day_schedules()) for _ in range(7))
    assume(sum(e - s for day in week for s, e in day) >= 120)
    near = st.integers(-3, 25).map(lambda k: date.fromordinal(around + k))
    days_off = draw(st.frozensets(near, max_size=3))
    workdays = draw(st.dictionaries(near, st.integers(0, 6), max_size=3))
    workdays = {d: w for d, w in workdays.items() if d not in days_off}
    return Org(
        week=week,
        calendar=draw(st.sampled_from(["ru", "ru", "none"])),
        shortening=draw(st.sampled_from([0, 60, 60, 90, 240])),
        days_off=days_off,
        workdays=workdays,
        days_off_schedule=draw(day_schedules().filter(bool)) if every_day else None,
    )


@st.composite
def cases(draw: st.DrawFn, every_day: bool = False) -> tuple[Org, int, int, list[tuple[int, int]]]:
    """(organisation, start minute, amount in minutes, pauses) with whole-minute values;
    with `every_day`, the organisation has a days off schedule."""
    hot = st.sampled_from(HOT_SPOTS).map(date.toordinal)
    ordinal = draw(st.one_of(st.integers(FIRST, LAST), hot)) + draw(st.integers(0, 3))
    org = draw(orgs(ordinal, every_day))
    start = (ordinal - 719163) * 1440 - OFFSET + draw(st.integers(0, 1439))
    per_day = sum(e - s for day in org.week for s, e in day) // 7
    amount = draw(st.integers(1, max(1, 3 * per_day)))
    pauses = [
        (start + a, start + a + length)
        for a, length in draw(
            st.lists(st.tuples(st.integers(-600, 6000), st.integers(0, 3000)), max_size=3)
        )
    ]
    return org, start, amount, pauses


@PROFILE
@given(cases())
def test_add_agrees_with_the_oracle(case: tuple[Org, int, int, list[tuple[int, int]]]) -> None:
    org, start, amount, pauses = case
    result = org.engine().add(
        moment(start), timedelta(minutes=amount), [(moment(a), moment(b)) for a, b in pauses]
    )
    assert minutes(result) == oracle_add(org, start, amount, pauses)


@PROFILE
@given(cases(), st.integers(0, 6000))
def test_between_agrees_with_the_oracle(
    case: tuple[Org, int, int, list[tuple[int, int]]], span: int
) -> None:
    org, start, _, pauses = case
    end = start + span
    result = org.engine().between(
        moment(start), moment(end), [(moment(a), moment(b)) for a, b in pauses]
    )
    assert result == timedelta(minutes=oracle_between(org, start, end, pauses))


@PROFILE
@given(cases())
def test_between_inverts_add(case: tuple[Org, int, int, list[tuple[int, int]]]) -> None:
    org, start, amount, pauses = case
    wt = org.engine()
    spans = [(moment(a), moment(b)) for a, b in pauses]
    deadline = wt.add(moment(start), timedelta(minutes=amount), spans)
    assert wt.between(moment(start), deadline, spans) == timedelta(minutes=amount)


@PROFILE
@given(cases())
def test_subtract_agrees_with_the_oracle_and_inverts_add(
    case: tuple[Org, int, int, list[tuple[int, int]]],
) -> None:
    org, start, amount, _ = case
    wt = org.engine()
    back = wt.subtract(moment(start), timedelta(minutes=amount))
    assert minutes(back) == oracle_subtract(org, start, amount)
    assert wt.between(back, moment(start)) == timedelta(minutes=amount)
    deadline = wt.add(moment(start), timedelta(minutes=amount))
    if wt.is_working(moment(start)):
        assert wt.subtract(deadline, timedelta(minutes=amount)) == moment(start)
    else:
        assert wt.subtract(deadline, timedelta(minutes=amount)) >= moment(start)


@PROFILE
@given(cases(), st.integers(1, 3), st.booleans())
def test_add_days_agrees_with_the_oracle(
    case: tuple[Org, int, int, list[tuple[int, int]]], days: int, with_pauses: bool
) -> None:
    org, start, _, pauses = case
    pauses = pauses if with_pauses else []
    result = org.engine().add_days(moment(start), days, [(moment(a), moment(b)) for a, b in pauses])
    assert minutes(result) == oracle_add_days(org, start, days, pauses)


@PROFILE
@given(cases(), st.integers(0, 59), st.integers(1, 4 * 3600))
def test_seconds_round_trip_exactly(
    case: tuple[Org, int, int, list[tuple[int, int]]], second: int, amount: int
) -> None:
    org, start, _, _ = case
    wt = org.engine()
    begin = moment(start) + timedelta(seconds=second)
    deadline = wt.add(begin, timedelta(seconds=amount))
    assert deadline.microsecond == 0
    assert wt.between(begin, deadline) == timedelta(seconds=amount)
    assert wt.between(begin, deadline - timedelta(seconds=1)) == timedelta(seconds=amount - 1)


@PROFILE
@given(cases(every_day=True), st.integers(0, 6000))
def test_days_off_schedule_add_and_between_agree_with_the_oracle(
    case: tuple[Org, int, int, list[tuple[int, int]]], span: int
) -> None:
    org, start, amount, pauses = case
    wt = org.engine()
    spans = [(moment(a), moment(b)) for a, b in pauses]
    deadline = wt.add(moment(start), timedelta(minutes=amount), spans)
    assert minutes(deadline) == oracle_add(org, start, amount, pauses)
    assert wt.between(moment(start), deadline, spans) == timedelta(minutes=amount)
    result = wt.between(moment(start), moment(start + span), spans)
    assert result == timedelta(minutes=oracle_between(org, start, start + span, pauses))


@PROFILE
@given(cases(every_day=True), st.integers(1, 3), st.booleans())
def test_days_off_schedule_subtract_and_add_days_agree_with_the_oracle(
    case: tuple[Org, int, int, list[tuple[int, int]]], days: int, with_pauses: bool
) -> None:
    org, start, amount, pauses = case
    wt = org.engine()
    back = wt.subtract(moment(start), timedelta(minutes=amount))
    assert minutes(back) == oracle_subtract(org, start, amount)
    pauses = pauses if with_pauses else []
    result = wt.add_days(moment(start), days, [(moment(a), moment(b)) for a, b in pauses])
    assert minutes(result) == oracle_add_days(org, start, days, pauses)


@PROFILE
@given(cases(every_day=True))
def test_days_off_schedule_fills_exactly_the_days_without_working_time(
    case: tuple[Org, int, int, list[tuple[int, int]]],
) -> None:
    org, start, _, _ = case
    every_day = org.engine()
    plain = WorkingTime(
        MOSCOW,
        org.week,
        CALENDARS[org.calendar],
        extra_days_off=org.days_off,
        extra_workdays=org.workdays,
        preholiday_shortening_minutes=org.shortening,
    )
    assert org.days_off_schedule
    first = moment(start).date()
    for offset in range(10):
        day = first + timedelta(days=offset)
        midnight = (day.toordinal() - 719163) * 1440 - OFFSET
        usual = tuple(
            (moment(midnight + a), moment(midnight + b)) for a, b in org.days_off_schedule
        )
        assert every_day.working_intervals(day) == (plain.working_intervals(day) or usual)

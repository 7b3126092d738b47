"""The `every_day` clock (Gulkevichi 3.10): a `WorkingTime` with a days off schedule.

Working days keep the working clock's intervals (pre-holiday shortening included); days off
(weekends, holidays, transferred and extra days off) are worked with the usual daily hours,
lunch break included; nights never count.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.production_calendar import RussianCalendarFacts
from domain.durations import ClockKind
from domain.timeline import Rulers
from domain.worktime import CalendarTime, StaticCalendarFacts, WorkingTime, YearFacts

MOSCOW = ZoneInfo("Europe/Moscow")
DAY = ((540, 780), (840, 1080))  # 09:00-13:00, 14:00-18:00
FRIDAY = ((540, 780), (840, 1005))  # 09:00-13:00, 14:00-16:45
WEEK = (DAY, DAY, DAY, DAY, FRIDAY, (), ())
RU = RussianCalendarFacts()


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW)


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


def working(**kwargs: Any) -> WorkingTime:
    return WorkingTime(MOSCOW, WEEK, kwargs.pop("calendar", RU), **kwargs)


def every_day(**kwargs: Any) -> WorkingTime:
    return working(days_off_schedule=DAY, **kwargs)


def local(intervals: tuple[tuple[datetime, datetime], ...]) -> list[tuple[str, str]]:
    return [(a.strftime("%H:%M"), b.strftime("%H:%M")) for a, b in intervals]


def test_friday_evening_plus_eight_hours_falls_due_on_saturday_evening() -> None:
    # Friday 13 March 2026, 17:30: Friday's day ended at 16:45, so nothing counts on Friday
    # and no night counts. Saturday 14 March is a day off worked with the usual hours:
    # 09:00-13:00 gives 4 h (4 h left), lunch 13:00-14:00 does not count, 14:00-18:00 gives
    # the other 4 h → due Saturday 18:00 (not 01:30 of round-the-clock time, not Monday).
    start = msk(2026, 3, 13, 17, 30)
    assert every_day().add(start, hours(8)) == msk(2026, 3, 14, 18)
    assert working().add(start, hours(8)) == msk(2026, 3, 16, 18)
    assert CalendarTime(MOSCOW).add(start, hours(8)) == msk(2026, 3, 14, 1, 30)


def test_friday_afternoon_keeps_the_short_friday_then_runs_on_saturday() -> None:
    # Friday 15:45-16:45 gives 1 h (7 h left); Saturday 09:00-13:00 gives 4 h (3 h left);
    # 14:00 + 3 h → Saturday 17:00.
    assert every_day().add(msk(2026, 3, 13, 15, 45), hours(8)) == msk(2026, 3, 14, 17)


def test_a_holiday_is_worked_with_the_usual_hours_and_lunch_break() -> None:
    # Monday 4 January 2027 is a New Year holiday. 12:00-13:00 gives 1 h, lunch skipped,
    # 14:00-15:00 the other hour → 15:00 the same day.
    ruler = every_day()
    assert local(ruler.working_intervals(date(2027, 1, 4))) == [
        ("09:00", "13:00"),
        ("14:00", "18:00"),
    ]
    assert ruler.add(msk(2027, 1, 4, 12), hours(2)) == msk(2027, 1, 4, 15)
    assert not ruler.is_working(msk(2027, 1, 4, 13, 30))
    # The working clock waits for Monday 11 January, the first working day of 2027.
    assert working().add(msk(2027, 1, 4, 12), hours(2)) == msk(2027, 1, 11, 11)


def test_static_calendar_facts_days_off_and_extra_days_off_get_the_usual_hours() -> None:
    facts = StaticCalendarFacts({2026: YearFacts(days_off=frozenset({date(2026, 3, 18)}))})
    ruler = every_day(calendar=facts, extra_days_off=[date(2026, 3, 19)])
    # Wednesday 18 March (an official day off here) and Thursday 19 March (an extra day off):
    # 17:00-18:00 on the 18th, then 09:00-10:00 on the 19th.
    assert ruler.add(msk(2026, 3, 18, 17), hours(2)) == msk(2026, 3, 19, 10)
    # Friday 20 March is a working day: it keeps its own 16:45 end.
    assert local(ruler.working_intervals(date(2026, 3, 20)))[-1] == ("14:00", "16:45")


def test_nights_never_count() -> None:
    # Holiday 4 January 2027, 17:00-18:00 gives 1 h; the night to the 5th (a holiday too)
    # does not count; 09:00-10:00 on the 5th gives the other hour.
    ruler = every_day()
    assert ruler.add(msk(2027, 1, 4, 17), hours(2)) == msk(2027, 1, 5, 10)
    assert ruler.between(msk(2027, 1, 4, 18), msk(2027, 1, 5, 9)) == timedelta(0)
    assert not ruler.is_working(msk(2027, 1, 5, 3))
    assert ruler.next_working_moment(msk(2026, 3, 14, 3)) == msk(2026, 3, 14, 9)


def test_a_working_day_keeps_its_shortened_preholiday_intervals() -> None:
    # Tuesday 3 November 2026 precedes the 4 November holiday: shortened to 17:00, exactly
    # as on the working clock. 16:00-17:00 gives 1 h; Wednesday 4 November (the holiday) is
    # worked with the usual, unshortened hours: 09:00-10:00 the other hour.
    ruler = every_day()
    eve = date(2026, 11, 3)
    assert ruler.working_intervals(eve) == working().working_intervals(eve)
    assert local(ruler.working_intervals(eve))[-1] == ("14:00", "17:00")
    assert ruler.add(msk(2026, 11, 3, 16), hours(2)) == msk(2026, 11, 4, 10)
    assert working().add(msk(2026, 11, 3, 16), hours(2)) == msk(2026, 11, 5, 10)


def test_between_agrees_with_add() -> None:
    ruler = every_day()
    start = msk(2026, 3, 13, 17, 30)
    assert ruler.between(start, msk(2026, 3, 14, 18)) == hours(8)
    # Friday 09:00 to Monday 09:00: Friday 4 h + 2 h 45 min, Saturday and Sunday 8 h each.
    assert ruler.between(msk(2026, 3, 13, 9), msk(2026, 3, 16, 9)) == hours(22.75)
    for begin, amount in [
        (start, hours(8)),
        (msk(2026, 11, 3, 16), hours(2)),
        (msk(2026, 12, 30, 12, 10), hours(30)),
        (msk(2027, 1, 1, 0, 0), hours(50.5)),
    ]:
        due = ruler.add(begin, amount)
        assert ruler.between(begin, due) == amount
        assert ruler.subtract(due, amount) >= begin


def test_every_day_counts_as_a_working_day_for_add_days() -> None:
    # "1d" from Friday: the end of Saturday (a day off worked with the usual hours).
    assert every_day().add_days(msk(2026, 3, 13, 10), 1) == msk(2026, 3, 14, 18)


def test_days_off_schedule_is_validated() -> None:
    with pytest.raises(ValueError, match="no working time"):
        working(days_off_schedule=())
    with pytest.raises(ValueError, match="days off schedule"):
        working(days_off_schedule=((780, 540),))
    with pytest.raises(ValueError, match="days off schedule"):
        working(days_off_schedule=((540, 800), (780, 1080)))


def test_rulers_pick_the_every_day_ruler_for_its_clock() -> None:
    rulers = Rulers(working=working(), calendar=CalendarTime(MOSCOW), every_day=every_day())
    assert rulers.for_clock(ClockKind.EVERY_DAY) is rulers.every_day
    assert rulers.for_clock(ClockKind.WORKING) is rulers.working
    assert rulers.for_clock(ClockKind.CALENDAR) is rulers.calendar
    assert ClockKind("every_day") is ClockKind.EVERY_DAY

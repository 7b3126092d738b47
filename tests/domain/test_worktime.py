from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.production_calendar import RussianCalendarFacts
from domain.worktime import (
    CalendarTime,
    NoOfficialCalendar,
    StaticCalendarFacts,
    TimeRuler,
    WorkingTime,
    YearFacts,
)

MOSCOW = ZoneInfo("Europe/Moscow")
NOVOSIBIRSK = ZoneInfo("Asia/Novosibirsk")
DAY = ((540, 780), (840, 1080))  # 09:00-13:00, 14:00-18:00
FRIDAY = ((540, 780), (840, 1005))  # 09:00-13:00, 14:00-16:45
OFFICE = (DAY, DAY, DAY, DAY, DAY, (), ())
SHORT_FRIDAY = (DAY, DAY, DAY, DAY, FRIDAY, (), ())
RU = RussianCalendarFacts()


def msk(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=MOSCOW)


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


def engine(schedule: Any = OFFICE, **kwargs: Any) -> WorkingTime:
    return WorkingTime(MOSCOW, schedule, kwargs.pop("calendar", RU), **kwargs)


def test_deadline_at_end_of_interval_is_that_end_not_next_morning() -> None:
    assert engine().add(msk(2025, 3, 3, 14), hours(4)) == msk(2025, 3, 3, 18)
    assert engine().add(msk(2025, 3, 3, 9), hours(4)) == msk(2025, 3, 3, 13)


def test_lunch_break_does_not_count() -> None:
    assert engine().add(msk(2025, 3, 3, 12), hours(2)) == msk(2025, 3, 3, 15)
    assert engine().between(msk(2025, 3, 3, 12), msk(2025, 3, 3, 15)) == hours(2)


def test_friday_evening_start_runs_on_monday_morning() -> None:
    # Friday 17:00-18:00 gives 1 h, the weekend nothing, Monday 09:00-10:00 the other hour.
    assert engine().add(msk(2025, 3, 14, 17), hours(2)) == msk(2025, 3, 17, 10)


def test_start_at_three_at_night_counts_from_nine() -> None:
    assert engine().add(msk(2025, 3, 4, 3), hours(1)) == msk(2025, 3, 4, 10)


def test_start_inside_lunch_counts_from_fourteen() -> None:
    assert engine().add(msk(2025, 3, 4, 13, 30), hours(1)) == msk(2025, 3, 4, 15)


def test_nine_working_hours_from_30_december_2026_cross_the_new_year_holidays() -> None:
    # 30.12.2026 (Wed) from 10:00: 10-13 = 3 h, 14-18 = 4 h, so 2 h are left; 31.12.2026 is a
    # transferred day off, 1-8.01.2027 are holidays, 9-10.01 a weekend; Monday 11.01.2027
    # 09:00 + 2 h = 11:00. 30.12 is not shortened: 31.12 is not an art. 112 holiday.
    assert engine().add(msk(2026, 12, 30, 10), hours(9)) == msk(2027, 1, 11, 11)
    assert engine().between(msk(2026, 12, 30, 10), msk(2027, 1, 11, 11)) == hours(9)


def test_working_saturday_1_november_2025_follows_monday_and_is_shortened() -> None:
    wt = engine(SHORT_FRIDAY)
    # It replaced Monday 3.11, the eve of the 4.11 holiday: Monday's schedule minus 60 min.
    assert wt.working_intervals(date(2025, 11, 1)) == (
        (msk(2025, 11, 1, 9), msk(2025, 11, 1, 13)),
        (msk(2025, 11, 1, 14), msk(2025, 11, 1, 17)),
    )
    assert wt.working_intervals(date(2025, 11, 3)) == ()
    # Friday 31.10 16:00-16:45 = 45 min, Saturday 1.11 from 09:00: 1 h 15 min → 10:15.
    assert wt.add(msk(2025, 10, 31, 16), hours(2)) == msk(2025, 11, 1, 10, 15)


def test_exactly_four_days_of_2026_are_shortened() -> None:
    wt = engine()
    shortened = set()
    day = date(2026, 1, 1)
    while day.year == 2026:
        worked = sum((b - a for a, b in wt.working_intervals(day)), timedelta())
        if timedelta(0) < worked < hours(8):
            shortened.add(day)
        day += timedelta(days=1)
    assert shortened == {date(2026, 4, 30), date(2026, 5, 8), date(2026, 6, 11), date(2026, 11, 3)}


def test_preholiday_shortening_cuts_across_intervals_from_the_end() -> None:
    wt = engine(preholiday_shortening_minutes=300)
    # 30.04.2025: 8 h minus 5 h = 3 h, all of the afternoon and the last morning hour.
    assert wt.working_intervals(date(2025, 4, 30)) == ((msk(2025, 4, 30, 9), msk(2025, 4, 30, 12)),)


def test_novosibirsk_organisation_takes_utc_input_and_answers_in_plus_seven() -> None:
    wt = WorkingTime(NOVOSIBIRSK, OFFICE, RU)
    start = datetime(2025, 3, 3, 2, tzinfo=UTC)  # 09:00 in Novosibirsk
    result = wt.add(start, hours(4))
    assert result.utcoffset() == hours(7)
    assert result == datetime(2025, 3, 3, 13, tzinfo=NOVOSIBIRSK)
    assert result == datetime(2025, 3, 3, 6, tzinfo=UTC)


def test_configured_extra_day_off_is_skipped() -> None:
    wt = engine(extra_days_off={date(2025, 3, 4)})
    assert wt.add(msk(2025, 3, 3, 17), hours(2)) == msk(2025, 3, 5, 10)


def test_configured_extra_day_off_beats_an_official_working_saturday() -> None:
    wt = engine(extra_days_off={date(2025, 11, 1)})
    assert wt.working_intervals(date(2025, 11, 1)) == ()


def test_extra_workday_follows_the_schedule_it_names() -> None:
    wt = engine(SHORT_FRIDAY, extra_workdays={date(2025, 3, 15): 4})
    # Friday 16:00-16:45 = 45 min; Saturday follows Friday: 09:00 + 1 h 15 min = 10:15.
    assert wt.add(msk(2025, 3, 14, 16), hours(2)) == msk(2025, 3, 15, 10, 15)
    assert wt.working_intervals(date(2025, 3, 15))[-1][1] == msk(2025, 3, 15, 16, 45)


def test_extra_workday_on_the_eve_of_a_holiday_is_shortened() -> None:
    wt = engine(extra_workdays={date(2027, 3, 7): 0})  # Sunday before 8 March
    assert wt.working_intervals(date(2027, 3, 7))[-1][1] == msk(2027, 3, 7, 17)


def test_extra_workday_beats_an_official_holiday() -> None:
    wt = engine(extra_workdays={date(2026, 1, 9): 4})
    assert len(wt.working_intervals(date(2026, 1, 9))) == 2


def test_pauses_over_a_weekend_exclude_the_working_time_inside_them() -> None:
    pause = (msk(2025, 3, 14, 16), msk(2025, 3, 17, 10))
    wt = engine()
    # Friday 15-16 counts (1 h), the pause eats Fri 16-18 and Mon 9-10, then Mon 10-11.
    assert wt.add(msk(2025, 3, 14, 15), hours(2), [pause]) == msk(2025, 3, 17, 11)
    assert wt.between(msk(2025, 3, 14, 15), msk(2025, 3, 17, 11), [pause]) == hours(2)


def test_deadline_reached_exactly_when_a_pause_begins_is_not_pushed_past_the_pause() -> None:
    pause = (msk(2025, 3, 3, 12), msk(2025, 3, 3, 15))
    assert engine().add(msk(2025, 3, 3, 10), hours(2), [pause]) == msk(2025, 3, 3, 12)


def test_a_pause_in_progress_at_the_start_delays_counting_until_it_ends() -> None:
    pause = (msk(2025, 3, 3, 8), msk(2025, 3, 3, 10))
    assert engine().add(msk(2025, 3, 3, 9), hours(1), [pause]) == msk(2025, 3, 3, 11)


def test_overlapping_pauses_merge() -> None:
    pauses = [
        (msk(2025, 3, 3, 10), msk(2025, 3, 3, 12)),
        (msk(2025, 3, 3, 11), msk(2025, 3, 3, 15)),
    ]
    # 09-18 holds 8 h; the merged pause 10-15 holds 10-13 and 14-15, i.e. 4 h.
    assert engine().between(msk(2025, 3, 3, 9), msk(2025, 3, 3, 18), pauses) == hours(4)


def test_add_days_ends_at_the_end_of_the_nth_working_day() -> None:
    wt = engine()
    start = msk(2025, 3, 3, 10)  # Monday
    assert wt.add_days(start, 1) == msk(2025, 3, 4, 18)
    # Friday 7.03.2025 is the eve of 8 March: its day ends at 17:00.
    assert wt.add_days(start, 4) == msk(2025, 3, 7, 17)
    assert wt.add_days(start, 5) == msk(2025, 3, 10, 18)
    assert wt.add_days(msk(2025, 3, 3, 23, 59), 1) == msk(2025, 3, 4, 18)


def test_add_days_across_the_new_year_holidays() -> None:
    # Day 1 is 30.12.2026; 31.12.2026 - 10.01.2027 are days off; day 2 is 11.01.2027.
    assert engine().add_days(msk(2026, 12, 29, 12), 2) == msk(2027, 1, 11, 18)


def test_add_days_with_a_pause_moves_the_deadline_by_the_paused_working_time() -> None:
    pause = (msk(2025, 3, 4, 9), msk(2025, 3, 4, 11))
    assert engine().add_days(msk(2025, 3, 3, 10), 1, [pause]) == msk(2025, 3, 5, 11)


def test_subtract_across_lunch_gives_the_latest_moment() -> None:
    wt = engine()
    assert wt.subtract(msk(2025, 3, 3, 18), hours(4)) == msk(2025, 3, 3, 14)
    assert wt.subtract(msk(2025, 3, 3, 18), hours(5)) == msk(2025, 3, 3, 12)
    assert wt.subtract(msk(2025, 3, 4, 9), hours(1)) == msk(2025, 3, 3, 17)


def test_year_2028_is_uncovered_reported_and_logged_once_with_the_config_keys(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wt = engine()
    with caplog.at_level(logging.WARNING, logger="otklik.worktime"):
        result = wt.add(msk(2027, 12, 30, 9), hours(16))
        assert wt.last_uncovered_years == (2028,)
        wt.add(msk(2028, 2, 1, 9), hours(1))
    messages = [r.getMessage() for r in caplog.records if r.name == "otklik.worktime"]
    assert len(messages) == 1
    assert "2028" in messages[0]
    assert "calendar.extra_days_off" in messages[0]
    assert "calendar.extra_workdays" in messages[0]
    assert wt.uncovered_years(msk(2027, 12, 30, 9), result) == (2028,)
    assert wt.uncovered_years(msk(2025, 1, 1), msk(2027, 12, 31)) == ()
    wt.add(msk(2026, 5, 5, 9), hours(1))
    assert not wt.last_uncovered_years


def test_uncovered_year_falls_back_to_statutory_holidays_without_transfers() -> None:
    wt = engine(calendar=NoOfficialCalendar())
    # 2028: 1-8 January are holidays; 4 November is a Saturday and nothing moves it.
    assert wt.working_intervals(date(2028, 1, 3)) == ()
    assert len(wt.working_intervals(date(2028, 1, 10))) == 2
    assert wt.working_intervals(date(2028, 11, 6))[-1][1] == msk(2028, 11, 6, 18)
    assert wt.uncovered_years(msk(2028, 1, 1), msk(2028, 2, 1)) == (2028,)


def test_static_calendar_facts_drive_days_off_and_working_weekends() -> None:
    facts = StaticCalendarFacts(
        {2030: YearFacts(frozenset({date(2030, 3, 5)}), {date(2030, 3, 9): date(2030, 3, 4)})}
    )
    wt = engine(SHORT_FRIDAY, calendar=facts)
    assert wt.working_intervals(date(2030, 3, 5)) == ()
    assert wt.working_intervals(date(2030, 3, 9))[-1][1] == msk(2030, 3, 9, 18)


@pytest.mark.parametrize(
    "call",
    [
        lambda wt, t: wt.add(t, hours(1)),
        lambda wt, t: wt.subtract(t, hours(1)),
        lambda wt, t: wt.between(t, t),
        lambda wt, t: wt.add_days(t, 1),
        lambda wt, t: wt.is_working(t),
        lambda wt, t: wt.next_working_moment(t),
        lambda wt, t: wt.add(msk(2025, 3, 3), hours(1), [(t, t)]),
    ],
)
@pytest.mark.parametrize("ruler", [engine(), CalendarTime(MOSCOW)])
def test_naive_datetime_is_rejected(call: Callable[[Any, datetime], object], ruler: Any) -> None:
    with pytest.raises(ValueError, match="aware"):
        call(ruler, datetime(2025, 3, 3, 10))  # noqa: DTZ001


@pytest.mark.parametrize("ruler", [engine(), CalendarTime(MOSCOW)])
def test_negative_amount_and_reversed_ranges_are_rejected(ruler: Any) -> None:
    with pytest.raises(ValueError, match="negative"):
        ruler.add(msk(2025, 3, 3, 10), timedelta(seconds=-1))
    with pytest.raises(ValueError, match="negative"):
        ruler.subtract(msk(2025, 3, 3, 10), timedelta(microseconds=-1))
    with pytest.raises(ValueError, match="before"):
        ruler.between(msk(2025, 3, 3, 10), msk(2025, 3, 3, 9))
    with pytest.raises(ValueError, match="days"):
        ruler.add_days(msk(2025, 3, 3, 10), 0)


def test_zero_amount_returns_the_start_itself_even_outside_working_time() -> None:
    assert engine().add(msk(2025, 3, 8, 3), timedelta(0)) == msk(2025, 3, 8, 3)


def test_seconds_are_honoured_and_microseconds_rounded_to_the_nearest_second() -> None:
    wt = engine()
    assert wt.add(msk(2025, 3, 3, 9, 0, 30), timedelta(seconds=30)) == msk(2025, 3, 3, 9, 1)
    assert wt.add(msk(2025, 3, 3, 12, 59, 59), timedelta(seconds=2)) == msk(2025, 3, 3, 14, 0, 1)
    start = msk(2025, 3, 3, 9).replace(microsecond=600_000)
    assert wt.add(start, timedelta(seconds=1)) == msk(2025, 3, 3, 9, 0, 2)
    assert wt.between(msk(2025, 3, 3, 10), msk(2025, 3, 3, 10, 0, 7)) == timedelta(seconds=7)


def test_is_working_uses_half_open_intervals_and_next_working_moment_skips_gaps() -> None:
    wt = engine()
    assert wt.is_working(msk(2025, 3, 3, 9))
    assert wt.is_working(msk(2025, 3, 3, 12, 59, 59))
    assert not wt.is_working(msk(2025, 3, 3, 13))
    assert not wt.is_working(msk(2025, 3, 8, 10))  # Saturday, and 8 March
    assert wt.next_working_moment(msk(2025, 3, 3, 10, 30)) == msk(2025, 3, 3, 10, 30)
    assert wt.next_working_moment(msk(2025, 3, 3, 13)) == msk(2025, 3, 3, 14)
    assert wt.next_working_moment(msk(2025, 3, 7, 17)) == msk(2025, 3, 10, 9)
    assert wt.next_working_moment(msk(2026, 12, 30, 18)) == msk(2027, 1, 11, 9)


def test_wall_clock_intervals_follow_dst_changes_in_foreign_zones() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    always = (((0, 1440),),) * 7
    wt = WorkingTime(berlin, always, NoOfficialCalendar(), preholiday_shortening_minutes=0)
    # 30.03.2025: clocks jump 02:00 → 03:00, so the local day has 23 real hours.
    day = wt.working_intervals(date(2025, 3, 30))
    assert day[0][1].timestamp() - day[0][0].timestamp() == 23 * 3600
    assert wt.between(*day[0]) == hours(23)
    assert wt.add(datetime(2025, 3, 30, 1, tzinfo=berlin), hours(2)) == datetime(
        2025, 3, 30, 4, tzinfo=berlin
    )


def test_invalid_schedules_are_rejected() -> None:
    with pytest.raises(ValueError, match="7 days"):
        engine((DAY,) * 6)
    with pytest.raises(ValueError, match="no working time"):
        engine(((),) * 7)
    with pytest.raises(ValueError, match="non-overlapping"):
        engine((((540, 800), (780, 900)),) + ((),) * 6)
    with pytest.raises(ValueError, match="both"):
        engine(extra_days_off={date(2025, 3, 3)}, extra_workdays={date(2025, 3, 3): 0})


def test_calendar_time_counts_every_second_except_pauses() -> None:
    ct = CalendarTime(MOSCOW)
    pause = (msk(2025, 3, 14, 20), msk(2025, 3, 14, 22))
    # 24 h from Friday 17:00 is Saturday 17:00; a 2 h pause inside pushes it to 19:00.
    assert ct.add(msk(2025, 3, 14, 17), hours(24)) == msk(2025, 3, 15, 17)
    assert ct.add(msk(2025, 3, 14, 17), hours(24), [pause]) == msk(2025, 3, 15, 19)
    assert ct.between(msk(2025, 3, 14, 17), msk(2025, 3, 15, 19), [pause]) == hours(24)
    assert ct.add_days(msk(2025, 3, 14, 17), 2) == msk(2025, 3, 16, 17)
    assert ct.subtract(msk(2025, 3, 15, 17), hours(24)) == msk(2025, 3, 14, 17)
    assert ct.add(datetime(2025, 3, 14, 14, tzinfo=UTC), hours(1)).utcoffset() == hours(3)
    assert ct.is_working(msk(2025, 3, 16, 3))
    assert ct.uncovered_years(msk(2028, 1, 1), msk(2029, 1, 1)) == ()


def test_both_engines_are_time_rulers() -> None:
    rulers: list[TimeRuler] = [engine(), CalendarTime(MOSCOW)]
    start = msk(2025, 3, 3, 12)
    answers = [r.between(start, r.add(start, hours(3))) for r in rulers]
    assert answers == [hours(3), hours(3)]

"""The arithmetic of reports: periods, when they are due, percentiles, the discipline log."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest

from domain.durations import ClockKind
from domain.reports import (
    Breach,
    BreachFact,
    Headline,
    Period,
    PeriodKind,
    ReportSchedule,
    WorkingSeconds,
    _seconds_stats,
    answer_seconds,
    discipline_log,
    due_periods,
    last_month,
    last_quarter,
    last_weekly,
    median,
    months_before,
    parse_period,
    percentile,
    surge_kind,
)
from domain.roles import Role
from tests.reports.conftest import MSK, RULERS, msk

FRIDAY = 4
H = timedelta(hours=1)


def test_the_weekly_period_runs_from_one_report_moment_to_the_next() -> None:
    at = time(16, 0)
    week = last_weekly(msk("2026-11-27 16:00"), MSK, FRIDAY, at)
    assert (week.start, week.end) == (msk("2026-11-20 16:00"), msk("2026-11-27 16:00"))
    assert week.start.tzinfo is UTC and week.kind is PeriodKind.WEEKLY
    before = last_weekly(msk("2026-11-27 15:59"), MSK, FRIDAY, at)
    assert before.end == msk("2026-11-20 16:00")
    on_tuesday = last_weekly(msk("2026-11-24 10:00"), MSK, FRIDAY, at)
    assert on_tuesday.end == msk("2026-11-20 16:00")
    monday = last_weekly(msk("2026-11-24 10:00"), MSK, 0, time(9, 0))
    assert (monday.start, monday.end) == (msk("2026-11-16 09:00"), msk("2026-11-23 09:00"))


def test_months_and_quarters_are_calendar_ones_in_local_time() -> None:
    month = last_month(msk("2026-12-01 00:30"), MSK)
    assert (month.start, month.end) == (msk("2026-11-01 00:00"), msk("2026-12-01 00:00"))
    quarter = last_quarter(msk("2027-01-12 10:00"), MSK)
    assert (quarter.start, quarter.end) == (msk("2026-10-01 00:00"), msk("2027-01-01 00:00"))
    assert quarter.previous(MSK) == Period(
        PeriodKind.QUARTERLY, msk("2026-07-01 00:00"), msk("2026-10-01 00:00")
    )
    assert month.previous(MSK).start == msk("2026-10-01 00:00")
    week = last_weekly(msk("2026-11-27 16:00"), MSK, FRIDAY, time(16))
    assert week.previous(MSK).end == week.start
    assert week.previous(MSK).start == msk("2026-11-13 16:00")


def test_a_month_before_clamps_the_day() -> None:
    assert months_before(msk("2026-03-31 10:00"), 1) == msk("2026-02-28 10:00")
    assert months_before(msk("2028-03-31 10:00"), 1) == msk("2028-02-29 10:00")
    assert months_before(msk("2026-01-15 10:00"), 3) == msk("2025-10-15 10:00")


def test_report_arguments() -> None:
    now = msk("2026-11-27 16:05")
    week = parse_period("week", now, MSK)
    assert week is not None and week.kind is PeriodKind.WEEKLY
    assert (week.start, week.end) == (now - timedelta(days=7), now)
    assert parse_period("", now, MSK) == week
    month = parse_period("Месяц", now, MSK)
    assert month is not None and month.start == msk("2026-10-27 16:05") and month.detailed
    quarter = parse_period("quarter", now, MSK)
    assert quarter is not None and quarter.start == msk("2026-08-27 16:05")
    days = parse_period("01.11.2026-30.11.2026", now, MSK)
    assert days is not None and days.kind is PeriodKind.CUSTOM
    assert (days.start, days.end) == (msk("2026-11-01 00:00"), now)
    october = parse_period("01.10.2026 – 31.10.2026", now, MSK)
    assert october is not None and october.end == msk("2026-11-01 00:00")
    for bad in (
        "yesterday",
        "31.11.2026-01.12.2026",
        "10.11.2026-01.11.2026",
        "01.01.2020-01.06.2026",
    ):
        assert parse_period(bad, now, MSK) is None
    assert parse_period("01.12.2026-05.12.2026", now, MSK) is None  # all in the future


def test_periods_travel_in_notices() -> None:
    week = last_weekly(msk("2026-11-27 16:00"), MSK, FRIDAY, time(16))
    assert Period.from_payload(week.payload()) == week


def test_median_and_the_90th_percentile() -> None:
    hours = [timedelta(hours=h) for h in (12, 2, 6, 4)]
    assert median(hours) == 5 * H
    assert percentile(hours, 90) == 12 * H
    assert percentile([H * k for k in range(1, 11)], 90) == 9 * H
    assert median([3 * H]) == percentile([3 * H], 90) == 3 * H
    assert median([]) is None and percentile([], 90) is None
    with pytest.raises(ValueError, match="p is in"):
        percentile(hours, 0)


def test_monthly_and_quarterly_summaries_wait_for_the_first_working_moment() -> None:
    monthly = ReportSchedule(zone=MSK, weekly=False, monthly=True)
    assert due_periods(monthly, msk("2026-12-01 08:59"), RULERS.working) == []
    (november,) = due_periods(monthly, msk("2026-12-01 09:00"), RULERS.working)
    assert november.kind is PeriodKind.MONTHLY and november.end == msk("2026-12-01 00:00")
    # New Year holidays: the fourth quarter's summary waits for the first working day.
    first_working = RULERS.working.next_working_moment(msk("2027-01-01 00:00"))
    assert first_working > msk("2027-01-08 00:00")
    quarterly = ReportSchedule(zone=MSK, weekly=False, quarterly=True)
    assert due_periods(quarterly, first_working - timedelta(minutes=1), RULERS.working) == []
    (fourth,) = due_periods(quarterly, first_working, RULERS.working)
    assert (fourth.start, fourth.end) == (msk("2026-10-01 00:00"), msk("2027-01-01 00:00"))
    weekly = ReportSchedule(zone=MSK)
    (week,) = due_periods(weekly, msk("2026-11-27 16:00"), RULERS.working)
    assert week.end == msk("2026-11-27 16:00")


def test_headlines_add_up() -> None:
    a = Headline(total=2, answered=1, on_time=1, open=1)
    b = Headline(total=1, late=1, answered=1)
    assert a + b == Headline(total=3, answered=2, on_time=1, late=1, open=1)


def test_surge_kinds_fit_the_column() -> None:
    kind = surge_kind("potholes", "улица Ленина, 5 — очень длинное название микрорайона")
    assert len(kind) <= 32 and kind.startswith("surge:")
    assert kind == surge_kind("potholes", "УЛИЦА ЛЕНИНА, 5 — очень длинное название микрорайона")
    assert kind != surge_kind("heating", "улица Ленина, 5 — очень длинное название микрорайона")


def _breach(holder: int | None, role: Role, hours: float, department: int | None = 1) -> Breach:
    due = datetime(2026, 11, 24, 10, tzinfo=UTC) + timedelta(hours=hours)
    fact = BreachFact(
        1,
        "2026-000001",
        "draft",
        "п. 9",
        ClockKind.WORKING,
        holder,
        role,
        department,
        due - H,
        due,
        None,
    )
    return Breach(fact, timedelta(hours=hours))


def test_the_discipline_log_groups_breaches_per_person_most_overdue_first() -> None:
    log = discipline_log(
        [
            _breach(7, Role.EXECUTOR, 1),
            _breach(8, Role.EXECUTOR, 5),
            _breach(7, Role.EXECUTOR, 3),
            _breach(None, Role.DEPARTMENT_LEAD, 0.5, department=2),
            _breach(None, Role.HEAD, 2, department=None),
        ],
        leads={1: 9, 2: 7},
    )
    # the lead of department 2 is person 7: their half hour joins their own breaches
    assert [(p.person_id, len(p.breaches), p.total_overdue) for p in log] == [
        (8, 1, 5 * H),
        (7, 3, 4.5 * H),
        (None, 1, 2 * H),
    ]
    assert log[-1].role is Role.HEAD


def test_working_seconds_agree_with_the_working_time_engine() -> None:
    rng = random.Random(7)
    base = msk("2026-12-20 00:00")  # across the New Year holidays and a shortened day
    moments = sorted(base + timedelta(minutes=rng.randrange(0, 40 * 24 * 60)) for _ in range(400))
    pairs = [(int(a.timestamp()), int(b.timestamp())) for a, b in pairwise(moments)]
    fast = answer_seconds(pairs, RULERS.working, MSK)
    exact = [int(RULERS.working.between(a, b).total_seconds()) for a, b in pairwise(moments)]
    assert fast == exact
    clock = WorkingSeconds(RULERS.working, date(2026, 11, 23), date(2026, 11, 27))
    start, end = msk("2026-11-23 15:00"), msk("2026-11-25 10:00")
    assert clock.between(int(start.timestamp()), int(end.timestamp())) == 12 * 3600
    assert clock.between(int(end.timestamp()), int(start.timestamp())) == 0


def test_working_seconds_of_many_pairs_at_once_agree_with_one_at_a_time() -> None:
    rng = random.Random(11)
    clock = WorkingSeconds(RULERS.working, date(2026, 12, 25), date(2027, 1, 20))
    base = int(msk("2026-12-20 00:00").timestamp())  # some before the covered days
    pairs = [
        (base + rng.randrange(0, 35 * 86400), base + rng.randrange(0, 35 * 86400))
        for _ in range(2000)
    ]
    assert clock.between_each(pairs) == [clock.between(a, b) for a, b in pairs]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 11, 1000, 1001])
def test_answer_stats_are_the_median_and_the_90th_percentile(n: int) -> None:
    rng = random.Random(n)
    values = [rng.randrange(0, 40 * 3600) for _ in range(n)]
    times = [timedelta(seconds=v) for v in values]
    expected = (median(times), percentile(times, 90) if times else None)
    assert _seconds_stats(values) == expected

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.scheduler import report_triggers

MSK = ZoneInfo("Europe/Moscow")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)


def test_the_weekly_report_fires_on_friday_at_its_minute_in_the_organisations_zone() -> None:
    (weekly,) = report_triggers(MSK, weekly=(4, 16, 0), monthly=False, quarterly=False)
    assert weekly.get_next_fire_time(None, MONDAY) == datetime(2026, 11, 27, 16, 0, tzinfo=MSK)


def test_monthly_and_quarterly_reports_fire_when_their_period_ends() -> None:
    (quarterly,) = report_triggers(MSK, weekly=None, monthly=False, quarterly=True)
    assert quarterly.get_next_fire_time(None, MONDAY) == datetime(2027, 1, 1, 0, 0, tzinfo=MSK)
    (monthly,) = report_triggers(MSK, weekly=None, monthly=True, quarterly=True)
    assert monthly.get_next_fire_time(None, MONDAY) == datetime(2026, 12, 1, 0, 0, tzinfo=MSK)
    assert report_triggers(MSK, weekly=None, monthly=False, quarterly=False) == []

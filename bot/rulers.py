"""Working time and calendar time of the configured organisation."""

from __future__ import annotations

from bot.config import Settings
from domain.timeline import Rulers
from domain.worktime import CalendarFacts, CalendarTime, NoOfficialCalendar, WorkingTime


def calendar_facts(settings: Settings) -> CalendarFacts:
    if settings.calendar.production_calendar == "none":
        return NoOfficialCalendar()
    from bot.production_calendar import RussianCalendarFacts

    return RussianCalendarFacts()


def build_working_time(settings: Settings) -> WorkingTime:
    cal = settings.calendar
    return WorkingTime(
        settings.organization.zone,
        cal.week(),
        calendar_facts(settings),
        extra_days_off=cal.extra_days_off,
        extra_workdays=cal.workdays(),
        preholiday_shortening_minutes=cal.preholiday_shortening_minutes,
    )


def build_rulers(settings: Settings) -> Rulers:
    return Rulers(
        working=build_working_time(settings), calendar=CalendarTime(settings.organization.zone)
    )

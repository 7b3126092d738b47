"""Working time, calendar time and every-day time of the configured organisation."""

from __future__ import annotations

from bot.config import Settings
from domain.timeline import Rulers
from domain.worktime import CalendarFacts, CalendarTime, NoOfficialCalendar, WorkingTime


def calendar_facts(settings: Settings) -> CalendarFacts:
    if settings.calendar.production_calendar == "none":
        return NoOfficialCalendar()
    from bot.production_calendar import RussianCalendarFacts

    return RussianCalendarFacts()


def build_working_time(settings: Settings, *, every_day: bool = False) -> WorkingTime:
    """The working clock; with `every_day`, days off are worked with the usual daily hours
    (`calendar.days_off_hours`, Gulkevichi 3.10)."""
    cal = settings.calendar
    return WorkingTime(
        settings.organization.zone,
        cal.week(),
        calendar_facts(settings),
        extra_days_off=cal.extra_days_off,
        extra_workdays=cal.workdays(),
        preholiday_shortening_minutes=cal.preholiday_shortening_minutes,
        days_off_schedule=cal.days_off_schedule() if every_day else None,
    )


def build_rulers(settings: Settings) -> Rulers:
    return Rulers(
        working=build_working_time(settings),
        calendar=CalendarTime(settings.organization.zone),
        every_day=build_working_time(settings, every_day=True),
    )

"""Adapter: the Russian production calendar from the `holidays` package.

`holidays.country_holidays("RU", years=y)` lists the non-working days (holidays, days off
moved by decree, days off observed after a holiday that fell on a weekend) and its
`weekend_workdays` lists the weekend days made working. Which weekday a working weekend
day replaces is only in the package's private decree table
`RussiaStaticHolidays.special_public_holidays`: entries
(to_month, to_day, from_month, from_day[, from_year]) mean "day off on the to-date, moved
from the from-date"; a working weekend from-date therefore follows the to-date's weekday.

A year counts as covered by a decree when it is not later than the last year present in
the decree tables (in holidays 0.109: 2027). Years before that without entries simply had
no transfers. If the private table is missing (a future version of the package), the
adapter degrades: a year is covered when the package lists any day off beyond art. 112 or
any working weekend, and a working weekend follows Monday's schedule; this is logged once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import holidays

from domain.worktime import YearFacts, is_statutory_holiday

logger = logging.getLogger("otklik.worktime")

FIRST_YEAR = 1991


def _entries(value: Any) -> Iterable[tuple[Any, ...]]:
    if isinstance(value, tuple) and value and isinstance(value[0], int):
        return (value,)
    return value if isinstance(value, tuple | list) else ()


def _read_decrees() -> tuple[dict[date, date], int] | None:
    """(working weekend day → replaced weekday, last decree year), or None if unreadable."""
    try:
        from holidays.countries.russia import RussiaStaticHolidays

        transfers = RussiaStaticHolidays.special_public_holidays
        observed = getattr(RussiaStaticHolidays, "special_public_holidays_observed", {})
        replaced: dict[date, date] = {}
        for year, value in transfers.items():
            for entry in _entries(value):
                if len(entry) in (4, 5) and all(isinstance(x, int) for x in entry):
                    to_month, to_day, from_month, from_day, *rest = entry
                    from_date = date(rest[0] if rest else year, from_month, from_day)
                    replaced[from_date] = date(year, to_month, to_day)
        years = [y for y in (*transfers, *observed) if isinstance(y, int)]
        if not years:
            return None
        return replaced, max(years)
    except (ImportError, AttributeError, TypeError, ValueError):
        return None


def _monday_after(day: date) -> date:
    """Stand-in for an unknown replaced weekday: the working weekend follows Monday."""
    return day + timedelta(days=7 - day.weekday())


class RussianCalendarFacts:
    """`domain.worktime.CalendarFacts` backed by the `holidays` package; results cached per year."""

    def __init__(self) -> None:
        self._cache: dict[int, YearFacts | None] = {}
        self._decrees = _read_decrees()
        if self._decrees is None:
            logger.warning(
                "holidays %s: the Russian decree table is unreadable; working weekends "
                "will follow Monday's schedule and decree years are guessed",
                getattr(holidays, "__version__", "?"),
            )

    @property
    def last_decree_year(self) -> int | None:
        return self._decrees[1] if self._decrees is not None else None

    def year(self, year: int) -> YearFacts | None:
        if year not in self._cache:
            self._cache[year] = self._load(year)
        return self._cache[year]

    def _load(self, year: int) -> YearFacts | None:
        if year < FIRST_YEAR:
            return None
        if self._decrees is not None and year > self._decrees[1]:
            return None
        calendar = holidays.country_holidays("RU", years=year)
        days_off = frozenset(d for d in calendar if d.year == year)
        weekend_workdays = sorted(d for d in calendar.weekend_workdays if d.year == year)
        if self._decrees is None:
            decreed = weekend_workdays or any(not is_statutory_holiday(d) for d in days_off)
            if not decreed:
                return None
            return YearFacts(days_off, {d: _monday_after(d) for d in weekend_workdays})
        replaced = self._decrees[0]
        working = {
            d: replaced.get(d, d + timedelta(days=7 - d.weekday())) for d in weekend_workdays
        }
        return YearFacts(days_off, working)

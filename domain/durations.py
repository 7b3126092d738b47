"""Timer lengths as the acts write them: "30min", "9h", "1h30min", "2d" (working days)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

_PART = re.compile(r"(\d+)\s*(min|m|h|d)")
_WHOLE = re.compile(r"^\s*(?:\d+\s*(?:min|m|h|d)\s*)+$")


class ClockKind(StrEnum):
    WORKING = "working"
    """Working time of the organisation: schedule, production calendar, pauses."""
    CALENDAR = "calendar"
    """Plain hours as written (Myasnikovsky's 24 hours): nights and weekends count."""
    EVERY_DAY = "every_day"
    """Working hours on every day (Gulkevichi 3.10: emergencies are answered on days off too).
    Working days keep the working clock's intervals (pre-holiday shortening included); days
    off are worked with the usual daily hours (`calendar.days_off_hours`), lunch included, and
    nights never count."""


@dataclass(frozen=True, slots=True)
class Duration:
    minutes: int = 0
    days: int = 0
    """Whole working days: "within N working days from the day of X"."""

    def __post_init__(self) -> None:
        if self.minutes < 0 or self.days < 0:
            raise ValueError("a duration cannot be negative")
        if self.minutes and self.days:
            raise ValueError("a duration is either in days or in hours and minutes, not both")

    @property
    def delta(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    @classmethod
    def parse(cls, text: str) -> Duration:
        if not isinstance(text, str) or not _WHOLE.match(text):
            raise ValueError(f"bad duration {text!r}: write it like '30min', '9h', '1h30min', '2d'")
        minutes = days = 0
        for amount, unit in _PART.findall(text):
            if unit == "d":
                days += int(amount)
            elif unit == "h":
                minutes += int(amount) * 60
            else:
                minutes += int(amount)
        return cls(minutes=minutes, days=days)

    def __str__(self) -> str:
        if self.days:
            return f"{self.days}d"
        hours, minutes = divmod(self.minutes, 60)
        if hours and minutes:
            return f"{hours}h{minutes}min"
        return f"{hours}h" if hours else f"{minutes}min"

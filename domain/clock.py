"""The one way the domain learns what time it is."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware moment."""
        ...


def require_aware(moment: datetime, what: str = "moment") -> datetime:
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(f"{what} must be timezone-aware: {moment.isoformat()}")
    return moment

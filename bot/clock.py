"""The only place that reads the wall clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileClock:
    """For end-to-end tests: "now" is the moment written in a file, ticking on in real time.

    A test moves the bot's time by writing a new ISO moment into the file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: int | None = None
        self._base = datetime.now(UTC)
        self._since = time.monotonic()

    def now(self) -> datetime:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = None
        if stamp is not None and stamp != self._stamp:
            text = self.path.read_text("utf-8").strip()
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                raise ValueError(f"{self.path}: the clock file needs an aware ISO moment")
            self._stamp, self._base, self._since = stamp, moment.astimezone(UTC), time.monotonic()
        return self._base + timedelta(seconds=time.monotonic() - self._since)

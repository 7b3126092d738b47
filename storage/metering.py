"""SQL statements counted per piece of work: the inbox meters each update it handles (for the
log and the whole-bot benchmark). An engine made by `storage.engine.create_engine` counts into
the meter of the task running the statement, if it has one."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Meter:
    statements: int = 0


_CURRENT: ContextVar[Meter | None] = ContextVar("otklik_meter", default=None)


def start() -> Meter:
    """A new meter for the work of the current task (and the tasks it starts)."""
    meter = Meter()
    _CURRENT.set(meter)
    return meter


def count(*_: Any) -> None:
    """The engine's `before_cursor_execute` listener."""
    meter = _CURRENT.get()
    if meter is not None:
        meter.statements += 1

"""SQL statements counted per piece of work: the inbox meters each update it handles (for the
log and the whole-bot benchmark). An engine made by `storage.engine.create_engine` counts into
the meter of the task running the statement, if it has one."""

from __future__ import annotations

import time
from collections.abc import Coroutine, Generator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


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


class CpuMeter:
    """The CPU time of one coroutine's own steps: the event loop's thread time while it ran,
    not while other tasks did (the process's CPU over a handling that waits for Telegram's
    per-chat limit is mostly other people's work). Work done for it in other threads (SQLite's
    own, in aiosqlite's thread) is not in it."""

    __slots__ = ("seconds",)

    def __init__(self) -> None:
        self.seconds = 0.0

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return await _Stepped(coro, self)


class _Stepped(Generic[T]):
    """Drives a coroutine step by step, as a task would, timing each step."""

    __slots__ = ("coro", "meter")

    def __init__(self, coro: Coroutine[Any, Any, T], meter: CpuMeter) -> None:
        self.coro = coro
        self.meter = meter

    def __await__(self) -> Generator[Any, Any, T]:
        coro, meter = self.coro, self.meter
        value: Any = None
        error: BaseException | None = None
        while True:
            started = time.thread_time()
            try:
                yielded = coro.send(value) if error is None else coro.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            finally:
                meter.seconds += time.thread_time() - started
            try:
                value, error = (yield yielded), None
            except BaseException as exc:  # cancellation included: passed on to the coroutine
                value, error = None, exc

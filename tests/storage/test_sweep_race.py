"""The deadline sweep and a person's action at once, on a real SQLite file and on PostgreSQL:
whatever the action did to a timer after the sweep read it stays done, and the sweep says
nothing of a timer stopped meanwhile (issue: a part sent on time reported as a breach)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from domain.deadlines import Deadlines
from domain.profiles import shipped_profile
from domain.routing import Routing
from domain.timers import NoticeKind, Timer
from storage.engine import Database
from storage.uow import SqlUnitOfWork
from tests.fakes import FixedClock
from tests.storage.conftest import UowFactory
from tests.storage.test_routing_store import POST, RULERS, msk, office


def backend_of(uow_factory: UowFactory) -> str:
    """The store behind the factory: postgresql, sqlite or the in-memory fake."""
    uow = uow_factory()
    session = getattr(uow, "session", None)
    if session is None:
        return "fake"
    name: str = session.get_bind().dialect.name
    return name


class _Gate:
    """Holds the sweep right after it read the due timers, until the action has committed."""

    def __init__(self) -> None:
        self.read = asyncio.Event()
        self.go = asyncio.Event()


class _Timers:
    def __init__(self, inner: Any, gate: _Gate) -> None:
        self._inner = inner
        self._gate = gate

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def to_remind(self, now: datetime, limit: int = 100) -> Sequence[Timer]:
        found: Sequence[Timer] = await self._inner.to_remind(now, limit)
        self._gate.read.set()
        await self._gate.go.wait()
        return found


class _Held:
    """A unit of work whose `timers.to_remind` waits at the gate."""

    def __init__(self, inner: Any, gate: _Gate) -> None:
        self._inner = inner
        self.timers = _Timers(inner.timers, gate)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def __aenter__(self) -> _Held:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._inner.__aexit__(*exc)


async def test_a_timer_stopped_while_the_sweep_runs_is_neither_breached_nor_undone(
    db: Database,
) -> None:
    """On the real engines only: the in-memory fake has no concurrent transactions."""

    def uow_factory() -> SqlUnitOfWork:
        return SqlUnitOfWork(db.sessions)

    ids = await office(uow_factory)
    clock = FixedClock(msk("2026-11-24 10:00"))
    lipetsk = shipped_profile("lipetsk")
    routing = Routing(uow_factory, clock, lipetsk, RULERS)
    inc = (await routing.register_post(100, POST)).incident
    assert inc.id is not None
    clock.set(msk("2026-11-24 10:31"))  # п. 6's 30 minutes ran out at 10:30

    gate = _Gate()
    sweep = Deadlines(lambda: _Held(uow_factory(), gate), clock, lipetsk, RULERS)
    running = asyncio.create_task(sweep.sweep())
    await asyncio.wait_for(gate.read.wait(), 30)
    # The curator routes it now, between the sweep's read and its write.
    acting = asyncio.create_task(routing.assign(100, inc.id, inc.version, [ids["roads"]]))
    if backend_of(uow_factory) == "postgresql":
        # The sweep holds the due timers' rows (FOR UPDATE SKIP LOCKED): the action waits
        # for it, so the sweep goes first and the breach it saw stands.
        gate.go.set()
        report = await asyncio.wait_for(running, 30)
        await asyncio.wait_for(acting, 30)
    else:
        # SQLite: the sweep's read took no lock; the action commits first.
        await asyncio.wait_for(acting, 30)
        gate.go.set()
        report = await asyncio.wait_for(running, 30)

    async with uow_factory() as uow:
        route = next(t for t in await uow.timers.for_incident(inc.id) if t.name == "route")
        notices = list(await uow.outbox.pending(1000))
    breach_notices = [m for m in notices if m.kind is NoticeKind.BREACH]
    assert route.stopped_at == msk("2026-11-24 10:31")  # the action's stop stays either way
    assert route.remind_at is None
    if report.breaches:  # the sweep went first: its breach stands, told once
        assert route.breached_at == msk("2026-11-24 10:30") and breach_notices
    else:  # the action went first: nothing is said of a stopped timer
        assert route.breached_at is None and not breach_notices
    assert (report.breaches == 1) == (backend_of(uow_factory) == "postgresql")


async def test_a_breach_the_sweep_recorded_survives_an_action_writing_its_older_copy(
    uow_factory: UowFactory,
) -> None:
    ids = await office(uow_factory)
    clock = FixedClock(msk("2026-11-24 10:00"))
    lipetsk = shipped_profile("lipetsk")
    routing = Routing(uow_factory, clock, lipetsk, RULERS)
    inc = (await routing.register_post(100, POST)).incident
    assert inc.id is not None
    clock.set(msk("2026-11-24 10:31"))
    report = await Deadlines(uow_factory, clock, lipetsk, RULERS).sweep()
    assert report.breaches == 1
    async with uow_factory() as uow:
        stale = next(t for t in await uow.timers.open_for(inc.id) if t.name == "route")
        # An action that read the timer before the breach writes its copy back.
        await uow.timers.update(replace(stale, breached_at=None))
        await uow.commit()
    await routing.assign(100, inc.id, inc.version, [ids["roads"]])
    async with uow_factory() as uow:
        route = next(t for t in await uow.timers.for_incident(inc.id) if t.name == "route")
    assert route.breached_at == msk("2026-11-24 10:30")

"""The SQLite driver (storage/sqlite_driver.py): a statement in one trip to aiosqlite's thread,
and everything SQLAlchemy reads of a cursor as its own adapter gives it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from storage.engine import create_engine
from storage.sqlite_driver import OneTripCursor


@pytest.fixture
async def engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    made = create_engine(sqlite_url)
    yield made
    await made.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each function aiosqlite's thread is given, by name."""
    given: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(fn, "__name__", repr(fn))
        given.append(f"{name}: {args[1]}" if name == "_run" and "INSERT" in args[1] else name)
        return await original(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return given


async def test_a_statement_is_one_trip_to_the_thread(engine: AsyncEngine, trips: list[str]) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection.cursor(), OneTripCursor)  # type: ignore[union-attr]
        trips.clear()
        rows = (await conn.execute(text("SELECT value FROM json_each('[1,2,3]')"))).all()
        assert [r[0] for r in rows] == [1, 2, 3]
        assert trips == ["_run"]  # SQLAlchemy's own adapter: cursor, execute, fetchall, close


async def test_no_trip_to_end_a_read_nor_to_roll_back_after_a_commit(
    engine: AsyncEngine, trips: list[str]
) -> None:
    """A read runs outside a transaction: the session's rollback and the pool's reset at its
    end have nothing to end and make no trip. A write's commit makes one, and what it wrote
    is there."""
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE r (v INTEGER)"))
    sessions = async_sessionmaker(engine)
    trips.clear()
    async with sessions() as session:
        assert await session.scalar(text("SELECT count(*) FROM r")) == 0
        await session.rollback()
    assert trips == ["_run"]
    trips.clear()
    async with sessions() as session:
        await session.execute(text("INSERT INTO r VALUES (7)"))
        await session.commit()
        await session.rollback()
    assert trips == ["_run: INSERT INTO r VALUES (7)", "commit"]
    trips.clear()
    async with sessions() as session:
        await session.execute(text("INSERT INTO r VALUES (8)"))
        await session.rollback()  # a transaction open: rolled back
    assert trips == ["_run: INSERT INTO r VALUES (8)", "rollback"]
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT v FROM r"))).scalars().all() == [7]


async def test_writes_give_rowcount_ids_and_returning_rows(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
        first = await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        assert first.lastrowid == 1
        assert first.rowcount == 1
        many = await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}])
        assert many.rowcount == 2
        back = await conn.execute(text("INSERT INTO t (v) VALUES ('d') RETURNING id, v"))
        assert back.all() == [(4, "d")]
        changed = await conn.execute(text("UPDATE t SET v = v || '!' WHERE id > 1"))
        assert changed.rowcount == 3
        none = await conn.execute(text("SELECT v FROM t WHERE id > 99"))
        assert none.first() is None
        values = (await conn.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all()
        assert values == ["a", "b!", "c!", "d!"]
        part = await conn.execute(text("SELECT id FROM t ORDER BY id"))
        assert part.fetchmany(3) == [(1,), (2,), (3,)]
        assert part.fetchmany(3) == [(4,)]


async def test_errors_come_as_sqlalchemys_and_the_connection_goes_on(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("CREATE TABLE u (v TEXT UNIQUE)"))
        await conn.execute(text("INSERT INTO u VALUES ('x')"))
        with pytest.raises(IntegrityError):
            await conn.execute(text("INSERT INTO u VALUES ('x')"))
        await conn.rollback()
        with pytest.raises(OperationalError, match="no such table"):
            await conn.execute(text("SELECT * FROM missing"))
        await conn.rollback()
        assert (await conn.execute(text("SELECT count(*) FROM u"))).scalar() == 0


async def test_writers_take_turns_in_the_order_they_came(sqlite_url: str, trips: list[str]) -> None:
    """Three units of work write at once: each waits for the one before it to commit, in the
    order they came (woken at once, not by SQLite's busy handler), and none fails; a rollback
    gives the turn on too."""
    engine = create_engine(sqlite_url)
    order: list[str] = []
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE w (who TEXT)"))
        first_wrote = asyncio.Event()
        release_first = asyncio.Event()
        read: dict[str, asyncio.Event] = {w: asyncio.Event() for w in "abc"}

        async def writer(who: str, *, hold: bool = False, fail: bool = False) -> None:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT count(*) FROM w"))  # reads never wait
                read[who].set()
                await conn.execute(text("INSERT INTO w VALUES (:who)"), {"who": who})
                order.append(who)
                if hold:
                    first_wrote.set()
                    await release_first.wait()
                if fail:
                    await conn.rollback()
                else:
                    await conn.commit()

        async def settle() -> None:
            for _ in range(20):  # as far as it gets: the gate, or SQLite's busy handler
                await asyncio.sleep(0)

        first = asyncio.create_task(writer("a", hold=True))
        await first_wrote.wait()
        second = asyncio.create_task(writer("b", fail=True))
        await read["b"].wait()
        await settle()
        third = asyncio.create_task(writer("c"))
        await read["c"].wait()
        await settle()
        assert order == ["a"]
        inserts = [t for t in trips if "INSERT" in t]
        assert len(inserts) == 1  # b's and c's wait here, not in SQLite's busy handler
        release_first.set()
        await asyncio.gather(first, second, third)
        assert order == ["a", "b", "c"]
        async with engine.connect() as conn:
            kept = (await conn.execute(text("SELECT who FROM w ORDER BY rowid"))).scalars().all()
        assert kept == ["a", "c"]
    finally:
        await engine.dispose()


async def test_a_writer_nested_in_a_writer_still_gets_sqlites_answer(sqlite_url: str) -> None:
    """A unit of work that writes while its own task holds another's write transaction cannot
    get the turn: past the busy timeout it goes on to SQLite's lock and is told it is locked,
    as before the gate, instead of waiting for ever."""
    engine = create_engine(sqlite_url, busy_timeout=0.2)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE n (v INTEGER)"))
        async with engine.connect() as outer:
            await outer.execute(text("INSERT INTO n VALUES (1)"))
            async with engine.connect() as inner:
                with pytest.raises(OperationalError, match="locked"):
                    await asyncio.wait_for(inner.execute(text("INSERT INTO n VALUES (2)")), 30)
                await inner.rollback()
            await outer.commit()
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM n"))).scalar() == 1
    finally:
        await engine.dispose()

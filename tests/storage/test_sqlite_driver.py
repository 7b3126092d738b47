"""The SQLite driver (storage/sqlite_driver.py): a statement in one trip to aiosqlite's thread,
and everything SQLAlchemy reads of a cursor as its own adapter gives it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

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
        given.append(getattr(fn, "__name__", repr(fn)))
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

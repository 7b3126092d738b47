"""SQLite through aiosqlite, each statement in one trip to aiosqlite's thread.

SQLAlchemy's aiosqlite adapter makes four trips to that thread per statement (open a cursor,
execute, fetch, close), each a queue put, a thread wake-up and a wake-up of the event loop:
measured, three quarters of a statement's CPU on the bot's thread (a press runs ten). Here a
statement is executed, fetched and its cursor closed by one function in the thread, and the
cursor given to SQLAlchemy holds the rows, the description, `rowcount` and `lastrowid`. A
commit or rollback with no transaction open (a read: Python's sqlite3 begins one at the first
write) makes no trip at all.

Writers take turns in the process before SQLite's lock (`OneTripDbapi.write_gate`): the first
write of a transaction (when Python's sqlite3 begins it, `BEGIN IMMEDIATE`) waits for the gate,
and commit, rollback or close give it back, so writers of one process go in the order they came
and are woken at once. Without it they wait in SQLite's busy handler, which sleeps up to 100 ms
between tries whatever happens meanwhile: under a burst, a few updates waited over a second
while others went first. A writer that waits longer than the busy timeout for the gate (a unit
of work writing while its own task holds another's transaction) goes on to SQLite's lock, as
before, and gets its "database is locked" there.

It relies on aiosqlite's `Connection._execute` (queue a function for its thread) and `_conn`
(its `sqlite3.Connection`), which aiosqlite has had for years; the versions are pinned in
`pyproject.toml`, and `tests/storage/test_sqlite_driver.py` fails if they go away."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, list[Any], int, int | None]
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN")
"""Statements before which Python's sqlite3 begins a transaction (and `BEGIN` itself)."""


def _writes(operation: str) -> bool:
    return operation.lstrip()[:7].upper().startswith(_WRITES)


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """In aiosqlite's thread: the statement executed, its rows fetched, its cursor closed."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor:
    """A DBAPI cursor for SQLAlchemy whose statement runs in one trip (`_run`)."""

    server_side = False
    __slots__ = ("_adapt", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, adapt_connection: OneTripConnection) -> None:
        self._adapt = adapt_connection
        self._rows: collections.deque[Any] = collections.deque()
        self.arraysize = 1
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def _call(self, operation: str, parameters: Any, many: bool) -> _Outcome:
        adapt = self._adapt
        async with adapt._execute_mutex:
            if not adapt._holds_gate and (many or _writes(operation)):
                await adapt._take_gate()
            connection = cast(aiosqlite.Connection, adapt._connection)
            outcome: _Outcome = await connection._execute(  # type: ignore[no-untyped-call]
                _run, connection._conn, operation, parameters, many
            )
            return outcome

    def _trip(self, operation: str, parameters: Any, many: bool) -> None:
        try:
            outcome = await_(self._call(operation, parameters, many))
        except Exception as error:
            self._adapt._handle_exception(error)
        self.description, rows, self.rowcount, self.lastrowid = outcome
        self._rows = collections.deque(rows)

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._trip(operation, parameters, False)

    def executemany(self, operation: str, seq_of_parameters: Sequence[Any]) -> None:
        self._trip(operation, seq_of_parameters, True)

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.popleft()

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        """SQLAlchemy's async results ask the cursor to close early: it holds nothing open."""

    def setinputsizes(self, *inputsizes: Any) -> None:
        """Nothing to set for SQLite."""

    def nextset(self) -> None:
        """SQLite gives one result set per statement."""
        self._rows.clear()
        self.description = None


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_holds_gate",)
    _cursor_cls = OneTripCursor  # type: ignore[assignment]
    dbapi: OneTripDbapi

    def __init__(self, dbapi: OneTripDbapi, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._holds_gate = False

    async def _take_gate(self) -> None:
        gate = self.dbapi.write_gate
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(gate.acquire(), self.dbapi.gate_timeout)
            self._holds_gate = True

    def _give_gate(self) -> None:
        if self._holds_gate:
            self._holds_gate = False
            self.dbapi.write_gate.release()

    @contextlib.contextmanager
    def _ending(self) -> Iterator[None]:
        """Around whatever ends the transaction: the gate is given back even if it fails."""
        try:
            yield
        finally:
            self._give_gate()

    def _in_transaction(self) -> bool:
        """Whether SQLite has a transaction open on this connection (read from here: sqlite3
        answers from any thread, and nothing of this connection is in aiosqlite's thread
        between statements)."""
        plain: sqlite3.Connection | None = self._connection._connection
        return plain is not None and plain.in_transaction

    def commit(self) -> None:
        with self._ending():
            if self._in_transaction():
                super().commit()

    def rollback(self) -> None:
        """Only a transaction is rolled back: reads run outside one, and SQLAlchemy rolls back
        at the end of every session and again when the pool takes the connection back, each a
        trip to aiosqlite's thread for nothing (two of a read's three trips)."""
        with self._ending():
            if self._in_transaction():
                super().rollback()

    def close(self) -> None:
        with self._ending():
            super().close()

    def terminate(self) -> None:
        with self._ending():
            super().terminate()


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DBAPI of SQLAlchemy whose connections make `OneTripCursor`s (server-side
    cursors, which the bot does not use, stay SQLAlchemy's own). Given to `create_engine` as
    its `module`."""

    def __init__(
        self,
        aiosqlite_module: ModuleType = aiosqlite,
        sqlite: ModuleType = sqlite3,
        *,
        gate_timeout: float = 10.0,
    ) -> None:
        super().__init__(aiosqlite_module, sqlite)
        self.write_gate = asyncio.Lock()
        """Held by the connection whose transaction writes (one engine, one database file)."""
        self.gate_timeout = gate_timeout

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        plain = super().connect(*arg, **kw)
        return OneTripConnection(self, plain._connection)

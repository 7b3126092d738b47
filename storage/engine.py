"""Engines for SQLite (the default, a file in the data directory) and PostgreSQL, and opening
the database at start with clear one-line errors.

SQLite runs in WAL mode. Reads run outside a transaction; the first write of a unit of work
takes the write lock (`BEGIN IMMEDIATE`, waiting up to the busy timeout) and so sees the latest
committed state, as a PostgreSQL READ COMMITTED transaction does: of two concurrent updates of
one incident version, the second finds the version moved and raises `StaleVersion`, never
"database is locked".
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import metering
from storage.sqlite_driver import OneTripDbapi
from storage.uow import SqlUnitOfWork

SQLITE_FILE = "otklik.sqlite3"
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT = 10.0
"""Seconds a writer waits for another's transaction on SQLite."""
CONNECT_TIMEOUT = 10.0
UPGRADE_HINT = "run `python -m bot db upgrade` or set storage.upgrade_at_start = true"
"""Seconds to reach a PostgreSQL server."""


class StorageError(Exception):
    """The database cannot be used; the message is one line naming the problem."""


TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
"""PostgreSQL: serialization failure, deadlock, lock not available: try the whole work again."""


def is_transient(exc: BaseException) -> bool:
    """A write refused for another's lock (SQLite "database is locked" past the busy timeout,
    a PostgreSQL serialization failure or deadlock): the same work, repeated, can succeed."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError):
            orig = current.orig
            if isinstance(orig, sqlite3.OperationalError) or "sqlite" in type(orig).__module__:
                reason = str(orig).lower()
                if "locked" in reason or "busy" in reason:
                    return True
            state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
            cause = getattr(orig, "__cause__", None)
            state = state or getattr(cause, "sqlstate", None)
            if state in TRANSIENT_SQLSTATES:
                return True
        elif isinstance(current, sqlite3.OperationalError):
            reason = str(current).lower()
            if "locked" in reason or "busy" in reason:
                return True
        current = current.__cause__ or current.__context__
    return False


def database_url(data_dir: Path | str, url: str | None) -> str:
    """The configured URL, or the SQLite file `otklik.sqlite3` in the data directory."""
    if url:
        return url
    return f"sqlite+aiosqlite:///{Path(data_dir).as_posix()}/{SQLITE_FILE}"


def parse_url(url: str) -> URL:
    """SQLite through aiosqlite, PostgreSQL through asyncpg; anything else is refused."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"not a database URL: {url!r}") from None
    if parsed.drivername in ("sqlite", "sqlite+aiosqlite"):
        return parsed.set(drivername="sqlite+aiosqlite")
    if parsed.drivername in ("postgresql", "postgresql+asyncpg"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise StorageError(
        f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
        "use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST/DB"
    )


def sqlite_path(url: URL) -> Path | None:
    """The file of an SQLite URL; None for an in-memory database or another engine."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database or "")


def safe_url(url: str | URL) -> str:
    parsed = url if isinstance(url, URL) else make_url(url)
    return parsed.render_as_string(hide_password=True)


def create_engine(
    url: str | URL,
    *,
    busy_timeout: float = BUSY_TIMEOUT,
    foreign_keys: bool = True,
    transactional_ddl: bool = False,
    **kwargs: Any,
) -> AsyncEngine:
    """An engine set up for the bot. `transactional_ddl` (migrations) makes SQLite begin every
    transaction itself, so a failed migration leaves nothing half done."""
    parsed = parse_url(str(url)) if isinstance(url, str) else url
    if parsed.get_backend_name() == "postgresql":
        connect_args = {
            "timeout": CONNECT_TIMEOUT,
            "server_settings": {"application_name": "otklik"},
        }
        engine = create_async_engine(
            parsed, connect_args=connect_args, pool_pre_ping=True, **kwargs
        )
        event.listen(engine.sync_engine, "before_cursor_execute", metering.count)
        return engine

    isolation: str | None = None if transactional_ddl else "IMMEDIATE"
    if parsed.get_driver_name() == "aiosqlite" and "module" not in kwargs:
        # a statement in one trip to aiosqlite's thread; writers take turns before the lock
        kwargs["module"] = OneTripDbapi(gate_timeout=busy_timeout)
    engine = create_async_engine(
        parsed, connect_args={"isolation_level": isolation, "timeout": busy_timeout}, **kwargs
    )
    pragmas = (
        f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}",
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = NORMAL",
        f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}",
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    event.listen(engine.sync_engine, "before_cursor_execute", metering.count)
    if transactional_ddl:

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _casefold(value: object) -> object:
    """SQLite's lower() knows ASCII only; searches casefold Cyrillic too."""
    return value.casefold() if isinstance(value, str) else value


def _core(statement: Any) -> bool:
    """A statement of Core alone (on tables and their columns, or text): no ORM entity to
    load, nothing for the session to do but hand it to its connection."""
    attrs = getattr(statement, "_propagate_attrs", None)
    return attrs is not None and attrs.get("compile_state_plugin") != "orm"


class CoreSession(AsyncSession):
    """The units of work's session: a Core statement without options goes straight to the
    session's connection, in its transaction, as `Session.execute` would hand it on, without
    the ORM's execution around it. Statements of ORM entities go through the ORM as before.
    The repositories write with Core only (nothing is ever `add`ed to a session), so no flush
    is skipped. The connection is the one the session's transaction holds, kept until the
    transaction ends."""

    _direct: AsyncConnection | None = None

    async def _connection(self) -> AsyncConnection:
        direct = self._direct
        if direct is None or self.sync_session.get_transaction() is None:
            direct = self._direct = await self.connection()
        return direct

    async def execute(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        if not kw and _core(statement):
            return await (await self._connection()).execute(statement, params)
        return await super().execute(statement, params, **kw)

    async def scalar(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        if not kw and _core(statement):
            return await (await self._connection()).scalar(statement, params)
        return await super().scalar(statement, params, **kw)

    async def scalars(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        if not kw and _core(statement):
            return await (await self._connection()).scalars(statement, params)
        return await super().scalars(statement, params, **kw)

    async def commit(self) -> None:
        self._direct = None
        await super().commit()

    async def rollback(self) -> None:
        self._direct = None
        await super().rollback()

    async def close(self) -> None:
        self._direct = None
        await super().close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=CoreSession, expire_on_commit=False, autoflush=False)


@dataclass(slots=True)
class Database:
    """An open database: its engine and the unit-of-work factory the use cases take."""

    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions)

    async def close(self) -> None:
        await self.engine.dispose()


async def open_database(url: str, *, upgrade: bool, lock_timeout: float = 2.0) -> Database:
    """Check the database is usable, migrate it when `upgrade`, and return it open.

    Every failure is a `StorageError`: a data directory that cannot be created, a file that
    is not an SQLite database, a database locked by another process, a server that cannot be
    reached, a schema behind the code while `upgrade` is off. Nothing is written then.
    """
    from storage import migrate

    parsed = parse_url(url)
    path = sqlite_path(parsed)
    if path is not None:
        await asyncio.to_thread(check_sqlite_file, path, create=upgrade, lock_timeout=lock_timeout)
    engine = create_engine(parsed)
    try:
        await probe(engine)
        revision = await migrate.current_revision(engine)
        head = migrate.head_revision()
        if revision != head:
            if revision is not None and not migrate.is_known(revision):
                raise StorageError(
                    f"the database {safe_url(parsed)} is at schema revision {revision}, unknown to "
                    "this version of otklik (was it opened by a newer one?)"
                )
            if not upgrade:
                raise StorageError(
                    f"the database {safe_url(parsed)} schema is at {revision or 'nothing'}, "
                    f"the code needs {head}: {UPGRADE_HINT}"
                )
            await migrate.upgrade(parsed.render_as_string(hide_password=False))
    except BaseException:
        await engine.dispose()
        raise
    return Database(parsed.render_as_string(hide_password=False), engine, session_factory(engine))


def check_sqlite_file(path: Path, *, create: bool, lock_timeout: float = 2.0) -> None:
    """The directory (created when `create`) and the file, before SQLAlchemy touches them."""
    directory = path.parent
    if not directory.exists():
        if not create:
            raise StorageError(
                f"no database at {path}: the data directory {directory} does not exist "
                f"({UPGRADE_HINT})"
            )
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create the data directory {directory}: {_reason(exc)}"
            ) from None
    if not directory.is_dir():
        raise StorageError(f"the data directory {directory} is not a directory")
    if not path.exists():
        if not create:
            raise StorageError(f"no database at {path} ({UPGRADE_HINT})")
        if not os.access(directory, os.W_OK | os.X_OK):
            raise StorageError(f"cannot write to the data directory {directory}")
        return
    if not path.is_file():
        raise StorageError(f"{path} is not a file")
    try:
        with path.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StorageError(f"cannot read the database file {path}: {_reason(exc)}") from None
    if header and header != SQLITE_HEADER:
        raise StorageError(
            f"{path} is not an SQLite database (the file is corrupt or is another file)"
        )
    try:
        conn = sqlite3.connect(path, timeout=lock_timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open the database file {path}: {_reason(exc)}") from None
    try:
        conn.execute("PRAGMA schema_version").fetchone()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.DatabaseError as exc:
        raise StorageError(_sqlite_problem(path, exc)) from None
    finally:
        conn.close()


def _sqlite_problem(path: Path | str, exc: BaseException) -> str:
    reason = _reason(exc)
    if "locked" in reason or "busy" in reason:
        return (
            f"the database {path} is locked by another process "
            "(another bot, or an open sqlite3 shell?)"
        )
    if "not a database" in reason or "malformed" in reason or "corrupt" in reason:
        return (
            f"{path} is not an SQLite database (the file is corrupt or is another file): {reason}"
        )
    return f"cannot use the database {path}: {reason}"


async def probe(engine: AsyncEngine) -> None:
    """One round trip; any failure becomes a one-line `StorageError`."""
    where = safe_url(engine.url)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT + 1):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except TimeoutError:
        raise StorageError(f"cannot reach the database server {where}: timed out") from None
    except (DBAPIError, OSError) as exc:
        if engine.dialect.name == "sqlite":
            raise StorageError(_sqlite_problem(engine.url.database or where, exc)) from None
        raise StorageError(f"cannot reach the database {where}: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    """The innermost cause, on one line."""
    inner: BaseException = exc
    while True:
        nxt = getattr(inner, "orig", None) or inner.__cause__
        if not isinstance(nxt, BaseException) or nxt is inner:
            break
        inner = nxt
    if isinstance(inner, OSError) and inner.strerror:
        message = inner.strerror
    else:
        message = str(inner) or type(inner).__name__
    if isinstance(inner, ConnectionRefusedError) or "Connect call failed" in message:
        message = "connection refused"
    return " ".join(message.split())

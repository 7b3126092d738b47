"""Opening the database at start: a clear one-line `StorageError`, and nothing written, when
the file is corrupt or locked, the directory cannot be made, or the server cannot be reached."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from domain.people import Department
from storage import migrate
from storage.engine import SQLITE_HEADER, StorageError, database_url, open_database, parse_url
from tests.pg import PostgresServer, free_port


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def one_line(exc: pytest.ExceptionInfo[StorageError]) -> str:
    message = str(exc.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_the_default_url_is_a_file_in_the_data_directory(tmp_path: Path) -> None:
    assert database_url("data", None) == "sqlite+aiosqlite:///data/otklik.sqlite3"
    assert database_url(tmp_path, None) == f"sqlite+aiosqlite:///{tmp_path}/otklik.sqlite3"
    assert database_url(tmp_path, "postgresql+asyncpg://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert parse_url("postgresql://u@h/db").drivername == "postgresql+asyncpg"
    with pytest.raises(StorageError, match="unsupported database URL"):
        parse_url("mysql://u:secret@h/db")
    with pytest.raises(StorageError, match="not a database URL"):
        parse_url("::nonsense::")


async def test_a_new_database_is_created_with_its_directories(tmp_path: Path) -> None:
    url = database_url(tmp_path / "a" / "b", None)
    db = await open_database(url, upgrade=True)
    try:
        assert await migrate.current_revision(db.engine) == migrate.head_revision()
        async with db.unit_of_work() as uow:
            await uow.departments.add(Department(None, "Отдел"))
            await uow.commit()
    finally:
        await db.close()
    reopened = await open_database(url, upgrade=False)
    await reopened.close()


async def test_a_missing_database_is_not_created_without_upgrade(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no database at") as caught:
        await open_database(database_url(tmp_path / "data", None), upgrade=False)
    assert "db upgrade" in one_line(caught)
    assert files(tmp_path) == {}
    assert not (tmp_path / "data").exists()


async def test_a_data_directory_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StorageError, match="cannot create the data directory") as caught:
        await open_database(database_url(tmp_path / "file" / "data", None), upgrade=True)
    assert str(tmp_path / "file" / "data") in one_line(caught)
    assert files(tmp_path) == {"file": b"not a directory"}


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04 a zip archive, not a database" * 100, SQLITE_HEADER + os.urandom(8192)],
    ids=["other-file", "garbage-after-header"],
)
async def test_a_corrupt_file_is_named_and_left_alone(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "otklik.sqlite3"
    path.write_bytes(content)
    with pytest.raises(StorageError, match="is not an SQLite database") as caught:
        await open_database(database_url(tmp_path, None), upgrade=True)
    assert str(path) in one_line(caught)
    assert files(tmp_path) == {"otklik.sqlite3": content}


async def test_a_locked_database(sqlite_url: str) -> None:
    path = Path(parse_url(sqlite_url).database or "")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageError, match="locked by another process") as caught:
            await open_database(sqlite_url, upgrade=True, lock_timeout=0.2)
        assert str(path) in one_line(caught)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def test_a_schema_behind_the_code_needs_an_upgrade(tmp_path: Path) -> None:
    url = database_url(tmp_path, None)
    await migrate.upgrade(url)
    await migrate.downgrade(url, "base")
    before = files(tmp_path)
    with pytest.raises(StorageError, match="schema is at nothing, the code needs") as caught:
        await open_database(url, upgrade=False)
    assert "db upgrade" in one_line(caught)
    assert files(tmp_path) == before

    db = await open_database(url, upgrade=True)
    assert await migrate.current_revision(db.engine) == migrate.head_revision()
    await db.close()


async def test_a_schema_from_a_newer_version_is_refused(sqlite_url: str) -> None:
    path = Path(parse_url(sqlite_url).database or "")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'fromthefuture'")
    with pytest.raises(StorageError, match="unknown to this version"):
        await open_database(sqlite_url, upgrade=True)


@pytest.fixture
def closed_port() -> int:
    return free_port()


async def test_an_unreachable_server(closed_port: int) -> None:
    url = f"postgresql+asyncpg://otklik:secret@127.0.0.1:{closed_port}/otklik"
    with pytest.raises(StorageError, match="cannot reach the database") as caught:
        await open_database(url, upgrade=True)
    message = one_line(caught)
    assert "connection refused" in message and str(closed_port) in message
    assert "secret" not in message


@pytest.mark.postgres
async def test_a_missing_postgresql_database(pg_server: PostgresServer) -> None:
    with pytest.raises(StorageError, match='database "nosuch" does not exist') as caught:
        await open_database(pg_server.url("nosuch"), upgrade=True)
    one_line(caught)


@pytest.mark.postgres
async def test_postgresql_is_migrated_at_start(pg_server: PostgresServer) -> None:
    url = await pg_server.create_database("started")
    try:
        with pytest.raises(StorageError, match="schema is at nothing"):
            await open_database(url, upgrade=False)
        db = await open_database(url, upgrade=True)
        assert db.backend == "postgresql"
        assert await migrate.current_revision(db.engine) == migrate.head_revision()
        await db.close()
    finally:
        await pg_server.drop_database("started")

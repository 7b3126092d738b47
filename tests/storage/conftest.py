"""Storage fixtures: a migrated SQLite file per test, one PostgreSQL server per session whose
migrated template database is copied per test, and the in-memory fakes beside them."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from domain.ports import UnitOfWork
from storage import migrate
from storage.engine import Database, create_engine, session_factory
from storage.uow import SqlUnitOfWork
from tests.fakes import FakeStore, fake_uow_factory
from tests.pg import SKIP_ENV, PostgresServer, PostgresUnavailable, run_async, skip_requested

UowFactory = Callable[[], UnitOfWork]

_servers: list[PostgresServer] = []


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    if skip_requested():
        pytest.skip(f"PostgreSQL tests skipped: {SKIP_ENV} is set")
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    _servers.append(server)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_template(pg_server: PostgresServer) -> str:
    name = "otklik_template"
    url = run_async(lambda: pg_server.create_database(name))
    run_async(lambda: migrate.upgrade(url))
    return name


@pytest.fixture
def postgres_url(pg_server: PostgresServer, pg_template: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = run_async(lambda: pg_server.create_database(name, template=pg_template))
    yield url
    run_async(lambda: pg_server.drop_database(name))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    run_async(lambda: migrate.upgrade(sqlite_url_of(path)))
    return path


def sqlite_url_of(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "otklik.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return sqlite_url_of(path)


ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    engine = create_engine(db_url)
    database = Database(db_url, engine, session_factory(engine))
    yield database
    await database.close()


@pytest.fixture(params=["fake", *ENGINES])
def backend_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "fake":
        return None
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
async def uow_factory(backend_url: str | None) -> AsyncIterator[UowFactory]:
    """The same ports over the in-memory fakes, SQLite and PostgreSQL."""
    if backend_url is None:
        yield fake_uow_factory(FakeStore())
        return
    engine = create_engine(backend_url)
    sessions = session_factory(engine)
    yield lambda: SqlUnitOfWork(sessions)
    await engine.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for server in _servers:
        terminalreporter.write_line(
            f"PostgreSQL test server ({server.bindir}) started in {server.started_in:.2f} s"
        )

"""The migrations build exactly the models, go down to nothing and up again, on both engines."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from storage import migrate
from storage.engine import Database, create_engine
from storage.models import Base
from tests.pg import PostgresServer, run_async
from tests.storage.conftest import ENGINES

TABLES = set(Base.metadata.tables)


def _diff(sync: Connection) -> list[Any]:
    context = MigrationContext.configure(sync, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(sync: Connection) -> set[str]:
    return set(inspect(sync).get_table_names())


async def inspect_url(url: str) -> tuple[set[str], list[Any]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_tables), await conn.run_sync(_diff)
    finally:
        await engine.dispose()


@pytest.fixture(params=ENGINES)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite3"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = f"e_{uuid.uuid4().hex[:16]}"
    url = run_async(lambda: server.create_database(name))
    yield url
    run_async(lambda: server.drop_database(name))


async def test_the_migrated_schema_matches_the_models(db: Database) -> None:
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
        assert await conn.run_sync(_tables) == TABLES | {"alembic_version"}


async def test_upgrade_downgrade_to_base_and_upgrade_again(empty_url: str) -> None:
    assert await migrate.current(empty_url) is None
    await migrate.upgrade(empty_url)
    assert await migrate.current(empty_url) == migrate.head_revision()
    tables, diff = await inspect_url(empty_url)
    assert tables == TABLES | {"alembic_version"} and diff == []

    await migrate.downgrade(empty_url, "base")
    assert await migrate.current(empty_url) is None
    tables, _ = await inspect_url(empty_url)
    assert tables == {"alembic_version"}

    await migrate.upgrade(empty_url)
    tables, diff = await inspect_url(empty_url)
    assert tables == TABLES | {"alembic_version"} and diff == []


async def test_a_failing_migration_leaves_nothing_behind(empty_url: str) -> None:
    def upgrade_then_fail(config: Config) -> None:
        command.upgrade(config, "head")
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        await migrate._run(empty_url, upgrade_then_fail)
    assert await migrate.current(empty_url) is None
    tables, _ = await inspect_url(empty_url)
    assert tables <= {"alembic_version"}


def test_one_head_and_known_revisions() -> None:
    head = migrate.head_revision()
    assert migrate.is_known(head)
    assert not migrate.is_known("ffffffff")
    assert [s.revision for s in migrate.script().walk_revisions()] == [
        "0010",
        "0009",
        "0008",
        "0007",
        "0006",
        "0005",
        "0004",
        "0003",
        "0002",
        "0001",
    ]


async def test_0010_keeps_no_step_where_none_can_wait(empty_url: str) -> None:
    """Migration 0010 writes "" (no approval step waits) where no step can: any status but
    under approval, or no draft; a message under approval with a draft keeps NULL, which
    /tasks takes as anyone's step until the bot's start works it out (`refresh_turns`)."""
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from storage.models import DraftRow, IncidentRow, StaffRow

    await migrate.upgrade(empty_url, "0009")
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    engine = create_engine(empty_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(StaffRow).values(id=1, telegram_id=100, full_name="Иванов"))
            for iid, status in ((1, "in_work"), (2, "under_approval"), (3, "under_approval")):
                await conn.execute(
                    insert(IncidentRow).values(
                        id=iid,
                        number=f"2026-{iid}",
                        profile="lipetsk",
                        flow="default",
                        detected_at=at,
                        status=status,
                        version=3,
                        importance="ordinary",
                        extra_clauses={},
                    )
                )
            await conn.execute(
                insert(DraftRow).values(
                    incident_id=3,
                    kind="final",
                    text="Ответ",
                    author_id=1,
                    created_at=at,
                    submitted_at=at,
                    revision=1,
                    overridden_warnings=[],
                )
            )
        await migrate.upgrade(empty_url)
        async with engine.connect() as conn:
            found = await conn.execute(select(IncidentRow.id, IncidentRow.turn))
            rows = {row.id: row.turn for row in found.all()}
    finally:
        await engine.dispose()
    assert rows == {1: "", 2: "", 3: None}

"""Backups taken while the bot writes, erasing personal data, and the `db` commands."""

from __future__ import annotations

import argparse
import asyncio
import io
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.config import Settings
from bot.db_cli import add_db_parser, run_db_command
from domain.incident import Action, HistoryEntry, Source, Status
from domain.people import StaffMember
from domain.roles import Role
from domain.timers import NoticeKind, OutboxMessage
from storage import migrate
from storage.engine import Database, StorageError, open_database, parse_url
from storage.maintenance import backup, find_pg_dump, purge_personal_data
from storage.models import HistoryRow, IncidentRow, IncidentSourceRow
from storage.repositories import history_values
from tests.fakes import FixedClock
from tests.pg import PostgresServer
from tests.storage import steps as usecases

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def curator_of(db: Database) -> StaffMember:
    async with db.unit_of_work() as uow:
        member = await uow.staff.add(StaffMember(None, 1, "Куратор", frozenset({Role.CURATOR})))
        await uow.commit()
    return member


async def detect(db: Database, curator: StaffMember, at: datetime, author: str = "Автор") -> int:
    source = Source(
        "vk", f"https://vk.com/{author}", author, f"жалоба {author}", ("photo",), "EXT-9"
    )
    incident = await usecases.detect(
        db.unit_of_work,
        FixedClock(at),
        profile="bor",
        flow="default",
        source=source,
        curator=curator,
    )
    assert incident.id is not None
    return incident.id


async def bulk_fill(db: Database, curator: StaffMember, count: int) -> None:
    """Enough rows that a backup takes a moment."""
    async with db.engine.begin() as conn:
        first = (
            await conn.execute(select(func.coalesce(func.max(IncidentRow.id), 0)))
        ).scalar_one() + 1
        ids = range(first, first + count)
        await conn.execute(
            insert(IncidentRow),
            [
                {
                    "id": i,
                    "profile": "bor",
                    "flow": "default",
                    "detected_at": NOW,
                    "status": "new",
                    "importance": "ordinary",
                    "extra_clauses": {},
                    "version": 0,
                }
                for i in ids
            ],
        )
        await conn.execute(
            insert(IncidentSourceRow),
            [{"incident_id": i, "network": "vk", "text": "x" * 500, "media": []} for i in ids],
        )
        entry = HistoryEntry(
            NOW, curator.id, curator.roles, Action.DETECT, Status.NEW, Status.NEW, None, {}
        )
        await conn.execute(insert(HistoryRow), [history_values(i, 1, entry) for i in ids])


def consistent_copy(path: Path) -> int:
    """Integrity ok, and every incident has its source and its history: one committed state."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        incidents = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
        sources = conn.execute("SELECT count(*) FROM incident_sources").fetchone()[0]
        history = conn.execute("SELECT count(DISTINCT incident_id) FROM history").fetchone()[0]
        assert incidents == sources == history
        return int(incidents)
    finally:
        conn.close()


async def test_an_sqlite_backup_is_consistent_while_another_connection_writes(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = await open_database(sqlite_url, upgrade=False)
    try:
        curator = await curator_of(db)
        await bulk_fill(db, curator, 20_000)
        stop = asyncio.Event()
        warmed_up = asyncio.Event()
        written = 0

        async def writer() -> None:
            nonlocal written
            while not stop.is_set():
                await detect(db, curator, NOW, f"a{written}")
                written += 1
                if written >= 3:
                    warmed_up.set()

        task = asyncio.create_task(writer())
        await asyncio.wait_for(warmed_up.wait(), 60)  # a failing writer fails the test
        overlaps = []
        for n in range(3):
            before = written
            made = await backup(sqlite_url, tmp_path / f"copy{n}.sqlite3")
            overlaps.append(written - before)
            assert made.size > 0
        stop.set()
        await task
        async with db.unit_of_work() as uow:
            total = await uow.incidents.count()
    finally:
        await db.close()
    counts = [consistent_copy(tmp_path / f"copy{n}.sqlite3") for n in range(3)]
    assert counts == sorted(counts) and counts[-1] <= total
    assert counts[0] > 20_000
    assert any(overlaps), "the writer committed while a backup ran"


async def test_a_backup_never_overwrites(sqlite_url: str, tmp_path: Path) -> None:
    target = tmp_path / "exists.sqlite3"
    target.write_bytes(b"keep me")
    with pytest.raises(StorageError, match="already exists"):
        await backup(sqlite_url, target)
    assert target.read_bytes() == b"keep me"
    with pytest.raises(StorageError, match="does not exist"):
        await backup(sqlite_url, tmp_path / "no" / "dir.sqlite3")


@pytest.mark.postgres
async def test_a_postgresql_backup_with_pg_dump(postgres_url: str, tmp_path: Path) -> None:
    assert find_pg_dump() is not None, "pg_dump is on this machine"
    db = await open_database(postgres_url, upgrade=False)
    try:
        curator = await curator_of(db)
        await detect(db, curator, NOW)
        made = await backup(postgres_url, tmp_path / "dump.pgc")
    finally:
        await db.close()
    assert made.path.read_bytes()[:5] == b"PGDMP"
    listing = subprocess.run(  # noqa: ASYNC221
        [str(Path(find_pg_dump() or "").with_name("pg_restore")), "--list", str(made.path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "TABLE DATA public incidents" in listing.stdout


async def test_purging_personal_data_keeps_every_count(db: Database) -> None:
    curator = await curator_of(db)
    old = [await detect(db, curator, NOW - timedelta(days=400), f"старый{n}") for n in range(2)]
    new = await detect(db, curator, NOW - timedelta(days=10), "новый")

    async def counts() -> tuple[int, int]:
        async with db.engine.connect() as conn:
            incidents = (
                await conn.execute(select(func.count()).select_from(IncidentRow))
            ).scalar_one()
            history = (
                await conn.execute(select(func.count()).select_from(HistoryRow))
            ).scalar_one()
        return incidents, history

    async with db.unit_of_work() as uow:
        quoted = await uow.outbox.add(
            OutboxMessage(
                None,
                NOW,
                NoticeKind.AUTHOR_REPLIED,
                curator.id,
                None,
                old[0],
                {"text": "я живу на Ленина, 5"},
            )
        )
        card = await uow.outbox.add(
            OutboxMessage(None, NOW, NoticeKind.CARD, curator.id, None, old[0], {"v": 1})
        )
        await uow.commit()
    before = await counts()
    assert await purge_personal_data(db, before=NOW - timedelta(days=365)) == 2
    assert await purge_personal_data(db, before=NOW - timedelta(days=365)) == 0
    assert await counts() == before
    async with db.unit_of_work() as uow:
        payloads = {m.id: m.payload for m in await uow.outbox.pending()}
    assert payloads == {quoted.id: {}, card.id: {"v": 1}}
    async with db.unit_of_work() as uow:
        for incident_id in old:
            gone = await uow.incidents.get(incident_id)
            assert gone is not None
            assert gone.source == Source("vk", external_number="EXT-9")
            assert len(gone.history) == 1
        kept = await uow.incidents.get(new)
        assert kept is not None and kept.source.author == "новый"
        number = kept.number
    assert number is not None
    assert await purge_personal_data(db, incident=number) == 1
    assert await purge_personal_data(db, incident=str(new)) == 1
    with pytest.raises(StorageError, match="no incident"):
        await purge_personal_data(db, incident="2020-999999")
    async with db.unit_of_work() as uow:
        assert await uow.incidents.search("новый") == []
        assert await uow.incidents.count() == 3


def settings_for(data_dir: Path, url: str | None = None) -> Settings:
    return Settings.model_validate(
        {
            "organization": {
                "name": "Администрация",
                "timezone": "Europe/Moscow",
                "profile": "bor",
            },
            "calendar": {},
            "storage": {"data_dir": str(data_dir), "url": url},
        }
    )


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot")
    parser.add_argument("--config", default="config.toml")
    add_db_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


async def run(settings: Settings, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await run_db_command(parse(*argv), settings, clock=FixedClock(NOW), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


async def test_the_db_commands(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data")
    args = parse("--config", "x.toml", "db", "upgrade")
    assert args.config == "x.toml" and args.db_command == "upgrade"

    code, out, _ = await run(settings, "db", "current")
    assert code == 0 and "empty" in out
    code, out, _ = await run(settings, "db", "upgrade")
    head = migrate.head_revision()
    assert code == 0 and f"is at revision {head}" in out
    assert (tmp_path / "data" / "otklik.sqlite3").is_file()
    code, out, _ = await run(settings, "db", "current")
    assert (code, out.strip()) == (0, f"{head} (up to date)")

    db = await open_database(f"sqlite+aiosqlite:///{tmp_path}/data/otklik.sqlite3", upgrade=False)
    try:
        curator = await curator_of(db)
        await detect(db, curator, NOW - timedelta(days=40), "давний")
        recent = await detect(db, curator, NOW, "свежий")
    finally:
        await db.close()

    code, out, _ = await run(settings, "db", "purge-personal-data", "--older-than", "30")
    assert code == 0 and "of 1 incidents detected before 2026-10-21T12:00:00+00:00" in out
    code, out, _ = await run(settings, "db", "purge-personal-data", "--incident", str(recent))
    assert code == 0
    code, _, err = await run(settings, "db", "purge-personal-data", "--incident", "nope")
    assert (code, err.strip()) == (1, "error: storage: no incident nope")
    code, _, err = await run(settings, "db", "purge-personal-data", "--older-than", "-1")
    assert code == 2 and "negative" in err

    code, out, _ = await run(settings, "db", "backup", str(tmp_path / "copy.sqlite3"))
    assert code == 0 and "backup written to" in out
    assert consistent_copy(tmp_path / "copy.sqlite3") == 2
    code, _, err = await run(settings, "db", "backup", str(tmp_path / "copy.sqlite3"))
    assert code == 1 and "already exists" in err


async def test_db_commands_report_a_corrupt_database_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "otklik.sqlite3").write_bytes(b"garbage" * 1000)
    settings = settings_for(tmp_path)
    for argv in (("db", "upgrade"), ("db", "purge-personal-data", "--older-than", "1")):
        code, out, err = await run(settings, *argv)
        assert code == 1 and out == ""
        assert err.startswith("error: storage: ") and err.count("\n") == 1
        assert "is not an SQLite database" in err
    code, _, err = await run(settings, "db", "backup", str(tmp_path / "b.sqlite3"))
    assert code == 1 and "is not an SQLite database" in err
    assert not (tmp_path / "b.sqlite3").exists()


@pytest.mark.postgres
async def test_db_upgrade_on_postgresql(pg_server: PostgresServer, tmp_path: Path) -> None:
    url = await pg_server.create_database("cli")
    try:
        settings = settings_for(tmp_path, url)
        code, out, _ = await run(settings, "db", "upgrade")
        assert code == 0 and f"is at revision {migrate.head_revision()}" in out
        assert parse_url(url).database == "cli"
    finally:
        await pg_server.drop_database("cli")

"""Alembic, configured in code (no alembic.ini): upgrade, downgrade, current, new revisions.

python -m storage.migrate upgrade|current|downgrade REV|revision -m MESSAGE [--url URL]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import (
    StorageError,
    check_sqlite_file,
    create_engine,
    parse_url,
    probe,
    safe_url,
    sqlite_path,
)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
PG_MIGRATION_LOCK = 0x6F746B6C
"""Advisory lock key: several bot instances starting at once migrate one after another."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    return config


def script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script().get_current_head()
    assert head is not None, "the migrations have no head"
    return head


def is_known(revision: str) -> bool:
    try:
        return script().get_revision(revision) is not None
    except CommandError:
        return False


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def _run(url: str, action: Callable[[Config], None]) -> None:
    """Run an Alembic command on one connection, in one transaction (on SQLite too)."""
    engine = create_engine(parse_url(url), foreign_keys=False, transactional_ddl=True)
    config = alembic_config()

    def run(sync: Connection) -> None:
        if sync.dialect.name == "postgresql":
            sync.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
        config.attributes["connection"] = sync
        action(config)
        if sync.dialect.name == "sqlite":
            broken = sync.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StorageError(
                    f"the migration leaves {len(broken)} broken references, e.g. {broken[0]}"
                )

    try:
        async with engine.begin() as conn:
            await conn.run_sync(run)
    finally:
        await engine.dispose()


async def upgrade(url: str, revision: str = "head") -> None:
    await _run(url, lambda config: command.upgrade(config, revision))


async def downgrade(url: str, revision: str) -> None:
    await _run(url, lambda config: command.downgrade(config, revision))


async def current(url: str) -> str | None:
    """The revision the database is at; None for an empty or missing one (nothing is created)."""
    parsed = parse_url(url)
    path = sqlite_path(parsed)
    if path is not None:
        if not path.exists():
            return None
        await asyncio.to_thread(check_sqlite_file, path, create=False)
    engine = create_engine(parsed)
    try:
        await probe(engine)
        return await current_revision(engine)
    finally:
        await engine.dispose()


async def revision(url: str, message: str, *, autogenerate: bool = True) -> None:
    """Write a new revision, compared against the database at `url` (upgrade it first)."""

    def write(config: Config) -> None:
        command.revision(config, message=message, autogenerate=autogenerate)

    await _run(url, write)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storage.migrate", description=__doc__)
    parser.add_argument("--url", default="sqlite+aiosqlite:///data/otklik.sqlite3")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade").add_argument("revision", nargs="?", default="head")
    sub.add_parser("downgrade").add_argument("revision")
    sub.add_parser("current")
    rev = sub.add_parser("revision")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument("--empty", action="store_true", help="do not compare with the models")
    args = parser.parse_args(argv)
    if args.command == "upgrade":
        asyncio.run(upgrade(args.url, args.revision))
    elif args.command == "downgrade":
        asyncio.run(downgrade(args.url, args.revision))
    elif args.command == "current":
        print(asyncio.run(current(args.url)) or "(empty)")
    else:
        asyncio.run(revision(args.url, args.message, autogenerate=not args.empty))
    print(f"{args.command}: done on {safe_url(args.url)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

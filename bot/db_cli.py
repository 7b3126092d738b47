"""`python -m bot db ...`: migrations, backups and erasing personal data.

    db upgrade                              apply the migrations (creates the SQLite file)
    db current                              the schema revision of the database
    db backup PATH                          a consistent copy while the bot runs
    db purge-personal-data --older-than D   erase authors' data of incidents older than D days
    db purge-personal-data --incident N     ... of one incident (its number or id)

Problems print one line on stderr: exit 1 for the database, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from typing import Any, TextIO

from bot.clock import SystemClock
from bot.config import Settings
from domain.clock import Clock
from storage import migrate
from storage.engine import StorageError, database_url, open_database, safe_url
from storage.maintenance import backup, purge_personal_data

EXIT_STORAGE = 1
EXIT_BAD_INPUT = 2


def _config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=argparse.SUPPRESS, help="the TOML configuration file")


def add_db_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    db = subparsers.add_parser("db", help="the database: migrations, backups, personal data")
    _config(db)
    sub = db.add_subparsers(dest="db_command", required=True, parser_class=type(db))
    _config(sub.add_parser("upgrade", help="apply the database migrations"))
    _config(sub.add_parser("current", help="show the schema revision of the database"))
    dump = sub.add_parser("backup", help="write a consistent copy of the database to PATH")
    _config(dump)
    dump.add_argument("path", help="the backup file to create (must not exist)")
    purge = sub.add_parser(
        "purge-personal-data", help="erase authors' data (author, text, URL, media); counts stay"
    )
    _config(purge)
    which = purge.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--older-than", type=int, metavar="DAYS", help="incidents detected over DAYS days ago"
    )
    which.add_argument("--incident", metavar="N", help="one incident, by its number or id")


async def run_db_command(
    args: argparse.Namespace,
    settings: Settings,
    *,
    clock: Clock | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    url = database_url(settings.storage.data_dir, settings.storage.url)
    try:
        if args.db_command == "upgrade":
            database = await open_database(url, upgrade=True)
            await database.close()
            print(f"database {safe_url(url)} is at revision {migrate.head_revision()}", file=out)
        elif args.db_command == "current":
            revision = await migrate.current(url)
            head = migrate.head_revision()
            state = "up to date" if revision == head else f"behind (the code needs {head})"
            print(f"{revision or 'empty'} ({state})", file=out)
        elif args.db_command == "backup":
            made = await backup(url, args.path)
            print(f"backup written to {made.path} ({made.size} bytes)", file=out)
        elif args.db_command == "purge-personal-data":
            return await _purge(args, url, clock or SystemClock(), out, err)
        else:
            print(f"error: unknown db command {args.db_command!r}", file=err)
            return EXIT_BAD_INPUT
    except StorageError as exc:
        print(f"error: storage: {exc}", file=err)
        return EXIT_STORAGE
    return 0


async def _purge(args: argparse.Namespace, url: str, clock: Clock, out: TextIO, err: TextIO) -> int:
    if args.older_than is not None and args.older_than < 0:
        print("error: --older-than: the number of days cannot be negative", file=err)
        return EXIT_BAD_INPUT
    database = await open_database(url, upgrade=False)
    try:
        if args.older_than is not None:
            before = clock.now() - timedelta(days=args.older_than)
            erased = await purge_personal_data(database, before=before)
            print(
                f"erased the authors' data of {erased} incidents detected before "
                f"{before.isoformat()}",
                file=out,
            )
        else:
            erased = await purge_personal_data(database, incident=args.incident)
            print(f"erased the author's data of incident {args.incident}", file=out)
    finally:
        await database.close()
    return 0

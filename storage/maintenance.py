"""Backups while the bot runs, and erasing authors' personal data (Gulkevichi 1.5)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.engine import (
    Database,
    StorageError,
    check_sqlite_file,
    parse_url,
    safe_url,
    sqlite_path,
)


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    size: int
    """Bytes."""


async def backup(url: str, target: Path | str) -> Backup:
    """A consistent copy of the database at `target` (which must not exist yet).

    SQLite: `VACUUM INTO` from one read transaction, so writers carry on and the copy is one
    committed state; it is checked with `PRAGMA integrity_check`. PostgreSQL: `pg_dump` in its
    custom format (restore with `pg_restore`).
    """
    target = Path(target)
    if target.exists():
        raise StorageError(f"{target} already exists: choose a new name for the backup")
    if not target.parent.is_dir():
        raise StorageError(f"the directory {target.parent} does not exist")
    parsed = parse_url(url)
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    try:
        path = sqlite_path(parsed)
        if parsed.get_backend_name() == "sqlite":
            if path is None:
                raise StorageError("an in-memory database cannot be backed up")
            await asyncio.to_thread(_sqlite_backup, path, partial)
        else:
            await _pg_dump(url, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(target, target.stat().st_size)


def _sqlite_backup(source: Path, target: Path) -> None:
    check_sqlite_file(source, create=False)
    conn = sqlite3.connect(source, timeout=30, isolation_level=None)
    try:
        conn.execute("VACUUM INTO ?", (str(target),))
    except sqlite3.Error as exc:
        raise StorageError(f"backup of {source} failed: {exc}") from None
    finally:
        conn.close()
    copy = sqlite3.connect(target)
    try:
        verdict = copy.execute("PRAGMA integrity_check").fetchone()
    finally:
        copy.close()
    if verdict != ("ok",):
        raise StorageError(f"the backup {target} failed its integrity check: {verdict}")


def find_pg_dump() -> str | None:
    found = shutil.which("pg_dump")
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"), reverse=True)
    return str(versions[0]) if versions else None


async def _pg_dump(url: str, target: Path) -> None:
    program = find_pg_dump()
    if program is None:
        raise StorageError(
            "pg_dump not found: install the PostgreSQL client tools (package postgresql-client, "
            "the server's version or newer), or back up the server with your own tools"
        )
    parsed = parse_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    args = ["--format=custom", "--no-password", f"--file={target}"]
    if parsed.host:
        args.append(f"--host={parsed.host}")
    if parsed.port:
        args.append(f"--port={parsed.port}")
    if parsed.username:
        args.append(f"--username={parsed.username}")
    args.append(parsed.database or "postgres")
    process = await asyncio.create_subprocess_exec(
        program, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    if process.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise StorageError(
            f"pg_dump of {safe_url(parsed)} failed: {lines[-1] if lines else process.returncode}"
        )


async def purge_personal_data(
    database: Database, *, before: datetime | None = None, incident: str | None = None
) -> int:
    """Erase the author's data (author, text, URL, media) of one incident (its number or id) or
    of every incident detected before `before`. Incidents, history and counts stay."""
    if (before is None) == (incident is None):
        raise ValueError("name either a moment or an incident")
    async with database.unit_of_work() as uow:
        if before is not None:
            erased = await uow.incidents.erase_personal_data_before(before)
        else:
            assert incident is not None
            found = await uow.incidents.by_number(incident)
            if found is None and incident.isdigit():
                found = await uow.incidents.get(int(incident))
            if found is None or found.id is None:
                raise StorageError(f"no incident {incident}")
            erased = int(await uow.incidents.erase_personal_data(found.id))
        await uow.commit()
    return erased

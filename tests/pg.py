"""A throwaway PostgreSQL server on 127.0.0.1 for the storage tests and the storage benchmark.

It runs the server binaries found on this machine in a temporary data directory on a free
port. As root, initdb refuses to run, so the server runs as the `postgres` OS user (or a
dedicated `otklik-pg` user, created if missing).
"""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

SKIP_ENV = "OTKLIK_SKIP_POSTGRES"
BINDIR_ENV = "OTKLIK_PG_BINDIR"
SUPERUSER = "otklik"
SERVICE_USER = "otklik-pg"
BINARIES = ("initdb", "pg_ctl", "postgres")

T = TypeVar("T")


class PostgresUnavailable(Exception):
    """No server binaries, or the server would not start; the message says why."""


def skip_requested() -> bool:
    return os.environ.get(SKIP_ENV, "") not in ("", "0")


def find_bindir() -> Path | None:
    """Where initdb, pg_ctl and postgres are: $OTKLIK_PG_BINDIR if set, else PATH,
    /usr/local/bin, the newest /usr/lib/postgresql/*/bin."""
    override = os.environ.get(BINDIR_ENV)
    if override:
        directory = Path(override)
        return directory if all((directory / name).exists() for name in BINARIES) else None
    candidates: list[Path] = []
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).resolve().parent)
    candidates.append(Path("/usr/local/bin"))
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates.extend(versions)
    for directory in candidates:
        if all((directory / name).exists() for name in BINARIES):
            return directory
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to the end in a thread of its own (safe beside pytest's event loop)."""
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(factory()))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


def _service_user() -> str | None:
    """None when not root; else an OS user the server may run as."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", SERVICE_USER):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
        check=True,
        capture_output=True,
    )
    return SERVICE_USER


@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    port: int
    os_user: str | None
    started_in: float = 0.0

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @classmethod
    def start(cls, *, durable: bool = False, settings: Sequence[str] = ()) -> PostgresServer:
        """Init and start a server; `durable` keeps fsync on (benchmarks), tests turn it off."""
        began = time.perf_counter()
        bindir = find_bindir()
        if bindir is None:
            raise PostgresUnavailable(
                "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in "
                f"${BINDIR_ENV}, PATH, /usr/local/bin or /usr/lib/postgresql/*/bin: install "
                f"PostgreSQL 15+ or set {SKIP_ENV}=1 to skip the PostgreSQL tests"
            )
        os_user = _service_user()
        root = Path(tempfile.mkdtemp(prefix="otklik-pg-"))
        server = cls(bindir=bindir, root=root, port=free_port(), os_user=os_user)
        if os_user is not None:
            info = pwd.getpwnam(os_user)
            os.chown(root, info.pw_uid, info.pw_gid)
        try:
            server._run(
                "initdb",
                "-D",
                str(server.data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            )
            options = [f"-p {server.port}", "-h 127.0.0.1", f"-k {root}", "-c max_connections=200"]
            if not durable:
                options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
            options += [f"-c {s}" for s in settings]
            server._run(
                "pg_ctl",
                "-D",
                str(server.data),
                "-l",
                str(server.log),
                "-w",
                "-t",
                "60",
                "-o",
                " ".join(options),
                "start",
            )
        except PostgresUnavailable:
            shutil.rmtree(root, ignore_errors=True)
            raise
        server.started_in = time.perf_counter() - began
        return server

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self.os_user is not None:
            command = ["runuser", "-u", self.os_user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            if self.log.exists():
                tail += self.log.read_text(errors="replace").strip().splitlines()[-5:]
            raise PostgresUnavailable(f"{program} failed ({done.returncode}): " + " | ".join(tail))

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    async def execute(self, *statements: str) -> None:
        """Run statements outside a transaction on the `postgres` database (CREATE DATABASE…)."""
        engine = create_async_engine(self.url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                for statement in statements:
                    await conn.execute(text(statement))
        finally:
            await engine.dispose()

    async def create_database(self, name: str, template: str | None = None) -> str:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"bad database name {name!r}")
        suffix = f" TEMPLATE {template}" if template else ""
        await self.execute(f"CREATE DATABASE {name}{suffix}")
        return self.url(name)

    async def drop_database(self, name: str) -> None:
        await self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

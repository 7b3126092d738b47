"""The bot, unmodified, as its own process (`python -m bot`) against a fake Telegram server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.e2e.telegram import FakeTelegram
from tests.e2e.telegram.waits import WAIT
from tests.pg import free_port

ROOT = Path(__file__).resolve().parents[2]
SETUP = re.compile(r"\?start=(\S+)")

CONFIG = """
[organization]
name = "Тестовая администрация"
timezone = "Europe/Moscow"
profile = "{profile}"
{organization}

[calendar]
mon = ["09:00-13:00", "14:00-18:00"]
tue = ["09:00-13:00", "14:00-18:00"]
wed = ["09:00-13:00", "14:00-18:00"]
thu = ["09:00-13:00", "14:00-18:00"]
fri = ["09:00-13:00", "14:00-16:45"]

[telegram]
api_base = "{api_base}"
polling_timeout = 1
mode = "{mode}"
{webhook}
messages_per_second = {rate}

[storage]
data_dir = "{data_dir}"
{storage_url}

[intake]
locations = ["Центральный район", "Левобережный район", "Северный микрорайон"]

[scheduler]
sweep_seconds = 0.3

[testing]
clock_file = "{clock_file}"
sender_interval_seconds = 0.3
{extra}
"""


class BotProcess:
    def __init__(
        self,
        fake: FakeTelegram,
        workdir: Path,
        profile: str,
        extra: str = "",
        *,
        organization: str = "",
        mode: str = "polling",
        storage_url: str | None = None,
        messages_per_second: float = 28,
        clock_file: Path | None = None,
    ) -> None:
        """`clock_file`: shared by instances that must see one time (polling + workers)."""
        self.fake = fake
        self.workdir = workdir
        self.profile = profile
        self.extra = extra
        self.organization = organization
        """Lines of the `[organization]` table (`extra` goes after `[testing]`)."""
        self.mode = mode
        self.webhook_port = free_port() if mode == "webhook" else None
        self.storage_url = storage_url
        self.rate = messages_per_second
        self.config = workdir / "config.toml"
        self.clock_file = clock_file or workdir / "clock.txt"
        self.lines: list[str] = []
        self.proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    def write_config(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            CONFIG.format(
                profile=self.profile,
                api_base=self.fake.base_url,
                data_dir=self.workdir / "data",
                storage_url=f'url = "{self.storage_url}"' if self.storage_url else "",
                mode=self.mode,
                webhook=self._webhook_lines(),
                rate=self.rate,
                clock_file=self.clock_file,
                extra=self.extra,
                organization=self.organization,
            ),
            "utf-8",
        )

    def _webhook_lines(self) -> str:
        if self.webhook_port is None:
            return ""
        return (
            f'webhook_url = "http://127.0.0.1:{self.webhook_port}/telegram/hook"\n'
            f'webhook_listen = "127.0.0.1:{self.webhook_port}"'
        )

    def set_clock(self, moment: datetime) -> None:
        """Move the bot's time: it reads the file on its next look at the clock."""
        if moment.tzinfo is None:
            raise ValueError("aware moments only")
        previous = self.clock_file.stat().st_mtime_ns if self.clock_file.exists() else 0
        self.clock_file.write_text(moment.isoformat(), "utf-8")
        stamp = max(previous + 1_000_000, self.clock_file.stat().st_mtime_ns)
        os.utime(self.clock_file, ns=(stamp, stamp))

    async def start(self, moment: datetime) -> None:
        self.write_config()
        self.set_clock(moment)
        polls = self.fake.arrivals["getupdates"]
        hooks = self.fake.arrivals["setwebhook"]
        env = {**os.environ, "BOT_TOKEN": self.fake.token, "PYTHONUNBUFFERED": "1"}
        # For the benchmarks: OTKLIK_PROFILE=<file> runs the bot under cProfile (where its CPU
        # goes); OTKLIK_BOT_WRAPPER=<script> runs the script instead of `-m bot` with the same
        # arguments (bench/sqltrace.py: every update's SQL statements).
        profile = os.environ.get("OTKLIK_PROFILE")
        profiler = ["-m", "cProfile", "-o", profile] if profile else []
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *profiler,
            *(
                [os.environ["OTKLIK_BOT_WRAPPER"]]
                if os.environ.get("OTKLIK_BOT_WRAPPER")
                else ["-m", "bot"]
            ),
            "--config",
            str(self.config),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._reader = asyncio.create_task(self._read())
        if self.mode == "worker":  # it polls nothing: its log says when it is up
            await self._started(self.wait_line(lambda s: "started for" in s, timeout=60))
        elif self.mode == "webhook":
            await self._started(self.fake.wait_for_arrival("setWebhook", hooks + 1, timeout=60))
        else:
            await self._started(self.fake.wait_for_arrival("getUpdates", polls + 1, timeout=60))

    async def _started(self, sign: Coroutine[Any, Any, object]) -> None:
        """Wait for the sign that the bot is up, or for it to exit, whichever comes first."""
        assert self.proc is not None
        up = asyncio.create_task(sign)
        exited = asyncio.create_task(self.proc.wait())
        await asyncio.wait({up, exited}, return_when=asyncio.FIRST_COMPLETED)
        if not up.done() or up.exception() is not None:
            up.cancel()
            await self.stop()
            raise AssertionError(f"the bot ({self.mode}) did not start:\n{self.log()}")
        exited.cancel()

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line.decode("utf-8", "replace").rstrip())
            self._changed.set()

    async def wait_line(self, check: Callable[[str], bool], timeout: float = WAIT) -> str:  # noqa: ASYNC109
        async def find() -> str:
            while True:
                for line in self.lines:
                    if check(line):
                        return line
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def setup_token(self) -> str:
        line = await self.wait_line(lambda s: "?start=" in s)
        m = SETUP.search(line)
        assert m is not None
        return m.group(1)

    def log(self, last: int = 80) -> str:
        return "\n".join(self.lines[-last:])

    async def restart(self, moment: datetime, sig: int = signal.SIGKILL) -> None:
        """Kill the bot (by default without a chance to clean up) and start it again on the same data."""
        await self.stop(sig)
        self.lines.append(f"---- restarted after signal {sig} ----")
        await self.start(moment)

    async def close(self) -> None:
        """Stop, and kill if stopping fails: no bot outlives the test run."""
        try:
            await self.stop()
        except Exception:
            if self.proc is not None and self.proc.returncode is None:
                self.proc.kill()

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc is None:
            return 0
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)
        code = self.proc.returncode or 0
        self.proc = None
        return code

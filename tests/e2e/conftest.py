"""End-to-end fixtures: per profile, a fake Telegram server and the bot as its own process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.botproc import BotProcess
from tests.e2e.org import Org, msk
from tests.e2e.telegram import FakeTelegram
from tests.e2e.telegram.fixtures import fake_telegram_server, telegram

__all__ = ["fake_telegram_server", "telegram"]

START = msk("2026-11-24 10:00")  # a Tuesday


class Worlds:
    """One running bot per profile, started on first use and stopped at the end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.running: dict[str, tuple[FakeTelegram, BotProcess, Org]] = {}

    async def get(self, profile: str) -> Org:
        if profile not in self.running:
            fake = FakeTelegram()
            await fake.start()
            bot = BotProcess(fake, self.root / profile, profile)
            await bot.start(START)
            org = await Org.create(fake, bot)
            self.running[profile] = (fake, bot, org)
        return self.running[profile][2]

    async def close(self) -> None:
        """Stop every bot even if one of them fails to stop cleanly: no process outlives the run."""
        for fake, bot, _ in self.running.values():
            await bot.close()
            await fake.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def worlds(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Worlds]:
    w = Worlds(tmp_path_factory.mktemp("bots"))
    try:
        yield w
    finally:
        await w.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call" and report.failed:
        w = item.funcargs.get("worlds") if hasattr(item, "funcargs") else None
        if isinstance(w, Worlds):
            for profile, (_, bot, _) in w.running.items():
                report.sections.append((f"bot log ({profile})", bot.log(400)))

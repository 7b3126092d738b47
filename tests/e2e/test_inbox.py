"""No update lost, none applied twice (#13): the inbox, through the bot as its own process.

Each test forwards a burst of posts and stops the bot at the worst moment — killed between an
update's receipt and its effect, stopped or killed right after polling acknowledged the burst,
the same update delivered twice (polling and webhook) — and then counts what the database holds:
every post there once. An update aiogram cannot read is skipped, the next ones are handled, and
the administrator is told."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from tests.e2e.botproc import BotProcess
from tests.e2e.conftest import START
from tests.e2e.org import Org, msk
from tests.e2e.telegram import FakeTelegram, Person

pytestmark = pytest.mark.e2e

BURST = 8


@dataclass
class World:
    fake: FakeTelegram
    bot: BotProcess
    org: Org
    curator: Person
    hold: Path

    @property
    def db(self) -> Path:
        return self.bot.workdir / "data" / "otklik.sqlite3"

    def rows(self, query: str, *args: object) -> list[tuple[object, ...]]:
        """Read the bot's SQLite file as it stands (WAL: never in the bot's way)."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute(query, args).fetchall()
        finally:
            conn.close()

    def urls(self, stem: str) -> list[str]:
        return [
            str(u)
            for (u,) in self.rows("SELECT url FROM incident_sources WHERE url LIKE ?", f"%{stem}%")
        ]

    def inbox(self, state: str) -> int:
        (count,) = self.rows("SELECT count(*) FROM inbox WHERE state = ?", state)[0]
        assert isinstance(count, int)
        return count

    def acknowledged(self, update_ids: list[int]) -> bool:
        """Polling has told the fake Telegram it has these (the next offset moved past them)."""
        waiting = {e.update_id for e in self.fake.state.pending}
        return not waiting & set(update_ids)


async def _world(tmp_path: Path, mode: str = "polling") -> tuple[World, FakeTelegram, BotProcess]:
    fake = FakeTelegram()
    await fake.start()
    hold = tmp_path / "hold"
    bot = BotProcess(fake, tmp_path / "bot", "lipetsk", f'hold_updates_file = "{hold}"', mode=mode)
    await bot.start(START)
    org = await Org.create(fake, bot)
    curator = await org.invite("куратор", "Ярослава")
    bot.set_clock(msk("2026-11-24 10:00"))
    return World(fake, bot, org, curator, hold), fake, bot


@pytest_asyncio.fixture(loop_scope="session")
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w, fake, bot = await _world(tmp_path)
    try:
        yield w
    finally:
        await bot.close()
        await fake.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def hooked(tmp_path: Path) -> AsyncIterator[World]:
    w, fake, bot = await _world(tmp_path, mode="webhook")
    try:
        yield w
    finally:
        await bot.close()
        await fake.stop()


def burst(w: World, stem: str, count: int = BURST) -> list[int]:
    """The curator sends `count` posts; their update ids."""
    first = w.fake.state.update_counter + 1
    for n in range(1, count + 1):
        w.curator.send(f"https://vk.com/wall-{stem}_{n} Во дворе дома {n} не убран снег")
    return list(range(first, w.fake.state.update_counter + 1))


async def all_there_once(w: World, stem: str, count: int = BURST) -> None:
    await w.fake.wait_until(lambda: len(w.urls(stem)) >= count)
    await w.fake.wait_until(lambda: w.inbox("new") == 0)
    urls = w.urls(stem)
    assert sorted(urls) == sorted(set(urls)), f"a post registered twice: {urls}"
    assert len(urls) == count, urls
    for url in urls:  # one card each: the effect, and what people saw of it, once
        await w.curator.wait_for(url, since=0)
        shown = [m for m in w.curator.bot_messages() if url in m.content]
        assert len(shown) == 1, [m.content for m in shown]


async def test_a_kill_between_receipt_and_effect_loses_nothing(world: World) -> None:
    w = world
    w.hold.write_text("held")  # the bot records and acknowledges, and does not handle yet
    ids = burst(w, "71")
    await w.fake.wait_until(lambda: w.acknowledged(ids))
    assert w.inbox("new") >= BURST  # recorded before Telegram was told
    assert w.urls("wall-71_") == []  # and nothing of their effect committed
    await w.bot.stop(signal.SIGKILL)
    w.hold.unlink()
    await w.bot.start(msk("2026-11-24 10:05"))
    await all_there_once(w, "wall-71_")
    # Telegram had them acknowledged: only the inbox could bring them back.
    assert not any(e.update_id in ids for e in w.fake.state.pending)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
async def test_a_stop_right_after_a_burst_is_acknowledged_loses_nothing(
    world: World, sig: int
) -> None:
    w = world
    ids = burst(w, "72")
    await w.fake.wait_until(lambda: w.acknowledged(ids))
    await w.bot.stop(sig)
    await w.bot.start(msk("2026-11-24 10:05"))
    await all_there_once(w, "wall-72_")


async def test_an_update_delivered_twice_in_polling_makes_one_incident(world: World) -> None:
    w = world
    w.fake.faults.duplicate_updates(3)
    burst(w, "73", 3)
    await all_there_once(w, "wall-73_", 3)


async def test_an_unreadable_update_is_skipped_and_the_admin_told(world: World) -> None:
    w = world
    user = w.curator.user.to_api()
    w.fake.state.push_update(
        {
            "message": {
                "message_id": 999_001,
                "date": "not a date",
                "chat": {"id": user["id"], "type": "private"},
                "from": user,
                "text": "https://vk.com/wall-74_0 newer Bot API",
            }
        }
    )
    bad = w.fake.state.update_counter
    burst(w, "74", 2)
    await all_there_once(w, "wall-74_", 2)
    assert w.urls("wall-74_0") == []
    (state,) = w.rows("SELECT state FROM inbox WHERE update_id = ?", bad)[0]
    assert state == "bad"
    told = await w.org.admin.wait_for("не смог прочитать", since=0)
    assert str(bad) in told.content


async def test_webhook_redelivery_of_one_update_makes_one_incident(hooked: World) -> None:
    w = hooked
    user = w.curator.user.to_api()
    update = {
        "update_id": 880_001,
        "message": {
            "message_id": 880_001,
            "date": int(w.fake.state.now()),
            "chat": {"id": user["id"], "type": "private"},
            "from": user,
            "text": "https://vk.com/wall-75_1 Во дворе не горят фонари",
        },
    }
    url = f"http://127.0.0.1:{w.bot.webhook_port}/telegram/hook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": w.fake.state.webhook.secret_token or ""}
    async with aiohttp.ClientSession() as session:

        async def deliver() -> int:
            async with session.post(url, json=update, headers=headers) as response:
                return response.status

        # Two deliveries at once (a retry overtaking a slow answer), then one after.
        assert list(await asyncio.gather(deliver(), deliver())) == [200, 200]
        assert await deliver() == 200
    await all_there_once(w, "wall-75_", 1)

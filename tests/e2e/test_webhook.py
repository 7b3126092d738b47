"""Webhook mode, end to end (`[telegram] mode = "webhook"`): Telegram posts updates to the bot's
HTTP server; buttons work; a post sent while the bot is down is handled when it is back; and an
update without the secret is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from tests.e2e.botproc import BotProcess
from tests.e2e.conftest import START
from tests.e2e.org import Org, card, msk
from tests.e2e.telegram import FakeTelegram

pytestmark = pytest.mark.e2e


@dataclass
class Hooked:
    fake: FakeTelegram
    bot: BotProcess
    org: Org


@pytest_asyncio.fixture(loop_scope="session")
async def hooked(tmp_path: Path) -> AsyncIterator[Hooked]:
    fake = FakeTelegram()
    await fake.start()
    bot = BotProcess(fake, tmp_path / "hook", "lipetsk", mode="webhook")
    try:
        await bot.start(START)
        yield Hooked(fake, bot, await Org.create(fake, bot))
    finally:
        await bot.close()
        await fake.stop()


async def test_the_bot_works_over_a_webhook_and_loses_nothing_while_down(hooked: Hooked) -> None:
    org, fake = hooked.org, hooked.fake
    info = fake.state.webhook
    assert info.url.endswith("/telegram/hook") and info.secret_token  # set by the bot itself
    curator = await org.invite("куратор", "Ярослава")
    org.bot.set_clock(msk("2026-11-24 10:00"))
    curator.send("https://vk.com/wall-99_1 Во дворе дома 3 неделю не вывозят мусор")
    shown = await card(curator, "wall-99_1")
    curator.press("❗ Важность", message=shown)
    await curator.wait_for(lambda m: "высокая" in m.button_labels)
    curator.press("высокая")
    await curator.wait_for(lambda m: "Важность: высокая" in m.content)

    # Killed: Telegram keeps the post and retries; the bot handles it when it is back.
    await org.bot.stop(sig=9)
    curator.send("https://vk.com/wall-99_2 Сломан лифт в доме 7")
    await fake.wait_until(lambda: any(not d.ok for d in fake.deliveries))
    await org.bot.start(msk("2026-11-24 10:05"))
    later = await card(curator, "wall-99_2")
    assert "Выявлено: 24.11.2026 10:05" in later.content
    assert all(d.secret_token == info.secret_token for d in fake.deliveries)


async def test_an_update_without_the_secret_is_refused(hooked: Hooked) -> None:
    port = hooked.bot.webhook_port
    forged = {
        "update_id": 999_999,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 4242, "type": "private"},
            "from": {"id": 4242, "is_bot": False, "first_name": "Чужой"},
            "text": "/admin",
        },
    }
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
            async with session.post(url, json=forged, headers=headers) as response:
                assert response.status == 401
    assert not [c for c in hooked.fake.calls_to("sendMessage") if c.params.get("chat_id") == 4242]

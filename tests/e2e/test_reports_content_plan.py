"""The content plan end to end (Myasnikovsky 6; `content_plan_days` = 3 by default): the curator
is reminded, once a working day, while no official post is marked; /posted marks one and the
reminders stop until three days have passed without another.

Whether a day's check ran is known without waiting: the bot checks at start before it polls
(`bot.main`), and a card queued afterwards reaches the curator only after any reminder queued
before it (per-chat order of the outbox)."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
import pytest_asyncio

from tests.e2e.botproc import BotProcess
from tests.e2e.org import Org, card, msk
from tests.e2e.telegram import FakeTelegram
from tests.e2e.telegram.people import Person
from tests.e2e.telegram.state import MessageView

pytestmark = pytest.mark.e2e

REMINDER = "🗓 В официальных аккаунтах"
WALL = "https://vk.com/wall-91_"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def org(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Org]:
    """Its own bot: the content plan is one per organisation, and the test counts reminders."""
    fake = FakeTelegram()
    await fake.start()
    bot = BotProcess(fake, tmp_path_factory.mktemp("content-plan"), "myasnikovsky")
    try:
        await bot.start(msk("2026-11-24 08:00"))  # before working time: no check yet
        yield await Org.create(fake, bot)
    finally:
        await bot.stop()
        await fake.stop()


def reminders(person: Person, since: int) -> list[MessageView]:
    return [m for m in person.bot_messages() if m.seq > since and REMINDER in m.content]


async def a_card(curator: Person, post: str) -> None:
    """Forward a post and wait for its card. The card is queued after whatever the curator was
    owed, and the sender marks each notice sent before it starts the next: once the card is
    shown, every earlier notice to the curator is delivered and recorded as such."""
    curator.send(post)
    await card(curator, post.partition(" ")[2])


async def restarted_then_a_card(org: Org, curator: Person, moment: datetime, post: str) -> None:
    """Restart the bot at `moment` (its day's check runs before it polls), then a card: a
    reminder of that check would have come before it."""
    await org.bot.restart(moment, signal.SIGTERM)
    await a_card(curator, post)


async def test_the_curator_is_reminded_until_a_post_is_marked_and_again_after_three_days(
    org: Org,
) -> None:
    curator = await org.invite("куратор", "Алла")
    start = curator.mark()

    # Tuesday, the working day begins: nothing was ever marked.
    org.bot.set_clock(msk("2026-11-24 09:00:05"))
    first = await curator.wait_for(REMINDER, timeout=30)
    assert "ещё не отмечено ни одной публикации" in first.content
    assert "/posted" in first.content

    # A restart the same day does not remind again.
    await a_card(curator, f"{WALL}1 Нет света на ул. Мира")
    await restarted_then_a_card(
        org, curator, msk("2026-11-24 11:00"), f"{WALL}2 Не убран снег во дворе"
    )
    assert reminders(curator, start) == [first]

    curator.send("/posted Новость о ремонте моста в Чалтыре")
    await curator.wait_for("Записано: это первая отмеченная публикация")

    # Thursday: two days since the post, no reminder.
    marked = curator.mark()
    await restarted_then_a_card(
        org, curator, msk("2026-11-26 09:00:05"), f"{WALL}3 Сломана скамейка"
    )
    assert reminders(curator, marked) == []

    # Friday: three days since the post, reminded again with the date of the last one.
    org.bot.set_clock(msk("2026-11-27 09:00:05"))
    again = await curator.wait_for(REMINDER, timeout=30)
    assert "нет отмеченных публикаций с 24.11.2026 (3 дн.)" in again.content
    assert len(reminders(curator, start)) == 2

    # Marked again: the answer names the previous post; the count starts from the new one.
    curator.send("/posted")
    await curator.wait_for(
        "Записано: публикация в официальных аккаунтах. Предыдущая отмечена 24.11.2026"
    )
    org.bot.set_clock(msk("2026-11-30 09:00:05"))
    monday = await curator.wait_for(REMINDER, timeout=30)
    assert "нет отмеченных публикаций с 27.11.2026 (3 дн.)" in monday.content
    assert len(reminders(curator, start)) == 3

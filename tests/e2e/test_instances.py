"""Two instances on one PostgreSQL, end to end: the polling bot and a worker (`[telegram] mode =
"worker"`) both sweep deadlines and send; reminders and breaches still reach each person once
(issue 7: row locks with SKIP LOCKED on timers, reminder keys and outbox rows)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.botproc import BotProcess
from tests.e2e.conftest import START
from tests.e2e.org import Org, card, msk
from tests.e2e.telegram import FakeTelegram
from tests.e2e.telegram.people import Person
from tests.e2e.telegram.state import MessageView
from tests.e2e.test_deadlines_lipetsk import nothing_new
from tests.storage.conftest import pg_server, pg_template, postgres_url

__all__ = ["pg_server", "pg_template", "postgres_url"]

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

SWEPT = re.compile(r"sweep: (\d+) reminders, (\d+) breaches")
POSTS = 4  # per curator


@dataclass
class Pair:
    fake: FakeTelegram
    main: BotProcess
    worker: BotProcess


@pytest_asyncio.fixture(loop_scope="session")
async def pair(postgres_url: str, tmp_path: Path) -> AsyncIterator[Pair]:
    fake = FakeTelegram()
    await fake.start()
    clock = tmp_path / "clock.txt"  # one time for both instances
    common = {"storage_url": postgres_url, "messages_per_second": 14, "clock_file": clock}
    main = BotProcess(fake, tmp_path / "main", "lipetsk", **common)  # type: ignore[arg-type]
    worker = BotProcess(fake, tmp_path / "worker", "lipetsk", mode="worker", **common)  # type: ignore[arg-type]
    try:
        await main.start(START)
        await worker.start(START)
        yield Pair(fake, main, worker)
    finally:
        for bot in (worker, main):
            await bot.close()
        await fake.stop()


def swept(bot: BotProcess) -> tuple[int, int]:
    """Reminders and breaches this instance's sweeper took, from its log."""
    found = [SWEPT.search(line) for line in bot.lines]
    return (
        sum(int(m.group(1)) for m in found if m),
        sum(int(m.group(2)) for m in found if m),
    )


def notices(person: Person, marker: str) -> Counter[str]:
    return Counter(m.content for m in person.bot_messages() if marker in m.content)


def shown(person: Person, marker: str, count: int) -> Callable[[MessageView], bool]:
    return lambda _: len(notices(person, marker)) >= count


async def test_a_worker_and_the_bot_on_one_postgresql_send_each_reminder_once(pair: Pair) -> None:
    org = await Org.create(pair.fake, pair.main)
    curators = [await org.invite("куратор", name) for name in ("Ирина", "Кирилл", "Лариса")]
    deputy = await org.invite("заместитель главы", "Марат")
    pair.main.set_clock(msk("2026-11-24 10:00"))
    for c, curator in enumerate(curators):
        for n in range(POSTS):
            curator.send(f"https://vk.com/wall-8{c}_{n} Не убран снег во дворе дома {c}{n}")
            await card(curator, f"wall-8{c}_{n}")
    total = len(curators) * POSTS

    # Both sweepers and both senders run: every route reminder (10:20, п. 6) goes out once.
    pair.main.set_clock(msk("2026-11-24 10:21"))
    for curator in curators:
        await curator.wait_for(shown(curator, "Напоминание", POSTS))
    for curator in curators:
        assert await nothing_new(curator, "Напоминание")
    for curator in curators:
        got = notices(curator, "Напоминание")
        assert len(got) == POSTS and set(got.values()) == {1}, got
    main_reminders, _ = swept(pair.main)
    worker_reminders, _ = swept(pair.worker)
    assert main_reminders + worker_reminders == total

    # The polling instance dies; the worker alone sweeps the breaches (10:30) and sends them.
    await pair.main.stop(sig=9)
    pair.main.set_clock(msk("2026-11-24 10:31"))
    await deputy.wait_for(shown(deputy, "Нарушен срок", total), timeout=40)
    for curator in curators:
        await curator.wait_for(shown(curator, "Нарушен срок", POSTS))
    assert swept(pair.worker)[1] == total

    # The bot comes back: nothing is repeated, and it answers people again.
    await pair.main.start(msk("2026-11-24 10:32"))
    assert await nothing_new(deputy, "Нарушен срок")
    got = notices(deputy, "Нарушен срок")
    assert len(got) == total and set(got.values()) == {1}
    for curator in curators:
        assert set(notices(curator, "Нарушен срок").values()) == {1}
        assert set(notices(curator, "Напоминание").values()) == {1}
    before = curators[0].mark()
    curators[0].send("/tasks")
    tasks = await curators[0].wait_for("Ваши задачи", since=before)
    assert "Ваши задачи (4)" in tasks.content and "№2026-000001" in tasks.content

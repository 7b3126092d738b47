"""Two bot instances on one PostgreSQL database, each with its own engine, `Deadlines` sweeper,
`Sender`, aiogram `Bot` and `Throttle`, against the fake Telegram server: every reminder goes
out exactly once, and per chat in the order written, even with 429 and 5xx answers.

The fake's flood limits are off here: two instances each keep a whole bot's budget (28/s), so
together they would exceed Telegram's 30/s and spend the test waiting out 429s. The limits are
exercised by `bench/bench_delivery.py` (one instance) and the injected 429s below.
"""

from __future__ import annotations

from collections import Counter

import pytest

from domain.timers import NoticeKind
from tests.delivery.stack import (
    MORNING,
    REMINDERS_DUE,
    Instance,
    TickingClock,
    curators,
    delivered,
    instance,
    mark_all_sent,
    register_posts,
    reminders_by_chat,
    run_instances,
    unsent,
)
from tests.e2e.telegram import FakeTelegram

pytestmark = pytest.mark.postgres


async def two_instances(url: str, fake: FakeTelegram, clock: TickingClock) -> list[Instance]:
    return [instance(url, fake, clock, "a"), instance(url, fake, clock, "b")]


async def test_two_sweepers_and_two_senders_deliver_every_reminder_exactly_once(
    postgres_url: str, fake: FakeTelegram
) -> None:
    fake.limits.enabled = False
    clock = TickingClock(MORNING)
    a, b = await two_instances(postgres_url, fake, clock)
    try:
        people = await curators(a.database, fake, 100)
        timers = await register_posts(a.services.routing, people, 3)
        assert timers == 300
        await mark_all_sent(a.database, clock.now())  # the cards of registration went out
        clock.set(REMINDERS_DUE)

        await run_instances([a, b], a.database)

        assert a.reminders + b.reminders == 300, (a.sweeps, b.sweeps)
        assert a.reminders > 0 and b.reminders > 0, "both sweepers took timers"
        assert await unsent(a.database) == []
        seen = reminders_by_chat(fake, [c.chat_id for c in people])
        for curator in people:
            assert sorted(seen[curator.chat_id]) == sorted(curator.numbers), curator.chat_id
        sends = [c for c in fake.calls_to("sendMessage") if c.status == 200]
        assert len(sends) == 300, Counter(c.params.get("chat_id") for c in sends).most_common(3)
        assert a.sender.sent > 0 and b.sender.sent > 0, (a.sender.sent, b.sender.sent)
        assert a.sender.sent + b.sender.sent == 300
    finally:
        await a.close()
        await b.close()


async def test_with_429_and_5xx_on_a_fifth_of_the_calls_everything_arrives_in_order(
    postgres_url: str, fake: FakeTelegram
) -> None:
    """What registration tells and the cards, then the reminders, per curator: registered 1,
    card 1, registered 2, card 2, reminder 1, reminder 2, as written. A 429 is waited out by the throttle; a 5xx postpones the notice
    with backoff, and the newer notices to that chat wait for it."""
    fake.limits.enabled = False
    clock = TickingClock(MORNING)
    a, b = await two_instances(postgres_url, fake, clock)
    try:
        people = await curators(a.database, fake, 20)
        await register_posts(a.services.routing, people, 2)
        clock.set(REMINDERS_DUE)
        too_many = fake.faults.retry_after(1, probability=0.2, times=None)
        broken = fake.faults.server_error(probability=0.2, times=None)

        await run_instances([a, b], a.database, within=180)

        assert too_many.hits > 0 and broken.hits > 0, (too_many.hits, broken.hits)
        assert await unsent(a.database) == []
        for curator in people:
            first, second = curator.numbers
            assert delivered(fake, curator.chat_id) == [
                (NoticeKind.REGISTERED.value, first),
                (NoticeKind.CARD.value, first),
                (NoticeKind.REGISTERED.value, second),
                (NoticeKind.CARD.value, second),
                (NoticeKind.REMINDER.value, first),
                (NoticeKind.REMINDER.value, second),
            ], curator.chat_id
        assert a.sender.sent + b.sender.sent == 120
    finally:
        await a.close()
        await b.close()

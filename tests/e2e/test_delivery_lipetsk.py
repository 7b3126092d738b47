"""Delivery through the bot process while Telegram misbehaves: 429 and 5xx on a fifth of the
calls, and still every reminder and breach arrives, once, in order per chat (issue 7)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.e2e.conftest import Worlds
from tests.e2e.org import card, msk
from tests.e2e.telegram.people import Person
from tests.e2e.telegram.state import MessageView

pytestmark = pytest.mark.e2e

DUE = re.compile(r"сообщение №(\S+): направить исполнителю — (?:до|срок истёк) (\S+ \S+)")
POSTS = 5  # per curator


def numbered(person: Person, marker: str) -> list[tuple[str, str]]:
    """(incident number, deadline) of each notice with `marker`, in the order the chat shows."""
    found = []
    for m in person.bot_messages():
        if marker in m.content:
            hit = DUE.search(m.content)
            assert hit is not None, m.content
            found.append((hit.group(1), hit.group(2)))
    return found


def has(person: Person, marker: str, count: int) -> Callable[[MessageView], bool]:
    return lambda _: len(numbered(person, marker)) >= count


async def test_429_and_5xx_on_a_fifth_of_the_calls_lose_nothing_and_keep_the_order(
    worlds: Worlds,
) -> None:
    org = await worlds.get("lipetsk")
    first = await org.invite("куратор", "Нина")
    second = await org.invite("куратор", "Олег")
    for minute in range(2 * POSTS):  # posts at 10:00, 10:01… alternating between the two
        person = (first, second)[minute % 2]
        org.bot.set_clock(msk(f"2026-12-08 10:{minute:02d}"))
        person.send(f"https://vk.com/wall-95_{minute} Не горят фонари, дом {minute}")
        await card(person, f"wall-95_{minute}")

    fake = org.fake
    errors = fake.faults.server_error(method="sendMessage", probability=0.1, times=None)
    waits = fake.faults.retry_after(1, method="sendMessage", probability=0.11, times=None)
    try:
        # Route reminders at 10:20…10:29 (п. 6), then breaches at 10:30…10:39.
        org.bot.set_clock(msk("2026-12-08 10:29:30"))
        for person in (first, second):
            await person.wait_for(has(person, "Напоминание", POSTS), timeout=90)
        org.bot.set_clock(msk("2026-12-08 10:45"))
        for person in (first, second):
            await person.wait_for(has(person, "Нарушен срок", POSTS), timeout=90)
    finally:
        fake.faults.clear()
    assert errors.hits > 0 and waits.hits > 0  # Telegram really did fail along the way

    for person in (first, second):
        for marker in ("Напоминание", "Нарушен срок"):
            got = numbered(person, marker)
            assert len(got) == POSTS, got  # every one, none twice
            assert len({n for n, _ in got}) == POSTS
            deadlines = [due for _, due in got]
            assert deadlines == sorted(deadlines), got  # queued in deadline order, shown so

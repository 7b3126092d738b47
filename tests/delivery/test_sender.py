"""The sender over claims, on SQLite, against the fake Telegram server: a crashed instance's
notices go out once its lease is over (at once if it ran on this host), and card notices of
one incident collapse into one drawing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from bot.sender import LEASE, is_gone, sender_token
from domain.timers import NoticeKind, OutboxMessage
from tests.delivery.stack import (
    MORNING,
    TickingClock,
    curators,
    delivered,
    instance,
    register_posts,
    unsent,
)
from tests.e2e.telegram import FakeTelegram


async def test_a_crashed_senders_notices_go_out_once_its_lease_is_over(
    sqlite_url: str, fake: FakeTelegram
) -> None:
    clock = TickingClock(MORNING)
    survivor = instance(sqlite_url, fake, clock, "survivor")
    try:
        people = await curators(survivor.database, fake, 3)
        await register_posts(survivor.services.routing, people, 1)
        async with survivor.database.unit_of_work() as uow:  # claimed, then the process died
            taken = await uow.outbox.claim(100, clock.now(), LEASE, by="crashed")
            await uow.commit()
        # a person's first notice each (what registration tells; the card waits behind it)
        assert len(taken) == 3

        assert await survivor.sender.deliver_once() == 0
        clock.set(clock.now() + LEASE * 0.9)
        assert await survivor.sender.deliver_once() == 0
        assert fake.calls_to("sendMessage") == []

        clock.set(clock.now() + LEASE * 0.2)
        assert await survivor.sender.deliver_once() == 3
        assert await survivor.sender.deliver_once() == 3  # the cards
        assert await survivor.sender.deliver_once() == 0
        for curator in people:
            assert delivered(fake, curator.chat_id) == [
                (NoticeKind.REGISTERED.value, curator.numbers[0]),
                (NoticeKind.CARD.value, curator.numbers[0]),
            ]
        assert await unsent(survivor.database) == []
    finally:
        await survivor.close()


async def test_card_notices_of_one_incident_collapse_into_one_drawing(
    sqlite_url: str, fake: FakeTelegram
) -> None:
    """The incident changed three times before the sender came: one card is drawn from the
    current state and covers the three notices; a later notice edits it in place."""
    clock = TickingClock(MORNING)
    bot = instance(sqlite_url, fake, clock, "one")
    try:
        (curator,) = await curators(bot.database, fake, 1)
        await register_posts(bot.services.routing, [curator], 1)
        told, first = await unsent(bot.database)
        assert (told.kind, first.kind) == (NoticeKind.REGISTERED, NoticeKind.CARD)
        again = OutboxMessage(
            None,
            clock.now(),
            NoticeKind.CARD,
            recipient_id=first.recipient_id,
            incident_id=first.incident_id,
        )
        async with bot.database.unit_of_work() as uow:
            await uow.outbox.add(again)
            await uow.outbox.add(again)
            await uow.commit()

        assert await bot.sender.deliver_once() == 1  # what registration tells, first
        assert await bot.sender.deliver_once() == 1  # then one card for three notices
        assert await unsent(bot.database) == []
        assert len(fake.calls_to("sendMessage")) == 2

        async with bot.database.unit_of_work() as uow:
            await uow.outbox.add(again)
            await uow.commit()
        assert await bot.sender.deliver_once() == 1
        assert len(fake.calls_to("sendMessage")) == 2, "edited in place, not sent again"
        assert delivered(fake, curator.chat_id) == [
            (NoticeKind.REGISTERED.value, curator.numbers[0]),
            (NoticeKind.CARD.value, curator.numbers[0]),
        ]
    finally:
        await bot.close()


async def test_the_cards_of_one_incident_for_several_people_are_drawn_from_one_read(
    sqlite_url: str, fake: FakeTelegram
) -> None:
    """Four people's cards of one message in a round: the incident is read once for all of
    them (#13: the sender read it again for every card), each gets the card, and a person's
    two notices make one card."""
    from sqlalchemy import event

    clock = TickingClock(MORNING)
    bot = instance(sqlite_url, fake, clock, "one")
    try:
        people = await curators(bot.database, fake, 4)
        await register_posts(bot.services.routing, people[:1], 1)
        told, first = await unsent(bot.database)
        assert (told.kind, first.kind) == (NoticeKind.REGISTERED, NoticeKind.CARD)
        assert await bot.sender.deliver_once() == 1  # what registration tells: nothing to read
        async with bot.database.unit_of_work() as uow:
            others = [m.id for m in await uow.staff.all() if m.id != first.recipient_id]
            for person_id in [*others, first.recipient_id]:
                await uow.outbox.add(
                    OutboxMessage(
                        None,
                        clock.now(),
                        NoticeKind.CARD,
                        recipient_id=person_id,
                        incident_id=first.incident_id,
                    )
                )
            await uow.commit()
        reads: list[str] = []

        def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            if "WHERE incidents.id IN" in statement:  # a whole incident read
                reads.append(statement)

        event.listen(bot.database.engine.sync_engine, "before_cursor_execute", seen)
        try:
            # the first curator's second notice waits behind the first (per-person order) and
            # is covered by its card
            assert await bot.sender.deliver_once() == 4
        finally:
            event.remove(bot.database.engine.sync_engine, "before_cursor_execute", seen)
        assert await unsent(bot.database) == []
        # once for the round, not once for each of the four people (the search for earlier
        # posts like it, which a new message's card offers to link, finds none to read)
        assert len(reads) == 1, [r[:300] for r in reads]
        assert len(fake.calls_to("sendMessage")) == 5, "the first curator's two notices: one card"
        number = people[0].numbers[0]
        assert delivered(fake, people[0].chat_id) == [
            (NoticeKind.REGISTERED.value, number),
            (NoticeKind.CARD.value, number),
        ]
        for curator in people[1:]:
            assert delivered(fake, curator.chat_id) == [(NoticeKind.CARD.value, number)]
    finally:
        await bot.close()


def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def test_which_senders_are_surely_gone() -> None:
    host = socket.gethostname()[:40]
    assert is_gone(f"{host}:{dead_pid()}:abc")
    assert is_gone(f"{host}:{os.getpid()}:abc"), "an earlier life of this very process"
    assert not is_gone(f"{host}:{os.getppid()}:abc"), "alive"
    assert not is_gone(f"elsewhere:{dead_pid()}:abc"), "another host: its lease decides"
    assert not is_gone("test-a")
    assert not is_gone(sender_token().replace(host, "elsewhere"))


async def test_a_restarted_bot_takes_back_at_once_what_its_killed_process_had_claimed(
    sqlite_url: str, fake: FakeTelegram
) -> None:
    clock = TickingClock(MORNING)
    restarted = instance(sqlite_url, fake, clock, "restarted")
    try:
        people = await curators(restarted.database, fake, 4)
        await register_posts(restarted.services.routing, people, 1)
        killed = f"{socket.gethostname()[:40]}:{dead_pid()}:0123456789ab"
        elsewhere = f"other-host:{dead_pid()}:0123456789ab"
        async with restarted.database.unit_of_work() as uow:
            # a person's first notice each: what registration tells (the card waits behind it)
            assert len(await uow.outbox.claim(3, clock.now(), LEASE, by=killed)) == 3
            assert len(await uow.outbox.claim(3, clock.now(), LEASE, by=elsewhere)) == 1
            await uow.commit()

        assert await restarted.sender.recover() == 3
        assert await restarted.sender.deliver_once() == 3
        assert await restarted.sender.deliver_once() == 3  # their cards
        assert await restarted.sender.deliver_once() == 0, "the other host's lease still runs"
        clock.set(clock.now() + LEASE * 1.1)
        assert await restarted.sender.deliver_once() == 1
        assert await restarted.sender.deliver_once() == 1
        assert len(fake.calls_to("sendMessage")) == 8
    finally:
        await restarted.close()

"""Outbox claims: several senders never take the same notice, a crashed sender's lease runs out
and another takes its notices, and per chat a newer notice never overtakes an older one.

Concurrency runs on SQLite and PostgreSQL (each unit of work on its own connection); the rules
of order and leases also on the in-memory fake."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from domain.incident import Source
from domain.people import StaffMember
from domain.ports import UnitOfWork
from domain.roles import Role
from domain.timers import NOTICES_LANE, REPORTS_LANE, Lane, NoticeKind, OutboxMessage
from storage.engine import Database
from tests.fakes import FixedClock
from tests.storage import steps as usecases

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=1)
GROUP_A = -100_001
GROUP_B = -100_002

UowFactory = Callable[[], UnitOfWork]


def text(n: int, *, recipient: int | None = None, chat: int | None = None) -> OutboxMessage:
    return OutboxMessage(
        None,
        T0 + timedelta(seconds=n),
        NoticeKind.TEXT,
        recipient_id=recipient,
        chat_id=chat,
        payload={"text": f"№{n}"},
    )


def card(recipient: int, incident_id: int | None = None) -> OutboxMessage:
    return OutboxMessage(None, T0, NoticeKind.CARD, recipient_id=recipient, incident_id=incident_id)


async def staff(factory: UowFactory, count: int) -> list[int]:
    ids: list[int] = []
    async with factory() as uow:
        for n in range(count):
            member = await uow.staff.add(
                StaffMember(None, 5000 + n, f"Сотрудник {n}", frozenset({Role.EXECUTOR}))
            )
            assert member.id is not None
            ids.append(member.id)
        await uow.commit()
    return ids


async def queue(factory: UowFactory, *messages: OutboxMessage) -> list[int]:
    ids: list[int] = []
    async with factory() as uow:
        for message in messages:
            added = await uow.outbox.add(message)
            assert added.id is not None
            ids.append(added.id)
        await uow.commit()
    return ids


async def claim(
    factory: UowFactory, now: datetime, by: str, limit: int = 100, lease: timedelta = LEASE
) -> list[int]:
    async with factory() as uow:
        taken = await uow.outbox.claim(limit, now, lease, by=by)
        await uow.commit()
    return [m.id for m in taken if m.id is not None]


async def mark(factory: UowFactory, action: str, *ids: int, at: datetime = T0) -> None:
    async with factory() as uow:
        for message_id in ids:
            if action == "sent":
                await uow.outbox.mark_sent(message_id, at)
            elif action == "failed":
                await uow.outbox.mark_failed(message_id, "403 Forbidden: bot was blocked")
            else:
                await uow.outbox.postpone(message_id, at, "502 Bad Gateway")
        await uow.commit()


# ---- both engines: real concurrency ------------------------------------------------------------


@pytest.mark.parametrize("claimers", [2, 5])
async def test_concurrent_claims_never_take_the_same_notice(db: Database, claimers: int) -> None:
    """Each claimer is a unit of work on its own connection; all start at once and keep their
    transaction open a moment, so on PostgreSQL the row locks overlap (SKIP LOCKED passes them
    by) and on SQLite the writers queue for the lock."""
    people = await staff(db.unit_of_work, 30)
    ids = await queue(
        db.unit_of_work,
        *(text(n, recipient=p) for n, p in enumerate(people)),
        *(text(100 + n, chat=-200_000 - n) for n in range(30)),
    )
    start = asyncio.Barrier(claimers)
    # On PostgreSQL every claimer keeps its transaction (and its row locks) open until all have
    # claimed, so SKIP LOCKED must pass the others' rows by. SQLite has one writer at a time:
    # there the claims queue for the lock, and holding it for the others would never end.
    claimed = asyncio.Barrier(claimers)
    overlap = db.backend == "postgresql"

    async def claimer(n: int) -> list[int]:
        async with db.unit_of_work() as uow:
            await start.wait()
            taken = await uow.outbox.claim(15, T0, LEASE, by=f"sender-{n}")
            if overlap:
                await claimed.wait()
            await uow.commit()
        return [m.id for m in taken if m.id is not None]

    results = await asyncio.gather(*(claimer(n) for n in range(claimers)))

    everything = [i for taken in results for i in taken]
    assert len(everything) == len(set(everything)), Counter(everything).most_common(3)
    assert len(everything) == min(60, 15 * claimers)
    assert set(everything) <= set(ids)
    assert all(taken == sorted(taken) for taken in results), "oldest first"
    # What was taken is leased: nobody takes it again while the lease runs.
    left = await claim(db.unit_of_work, T0 + LEASE / 2, "late")
    assert set(left).isdisjoint(everything) and len(left) == 60 - len(everything)


async def test_a_newer_notice_to_a_chat_is_not_taken_while_an_older_is_being_claimed(
    db: Database,
) -> None:
    """Claimer X holds its transaction (and on PostgreSQL the row lock of the older notice)
    open; claimer Y, at the same moment, must not take the newer notice to the same chat."""
    older, newer, other = await queue(
        db.unit_of_work,
        text(1, chat=GROUP_A),
        text(2, chat=GROUP_A),
        text(3, chat=GROUP_B),
    )
    x_claimed = asyncio.Event()
    y_claimed = asyncio.Event()
    # On PostgreSQL X commits only after Y has claimed (Y meets X's row lock); on SQLite Y
    # waits for the single writer lock, so X commits first.
    overlap = db.backend == "postgresql"

    async def x() -> list[int]:
        async with db.unit_of_work() as uow:
            taken = await uow.outbox.claim(1, T0, LEASE, by="x")
            x_claimed.set()
            if overlap:
                await y_claimed.wait()
            await uow.commit()
        return [m.id for m in taken if m.id is not None]

    async def y() -> list[int]:
        await x_claimed.wait()
        try:
            return await claim(db.unit_of_work, T0, "y")
        finally:
            y_claimed.set()

    got_x, got_y = await asyncio.gather(x(), y())
    assert got_x == [older]
    assert got_y == [other]
    assert newer not in got_y


# ---- the rules, on the fake and both engines ---------------------------------------------------


async def test_an_expired_lease_is_claimed_again(uow_factory: UowFactory) -> None:
    (first,) = await queue(uow_factory, text(1, chat=GROUP_A))
    assert await claim(uow_factory, T0, "crashed") == [first]
    assert await claim(uow_factory, T0 + LEASE / 2, "other") == []
    assert await claim(uow_factory, T0 + LEASE, "other") == [], "the lease runs to its end"
    assert await claim(uow_factory, T0 + LEASE + timedelta(seconds=1), "other") == [first]
    await mark(uow_factory, "sent", first, at=T0 + LEASE + timedelta(seconds=2))
    assert await claim(uow_factory, T0 + 10 * LEASE, "third") == []
    async with uow_factory() as uow:
        assert await uow.outbox.pending() == []


async def test_released_notices_are_claimed_at_once_but_only_their_claimant_releases(
    uow_factory: UowFactory,
) -> None:
    one, two = await queue(uow_factory, text(1, chat=GROUP_A), text(2, chat=GROUP_B))
    assert await claim(uow_factory, T0, "a") == [one, two]
    async with uow_factory() as uow:
        await uow.outbox.release([one, two], by="b")  # not b's to give back
        await uow.commit()
    assert await claim(uow_factory, T0, "b") == []
    async with uow_factory() as uow:
        await uow.outbox.release([two], by="a")
        await uow.commit()
    assert await claim(uow_factory, T0, "b") == [two]


async def test_claims_take_the_oldest_unsent_notice_of_each_chat_only(
    uow_factory: UowFactory,
) -> None:
    """A postponed older notice blocks newer ones to the same chat (and person), not other
    chats; a claimed one blocks too; sent or failed ones do not."""
    (person, someone) = await staff(uow_factory, 2)
    a1, a2, b1, p1, p2, s1, a3 = await queue(
        uow_factory,
        text(1, chat=GROUP_A),
        text(2, chat=GROUP_A),
        text(3, chat=GROUP_B),
        text(4, recipient=person),
        text(5, recipient=person),
        text(6, recipient=someone),
        text(7, chat=GROUP_A),
    )
    assert await claim(uow_factory, T0, "one") == [a1, b1, p1, s1]
    await mark(uow_factory, "postponed", a1, at=T0 + timedelta(minutes=10))
    await mark(uow_factory, "sent", b1, s1)
    # a1 postponed (unsent) blocks a2 and a3; p1 still claimed by "one" blocks p2.
    assert await claim(uow_factory, T0 + timedelta(seconds=1), "two") == []
    await mark(uow_factory, "sent", p1)
    assert await claim(uow_factory, T0 + timedelta(seconds=2), "two") == [p2]
    await mark(uow_factory, "sent", p2)
    # When a1's backoff is over it goes first; a2 waits for it.
    assert await claim(uow_factory, T0 + timedelta(minutes=11), "two") == [a1]
    await mark(uow_factory, "failed", a1)
    assert await claim(uow_factory, T0 + timedelta(minutes=11), "two") == [a2]
    await mark(uow_factory, "sent", a2)
    assert await claim(uow_factory, T0 + timedelta(minutes=11), "two") == [a3]
    async with uow_factory() as uow:
        assert [m.id for m in await uow.outbox.pending()] == [a3]


async def test_a_postponed_notice_stays_in_its_place_and_the_limit_counts_claims(
    uow_factory: UowFactory,
) -> None:
    ids = await queue(uow_factory, *(text(n, chat=-300_000 - n) for n in range(5)))
    await mark(uow_factory, "postponed", ids[0], at=T0 + timedelta(minutes=5))
    hour = timedelta(hours=1)
    assert await claim(uow_factory, T0, "a", limit=2, lease=hour) == ids[1:3]
    assert await claim(uow_factory, T0, "b", limit=10, lease=hour) == ids[3:]
    assert await claim(uow_factory, T0 + timedelta(minutes=5), "c") == [ids[0]]
    async with uow_factory() as uow:
        (postponed,) = [m for m in await uow.outbox.pending() if m.id == ids[0]]
    assert postponed.attempts == 1


async def test_marking_ends_the_claim_and_a_sent_notice_is_never_failed_or_postponed(
    uow_factory: UowFactory,
) -> None:
    (one,) = await queue(uow_factory, text(1, chat=GROUP_A))
    assert await claim(uow_factory, T0, "a") == [one]
    await mark(uow_factory, "sent", one)
    await mark(uow_factory, "failed", one)
    await mark(uow_factory, "postponed", one, at=T0 + timedelta(hours=1))
    async with uow_factory() as uow:
        assert await uow.outbox.pending() == []
    (two,) = await queue(uow_factory, text(2, chat=GROUP_A))
    assert await claim(uow_factory, T0, "a") == [two]
    await mark(uow_factory, "postponed", two, at=T0 + timedelta(seconds=30))
    assert await claim(uow_factory, T0 + timedelta(seconds=30), "b") == [two], "claim ended"


async def test_the_unsent_cards_of_an_incident_are_listed_in_order_with_their_people(
    uow_factory: UowFactory,
) -> None:
    """A sender draws an incident's cards once a round and covers each person's later card
    notices with it: it reads the unsent card notices of the incident, and nothing else."""
    person, other = await staff(uow_factory, 2)
    async with uow_factory() as uow:
        curator = await uow.staff.get(person)
    assert curator is not None
    one = await usecases.detect(
        uow_factory,
        FixedClock(T0),
        profile="lipetsk",
        flow="default",
        source=Source("vk"),
        curator=curator,
    )
    two = await usecases.detect(
        uow_factory,
        FixedClock(T0),
        profile="lipetsk",
        flow="default",
        source=Source("ok"),
        curator=curator,
    )
    assert one.id is not None and two.id is not None
    first, same, to_other, of_two, not_a_card, done, again = await queue(
        uow_factory,
        card(person, one.id),
        card(person, one.id),
        card(other, one.id),
        card(person, two.id),
        text(9, recipient=person),
        card(person, one.id),
        card(person, one.id),
    )
    await mark(uow_factory, "sent", done)
    async with uow_factory() as uow:
        assert await uow.outbox.unsent_cards(one.id) == [
            (first, person),
            (same, person),
            (to_other, other),
            (again, person),
        ]
        assert await uow.outbox.unsent_cards(two.id) == [(of_two, person)]
    assert len({to_other, of_two, not_a_card}) == 3


async def test_claimants_are_the_running_leases_and_release_all_frees_one_claimant(
    uow_factory: UowFactory,
) -> None:
    one, two, three = await queue(
        uow_factory, text(1, chat=GROUP_A), text(2, chat=GROUP_B), text(3, chat=-100_003)
    )
    assert await claim(uow_factory, T0, "gone", limit=2) == [one, two]
    assert await claim(uow_factory, T0, "alive") == [three]
    await mark(uow_factory, "sent", two)
    async with uow_factory() as uow:
        assert await uow.outbox.claimants(T0) == ["alive", "gone"]
        assert await uow.outbox.claimants(T0 + 2 * LEASE) == []
        assert await uow.outbox.release_all("gone") == 1
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.outbox.claimants(T0) == ["alive"]
    assert await claim(uow_factory, T0, "next") == [one]


def report(n: int, *, recipient: int | None = None, chat: int | None = None) -> OutboxMessage:
    return OutboxMessage(
        None,
        T0 + timedelta(seconds=n),
        NoticeKind.REPORT,
        recipient_id=recipient,
        chat_id=chat,
        payload={"kind": "week"},
    )


async def test_cards_and_reminders_overtake_a_report_being_made(uow_factory: UowFactory) -> None:
    """Two lanes: a report (queries, chart, workbook) held by the reports' sender never holds
    up the notices after it to the same person or chat; within each lane order is kept."""
    (head,) = await staff(uow_factory, 1)
    r1, t1, r2, t2, g1, g2 = await queue(
        uow_factory,
        report(1, recipient=head),
        text(2, recipient=head),
        report(3, recipient=head),
        text(4, recipient=head),
        report(5, chat=GROUP_A),
        text(6, chat=GROUP_A),
    )

    async def take(by: str, lane: Lane, at: datetime = T0) -> list[int]:
        async with uow_factory() as uow:
            taken = await uow.outbox.claim(100, at, LEASE, by=by, lane=lane)
            await uow.commit()
        return [m.id for m in taken if m.id is not None]

    # The reports' sender takes the first report of each chat and is busy with them.
    assert await take("reports", REPORTS_LANE) == [r1, g1]
    # The notices' sender is not held up by them, and keeps its own order (t1 before t2).
    assert await take("notices", NOTICES_LANE) == [t1, g2]
    await mark(uow_factory, "sent", t1, g2)
    assert await take("notices", NOTICES_LANE) == [t2]
    # Within the reports' lane r2 still waits for r1.
    assert await take("reports", REPORTS_LANE, T0 + timedelta(seconds=1)) == []
    await mark(uow_factory, "sent", r1)
    assert await take("reports", REPORTS_LANE, T0 + timedelta(seconds=1)) == [r2]

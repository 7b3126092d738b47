"""The inbox's table and its handling loop (#13): updates recorded once, marked handled in the
transaction of their effect, redeliveries ignored, unreadable ones skipped, and a write that
finds the database locked retried whole (two writers on one SQLite file)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from aiogram.types import Update
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.inbox import Inbox
from bot.replies import Replies
from domain.people import Department
from domain.receipts import Receipt, holding
from handlers.replies import Batch, later
from storage.engine import Database, create_engine, is_transient, session_factory
from storage.inbox import BAD, DONE, FAILED, NEW, SqlInbox
from tests.fakes import FixedClock

T0 = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def message(update_id: int, text: str, *, date: object = 1_700_000_000) -> dict[str, Any]:
    user = {"id": 501, "is_bot": False, "first_name": "Ярослава"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": date,
            "chat": {"id": 501, "type": "private"},
            "from": user,
            "text": text,
        },
    }


async def departments(db: Database) -> list[str]:
    async with db.unit_of_work() as uow:
        return [d.name for d in await uow.departments.all()]


async def test_updates_are_recorded_once_and_redeliveries_are_not_handled_again(
    db: Database,
) -> None:
    inbox = SqlInbox(db.sessions)
    first = await inbox.receive([(1, "{}"), (2, "{}")], T0)
    assert first == {1, 2}
    # Recorded, not handled: a redelivery (the bot crashed first) is still to handle.
    assert await inbox.receive([(2, "{}"), (3, "{}")], T0) == {2, 3}
    await inbox.settle([2], DONE)
    assert await inbox.receive([(2, "{}")], T0) == set()  # handled: changes nothing
    assert [i for i, _ in await inbox.pending()] == [1, 3]
    await inbox.settle([1], BAD, "date: not a date")
    assert await inbox.state_of(1) == BAD
    await inbox.settle([1], DONE)  # a settled update keeps its outcome
    assert await inbox.state_of(1) == BAD


async def test_the_effect_and_the_mark_commit_together(db: Database) -> None:
    inbox = SqlInbox(db.sessions)
    await inbox.receive([(10, "{}"), (11, "{}")], T0)
    done = Receipt((10,))
    with holding(done):
        async with db.unit_of_work() as uow:
            await uow.departments.add(Department(None, "Отдел благоустройства"))
            await uow.commit()
    assert done.recorded
    assert await inbox.state_of(10) == DONE
    lost = Receipt((11,))
    with holding(lost):
        async with db.unit_of_work() as uow:
            await uow.departments.add(Department(None, "Отдел, которого не будет"))
            await uow.rollback()
    assert not lost.recorded
    assert await inbox.state_of(11) == NEW  # its effect did not land: handled again at start
    assert await departments(db) == ["Отдел благоустройства"]


async def test_handled_updates_are_forgotten_after_a_week_unhandled_never(db: Database) -> None:
    inbox = SqlInbox(db.sessions)
    await inbox.receive([(20, "{}"), (21, "{}")], T0)
    await inbox.receive([(22, "{}")], T0 + timedelta(days=6))
    await inbox.settle([20, 22], DONE)
    assert await inbox.prune(T0 + timedelta(days=1)) == 1
    assert await inbox.state_of(20) is None
    assert await inbox.state_of(21) == NEW
    assert await inbox.state_of(22) == DONE


async def add_department(db: Database, name: str) -> None:
    async with db.unit_of_work() as uow:
        await uow.departments.add(Department(None, name))
        await uow.commit()


class Registering:
    """A dispatcher stand-in whose handler writes a department named by the message's text,
    through the project's unit of work, as the bot's handlers do."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.attempts: list[int] = []

    async def feed_update(self, bot: Bot, update: Update) -> None:
        self.attempts.append(update.update_id)
        assert update.message is not None and update.message.text
        async with self.db.unit_of_work() as uow:
            await uow.departments.add(Department(None, update.message.text))
            await uow.commit()

    def resolve_used_update_types(self) -> list[str]:
        return ["message"]


class Reading(Registering):
    """A handler that changes nothing (a menu, a list): it only reads."""

    async def feed_update(self, bot: Bot, update: Update) -> None:
        self.attempts.append(update.update_id)
        await departments(self.db)


class SlowMarks(SqlInbox):
    """The inbox's table, marking handled only once `opened` is set; the marks it was asked for."""

    def __init__(self, db: Database) -> None:
        super().__init__(db.sessions)
        self.opened = asyncio.Event()
        self.marks: list[list[int]] = []

    async def settle(
        self, update_ids: Sequence[int], state: str = DONE, note: str | None = None
    ) -> None:
        self.marks.append(list(update_ids))
        await self.opened.wait()
        await super().settle(update_ids, state, note)


class Telling(Bot):
    def __init__(self) -> None:
        super().__init__("42:TEST")
        self.told: list[tuple[int, str]] = []

    async def send_message(self, chat_id: int | str, text: str, **kwargs: Any) -> Any:  # type: ignore[override]
        self.told.append((int(chat_id), text))


def two_writers(path: Path, busy: float) -> Database:
    """The bot's engine on `path` with a short busy timeout, beside another writer."""
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url, busy_timeout=busy)
    return Database(url, engine, session_factory(engine))


async def hold_write_lock(path: Path, seconds: float, taken: asyncio.Event) -> None:
    """Another process's writer: holds SQLite's write lock for `seconds`."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("BEGIN IMMEDIATE")
        taken.set()
        await asyncio.sleep(seconds)
        conn.execute("COMMIT")
    finally:
        conn.close()


@pytest.fixture
def sqlite_file(sqlite_url: str) -> Path:
    return Path(sqlite_url.removeprefix("sqlite+aiosqlite:///"))


async def test_a_write_that_finds_the_database_locked_is_retried_whole(sqlite_file: Path) -> None:
    db = two_writers(sqlite_file, busy=0.2)
    try:
        handler = Registering(db)
        bot = Telling()
        inbox = Inbox(
            cast(Dispatcher, handler),
            bot,
            SqlInbox(db.sessions),
            FixedClock(T0),
            retries=(0.3, 0.5, 1.0, 2.0),
        )
        await inbox.store.receive([(30, json.dumps(message(30, "Отдел ЖКХ")))], T0)
        taken = asyncio.Event()
        other = asyncio.create_task(hold_write_lock(sqlite_file, 1.0, taken))
        await taken.wait()
        with pytest.raises(OperationalError):  # the lock is real: a plain write fails on it
            await add_department(db, "Мимо")
        await inbox.handle(30, message(30, "Отдел ЖКХ"))
        await other
        assert len(handler.attempts) >= 2  # the first attempt met the lock
        assert await departments(db) == ["Отдел ЖКХ"]
        assert await SqlInbox(db.sessions).state_of(30) == DONE
        assert bot.told == []
    finally:
        await db.close()


async def test_a_write_still_locked_after_the_retries_tells_the_person(sqlite_file: Path) -> None:
    db = two_writers(sqlite_file, busy=0.1)
    try:
        handler = Registering(db)
        bot = Telling()
        store = SqlInbox(db.sessions)
        inbox = Inbox(cast(Dispatcher, handler), bot, store, FixedClock(T0), retries=(0.1,))
        await store.receive([(31, json.dumps(message(31, "Отдел связи")))], T0)
        taken = asyncio.Event()
        other = asyncio.create_task(hold_write_lock(sqlite_file, 1.5, taken))
        await taken.wait()
        await inbox.handle(31, message(31, "Отдел связи"))
        await other
        assert len(handler.attempts) == 2
        assert await store.state_of(31) == FAILED
        assert await departments(db) == []
        assert bot.told and bot.told[0][0] == 501 and "занята" in bot.told[0][1]
    finally:
        await db.close()


class Replying(Registering):
    """Says what it did before writing it, with `later`, as the card handlers do."""

    async def feed_update(self, bot: Bot, update: Update) -> None:
        assert update.message is not None
        await later(SendMessage(chat_id=501, text=f"Добавлен {update.message.text}").as_(bot))
        await super().feed_update(bot, update)


class Queued:
    """The chats' queues of replies, recording what each update said."""

    def __init__(self) -> None:
        self.said: list[tuple[int, list[str]]] = []

    def put(self, batch: Batch) -> None:
        self.said.append((batch.update_id, [str(m.text) for m in batch.take()]))  # type: ignore[attr-defined]


async def test_what_a_retried_attempt_said_is_said_once_and_nothing_of_a_failed_one(
    sqlite_file: Path,
) -> None:
    db = two_writers(sqlite_file, busy=0.1)
    try:
        handler, queued = Replying(db), Queued()
        store = SqlInbox(db.sessions)
        inbox = Inbox(
            cast(Dispatcher, handler),
            Telling(),
            store,
            FixedClock(T0),
            retries=(0.3, 0.5, 1.0, 2.0),
            replies=cast(Replies, queued),
        )
        await store.receive([(32, json.dumps(message(32, "Отдел дорог")))], T0)
        taken = asyncio.Event()
        other = asyncio.create_task(hold_write_lock(sqlite_file, 0.6, taken))
        await taken.wait()
        await inbox.handle(32, message(32, "Отдел дорог"))
        await other
        assert len(handler.attempts) >= 2  # the first attempt met the lock and said its reply
        assert queued.said == [(32, ["Добавлен Отдел дорог"])]

        # Still locked after the retries: the person is told it did not go through, not that
        # it did.
        failing = Inbox(
            cast(Dispatcher, handler),
            bot := Telling(),
            store,
            FixedClock(T0),
            retries=(0.1,),
            replies=cast(Replies, queued),
        )
        await store.receive([(33, json.dumps(message(33, "Отдел связи")))], T0)
        taken = asyncio.Event()
        other = asyncio.create_task(hold_write_lock(sqlite_file, 1.5, taken))
        await taken.wait()
        await failing.handle(33, message(33, "Отдел связи"))
        await other
        assert queued.said == [(32, ["Добавлен Отдел дорог"])]
        assert await store.state_of(33) == FAILED
        assert bot.told and "занята" in bot.told[0][1]
    finally:
        await db.close()


async def test_an_unreadable_update_is_kept_raw_skipped_and_reported(db: Database) -> None:
    handler = Registering(db)
    reported: list[tuple[int, str]] = []

    async def on_bad(update_id: int, reason: str) -> None:
        reported.append((update_id, reason))

    store = SqlInbox(db.sessions)
    inbox = Inbox(cast(Dispatcher, handler), Telling(), store, FixedClock(T0), on_bad=on_bad)
    tasks = await inbox.take(
        [message(40, "Отдел новый", date="not a date"), message(41, "Отдел после")]
    )
    await asyncio.gather(*tasks)
    assert await store.state_of(40) == BAD
    assert await store.state_of(41) == DONE
    assert handler.attempts == [41]
    assert reported and reported[0][0] == 40 and "date" in reported[0][1]
    assert await departments(db) == ["Отдел после"]
    # Kept raw for whoever looks into it.
    async with db.sessions() as session:
        from storage.models import InboxRow

        row = await session.get(InboxRow, 40)
        assert row is not None and "not a date" in row.raw


async def test_a_restart_handles_what_was_recorded_and_not_handled(db: Database) -> None:
    store = SqlInbox(db.sessions)
    await store.receive([(50, json.dumps(message(50, "Отдел А")))], T0)
    await store.receive([(51, json.dumps(message(51, "Отдел Б")))], T0)
    await store.settle([51], DONE)  # handled before the crash
    handler = Registering(db)
    inbox = Inbox(cast(Dispatcher, handler), Telling(), store, FixedClock(T0))
    assert await inbox.replay() == 1
    await inbox.drain(30)
    assert handler.attempts == [50]
    assert await departments(db) == ["Отдел А"]


def test_transient_failures_are_told_from_others() -> None:
    locked = OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    assert is_transient(locked)
    assert not is_transient(OperationalError("INSERT", {}, sqlite3.OperationalError("no table")))

    class Serialization(Exception):
        sqlstate = "40001"

    assert is_transient(DBAPIError("UPDATE", {}, Serialization()))
    assert not is_transient(ValueError("nothing to do with the database"))


async def test_each_update_is_metered_in_the_log(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """What the whole-bot benchmark reads: per update its kind, bot CPU and SQL statements."""
    store = SqlInbox(db.sessions)
    inbox = Inbox(cast(Dispatcher, Registering(db)), Telling(), store, FixedClock(T0))
    await store.receive([(60, json.dumps(message(60, "Отдел учёта")))], T0)
    with caplog.at_level(logging.DEBUG, logger="otklik.inbox"):
        await inbox.handle(60, message(60, "Отдел учёта"))
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("update 60 ")]
    found = re.search(
        r"update 60 text: cpu ([\d.]+) ms, sql (\d+), wall [\d.]+ ms, process cpu ([\d.]+) ms",
        line,
    )
    assert found is not None, line
    # Its own CPU is part of the process's over the same time, never more.
    assert 0 < float(found.group(1)) <= float(found.group(3)) + 0.5
    # The department's insert and the inbox's mark, at least; a count that cannot be zero.
    assert int(found.group(2)) >= 2


async def test_updates_that_change_nothing_are_marked_handled_together_without_waiting(
    db: Database,
) -> None:
    """A menu or a list writes nothing: its update is marked handled by the inbox's own task,
    in one statement with the others handled meanwhile, and its handling does not wait for
    the mark. Until the mark lands it counts as unhandled (handled again after a crash, which
    changes nothing)."""
    store = SlowMarks(db)
    inbox = Inbox(cast(Dispatcher, Reading(db)), Telling(), store, FixedClock(T0))
    await store.receive([(i, json.dumps(message(i, "Список"))) for i in range(50, 54)], T0)
    await inbox.handle(50, message(50, "Список"))  # returns before its mark
    for i in (51, 52, 53):  # their reads let the mark of 50 begin; it waits
        await inbox.handle(i, message(i, "Список"))
    assert store.marks == [[50]]
    assert await SqlInbox(db.sessions).state_of(51) == NEW
    assert [i for i, _ in await store.pending()] == [50, 51, 52, 53]
    store.opened.set()
    await inbox.settled()
    assert store.marks == [[50], [51, 52, 53]]
    assert [await store.state_of(i) for i in range(50, 54)] == [DONE] * 4
    await inbox.drain(1.0)  # nothing left to mark: the stop does not wait
    assert store.marks == [[50], [51, 52, 53]]

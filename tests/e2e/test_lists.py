"""/tasks and /board stay right past a thousand open messages (#13): with 1,500 older open
messages of other people in the database, the curator who has just registered a post finds it
in /tasks, and /board counts every open message and pages through them with buttons."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from handlers.lists import LIMIT
from tests.e2e.botproc import BotProcess
from tests.e2e.conftest import START
from tests.e2e.org import Org, card, msk
from tests.e2e.telegram import FakeTelegram

pytestmark = pytest.mark.e2e

OLDER = 1_500


def clone_open(db: Path, template_id: int, count: int) -> None:
    """`count` copies of an open incident (no number, no curator, a day older), with their
    sources and deadlines, written as another process would: one transaction on the bot's
    file."""
    conn = sqlite3.connect(db, timeout=60, isolation_level=None)
    try:

        def columns(table: str, skip: set[str]) -> list[str]:
            return [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in skip]

        inc = columns("incidents", {"id"})
        src = columns("incident_sources", {"incident_id"})
        tim = columns("timers", {"id", "incident_id"})
        conn.execute("BEGIN IMMEDIATE")
        (top,) = conn.execute("SELECT max(id) FROM incidents").fetchone()
        picked = ", ".join(
            {"number": "NULL", "curator_id": "NULL"}.get(c, c)
            if c != "detected_at"
            else "datetime(detected_at, '-1 day')"
            for c in inc
        )
        # Nobody holds the copies' deadlines, and their breach is on record already: the
        # sweep has nothing to send for them.
        timers = ", ".join(
            {"holder_id": "NULL", "breached_at": "due_at", "remind_at": "NULL"}.get(c, c)
            for c in tim
        )
        for n in range(count):
            conn.execute(
                f"INSERT INTO incidents ({', '.join(inc)}) SELECT {picked} FROM incidents "
                "WHERE id = ?",
                (template_id,),
            )
            conn.execute(
                f"INSERT INTO incident_sources (incident_id, {', '.join(src)}) "
                f"SELECT ?, {', '.join(src)} FROM incident_sources WHERE incident_id = ?",
                (top + 1 + n, template_id),
            )
            conn.execute(
                f"INSERT INTO timers (incident_id, {', '.join(tim)}) "
                f"SELECT ?, {timers} FROM timers WHERE incident_id = ?",
                (top + 1 + n, template_id),
            )
        conn.execute("COMMIT")
    finally:
        conn.close()


@pytest_asyncio.fixture(loop_scope="session")
async def busy_bot(tmp_path: Path) -> AsyncIterator[tuple[FakeTelegram, BotProcess, Org]]:
    fake = FakeTelegram()
    await fake.start()
    bot = BotProcess(fake, tmp_path / "bot", "lipetsk")
    try:
        await bot.start(START)
        yield fake, bot, await Org.create(fake, bot)
    finally:
        await bot.close()
        await fake.stop()


async def test_tasks_and_board_are_right_with_1500_open(
    busy_bot: tuple[FakeTelegram, BotProcess, Org],
) -> None:
    fake, bot, org = busy_bot
    curator = await org.invite("куратор", "Ярослава")
    bot.set_clock(msk("2026-11-24 10:00"))
    curator.send("https://vk.com/wall-80_1 Во дворе дома 1 не убран снег")
    shown = await card(curator, "wall-80_1")
    db = bot.workdir / "data" / "otklik.sqlite3"
    conn = sqlite3.connect(db)
    try:
        ((own_id, number),) = conn.execute("SELECT id, number FROM incidents").fetchall()
    finally:
        conn.close()
    clone_open(db, own_id, OLDER)
    assert str(number) in shown.content

    # /tasks: the one message that is hers, behind 1,500 older open ones of nobody's.
    curator.send("/tasks")
    tasks = await curator.wait_for("Ваши задачи")
    assert "Ваши задачи (1)" in tasks.content
    assert f"№{number}" in tasks.button_labels

    # /board a week later, every message overdue (the longest lines): all of them counted,
    # a page within Telegram's 4,096 characters, turned by buttons.
    bot.set_clock(msk("2026-12-01 10:00"))
    curator.send("/board")
    board = await curator.wait_for("Открытые сообщения")
    total = OLDER + 1
    pages = -(-total // LIMIT)
    assert "истёк" in board.content and len(board.button_labels) == LIMIT + 1
    assert f"Открытые сообщения ({total})" in board.content
    assert f"Страница 1 из {pages}" in board.content
    assert "◀️ Назад" not in board.button_labels
    curator.press("Дальше ▶️", message=board)
    second = await curator.wait_for(lambda m: f"Страница 2 из {pages}" in m.content)
    assert second.message_id == board.message_id  # the same message, turned
    assert "◀️ Назад" in second.button_labels and "Дальше ▶️" in second.button_labels
    curator.press("◀️ Назад", message=second)
    await curator.wait_for(lambda m: f"Страница 1 из {pages}" in m.content)
    assert len(fake.calls_to("answerCallbackQuery")) >= 2  # each page press answered

"""A sixth act written as configuration only (tests/sixth_act.py), end to end: the bot loads it,
invites its own role, routes and answers by it, with no code of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.e2e.botproc import BotProcess
from tests.e2e.org import Org, card, msk, route
from tests.e2e.telegram import FakeTelegram
from tests.e2e.test_answer_profiles import publish, write_answer
from tests.sixth_act import SIXTH_TOML

pytestmark = pytest.mark.e2e


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def org(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Org]:
    fake = FakeTelegram()
    await fake.start()
    bot = BotProcess(fake, tmp_path_factory.mktemp("sixth"), "vymyshlenny", extra=SIXTH_TOML)
    try:
        await bot.start(msk("2026-11-24 09:50"))
        yield await Org.create(fake, bot)
    finally:
        await bot.stop()
        await fake.stop()


async def test_a_sixth_act_routes_and_answers_as_its_configuration_says(org: Org) -> None:
    works = await org.department("Благоустройство")
    curator = await org.invite("куратор", "Вера")
    head = await org.invite("глава", "Глеб")
    press = await org.invite("пресс-секретарь", "Пелагея")  # the act's own role (п. 2)
    executor = await org.invite("исполнитель", "Елисей", works)
    org.bot.set_clock(msk("2026-11-24 10:00"))
    curator.send("https://vk.com/wall-99_1 Не горит фонарь у школы")
    shown = await card(curator, "wall-99_1")
    # Its own timers, by its own names: 6 working hours to answer the author (п. 7).
    assert "ответить автору: до 24.11.2026 17:00" in shown.content and "п. 7" in shown.content
    assert "направить в отдел: до 24.11.2026 11:00" in shown.content  # п. 3: 1 hour

    curator.press("❗ Важность", message=shown)
    await curator.wait_for(lambda m: "общественно значимое" in m.button_labels)
    curator.press("общественно значимое")
    # A socially significant message: 2 hours (п. 7), the press secretary told at once (п. 8).
    urgent = await curator.wait_for(lambda m: "ответить автору: до 24.11.2026 12:00" in m.content)
    assert urgent.message_id == shown.message_id
    await press.wait_for("Общественно значимое сообщение")
    await head.wait_for("Общественно значимое сообщение")

    await route(curator, works)
    task = await card(executor, "фонарь")
    assert "подготовить проект: до 24.11.2026 11:00" in task.content  # п. 4: 1 h when significant
    executor.press("✅ Принять", message=task)
    await executor.wait_for(lambda m: m.message_id == task.message_id and "в работе" in m.content)
    await write_answer(
        executor, "Окончательный ответ", "Фонарь у школы заменили 24.11.2026, фото прилагаем.", task
    )
    first = await curator.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
    assert "Согласует сейчас: куратор" in first.content
    curator.press("✅ Согласовать", message=first)
    second = await press.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
    assert "Согласует сейчас: пресс-секретарь" in second.content
    assert "завизировать ответ: до 24.11.2026 10:" in second.content  # п. 5: 30 minutes
    press.press("✅ Согласовать", message=second)
    await publish(press, "https://vk.com/wall-99_1?reply=1")  # п. 6: the press secretary
    done = await curator.wait_for(lambda m: "Итог: ответ дан" in m.content)
    assert "ответить автору" not in done.content

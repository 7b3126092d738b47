"""Deadlines that act, end to end: reminders, quiet hours, breaches, and a crash between
"due" and "sent" (Lipetsk: п. 6-12, 19)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.e2e.conftest import Worlds
from tests.e2e.org import card, msk, route
from tests.e2e.telegram.people import Person

pytestmark = pytest.mark.e2e


async def nothing_new(person: Person, text: str, seconds: float = 2.0) -> bool:
    """True if the bot shows no new message containing `text` within a few sweeps."""
    since = person.mark()
    with contextlib.suppress(AssertionError, TimeoutError):
        await asyncio.wait_for(person.wait_for(text, timeout=seconds, since=since), seconds + 1)
        return False
    return True


async def test_a_reminder_before_each_timer_as_the_incident_moves(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    dept = await org.department("Транспорт")
    curator = await org.invite("куратор", "Анфиса")
    executor = await org.invite("исполнитель", "Богдан", dept)
    org.bot.set_clock(msk("2026-11-25 10:00"))  # Wednesday
    curator.send("https://vk.com/wall-91_1 Автобус №12 не ходит по расписанию")
    shown = await card(curator, "wall-91_1")

    org.bot.set_clock(msk("2026-11-25 10:20"))  # route: 30 min, reminded 10 min before (п. 6)
    ping = await curator.wait_for("Напоминание")
    assert "направить исполнителю — до 25.11.2026 10:30 (осталось 10 мин) — п. 6" in ping.content
    await route(curator, dept)
    task = await card(executor, "Автобус")

    # п. 7's 30 minutes are a window for returning, not a duty: no reminder, no breach.
    assert "вернуть, если не ваша компетенция: до 25.11.2026 10:50" in task.content
    executor.press("✅ Принять", message=task)
    await executor.wait_for(lambda m: m.message_id == task.message_id and "в работе" in m.content)

    org.bot.set_clock(msk("2026-11-25 15:05"))  # draft due 16:00 (4 h before Thu 11:00): 1 h before
    ping = await executor.wait_for("направить проект ответа —")
    assert "до 25.11.2026 16:00" in ping.content and "п. 9" in ping.content
    said = [m.content for m in [*executor.bot_messages(), *curator.bot_messages()]]
    assert not [t for t in said if "вернуть, если не ваша" in t and "Напоминание" in t]
    assert not [t for t in said if "Нарушен срок" in t]
    executor.press("✍️ Подготовить ответ", message=task)
    await executor.wait_for(lambda m: "Окончательный ответ" in m.button_labels)
    executor.press("Окончательный ответ")
    await executor.wait_for("Пишите")
    executor.send("Расписание автобуса №12 восстановлено с 26.11.2026.")
    added = await executor.wait_for("Добавлено в проект")
    executor.press("📤 На согласование", message=added)
    await executor.wait_for("Проект отправлен на согласование")

    org.bot.set_clock(msk("2026-11-25 15:56"))  # approval: 1 working hour (п. 10), 10 min before
    ping = await curator.wait_for("согласовать проект —")
    assert "п. 10" in ping.content
    # The answer itself: 9 working hours from 10:00 (п. 8), halfway passed at 15:30.
    ping = await executor.wait_for("ответ опубликован (общий срок) — до 26.11.2026 11:00")
    assert "Напоминание" in ping.content and "п. 8" in ping.content
    review = await curator.wait_for(lambda m: "✅ Согласовать" in m.button_labels, since=0)
    curator.press("✅ Согласовать", message=review)
    await executor.wait_for(lambda m: "согласовано, ждёт публикации" in m.content)

    org.bot.set_clock(msk("2026-11-25 16:17"))  # publication: 30 min (п. 12), 10 min before
    ping = await executor.wait_for("опубликовать ответ —")
    assert "п. 12" in ping.content
    assert shown.message_id > 0


async def test_nobody_is_pinged_at_night_or_on_the_first_of_january(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    curator = await org.invite("куратор", "Валерия")
    org.bot.set_clock(msk("2026-12-30 17:00"))
    curator.send("https://vk.com/wall-92_1 Не вывезли ёлки со двора")
    await card(curator, "wall-92_1")
    # The route reminder (17:20) and its breach (17:30) fall due while nobody looks; the bot
    # comes back on 1 January: a non-working holiday, so it keeps quiet until 11 January.
    org.bot.set_clock(msk("2027-01-01 12:00"))
    assert await nothing_new(curator, "Нарушен срок")
    org.bot.set_clock(msk("2027-01-11 09:00"))
    breach = await curator.wait_for("Нарушен срок")
    assert "срок истёк 30.12.2026 17:30 — п. 6" in breach.content
    # The reminder that fell due with it is not sent stale: the breach says it all.
    assert not any("Напоминание" in m.content for m in curator.bot_messages())


async def test_a_socially_significant_message_is_not_held_for_quiet_hours(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    curator = await org.invite("куратор", "Фаина")
    org.bot.set_clock(msk("2026-12-30 16:00"))
    curator.send("https://vk.com/wall-98_1 Прорыв теплотрассы, без тепла весь микрорайон")
    shown = await card(curator, "wall-98_1")
    curator.press("❗ Важность", message=shown)
    await curator.wait_for(lambda m: "общественно значимое" in m.button_labels)
    curator.press("общественно значимое")
    await curator.wait_for(lambda m: "Важность: общественно значимое" in m.content)
    # 1 January, a holiday: an ordinary message waits for 11 January, this one does not.
    org.bot.set_clock(msk("2027-01-01 12:00"))
    breach = await curator.wait_for("Нарушен срок")
    assert "направить исполнителю — срок истёк 30.12.2026 16:30 — п. 6" in breach.content


async def test_a_breach_is_escalated_to_the_deputy_head(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    curator = await org.invite("куратор", "Галина")
    deputy = await org.invite("заместитель главы", "Давид")
    org.bot.set_clock(msk("2026-11-26 10:00"))
    curator.send("https://vk.com/wall-93_1 Не работает светофор на перекрёстке")
    await card(curator, "wall-93_1")
    org.bot.set_clock(msk("2026-11-26 10:31"))
    breach = await deputy.wait_for("Нарушен срок")
    assert "направить исполнителю — срок истёк 26.11.2026 10:30 — п. 6" in breach.content
    assert "Ответственные: Галина" in breach.content  # the person, not a role
    mine = await curator.wait_for("Нарушен срок")
    assert "п. 6" in mine.content


async def test_a_crash_between_due_and_sent_sends_the_reminder_exactly_once(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    curator = await org.invite("куратор", "Евгения")
    org.bot.set_clock(msk("2026-11-27 10:00"))
    curator.send("https://vk.com/wall-94_1 Нет воды в колонке на ул. Садовой")
    await card(curator, "wall-94_1")
    fake = org.fake
    fake.faults.server_error(method="sendMessage", chat_id=curator.chat_id, times=1000)
    failed_before = len([c for c in fake.calls_to("sendMessage") if c.status >= 500])
    org.bot.set_clock(msk("2026-11-27 10:21"))
    # The reminder is due and queued; Telegram fails, the bot keeps it for a retry…
    await fake.wait_until(
        lambda: len([c for c in fake.calls_to("sendMessage") if c.status >= 500]) > failed_before
    )
    # …and is killed before it could send it.
    await org.bot.restart(msk("2026-11-27 10:22"))
    fake.faults.clear()
    ping = await curator.wait_for("Напоминание")
    assert "направить исполнителю" in ping.content
    org.bot.set_clock(msk("2026-11-27 10:25"))
    assert await nothing_new(curator, "Напоминание")
    reminders = [
        m
        for m in curator.bot_messages()
        if "Напоминание" in m.content and "wall-94_1" not in m.content
    ]
    assert len(reminders) == 1


async def test_an_absent_executor_with_no_substitute_alerts_the_curator_at_once(
    worlds: Worlds,
) -> None:
    org = await worlds.get("lipetsk")
    dept = await org.department("Архив")
    curator = await org.invite("куратор", "Полина")
    executor = await org.invite("исполнитель", "Роман", dept)
    await org.absence(executor, "отпуск", "01.12.2026-11.12.2026")
    org.bot.set_clock(msk("2026-12-02 10:00"))
    curator.send("https://vk.com/wall-96_1 Архив не отвечает на запросы")
    await card(curator, "wall-96_1")
    await route(curator, dept)
    alert = await curator.wait_for("нет исполнителя на месте")
    assert f"«{dept}»" in alert.content and "Назначьте другого исполнителя" in alert.content
    assert not any("Архив не отвечает" in m.content for m in executor.bot_messages())


async def test_an_executor_who_blocks_the_bot_is_reported_and_passed_over(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    dept = await org.department("Связь")
    curator = await org.invite("куратор", "Семён")
    executor = await org.invite("исполнитель", "Тимур", dept)
    executor.block_bot()  # Telegram tells the bot at once (my_chat_member)
    told = await curator.wait_for(lambda m: executor.user.full_name in m.content)
    assert "заблокировал(а) бота" in told.content
    org.bot.set_clock(msk("2026-12-02 11:00"))
    curator.send("https://vk.com/wall-97_1 Нет мобильной связи в деревне")
    await card(curator, "wall-97_1")
    await route(curator, dept)
    alert = await curator.wait_for("нет исполнителя на месте")
    assert f"«{dept}»" in alert.content
    # Unblocked, the executor is back on duty: the next message routed reaches them.
    executor.unblock_bot()
    curator.send("https://vk.com/wall-97_2 Пропал интернет в школе")
    await card(curator, "wall-97_2")
    await route(curator, dept)
    task = await card(executor, "Пропал интернет")
    assert "✅ Принять" in task.button_labels

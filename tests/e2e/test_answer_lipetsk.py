"""Lipetsk, end to end: from the forwarded post to the published answer (п. 6-13)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Worlds
from tests.e2e.org import card, msk, route
from tests.e2e.telegram import tiny_png
from tests.e2e.telegram.people import Person

pytestmark = pytest.mark.e2e


async def accepted(curator: Person, executor: Person, department: str, text: str) -> None:
    curator.send(text)
    await card(curator, text.split()[1])
    await route(curator, department)
    task = await card(executor, text.split()[1])
    executor.press("✅ Принять", message=task)
    await executor.wait_for(lambda m: m.message_id == task.message_id and "в работе" in m.content)


async def test_lipetsk_whole_path_with_a_revision_and_publication(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    roads = await org.department("Дороги")
    curator = await org.invite("куратор", "Алла")
    executor = await org.invite("исполнитель", "Борис", roads)
    org.bot.set_clock(msk("2026-11-24 10:00"))
    await accepted(curator, executor, roads, "https://vk.com/wall-31_1 Яма у остановки Школьная")

    executor.press("✍️ Подготовить ответ")
    await executor.wait_for(lambda m: "Окончательный ответ" in m.button_labels)
    executor.press("Окончательный ответ")
    await executor.wait_for("Пишите окончательный ответ")
    executor.send("Добрый день! Яму заделали 24.11.2026, фото прилагаем.")
    await executor.wait_for("Добавлено в проект")
    executor.send_photo(tiny_png(shade=9))
    added = await executor.wait_for("вложений: 1")
    executor.press("📤 На согласование", message=added)
    await executor.wait_for("Проект отправлен на согласование")

    review = await card(curator, "Проект (окончательный ответ, редакция 1)")
    assert "согласовать проект: до 24.11.2026 11:00" in review.content and "п. 10" in review.content
    curator.press("↩️ На доработку", message=review)
    await curator.wait_for("Что доработать")
    curator.send("Укажите адрес точнее")
    await curator.wait_for("Возвращено на доработку")
    notice = await executor.wait_for("возвращён на доработку")
    assert "Укажите адрес точнее" in notice.content
    back = await card(executor, "на доработке")
    assert "доработать проект: до 24.11.2026 11:00" in back.content
    assert "п. 11" in back.content
    org.bot.set_clock(msk("2026-11-24 10:31"))  # revision: 1 working hour, halfway at 10:30
    ping = await executor.wait_for("доработать проект — до 24.11.2026 11:00")
    assert "Напоминание" in ping.content and "п. 11" in ping.content

    executor.press("✍️ Подготовить ответ", message=back)
    await executor.wait_for(lambda m: "Окончательный ответ" in m.button_labels)
    executor.press("Окончательный ответ")
    await executor.wait_for("Пишите окончательный ответ")
    executor.send("Добрый день! Яму у остановки «Школьная» (ул. Ленина, 10) заделали 24.11.2026.")
    again = await executor.wait_for("Добавлено в проект")
    executor.press("📤 На согласование", message=again)
    await executor.wait_for("Проект отправлен на согласование")

    second = await card(curator, "редакция 2")
    # The "Согласовать" drawn for the first draft is stale now that the draft changed.
    old = review.button("✅ Согласовать")
    assert old is not None and old.callback_data is not None
    stale = await curator.press_data(old.callback_data, review).answered()
    assert stale.text is not None and "устарела" in stale.text
    curator.press("✅ Согласовать", message=second)
    approved = await executor.wait_for(lambda m: "согласовано, ждёт публикации" in m.content)
    assert "опубликовать ответ: до" in approved.content and "п. 12" in approved.content
    executor.press("📢 Опубликовано", message=approved)
    await executor.wait_for("Пришлите ссылку")
    executor.send("https://vk.com/wall-31_1?reply=77")
    await executor.wait_for("Публикация записана")
    closed = await curator.wait_for(
        lambda m: "Статус: закрыто" in m.content and "Итог: ответ дан" in m.content
    )
    assert "👍 доволен" in closed.button_labels
    curator.press("👍 доволен", message=closed)
    await curator.wait_for(lambda m: "Реакция автора: 👍 доволен" in m.content)


async def test_a_draft_with_a_phone_number_asks_for_confirmation(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    parks = await org.department("Парки")
    curator = await org.invite("куратор", "Вика")
    executor = await org.invite("исполнитель", "Гена", parks)
    org.bot.set_clock(msk("2026-11-24 10:00"))
    await accepted(curator, executor, parks, "https://vk.com/wall-32_1 Сломанная скамейка в парке")
    executor.press("✍️ Подготовить ответ")
    await executor.wait_for(lambda m: "Окончательный ответ" in m.button_labels)
    executor.press("Окончательный ответ")
    await executor.wait_for("Пишите окончательный ответ")
    executor.send("Скамейку починим до 01.12.2026. Звоните мастеру: +7 (912) 345-67-89")
    added = await executor.wait_for("Добавлено в проект")
    executor.press("📤 На согласование", message=added)
    warning = await executor.wait_for("Проверьте проект перед отправкой")
    assert "персональные данные" in warning.content
    assert "345-67-89" in warning.content
    executor.press("📤 Отправить всё равно", message=warning)
    await executor.wait_for("Проект отправлен на согласование")
    await card(curator, "Звоните мастеру")


async def test_an_intermediate_answer_then_the_final_one_within_seven_working_days(
    worlds: Worlds,
) -> None:
    org = await worlds.get("lipetsk")
    water = await org.department("Водоканал")
    curator = await org.invite("куратор", "Дарья")
    executor = await org.invite("исполнитель", "Егор", water)
    org.bot.set_clock(msk("2026-11-24 10:00"))
    await accepted(curator, executor, water, "https://vk.com/wall-33_1 Ржавая вода из крана")
    executor.press("✍️ Подготовить ответ")
    await executor.wait_for(lambda m: "Промежуточный ответ" in m.button_labels)
    executor.press("Промежуточный ответ")
    await executor.wait_for("К какой дате")
    executor.send("03.12.2026")
    await executor.wait_for("Пишите промежуточный ответ")
    executor.send("Отобраны пробы воды, результаты будут к 03.12.2026.")
    added = await executor.wait_for("Добавлено в проект")
    executor.press("📤 На согласование", message=added)
    await executor.wait_for("Проект отправлен на согласование")
    review = await card(curator, "промежуточный ответ")
    curator.press("✅ Согласовать", message=review)
    ready = await executor.wait_for(lambda m: "согласовано, ждёт публикации" in m.content)
    executor.press("📢 Опубликовано", message=ready)
    await executor.wait_for("Пришлите ссылку")
    executor.send("https://vk.com/wall-33_1?reply=1")
    await executor.wait_for("Публикация записана")
    waiting = await executor.wait_for(lambda m: "дан промежуточный ответ" in m.content)
    # 7 working days from Tuesday 24 November: the end of Thursday 3 December (п. 13).
    assert "окончательный ответ после промежуточного: до 03.12.2026 18:00" in waiting.content
    assert "Окончательный ответ обещан к 03.12.2026" in waiting.content

    # One working hour before the final answer is due (п. 13), the executor is reminded.
    org.bot.set_clock(msk("2026-12-03 17:01"))
    ping = await executor.wait_for(
        "окончательный ответ после промежуточного — до 03.12.2026 18:00 (осталось 59 мин)"
    )
    assert "Напоминание" in ping.content and "п. 13" in ping.content
    executor.press("✍️ Подготовить ответ", message=waiting)
    await executor.wait_for(lambda m: "Окончательный ответ" in m.button_labels)
    executor.press("Окончательный ответ")
    await executor.wait_for("Пишите окончательный ответ")
    executor.send("Пробы в норме; трубы промыты 01.12.2026, вода соответствует нормам.")
    final = await executor.wait_for("Добавлено в проект")
    executor.press("📤 На согласование", message=final)
    await executor.wait_for("Проект отправлен на согласование")
    review = await card(curator, "редакция 1): «Пробы в норме")
    curator.press("✅ Согласовать", message=review)
    ready = await executor.wait_for(lambda m: "согласовано, ждёт публикации" in m.content)
    executor.press("📢 Опубликовано", message=ready)
    await executor.wait_for("Пришлите ссылку")
    executor.send("https://vk.com/wall-33_1?reply=2")
    await executor.wait_for("Публикация записана")
    done = await curator.wait_for(lambda m: "Итог: ответ дан после промежуточного" in m.content)
    assert "Статус: закрыто" in done.content


async def test_an_old_or_foreign_answer_kind_press_begins_nothing(worlds: Worlds) -> None:
    """«Окончательный ответ» pressed by an executor of another department, pressed twice
    (a double tap keeps the one draft), and pressed again from the old menu once the draft
    has gone for approval: refused or stale, said so, and nothing begun."""
    org = await worlds.get("lipetsk")
    roads = await org.department("Дороги")
    parks = await org.department("Парки")
    curator = await org.invite("куратор", "Алла")
    executor = await org.invite("исполнитель", "Борис", roads)
    other = await org.invite("исполнитель", "Вера", parks)
    org.bot.set_clock(msk("2026-11-24 10:00"))
    await accepted(curator, executor, roads, "https://vk.com/wall-31_7 Скамейка у школы сломана")

    executor.press("✍️ Подготовить ответ")
    menu = await executor.wait_for(lambda m: "Окончательный ответ" in m.button_labels)
    final = menu.button("Окончательный ответ")
    assert final is not None and final.callback_data is not None
    own = other.last_bot_message()
    assert own is not None
    foreign = await other.press_data(final.callback_data, own).answered()
    assert foreign.show_alert and foreign.text and "Пишите" not in foreign.text

    executor.press("Окончательный ответ", message=menu)
    await executor.wait_for("Пишите окончательный ответ")
    executor.send("Добрый день! Скамейку починили 24.11.2026.")
    await executor.wait_for("Добавлено в проект")
    twice = await executor.press_data(final.callback_data, menu).answered()
    assert not twice.show_alert  # the same writer, the same kind: the open draft goes on
    executor.send("Фото прилагаем.")
    # The first line was kept: 42 characters, then 42 + 1 + 16.
    added = await executor.wait_for("Добавлено в проект: 59")
    executor.press("📤 На согласование", message=added)
    await executor.wait_for("Проект отправлен на согласование")
    review = await card(curator, "Проект (окончательный ответ, редакция 1)")
    assert "Скамейку починили" in review.content and "Фото прилагаем" in review.content

    late = await executor.press_data(final.callback_data, menu).answered()
    assert late.show_alert and late.text is not None and "устарела" in late.text
    prompts = [m for m in executor.messages() if "Пишите окончательный ответ" in m.content]
    assert len(prompts) <= 2  # the first press and, at most, the double tap's reminder
    assert not [m for m in other.messages() if "Пишите" in m.content or "Проект" in m.content]

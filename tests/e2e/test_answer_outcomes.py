"""The other ways an incident ends or is found, end to end: "cannot be published" (Barnaul 8),
conversion into a 59-FZ appeal (Gulkevichi 3.9), and /find by number or words."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Worlds
from tests.e2e.org import card, msk, route, via_head
from tests.e2e.test_answer_profiles import write_answer

pytestmark = pytest.mark.e2e


async def test_barnaul_an_answer_that_cannot_be_published_is_reported(worlds: Worlds) -> None:
    org = await worlds.get("barnaul")
    dept = await org.department("Отдел транспорта")
    controller = await org.invite("куратор", "Ульяна")
    deputy = await org.invite("курирующий заместитель", "Филипп", dept)
    executor = await org.invite("исполнитель", "Харитон", dept)
    org.bot.set_clock(msk("2026-11-25 10:00"))
    controller.send("https://vk.com/wall-62_1 Автобус 17 не ходит\n№ 88-600 до 25.11.2026 17:00")
    await card(controller, "88-600")
    await route(controller, dept)
    task = await card(executor, "Автобус 17")
    executor.press("✅ Принять", message=task)
    await executor.wait_for(lambda m: m.message_id == task.message_id and "в работе" in m.content)
    await write_answer(executor, "Окончательный ответ", "Маршрут 17 восстановлен 25.11.2026.", task)
    first = await deputy.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
    deputy.press("✅ Согласовать", message=first)
    second = await controller.wait_for(
        lambda m: "✅ Согласовать" in m.button_labels and "Согласует сейчас: куратор" in m.content
    )
    controller.press("✅ Согласовать", message=second)
    third = await controller.wait_for(lambda m: "✅ Внешний куратор согласовал" in m.button_labels)
    controller.press("✅ Внешний куратор согласовал", message=third)

    ready = await controller.wait_for(
        lambda m: "⚠️ Не удаётся опубликовать" in m.button_labels, since=0
    )
    controller.press("⚠️ Не удаётся опубликовать", message=ready)
    await controller.wait_for("Почему не удаётся опубликовать")
    controller.send("Автор закрыл комментарии под постом")
    await controller.wait_for("Записано: публикация невозможна")
    told = await controller.wait_for("не удаётся разместить")
    # п. 8: the Куратор is informed at once; the controller is told to do so.
    assert "Автор закрыл комментарии" in told.content and "(п. 8)" in told.content
    assert "Сообщите Куратору незамедлительно" in told.content
    # The answer stays approved: it can still be published another way.
    still = await controller.wait_for(
        lambda m: m.message_id == ready.message_id and "📢 Опубликовано" in m.button_labels
    )
    assert "Статус: согласовано, ждёт публикации" in still.content


async def test_gulkevichi_a_message_converted_into_a_59_fz_appeal(worlds: Worlds) -> None:
    org = await worlds.get("gulkevichi")
    dept = await org.department("Отдел образования")
    curator = await org.invite("куратор", "Эльвира")
    head = await org.invite("глава", "Ярослав")
    executor = await org.invite("исполнитель", "Юлиан", dept)
    org.bot.set_clock(msk("2026-11-25 10:00"))
    curator.send("https://vk.com/wall-52_1 Прошу выдать справку о составе семьи, мой адрес ...")
    shown = await card(curator, "wall-52_1")
    await via_head(curator, head, dept, shown)  # п. 3.1.1: the head's resolution first
    await route(curator, dept)
    await card(executor, "справку")
    convertible = await curator.wait_for(
        lambda m: m.message_id == shown.message_id and "📄 В обращение по 59-ФЗ" in m.button_labels
    )
    curator.press("📄 В обращение по 59-ФЗ", message=convertible)
    await curator.wait_for("Почему сообщение переводится")
    curator.send("Просьба о документе: нужен ответ по 59-ФЗ в течение 30 дней")
    await curator.wait_for("Переведено в обращение по 59-ФЗ.")
    done = await curator.wait_for(
        lambda m: m.message_id == shown.message_id and "Итог: переведено в обращение" in m.content
    )
    assert "📄 В обращение по 59-ФЗ" not in done.button_labels
    gone = await executor.wait_for(lambda m: "Итог: переведено в обращение" in m.content)
    assert "✍️ Подготовить ответ" not in gone.button_labels


async def test_find_by_number_and_by_words(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    curator = await org.invite("куратор", "Ярослав")
    org.bot.set_clock(msk("2026-11-25 11:00"))
    curator.send("https://vk.com/wall-99_5 Бродячие собаки у школы №44 пугают детей")
    shown = await card(curator, "wall-99_5")
    number = shown.content.split("Сообщение №", 1)[1].split(" ", 1)[0]

    before = curator.mark()
    curator.send(f"/find {number}")
    found = await curator.wait_for("Найдено", since=before)
    assert "Найдено (1)" in found.content and number in found.content
    before = curator.mark()
    curator.send("/find собаки у школы")
    by_words = await curator.wait_for("Найдено", since=before)
    assert number in by_words.content
    # A listed incident opens as its card.
    label = next(b for b in by_words.button_labels if number in b)
    curator.press(label, message=by_words)
    opened = await curator.wait_for(
        lambda m: "📌 Сообщение" in m.content and number in m.content, since=before
    )
    assert "Бродячие собаки" in opened.content
    before = curator.mark()
    curator.send("/find зеленый слон на крыше")
    assert (await curator.wait_for("Ничего не найдено", since=before)).content
    before = curator.mark()
    curator.send("/find")
    await curator.wait_for("Напишите: /find 12", since=before)

"""Each shipped profile's whole path from forward to published answer, through the fake server."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.conftest import Worlds
from tests.e2e.org import card, msk, route
from tests.e2e.telegram.people import Person
from tests.e2e.telegram.state import MessageView

pytestmark = pytest.mark.e2e


async def write_answer(
    executor: Person, kind: str, text: str, task: MessageView | None = None
) -> None:
    executor.press("✍️ Подготовить ответ", message=task)
    await executor.wait_for(lambda m: kind in m.button_labels)
    executor.press(kind)
    await executor.wait_for("Пишите")
    executor.send(text)
    added = await executor.wait_for("Добавлено в проект")
    executor.press("📤 На согласование", message=added)
    await executor.wait_for("Проект отправлен на согласование")


async def publish(publisher: Person, link: str) -> None:
    ready = await publisher.wait_for(lambda m: "📢 Опубликовано" in m.button_labels, since=0)
    publisher.press("📢 Опубликовано", message=ready)
    await publisher.wait_for("Пришлите ссылку")
    publisher.send(link)
    await publisher.wait_for("Публикация записана")


async def test_bor_head_approves_and_the_account_specialist_publishes(worlds: Worlds) -> None:
    org = await worlds.get("bor")
    dept = await org.department("ЖКХ поселения")
    curator = await org.invite("куратор", "Ирина")
    head = await org.invite("глава", "Пётр")
    executor = await org.invite("исполнитель", "Кузьма", dept)
    org.bot.set_clock(msk("2026-11-24 10:00"))
    curator.send("https://vk.com/wall-41_1 Не горит фонарь у почты")
    shown = await card(curator, "wall-41_1")
    curator.press("👤 Главе на решение", message=shown)
    decision = await card(head, "на решении у главы")
    head.press("➡️ Выбрать исполнителя", message=decision)
    await head.wait_for(lambda m: dept in m.button_labels)
    head.press(dept)
    await head.wait_for(lambda m: "Готово: направить (1)" in m.button_labels)
    head.press("Готово: направить (1)")
    task = await card(executor, "фонарь")
    executor.press("✅ Принять", message=task)
    await executor.wait_for(lambda m: m.message_id == task.message_id and "в работе" in m.content)
    await write_answer(
        executor, "Окончательный ответ", "Фонарь заменён 24.11.2026, освещение восстановлено.", task
    )

    review = await head.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
    assert "Согласует сейчас: глава" in review.content
    head.press("✅ Согласовать", message=review)
    ready = await curator.wait_for(lambda m: "📢 Опубликовано" in m.button_labels)
    assert "опубликовать ответ: до 24.11.2026" in ready.content and "п. 10" in ready.content
    await publish(curator, "https://vk.com/wall-41_1?reply=5")
    await curator.wait_for(lambda m: "Итог: ответ дан" in m.content)


async def test_gulkevichi_clarification_pauses_the_clock_over_the_weekend(worlds: Worlds) -> None:
    org = await worlds.get("gulkevichi")
    dept = await org.department("Отдел ЖКХ")
    curator = await org.invite("куратор", "Лариса")
    head = await org.invite("глава", "Михаил")
    executor = await org.invite("исполнитель", "Никита", dept)
    org.bot.set_clock(msk("2026-11-20 09:30"))  # Friday; the example Friday ends at 16:45
    curator.send("https://vk.com/wall-51_1 Когда отремонтируют крышу нашего дома?")
    shown = await card(curator, "wall-51_1")
    curator.press("👤 Главе на решение", message=shown)
    decision = await card(head, "на решении у главы")
    head.press("➡️ Выбрать исполнителя", message=decision)
    await head.wait_for(lambda m: dept in m.button_labels)
    head.press(dept)
    await head.wait_for(lambda m: "Готово: направить (1)" in m.button_labels)
    head.press("Готово: направить (1)")
    decided = await curator.wait_for(lambda m: "глава принял решение" in m.content)
    assert (
        "направить исполнителю: до 20.11.2026 11:30" in decided.content
        and "п. 3.1.1" in decided.content
    )

    org.bot.set_clock(msk("2026-11-20 10:00"))
    await route(curator, dept)
    task = await card(executor, "крышу")
    # 2 working days from the day of receipt (п. 3.1.5): the end of Tuesday 24 November.
    assert "ответ опубликован (общий срок): до 24.11.2026 18:00" in task.content
    executor.press("✅ Принять", message=task)
    await executor.wait_for(lambda m: m.message_id == task.message_id and "в работе" in m.content)
    await write_answer(
        executor, "Запрос уточнения у автора", "Уточните, пожалуйста, адрес дома.", task
    )

    review = await curator.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
    curator.press("✅ Согласовать", message=review)
    # п. 3.1.2: a clarification request is agreed with the curator alone, not the head.
    await curator.wait_for(lambda m: "📢 Опубликовано" in m.button_labels)
    assert not [m for m in head.bot_messages() if "✅ Согласовать" in m.button_labels]
    org.bot.set_clock(msk("2026-11-20 11:00"))
    await publish(curator, "https://vk.com/wall-51_1?reply=9")
    paused = await executor.wait_for(lambda m: "срок приостановлен" in m.content)
    # 3.1.5 is the structure's own time: it stood still from the submission at 10:00; the
    # 8 hours of 3.1.2 stand still too instead of being dropped.
    assert "ответ опубликован (общий срок): срок приостановлен — п. 3.1.5" in paused.content
    assert "направить проект ответа: срок приостановлен — п. 3.1.2" in paused.content

    org.bot.set_clock(msk("2026-11-23 10:00"))  # Monday: the author answered
    replied = await curator.wait_for(lambda m: "💬 Автор ответил" in m.button_labels, since=0)
    curator.press("💬 Автор ответил", message=replied)
    await curator.wait_for("Что ответил автор")
    curator.send("Улица Мира, дом 7")
    await curator.wait_for("срок снова идёт")
    notice = await executor.wait_for("Автор ответил")
    assert "Улица Мира, дом 7" in notice.content
    # Paused: Friday 10:00-16:45 less lunch (5 h 45 min) and Monday 09:00-10:00 (1 h) → the
    # deadline moves from Tuesday 18:00 by 6 h 45 min of working time: Wednesday 16:45.
    resumed = await executor.wait_for(
        lambda m: "ответ опубликован (общий срок): до 25.11.2026 16:45" in m.content
    )
    assert "в работе у исполнителя" in resumed.content


async def test_myasnikovsky_the_curator_records_the_regional_curators_approval(
    worlds: Worlds,
) -> None:
    org = await worlds.get("myasnikovsky")
    dept = await org.department("Отдел строительства")
    curator = await org.invite("куратор", "Ольга")
    executor = await org.invite("исполнитель", "Павел", dept)
    org.bot.set_clock(msk("2026-11-24 10:00"))
    curator.send(
        "https://ok.ru/group/7/topic/8 Разбитая дорога к школе\n№ РО-77 до 25.11.2026 10:00"
    )
    shown = await card(curator, "РО-77")
    assert "ответ опубликован (общий срок): до 25.11.2026 10:00" in shown.content
    await route(curator, dept)
    task = await card(executor, "Разбитая дорога")
    executor.press("✅ Принять", message=task)
    await executor.wait_for(lambda m: m.message_id == task.message_id and "в работе" in m.content)
    # 4 hours before the 24-hour deadline, in calendar time (п. 10).
    working = await executor.wait_for(
        lambda m: "направить проект ответа: до 25.11.2026 06:00" in m.content, since=0
    )
    assert "п. 10" in working.content
    await write_answer(
        executor,
        "Окончательный ответ",
        "Проведён ямочный ремонт 24.11.2026, до 01.06.2027 запланирован капитальный ремонт.",
        task,
    )
    review = await curator.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
    assert "согласовать проект: до 24.11.2026 10:3" in review.content
    curator.press("✅ Согласовать", message=review)
    external = await curator.wait_for(lambda m: "✅ Внешний куратор согласовал" in m.button_labels)
    assert "Согласует сейчас: внешний куратор" in external.content
    curator.press("✅ Внешний куратор согласовал", message=external)
    await publish(curator, "https://ok.ru/group/7/topic/8?reply=1")
    await curator.wait_for(lambda m: "Итог: ответ дан" in m.content)
    # п. 8 counts plain hours: the report (п. 13) measures the time to answer in them too.
    curator.send("/report 24.11.2026-24.11.2026")
    shown = await curator.wait_for("Время до ответа в часах (календарных)", timeout=30)
    assert "в рабочих часах" not in shown.content


async def test_barnaul_deputy_then_controller_then_the_city_committee(worlds: Worlds) -> None:
    org = await worlds.get("barnaul")
    dept = await org.department("Отдел благоустройства")
    controller = await org.invite("куратор", "Регина")
    deputy = await org.invite("курирующий заместитель", "Сергей", dept)
    executor = await org.invite("исполнитель", "Тамара", dept)
    org.bot.set_clock(msk("2026-11-24 10:00"))
    controller.send(
        "https://vk.com/wall-61_1 Мусор на детской площадке\n№ 88-500 до 24.11.2026 17:00"
    )
    await card(controller, "88-500")
    await route(controller, dept)
    task = await card(executor, "Мусор")
    executor.press("✅ Принять", message=task)
    await executor.wait_for(lambda m: m.message_id == task.message_id and "в работе" in m.content)
    await write_answer(
        executor, "Окончательный ответ", "Площадка убрана 24.11.2026, контейнер установлен.", task
    )
    first = await deputy.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
    assert "Согласует сейчас: курирующий заместитель" in first.content
    deputy.press("✅ Согласовать", message=first)
    second = await controller.wait_for(
        lambda m: "✅ Согласовать" in m.button_labels and "Согласует сейчас: куратор" in m.content
    )
    assert "согласовать проект: до 24.11.2026" in second.content and "п. 6" in second.content
    controller.press("✅ Согласовать", message=second)
    third = await controller.wait_for(lambda m: "✅ Внешний куратор согласовал" in m.button_labels)
    controller.press("✅ Внешний куратор согласовал", message=third)
    await publish(controller, "https://vk.com/wall-61_1?reply=3")
    await controller.wait_for(lambda m: "Итог: ответ дан" in m.content)


async def test_lipetsk_joint_answer_from_two_departments(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    roads = await org.department("Дорожники")
    water = await org.department("Водоканал")
    curator = await org.invite("куратор", "Ульяна")
    road_man = await org.invite("исполнитель", "Фёдор", roads)
    water_man = await org.invite("исполнитель", "Харитон", water)
    org.bot.set_clock(msk("2026-11-24 10:00"))
    curator.send("https://vk.com/wall-71_1 Провал асфальта после ремонта водопровода")
    await card(curator, "wall-71_1")
    await route(curator, water, roads)
    # п. 14: the curator's order. The water department has it first, with 2 hours.
    task = await card(water_man, "Провал асфальта")
    water_man.press("✅ Принять", message=task)
    accepted = await water_man.wait_for(
        lambda m: m.message_id == task.message_id and "🧩 Отправить свою часть" in m.button_labels
    )
    assert not [m for m in road_man.bot_messages() if "Провал асфальта" in m.content]
    org.bot.set_clock(msk("2026-11-24 11:01"))  # halfway of the 2 working hours
    ping = await water_man.wait_for("часть совместного ответа — до 24.11.2026 12:00")
    assert "Напоминание" in ping.content and "п. 14" in ping.content
    water_man.press("🧩 Отправить свою часть", message=accepted)
    await water_man.wait_for("часть совместного ответа")
    water_man.send("Водопровод отремонтирован 23.11.2026.")
    await water_man.wait_for("Часть отправлена")
    # Now it reaches the roads department, the last one, which writes the joint answer with
    # 2 hours from this moment: 11:01-13:00 and 14:00-14:01.
    writer = await card(road_man, "Провал асфальта")
    assert "часть совместного ответа: до 24.11.2026 14:01" in writer.content
    assert "Водопровод отремонтирован" in writer.content
    road_man.press("✅ Принять", message=writer)
    writer = await road_man.wait_for(
        lambda m: m.message_id == writer.message_id and "✍️ Подготовить ответ" in m.button_labels
    )
    await write_answer(
        road_man,
        "Окончательный ответ",
        "Водопровод отремонтирован 23.11.2026, асфальт восстановим до 30.11.2026.",
        writer,
    )
    review = await curator.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
    assert "Водопровод отремонтирован 23.11.2026, асфальт" in review.content


async def test_two_approvers_at_once_and_a_stale_approve_after_the_draft_changed(
    worlds: Worlds,
) -> None:
    org = await worlds.get("lipetsk")
    dept = await org.department("Образование")
    first = await org.invite("куратор", "Яна")
    second = await org.invite("куратор", "Юлия")
    executor = await org.invite("исполнитель", "Эдуард", dept)
    org.bot.set_clock(msk("2026-11-24 10:00"))
    first.send("https://vk.com/wall-81_1 В школе №5 холодно в классах")
    await card(first, "wall-81_1")
    await route(first, dept)
    task = await card(executor, "холодно")
    executor.press("✅ Принять", message=task)
    await executor.wait_for(lambda m: m.message_id == task.message_id and "в работе" in m.content)
    await write_answer(
        executor, "Окончательный ответ", "Отопление в школе №5 отрегулировано 24.11.2026.", task
    )

    card_one = await first.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
    # The second curator opens the same incident and both press at once.
    second.send("/board")
    board = await second.wait_for("Открытые сообщения")
    number = next(label for label in board.button_labels if label.startswith("№"))
    second.press(number, message=board)
    card_two = await second.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
    press_one = first.press("✅ Согласовать", message=card_one)
    press_two = second.press("✅ Согласовать", message=card_two)
    answers = await asyncio.gather(press_one.answered(), press_two.answered())
    texts = [a.text or "" for a in answers]
    assert texts.count("Согласовано.") == 1
    loser = next(t for t in texts if t != "Согласовано.")
    assert "устарела" in loser or "Уже сделано" in loser
    await executor.wait_for(lambda m: "согласовано, ждёт публикации" in m.content)

    old = card_one.button("✅ Согласовать")
    assert old is not None and old.callback_data is not None
    late = await first.press_data(old.callback_data, card_one).answered()
    assert late.text is not None and ("устарела" in late.text or "Уже сделано" in late.text)

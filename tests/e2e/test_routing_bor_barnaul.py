"""Bor (the head decides) and Barnaul (external deadline, the department lead decides
competence, not-subject messages go to the external curator), end to end."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Worlds
from tests.e2e.org import card, msk, route

pytestmark = pytest.mark.e2e


async def test_bor_the_head_chooses_the_department_and_the_executor_gets_six_hours(
    worlds: Worlds,
) -> None:
    org = await worlds.get("bor")
    works = await org.department("Благоустройство")
    curator = await org.invite("куратор", "Мария")
    head = await org.invite("глава", "Виктор")
    executor = await org.invite("исполнитель", "Олег", works)
    org.bot.set_clock(msk("2026-11-24 10:00"))
    curator.send("https://vk.com/wall-11_22 Сломана горка на детской площадке у школы")
    shown = await card(curator, "wall-11_22")
    assert (
        "ответ опубликован (общий срок): до 25.11.2026 15:00 (осталось 12 ч рабочего времени) — п. 8"
        in shown.content
    )
    curator.press("👤 Главе на решение", message=shown)
    await curator.wait_for(
        lambda m: m.message_id == shown.message_id and "на решении у главы" in m.content
    )

    decision = await card(head, "на решении у главы")
    assert decision.button_labels == ["➡️ Выбрать исполнителя", "⛔ Не требует реагирования"]
    head.press("➡️ Выбрать исполнителя", message=decision)
    await head.wait_for(lambda m: works in m.button_labels)
    head.press(works)
    await head.wait_for(lambda m: "Готово: направить (1)" in m.button_labels)
    head.press("Готово: направить (1)")
    await head.wait_for(
        lambda m: m.message_id == decision.message_id and "направлено исполнителю" in m.content
    )

    task = await card(executor, "Сломана горка")
    assert (
        "направить проект ответа: до 24.11.2026 17:00 (осталось 6 ч рабочего времени) — п. 9"
        in task.content
    )
    assert "вернуть, если не ваша компетенция: до 24.11.2026 10:30" in task.content


async def test_bor_the_head_may_decide_no_reaction_is_needed(worlds: Worlds) -> None:
    org = await worlds.get("bor")
    curator = await org.invite("куратор", "Нина")
    head = await org.invite("глава", "Роман")
    org.bot.set_clock(msk("2026-11-24 11:00"))
    curator.send("https://vk.com/wall-11_23 Спасибо за новые лавочки в парке!")
    shown = await card(curator, "wall-11_23")
    curator.press("👤 Главе на решение", message=shown)
    decision = await card(head, "wall-11_23")
    head.press("⛔ Не требует реагирования", message=decision)
    await head.wait_for("Почему реагирование не требуется")
    head.send("Благодарность, ответ не требуется")
    await head.wait_for("реагирование не требуется")
    done = await curator.wait_for(
        lambda m: m.message_id == shown.message_id and "реагирование не требуется" in m.content
    )
    assert not done.button_labels


async def test_barnaul_the_monitoring_deadline_governs_and_only_the_lead_returns(
    worlds: Worlds,
) -> None:
    org = await worlds.get("barnaul")
    roads = await org.department("Комитет дорог")
    controller = await org.invite("куратор", "Светлана")
    lead = await org.invite("руководитель отдела", "Тимур", roads)
    executor = await org.invite("исполнитель", "Ульяна", roads)
    org.bot.set_clock(msk("2026-11-24 10:00"))
    controller.send(
        "Инцидент Менеджмент: яма на Павловском тракте https://vk.com/wall-22_1\n№ 88-123 до 24.11.2026 17:00"
    )
    shown = await card(controller, "Внешний номер: 88-123")
    assert (
        "ответ опубликован (общий срок): до 24.11.2026 17:00 (осталось 6 ч рабочего времени) — п. 7"
        in shown.content
    )
    await route(controller, roads)

    lead_card = await card(lead, "Павловском")
    assert (
        "вернуть, если не ваша компетенция: до 24.11.2026 10:30 (осталось 30 мин рабочего времени) — п. 5"
        in lead_card.content
    )
    assert "↩️ Не наша компетенция" in lead_card.button_labels
    exec_card = await card(executor, "Павловском")
    assert "↩️ Не наша компетенция" not in exec_card.button_labels
    # п. 4: by the monitoring system's deadline until the controller sets an earlier one.
    assert "направить проект ответа: до 24.11.2026 17:00" in exec_card.content

    lead.press("↩️ Не наша компетенция", message=lead_card)
    await lead.wait_for("Почему это не ваша компетенция")
    lead.send("Павловский тракт — краевая дорога")
    await lead.wait_for("Возвращено куратору")
    notice = await controller.wait_for("возвращено отделом")
    assert "краевая дорога" in notice.content


async def test_barnaul_a_not_subject_message_goes_to_the_external_curator(worlds: Worlds) -> None:
    org = await worlds.get("barnaul")
    controller = await org.invite("куратор", "Фаина")
    org.bot.set_clock(msk("2026-11-24 10:00"))
    controller.send("https://vk.com/wall-22_2 Я вас всех найду и прибью, чиновники")
    shown = await card(controller, "угрозы")
    controller.press("🚫 Не подлежит ответу", message=shown)
    await controller.wait_for("причину")
    controller.send("Угроза должностным лицам (п. 9)")
    await controller.wait_for("Отмечено: не подлежит ответу")
    closed = await controller.wait_for(
        lambda m: (
            m.message_id == shown.message_id
            and "не подлежит ответу" in m.content
            and not m.button_labels
        )
    )
    assert "Статус: не подлежит ответу" in closed.content

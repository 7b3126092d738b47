"""Lipetsk, end to end: people act only through the fake Telegram server."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Worlds
from tests.e2e.org import card, msk, route
from tests.e2e.telegram import tiny_png

pytestmark = pytest.mark.e2e


async def test_a_forward_from_a_channel_becomes_a_card_routed_to_the_executor(
    worlds: Worlds,
) -> None:
    org = await worlds.get("lipetsk")
    roads = await org.department("Управление дорог")
    curator = await org.invite("куратор", "Анна")
    executor = await org.invite("исполнитель", "Иван", roads)
    org.bot.set_clock(msk("2026-11-24 10:00"))
    channel = org.fake.people.channel("Подслушано Липецк", "podslushano_lip")

    curator.forward_from_channel(channel, "Огромная яма на ул. Ленина у дома 5, машины бьют колёса")
    await curator.wait_for("заведено")
    card = await curator.wait_for("📌 Сообщение")
    assert "Telegram" in card.content
    assert "Автор: Подслушано Липецк" in card.content
    assert "https://t.me/podslushano_lip/" in card.content
    assert (
        "направить исполнителю: до 24.11.2026 10:30 (осталось 30 мин рабочего времени) — п. 6"
        in card.content
    )
    assert "ответ опубликован (общий срок): до 25.11.2026 11:00" in card.content
    assert "— п. 8" in card.content

    curator.press("🏷 Тема")
    groups = await curator.wait_for(lambda m: "Дороги" in " ".join(m.button_labels))
    curator.press(
        next(label for label in groups.button_labels if label.startswith("Дороги")), message=groups
    )
    topics = await curator.wait_for(
        lambda m: any("Ямы" in b or "ремонт" in b.lower() for b in m.button_labels)
    )
    topic = next(b for b in topics.button_labels if "Ямы" in b or "ремонт" in b.lower())
    curator.press(topic, message=topics)
    tagged = await curator.wait_for(lambda m: "Тема: Дороги →" in m.content)
    assert topic in tagged.content

    curator.press("➡️ Направить")
    await curator.wait_for(lambda m: roads in m.button_labels)
    curator.press(roads)
    await curator.wait_for(lambda m: "Готово: направить (1)" in m.button_labels)
    curator.press("Готово: направить (1)")
    routed = await curator.wait_for(lambda m: "направлено исполнителю" in m.content)
    assert f"Исполнители: {roads}" in routed.content

    task = await executor.wait_for("📌 Сообщение")
    assert "Огромная яма" in task.content
    assert "вернуть, если не ваша компетенция: до 24.11.2026 10:30" in task.content
    assert task.button_labels == ["✅ Принять", "↩️ Не наша компетенция"]
    executor.press("✅ Принять")
    accepted = await executor.wait_for(lambda m: "в работе у исполнителя" in m.content)
    assert "направить проект ответа: до 24.11.2026 16:00" in accepted.content
    assert "Принять" not in " ".join(accepted.button_labels)


async def test_a_vk_link_with_screenshots_and_an_album_are_one_incident_each(
    worlds: Worlds,
) -> None:
    org = await worlds.get("lipetsk")
    curator = await org.invite("куратор", "Ольга")
    org.bot.set_clock(msk("2026-11-24 11:00"))
    curator.send_photo(
        tiny_png(shade=1), caption="https://vk.com/wall-123_456 жалоба на мусор во дворе"
    )
    card = await curator.wait_for("📌 Сообщение")
    assert "ВКонтакте" in card.content
    assert "Ссылка: https://vk.com/wall-123_456" in card.content
    assert "Вложений: 1" in card.content

    curator.send_album(
        [tiny_png(shade=2), tiny_png(shade=3), tiny_png(shade=4)],
        caption="https://ok.ru/group/1/topic/2 не вывозят мусор",
        split_after=1,
    )
    done = await curator.wait_for("Альбом из 3 файлов")
    album_card = await curator.wait_for(
        lambda m: "Одноклассники" in m.content and "Вложений: 3" in m.content
    )
    assert album_card.message_id != card.message_id
    assert "одним сообщением" in done.content


async def test_a_stranger_gets_a_polite_refusal_and_nothing_else(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    stranger = org.fake.people.create("Посторонний")
    stranger.start()
    answer = await stranger.wait_for("не зарегистрированы")
    stranger.send("https://vk.com/wall-1_1 Примите жалобу")
    again = await stranger.wait_for("не зарегистрированы")
    assert again.message_id != answer.message_id
    assert all("Сообщение №" not in m.content for m in stranger.bot_messages())


async def test_an_external_number_and_deadline_govern_the_answer(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    curator = await org.invite("куратор", "Вера")
    org.bot.set_clock(msk("2026-11-24 10:00"))
    curator.send("https://vk.com/wall-5_77 Не горят фонари на ул. Мира\n№ 4711 до 24.11.2026 15:00")
    shown = await card(curator, "Внешний номер: 4711")
    assert "срок системы: 24.11.2026 15:00" in shown.content
    assert (
        "ответ опубликован (общий срок): до 24.11.2026 15:00 (осталось 4 ч рабочего времени)"
        in shown.content
    )


async def test_a_repeated_message_is_offered_and_linked(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    curator = await org.invite("куратор", "Гуля")
    org.bot.set_clock(msk("2026-11-24 10:00"))
    curator.send("https://vk.com/wall-9_1 Опять не убрали снег во дворе")
    first = await card(curator, "wall-9_1")
    number = first.content.split("№", 1)[1].split(" ", 1)[0]
    org.bot.set_clock(msk("2026-11-25 10:00"))
    curator.send("https://m.vk.com/wall-9_1?utm_source=share снова не убрали")
    offer = await curator.wait_for("Похоже на повторное")
    assert f"№{number}" in offer.content
    second = await curator.wait_for(lambda m: f"🔁 Связать с №{number}" in m.button_labels)
    curator.press(f"🔁 Связать с №{number}", message=second)
    linked = await curator.wait_for(lambda m: f"🔁 Повторное: связано с №{number}" in m.content)
    assert linked.message_id == second.message_id


async def test_a_post_with_obscenities_is_flagged_and_the_curator_decides(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    curator = await org.invite("куратор", "Дина")
    org.bot.set_clock(msk("2026-11-24 10:00"))
    curator.send("https://vk.com/wall-3_3 Вы там совсем охренели, бляди, дорогу не чистите")
    flagged = await card(curator, "Возможно, не подлежит ответу")
    assert "нецензурная лексика" in flagged.content
    assert "(решает куратор)" in flagged.content
    curator.press("🚫 Не подлежит ответу", message=flagged)
    await curator.wait_for("причину")
    curator.send("Нецензурная брань (п. 17)")
    await curator.wait_for("Отмечено: не подлежит ответу")
    closed = await curator.wait_for(
        lambda m: (
            m.message_id == flagged.message_id
            and "не подлежит ответу" in m.content
            and not m.button_labels
        )
    )
    assert "Статус: не подлежит ответу" in closed.content


async def test_a_joint_assignment_and_a_return_within_and_after_the_window(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    roads = await org.department("Дорожное управление")
    housing = await org.department("Управление ЖКХ")
    curator = await org.invite("куратор", "Елена")
    road_man = await org.invite("исполнитель", "Пётр", roads)
    house_man = await org.invite("исполнитель", "Семён", housing)
    org.bot.set_clock(msk("2026-11-24 10:00"))
    curator.send("https://vk.com/wall-7_7 Прорвало трубу, вода заливает дорогу на Советской")
    await card(curator, "wall-7_7")
    routed = await route(curator, roads, housing)
    assert f"Исполнители: {roads}, {housing}" in routed.content

    # п. 14: the curator's order; the roads department has it first, with 2 hours.
    road_card = await card(road_man, "часть совместного ответа")
    assert (
        "часть совместного ответа: до 24.11.2026 12:00 (осталось 2 ч рабочего времени) — п. 14"
        in road_card.content
    )
    assert not [m for m in house_man.bot_messages() if "Прорвало трубу" in m.content]

    # Within the 30-minute window (п. 7): a plain return of its part; the next department
    # gets the message now, as the only one left.
    org.bot.set_clock(msk("2026-11-24 10:20"))
    road_man.press("↩️ Не наша компетенция", message=road_card)
    await road_man.wait_for("Почему это не ваша компетенция")
    road_man.send("Труба на балансе водоканала, это ЖКХ")
    ok = await road_man.wait_for("Возвращено куратору")
    assert "опозданием" not in ok.content
    notice = await curator.wait_for("возвращено отделом")
    assert f"«{roads}»" in notice.content and "после окна" not in notice.content
    house_card = await card(house_man, "Прорвало трубу")
    # Its window runs 30 minutes from the moment it reached housing: 10:50.
    assert "вернуть, если не ваша компетенция: до 24.11.2026 10:50" in house_card.content

    # After the window: still possible, recorded as late.
    org.bot.set_clock(msk("2026-11-24 11:00"))
    house_man.press("↩️ Не наша компетенция", message=house_card)
    await house_man.wait_for("Почему это не ваша компетенция")
    house_man.send("Это не ЖКХ")
    late = await house_man.wait_for("с опозданием")
    assert "окно в 30 мин истекло" in late.content
    back = await curator.wait_for(
        lambda m: "возвращено отделом" in m.content and "после окна" in m.content
    )
    assert f"«{housing}»" in back.content
    rerouted = await curator.wait_for(lambda m: "Статус: возвращено" in m.content)
    # п. 6 counts from detection only; the 9 hours of п. 8 run on (Wednesday 11:00).
    assert "направить исполнителю" not in rerouted.content
    assert "ответ опубликован (общий срок): до 25.11.2026 11:00" in rerouted.content


async def test_an_absent_executors_substitute_gets_the_card(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    social = await org.department("Соцзащита")
    curator = await org.invite("куратор", "Жанна")
    absent = await org.invite("исполнитель", "Захар", social)
    deputy = await org.invite("исполнитель", "Инна", social)
    await org.substitute(absent, deputy)
    await org.absence(absent, "больничный", "20.11.2026-30.11.2026")
    org.bot.set_clock(msk("2026-11-24 10:00"))
    curator.send("https://ok.ru/group/5/topic/6 Не выплатили пособие")
    await card(curator, "topic/6")
    await route(curator, social)
    got = await card(deputy, "Не выплатили пособие")
    assert "✅ Принять" in got.button_labels
    # Reminders go to the substitute too: the draft, 4 working hours before Wednesday 11:00
    # (п. 9: Tuesday 16:00), is reminded an hour before it falls due.
    org.bot.set_clock(msk("2026-11-24 15:01"))
    ping = await deputy.wait_for("направить проект ответа — до 24.11.2026 16:00")
    assert "Напоминание" in ping.content
    assert not any("Не выплатили пособие" in m.content for m in absent.bot_messages())
    assert not any("Напоминание" in m.content for m in absent.bot_messages())


async def test_wrong_roles_and_stale_buttons_get_an_alert_and_change_nothing(
    worlds: Worlds,
) -> None:
    org = await worlds.get("lipetsk")
    culture = await org.department("Управление культуры")
    curator = await org.invite("куратор", "Кира")
    executor = await org.invite("исполнитель", "Лев", culture)
    stranger = org.fake.people.create("Чужой")
    org.bot.set_clock(msk("2026-11-24 10:00"))
    curator.send("https://vk.com/wall-8_8 Закрыли библиотеку без предупреждения")
    shown = await card(curator, "wall-8_8")
    route_button = shown.button("➡️ Направить")
    assert route_button is not None and route_button.callback_data is not None

    own = executor.bot_messages()[-1]
    forged = await executor.press_data(route_button.callback_data, own).answered()
    assert forged.text == "Это сообщение назначено не вам."  # nothing of it is shown
    assert forged.show_alert
    stranger.start()
    await stranger.wait_for("не зарегистрированы")
    intruder = await stranger.press_data(
        route_button.callback_data, stranger.bot_messages()[-1]
    ).answered()
    assert intruder.text is not None and "не зарегистрированы" in intruder.text
    assert not any("Управление" in " ".join(m.button_labels) for m in executor.bot_messages())

    curator.press("❗ Важность", message=shown)
    await curator.wait_for(lambda m: "высокая" in m.button_labels)
    curator.press("высокая")
    await curator.wait_for(lambda m: "Важность: высокая" in m.content)
    stale = await curator.press_data(route_button.callback_data, shown).answered()
    assert stale.text is not None and "устарела" in stale.text

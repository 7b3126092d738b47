"""Lipetsk, end to end: people act only through the fake Telegram server."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Worlds
from tests.e2e.org import msk
from tests.e2e.telegram import tiny_png

pytestmark = pytest.mark.e2e


async def test_a_forward_from_a_channel_becomes_a_card_routed_to_the_executor(worlds: Worlds) -> None:
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
    assert "направить исполнителю: до 24.11.2026 10:30 (осталось 30 мин рабочего времени) — п. 6" in card.content
    assert "ответ опубликован (общий срок): до 25.11.2026 11:00" in card.content
    assert "— п. 8" in card.content

    curator.press("🏷 Тема")
    await curator.wait_for(lambda m: "Дороги" in " ".join(m.button_labels))
    curator.press(next(label for label in curator.last_bot_message().button_labels if label.startswith("Дороги")))
    await curator.wait_for(lambda m: any("Ямы" in b or "ремонт" in b.lower() for b in m.button_labels))
    topic = next(b for b in curator.last_bot_message().button_labels if "Ямы" in b or "ремонт" in b.lower())
    curator.press(topic)
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


async def test_a_vk_link_with_screenshots_and_an_album_are_one_incident_each(worlds: Worlds) -> None:
    org = await worlds.get("lipetsk")
    curator = await org.invite("куратор", "Ольга")
    org.bot.set_clock(msk("2026-11-24 11:00"))
    curator.send_photo(tiny_png(shade=1), caption="https://vk.com/wall-123_456 жалоба на мусор во дворе")
    card = await curator.wait_for("📌 Сообщение")
    assert "ВКонтакте" in card.content
    assert "Ссылка: https://vk.com/wall-123_456" in card.content
    assert "Вложений: 1" in card.content

    curator.send_album([tiny_png(shade=2), tiny_png(shade=3), tiny_png(shade=4)],
                       caption="https://ok.ru/group/1/topic/2 не вывозят мусор", split_after=1)
    done = await curator.wait_for("Альбом из 3 файлов")
    album_card = await curator.wait_for(lambda m: "Одноклассники" in m.content and "Вложений: 3" in m.content)
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

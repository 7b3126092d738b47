"""Reports end to end: the bot's clock reaches Friday 16:00 and the weekly report (text, chart,
workbook) appears once in the configured group; the head asks for /report week in private."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from openpyxl import load_workbook  # type: ignore[import-untyped]

from tests.e2e.org import Org, card, msk, reporting_org, route
from tests.e2e.telegram import Group, tiny_png
from tests.e2e.telegram.people import Person

pytestmark = pytest.mark.e2e

GROUP_ID = -1009000000001
PNG = b"\x89PNG\r\n\x1a\n"


def mapped(pid: int) -> str:
    """The files a process has mapped: the shared libraries of what it imported."""
    return Path(f"/proc/{pid}/maps").read_text()


NUMBER = re.compile(r"Сообщение №(\S+)")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Org, Group]]:
    """Its own bot (the weekly report goes to a group chat, so the config differs)."""
    async with reporting_org(tmp_path_factory.mktemp("reports"), GROUP_ID) as made:
        yield made


async def number_of(person: Person, text: str) -> str:
    shown = await card(person, text)
    m = NUMBER.search(shown.content)
    assert m is not None, shown.content
    return m.group(1)


async def test_the_weekly_report_reaches_the_group_once_and_the_head_asks_for_one(
    world: tuple[Org, Group],
) -> None:
    org, group = world
    roads = await org.department("Дороги")
    housing = await org.department("ЖКХ")
    curator = await org.invite("куратор", "Алла")
    head = await org.invite("глава", "Глеб")
    ivan = await org.invite("исполнитель", "Иван", roads)
    olga = await org.invite("исполнитель", "Ольга", housing)

    # Tuesday 10:00: a message to housing, accepted and then left unanswered.
    org.bot.set_clock(msk("2026-11-24 10:00"))
    curator.send("https://vk.com/wall-51_2 Нет отопления в доме 5 по ул. Мира")
    heating = await number_of(curator, "Нет отопления")
    await route(curator, housing)
    task = await card(olga, "Нет отопления")
    olga.press("✅ Принять", message=task)
    await olga.wait_for(lambda m: m.message_id == task.message_id and "в работе" in m.content)

    # A pothole seen at 09:45, tagged, routed, answered with a photo at 10:20 (35 minutes).
    curator.send("https://vk.com/wall-51_1 Яма у остановки Школьная")
    shown = await card(curator, "Яма у остановки")
    curator.press("🕘 Время выявления", message=shown)
    await curator.wait_for("Напишите время выявления")
    curator.send("24.11.2026 09:45")
    await curator.wait_for(lambda m: "Выявлено: 24.11.2026 09:45" in m.content)
    curator.press("🏷 Тема", message=shown)
    groups = await curator.wait_for(lambda m: "Дороги" in " ".join(m.button_labels))
    curator.press(next(b for b in groups.button_labels if b.startswith("Дороги")), message=groups)
    topics = await curator.wait_for(lambda m: "Ямы на дорогах" in m.button_labels)
    curator.press("Ямы на дорогах", message=topics)
    await curator.wait_for(lambda m: "Ямы на дорогах" in m.content and "📌" in m.content)
    curator.press("📍 Локация", message=shown)
    places = await curator.wait_for(lambda m: "Центральный район" in m.button_labels)
    curator.press("Центральный район", message=places)
    await curator.wait_for(lambda m: "Локация: Центральный район" in m.content)
    await route(curator, roads)
    task = await card(ivan, "Яма у остановки")
    ivan.press("✅ Принять", message=task)
    await ivan.wait_for(lambda m: m.message_id == task.message_id and "в работе" in m.content)
    ivan.press("✍️ Подготовить ответ", message=task)
    await ivan.wait_for(lambda m: "Окончательный ответ" in m.button_labels)
    ivan.press("Окончательный ответ")
    await ivan.wait_for("Пишите окончательный ответ")
    ivan.send("Добрый день! Яму у остановки «Школьная» заделали 24.11.2026, фото прилагаем.")
    await ivan.wait_for("Добавлено в проект")
    ivan.send_photo(tiny_png(shade=3))
    added = await ivan.wait_for("вложений: 1")
    ivan.press("📤 На согласование", message=added)
    await ivan.wait_for("Проект отправлен на согласование")
    review = await card(curator, "Проект (окончательный ответ")
    curator.press("✅ Согласовать", message=review)
    approved = await ivan.wait_for(lambda m: "согласовано, ждёт публикации" in m.content)
    org.bot.set_clock(msk("2026-11-24 10:20"))
    ivan.press("📢 Опубликовано", message=approved)
    await ivan.wait_for("Пришлите ссылку")
    ivan.send("https://vk.com/wall-51_1?reply=5")
    await ivan.wait_for("Публикация записана")

    # A threat: not subject to answer.
    curator.send("https://vk.com/wall-51_3 Я вас всех найду и прибью, чиновники")
    threat = await card(curator, "угрозы")
    curator.press("🚫 Не подлежит ответу", message=threat)
    await curator.wait_for("причину")
    curator.send("Угроза должностным лицам")
    await curator.wait_for("Отмечено: не подлежит ответу")

    # Friday, 20 seconds after the report moment: the sweep posts the week's report.
    org.bot.set_clock(msk("2026-11-27 16:00:20"))
    report = await group.wait_for("Еженедельный отчёт", timeout=30, since=0)
    text = report.content
    assert "Тестовая администрация" in text
    assert "Период: 20.11.2026 16:00 — 27.11.2026 16:00" in text
    assert "Всего сообщений: 3" in text
    assert (
        "Ответы: в срок — 1, с нарушением срока — 0; ещё в работе — 1 (из них просрочено — 1)"
        in text
    )
    assert "Не подлежат ответу — 1" in text
    assert "медиана 35 мин, 90-й процентиль 35 мин (ответов: 1)" in text
    assert "• Дороги — 1\n    – Ямы на дорогах — 1" in text
    assert "• Центральный район — 1" in text
    assert f"• {roads}: 1 · 1 · 0 · 0" in text
    assert f"• {housing}: 1 · 0 · 0 · 1" in text
    assert "• не направлено в отдел: 1 · 0 · 0 · 0" in text
    assert "Нарушения сроков (2):" in text
    who = olga.user.full_name
    assert (
        f"• №{heating} · {housing} · {who} · направить проект ответа (п. 9): "
        "срок 24.11.2026 16:00, просрочено на 24 ч 0 мин — не выполнено"
    ) in text
    assert (
        f"• №{heating} · {housing} · {who} · ответ опубликован (общий срок) (п. 8): "
        "срок 25.11.2026 11:00, просрочено на 20 ч 0 мин — не выполнено"
    ) in text

    chart = await group.wait_for(lambda m: any(f.kind == "photo" for f in m.files), since=0)
    assert chart.files[-1].data.startswith(PNG) and len(chart.files[-1].data) > 20_000
    sheet = await group.wait_for(lambda m: any(f.kind == "document" for f in m.files), since=0)
    (document,) = sheet.files
    assert document.file_name == "otchet_20261120_20261127.xlsx"
    book = load_workbook(io.BytesIO(document.data))
    rows = list(book["Сообщения"].values)
    assert len(rows) == 4 and heating in [r[0] for r in rows[1:]]
    assert len(list(book["Нарушения сроков"].values)) == 3
    # Drawn in the report worker process: the bot itself never loaded matplotlib (its C
    # extensions would be mapped into it).
    assert org.bot.proc is not None
    loaded = mapped(org.bot.proc.pid)
    assert "matplotlib" not in loaded and "ft2font" not in loaded

    # The group gets it, the heads' private chats do not; the head asks for the week himself.
    head.send("/report week")
    await head.wait_for("Готовлю отчёт")
    mine = await head.wait_for("Всего сообщений: 3", timeout=30)
    assert "Еженедельный отчёт" in mine.content and "Нарушения сроков (2)" in mine.content
    await head.wait_for(lambda m: any(f.kind == "document" for f in m.files), timeout=30)
    ivan.send("/report week")
    await ivan.wait_for("Это действие вам недоступно")

    org.bot.set_clock(msk("2026-11-27 16:05"))
    curator.send("/report 27.11.2026-27.11.2026")
    await curator.wait_for("Готовлю отчёт за 27.11.2026 00:00 — 27.11.2026 16:05")
    await curator.wait_for("Всего сообщений: 0", timeout=30)
    weekly = [m for m in group.bot_messages() if "Еженедельный отчёт" in m.content]
    assert len(weekly) == 1
    assert len([m for m in head.bot_messages() if "Еженедельный отчёт" in m.content]) == 1

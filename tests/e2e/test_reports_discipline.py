"""The discipline log end to end (Lipetsk 19): a Monday with two known breaches — a message the
curator never routed (route, due 09:30) and one whose executor sent no draft (draft, due
15:00) — and at 17:00 the head asks for /discipline: the breaches per person, then the XLSX, or
the CSV; a workbook refused once by Telegram is sent again without the text. Others are
refused."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from openpyxl import load_workbook  # type: ignore[import-untyped]

from tests.e2e.botproc import BotProcess
from tests.e2e.org import Org, card, msk, route
from tests.e2e.telegram import FakeTelegram
from tests.e2e.telegram.people import Person
from tests.e2e.telegram.state import MessageView

pytestmark = pytest.mark.e2e

LOG = "📋 Журнал нарушений сроков:"
ROUTE = "направить исполнителю"
DRAFT = "направить проект ответа"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def org(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Org]:
    """Its own bot: the test counts every breach of its day."""
    fake = FakeTelegram()
    await fake.start()
    bot = BotProcess(fake, tmp_path_factory.mktemp("discipline"), "lipetsk")
    try:
        await bot.start(msk("2026-11-30 09:00"))
        yield await Org.create(fake, bot)
    finally:
        await bot.stop()
        await fake.stop()


async def detected_at_nine(curator: Person, text: str) -> MessageView:
    """Forward a post and set its detection to 09:00, so its deadlines are known."""
    shown = await card(curator, text)
    curator.press("🕘 Время выявления", message=shown)
    await curator.wait_for("Напишите время выявления")
    curator.send("30.11.2026 09:00")
    return await curator.wait_for(
        lambda m: m.message_id == shown.message_id and "Выявлено: 30.11.2026 09:00" in m.content
    )


def document(message: MessageView) -> tuple[str, bytes]:
    (file,) = [f for f in message.files if f.kind == "document"]
    assert file.file_name is not None
    return file.file_name, file.data


async def test_the_head_gets_the_breaches_per_person_as_text_and_a_workbook_or_csv(
    org: Org,
) -> None:
    roads = await org.department("Дороги")
    curator = await org.invite("куратор", "Алла")
    head = await org.invite("глава", "Глеб")
    ivan = await org.invite("исполнитель", "Иван", roads)

    # Routed at once and accepted, but no draft by 15:00 (4 h before the answer, Tue 10:00).
    curator.send("https://vk.com/wall-81_1 Яма на въезде во двор дома 12")
    await detected_at_nine(curator, "Яма на въезде")
    await route(curator, roads)
    task = await card(ivan, "Яма на въезде")
    ivan.press("✅ Принять", message=task)
    await ivan.wait_for(lambda m: m.message_id == task.message_id and "в работе" in m.content)
    # Never routed: the route timer (30 minutes) ran out at 09:30.
    curator.send("https://vk.com/wall-81_2 Не вывозят мусор с площадки на ул. Лесной")
    await detected_at_nine(curator, "Не вывозят мусор")

    org.bot.set_clock(msk("2026-11-30 17:00"))
    head.send("/discipline 30.11.2026-30.11.2026")
    await head.wait_for("Готовлю журнал нарушений сроков за 30.11.2026 00:00 — 30.11.2026 17:00")
    shown = await head.wait_for(LOG, timeout=30)
    lines = shown.content.splitlines()
    assert lines == [
        f"{LOG} 30.11.2026 00:00 — 30.11.2026 17:00",
        f"• {curator.user.full_name}: нарушений — 1, просрочено всего 6 ч 30 мин",
        f"• {ivan.user.full_name}: нарушений — 1, просрочено всего 2 ч 0 мин",
    ]
    sheet = await head.wait_for(lambda m: any(f.kind == "document" for f in m.files), timeout=30)
    name, data = document(sheet)
    assert name == "narusheniya_20261130_20261130.xlsx"
    rows = list(load_workbook(io.BytesIO(data))["Нарушения сроков"].values)
    assert rows[0][:5] == ("Номер", "Отдел", "Ответственный", "Роль", "Срок")
    assert sorted((r[2], r[4], r[5], r[9]) for r in rows[1:]) == sorted(
        [
            (curator.user.full_name, ROUTE, "п. 6", 6.5),
            (ivan.user.full_name, DRAFT, "п. 9", 2.0),
        ]
    )

    # The CSV variant; Telegram refuses the file once: it comes again, the text does not.
    mark = head.mark()
    org.fake.faults.server_error(method="sendDocument", chat_id=head.id)
    head.send("/discipline 30.11.2026-30.11.2026 csv")
    await head.wait_for("Готовлю журнал нарушений сроков")
    csv_sheet = await head.wait_for(
        lambda m: any(f.kind == "document" for f in m.files), timeout=30
    )
    name, data = document(csv_sheet)
    assert name == "narusheniya_20261130_20261130.csv"
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:3] == ["Номер", "Отдел", "Ответственный"]
    assert sorted((r[2], r[4], r[7]) for r in table[1:]) == sorted(
        [
            (curator.user.full_name, ROUTE, "30.11.2026 09:30"),
            (ivan.user.full_name, DRAFT, "30.11.2026 15:00"),
        ]
    )
    logs = [m for m in head.bot_messages() if m.seq > mark and LOG in m.content]
    assert len(logs) == 1 and logs[0].content == shown.content
    refused = [
        c
        for c in org.fake.calls_to("sendDocument")
        if c.params.get("chat_id") == str(head.id) and c.status == 500
    ]
    assert len(refused) == 1

    # Only the head, the deputies and the curator read it.
    ivan.send("/discipline month")
    await ivan.wait_for("Это действие вам недоступно")
    head.send("/discipline вчера")
    await head.wait_for("Напишите: /discipline month")

"""A restart at the report minute posts the weekly report once: the bot is killed (SIGKILL)
while the report is held at the fake Telegram server — partly sent (text and chart out, the
workbook refused with 500s), or not sent at all — and started again on the same data. The
group gets one text, one chart and one workbook per week."""

from __future__ import annotations

import io
import signal
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest
import pytest_asyncio
from openpyxl import load_workbook  # type: ignore[import-untyped]

from tests.e2e.org import Org, card, msk, reporting_org
from tests.e2e.telegram import FakeTelegram, Group
from tests.e2e.telegram.faults import FaultRule
from tests.e2e.telegram.server import ApiCall
from tests.e2e.telegram.state import MessageView

pytestmark = pytest.mark.e2e

GROUP_ID = -1009000000002
TITLE = "Еженедельный отчёт"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Org, Group]]:
    async with reporting_org(tmp_path_factory.mktemp("reports-restart"), GROUP_ID) as made:
        yield made


def group_call(method: str, status: int) -> Callable[[ApiCall], bool]:
    def matches(call: ApiCall) -> bool:
        return (
            call.method.lower() == method.lower()
            and call.params.get("chat_id") == str(GROUP_ID)
            and call.status == status
        )

    return matches


def sent_to_group(fake: FakeTelegram, method: str) -> int:
    return sum(1 for call in fake.calls if group_call(method, 200)(call))


def week_of(group: Group, period: str) -> list[MessageView]:
    """The report messages of one week: its text (named by its period) and the chart and
    workbook that follow it."""
    shown = group.bot_messages()
    starts = [n for n, m in enumerate(shown) if TITLE in m.content]
    for k, n in enumerate(starts):
        if period in shown[n].content:
            end = starts[k + 1] if k + 1 < len(starts) else len(shown)
            return shown[n:end]
    return []


async def kill_and_start(org: Org, rule: FaultRule, moment: datetime) -> None:
    """SIGKILL the bot, lift the fault that held the report, start it again on the same data."""
    await org.bot.stop(signal.SIGKILL)
    org.fake.faults.rules.remove(rule)
    await org.bot.start(moment)


async def test_a_restart_at_the_report_minute_posts_the_weekly_report_once(
    world: tuple[Org, Group],
) -> None:
    org, group = world
    fake = org.fake
    curator = await org.invite("куратор", "Алла")
    curator.send("https://vk.com/wall-71_1 Не горят фонари на ул. Садовой")
    await card(curator, "Не горят фонари")

    # Week one: the text and the chart went out, the workbook is refused; killed meanwhile.
    held = fake.faults.server_error(method="sendDocument", chat_id=GROUP_ID, times=None)
    org.bot.set_clock(msk("2026-11-27 16:00:10"))
    await fake.wait_for_call("sendDocument", group_call("sendDocument", 500), timeout=30)
    partly = group.bot_messages()
    assert [TITLE in m.content for m in partly] == [True, False]
    assert [f.kind for m in partly for f in m.files] == ["photo"]

    await kill_and_start(org, held, msk("2026-11-27 16:02"))
    sheet = await group.wait_for(
        lambda m: any(f.kind == "document" for f in m.files), timeout=30, since=0
    )
    first = week_of(group, "Период: 20.11.2026 16:00 — 27.11.2026 16:00")
    assert [m.message_id for m in first] == [m.message_id for m in group.bot_messages()]
    assert [TITLE in m.content for m in first] == [True, False, False], "the text went out once"
    assert "Всего сообщений: 1" in first[0].content
    assert [f.kind for m in first for f in m.files] == ["photo", "document"]
    assert first[1].files[0].data.startswith(PNG)
    rows = list(load_workbook(io.BytesIO(sheet.files[0].data))["Сообщения"].values)
    assert len(rows) == 2, rows
    assert sent_to_group(fake, "sendMessage") == 1
    assert sent_to_group(fake, "sendPhoto") == 1
    assert sent_to_group(fake, "sendDocument") == 1

    # Week two: nothing has gone out yet when the bot is killed at the report minute.
    curator.send("https://vk.com/wall-71_2 Во дворе дома 7 не убран снег")
    await card(curator, "не убран снег")
    mark = group.mark()
    held = fake.faults.server_error(method="sendMessage", chat_id=GROUP_ID, times=None)
    org.bot.set_clock(msk("2026-12-04 16:00:10"))
    await fake.wait_for_call("sendMessage", group_call("sendMessage", 500), timeout=30)
    assert [m for m in group.bot_messages() if m.seq > mark] == []

    await kill_and_start(org, held, msk("2026-12-04 16:01"))
    await group.wait_for(
        lambda m: any(f.kind == "document" for f in m.files), timeout=30, since=mark
    )
    second = week_of(group, "Период: 27.11.2026 16:00 — 04.12.2026 16:00")
    assert [TITLE in m.content for m in second] == [True, False, False]
    assert "Всего сообщений: 1" in second[0].content
    assert [f.kind for m in second for f in m.files] == ["photo", "document"]
    assert len([m for m in group.bot_messages() if TITLE in m.content]) == 2
    assert sent_to_group(fake, "sendMessage") == 2
    assert sent_to_group(fake, "sendDocument") == 2

"""Notices in several messages (a report: text, chart, workbook; the discipline log: text, file)
resume where they stopped: a 5xx or a dropped connection on one part retries that part and what
follows, never the text already sent. The real sender and `Reporting`, on SQLite, against the
fake Telegram server."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import pytest_asyncio
from openpyxl import load_workbook  # type: ignore[import-untyped]

from bot.config import CalendarSettings, Organization, ReportsSettings, Settings
from bot.reporting import Reporting
from bot.sender import LEASE
from domain.people import StaffMember
from domain.reports import Period, PeriodKind, request_report
from domain.roles import Role
from tests.delivery.stack import (
    MORNING,
    Instance,
    TickingClock,
    curators,
    instance,
    mark_all_sent,
    register_posts,
    unsent,
)
from tests.e2e.telegram import FakeTelegram
from tests.e2e.telegram.state import SUPERGROUP, MessageView
from tests.storage.conftest import ENGINES

GROUP = -1009000000077
REPORT_MINUTE = MORNING.replace(day=27, hour=16, minute=0, second=5)
"""Friday 27 November 2026, just after the weekly report's moment (16:00)."""
PNG = b"\x89PNG\r\n\x1a\n"
TITLE = "Еженедельный отчёт"
LOG = "📋 Журнал нарушений сроков:"


@dataclass
class Office:
    bot: Instance
    clock: TickingClock
    reporting: Reporting
    numbers: list[str]


@pytest.fixture
def url(request: pytest.FixtureRequest) -> str:
    """SQLite unless a test asks for the engines (`parametrize("url", ENGINES, indirect=True)`)."""
    engine = getattr(request, "param", "sqlite")
    value: str = request.getfixturevalue(f"{engine}_url")
    return value


@pytest_asyncio.fixture(loop_scope="session")
async def office(url: str, fake: FakeTelegram) -> AsyncIterator[Office]:
    """Two posts registered on Tuesday morning and never routed (their route timers are
    breached), a group chat for the weekly report, the clock at the report minute."""
    fake.state.add_chat(SUPERGROUP, "Руководство", chat_id=GROUP)
    clock = TickingClock(MORNING)
    bot = instance(url, fake, clock, "one")
    settings = Settings(
        organization=Organization(
            name="Администрация (тест)", timezone="Europe/Moscow", profile="lipetsk"
        ),
        calendar=CalendarSettings(),
        reports=ReportsSettings(group_chat_id=GROUP),
    )
    reporting = Reporting(bot.services, bot.database, settings)
    bot.sender.renderers.update(reporting.renderers())
    try:
        (curator,) = await curators(bot.database, fake, 1)
        await register_posts(bot.services.routing, [curator], 2)
        await mark_all_sent(bot.database, clock.now())
        clock.set(REPORT_MINUTE)
        yield Office(bot, clock, reporting, curator.numbers)
    finally:
        await bot.close()


def from_bot(fake: FakeTelegram, chat_id: int) -> list[MessageView]:
    return [m for m in fake.messages(chat_id) if m.from_bot]


def files(messages: list[MessageView], kind: str) -> list[bytes]:
    return [f.data for m in messages for f in m.files if f.kind == kind]


def statuses(fake: FakeTelegram, method: str, chat_id: int) -> list[int]:
    return [c.status for c in fake.calls_to(method) if c.params.get("chat_id") == str(chat_id)]


async def retry_after_backoff(office: Office) -> int:
    """Let the postponed notice's backoff pass and run one delivery round."""
    (waiting,) = await unsent(office.bot.database)
    assert waiting.not_before is not None
    office.clock.set(waiting.not_before + timedelta(seconds=1))
    return await office.bot.sender.deliver_once()


@pytest.mark.parametrize(
    ("method", "fault"),
    [
        ("sendDocument", "server_error"),
        ("sendDocument", "drop_connection"),
        ("sendPhoto", "server_error"),
    ],
)
async def test_a_report_that_failed_on_one_part_goes_on_from_that_part(
    office: Office, fake: FakeTelegram, method: str, fault: str
) -> None:
    assert await office.reporting.sweep() == 1
    getattr(fake.faults, fault)(method=method, chat_id=GROUP)

    assert await office.bot.sender.deliver_once() == 1
    (waiting,) = await unsent(office.bot.database)
    assert waiting.attempts == 1
    first = from_bot(fake, GROUP)
    assert [TITLE in m.content for m in first] == [True] + [False] * (len(first) - 1)
    assert len(files(first, "photo")) == (0 if method == "sendPhoto" else 1)
    assert files(first, "document") == []
    assert waiting.progress == len(first), "each part delivered is recorded"

    assert await retry_after_backoff(office) == 1
    assert await unsent(office.bot.database) == []
    shown = from_bot(fake, GROUP)
    assert len([m for m in shown if TITLE in m.content]) == 1, "the text went out once"
    assert "Всего сообщений: 2" in shown[0].content
    assert statuses(fake, "sendMessage", GROUP) == [200]
    (chart,) = files(shown, "photo")
    assert chart.startswith(PNG)
    (workbook,) = files(shown, "document")
    rows = list(load_workbook(io.BytesIO(workbook))["Сообщения"].values)
    assert sorted(r[0] for r in rows[1:]) == sorted(office.numbers)
    assert statuses(fake, method, GROUP) == [0 if fault == "drop_connection" else 500, 200]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_the_discipline_log_that_failed_on_its_file_sends_only_the_file_again(
    office: Office, fake: FakeTelegram, fmt: str
) -> None:
    head = fake.people.create("Глеб", "Главный", user_id=710_001)
    head.start()
    async with office.bot.database.unit_of_work() as uow:
        await uow.staff.add(StaffMember(None, head.id, "Глеб Главный", frozenset({Role.HEAD})))
        await uow.commit()
    week = Period(PeriodKind.CUSTOM, MORNING.replace(day=23, hour=0), office.clock.now())
    await request_report(
        office.bot.database.unit_of_work,
        office.clock,
        head.id,
        week,
        request="test:1",
        discipline=fmt,
    )
    fake.faults.server_error(method="sendDocument", chat_id=head.id)

    assert await office.bot.sender.deliver_once() == 1
    first = from_bot(fake, head.id)
    assert len(first) == 1 and LOG in first[0].content
    assert "• Куратор 0: нарушений — 2, просрочено всего 57 ч 0 мин" in first[0].content
    assert "• исполнитель: нарушений — 2, просрочено всего 40 ч 0 мин" in first[0].content

    assert await retry_after_backoff(office) == 1
    shown = from_bot(fake, head.id)
    assert len([m for m in shown if LOG in m.content]) == 1
    assert statuses(fake, "sendDocument", head.id) == [500, 200]
    (data,) = files(shown, "document")
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    else:
        rows = [list(r) for r in load_workbook(io.BytesIO(data))["Нарушения сроков"].values]
    by_timer = sorted((r[4], r[2], r[0]) for r in rows[1:])
    assert by_timer == sorted(
        [("направить исполнителю", "Куратор 0", n) for n in office.numbers]
        + [("ответ опубликован (общий срок)", "исполнитель", n) for n in office.numbers]
    ), rows


@pytest.mark.parametrize("url", ENGINES, indirect=True)
async def test_a_part_is_recorded_only_by_the_sender_that_holds_the_notice(
    office: Office,
) -> None:
    assert await office.reporting.sweep() == 1
    now = office.clock.now()
    async with office.bot.database.unit_of_work() as uow:
        (notice,) = await uow.outbox.claim(10, now, LEASE, by="holder")
        assert notice.id is not None and notice.progress == 0
        assert not await uow.outbox.advance(notice.id, 1, by="stranger", until=now + LEASE)
        assert await uow.outbox.advance(notice.id, 2, by="holder", until=now + 2 * LEASE)
        await uow.commit()
    async with office.bot.database.unit_of_work() as uow:
        assert await uow.outbox.claim(10, now + LEASE * 1.5, LEASE, by="stranger") == []
        (again,) = await uow.outbox.claim(10, now + LEASE * 2.5, LEASE, by="stranger")
    assert again.progress == 2, "a sender taking the notice over goes on after the parts sent"

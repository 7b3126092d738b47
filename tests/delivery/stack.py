"""A bot instance as production wires it, minus Telegram polling: its own engine, `Services`,
an aiogram `Bot` pointed at the fake Telegram server through the `Throttle`, a `Sender` and a
`Deadlines` sweeper. Several instances on one database are several bot processes.

Used by the delivery tests and `bench/bench_delivery.py`.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.production_calendar import RussianCalendarFacts
from bot.sender import Sender
from bot.throttle import Throttle
from domain.answering import Answering
from domain.deadlines import Deadlines, SweepReport
from domain.incident import Source
from domain.people import StaffMember
from domain.ports import CardRef
from domain.profiles import Profile, shipped_profile
from domain.roles import Role
from domain.routing import Routing
from domain.services import Services
from domain.timeline import Rulers
from domain.timers import NoticeKind, OutboxMessage
from domain.worktime import CalendarTime, WorkingTime
from storage.engine import Database, create_engine, session_factory
from tests.e2e.telegram import FakeTelegram, MessageView, Person

MSK = ZoneInfo("Europe/Moscow")
DAY = ((540, 780), (840, 1080))
FRI = ((540, 780), (840, 1005))
RULERS = Rulers(
    working=WorkingTime(MSK, (DAY, DAY, DAY, DAY, FRI, (), ()), RussianCalendarFacts()),
    calendar=CalendarTime(MSK),
    every_day=WorkingTime(
        MSK, (DAY, DAY, DAY, DAY, FRI, (), ()), RussianCalendarFacts(), days_off_schedule=DAY
    ),
)
PROFILE: Profile = shipped_profile("lipetsk")
MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=MSK)
"""A Tuesday at 10:00: posts registered now get the 30-minute "route" timer, reminded at 10:20."""
REMINDERS_DUE = datetime(2026, 11, 24, 10, 25, tzinfo=MSK)
"""Every route reminder has fallen due, no breach yet (10:30), inside working time."""

NUMBER = re.compile(r"№(\d{4}-\d+)")


class TickingClock:
    """Real time running on from a chosen moment: leases and backoffs pass as they would, while
    the working day stays the one the test chose."""

    def __init__(self, start: datetime) -> None:
        self.set(start)

    def set(self, moment: datetime) -> None:
        self._base = moment
        self._since = time.monotonic()

    def now(self) -> datetime:
        return self._base + timedelta(seconds=time.monotonic() - self._since)


class CountingSender(Sender):
    """The real sender, counting what it marked sent (to see that both instances worked)."""

    def __init__(self, services: Services, bot: Bot, **options: Any) -> None:
        super().__init__(services, bot, **options)
        self.sent = 0
        self.rounds = asyncio.Event()
        """Set after each delivery round, so a test waits for rounds, not for time."""

    async def _mark_sent(
        self, notice: OutboxMessage, covered: Sequence[int] = (), card: CardRef | None = None
    ) -> None:
        await super()._mark_sent(notice, covered, card)
        self.sent += 1

    async def deliver_once(self) -> int:
        try:
            return await super().deliver_once()
        finally:
            self.rounds.set()


@dataclass
class Instance:
    """One bot process: its own connection pool, HTTP session and throttle."""

    name: str
    database: Database
    services: Services
    bot: Bot
    sender: CountingSender
    deadlines: Deadlines
    sweeps: list[SweepReport] = field(default_factory=list)

    async def sweep_until_done(self, limit: int = 50) -> None:
        """Sweep as the scheduler would, until nothing more is due."""
        while True:
            report = await self.deadlines.sweep(limit)
            self.sweeps.append(report)
            if report.timers == 0:
                return
            self.services.kick()

    @property
    def reminders(self) -> int:
        return sum(r.reminders for r in self.sweeps)

    async def close(self) -> None:
        self.sender.stop()
        await self.bot.session.close()
        await self.database.close()


def services_of(database: Database, clock: TickingClock) -> Services:
    """What `bot.main.build_services` assembles, without the settings file."""
    return Services(
        uow_factory=database.unit_of_work,
        clock=clock,
        profile=PROFILE,
        rulers=RULERS,
        zone=MSK,
        routing=Routing(database.unit_of_work, clock, PROFILE, RULERS),
        answering=Answering(database.unit_of_work, clock, PROFILE, RULERS),
        organization="Администрация (тест)",
        new_token=lambda: uuid.uuid4().hex,
    )


def instance(
    url: str,
    fake: FakeTelegram,
    clock: TickingClock,
    name: str,
    *,
    interval: float = 0.05,
    throttle: Throttle | None = None,
) -> Instance:
    engine = create_engine(url)
    database = Database(url, engine, session_factory(engine))
    services = services_of(database, clock)
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    session.middleware(throttle or Throttle())
    bot = Bot(fake.token, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    sender = CountingSender(services, bot, interval=interval, token=f"test-{name}")
    services.kick = sender.kick
    deadlines = Deadlines(database.unit_of_work, clock, PROFILE, RULERS)
    return Instance(name, database, services, bot, sender, deadlines)


@dataclass
class Curator:
    person: Person
    member: StaffMember
    numbers: list[str] = field(default_factory=list)
    """The incidents this curator registered, in order."""

    @property
    def chat_id(self) -> int:
        return self.person.id


async def curators(database: Database, fake: FakeTelegram, count: int) -> list[Curator]:
    """`count` curators, each with a private chat with the bot (Start pressed)."""
    people = [fake.people.create(f"Куратор{n}", user_id=700_000 + n) for n in range(count)]
    for person in people:
        person.start()
    made: list[Curator] = []
    async with database.unit_of_work() as uow:
        for n, person in enumerate(people):
            member = await uow.staff.add(
                StaffMember(None, person.id, f"Куратор {n}", frozenset({Role.CURATOR}))
            )
            made.append(Curator(person, member))
        await uow.commit()
    return made


async def register_posts(
    routing: Routing, people: Sequence[Curator], per_curator: int, *, parallel: int = 8
) -> int:
    """Each curator forwards `per_curator` posts (the route timer starts for each)."""
    gate = asyncio.Semaphore(parallel)

    async def forward(curator: Curator) -> None:
        for k in range(per_curator):
            url = f"https://vk.com/wall-{curator.chat_id}_{k}"
            author = f"Автор {curator.chat_id}-{k}"  # no repeats: each post stands alone
            source = Source(network="vk", url=url, author=author, text=f"Пост {k}")
            async with gate:
                registered = await routing.register_post(curator.chat_id, source)
            number = registered.incident.number
            assert number is not None
            curator.numbers.append(number)

    await asyncio.gather(*(forward(c) for c in people))
    return sum(len(c.numbers) for c in people)


async def mark_all_sent(database: Database, now: datetime) -> int:
    """As if the sender had delivered everything queued so far (cards of registration)."""
    done = 0
    while True:
        async with database.unit_of_work() as uow:
            taken = await uow.outbox.claim(10_000, now, timedelta(minutes=1), by="setup")
            for message in taken:
                assert message.id is not None
                await uow.outbox.mark_sent(message.id, now)
            await uow.commit()
        if not taken:
            return done
        done += len(taken)


async def unsent(database: Database) -> Sequence[OutboxMessage]:
    async with database.unit_of_work() as uow:
        return await uow.outbox.pending(limit=100_000)


def kind_of(message: MessageView) -> str:
    text = message.text or ""
    if text.startswith("⏰ Напоминание"):
        return NoticeKind.REMINDER.value
    if text.startswith("📌"):
        return NoticeKind.CARD.value
    if text.startswith("Сообщение №") and "заведено" in text:
        return NoticeKind.REGISTERED.value
    return "other"


def delivered(fake: FakeTelegram, chat_id: int) -> list[tuple[str, str]]:
    """(kind, incident number) of every message the bot sent to the chat, in order."""
    shown: list[tuple[str, str]] = []
    for message in fake.messages(chat_id):
        if not message.from_bot:
            continue
        found = NUMBER.search(message.text or "")
        shown.append((kind_of(message), found.group(1) if found else "?"))
    return shown


def reminders_by_chat(fake: FakeTelegram, chats: Sequence[int]) -> dict[int, list[str]]:
    seen: dict[int, list[str]] = defaultdict(list)
    for chat_id in chats:
        for kind, number in delivered(fake, chat_id):
            if kind == NoticeKind.REMINDER.value:
                seen[chat_id].append(number)
    return seen


async def run_instances(
    instances: Sequence[Instance],
    database: Database,
    *,
    sweep: bool = True,
    within: float = 120.0,
) -> float:
    """The sweepers (if `sweep`) and the senders of every instance at once, until the sweeps
    are over and nothing is left unsent; the seconds it took."""
    began = time.monotonic()
    senders = [asyncio.create_task(i.sender.run(), name=f"sender-{i.name}") for i in instances]
    try:
        async with asyncio.timeout(within):
            if sweep:
                await asyncio.gather(*(i.sweep_until_done() for i in instances))
            while True:
                for i in instances:
                    i.sender.rounds.clear()
                if not await unsent(database):
                    break
                # Look again after the next delivery round of any sender (each runs one at
                # least every sender interval, so this never waits on nothing).
                rounds = [asyncio.ensure_future(i.sender.rounds.wait()) for i in instances]
                try:
                    await asyncio.wait(rounds, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for r in rounds:
                        r.cancel()
        return time.monotonic() - began
    finally:
        for i in instances:
            i.sender.stop()
        await asyncio.wait_for(asyncio.gather(*senders, return_exceptions=True), 30)

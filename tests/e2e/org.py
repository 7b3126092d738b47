"""Scripted people of one organisation, set up only through the bot's own buttons."""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.e2e.botproc import BotProcess
from tests.e2e.telegram import FakeTelegram, Group
from tests.e2e.telegram.people import Person
from tests.e2e.telegram.state import SUPERGROUP, MessageView

MSK = ZoneInfo("Europe/Moscow")
INVITE = re.compile(r"\?start=(\S+)")
_names = itertools.count(1)


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


@dataclass
class Org:
    fake: FakeTelegram
    bot: BotProcess
    admin: Person
    departments: list[str] = field(default_factory=list)

    @classmethod
    async def create(cls, fake: FakeTelegram, bot: BotProcess) -> Org:
        admin = fake.people.create("Админ", "Системы")
        admin.start(await bot.setup_token())
        await admin.wait_for("администратор")
        return cls(fake, bot, admin)

    async def menu(self) -> None:
        """The admin's menu message; its buttons stay usable, so it is opened once."""
        if not any("Администрирование" in m.content for m in self.admin.bot_messages()):
            self.admin.send("/admin")
            await self.admin.wait_for("Администрирование")

    async def department(self, stem: str) -> str:
        name = f"{stem} {next(_names)}"
        await self.menu()
        self.admin.press("🏢 Отделы")
        await self.admin.wait_for(lambda m: "➕ Новый отдел" in m.button_labels)
        self.admin.press("➕ Новый отдел")
        await self.admin.wait_for("название нового отдела")
        self.admin.send(name)
        await self.admin.wait_for(f"Отдел «{name}» создан")
        self.departments.append(name)
        return name

    async def invite(self, role: str, first_name: str, department: str | None = None) -> Person:
        """`role` as the bot shows it: «исполнитель», «куратор», «глава»…"""
        await self.menu()
        self.admin.press("✉️ Пригласить сотрудника")
        await self.admin.wait_for("Какую роль")
        self.admin.press(role)
        if department is not None:
            await self.admin.wait_for("В какой отдел")
            self.admin.press(department)
        link = await self.admin.wait_for("Одноразовая ссылка")
        m = INVITE.search(link.content)
        assert m is not None, link.content
        person = self.fake.people.create(first_name, f"Тестов{next(_names)}")
        person.start(m.group(1))
        await person.wait_for("Добро пожаловать")
        return person

    async def substitute(self, person: Person, substitute: Person) -> None:
        await self.menu()
        self.admin.press("👥 Сотрудники")
        await self.admin.wait_for("Сотрудники:")
        self.admin.press(person.user.full_name)
        await self.admin.wait_for(lambda m: "🔁 Назначить замещающего" in m.button_labels)
        self.admin.press("🔁 Назначить замещающего")
        await self.admin.wait_for("Кто замещает")
        self.admin.press(substitute.user.full_name)
        await self.admin.wait_for(f"Замещающий назначен: {substitute.user.full_name}")

    async def absence(self, person: Person, kind: str, dates: str) -> None:
        await self.menu()
        self.admin.press("👥 Сотрудники")
        await self.admin.wait_for("Сотрудники:")
        self.admin.press(person.user.full_name)
        await self.admin.wait_for(lambda m: "🗓 Отметить отсутствие" in m.button_labels)
        self.admin.press("🗓 Отметить отсутствие")
        await self.admin.wait_for("Вид отсутствия")
        self.admin.press(kind)
        await self.admin.wait_for("даты отсутствия")
        self.admin.send(dates)
        await self.admin.wait_for("Отсутствие записано")


async def card(person: Person, check: str = "📌 Сообщение") -> MessageView:
    return await person.wait_for(lambda m: "📌 Сообщение" in m.content and check in m.content)


async def route(curator: Person, *departments: str) -> MessageView:
    """The curator routes the card that shows "➡️ Направить" to departments, in order."""
    shown = await curator.wait_for(lambda m: "➡️ Направить" in m.button_labels, since=0)
    curator.press("➡️ Направить", message=shown)
    for n, name in enumerate(departments, start=1):
        menu = await curator.wait_for(_shows_department(name))
        label = next(b for b in menu.button_labels if b.endswith(name))
        if not label.startswith("✔️"):  # the head's choice comes ticked (Gulkevichi 3.1.1)
            curator.press(label, message=menu)
        await curator.wait_for(_shows_label(f"Готово: направить ({n})"))
    curator.press(f"Готово: направить ({len(departments)})", message=shown)
    return await curator.wait_for(
        lambda m: m.message_id == shown.message_id and "направлено исполнителю" in m.content
    )


async def via_head(curator: Person, head: Person, department: str, shown: MessageView) -> None:
    """Where the act makes the head's decision a step (Bor 6, Gulkevichi 3.1.1): the curator
    sends the card to the head, who names the department."""
    curator.press("👤 Главе на решение", message=shown)
    decision = await card(head, "на решении у главы")
    head.press("➡️ Выбрать исполнителя", message=decision)
    await head.wait_for(_shows_department(department))
    menu = await head.wait_for(_shows_department(department))
    label = next(b for b in menu.button_labels if b.endswith(department))
    head.press(label, message=menu)
    await head.wait_for(_shows_label("Готово: направить (1)"))
    head.press("Готово: направить (1)", message=decision)
    await head.wait_for(
        lambda m: m.message_id == decision.message_id and "на решении у главы" not in m.content
    )


def _shows_department(name: str) -> Callable[[MessageView], bool]:
    return lambda m: any(b.endswith(name) for b in m.button_labels)


def _shows_label(label: str) -> Callable[[MessageView], bool]:
    return lambda m: label in m.button_labels


WEEKLY_TO_GROUP = """
[reports]
group_chat_id = {group_id}
weekly_day = "fri"
weekly_time = "16:00"
"""


@contextlib.asynccontextmanager
async def reporting_org(workdir: Path, group_id: int) -> AsyncIterator[tuple[Org, Group]]:
    """A Lipetsk bot of its own whose weekly report (Friday 16:00) goes to a group chat."""
    fake = FakeTelegram()
    await fake.start()
    chat = fake.state.add_chat(SUPERGROUP, "Руководство администрации", chat_id=group_id)
    bot = BotProcess(fake, workdir, "lipetsk", extra=WEEKLY_TO_GROUP.format(group_id=group_id))
    try:
        await bot.start(msk("2026-11-24 09:40"))
        yield await Org.create(fake, bot), Group(fake, chat)
    finally:
        await bot.close()
        await fake.stop()

"""Scripted people of one organisation, set up only through the bot's own buttons."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.e2e.botproc import BotProcess
from tests.e2e.telegram import FakeTelegram
from tests.e2e.telegram.people import Person

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

    async def department(self, stem: str) -> str:
        name = f"{stem} {next(_names)}"
        self.admin.send("/admin")
        await self.admin.wait_for("Администрирование")
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
        self.admin.send("/admin")
        await self.admin.wait_for("Администрирование")
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

"""A scripted day with the bot, against the fake Telegram server, printed as each person saw it.

Run it with `make demo` (or `.venv/bin/python -m tests.e2e.demo`): no Telegram account needed.
It grows with the bot: every capability that lands gets its scene here.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from tests.e2e.botproc import BotProcess
from tests.e2e.org import Org, card, msk, route
from tests.e2e.telegram import FakeTelegram
from tests.e2e.telegram.people import Person


def show(person: Person, title: str) -> None:
    print(f"\n══════ {title}: {person.user.full_name} ══════")
    for m in person.messages():
        who = "бот" if m.from_bot else person.user.first_name
        text = m.content.replace("\n", "\n      ")
        print(f"  [{who}] {text}")
        if m.button_labels:
            print("      " + " ".join(f"[{label}]" for label in m.button_labels))


async def day(workdir: Path) -> None:
    fake = FakeTelegram()
    await fake.start()
    bot = BotProcess(fake, workdir, "lipetsk")
    try:
        await bot.start(msk("2026-11-24 08:55"))
        org = await Org.create(fake, bot)
        roads = await org.department("Управление дорог")
        housing = await org.department("Управление ЖКХ")
        curator = await org.invite("куратор", "Анна")
        head = await org.invite("заместитель главы", "Борис")
        ivan = await org.invite("исполнитель", "Иван", roads)
        olga = await org.invite("исполнитель", "Ольга", housing)

        bot.set_clock(msk("2026-11-24 09:05"))
        channel = fake.people.channel("Подслушано Липецк", "podslushano_lip")
        curator.forward_from_channel(
            channel, "Огромная яма на ул. Ленина у дома 5, машины бьют колёса!"
        )
        first = await card(curator, "Огромная яма")
        curator.press("❗ Важность", message=first)
        await curator.wait_for(lambda m: "общественно значимое" in m.button_labels)
        curator.press("общественно значимое")
        await head.wait_for("Общественно значимое сообщение")
        await curator.wait_for(
            lambda m: "Важность: общественно значимое" in m.content and bool(m.button_labels)
        )
        await route(curator, roads)
        task = await card(ivan, "Огромная яма")
        ivan.press("✅ Принять", message=task)
        await ivan.wait_for(lambda m: "в работе у исполнителя" in m.content)

        bot.set_clock(msk("2026-11-24 09:40"))
        curator.send(
            "https://vk.com/wall-100_200 Третий день нет горячей воды в доме 12 на Советской"
        )
        second = await card(curator, "горячей воды")
        await route(curator, roads)
        wrong = await card(ivan, "горячей воды")
        ivan.press("↩️ Не наша компетенция", message=wrong)
        await ivan.wait_for("Почему это не ваша компетенция")
        ivan.send("Горячая вода — это ЖКХ")
        await curator.wait_for("возвращено отделом")
        await curator.wait_for(
            lambda m: m.message_id == second.message_id and "возвращено" in m.content
        )
        await route(curator, housing)
        await card(olga, "горячей воды")

        bot.set_clock(msk("2026-11-24 11:00"))
        ivan.press("✍️ Подготовить ответ", message=task)
        await ivan.wait_for(lambda m: "Окончательный ответ" in m.button_labels)
        ivan.press("Окончательный ответ")
        await ivan.wait_for("Пишите")
        ivan.send("Добрый день! Яму у дома 5 на ул. Ленина заделали 24.11.2026.")
        draft = await ivan.wait_for("Добавлено в проект")
        ivan.press("📤 На согласование", message=draft)
        await ivan.wait_for("Проект отправлен на согласование")
        review = await curator.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
        curator.press("✅ Согласовать", message=review)
        ready = await ivan.wait_for(lambda m: "📢 Опубликовано" in m.button_labels)
        ivan.press("📢 Опубликовано", message=ready)
        await ivan.wait_for("Пришлите ссылку")
        ivan.send("https://t.me/podslushano_lip/1?comment=5")
        await ivan.wait_for("Публикация записана")
        await curator.wait_for(lambda m: "Итог: ответ дан" in m.content)

        bot.set_clock(msk("2026-11-24 15:00"))
        ivan.send("/tasks")
        await ivan.wait_for(lambda m: "задач" in m.content)
        head.send("/board")
        await head.wait_for("Открытые сообщения")

        bot.set_clock(msk("2026-11-27 16:05"))  # Friday: the weekly report (Barnaul 11 style)
        head.send("/report week")
        await head.wait_for("Всего сообщений")

        for person, title in (
            (curator, "Куратор"),
            (head, "Заместитель главы"),
            (ivan, "Исполнитель, дороги"),
            (olga, "Исполнитель, ЖКХ"),
        ):
            show(person, title)
    finally:
        await bot.stop()
        await fake.stop()


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="otklik-demo-") as tmp:
        asyncio.run(day(Path(tmp)))
    print(f"\nДемонстрация заняла {time.monotonic() - started:.1f} с.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

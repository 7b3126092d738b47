"""The acts' rules shown through the bot process, clause by clause: the head decides first (Bor 6,
Gulkevichi 3.1.1), return windows are no deadlines (Lipetsk 7, Barnaul 5), who holds the total
deadline (Lipetsk 8), days off for significant messages (Gulkevichi 3.10), external deadlines
(Lipetsk 8, Barnaul 4-7), the external curator and the significant alerts (Barnaul 9, 12), and
the answer's own rules (Lipetsk 13, 15, Gulkevichi 3.5).

Each world's clock only moves forward within this file: Tuesday 1 - Friday 4 December 2026."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from handlers.callbacks import Act, IncCb
from tests.e2e.botproc import BotProcess
from tests.e2e.conftest import Worlds
from tests.e2e.org import Org, card, msk, route, via_head
from tests.e2e.telegram import FakeTelegram, Group
from tests.e2e.telegram.people import Person
from tests.e2e.telegram.state import SUPERGROUP, MessageView
from tests.e2e.test_answer_profiles import publish, write_answer

pytestmark = pytest.mark.e2e

EXTERNAL_CHAT = -100555
ANSWER = "ответ опубликован (общий срок)"


def number_of(shown: MessageView) -> str:
    """The incident's number from its card title "📌 Сообщение №12 · ВКонтакте"."""
    return shown.content.split("№", 1)[1].split(" ", 1)[0]


def about(number: str, person: Person) -> list[str]:
    """What the person was shown about incident №number: its card, reminders, breaches."""
    marks = (f"Сообщение №{number} ·", f"сообщение №{number}:", f"Сообщение №{number}:")
    return [m.content for m in person.bot_messages() if any(s in m.content for s in marks)]


async def route_card(curator: Person, shown: MessageView, department: str) -> None:
    """Route this card (not the first one showing "➡️ Направить") to one department."""
    curator.press("➡️ Направить", message=shown)
    menu = await curator.wait_for(
        lambda m: m.message_id == shown.message_id and department in m.button_labels
    )
    curator.press(department, message=menu)
    await curator.wait_for(lambda m: "Готово: направить (1)" in m.button_labels)
    curator.press("Готово: направить (1)", message=menu)
    await curator.wait_for(
        lambda m: m.message_id == shown.message_id and "направлено исполнителю" in m.content
    )


async def accept(executor: Person, task: MessageView) -> None:
    executor.press("✅ Принять", message=task)
    await executor.wait_for(lambda m: m.message_id == task.message_id and "в работе" in m.content)


# ---- Bor 6, Gulkevichi 3.1.1: the head decides before anyone is routed -------------------------


@pytest.mark.parametrize(
    ("profile", "clause"), [("bor", "п. 6"), ("gulkevichi", "п. 3.1.1, 3.2.1")]
)
async def test_the_curator_cannot_route_a_new_message_past_the_head(
    worlds: Worlds, profile: str, clause: str
) -> None:
    # Bor п. 6: the specialist sends the message to the head, who names who answers it.
    # Gulkevichi п. 3.1.1: the head's resolution first, then the curator routes within 2 h.
    org = await worlds.get(profile)
    dept = await org.department("Отдел дорог")
    curator = await org.invite("куратор", "Алина")
    org.bot.set_clock(msk("2026-12-01 10:00"))
    curator.send("https://vk.com/wall-301_1 Не чистят снег на улице Школьной")
    shown = await card(curator, "wall-301_1")
    assert "➡️ Направить" not in shown.button_labels
    assert "👤 Главе на решение" in shown.button_labels
    to_head = shown.button("👤 Главе на решение")
    assert to_head is not None and to_head.callback_data is not None
    own = IncCb.unpack(to_head.callback_data)
    forged = IncCb(a=Act.ASSIGN_MENU, i=own.i, v=own.v).pack()

    alert = await curator.press_data(forged, shown).answered()
    assert alert.text == (
        f"Сначала решение главы ({clause}): нажмите «👤 Главе на решение», "
        "исполнителя назовёт глава."
    )
    assert alert.show_alert
    # Nothing changed: no menu of departments, and the card's version is still current, so
    # the button pressed before the forged press still works.
    assert not [m for m in curator.bot_messages() if dept in " ".join(m.button_labels)]
    sent = await curator.press_data(to_head.callback_data, shown).answered()
    assert sent.text == "Передано главе на решение."
    await curator.wait_for(
        lambda m: m.message_id == shown.message_id and "Статус: на решении у главы" in m.content
    )


# ---- Lipetsk: return window, external deadlines, repeated messages, intermediate answers -------


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def lipetsk(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Org]:
    """A Lipetsk bot of its own: the messages these tests leave open would otherwise fall due
    in the shared bot and flood the later tests' chats with breaches."""
    fake = FakeTelegram()
    await fake.start()
    bot = BotProcess(fake, tmp_path_factory.mktemp("lipetsk_rules"), "lipetsk")
    try:
        await bot.start(msk("2026-12-01 09:40"))
        yield await Org.create(fake, bot)
    finally:
        await bot.close()
        await fake.stop()


async def test_lipetsk_the_return_window_passes_without_a_reminder_or_a_breach(
    lipetsk: Org,
) -> None:
    # п. 7: the executor *may* return within 30 minutes of receipt; it is a window, not a duty.
    org = lipetsk
    dept = await org.department("Управление ЖКХ")
    curator = await org.invite("куратор", "Борислава")
    executor = await org.invite("исполнитель", "Вадим", dept)
    org.bot.set_clock(msk("2026-12-01 10:00"))  # Tuesday
    curator.send("https://vk.com/wall-302_1 Течёт крыша в подъезде дома 3")
    shown = await card(curator, "wall-302_1")
    number = number_of(shown)
    await route(curator, dept)
    task = await card(executor, "Течёт крыша")
    # Received at 10:00: 30 working minutes → 10:30.
    assert (
        "⏰ вернуть, если не ваша компетенция: до 01.12.2026 10:30 "
        "(осталось 30 мин рабочего времени) — п. 7" in task.content
    )

    # п. 8: 9 working hours from 10:00 → Wednesday 11:00; п. 9: the draft 4 working hours
    # before (Wed 9-11, Tue 16-18) → Tuesday 16:00, reminded halfway from 10:00 (5 working
    # hours: 10-13, 14-16) → 12:30. The window (10:30) fell due before it, in the same sweep.
    org.bot.set_clock(msk("2026-12-01 12:31"))
    ping = await executor.wait_for("Напоминание")
    assert ping.content.startswith(
        f"⏰ Напоминание, сообщение №{number}: направить проект ответа — до 01.12.2026 16:00"
    )
    assert ping.content.endswith("— п. 9")
    said = about(number, executor) + about(number, curator)
    window = [t for t in said if "вернуть, если не ваша" in t]
    assert not [t for t in window if "Напоминание" in t or "Нарушен" in t]
    assert not [t for t in said if "Нарушен срок" in t]


async def test_lipetsk_an_external_deadline_binds_only_when_earlier_than_nine_hours(
    lipetsk: Org,
) -> None:
    # п. 8: the answer within 9 working hours of detection; the profile reads an external
    # system's deadline as binding only where it comes earlier.
    org = lipetsk
    curator = await org.invite("куратор", "Валентина")
    org.bot.set_clock(msk("2026-12-01 14:00"))
    curator.send(
        "https://vk.com/wall-303_1 Не горит фонарь у остановки\n№ 5001 до 04.12.2026 12:00"
    )
    later = await card(curator, "Внешний номер: 5001")
    # 9 working hours from Tuesday 14:00: 14-18 (4), Wednesday 9-13 (4), 14-15 (1) → 15:00.
    assert "Внешний номер: 5001, срок системы: 04.12.2026 12:00" in later.content
    assert (
        f"⏰ {ANSWER}: до 02.12.2026 15:00 (осталось 9 ч рабочего времени) — п. 8" in later.content
    )

    curator.send("https://vk.com/wall-303_2 Открытый люк на тротуаре\n№ 5002 до 01.12.2026 17:00")
    earlier = await card(curator, "Внешний номер: 5002")
    # The system's 17:00 today comes before Wednesday 15:00: it binds (14-17: 3 h left).
    assert (
        f"⏰ {ANSWER}: до 01.12.2026 17:00 (осталось 3 ч рабочего времени) — п. 8"
        in earlier.content
    )


async def test_lipetsk_the_answer_to_a_repeated_message_must_report_progress(
    lipetsk: Org,
) -> None:
    # п. 15: a repeated message is routed again; its answer tells of measures taken or of
    # how the matter stands.
    org = lipetsk
    dept = await org.department("Управление благоустройства")
    curator = await org.invite("куратор", "Галина")
    executor = await org.invite("исполнитель", "Демид", dept)
    org.bot.set_clock(msk("2026-12-01 15:00"))
    curator.send("https://vk.com/wall-304_1 Двор не чистят от снега")
    first = await card(curator, "wall-304_1")
    number = number_of(first)
    curator.send("https://vk.com/wall-304_1 Двор так и не почистили")
    second = await curator.wait_for(lambda m: f"🔁 Связать с №{number}" in m.button_labels)
    curator.press(f"🔁 Связать с №{number}", message=second)
    linked = await curator.wait_for(lambda m: f"🔁 Повторное: связано с №{number}" in m.content)
    await route_card(curator, linked, dept)

    task = await card(executor, "так и не почистили")
    await accept(executor, task)
    executor.press("✍️ Подготовить ответ", message=task)
    await executor.wait_for(lambda m: "Окончательный ответ" in m.button_labels)
    executor.press("Окончательный ответ")
    await executor.wait_for("Пишите")
    executor.send("Ваше сообщение о нечищеном дворе передано в управляющую компанию.")
    added = await executor.wait_for("Добавлено в проект")
    executor.press("📤 На согласование", message=added)
    warned = await executor.wait_for("Проверьте проект перед отправкой")
    assert warned.content == (
        "Проверьте проект перед отправкой:\n"
        "• это повторное сообщение: ответ должен сообщать о принятых мерах или о ходе решения"
    )
    assert warned.button_labels == ["📤 Отправить всё равно"]
    assert not [m for m in curator.bot_messages() if "✅ Согласовать" in m.button_labels]


async def test_lipetsk_an_intermediate_answer_promises_the_final_within_seven_working_days(
    lipetsk: Org,
) -> None:
    # п. 13: the final answer no later than 7 working days from the intermediate one.
    org = lipetsk
    dept = await org.department("Управление строительства")
    curator = await org.invite("куратор", "Дарина")
    executor = await org.invite("исполнитель", "Ефим", dept)
    org.bot.set_clock(msk("2026-12-01 16:00"))  # Tuesday
    curator.send("https://vk.com/wall-305_1 Когда достроят детский сад на Победы?")
    await card(curator, "wall-305_1")
    await route(curator, dept)
    task = await card(executor, "детский сад")
    await accept(executor, task)
    executor.press("✍️ Подготовить ответ", message=task)
    await executor.wait_for(lambda m: "Промежуточный ответ" in m.button_labels)
    executor.press("Промежуточный ответ")
    await executor.wait_for("К какой дате будет окончательный ответ? Напишите ДД.ММ.ГГГГ:")
    # 7 working days after Tuesday 1 December: 2, 3, 4, 7, 8, 9, 10 → Thursday 10.12.2026.
    executor.send("11.12.2026")
    refused = await executor.wait_for("не позднее")
    assert refused.content == (
        "Окончательный ответ — не позднее 10.12.2026 (п. 13: 7 рабочих дней со дня "
        "промежуточного ответа). Напишите дату не позже этой:"
    )
    executor.send("10.12.2026")  # the prompt stayed open
    await executor.wait_for("Пишите промежуточный ответ")
    executor.send("Проведём обследование здания и дадим окончательный ответ до 10.12.2026.")
    added = await executor.wait_for("Добавлено в проект")
    executor.press("📤 На согласование", message=added)
    await executor.wait_for("Проект отправлен на согласование")
    review = await curator.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
    assert "Окончательный ответ обещан к 10.12.2026" in review.content


async def test_lipetsk_the_total_deadline_reminds_and_breaches_whoever_holds_it(
    lipetsk: Org,
) -> None:
    # п. 8: 9 working hours from detection; п. 18: the executor answers for the deadlines.
    org = lipetsk
    dept = await org.department("Управление транспорта")
    other = await org.department("Управление культуры")
    curator = await org.invite("куратор", "Евгения")
    executor = await org.invite("исполнитель", "Жорж", dept)
    stranger = await org.invite("исполнитель", "Зиновий", other)
    org.bot.set_clock(msk("2026-12-02 10:00"))  # Wednesday
    curator.send("https://vk.com/wall-306_1 Маршрутка №5 не ходит вечером")
    shown = await card(curator, "wall-306_1")
    number = number_of(shown)
    due = "до 03.12.2026 11:00"  # 10-13, 14-18 (7 h), Thursday 9-11 (2 h)
    assert f"⏰ {ANSWER}: {due} (осталось 9 ч рабочего времени) — п. 8" in shown.content

    # Halfway, 4.5 working hours → 15:30: not routed yet, so the curator holds it.
    org.bot.set_clock(msk("2026-12-02 15:31"))
    ping = await curator.wait_for(f"{ANSWER} — {due}")
    assert ping.content.startswith(f"⏰ Напоминание, сообщение №{number}: {ANSWER} — {due}")
    assert ping.content.endswith("— п. 8")
    await route(curator, dept)
    task = await card(executor, "Маршрутка")
    await accept(executor, task)

    # An hour before (Thursday 10:00): the executor who took it, not the curator.
    org.bot.set_clock(msk("2026-12-03 10:01"))
    mine = await executor.wait_for(f"{ANSWER} — {due}")
    assert mine.content.startswith(f"⏰ Напоминание, сообщение №{number}: {ANSWER} — {due}")
    org.bot.set_clock(msk("2026-12-03 11:01"))
    breach = (
        f"🔴 Нарушен срок, сообщение №{number}: {ANSWER} — срок истёк 03.12.2026 11:00 — п. 8. "
        f"Ответственные: {executor.user.full_name}."
    )
    assert (await executor.wait_for(f"{ANSWER} — срок истёк")).content == breach
    assert (await curator.wait_for(f"{ANSWER} — срок истёк")).content == breach
    reminders = [t for t in about(number, curator) if "Напоминание" in t and ANSWER in t]
    assert reminders == [ping.content]
    assert about(number, stranger) == []


# ---- Barnaul: the lead's window, the controller's deadline, the monitoring deadline ----------


async def test_barnaul_the_lead_confirms_competence_and_the_window_closes(worlds: Worlds) -> None:
    # п. 5: the lead of the department checks competence within 30 working minutes of receipt.
    org = await worlds.get("barnaul")
    dept = await org.department("Комитет по ЖКХ")
    controller = await org.invite("куратор", "Инна")
    lead = await org.invite("руководитель отдела", "Глеб", dept)
    executor = await org.invite("исполнитель", "Дарья", dept)
    org.bot.set_clock(msk("2026-12-01 10:00"))
    controller.send("Нет отопления в доме https://vk.com/wall-307_1\n№ 77-101 до 02.12.2026 17:00")
    await card(controller, "77-101")
    await route(controller, dept)
    lead_card = await card(lead, "Нет отопления")
    # Received at 10:00: 30 working minutes → 10:30.
    assert (
        "⏰ вернуть, если не ваша компетенция: до 01.12.2026 10:30 "
        "(осталось 30 мин рабочего времени) — п. 5" in lead_card.content
    )
    assert "✅ Наша компетенция" in lead_card.button_labels
    assert "↩️ Не наша компетенция" in lead_card.button_labels
    task = await card(executor, "Нет отопления")
    assert "✅ Наша компетенция" not in task.button_labels
    assert "↩️ Не наша компетенция" not in task.button_labels

    done = await lead.press("✅ Наша компетенция", message=lead_card).answered()
    assert done.text == "Записано: сообщение в компетенции отдела, окно возврата закрыто."
    closed = await lead.wait_for(
        lambda m: m.message_id == lead_card.message_id and "вернуть, если не ваша" not in m.content
    )
    # The window line and "✅ Наша компетенция" are gone; the lead may still take the message
    # and even still return it. The only deadline left on the lead's card is the system's.
    assert closed.button_labels == ["✅ Принять", "↩️ Не наша компетенция"]
    deadlines = [line for line in closed.content.splitlines() if line.startswith(("⏰", "⏸"))]
    assert len(deadlines) == 1
    assert deadlines[0].startswith(f"⏰ {ANSWER}: до 02.12.2026 17:00 (осталось ")


async def test_barnaul_the_controller_sets_the_draft_deadline_for_the_executor(
    worlds: Worlds,
) -> None:
    # п. 4-6: the answer is due when the monitoring system says; the draft by the deadline
    # the controller sets, until then by the system's.
    org = await worlds.get("barnaul")
    dept = await org.department("Отдел транспорта")
    controller = await org.invite("куратор", "Лилия")
    executor = await org.invite("исполнитель", "Марк", dept)
    org.bot.set_clock(msk("2026-12-01 11:00"))
    controller.send("Автобус не ходит https://vk.com/wall-308_1\n№ 77-201 до 02.12.2026 17:00")
    await card(controller, "77-201")
    routed = await route(controller, dept)
    task = await card(executor, "Автобус")
    # Tuesday 11-13, 14-18 (6 h), Wednesday 9-13, 14-17 (7 h): 13 working hours left.
    assert (
        "⏰ направить проект ответа: до 02.12.2026 17:00 (осталось 13 ч рабочего времени) — п. 4, 5"
        in task.content
    )
    shown = await controller.wait_for(
        lambda m: (
            m.message_id == routed.message_id
            and "⏱ Срок: направить проект ответа" in m.button_labels
        ),
        since=0,
    )
    controller.press("⏱ Срок: направить проект ответа", message=shown)
    prompt = await controller.wait_for("Напишите новый срок")
    assert prompt.content == (
        "Срок «направить проект ответа» (п. 4, 5). Сейчас: 02.12.2026 17:00. "
        "Напишите новый срок: ДД.ММ.ГГГГ ЧЧ:ММ или ЧЧ:ММ (сегодня)."
    )
    controller.send("16:00")
    await controller.wait_for("Срок «направить проект ответа» установлен: 01.12.2026 16:00.")
    moved = await executor.wait_for(
        lambda m: (
            m.message_id == task.message_id and "проект ответа: до 01.12.2026 16:00" in m.content
        )
    )
    # 11:00-13:00, 14:00-16:00: 4 working hours; the answer keeps the system's deadline.
    assert (
        "⏰ направить проект ответа: до 01.12.2026 16:00 (осталось 4 ч рабочего времени) — п. 4, 5"
        in moved.content
    )
    assert f"⏰ {ANSWER}: до 02.12.2026 17:00" in moved.content


async def test_barnaul_the_monitoring_deadline_moves_by_the_time_the_author_was_asked(
    worlds: Worlds,
) -> None:
    # п. 7: the system's deadline; п. 9: more information asked of the author. The deadline
    # stands still while the author is asked and moves by that working time.
    org = await worlds.get("barnaul")
    dept = await org.department("Отдел благоустройства")
    controller = await org.invite("куратор", "Нелли")
    deputy = await org.invite("курирующий заместитель", "Остап", dept)
    executor = await org.invite("исполнитель", "Пелагея", dept)
    org.bot.set_clock(msk("2026-12-02 10:00"))  # Wednesday
    controller.send("Где зальют каток? https://vk.com/wall-309_1\n№ 77-301 до 03.12.2026 12:00")
    await card(controller, "77-301")
    await route(controller, dept)
    task = await card(executor, "каток")
    await accept(executor, task)
    text = "Уточните, пожалуйста, в каком дворе нужен каток."
    await write_answer(executor, "Запрос уточнения у автора", text, task)
    first = await deputy.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
    deputy.press("✅ Согласовать", message=first)
    second = await controller.wait_for(
        lambda m: "✅ Согласовать" in m.button_labels and "Согласует сейчас: куратор" in m.content
    )
    controller.press("✅ Согласовать", message=second)
    third = await controller.wait_for(lambda m: "✅ Внешний куратор согласовал" in m.button_labels)
    controller.press("✅ Внешний куратор согласовал", message=third)

    # Published at 17:30 and a few seconds (T1); the author's reply recorded after 18:00 (T2).
    # The stood working time is 17:30:ss-18:00, rounded up to whole minutes: 30 minutes
    # whatever the seconds, since T2 falls after the working day (no seconds of it count).
    org.bot.set_clock(msk("2026-12-02 17:30"))
    await publish(controller, "https://vk.com/wall-309_1?reply=1")
    await controller.wait_for(lambda m: f"⏸ {ANSWER}: срок приостановлен — п. 7" in m.content)
    org.bot.set_clock(msk("2026-12-02 18:30"))
    replied = await controller.wait_for(lambda m: "💬 Автор ответил" in m.button_labels, since=0)
    controller.press("💬 Автор ответил", message=replied)
    await controller.wait_for("Что ответил автор")
    controller.send("Во дворе дома 5 по улице Юрина")
    await controller.wait_for("Ответ автора записан, срок снова идёт.")
    # 03.12.2026 12:00 + 30 working minutes → 12:30.
    resumed = await controller.wait_for(lambda m: f"{ANSWER}: до 03.12.2026 12:30" in m.content)
    assert f"⏰ {ANSWER}: до 03.12.2026 12:30 (осталось 3 ч 30 мин рабочего времени) — п. 7" in (
        resumed.content
    )


# ---- Barnaul 9, 12: a bot of its own with the external curator's chat ------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def barnaul(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Org, Group]]:
    fake = FakeTelegram()
    await fake.start()
    chat = fake.state.add_chat(SUPERGROUP, "Комитет информационной политики", chat_id=EXTERNAL_CHAT)
    bot = BotProcess(
        fake,
        tmp_path_factory.mktemp("barnaul_external"),
        "barnaul",
        organization=f"external_curator_chat_id = {EXTERNAL_CHAT}",
    )
    try:
        await bot.start(msk("2026-12-01 09:40"))
        yield await Org.create(fake, bot), Group(fake, chat)
    finally:
        await bot.close()
        await fake.stop()


async def test_barnaul_a_not_subject_message_reaches_the_curators_and_the_external_curator(
    barnaul: tuple[Org, Group],
) -> None:
    # п. 9: threats are not answered in substance and are handed to the Куратор at once.
    org, external = barnaul
    controller = await org.invite("куратор", "Раиса")
    second = await org.invite("куратор", "Семён")
    org.bot.set_clock(msk("2026-12-01 10:00"))
    post = "https://vk.com/wall-310_1 Я вас всех найду и прибью, чиновники"
    controller.send(post)
    shown = await card(controller, "wall-310_1")
    number = number_of(shown)
    controller.press("🚫 Не подлежит ответу", message=shown)
    await controller.wait_for("причину")
    controller.send("Угроза должностным лицам")
    await controller.wait_for("Отмечено: не подлежит ответу")
    # The bot passed it to the Куратор's chat itself: the curators are told so.
    told = (
        f"🚫 Сообщение №{number} не подлежит ответу по существу (п. 9): Угроза должностным "
        "лицам. Бот передал его Куратору."
    )
    for curator in (controller, second):
        assert (await curator.wait_for("не подлежит ответу по существу")).content == told
    passed = await external.wait_for(f"Сообщение №{number}")
    assert passed.content == (
        f"🚫 Сообщение №{number} не подлежит ответу по существу (п. 9): "
        f"Угроза должностным лицам.\n{post}"
    )


async def test_barnaul_a_significant_message_alerts_the_head_deputy_and_chief_of_staff(
    barnaul: tuple[Org, Group],
) -> None:
    # п. 12: the press secretary reports significant messages at once to the head of the
    # administration, the deputy head and the chief of staff.
    org, external = barnaul
    controller = await org.invite("куратор", "Тамара")
    head = await org.invite("глава", "Ульян")
    deputy = await org.invite("заместитель главы", "Фома")
    chief = await org.invite("руководитель аппарата", "Харитон")
    org.bot.set_clock(msk("2026-12-01 11:00"))
    post = "https://vk.com/wall-310_2 Весь район без воды уже сутки"
    controller.send(post)
    shown = await card(controller, "wall-310_2")
    number = number_of(shown)
    controller.press("❗ Важность", message=shown)
    await controller.wait_for(lambda m: "общественно значимое" in m.button_labels)
    controller.press("общественно значимое")
    await controller.wait_for(lambda m: "Важность: общественно значимое" in m.content)
    alert = f"🚨 Общественно значимое сообщение №{number}: {post}"
    for person in (head, deputy, chief):
        assert (await person.wait_for("Общественно значимое сообщение")).content == alert
    assert not [m for m in controller.bot_messages() if m.content == alert]
    assert not [m for m in external.bot_messages() if f"№{number}" in m.content]


# ---- Gulkevichi: a private answer (3.5), days off for significant messages (3.10) ------------


async def test_gulkevichi_an_answer_in_private_messages_shows_as_sent_privately(
    worlds: Worlds,
) -> None:
    # п. 3.5: messages written in private are answered in private messages.
    org = await worlds.get("gulkevichi")
    dept = await org.department("Отдел ЖКХ")
    curator = await org.invite("куратор", "Стелла")
    head = await org.invite("глава", "Тарас")
    executor = await org.invite("исполнитель", "Устин", dept)
    org.bot.set_clock(msk("2026-12-02 10:00"))
    curator.send("https://vk.com/wall-311_1 Когда уберут снег во дворе дома 9?")
    shown = await card(curator, "wall-311_1")
    await via_head(curator, head, dept, shown)
    await route(curator, dept)
    task = await card(executor, "уберут снег")
    await accept(executor, task)
    await write_answer(
        executor, "Окончательный ответ", "Двор дома убран от снега, вывоз снега завершён.", task
    )
    review = await curator.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
    curator.press("✅ Согласовать", message=review)
    agreed = await head.wait_for(lambda m: "✅ Согласовать" in m.button_labels)
    head.press("✅ Согласовать", message=agreed)
    ready = await curator.wait_for(lambda m: "✉️ Ответил в личные сообщения" in m.button_labels)
    org.bot.set_clock(msk("2026-12-02 11:00"))
    curator.press("✉️ Ответил в личные сообщения", message=ready)
    await curator.wait_for("Пришлите ссылку")
    curator.send("https://vk.com/im?sel=311")
    await curator.wait_for("Публикация записана")
    sent = await curator.wait_for(lambda m: "Отправлено автору в личные сообщения" in m.content)
    assert (
        "✉️ Отправлено автору в личные сообщения 02.12.2026 11:00: https://vk.com/im?sel=311"
        in sent.content
    )
    assert "📢 Опубликовано" not in sent.content


async def test_gulkevichi_a_significant_incident_is_due_on_saturday_an_ordinary_on_monday(
    worlds: Worlds,
) -> None:
    # п. 3.2.6: the answer within 8 working hours of receipt; п. 3.10: emergencies and
    # reputational risks are answered on days off too (the usual 09-13, 14-18, never nights).
    org = await worlds.get("gulkevichi")
    curator = await org.invite("куратор", "Фаина")
    org.bot.set_clock(msk("2026-12-04 17:30"))  # Friday, after the Friday's 16:45
    curator.send("Прорыв теплотрассы https://vk.com/wall-312_1\n№ 4301 до 10.12.2026 18:00")
    urgent = await card(curator, "Внешний номер: 4301")
    # Ordinary so far: Monday 9-13, 14-18 → 07.12.2026 18:00 (earlier than the system's).
    assert f"⏰ {ANSWER}: до 07.12.2026 18:00" in urgent.content
    curator.press("❗ Важность", message=urgent)
    await curator.wait_for(lambda m: "общественно значимое" in m.button_labels)
    curator.press("общественно значимое")
    tagged = await curator.wait_for(
        lambda m: (
            m.message_id == urgent.message_id and "Важность: общественно значимое" in m.content
        )
    )
    # Saturday 9-13, 14-18 → 05.12.2026 18:00, not Friday night.
    assert (
        f"⏰ {ANSWER}: до 05.12.2026 18:00 (осталось 8 ч рабочего времени) — п. 3.2.6"
        in tagged.content
    )

    curator.send("Сломана скамейка https://vk.com/wall-312_2\n№ 4302 до 10.12.2026 18:00")
    ordinary = await card(curator, "Внешний номер: 4302")
    assert (
        f"⏰ {ANSWER}: до 07.12.2026 18:00 (осталось 8 ч рабочего времени) — п. 3.2.6"
        in ordinary.content
    )

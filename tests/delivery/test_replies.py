"""The chats' queues of replies (bot/replies.py), against the fake Telegram server through the
`Throttle`: a handler's replies go out in the order given, and before anything sent to the
chat after them. An edit that a later one replaces is not sent. A refused reply stops neither
its queue nor the caller, and a stop lets the queues empty."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import EditMessageReplyMarkup, SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.replies import Replies
from bot.throttle import Throttle
from handlers.replies import collecting, later
from tests.e2e.telegram import FakeTelegram, Person


@pytest_asyncio.fixture(loop_scope="session")
async def wired(fake: FakeTelegram) -> AsyncIterator[tuple[Bot, Replies]]:
    throttle = Throttle()
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    session.middleware(throttle)
    bot = Bot(fake.token, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    replies = Replies(bot)
    throttle.replies = replies
    try:
        yield bot, replies
    finally:
        await replies.drain(10)
        await bot.session.close()


def person(fake: FakeTelegram, user_id: int) -> Person:
    someone = fake.people.create("Исполнитель", user_id=user_id)
    someone.start()
    return someone


def texts_in(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text or "" for m in fake.messages(chat_id) if m.from_bot]


def keyboard(label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=label)]]
    )


async def test_replies_go_out_in_order_before_what_is_sent_after_them(
    fake: FakeTelegram, wired: tuple[Bot, Replies]
) -> None:
    bot, replies = wired
    chat = person(fake, 801).id
    with collecting(1) as batch:
        for n in range(1, 5):  # more than the chat's burst: the last ones wait their turn
            await later(SendMessage(chat_id=chat, text=f"ответ {n}").as_(bot))
        assert fake.calls_to("sendMessage") == []  # given, not sent: the handler did not wait
    replies.put(batch)
    # Sent by someone else (the sender, an awaited reply) after them: it goes after them.
    await bot.send_message(chat, "уведомление")
    assert texts_in(fake, chat) == ["ответ 1", "ответ 2", "ответ 3", "ответ 4", "уведомление"]
    assert replies.sent == 4 and replies.waiting() == 0


async def test_an_awaited_request_inside_the_update_lets_its_earlier_replies_go_first(
    fake: FakeTelegram, wired: tuple[Bot, Replies]
) -> None:
    bot, replies = wired
    chat = person(fake, 802).id
    with collecting(2) as batch:
        await later(SendMessage(chat_id=chat, text="сначала").as_(bot))
        sent = await bot.send_message(chat, "карточка")  # its message id is needed: awaited
        await later(SendMessage(chat_id=chat, text="потом").as_(bot))
    replies.put(batch)
    await replies.drain(30)
    assert sent.message_id > 0
    assert texts_in(fake, chat) == ["сначала", "карточка", "потом"]


async def test_an_edit_replaced_by_a_later_one_waiting_behind_it_is_not_sent(
    fake: FakeTelegram, wired: tuple[Bot, Replies]
) -> None:
    bot, replies = wired
    chat = person(fake, 803).id
    card = await bot.send_message(chat, "карточка", reply_markup=keyboard("0"))
    with collecting(3) as batch:
        # A menu paged five times before anything was sent: only the last page goes out.
        for n in range(1, 6):
            await later(
                EditMessageReplyMarkup(
                    chat_id=chat, message_id=card.message_id, reply_markup=keyboard(str(n))
                ).as_(bot)
            )
    replies.put(batch)
    await replies.drain(30)
    edits = fake.calls_to("editMessageReplyMarkup")
    assert len(edits) == 1 and replies.replaced == 4
    shown = fake.messages(chat)[-1]
    assert shown.labels == [["5"]]  # the last page the person asked for


async def test_a_refused_reply_is_logged_and_the_queue_goes_on(
    fake: FakeTelegram, wired: tuple[Bot, Replies], caplog: pytest.LogCaptureFixture
) -> None:
    bot, replies = wired
    chat = person(fake, 804).id
    with collecting(4) as batch:
        await later(SendMessage(chat_id=chat, text="<b>незакрытый тег").as_(bot))
        await later(SendMessage(chat_id=chat, text="дальше").as_(bot))
    with caplog.at_level(logging.WARNING, logger="otklik.replies"):
        replies.put(batch)
        await replies.drain(30)
    assert texts_in(fake, chat) == ["дальше"]
    assert replies.failed == 1 and replies.sent == 1
    assert any("update 4" in r.getMessage() for r in caplog.records)


async def test_outside_the_inbox_a_reply_is_sent_at_once(
    fake: FakeTelegram, wired: tuple[Bot, Replies]
) -> None:
    bot, replies = wired
    chat = person(fake, 805).id
    await later(SendMessage(chat_id=chat, text="сразу").as_(bot))
    assert texts_in(fake, chat) == ["сразу"]
    assert replies.sent == 0  # it never went through the queues


async def test_a_request_waits_only_for_the_replies_given_before_it(
    fake: FakeTelegram, wired: tuple[Bot, Replies]
) -> None:
    bot, replies = wired
    chat = person(fake, 806).id
    with collecting(6) as batch:
        for n in range(1, 4):
            await later(SendMessage(chat_id=chat, text=f"ответ {n}").as_(bot))
    replies.put(batch)
    notice = asyncio.create_task(bot.send_message(chat, "уведомление"))
    await fake.wait_until(lambda: replies.held(chat))  # the notice waits for the replies
    with collecting(7) as more:  # given after the notice began to wait: they go after it
        await later(SendMessage(chat_id=chat, text="ещё").as_(bot))
    replies.put(more)
    await notice
    await replies.drain(30)
    assert texts_in(fake, chat) == ["ответ 1", "ответ 2", "ответ 3", "уведомление", "ещё"]


async def test_a_task_that_outlives_its_update_sends_at_once(
    fake: FakeTelegram, wired: tuple[Bot, Replies]
) -> None:
    """An album waits for its other parts in a task started by its first update; the task
    inherits that update's context, but the update's replies were already queued."""
    bot, replies = wired
    chat = person(fake, 807).id
    with collecting(8) as batch:
        outliving = asyncio.Event()

        async def album() -> None:
            await outliving.wait()
            await later(SendMessage(chat_id=chat, text="альбом").as_(bot))

        task = asyncio.create_task(album())
    replies.put(batch)
    outliving.set()
    await task
    assert texts_in(fake, chat) == ["альбом"]

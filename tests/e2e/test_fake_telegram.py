"""The fake Telegram Bot API server, driven by a real aiogram client and Dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    RestartingTelegram,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.methods import GetChatMenuButton, TelegramMethod
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    ReplyParameters,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from tests.e2e.telegram import (
    ButtonNotFound,
    FakeClock,
    FakeTelegram,
    RateLimits,
    formatting,
    tiny_png,
)

pytestmark = pytest.mark.e2e


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def bot(fake_telegram_server: FakeTelegram) -> AsyncIterator[Bot]:
    api = TelegramAPIServer.from_base(fake_telegram_server.base_url)
    client = Bot(fake_telegram_server.token, session=AiohttpSession(api=api))
    yield client
    await client.session.close()


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=label.lower())] for label in labels
        ]
    )


@contextlib.asynccontextmanager
async def polling(telegram: FakeTelegram, bot: Bot, router: Router) -> AsyncIterator[None]:
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    before = telegram.arrivals["getupdates"]
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot, polling_timeout=1, handle_signals=False, close_bot_session=False
        )
    )
    await telegram.wait_for_arrival("getUpdates", before + 1)
    try:
        yield
    finally:
        await dispatcher.stop_polling()
        await task


# --- aiogram round trips ---


async def test_get_me(telegram: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.id == telegram.bot.id
    assert me.username == "otklik_test_bot"


async def test_send_message_with_keyboard_then_edits(telegram: FakeTelegram, bot: Bot) -> None:
    anna = telegram.people.create("Анна")
    anna.start()
    sent = await bot.send_message(anna.id, "Выберите", reply_markup=keyboard("Да", "Нет"))
    assert sent.chat.type == "private"
    assert sent.reply_markup is not None
    assert anna.last_bot_message() is not None
    assert anna.last_bot_message().labels == [["Да"], ["Нет"]]  # type: ignore[union-attr]

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Выберите",
            chat_id=anna.id,
            message_id=sent.message_id,
            reply_markup=keyboard("Да", "Нет"),
        )
    edited = await bot.edit_message_text("Спасибо", chat_id=anna.id, message_id=sent.message_id)
    assert isinstance(edited, Message)
    assert edited.reply_markup is None
    assert edited.edit_date is not None
    view = anna.bot_messages()[-1]
    assert (view.text, view.buttons, view.edited) == ("Спасибо", (), True)

    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new message"):
        await bot.edit_message_reply_markup(chat_id=anna.id, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=anna.id, message_id=999)
    assert await bot.delete_message(anna.id, sent.message_id)
    assert anna.bot_messages() == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(anna.id, sent.message_id)


async def test_photo_upload_get_file_and_download(telegram: FakeTelegram, bot: Bot) -> None:
    anna = telegram.people.create()
    anna.start()
    image = tiny_png(3, 2, 7)
    sent = await bot.send_photo(
        anna.id, BufferedInputFile(image, "photo.png"), caption="<b>Фото</b>", parse_mode="HTML"
    )
    assert sent.photo is not None
    assert (sent.photo[-1].width, sent.photo[-1].height) == (3, 2)
    assert sent.caption == "Фото"
    assert sent.caption_entities is not None
    assert sent.caption_entities[0].type == "bold"
    file = await bot.get_file(sent.photo[-1].file_id)
    assert file.file_path
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None
    assert downloaded.read() == image
    assert anna.bot_messages()[-1].files[0].data == image

    again = await bot.send_photo(anna.id, sent.photo[-1].file_id)
    assert again.photo is not None
    assert again.photo[-1].file_id == sent.photo[-1].file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(anna.id, "no-such-file-id")


async def test_media_group_copy_and_forward(telegram: FakeTelegram, bot: Bot) -> None:
    anna = telegram.people.create("Анна")
    boris = telegram.people.create("Борис")
    anna.start()
    boris.start()
    album = await bot.send_media_group(
        anna.id,
        [
            InputMediaPhoto(media=BufferedInputFile(tiny_png(shade=1), "1.png"), caption="Два"),
            InputMediaPhoto(media=BufferedInputFile(tiny_png(shade=2), "2.png")),
        ],
    )
    assert len(album) == 2
    assert album[0].media_group_id is not None
    assert album[0].media_group_id == album[1].media_group_id
    assert [m.caption for m in anna.bot_messages()] == ["Два", None]

    copied = await bot.copy_message(boris.id, anna.id, album[0].message_id)
    shown = boris.bot_messages()
    assert [m.message_id for m in shown] == [copied.message_id]
    assert shown[0].caption == "Два"
    assert shown[0].forward_origin is None

    text = await bot.send_message(anna.id, "Текст")
    forwarded = await bot.forward_message(boris.id, anna.id, text.message_id)
    assert isinstance(forwarded.forward_origin, MessageOriginUser)
    assert forwarded.forward_origin.sender_user.id == telegram.bot.id


async def test_commands(telegram: FakeTelegram, bot: Bot) -> None:
    commands = [
        BotCommand(command="start", description="Начать"),
        BotCommand(command="help", description="Помощь"),
    ]
    assert await bot.set_my_commands(commands)
    pairs = [(c.command, c.description) for c in commands]
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == pairs
    assert [(c["command"], c["description"]) for c in telegram.commands()] == pairs
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


async def test_answer_callback_query_once(telegram: FakeTelegram, bot: Bot) -> None:
    anna = telegram.people.create()
    anna.start()
    await bot.send_message(anna.id, "Вопрос", reply_markup=keyboard("Ок"))
    press = anna.press("Ок")
    assert press.data == "ок"
    assert await bot.answer_callback_query(press.query_id, text="Принято", show_alert=True)
    assert anna.last_alert == "Принято"
    assert press.answer is not None
    assert press.answer.show_alert
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(press.query_id)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("12345")

    late = anna.press("Ок")
    telegram.clock.advance(16 * 60)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(late.query_id)


async def test_telegram_limits_on_content(telegram: FakeTelegram, bot: Bot) -> None:
    anna = telegram.people.create()
    anna.start()
    telegram.limits.enabled = False
    assert (await bot.send_message(anna.id, "я" * 4096)).text == "я" * 4096
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(anna.id, "я" * 4097)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(anna.id, BufferedInputFile(tiny_png(), "p.png"), caption="x" * 1025)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(
            anna.id,
            "x",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="я" * 33)]]
            ),
        )
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(anna.id, "   ")
    assert len(anna.bot_messages()) == 1


async def test_formatting(telegram: FakeTelegram, bot: Bot) -> None:
    anna = telegram.people.create()
    anna.start()
    html = await bot.send_message(
        anna.id, '<b>Жирный</b> и <a href="https://t.me/x">ссылка</a> &lt;3', parse_mode="HTML"
    )
    assert html.text == "Жирный и ссылка <3"
    assert [(e.type, e.offset, e.length) for e in html.entities or []] == [
        ("bold", 0, 6),
        ("text_link", 9, 6),
    ]
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await bot.send_message(anna.id, "a < b", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Can't find end tag"):
        await bot.send_message(anna.id, "<b>open", parse_mode="HTML")
    md = await bot.send_message(anna.id, r"*Итог*: 5\.0", parse_mode="MarkdownV2")
    assert md.text == "Итог: 5.0"
    with pytest.raises(TelegramBadRequest, match=r"Character '\.' is reserved"):
        await bot.send_message(anna.id, "Итог: 5.0", parse_mode="MarkdownV2")


def test_parse_modes() -> None:
    text, entities = formatting.parse(
        '<b>a<i>b</i></b> <pre><code class="language-py">x</code></pre>', "HTML"
    )
    assert text == "ab x"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 1, "length": 1},
        {"type": "pre", "offset": 3, "length": 1, "language": "py"},
    ]
    text, entities = formatting.parse("[сайт](https://example.com/a\\)b) __u__", "MarkdownV2")
    assert text == "сайт u"
    assert entities[0] == {
        "type": "text_link",
        "offset": 0,
        "length": 4,
        "url": "https://example.com/a)b",
    }
    assert entities[1]["type"] == "underline"
    assert formatting.parse("*b* _i_ `c`", "Markdown") == (
        "b i c",
        [
            {"offset": 0, "length": 1, "type": "bold"},
            {"offset": 2, "length": 1, "type": "italic"},
            {"offset": 4, "length": 1, "type": "code"},
        ],
    )
    with pytest.raises(formatting.ParseError, match="Can't find end of Bold entity"):
        formatting.parse("*open", "MarkdownV2")
    assert formatting.strip("  😀x ", [{"type": "bold", "offset": 2, "length": 3}]) == (
        "😀x",
        [{"type": "bold", "offset": 0, "length": 3}],
    )


async def test_chat_access_rules(telegram: FakeTelegram, bot: Bot) -> None:
    anna = telegram.people.create()
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation"):
        await bot.send_message(anna.id, "Привет")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(123, "Привет")
    anna.start()
    await bot.send_message(anna.id, "Привет")
    anna.block_bot()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(anna.id, "Привет")
    anna.start()
    await bot.send_chat_action(anna.id, "typing")
    assert anna.chat_actions == ["typing"]
    chat = await bot.get_chat(anna.id)
    assert chat.type == "private"
    sent = await bot.send_message(anna.id, "Закреп")
    assert await bot.pin_chat_message(anna.id, sent.message_id)
    assert anna.pinned == [sent.message_id]
    assert await bot.unpin_chat_message(anna.id)
    assert anna.pinned == []

    group = anna.add_bot_to_group("Сотрудники", supergroup=True)
    posted = await bot.send_message(group.id, "Новое обращение", reply_markup=keyboard("Взять"))
    assert posted.chat.type == "supergroup"
    press = anna.press("Взять", chat=group)
    assert (press.message.chat_id, press.data) == (group.id, "взять")
    anna.remove_bot_from_group(group)
    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the supergroup chat"):
        await bot.send_message(group.id, "Ещё")


async def test_unknown_method_and_wrong_token(telegram: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramNotFound, match="Not Found"):
        await bot(GetChatMenuButton())
    stranger = Bot(
        "42:wrong", session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.base_url))
    )
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    finally:
        await stranger.session.close()


# --- a real Dispatcher polling the fake ---


async def test_polling_start_and_press_by_label(telegram: FakeTelegram, bot: Bot) -> None:
    router = Router()
    payloads: list[str | None] = []

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        payloads.append(command.args)
        await message.answer("Добро пожаловать", reply_markup=keyboard("Да", "Нет"))

    @router.callback_query(F.data == "да")
    async def yes(query: CallbackQuery) -> None:
        await query.answer("Записано", show_alert=True)
        assert isinstance(query.message, Message)
        await query.message.edit_text("Вы ответили «Да»")

    async with polling(telegram, bot, router):
        anna = telegram.people.create()
        anna.start("ref-42")
        welcome = await anna.wait_for("Добро пожаловать")
        assert welcome.labels == [["Да"], ["Нет"]]
        press = anna.press("Да")
        answer = await press.answered()
        assert (answer.text, answer.show_alert) == ("Записано", True)
        edited = await anna.wait_for("Вы ответили")
        assert edited.message_id == welcome.message_id
        assert edited.buttons == ()
        assert anna.last_alert == "Записано"
        with pytest.raises(ButtonNotFound, match="has no button 'Нет' now"):
            anna.press("Нет", message=welcome)
        with pytest.raises(ButtonNotFound, match="shows a button 'Да'"):
            anna.press("Да")
    assert payloads == ["ref-42"]


async def test_polling_album_split_across_batches(telegram: FakeTelegram, bot: Bot) -> None:
    router = Router()
    seen: list[Message] = []

    @router.message(F.photo)
    async def photo(message: Message) -> None:
        seen.append(message)

    async with polling(telegram, bot, router):
        anna = telegram.people.create()
        anna.start()
        album = anna.send_album(3, caption="Яма во дворе", split_after=2)
        await telegram.wait_until(lambda: len(seen) == 3)
    assert {m.media_group_id for m in seen} == {album[0].media_group_id}
    assert seen[0].caption == "Яма во дворе"
    batches = [
        [u["message"]["message_id"] for u in call.result if "message" in u]
        for call in telegram.calls_to("getUpdates")
        if call.ok and call.result
    ]
    photo_ids = [m.message_id for m in album]
    assert [[i for i in b if i in photo_ids] for b in batches if set(b) & set(photo_ids)] == [
        photo_ids[:2],
        photo_ids[2:],
    ]


async def test_polling_forward_origins(telegram: FakeTelegram, bot: Bot) -> None:
    router = Router()
    origins: list[Any] = []

    @router.message(F.forward_origin)
    async def forwarded(message: Message) -> None:
        origins.append(message.forward_origin)

    async with polling(telegram, bot, router):
        anna = telegram.people.create()
        boris = telegram.people.create("Борис", "Петров")
        channel = telegram.people.channel("Новости района", "district_news")
        group = anna.add_bot_to_group("Жители", supergroup=True)
        anna.start()
        anna.forward_from_channel(channel, "Пост о дороге")
        anna.forward_from_user(boris, "Сообщение Бориса")
        anna.forward_from_hidden_user("Скрытый Житель", "Скрытое")
        anna.forward_from_chat(group, "От имени чата")
        await telegram.wait_until(lambda: len(origins) == 4)
    channel_origin, user_origin, hidden_origin, chat_origin = origins
    assert isinstance(channel_origin, MessageOriginChannel)
    assert channel_origin.chat.id == channel.id
    assert channel_origin.chat.username == "district_news"
    assert channel_origin.message_id == channel.messages()[0].message_id
    assert isinstance(user_origin, MessageOriginUser)
    assert user_origin.sender_user.id == boris.id
    assert isinstance(hidden_origin, MessageOriginHiddenUser)
    assert hidden_origin.sender_user_name == "Скрытый Житель"
    assert isinstance(chat_origin, MessageOriginChat)
    assert chat_origin.sender_chat.id == group.id


async def test_polling_groups_blocks_and_odd_updates(telegram: FakeTelegram, bot: Bot) -> None:
    router = Router()
    texts: list[str] = []
    members: list[ChatMemberUpdated] = []

    @router.message(F.text)
    async def text(message: Message) -> None:
        texts.append(message.text or "")

    @router.my_chat_member()
    async def member(update: ChatMemberUpdated) -> None:
        members.append(update)

    async with polling(telegram, bot, router):
        anna = telegram.people.create()
        anna.start()
        group = anna.add_bot_to_group("Жители")
        anna.post(group, "Привет, группа")
        telegram.faults.reorder_updates(2)
        anna.send("один")
        anna.send("два")
        telegram.faults.duplicate_updates(1)
        anna.send("дубль")
        anna.block_bot()
        await telegram.wait_until(lambda: len(members) == 2 and texts.count("дубль") == 2)
    assert texts == ["/start", "Привет, группа", "два", "один", "дубль", "дубль"]
    assert [(m.chat.type, m.new_chat_member.status) for m in members] == [
        ("group", "member"),
        ("private", "kicked"),
    ]


# --- limits and faults ---


async def test_sender_ignoring_429_loses_messages(telegram: FakeTelegram, bot: Bot) -> None:
    anna = telegram.people.create()
    anna.start()
    lost: list[tuple[int, int]] = []
    for i in range(5):
        try:
            await bot.send_message(anna.id, f"m{i}")
        except TelegramRetryAfter as e:
            lost.append((i, e.retry_after))
    assert lost == [(3, 1), (4, 1)]
    assert [m.text for m in anna.bot_messages()] == ["m0", "m1", "m2"]
    assert [(h.chat_id, h.scope) for h in telegram.limits.hits] == [(anna.id, "chat")] * 2
    assert telegram.limits.sent_by_chat[anna.id] == 3
    telegram.clock.advance(1)
    await bot.send_message(anna.id, "m5")
    assert anna.bot_messages()[-1].text == "m5"


def test_rate_limits_group_and_global() -> None:
    clock = FakeClock()
    limits = RateLimits(clock)
    for _ in range(20):
        assert limits.check("sendMessage", -1, "group") is None
        clock.advance(1.0)
    hit = limits.check("sendMessage", -1, "group")
    assert hit is not None
    assert hit.scope == "group"
    assert 30 <= hit.retry_after <= 41
    clock.advance(hit.retry_after)
    assert limits.check("sendMessage", -1, "group") is None

    limits.reset()
    for chat in range(30):
        assert limits.check("sendMessage", chat, "private") is None
    hit = limits.check("sendMessage", 99, "private")
    assert hit is not None
    assert (hit.scope, hit.retry_after) == ("global", 1)
    limits.enabled = False
    assert limits.check("sendMessage", 99, "private") is None


@pytest.mark.parametrize(
    ("inject", "error", "check"),
    [
        (lambda f: f.retry_after(7), TelegramRetryAfter, lambda e: e.retry_after == 7),
        (lambda f: f.server_error(), TelegramServerError, lambda e: "Internal" in e.message),
        (lambda f: f.bad_gateway(), TelegramServerError, lambda e: e.message == "Bad Gateway"),
        (lambda f: f.restarting(), RestartingTelegram, lambda e: "restart" in e.message),
        (lambda f: f.blocked(), TelegramForbiddenError, lambda e: "blocked" in e.message),
        (lambda f: f.conflict(method=None), TelegramConflictError, lambda e: True),
        (lambda f: f.drop_connection(), TelegramNetworkError, lambda e: True),
    ],
    ids=["429", "500", "502", "restart", "403", "409", "drop"],
)
async def test_injected_faults_reach_aiogram(
    telegram: FakeTelegram, bot: Bot, inject: Any, error: type[TelegramAPIError], check: Any
) -> None:
    anna = telegram.people.create()
    anna.start()
    rule = inject(telegram.faults)
    with pytest.raises(error) as raised:
        await bot.send_message(anna.id, "lost")
    assert check(raised.value)
    assert rule.hits == 1
    assert anna.bot_messages() == []
    await bot.send_message(anna.id, "kept")
    assert [m.text for m in anna.bot_messages()] == ["kept"]


async def test_fault_targeting_and_slow_replies(telegram: FakeTelegram, bot: Bot) -> None:
    anna = telegram.people.create()
    boris = telegram.people.create()
    anna.start()
    boris.start()
    telegram.faults.server_error(method="sendMessage", chat_id=boris.id, times=2)
    await bot.send_message(anna.id, "a")
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(boris.id, "b")
    await bot.send_message(boris.id, "b")
    assert [c.status for c in telegram.calls_to("sendMessage")] == [200, 500, 500, 200]

    telegram.faults.slow(1.5, method="sendMessage")
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(anna.id, "late", request_timeout=1)
    late = await anna.wait_for("late")
    assert late.from_bot


async def test_get_updates_conflicts(telegram: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await telegram.wait_for_arrival("getUpdates", telegram.arrivals["getupdates"] + 1)
    assert await bot.get_updates(timeout=0) == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await first
    assert await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/hook"
    assert await bot.delete_webhook(drop_pending_updates=True)


# --- webhook ---


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_webhook_secret_retries_and_reply_method(telegram: FakeTelegram, bot: Bot) -> None:
    router = Router()

    @router.message(Command("ping"))
    async def ping(message: Message) -> TelegramMethod[Any]:
        return message.answer("pong")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    app = web.Application()
    SimpleRequestHandler(
        dispatcher, bot, handle_in_background=False, secret_token="right-secret"
    ).register(app, "/hook")
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    try:
        assert await bot.set_webhook(url, secret_token="wrong-secret")
        anna = telegram.people.create()
        anna.start()
        anna.send("/ping")
        await telegram.wait_until(
            lambda: any(d.error == "Connection refused" for d in telegram.deliveries)
        )
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await telegram.wait_until(lambda: any(d.status == 401 for d in telegram.deliveries))
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 2
        assert info.last_error_message == "Wrong response from the webhook: 401 Unauthorized"

        assert await bot.set_webhook(url, secret_token="right-secret")
        pong = await anna.wait_for("pong")
        assert pong.from_bot
        assert telegram.deliveries[-1].secret_token == "right-secret"
        assert [d.reply_method for d in telegram.deliveries if d.ok] == [None, "sendMessage"]
        assert telegram.calls_to("sendMessage")[-1].via == "webhook"
        await telegram.wait_until(lambda: not telegram.state.pending)
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


async def test_webhook_json_reply_and_header(telegram: FakeTelegram, bot: Bot) -> None:
    anna = telegram.people.create()
    anna.start()
    headers: list[str | None] = []

    async def hook(request: web.Request) -> web.Response:
        headers.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        update = await request.json()
        chat_id = update["message"]["chat"]["id"]
        return web.json_response({"method": "sendMessage", "chat_id": chat_id, "text": "json"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="abc_1-2")
        assert (await anna.wait_for("json")).from_bot
        assert headers == ["abc_1-2"]
        assert telegram.calls_to("sendMessage")[-1].via == "webhook"
    finally:
        await bot.delete_webhook(drop_pending_updates=True)
        await runner.cleanup()


async def test_raw_http_protocol(telegram: FakeTelegram) -> None:
    anna = telegram.people.create()
    anna.start()
    base = f"{telegram.base_url}/bot{telegram.token}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/getMe") as response:
            assert response.status == 200
            assert (await response.json())["result"]["is_bot"] is True
        async with http.get(f"{base}/sendmessage", params={"chat_id": anna.id, "text": "g"}) as r:
            assert (await r.json())["result"]["text"] == "g"
        payload = {
            "chat_id": anna.id,
            "text": "j",
            "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
        }
        async with http.post(f"{base}/sendMessage", json=payload) as response:
            assert (await response.json())["result"]["reply_markup"]["inline_keyboard"]
        async with http.post(f"{base}/logOut") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with http.get(f"{telegram.base_url}/bot1:x/getMe") as response:
            assert response.status == 401
            assert (await response.json())["description"] == "Unauthorized"
        async with http.get(f"{telegram.base_url}/file/bot{telegram.token}/nope") as response:
            assert response.status == 404
    assert [m.text for m in anna.bot_messages()] == ["g", "j"]
    assert [c.status for c in telegram.calls] == [200, 200, 200, 404]
    assert telegram.calls[2].params["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"


async def test_get_updates_offset_limit_long_poll(telegram: FakeTelegram, bot: Bot) -> None:
    anna = telegram.people.create()
    anna.start()
    anna.send("a")
    first = await bot.get_updates(limit=1)
    assert [u.message.text for u in first if u.message] == ["/start"]
    second = await bot.get_updates(offset=first[0].update_id + 1, limit=10)
    assert [u.message.text for u in second if u.message] == ["a"]
    offset = second[-1].update_id + 1
    assert await bot.get_updates(offset=offset) == []

    loop = asyncio.get_running_loop()
    started = loop.time()
    waiting = asyncio.create_task(bot.get_updates(offset=offset, timeout=5))
    await telegram.wait_for_arrival("getUpdates", telegram.arrivals["getupdates"] + 1)
    anna.send("b")
    woke = await waiting
    assert [u.message.text for u in woke if u.message] == ["b"]
    assert loop.time() - started < 2

    anna.send("c")
    offset = woke[-1].update_id + 1
    assert await bot.get_updates(offset=offset, allowed_updates=["callback_query"]) == []
    anna.send("d")
    rest = await bot.get_updates(offset=offset, allowed_updates=[])
    assert [u.message.text for u in rest if u.message] == ["d"]


async def test_media_captions_and_replies(telegram: FakeTelegram, bot: Bot) -> None:
    anna = telegram.people.create()
    anna.start()
    telegram.limits.enabled = False
    doc = await bot.send_document(
        anna.id, BufferedInputFile(b"report", "report.pdf"), caption="Отчёт"
    )
    assert doc.document is not None
    assert (doc.document.file_name, doc.document.mime_type) == ("report.pdf", "application/pdf")
    video = await bot.send_video(anna.id, BufferedInputFile(b"\x00video", "v.mp4"), duration=3)
    assert video.video is not None
    assert video.video.duration == 3
    edited = await bot.edit_message_caption(
        chat_id=anna.id, message_id=doc.message_id, caption="Отчёт v2"
    )
    assert isinstance(edited, Message)
    assert edited.caption == "Отчёт v2"
    text = await bot.send_message(anna.id, "Текст")
    with pytest.raises(TelegramBadRequest, match="no caption in the message to edit"):
        await bot.edit_message_caption(chat_id=anna.id, message_id=text.message_id, caption="x")
    reply = await bot.send_message(
        anna.id, "Ответ", reply_parameters=ReplyParameters(message_id=text.message_id)
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == text.message_id
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(anna.id, "x", reply_parameters=ReplyParameters(message_id=999))
    assert [(m.content, m.reply_to_message_id) for m in anna.bot_messages()] == [
        ("Отчёт v2", None),
        ("", None),
        ("Текст", None),
        ("Ответ", text.message_id),
    ]


async def test_polling_people_media_reach_the_bot(telegram: FakeTelegram, bot: Bot) -> None:
    router = Router()
    got: list[Message] = []

    @router.message()
    async def any_message(message: Message) -> None:
        got.append(message)

    async with polling(telegram, bot, router):
        anna = telegram.people.create()
        anna.start()
        question = await bot.send_message(anna.id, "Опишите проблему")
        image = tiny_png(4, 4, 99)
        anna.send_photo(image, caption="Фото ямы")
        anna.send_document(b"%PDF-1.4 x", "plan.pdf", caption="План")
        anna.reply(question.message_id, "Яма у дома 5")
        await telegram.wait_until(lambda: len(got) == 4)
    photo, document, reply = got[1:]
    assert photo.photo is not None
    assert photo.caption == "Фото ямы"
    downloaded = await bot.download(photo.photo[-1].file_id)
    assert downloaded is not None
    assert downloaded.read() == image
    assert document.document is not None
    assert document.document.file_name == "plan.pdf"
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == question.message_id


async def test_probability_faults_are_seeded(telegram: FakeTelegram, bot: Bot) -> None:
    anna = telegram.people.create()
    anna.start()
    telegram.limits.enabled = False
    rule = telegram.faults.server_error(method="sendMessage", probability=0.5)
    failed = 0
    for i in range(12):
        try:
            await bot.send_message(anna.id, str(i))
        except TelegramServerError:
            failed += 1
    assert 0 < failed < 12
    assert rule.hits == failed
    assert len(anna.bot_messages()) == 12 - failed

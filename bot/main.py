"""The composition root: settings, clock, calendar and Telegram wired together."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand

from bot.clock import SystemClock
from bot.config import Settings
from bot.rulers import build_rulers
from handlers import get_routers, texts

log = logging.getLogger("otklik")

TOKEN_ENV = "BOT_TOKEN"


def build_dispatcher(settings: Settings) -> Dispatcher:
    dp = Dispatcher(
        settings=settings,
        clock=SystemClock(),
        profile=settings.profile(),
        rulers=build_rulers(settings),
    )
    dp.include_routers(*get_routers())
    return dp


async def _serve(settings: Settings, token: str) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api_base))
    bot = Bot(token=token, session=session)
    dp = build_dispatcher(settings)
    try:
        me = await bot.get_me()
        log.info(
            "bot @%s started for %s (profile %s)",
            me.username,
            settings.organization.name,
            settings.organization.profile,
        )
        await bot.set_my_commands(
            [BotCommand(command=c, description=d) for c, d in texts.COMMANDS.items()]
        )
        await dp.start_polling(
            bot, polling_timeout=settings.telegram.polling_timeout, handle_signals=True
        )
    finally:
        await bot.session.close()


def run_bot(settings: Settings) -> int:
    logging.basicConfig(
        level=settings.logging.level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(f"error: set the bot token in the {TOKEN_ENV} environment variable", file=sys.stderr)
        return 2
    asyncio.run(_serve(settings, token))
    return 0

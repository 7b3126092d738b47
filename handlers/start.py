"""The first contact with the bot."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from handlers import texts


def make_router() -> Router:
    router = Router(name="start")
    router.message.filter(F.chat.type == "private")

    @router.message(CommandStart())
    async def on_start(message: Message) -> None:
        await message.answer(texts.GREETING)

    @router.message(Command("help"))
    async def on_help(message: Message) -> None:
        await message.answer(texts.HELP)

    return router

"""Every request to Telegram keeps its limits: a session middleware, so handlers' replies and
the sender's notices share one budget (about 30 messages a second overall, a short burst then
one a second per private chat, 20 a minute per group) and a 429 is waited out, not lost."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiolimiter import AsyncLimiter

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.replies import Replies

log = logging.getLogger("otklik.throttle")

COUNTED = frozenset(
    {
        "SendMessage",
        "SendPhoto",
        "SendVideo",
        "SendDocument",
        "SendMediaGroup",
        "SendAnimation",
        "CopyMessage",
        "ForwardMessage",
        "EditMessageText",
        "EditMessageCaption",
        "EditMessageReplyMarkup",
    }
)
MAX_RETRIES = 5


class Throttle(BaseRequestMiddleware):
    def __init__(
        self,
        overall_per_second: float = 28,
        private_burst: int = 3,
        group_per_minute: int = 20,
        overall_burst: int = 2,
        replies: Replies | None = None,
    ) -> None:
        self.replies = replies
        """The chats' queues of replies: a request to a chat goes after what is queued there."""
        # Telegram counts messages in any rolling second. A leaky bucket lets its capacity plus
        # its rate through in one second, so the overall bucket holds only `overall_burst`:
        # 2 + 28 = 30 at most (a bucket of 28 let ~56 through and met 429s: bench_delivery).
        self.overall = AsyncLimiter(overall_burst, overall_burst / overall_per_second)
        self._private: dict[int, AsyncLimiter] = defaultdict(
            lambda: AsyncLimiter(private_burst, private_burst)
        )
        self._group: dict[int, AsyncLimiter] = defaultdict(
            # One at a time, evenly spaced: a full bucket would let twice the limit through
            # in one rolling minute.
            lambda: AsyncLimiter(1, 60 / group_per_minute)
        )

    def _chat_limiter(self, chat_id: Any) -> AsyncLimiter | None:
        if not isinstance(chat_id, int):
            return None
        return self._private[chat_id] if chat_id > 0 else self._group[chat_id]

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = type(method).__name__
        if name not in COUNTED:
            return await make_request(bot, method)
        chat_id = getattr(method, "chat_id", None)
        if self.replies is None:
            return await self._limited(make_request, bot, method, chat_id)
        async with self.replies.turn(chat_id):
            return await self._limited(make_request, bot, method, chat_id)

    async def _limited(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
        chat_id: Any,
    ) -> Response[TelegramType]:
        name = type(method).__name__
        chat = self._chat_limiter(chat_id)
        for attempt in range(MAX_RETRIES + 1):
            await self.overall.acquire()
            if chat is not None:
                await chat.acquire()
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == MAX_RETRIES:
                    raise
                log.warning("429 on %s: waiting %s s", name, exc.retry_after)
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")

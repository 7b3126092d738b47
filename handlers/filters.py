"""Filters checked in the event loop.

aiogram runs a filter or handler that is a plain callable (a magic filter such as
`F.text`, a bare `State`) in a thread (`asyncio.to_thread`), for every handler it tries: a text
message tried a dozen of them, each a hop to a thread and back. `When` and aiogram's own
`StateFilter` are `Filter`s, which it awaits where it is."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject
from magic_filter import MagicFilter


class When(Filter):
    """The event matches a magic filter (`When(F.text)`, `When(F.chat.type == "private")`)."""

    __slots__ = ("rule",)

    def __init__(self, rule: MagicFilter) -> None:
        self.rule = rule

    async def __call__(self, event: TelegramObject) -> bool:
        return bool(self.rule.resolve(event))

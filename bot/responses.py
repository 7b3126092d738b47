"""Every answer from Telegram is parsed into `Response[T]`, a pydantic generic model that aiogram
asks for on each request (`BaseSession.check_response`). Pydantic keeps such models only weakly,
so once the garbage collector has taken the last one it is built again, schema and validator,
at a few milliseconds a request: in the whole-bot bench that was an eighth of the bot's CPU.
Building each kind once at start (41 kinds, ~45 ms, ~2 MiB) and keeping them makes it a lookup."""

from __future__ import annotations

from typing import Any

import aiogram.methods
from aiogram.methods import Response, TelegramMethod

_KEPT: dict[str, Any] = {}


def keep_response_models() -> int:
    """Build `Response[T]` for every result type of the Bot API methods and keep it alive."""
    for name in dir(aiogram.methods):
        method = getattr(aiogram.methods, name)
        if not (isinstance(method, type) and issubclass(method, TelegramMethod)):
            continue
        if method is TelegramMethod:  # the base: its result type is a property, not a type
            continue
        returning = method.__dict__.get("__returning__")
        if returning is not None and repr(returning) not in _KEPT:
            _KEPT[repr(returning)] = Response[returning]  # type: ignore[valid-type]
    return len(_KEPT)

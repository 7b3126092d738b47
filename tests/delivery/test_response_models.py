"""Telegram's answers are parsed without building a model per request (bot/responses.py)."""

from __future__ import annotations

import gc
import weakref

from aiogram.methods import EditMessageText, GetUpdates, Response, SendMessage

from bot.responses import keep_response_models


def _alive_after_collection() -> list[bool]:
    refs = [
        weakref.ref(Response[m.__returning__])  # type: ignore[name-defined]
        for m in (SendMessage, EditMessageText, GetUpdates)
    ]
    gc.collect()
    return [ref() is not None for ref in refs]


def test_response_models_outlive_the_garbage_collector() -> None:
    kinds = keep_response_models()
    assert kinds >= 30  # every result type of the Bot API methods, not a handful
    assert _alive_after_collection() == [True, True, True]
    assert keep_response_models() == kinds  # a second call builds nothing new

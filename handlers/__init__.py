"""The Telegram face: routers built by functions, so each dispatcher gets fresh ones."""

from __future__ import annotations

from aiogram import Router

from handlers import start


def get_routers() -> list[Router]:
    return [start.make_router()]

"""The Telegram face: routers built by functions, so each dispatcher gets fresh ones."""

from __future__ import annotations

from aiogram import Router

from handlers import admin, answers, cards, intake, lists, reports, start
from handlers.access import StaffMiddleware


def get_routers() -> list[Router]:
    """In order: commands, card presses and text inputs, new posts, and strangers last."""
    return [
        start.make_router(),
        admin.make_router(),
        lists.make_router(),
        answers.make_router(),
        cards.make_router(),
        reports.make_router(),
        intake.make_router(),
        start.make_stranger_router(),
        start.make_membership_router(),
    ]


def staff_middleware() -> StaffMiddleware:
    return StaffMiddleware()

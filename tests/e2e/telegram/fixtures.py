"""Pytest fixtures: import them into a conftest (`from tests.e2e.telegram.fixtures import *`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .server import FakeTelegram

__all__ = ["fake_telegram_server", "telegram"]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def fake_telegram_server() -> AsyncIterator[FakeTelegram]:
    """One fake server for the session, in the session event loop, on a free port."""
    fake = FakeTelegram()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def telegram(fake_telegram_server: FakeTelegram) -> AsyncIterator[FakeTelegram]:
    """The session's fake server, reset before and after the test."""
    fake_telegram_server.reset()
    try:
        yield fake_telegram_server
    finally:
        fake_telegram_server.reset()

"""Delivery fixtures: the storage tests' databases (a migrated SQLite file, and a PostgreSQL
server whose migrated template database is copied per test) and a fake Telegram Bot API server
started for each test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.e2e.telegram import FakeTelegram
from tests.storage.conftest import (
    pg_server,
    pg_template,
    postgres_url,
    sqlite_template,
    sqlite_url,
)

__all__ = [
    "fake",
    "pg_server",
    "pg_template",
    "postgres_url",
    "sqlite_template",
    "sqlite_url",
]


@pytest_asyncio.fixture(loop_scope="session")
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()

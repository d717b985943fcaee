"""Fixtures for the Telegram channel: the fake Bot API and the real bot against it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.channels.harness import BotUnderTest
from tests.fakes.bot_api import FakeBotApi, RateLimits


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(rate_limits=RateLimits(private_enabled=False)) as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotApi, sqlite_url: str) -> AsyncIterator[BotUnderTest]:
    under_test = BotUnderTest(api, sqlite_url)
    await under_test.start()
    try:
        yield under_test
    finally:
        await under_test.stop()

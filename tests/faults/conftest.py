"""Fixtures for the fault tests: the fake Bot API without flood control, and a crowd of users.

Flood control is tested elsewhere (tests/channels); here it would only slow the crowds down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.bot_api import FakeBotApi, RateLimits

NO_FLOOD_CONTROL = RateLimits(global_per_second=100_000, private_enabled=False)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """The fake Bot API on a free loopback port, answering everything at once."""
    async with FakeBotApi(rate_limits=NO_FLOOD_CONTROL) as server:
        yield server

"""One send budget for replies and bulk: Telegram's 30 messages per second are never exceeded.

Issue item 5: replies were paced by one limiter and broadcasts by another, and together they
could exceed Telegram's limit. The fake Bot API counts send requests per sliding one-second
window as Telegram does (`FakeBotApi.busiest_second`) and answers 429 past 30.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.programme.actors import Actor
from bot.programme.broadcasts import create
from bot.scheduling.rate import Limits
from bot.scheduling.runner import start_scheduler
from tests.channels.harness import BotUnderTest
from tests.fakes.bot_api import FakeBotApi, RateLimits

TESTER = Actor.terminal("test")
"""Who creates the broadcasts here (an admin at the terminal)."""

TELEGRAM = Limits(per_second=25, private_per_second=0)  # the default rate, as `sdgbot run`


@pytest.mark.slow
async def test_three_hundred_people_and_a_broadcast_stay_under_thirty_a_second(
    tmp_path: Path,
) -> None:
    async with FakeBotApi(rate_limits=RateLimits(private_enabled=False)) as api:
        bot = BotUnderTest(api, f"sqlite:///{tmp_path / 'bot.db'}", limits=TELEGRAM)
        await bot.start()
        try:
            people = [api.user(20_000 + n, first_name=f"P{n}", language_code="fr")
                      for n in range(300)]  # fmt: skip
            for person in people:  # all at once
                api.push_command(person, "/start")
            await bot.settle(timeout=90)
            assert all(api.messages_to(person) for person in people)
            assert bot.channel is not None and bot.service is not None
            now = datetime.now(UTC)
            await create(bot.service.store, TESTER, texts={"fr": "Rapport financier : 30 juin"},
                         audience=["all"], at=now, now=now,
                         ignore_quiet=True)  # fmt: skip
            sent_before = api.stats.count("sendMessage")
            scheduler = await start_scheduler(
                bot.service, bot.channel, bot.settings, send_every=0.1, pacer=bot.channel.limiter
            )
            try:
                # While the broadcast goes out, people keep writing, 20 a second: the bot is
                # not busy all the time, so bulk sends slip in between replies.
                for person in people[:160]:
                    api.push_command(person, "/help")
                    await asyncio.sleep(0.05)
                deadline = asyncio.get_running_loop().time() + 90
                while api.stats.count("sendMessage") < sent_before + 300 + 160:
                    assert asyncio.get_running_loop().time() < deadline, "not all sent"
                    await asyncio.sleep(0.2)
                await bot.settle(timeout=60)
            finally:
                await scheduler.stop()
            broadcast = [m for p in people for m in api.messages_to(p)
                         if "Rapport financier" in m.plain]  # fmt: skip
            assert len(broadcast) == 300
            assert all(len(api.messages_to(p)) >= 3 for p in people[:160])
        finally:
            await bot.stop()
        assert api.busiest_second() <= 30
        assert api.stats.too_many_requests == 0

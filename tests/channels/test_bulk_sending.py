"""`sdgbot run` sends broadcasts through the Telegram channel: the outbox's transport, for real."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.programme.actors import Actor
from bot.programme.broadcasts import create
from bot.scheduling.runner import start_scheduler
from tests.channels.harness import BotUnderTest
from tests.fakes.bot_api import FakeBotApi

TESTER = Actor.terminal("test")
"""Who creates the broadcasts here (an admin at the terminal)."""


async def test_a_broadcast_reaches_each_user_once_in_their_language(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        bot = BotUnderTest(api, f"sqlite:///{tmp_path / 'bot.db'}")
        await bot.start()
        try:
            ana = api.user(501, first_name="Ana", language_code="fr")
            wim = api.user(502, first_name="Wim", language_code="nl")
            await bot.say(ana, "/start")
            await bot.say(wim, "/start")
            await bot.say(wim, "/lite")
            assert bot.service is not None and bot.channel is not None
            now = datetime.now(UTC)
            planned = await create(
                bot.service.store,
                TESTER,
                texts={
                    "fr": "Rapport financier : <b>30 juin</b>",
                    "nl": "Financieel verslag: <b>30 juni</b>",
                },
                audience=["all"],
                at=now,
                now=now,
                ignore_quiet=True,
            )
            assert planned.recipients == 2
            scheduler = await start_scheduler(
                bot.service, bot.channel, bot.settings, send_every=0.1
            )
            try:
                await api.wait_for(lambda m: "verslag" in m.plain, timeout=10)
                await api.wait_for(lambda m: "Rapport financier" in m.plain, timeout=10)
                await bot.settle()
            finally:
                await scheduler.stop()
            to_ana = [m for m in api.messages_to(ana) if "Rapport financier" in m.plain]
            to_wim = [m for m in api.messages_to(wim) if "verslag" in m.plain]
            assert len(to_ana) == 1 and len(to_wim) == 1
            assert bot.rejected() == []
        finally:
            await bot.stop()

"""401 spells (issue item 2): Telegram refuses the token for a while, then accepts it again.

python-telegram-bot gives up polling for good on a 401 ("Invalid token. Aborting retry loop"),
which left `sdgbot run` up and deaf. The bot must resume by itself: polling retries with
backoff, replies wait, and bulk sends pause without marking anybody failed or blocked.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.channels.telegram import Webhook
from bot.programme.actors import Actor
from bot.programme.broadcasts import create
from bot.scheduling.runner import start_scheduler
from bot.storage.models import OutboxItem
from tests.channels.harness import BotUnderTest
from tests.fakes.bot_api import FakeBotApi

TESTER = Actor.terminal("test")
"""Who creates the broadcasts here (an admin at the terminal)."""


async def test_polling_resumes_after_a_401_spell(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    ama = bot.api.user(3001, language_code="fr")
    assert await bot.say(ama, "/start")
    bot.api.refuse_token(3.0)
    await asyncio.sleep(3.5)  # polled, and refused, several times
    assert bot.api.stats.count("getUpdates", status=401) >= 1
    bot.api.push_text(ama, "1")
    message = await bot.api.wait_for(lambda m: "Comment vous appelez-vous" in m.plain,
                                     timeout=40)  # fmt: skip
    assert message.chat_id == ama.id
    assert not [r for r in caplog.records if r.levelno >= logging.CRITICAL]
    assert not [r for r in caplog.records if "Aborting" in r.getMessage()]
    # Backed off while refused: a few polls, not a tight loop.
    assert bot.api.stats.count("getUpdates", status=401) <= 6


async def test_a_reply_during_a_short_spell_waits_and_goes_out(
    api: FakeBotApi, unused_tcp_port: int, sqlite_url: str
) -> None:
    """Webhook mode: updates still come in; the reply retries until the token is accepted."""
    hooked = BotUnderTest(api, sqlite_url)
    url = f"http://127.0.0.1:{unused_tcp_port}/hook"
    await hooked.start(Webhook("https://bot.example.org/hook", "127.0.0.1", unused_tcp_port))
    try:
        ama = api.user(3002, language_code="fr")
        update = api.push_text(ama, "/start")
        api.updates.drop_pending()
        api.refuse_token(1.0)
        async with httpx.AsyncClient() as client:
            assert (await client.post(url, json=update)).status_code == 200
        message = await api.wait_for(lambda m: "1. Français" in m.plain, timeout=15)
        assert message.chat_id == ama.id
        assert api.stats.count("sendMessage", status=401) >= 1
    finally:
        await hooked.stop()


async def test_bulk_sends_pause_during_a_spell_and_nobody_is_marked_failed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with FakeBotApi() as api:
        bot = BotUnderTest(api, f"sqlite:///{tmp_path / 'bot.db'}")
        await bot.start()
        try:
            people = [api.user(3100 + n, language_code="fr") for n in range(3)]
            for person in people:
                await bot.say(person, "/start")
            assert bot.service is not None and bot.channel is not None
            now = datetime.now(UTC)
            await create(bot.service.store, TESTER, texts={"fr": "Rapport financier : 30 juin"},
                         audience=["all"], at=now, now=now,
                         ignore_quiet=True)  # fmt: skip
            api.refuse_token(1.5)
            scheduler = await start_scheduler(
                bot.service, bot.channel, bot.settings, send_every=0.1, pacer=bot.channel.limiter
            )
            try:
                for person in people:
                    await api.wait_for(lambda m, p=person: m.chat_id == p.id
                                       and "Rapport financier" in m.plain, timeout=20)  # fmt: skip
            finally:
                await scheduler.stop()
            async with bot.service.store.transaction(readonly=True) as tx:
                rows = (await tx.session.execute(
                    OutboxItem.__table__.select())).mappings().all()  # fmt: skip
            assert sorted(row["status"] for row in rows) == ["sent"] * 3
            refused = api.stats.count("sendMessage", status=401) + api.stats.count(
                "getMe", status=401
            )  # the bulk bot's first call is its getMe
            assert refused >= 1
        finally:
            await bot.stop()

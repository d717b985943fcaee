"""Through python-telegram-bot to the fake Bot API (flood limits on), in virtual time.

The fake Bot API and the sender share one virtual clock, so Telegram's 30 messages per second
and the configured rate are checked exactly, without waiting: 300 recipients at 25 per second
take 12 virtual seconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.conversation.conversations import Conversations
from bot.programme import broadcasts as bc
from bot.programme.actors import Actor
from bot.storage import Store
from tests.fakes.bot_api import FakeBotApi, RateLimits
from tests.scheduling.conftest import VirtualTime, add_users, outbox, planner_for, sender_for
from tests.scheduling.conftest import statuses as outbox_statuses
from tests.scheduling.ptb_transport import BotTransport

TESTER = Actor.terminal("test")
"""Who creates the broadcasts here (an admin at the terminal)."""

USERS = 300


@pytest.fixture
async def api(vtime: VirtualTime) -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(clock=vtime.monotonic, rate_limits=RateLimits()) as server:
        for n in range(1, USERS + 1):
            server.user(n, first_name=f"User{n}")
        yield server


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url) as client:
        yield client


async def broadcast_to_all(store: Store, service: Conversations, vtime: VirtualTime) -> None:
    await add_users(store, USERS, timezone="Africa/Dakar", language="fr")
    await bc.create(
        store,
        TESTER,
        texts={"*": "Rappel : l'atelier ODD a lieu jeudi."},
        audience=[],
        at=vtime.now,
        now=vtime.now,
    )
    await planner_for(service).run_once()


def per_chat(api: FakeBotApi) -> Counter[int]:
    return Counter(m.chat_id for m in api.sent if m.method == "sendMessage")


async def test_300_recipients_at_the_configured_rate_without_a_429(
    sqlite_url: str, vtime: VirtualTime, api: FakeBotApi, bot: Bot
) -> None:
    store = await Store.open(sqlite_url)
    try:
        from tests.conversation.conftest import make_service

        service = make_service(store, vtime)  # type: ignore[arg-type]
        await broadcast_to_all(store, service, vtime)
        sender = sender_for(service, BotTransport(bot), vtime, rate=25)
        assert await sender.run_once() == USERS
        assert api.stats.too_many_requests == 0
        assert per_chat(api) == {n: 1 for n in range(1, USERS + 1)}
        times = sorted(r.time for r in api.requests if r.method == "sendMessage")
        achieved = (len(times) - 1) / (times[-1] - times[0])
        assert 0.95 * 25 <= achieved <= 25.01
        assert (
            max(sum(1 for t in times if start <= t < start + 1.0 - 1e-6) for start in times) <= 25
        )
        text = api.messages_to(1)[0].plain
        assert text.startswith("📢 Rappel : l'atelier ODD a lieu jeudi.")
        assert outbox_statuses(await outbox(store)) == {"sent": USERS}
    finally:
        await store.close()


async def test_injected_429_and_500_lose_nothing_and_duplicate_nothing(
    sqlite_url: str, vtime: VirtualTime, api: FakeBotApi, bot: Bot
) -> None:
    store = await Store.open(sqlite_url)
    try:
        from tests.conversation.conftest import make_service

        service = make_service(store, vtime)  # type: ignore[arg-type]
        await broadcast_to_all(store, service, vtime)
        api.fail_next("sendMessage", "500", count=3)
        api.fail_next("sendMessage", "429", retry_after=4)
        api.fail_next("sendMessage", "502")
        sender = sender_for(service, BotTransport(bot), vtime, rate=25, retry_base=2)
        sent = await sender.run_once()
        for _ in range(5):  # the retries come due a few (virtual) seconds later
            vtime.advance(seconds=30)
            sent += await sender.run_once()
        assert sent == USERS
        assert per_chat(api) == {n: 1 for n in range(1, USERS + 1)}
        assert sender.stats.rate_limited == 1
        faults = [r for r in api.requests if r.fault]
        assert [r.fault for r in faults] == ["500", "500", "500", "429", "502"]
        flood = faults[3].time
        after = [r.time for r in api.requests if r.method == "sendMessage" and r.time > flood]
        assert min(after) >= flood + 4  # nothing at all went out during the pause
        assert outbox_statuses(await outbox(store)) == {"sent": USERS}
    finally:
        await store.close()


async def test_a_user_who_blocked_the_bot_is_marked_and_skipped(
    sqlite_url: str, vtime: VirtualTime, api: FakeBotApi, bot: Bot
) -> None:
    store = await Store.open(sqlite_url)
    try:
        from tests.conversation.conftest import make_service

        service = make_service(store, vtime)  # type: ignore[arg-type]
        await add_users(store, 3, timezone="Africa/Kigali")
        api.block(2)
        await bc.create(store, TESTER, texts={"*": "Hi"}, audience=[], at=vtime.now, now=vtime.now)
        await planner_for(service).run_once()
        assert await sender_for(service, BotTransport(bot), vtime).run_once() == 2
        assert per_chat(api) == {1: 1, 3: 1}
        async with store.transaction() as tx:
            assert (await tx.get_user("telegram", "2")).blocked  # type: ignore[union-attr]
    finally:
        await store.close()

"""`start_scheduler`: APScheduler wakes planner and sender; `wake` and `stop`."""

from __future__ import annotations

import asyncio

from bot.config import Settings
from bot.conversation.conversations import Conversations
from bot.programme import broadcasts as bc
from bot.programme.actors import Actor
from bot.scheduling import start_scheduler, wake
from bot.scheduling.sender import LEASE
from bot.storage import Store
from tests.scheduling.conftest import FakeTransport, VirtualTime, add_users

TESTER = Actor.terminal("test")
"""Who creates the broadcasts here (an admin at the terminal)."""


async def until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def test_the_scheduler_sends_wakes_up_and_hands_over_on_stop(
    sqlite_url: str, vtime: VirtualTime
) -> None:
    from tests.conversation.conftest import make_service

    store = await Store.open(sqlite_url)
    service: Conversations = make_service(store, vtime)  # type: ignore[arg-type]
    try:
        await add_users(store, 4, timezone="Europe/Brussels")
        await bc.create(store, TESTER, texts={"*": "one"}, audience=[], at=vtime.now, now=vtime.now)
        transport = FakeTransport(vtime)
        handle = await start_scheduler(
            service, transport, Settings(send_rate=0), send_every=3600, plan_every=3600
        )
        try:
            await until(lambda: len(transport.sent) == 4)  # the first tick runs at once
            async with store.transaction() as tx:
                assert {row.id for row in await tx.deadline_rows()} >= {"financial_report"}
            await bc.create(
                store, TESTER, texts={"*": "two"}, audience=[], at=vtime.now, now=vtime.now
            )
            wake()  # no need to wait an hour for the next tick
            await until(lambda: len(transport.sent) == 8)
        finally:
            await handle.stop()
        async with store.transaction() as tx:
            assert await tx.lease_holder(LEASE, vtime.now) is None  # released: others go now
        assert set(transport.counts().values()) == {2}
    finally:
        await store.close()

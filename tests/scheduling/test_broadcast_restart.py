"""Done when: a broadcast scheduled 20 s ahead reaches each of 300 users exactly once, even when
the bot is killed before the due time and restarted after it (two service and sender instances on
one database), and when it is killed in the middle of sending."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from bot.conversation.conversations import Conversations
from bot.programme import broadcasts as bc
from bot.programme.actors import Actor
from bot.storage import Store
from tests.conversation.conftest import make_service
from tests.scheduling.conftest import (
    FakeTransport,
    VirtualTime,
    add_users,
    outbox,
    planner_for,
    sender_for,
    statuses,
)

TESTER = Actor.terminal("test")
"""Who creates the broadcasts here (an admin at the terminal)."""

USERS = 300


async def test_killed_before_the_due_time_and_restarted_after_it(
    database_url: str, store: Store, service: Conversations, vtime: VirtualTime
) -> None:
    await add_users(store, USERS, timezone="Europe/Brussels", language="fr")
    planned = await bc.create(
        store,
        TESTER,
        texts={"*": "Réunion le 3 mai"},
        audience=["all"],
        at=vtime.now + timedelta(seconds=20),
        now=vtime.now,
    )
    assert planned.recipients == USERS
    transport = FakeTransport(vtime)
    # First process: plans and sends what is due (nothing yet), then is killed (no cleanup).
    first_planner, first_sender = planner_for(service), sender_for(service, transport, vtime)
    await first_planner.run_once()
    assert await first_sender.run_once() == 0
    del first_planner, first_sender
    # Restarted 25 s later: a new store, service and sender on the same database.
    vtime.advance(seconds=25)
    second_store = await Store.open(database_url)
    try:
        second = make_service(second_store, vtime)  # type: ignore[arg-type]
        planner, sender = planner_for(second), sender_for(second, transport, vtime)
        await planner.run_once()
        assert await sender.run_once() == 0  # the dead process's lease has not run out yet
        vtime.advance(seconds=10)
        assert await sender.run_once() == USERS
        await planner.run_once()
        assert await sender.run_once() == 0
    finally:
        await second_store.close()
    assert transport.counts() == {str(n): 1 for n in range(1, USERS + 1)}
    assert statuses(await outbox(store)) == {"sent": USERS}
    async with store.transaction() as tx:
        [status] = await bc.status(tx, planned.broadcast_id)
    assert status.broadcast.status == "queued" and status.broadcast.recipients == USERS
    assert f"{USERS} sent, 0 failed, 0 blocked, 0 pending" in status.line()


class DiesAfter(FakeTransport):
    """Accepts `limit` messages; the next call never returns (the process is killed)."""

    limit: int = 0

    async def send(self, key, text, buttons, *, lite):  # type: ignore[no-untyped-def]
        if len(self.sent) >= self.limit:
            raise KeyboardInterrupt  # stands for SIGKILL: nothing after this line runs
        await super().send(key, text, buttons, lite=lite)


async def test_killed_in_the_middle_resumes_where_it_stopped(
    database_url: str, store: Store, service: Conversations, vtime: VirtualTime
) -> None:
    await add_users(store, USERS, timezone="Europe/Brussels")
    await bc.create(store, TESTER, texts={"*": "Hello"}, audience=[], at=vtime.now, now=vtime.now)
    dying = DiesAfter(vtime)
    dying.limit = 120
    await planner_for(service).run_once()
    with contextlib.suppress(KeyboardInterrupt):
        await sender_for(service, dying, vtime).run_once()
    vtime.advance(seconds=31)
    second_store = await Store.open(database_url)
    try:
        transport = FakeTransport(vtime)
        heir = sender_for(make_service(second_store, vtime), transport, vtime)  # type: ignore[arg-type]
        assert await heir.run_once() == USERS - 121
    finally:
        await second_store.close()
    delivered = dying.counts() + transport.counts()
    assert max(delivered.values()) == 1  # nobody twice
    rows = await outbox(store)
    assert statuses(rows) == {"sent": USERS - 1, "unknown": 1}  # the one in flight: not resent
    assert len(delivered) == USERS - 1

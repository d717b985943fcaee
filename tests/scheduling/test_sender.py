"""The sender: once per row, leader lease, interrupted sends, 429/403/5xx/400, quiet hours, rate."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.conversation.conversations import Conversations
from bot.programme import broadcasts as bc
from bot.programme.actors import Actor
from bot.scheduling.transport import SendFailed, SendRateLimited, SendRejected
from bot.storage import Store
from bot.storage.tx import Tx
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


async def broadcast_now(
    service: Conversations,
    vtime: VirtualTime,
    *,
    text: str = "Hello",
    ignore_quiet: bool = False,
    audience: tuple[str, ...] = (),
) -> int:
    planned = await bc.create(
        service.store,
        TESTER,
        texts={"*": text},
        audience=audience,
        at=vtime.now,
        now=vtime.now,
        ignore_quiet=ignore_quiet,
    )
    await planner_for(service).run_once()
    assert planned.broadcast_id is not None
    return planned.broadcast_id


async def test_each_row_is_sent_once_and_recorded(
    service: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await add_users(store, 5, language="nl", timezone="Europe/Brussels")
    await broadcast_now(service, vtime, text="Hallo <allemaal>")
    transport = FakeTransport(vtime)
    sender = sender_for(service, transport, vtime)
    assert await sender.run_once() == 5
    assert await sender.run_once() == 0
    assert transport.counts() == {str(n): 1 for n in range(1, 6)}
    assert "Hallo &lt;allemaal&gt;" in transport.sent[0].text  # plain text, escaped
    assert "/stop" in transport.sent[0].text
    rows = await outbox(store)
    assert statuses(rows) == {"sent": 5}
    assert all(r.sent_at is not None and r.attempts == 1 for r in rows)


async def test_two_senders_on_one_database_send_each_message_once(
    service: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await add_users(store, 40, timezone="Europe/Brussels")
    await broadcast_now(service, vtime)
    transport = FakeTransport(vtime)
    senders = [sender_for(service, transport, vtime) for _ in range(3)]
    sent = await asyncio.gather(*(s.run_once() for s in senders))
    assert sum(sent) == 40
    assert [s.leading for s in senders].count(True) == 1
    assert set(transport.counts().values()) == {1} and len(transport.counts()) == 40


class StopAfter(FakeTransport):
    """Delivers `limit` messages, then the sender 'dies' (stops without releasing its lease)."""

    limit: int = 0
    victim: object = None

    async def send(self, key, text, buttons, *, lite):  # type: ignore[no-untyped-def]
        await super().send(key, text, buttons, lite=lite)
        if len(self.sent) == self.limit:
            self.victim.stop()  # type: ignore[attr-defined]


async def test_when_the_leader_dies_another_takes_over_after_its_lease(
    service: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await add_users(store, 30, timezone="Europe/Brussels")
    await broadcast_now(service, vtime)
    transport = StopAfter(vtime)
    dying = sender_for(service, transport, vtime, lease_ttl=30)
    transport.limit, transport.victim = 12, dying
    assert await dying.run_once() == 12
    heir = sender_for(service, transport, vtime, lease_ttl=30)
    assert await heir.run_once() == 0  # the dead leader's lease still runs
    vtime.advance(seconds=31)
    assert await heir.run_once() == 18
    assert set(transport.counts().values()) == {1} and len(transport.counts()) == 30


class Hangs(FakeTransport):
    """The Bot API call never returns (the process dies while it is in flight)."""

    started: asyncio.Event

    async def send(self, key, text, buttons, *, lite):  # type: ignore[no-untyped-def]
        self.attempts += 1
        self.started.set()
        await asyncio.Event().wait()


async def test_a_message_interrupted_mid_send_is_never_sent_twice(
    service: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await add_users(store, 3, timezone="Europe/Brussels")
    await broadcast_now(service, vtime)
    hanging = Hangs(vtime)
    hanging.started = asyncio.Event()
    dead = sender_for(service, hanging, vtime)
    task = asyncio.create_task(dead.run_once())
    await hanging.started.wait()
    task.cancel()  # the process is gone: no settle, the row stays `sending`
    assert statuses(await outbox(store)) == {"sending": 1, "pending": 2}
    vtime.advance(seconds=31)
    transport = FakeTransport(vtime)
    heir = sender_for(service, transport, vtime)
    assert await heir.run_once() == 2
    assert heir.stats.interrupted == 1
    rows = await outbox(store)
    assert statuses(rows) == {"unknown": 1, "sent": 2}
    unknown = next(r for r in rows if r.status == "unknown")
    assert "delivery unknown" in (unknown.last_error or "")
    assert unknown.user_id not in {r.user_id for r in rows if r.status == "sent"}


async def test_a_429_pauses_all_sending_and_loses_nothing(
    service: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await add_users(store, 10, timezone="Europe/Brussels")
    await broadcast_now(service, vtime)
    transport = FakeTransport(vtime)
    transport.fail(SendRateLimited(7))
    sender = sender_for(service, transport, vtime, rate=0)
    assert await sender.run_once() == 10
    assert transport.counts() == {str(n): 1 for n in range(1, 11)}
    assert transport.sent[0].at >= 7  # nobody got anything during the pause
    assert sender.stats.rate_limited == 1
    rows = await outbox(store)
    assert statuses(rows) == {"sent": 10}
    assert max(r.attempts for r in rows) == 1  # the refused attempt does not count


async def test_a_403_marks_the_user_blocked_and_skips_their_other_messages(
    service: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await add_users(store, 3, timezone="Europe/Brussels")
    await broadcast_now(service, vtime, text="one")
    await broadcast_now(service, vtime, text="two")
    transport = FakeTransport(vtime, blocked={"2"})
    sender = sender_for(service, transport, vtime)
    assert await sender.run_once() == 4
    assert transport.counts() == {"1": 2, "3": 2}
    assert statuses(await outbox(store)) == {"sent": 4, "blocked": 2}
    assert transport.attempts == 5  # the second message to the blocked user was not tried
    async with store.transaction() as tx:
        assert (await tx.get_user("telegram", "2")).blocked  # type: ignore[union-attr]


async def test_server_errors_are_retried_with_backoff_then_given_up(
    service: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await add_users(store, 2, timezone="Europe/Brussels")
    await broadcast_now(service, vtime)
    transport = FakeTransport(vtime)
    transport.fail(SendFailed("500"))
    sender = sender_for(service, transport, vtime, retry_base=5)
    assert await sender.run_once() == 1  # user 2 went; user 1 waits for its retry
    transport.fail(SendFailed("502"))
    vtime.advance(seconds=4)
    assert await sender.run_once() == 0
    vtime.advance(seconds=2)
    assert await sender.run_once() == 0  # second failure: now waits 10 s
    vtime.advance(seconds=10)
    assert await sender.run_once() == 1
    assert transport.counts() == {"1": 1, "2": 1}
    assert [r.attempts for r in await outbox(store)] == [3, 1]
    # past max_attempts a row fails for good
    await broadcast_now(service, vtime)
    sender.max_attempts = 2
    transport.fail(*[SendFailed("500")] * 4)
    for _ in range(3):
        await sender.run_once()
        vtime.advance(minutes=5)
    assert statuses(await outbox(store)) == {"sent": 2, "failed": 2}


async def test_a_rejected_message_fails_at_once(
    service: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await add_users(store, 1, timezone="Europe/Brussels")
    await broadcast_now(service, vtime)
    transport = FakeTransport(vtime)
    transport.fail(SendRejected("Bad Request: chat not found"))
    sender = sender_for(service, transport, vtime)
    await sender.run_once()
    vtime.advance(hours=1)
    await sender.run_once()
    rows = await outbox(store)
    assert statuses(rows) == {"failed": 1} and "chat not found" in (rows[0].last_error or "")
    assert transport.attempts == 1


async def test_quiet_hours_hold_a_broadcast_until_the_morning(
    service: Conversations, store: Store, vtime: VirtualTime
) -> None:
    vtime.set(datetime(2027, 4, 12, 7, 0, tzinfo=UTC))  # 03:00 in La Paz, 09:00 in Brussels
    await add_users(store, 1, start=1, timezone="America/La_Paz")
    await add_users(store, 1, start=2, timezone="Europe/Brussels")
    await broadcast_now(service, vtime)
    transport = FakeTransport(vtime)
    sender = sender_for(service, transport, vtime)
    await sender.run_once()
    assert transport.counts() == {"2": 1}
    vtime.set(datetime(2027, 4, 12, 11, 59, tzinfo=UTC))
    await sender.run_once()
    assert transport.counts() == {"2": 1}
    vtime.set(datetime(2027, 4, 12, 12, 0, tzinfo=UTC))  # 08:00 in La Paz
    await sender.run_once()
    assert transport.counts() == {"1": 1, "2": 1}
    # an emergency broadcast ignores quiet hours
    vtime.set(datetime(2027, 4, 13, 4, 0, tzinfo=UTC))
    await broadcast_now(service, vtime, ignore_quiet=True)
    await sender.run_once()
    assert transport.counts() == {"1": 2, "2": 2}


async def test_sending_keeps_to_the_configured_rate(
    service: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await add_users(store, 120, timezone="Europe/Brussels")
    await broadcast_now(service, vtime)
    transport = FakeTransport(vtime)
    sender = sender_for(service, transport, vtime, rate=20)
    assert await sender.run_once() == 120
    times = [d.at for d in transport.sent]
    assert max(sum(1 for t in times if start <= t < start + 1.0 - 1e-6) for start in times) <= 20
    assert 5.0 <= times[-1] - times[0] <= 6.5  # 120 at 20/s: about 6 seconds, no slower


async def test_replies_in_progress_go_first(
    service: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await add_users(store, 2, timezone="Europe/Brussels")
    await broadcast_now(service, vtime)
    transport = FakeTransport(vtime, busy_until=vtime.mono + 1.0)
    await sender_for(service, transport, vtime).run_once()
    assert transport.sent[0].at >= 1.0


async def test_stopped_users_and_cancelled_broadcasts_get_nothing(
    service: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await add_users(store, 2, timezone="Europe/Brussels")
    broadcast_id = await broadcast_now(service, vtime)

    async def change(tx: Tx) -> None:
        user = await tx.get_user("telegram", "1")
        assert user is not None
        await tx.update_user(user, opted_out=True)

    await store.run_in_transaction(change)
    transport = FakeTransport(vtime)
    sender = sender_for(service, transport, vtime)
    await sender.run_once()
    assert transport.counts() == {"2": 1}
    second = await broadcast_now(service, vtime)

    async def cancel(tx: Tx) -> None:
        found = await tx.broadcast(second)
        assert found is not None
        found.status = "cancelled"

    await store.run_in_transaction(cancel)
    await sender.run_once()
    assert transport.counts() == {"2": 1}
    async with store.transaction() as tx:
        assert bc.summary(await tx.broadcast_counts(broadcast_id)) == {
            "sent": 1,
            "failed": 0,
            "blocked": 0,
            "pending": 0,
        }
        assert await tx.broadcast_counts(second) == {"dropped": 1}


async def test_a_clean_stop_hands_over_at_once(
    service: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await add_users(store, 2, timezone="Europe/Brussels")
    transport = FakeTransport(vtime)
    first = sender_for(service, transport, vtime)
    assert await first.lead()
    await first.release()
    second = sender_for(service, transport, vtime)
    assert await second.lead()
    assert not await first.lead()
    vtime.advance(seconds=timedelta(minutes=1).total_seconds())
    assert await second.lead()  # renewing keeps it

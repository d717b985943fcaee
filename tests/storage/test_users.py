"""Users and update de-duplication (bot/storage/users.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.storage import Store, Tx
from bot.storage.users import Delivery


async def test_claim_update_only_once(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.claim_update("telegram", 42) is True
        assert await tx.claim_update("telegram", 42) is False
        assert await tx.claim_update("console", 42) is True
    async with store.transaction() as tx:
        assert await tx.claim_update("telegram", "42") is False
        assert await tx.claim_update("telegram", 43) is True


async def test_each_delivery_is_marked_at_its_own_moment(store: Store) -> None:
    handled = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    async with store.transaction() as tx:
        for update_id in (1, 2, 3):
            assert await tx.claim_update("telegram", update_id, handled)
        await tx.claim_update("console", 1, handled)
    first, second = handled + timedelta(seconds=2), handled + timedelta(seconds=7)
    async with store.transaction() as tx:
        await tx.mark_delivered(
            "telegram", {1: Delivery(first, 3_000_000_000), 2: Delivery(second)}
        )
        await tx.mark_delivered("telegram", {})
    async with store.transaction(readonly=True) as tx:
        assert await tx.processed("telegram", 1) == (handled, first)
        assert await tx.processed("telegram", 2) == (handled, second)
        assert await tx.processed("telegram", 3) == (handled, None)
        assert await tx.processed("console", 1) == (handled, None)  # another channel's 1
        assert await tx.delivery("telegram", 1) == Delivery(first, 3_000_000_000)  # > 2**31
        assert await tx.delivery("telegram", 2) == Delivery(second, None)
        assert await tx.delivery("telegram", 3) is None
        assert await tx.delivery("telegram", 4) is None


async def test_claim_is_released_by_rollback(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            assert await tx.claim_update("telegram", 7) is True
            raise RuntimeError("the handler failed")
    async with store.transaction() as tx:
        assert await tx.claim_update("telegram", 7) is True


async def _claim_slowly(store: Store, update_id: int, claimed: asyncio.Event, fail: bool) -> bool:
    async with store.transaction() as tx:
        won = await tx.claim_update("telegram", update_id)
        claimed.set()
        await asyncio.sleep(0.2)  # the other task tries while this one is uncommitted
        if fail:
            raise RuntimeError("handler crashed")
        return won


async def _claim(store: Store, update_id: int, after: asyncio.Event) -> bool:
    await after.wait()
    async with store.transaction() as tx:
        return await tx.claim_update("telegram", update_id)


async def test_concurrent_claims_exactly_one_wins(database_url: str) -> None:
    # Two stores: two pools, like two bot processes sharing the database.
    first, second = await Store.open(database_url), await Store.open(database_url)
    try:
        claimed = asyncio.Event()
        results = await asyncio.gather(
            _claim_slowly(first, 1001, claimed, fail=False), _claim(second, 1001, claimed)
        )
        assert sorted(results) == [False, True]
    finally:
        await first.close()
        await second.close()


async def test_concurrent_claim_after_a_crash_wins(database_url: str) -> None:
    first, second = await Store.open(database_url), await Store.open(database_url)
    try:
        claimed = asyncio.Event()
        crashed, retried = await asyncio.gather(
            _claim_slowly(first, 1002, claimed, fail=True),
            _claim(second, 1002, claimed),
            return_exceptions=True,
        )
        assert isinstance(crashed, RuntimeError)
        assert retried is True
    finally:
        await first.close()
        await second.close()


async def test_many_tasks_claiming_one_update(store: Store) -> None:
    async def claim(tx: Tx) -> bool:
        return await tx.claim_update("telegram", 5)

    results = await asyncio.gather(*(store.run_in_transaction(claim) for _ in range(8)))
    assert results.count(True) == 1


async def test_forget_updates(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.claim_update("telegram", 1)
    async with store.transaction() as tx:
        assert await tx.forget_updates(datetime.now(UTC) - timedelta(days=1)) == 0
        assert await tx.forget_updates(datetime.now(UTC) + timedelta(seconds=1)) == 1
        assert await tx.claim_update("telegram", 1) is True


async def test_get_or_create_user(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.get_user("telegram", 123) is None
        user = await tx.get_or_create_user(
            "telegram", 123, name="Ana", language="nl", country="be", kind="municipal_staff"
        )
        again = await tx.get_or_create_user("telegram", "123", name="Other", language="fr")
    assert again.id == user.id
    assert (again.name, again.language, again.country, again.role) == ("Ana", "nl", "BE", "user")
    assert (user.lite, user.opted_out, user.blocked) == (False, False, False)
    assert user.created_at.tzinfo is not None


async def test_two_processes_creating_one_user(database_url: str) -> None:
    stores = [await Store.open(database_url) for _ in range(3)]
    try:

        async def create(tx: Tx) -> int:
            return (await tx.get_or_create_user("telegram", 9, name="Moussa")).id

        ids = await asyncio.gather(*(s.run_in_transaction(create) for s in stores))
        assert len(set(ids)) == 1
    finally:
        for store in stores:
            await store.close()


async def test_update_user_validates(store: Store) -> None:
    seen = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    async with store.transaction() as tx:
        user = await tx.get_or_create_user("telegram", 1)
        await tx.update_user(user, role="coordinator", lite=True, last_seen_at=seen)
        with pytest.raises(TypeError, match="unknown user field"):
            await tx.update_user(user, channel="console")
        with pytest.raises(ValueError, match="role must be one of"):
            await tx.update_user(user, role="king")
        with pytest.raises(ValueError, match="timezone-aware"):
            await tx.update_user(user, last_seen_at=datetime(2025, 3, 1))
    async with store.transaction() as tx:
        fresh = await tx.lock_user(user.id)
    assert fresh is not None
    assert (fresh.role, fresh.lite, fresh.last_seen_at) == ("coordinator", True, seen)


async def test_users_filters_unreachable(store: Store) -> None:
    async with store.transaction() as tx:
        for external_id, fields in [
            ("a", {}),
            ("b", {"opted_out": True}),
            ("c", {"blocked": True}),
            ("d", {"role": "admin"}),
        ]:
            await tx.get_or_create_user("telegram", external_id, **fields)
        assert [u.external_id for u in await tx.users()] == ["a", "d"]
        assert [u.external_id for u in await tx.users(role="admin")] == ["d"]
        assert len(await tx.users(reachable_only=False)) == 4


@pytest.mark.postgres
async def test_lock_user_serialises_postgres_transactions(postgres_url: str) -> None:
    store = await Store.open(postgres_url)
    try:
        async with store.transaction() as tx:
            user_id = (await tx.get_or_create_user("telegram", 1)).id
        order: list[str] = []
        locked = asyncio.Event()

        async def first() -> None:
            async with store.transaction() as tx:
                await tx.lock_user(user_id)
                locked.set()
                await asyncio.sleep(0.2)
                order.append("first done")

        async def second() -> None:
            await locked.wait()
            async with store.transaction() as tx:
                await tx.lock_user(user_id)
                order.append("second locked")

        await asyncio.gather(first(), second())
        assert order == ["first done", "second locked"]
    finally:
        await store.close()

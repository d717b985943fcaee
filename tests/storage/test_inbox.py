"""The inbox of fetched updates (bot/storage/inbox.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.storage import Store

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def update(update_id: int, text: str = "1") -> dict[str, object]:
    return {"update_id": update_id, "message": {"message_id": update_id, "text": text}}


async def test_kept_updates_come_back_until_claimed_oldest_first(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.keep_fetched("telegram", [(12, update(12)), (11, update(11))], T0)
        await tx.keep_fetched("telegram", [(13, update(13, "Gent"))], T0 + timedelta(seconds=1))
        await tx.keep_fetched("console", [(11, update(11))], T0)
        await tx.keep_fetched("telegram", [(12, update(12, "again"))], T0)  # kept already
    async with store.transaction() as tx:
        assert await tx.claim_update("telegram", 12)  # handled
    async with store.transaction(readonly=True) as tx:
        pending = await tx.unhandled_fetched("telegram", T0 - timedelta(minutes=1))
    assert [(u, p["message"]["text"], f) for u, p, f in pending] == [  # type: ignore[index]
        (11, "1", T0),
        (13, "Gent", T0 + timedelta(seconds=1)),
    ]


async def test_only_updates_fetched_since_come_back(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.keep_fetched("telegram", [(21, update(21))], T0)
        await tx.keep_fetched("telegram", [(22, update(22))], T0 + timedelta(hours=2))
    async with store.transaction(readonly=True) as tx:
        pending = await tx.unhandled_fetched("telegram", T0 + timedelta(hours=1))
    assert [u for u, _, _ in pending] == [22]


async def test_old_rows_are_forgotten(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.keep_fetched("telegram", [(31, update(31)), (32, update(32))], T0)
        await tx.keep_fetched("telegram", [(33, update(33))], T0 + timedelta(days=2))
    async with store.transaction() as tx:
        assert await tx.forget_fetched(T0 + timedelta(days=1)) == 2
    async with store.transaction(readonly=True) as tx:
        pending = await tx.unhandled_fetched("telegram", T0 - timedelta(days=1))
    assert [u for u, _, _ in pending] == [33]

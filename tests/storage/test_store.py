"""Transactions, retries and busy handling (bot/storage/store.py)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.storage import DatabaseBusy, DatabaseUnavailable, Store, Tx
from bot.storage.errors import classify


async def test_dialect(store: Store, database_url: str) -> None:
    assert store.dialect == ("sqlite" if database_url.startswith("sqlite") else "postgresql")
    assert "@" not in store.url


async def test_commit_on_success_and_rollback_on_error(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.get_or_create_user("console", "kept")
    with pytest.raises(RuntimeError, match="boom"):
        async with store.transaction() as tx:
            await tx.get_or_create_user("console", "dropped")
            raise RuntimeError("boom")
    async with store.transaction(readonly=True) as tx:
        assert await tx.get_user("console", "kept") is not None
        assert await tx.get_user("console", "dropped") is None


async def test_objects_stay_readable_after_commit(store: Store) -> None:
    async with store.transaction() as tx:
        user = await tx.get_or_create_user("console", "ana", name="Ana")
    assert (user.name, user.key) == ("Ana", "console:ana")


def _locked() -> OperationalError:
    return OperationalError("INSERT …", {}, Exception("database is locked"))


async def test_run_in_transaction_reruns_the_whole_function(store: Store) -> None:
    calls: list[int] = []

    async def work(tx: Tx) -> str:
        calls.append(1)
        user = await tx.get_or_create_user("console", f"u{len(calls)}")
        if len(calls) < 3:
            raise _locked()
        return user.external_id

    assert await store.run_in_transaction(work) == "u3"
    assert len(calls) == 3
    async with store.transaction() as tx:
        # The failed attempts were rolled back: only the third user exists.
        assert [u.external_id for u in await tx.users()] == ["u3"]


async def test_run_in_transaction_gives_up_with_one_line(store: Store) -> None:
    calls: list[int] = []

    async def always_locked(tx: Tx) -> None:
        calls.append(1)
        raise _locked()

    with pytest.raises(DatabaseBusy) as caught:
        await store.run_in_transaction(always_locked, retries=2)
    assert len(calls) == 3
    assert "stayed busy: database is locked" in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_other_errors_are_not_retried(store: Store) -> None:
    calls: list[int] = []

    async def buggy(tx: Tx) -> None:
        calls.append(1)
        raise KeyError("bug")

    with pytest.raises(KeyError):
        await store.run_in_transaction(buggy)
    assert len(calls) == 1


async def test_transaction_translates_transient_errors(store: Store) -> None:
    with pytest.raises(DatabaseBusy):
        async with store.transaction():
            raise _locked()
    lost = OperationalError("SELECT 1", {}, ConnectionResetError("reset by peer"))
    with pytest.raises(DatabaseUnavailable, match="lost the database"):
        async with store.transaction():
            raise lost


def test_classify() -> None:
    assert classify(_locked()) == "busy"
    assert classify(OperationalError("x", {}, ConnectionRefusedError())) == "lost"

    class PgError(Exception):
        sqlstate = "40001"

    assert classify(OperationalError("x", {}, PgError("could not serialize"))) == "busy"
    assert classify(ValueError("nope")) is None


async def _hold_write_lock(store: Store, held: asyncio.Event, seconds: float) -> None:
    async with store.transaction() as tx:
        await tx.get_or_create_user("console", "holder")
        held.set()
        await asyncio.sleep(seconds)


@contextlib.asynccontextmanager
async def _locked_by_another(
    sqlite_url: str, *, hold: float, busy_timeout: float
) -> AsyncIterator[tuple[Store, asyncio.Task[None]]]:
    """A store while another one holds SQLite's write lock for `hold` seconds.

    Two stores = two connection pools, as two bot processes would have. Yields the waiting
    store and the holder's task; the holder has committed when the block ends.
    """
    first = await Store.open(sqlite_url)
    second = await Store.open(sqlite_url, busy_timeout=busy_timeout)
    try:
        held = asyncio.Event()
        holder = asyncio.create_task(_hold_write_lock(first, held, hold))
        await held.wait()
        yield second, holder
        await holder
    finally:
        await first.close()
        await second.close()


async def _new_user(tx: Tx) -> int:
    return (await tx.get_or_create_user("console", "waiter")).id


async def test_sqlite_busy_writer_waits_then_succeeds(sqlite_url: str) -> None:
    async with _locked_by_another(sqlite_url, hold=0.3, busy_timeout=0.05) as (second, _):
        started = time.monotonic()
        assert await second.run_in_transaction(_new_user, retries=10) > 0
        # It could only get in after the holder committed, by retrying past busy_timeout.
        assert time.monotonic() - started >= 0.2


async def test_sqlite_busy_without_retries_is_database_busy(sqlite_url: str) -> None:
    async with _locked_by_another(sqlite_url, hold=1.0, busy_timeout=0.05) as (second, _):
        with pytest.raises(DatabaseBusy, match="database is locked"):
            await second.run_in_transaction(_new_user, retries=0)


async def test_sqlite_readers_do_not_wait_for_writers(sqlite_url: str) -> None:
    async with _locked_by_another(sqlite_url, hold=0.5, busy_timeout=0.05) as (second, holder):
        async with second.transaction(readonly=True) as tx:
            # WAL: the reader sees the last committed state, not the holder's pending user.
            assert await tx.get_user("console", "holder") is None
        assert not holder.done()


async def test_sqlite_waiting_for_another_process_never_blocks_the_loop(sqlite_url: str) -> None:
    # Writes run on the loop's thread (bot/storage/sqlite_driver.py): while another process
    # holds the lock, the writer must wait asynchronously, not inside SQLite's busy handler.
    async with _locked_by_another(sqlite_url, hold=0.4, busy_timeout=2.0) as (second, _):
        gaps: list[float] = []

        async def tick() -> None:
            last = time.monotonic()
            while True:
                await asyncio.sleep(0.005)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        ticker = asyncio.create_task(tick())
        assert await second.run_in_transaction(_new_user, retries=0) > 0
        ticker.cancel()
    assert len(gaps) > 20 and max(gaps) < 0.15, max(gaps, default=None)


@pytest.mark.postgres
async def test_postgres_lost_connection_is_retried(postgres_url: str) -> None:
    store = await Store.open(postgres_url)
    try:
        calls: list[int] = []

        async def work(tx: Tx) -> bool:
            calls.append(1)
            if len(calls) == 1:
                # The server kills our own connection mid-transaction, as a failover would.
                await tx.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
            return await tx.claim_update("telegram", 77)

        assert await store.run_in_transaction(work) is True
        assert len(calls) == 2
    finally:
        await store.close()


async def test_sqlite_writes_run_in_the_loop_bulk_and_reads_on_aiosqlites_thread(
    sqlite_url: str,
) -> None:
    # bot/storage/sqlite_driver.py: short writes on the loop's thread; bulk writes (a
    # broadcast's audience, retention) and reads where a long one cannot stall the loop.
    store = await Store.open(sqlite_url)
    adapters = {}
    try:
        for kind, options in (("write", {}), ("bulk", {"bulk": True}),
                              ("readonly", {"readonly": True})):  # fmt: skip
            async with store.transaction(**options) as tx:
                raw = await (await tx.session.connection()).get_raw_connection()
                adapters[kind] = type(raw.dbapi_connection).__name__
    finally:
        await store.close()
    assert adapters == {"write": "_InLoopConnection", "bulk": "_OneHopConnection",
                        "readonly": "_OneHopConnection"}  # fmt: skip

"""Database trouble while people answer: retried, never fatal, every answer recorded once.

* SQLite: another process holds the write lock for a few seconds (a backup, an admin's
  `sqlite3` shell), longer than the busy timeout: writers wait, retry, or tell the user to try
  again — and the user's answer, given again, is recorded once.
* PostgreSQL: the server drops every connection of the bot's database, again and again (a
  restart, a failover, an admin's `pg_terminate_backend`).
* Cancellation (a shutdown, a timeout around a handler) in the middle of a transaction must not
  leave the database locked.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import time
from functools import partial

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.storage import Store
from bot.storage.db import create_engine
from bot.storage.tx import Tx
from tests.conftest import postgres_admin_url
from tests.faults.checks import problems, stored_by_user
from tests.faults.service_people import CHANNEL, Caller, Desk


def _hold_write_lock(url: str, seconds: float, started: asyncio.Event,
                     loop: asyncio.AbstractEventLoop) -> None:  # fmt: skip
    """In a thread: take SQLite's write lock from another connection and keep it."""
    path = make_url(url).database
    assert path
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        loop.call_soon_threadsafe(started.set)
        time.sleep(seconds)
        connection.execute("ROLLBACK")
    finally:
        connection.close()


async def test_sqlite_locked_by_someone_else_is_waited_out(sqlite_url: str) -> None:
    desk = Desk(sqlite_url, busy_timeout=0.5)  # shorter than the lock: retries must happen
    await desk.open()
    callers = [Caller(desk, f"l{n}", taps=n % 2 == 0) for n in range(6)]
    try:
        talking = asyncio.gather(*(c.run() for c in callers))
        # The lock comes while they are mid-onboarding.
        while desk.handled < 2 * len(callers) and not talking.done():
            await asyncio.sleep(0.001)
        # This process's writers queue among themselves and follow each other closely: the
        # other process's BEGIN would find a gap only by chance. Pause them while it takes
        # the lock, so it comes at this point of the conversations, not after them.
        desk.up.clear()
        while desk.in_flight:
            await asyncio.sleep(0.001)
        started = asyncio.Event()
        loop = asyncio.get_running_loop()
        holding = asyncio.create_task(
            asyncio.to_thread(_hold_write_lock, sqlite_url, 3.0, started, loop)
        )
        await asyncio.wait_for(started.wait(), 10)
        desk.up.set()
        await asyncio.gather(holding, asyncio.wait_for(talking, 120))
    finally:
        await desk.close()
    assert desk.slowest >= 1.0  # the lock really got in the way
    # It outlasted the retries (4 × 0.5 s busy timeout): some users were told to try again.
    assert any(c.ledger.told_to_retry for c in callers)
    found = problems(callers, await stored_by_user(sqlite_url, channel=CHANNEL))
    assert not found, "\n".join(found)


async def _terminate_backends(database: str, rng: random.Random, killed: list[int]) -> None:
    """Cut every connection to `database` at random moments, until cancelled."""
    admin = create_engine(postgres_admin_url())
    cut = text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = :database AND pid <> pg_backend_pid()"
    )
    try:
        async with admin.connect() as connection:
            while True:
                await asyncio.sleep(rng.uniform(0.02, 0.2))
                count = await connection.scalar(cut, {"database": database})
                killed.append(int(count or 0))
    finally:
        await admin.dispose()


async def test_postgresql_connections_killed_mid_run_are_retried(postgres_url: str) -> None:
    desk = Desk(postgres_url)
    await desk.open()
    callers = [Caller(desk, f"p{n}", taps=n % 2 == 0) for n in range(8)]
    killed: list[int] = []
    database = make_url(postgres_url).database
    assert database
    killer = asyncio.create_task(_terminate_backends(database, random.Random(5), killed))
    try:
        await asyncio.wait_for(asyncio.gather(*(c.run() for c in callers)), 120)
    finally:
        killer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await killer
        await desk.close()
    assert sum(killed) >= 10, killed  # connections really were cut, many times
    # Retried inside the service: at most a rare user was asked to try again.
    assert sum(c.ledger.told_to_retry for c in callers) <= 1
    found = problems(callers, await stored_by_user(postgres_url, channel=CHANNEL))
    assert not found, "\n".join(found)


async def _busy(tx: Tx, name: str) -> None:
    """A transaction with many round trips, so a cancellation can land anywhere in it."""
    for step in range(20):
        await tx.session.execute(text("SELECT 1"))
        await tx.claim_update("cancel", f"{name}-{step}")


async def test_cancelled_transactions_leave_the_database_usable(database_url: str) -> None:
    """Handlers cancelled at random points (shutdown, timeouts): later writes still work."""
    store = await Store.open(database_url, busy_timeout=1)
    rng = random.Random(3)
    try:
        for attempt in range(15):
            tasks = [
                asyncio.create_task(store.run_in_transaction(partial(_busy, name=f"{attempt}.{n}")))
                for n in range(4)
            ]
            await asyncio.sleep(rng.uniform(0, 0.05))
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            async with store.transaction() as tx:  # raises DatabaseBusy if a lock leaked
                assert await tx.claim_update("probe", str(attempt))
    finally:
        await store.close()

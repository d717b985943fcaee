"""`Store`: the database handle, and the one-transaction-per-input unit of work.

Typical use by the conversation service::

    store = await Store.open(settings.database_url)          # migrates on the way
    async def handle(tx: Tx) -> list[Event]:
        if not await tx.claim_update("telegram", update.update_id):
            return []                                          # a duplicate: do nothing
        user = await tx.get_or_create_user("telegram", chat_id, language="fr")
        await tx.lock_user(user.id)
        run = await tx.active_run(user.id)
        ...                                                    # engine, record_answer, save_run
        return events
    events = await store.run_in_transaction(handle)          # committed; now send them

`run_in_transaction` re-runs the whole function when SQLite stayed locked or PostgreSQL reported
a serialization failure, a deadlock or a lost connection, so the function must not have side
effects outside the transaction (send messages only after it returns).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Literal, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage import db, sqlite_driver
from bot.storage._base import Dialect
from bot.storage.errors import (
    DatabaseBusy,
    DatabaseUnavailable,
    SchemaOutdated,
    StorageError,
    Transient,
    classify,
    reason,
)
from bot.storage.tx import Tx

T = TypeVar("T")
_Kind = Literal["write", "bulk", "readonly"]
"""Which sessions a transaction uses (see `Store.transaction`)."""


def _kind(readonly: bool, bulk: bool) -> _Kind:
    return "readonly" if readonly else "bulk" if bulk else "write"


log = logging.getLogger(__name__)

DEFAULT_RETRIES = 3
BACKOFF_BASE = 0.05  # seconds; doubles on each retry, with jitter so retriers do not collide
LOCK_POLL_FIRST = 0.001  # seconds between tries for SQLite's lock held by another process,
LOCK_POLL_MAX = 0.05  # doubling up to this (SQLite's own busy handler sleeps 1 … 100 ms)


class Store:
    """An open database: hands out transactions; create it with `Store.open`."""

    def __init__(
        self,
        engine: AsyncEngine,
        url: str,
        busy_timeout: float = db.DEFAULT_BUSY_TIMEOUT,
        *,
        write_engine: AsyncEngine | None = None,
    ) -> None:
        """Wrap an engine; prefer `Store.open`, which also checks and migrates.

        Args:
            engine: for read-only transactions (and migrations, tools).
            url: the database URL.
            busy_timeout: seconds a writer waits for SQLite's lock.
            write_engine: for write transactions, if not ``engine``: on SQLite, `Store.open`
                gives one whose statements run on the event loop's thread (see below).
        """
        self._engine = engine
        self._write_engine = write_engine or engine
        self._url = url
        self._busy_timeout = busy_timeout
        backend = engine.dialect.name
        if backend not in ("sqlite", "postgresql"):
            raise StorageError(f"unsupported dialect {backend}")
        self._dialect: Dialect = "sqlite" if backend == "sqlite" else "postgresql"
        # SQLite writes run on the loop's thread: a transaction of the bot is a few indexed
        # statements (~50 µs each), far less than a hop to aiosqlite's thread and back, and
        # without those hops it never yields to the loop while it holds the write lock. With
        # them, each hop waited for everything else the loop had to do, and the lock was held
        # (and every other writer queued) for that long: it capped throughput under load.
        # Bulk writes (thousands of rows) keep to aiosqlite's thread: on the loop's, expanding
        # a broadcast to 10,000 people stalled every conversation for 2 s.
        self._in_loop = isinstance(self._write_engine.dialect.dbapi, sqlite_driver.InLoopDBAPI)
        # SQLite readers need no write lock: a plain (deferred) BEGIN lets them run beside a writer.
        readonly_engine = (
            engine.execution_options(**{db.SQLITE_BEGIN_OPTION: "DEFERRED"})
            if self._dialect == "sqlite"
            else engine
        )
        self._session_factories: dict[_Kind, async_sessionmaker[AsyncSession]] = {
            "write": async_sessionmaker(self._write_engine, expire_on_commit=False),
            "bulk": async_sessionmaker(engine, expire_on_commit=False),
            "readonly": async_sessionmaker(readonly_engine, expire_on_commit=False),
        }
        # SQLite has one writer at a time. Writers of this process queue here, in order, instead
        # of inside SQLite's busy handler, which sleeps (1, 2, 5 … 100 ms) between its tries:
        # under load the lock sat free while every waiter slept. Other processes still meet
        # at BEGIN IMMEDIATE and its busy timeout.
        self._writers = asyncio.Lock() if self._dialect == "sqlite" else None

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        migrate: bool = True,
        busy_timeout: float = db.DEFAULT_BUSY_TIMEOUT,
    ) -> Store:
        """Connect to a database, bring its schema up to date, and return the store.

        Args:
            url: ``sqlite:///path.db``, ``postgresql://…`` (see `db.normalize_url`).
            migrate: apply pending migrations; if False, a schema that is not at the newest
                revision raises `SchemaOutdated`.
            busy_timeout: SQLite only: seconds a writer waits for the lock.

        Raises:
            ConfigError: for a bad URL.
            DatabaseUnavailable: when the database cannot be reached.
            SchemaOutdated: when ``migrate`` is False and migrations are pending.
        """
        engine = db.create_engine(url, busy_timeout=busy_timeout)
        write_engine: AsyncEngine | None = None
        try:
            await db.check_connection(engine, url)
            try:
                if migrate:
                    await db.migrate(engine)
                else:
                    await _check_schema(engine)
            except StorageError:
                raise
            except Exception as error:
                if classify(error) is None:
                    raise
                raise DatabaseUnavailable(
                    f"lost the database at {db.display_url(url)} while migrating: {reason(error)}"
                ) from error
            if engine.dialect.name == "sqlite":
                write_engine = db.create_engine(url, busy_timeout=busy_timeout, in_loop=True)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, url, busy_timeout, write_engine=write_engine)

    @property
    def dialect(self) -> Dialect:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._dialect

    @property
    def engine(self) -> AsyncEngine:
        """The SQLAlchemy engine (for tools such as the CLI's ``db`` commands)."""
        return self._engine

    @property
    def url(self) -> str:
        """The database URL, without credentials, fit for messages."""
        return db.display_url(self._url)

    async def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""
        if self._write_engine is not self._engine:
            await self._write_engine.dispose()
        await self._engine.dispose()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    @contextlib.asynccontextmanager
    async def transaction(self, *, readonly: bool = False, bulk: bool = False
                          ) -> AsyncIterator[Tx]:  # fmt: skip
        """Open a transaction: committed when the block ends, rolled back if it raises.

        The write lock (SQLite) is taken when the block starts and that step is retried while
        the database is busy. The block itself is not re-run: use `run_in_transaction` for
        that. Lock timeouts and lost connections escaping the block are raised as
        `DatabaseBusy` / `DatabaseUnavailable`.

        Args:
            readonly: for reports and exports: on SQLite a deferred transaction that does not
                block the bot's writers; on PostgreSQL ``READ ONLY``.
            bulk: for writes that may touch thousands of rows (expanding a broadcast to its
                audience, retention): on SQLite their statements run on aiosqlite's thread,
                so the event loop keeps answering people meanwhile (see `__init__`).
        """
        try:
            async with self._scope(_kind(readonly, bulk), begin_retries=DEFAULT_RETRIES) as tx:
                yield tx
        except StorageError:
            raise
        except Exception as error:
            kind = classify(error)
            if kind is None:
                raise
            raise self._give_up(kind, error) from error

    async def run_in_transaction(
        self,
        fn: Callable[[Tx], Awaitable[T]],
        *,
        retries: int = DEFAULT_RETRIES,
        readonly: bool = False,
        bulk: bool = False,
    ) -> T:
        """Run ``await fn(tx)`` in a transaction and commit; re-run it all on transient errors.

        Args:
            fn: the unit of work; it may run more than once, so it must only touch the
                database through ``tx`` (no messages sent, no external calls).
            retries: how many times to re-run after a busy/serialization/connection error.
            readonly: see `transaction`.
            bulk: see `transaction`.

        Returns:
            What ``fn`` returned, once committed.

        Raises:
            DatabaseBusy: the database stayed locked or conflicting through every retry.
            DatabaseUnavailable: the connection kept failing.
            asyncio.CancelledError: the caller was cancelled; the transaction was first let
                finish (committed or rolled back) — see below.
        """
        # A cancellation delivered inside a database call can make SQLAlchemy terminate an
        # aiosqlite connection without closing it, leaving SQLite write-locked until garbage
        # collection: every later write then fails with "database is locked". So the unit of
        # work runs in its own task and a cancelled caller waits for it to end before leaving.
        work = asyncio.ensure_future(self._run_retrying(fn, retries, _kind(readonly, bulk)))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await work
            raise

    async def _run_retrying(self, fn: Callable[[Tx], Awaitable[T]], retries: int, kind: _Kind) -> T:
        """The body of `run_in_transaction`: one attempt, and more after transient errors."""
        attempt = 0
        while True:
            try:
                # A busy BEGIN is retried by this loop, with the rest of the attempt.
                async with self._scope(kind, begin_retries=0) as tx:
                    return await fn(tx)
            except StorageError:
                raise
            except Exception as error:
                transient = classify(error)
                if transient is None:
                    raise
                if attempt >= retries:
                    raise self._give_up(transient, error) from error
                delay = BACKOFF_BASE * 2**attempt * random.uniform(0.5, 1.5)
                log.info("retrying transaction after %s error (%s)", transient, reason(error))
                attempt += 1
                await asyncio.sleep(delay)

    @contextlib.asynccontextmanager
    async def _scope(self, kind: _Kind, *, begin_retries: int) -> AsyncIterator[Tx]:
        """Begin, yield a `Tx`, commit or roll back; transient errors propagate raw."""
        async with self._writers_turn(kind):
            session = await self._begin(kind, begin_retries)
            try:
                yield Tx(session, self._dialect)
                await session.commit()
            except BaseException:
                # The connection may be gone; the original error is the one worth reporting.
                with contextlib.suppress(Exception):
                    await session.rollback()
                raise
            finally:
                with contextlib.suppress(Exception):
                    await session.close()

    @contextlib.asynccontextmanager
    async def _writers_turn(self, kind: _Kind) -> AsyncIterator[None]:
        """Wait for this process's other SQLite writers (see `__init__`); nothing otherwise."""
        if self._writers is None or kind == "readonly":
            yield
            return
        try:
            async with asyncio.timeout(self._busy_timeout):
                await self._writers.acquire()
        except TimeoutError:  # as SQLite's own busy timeout would: retried as "busy"
            raise sqlite3.OperationalError("database is locked (by this process)") from None
        try:
            yield
        finally:
            self._writers.release()

    async def _begin(self, kind: _Kind, retries: int) -> AsyncSession:
        """Start a session's transaction now, retrying while the database is busy.

        Connecting eagerly makes SQLite's ``BEGIN IMMEDIATE`` happen here, before the caller's
        code runs, so waiting for the lock can be retried without re-running anything.
        """
        factory = self._session_factories[kind]
        # In-loop SQLite connections have no busy timeout (it would block the loop): a busy
        # BEGIN is tried again here, asynchronously, until the busy timeout has passed.
        waits_here = self._in_loop and kind == "write"
        deadline = asyncio.get_running_loop().time() + self._busy_timeout
        attempt = 0
        pause = LOCK_POLL_FIRST
        while True:
            session = factory()
            try:
                await session.connection()
                if kind == "readonly" and self._dialect == "postgresql":
                    await session.execute(text("SET TRANSACTION READ ONLY"))
                return session
            except BaseException as error:
                with contextlib.suppress(Exception):
                    await session.close()
                transient = classify(error) if isinstance(error, Exception) else None
                if transient is None:
                    raise
                if (waits_here and transient == "busy"
                        and asyncio.get_running_loop().time() + pause < deadline):  # fmt: skip
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, LOCK_POLL_MAX)
                    continue
                if attempt >= retries:
                    raise
                attempt += 1
                await asyncio.sleep(BACKOFF_BASE * 2**attempt * random.uniform(0.5, 1.5))

    def _give_up(self, kind: Transient, error: Exception) -> StorageError:
        """Return the one-line error to raise once retrying is pointless."""
        where = db.display_url(self._url)
        if kind == "busy":
            return DatabaseBusy(f"the database at {where} stayed busy: {reason(error)}")
        return DatabaseUnavailable(f"lost the database at {where}: {reason(error)}")


async def _check_schema(engine: AsyncEngine) -> None:
    """Raise `SchemaOutdated` unless the database is at the newest migration."""
    current = await db.current_revision(engine)
    head = db.head_revision()
    if current != head:
        raise SchemaOutdated(
            f"the database schema is at {current or 'nothing'}, this version needs {head}; "
            "run `sdgbot db upgrade`"
        )

"""SQLite for SQLAlchemy's async engine: one thread hop per statement, or none at all.

aiosqlite runs each SQLite call in the connection's own thread and hands the result back to the
event loop. SQLAlchemy's adapter makes a statement four such calls (open a cursor, execute, fetch
the rows, close the cursor); each hop costs a thread switch and a wake-up of the loop, ~120 µs of
CPU, which made the round trips, not SQLite, most of the storage cost of an input.

* `_OneHopConnection` (``dbapi()``): the four steps run as one function in aiosqlite's thread,
  through the same queue aiosqlite uses for its own calls, so ordering and thread confinement
  are unchanged. For reads and bulk writes, which may be long: the loop goes on meanwhile.
* `_InLoopConnection` (``dbapi(in_loop=True)``): a plain sqlite3 connection called on the event
  loop's own thread. For the bot's short write transactions (a few indexed statements, tens of
  µs each): no hop at all, and a transaction never yields to the loop while it holds SQLite's
  write lock (see `bot.storage.store.Store`). Its connections get no busy timeout.

Either is passed to SQLAlchemy as the DBAPI ``module`` of the aiosqlite dialect; everything
else (pooling, the dialect, errors, server-side cursors) is SQLAlchemy's own.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Generator, Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.engine import AdaptedConnection
from sqlalchemy.util.concurrency import await_only

__all__ = ["InLoopDBAPI", "dbapi"]

_Outcome = tuple[Any, list[Any] | None, int | None, int]
"""What one statement left: its cursor description, its rows, lastrowid and rowcount."""


def _execute(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> _Outcome:
    """Run one statement to the end on aiosqlite's thread (cursor, execute, fetch, close)."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


class _OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's buffered aiosqlite cursor, each statement in one call to the thread."""

    __slots__ = ()

    def _run(self, operation: str, parameters: Any, many: bool) -> None:
        connection = self._connection
        try:
            outcome: _Outcome = self.await_(
                connection._execute(lambda: _execute(connection._conn, operation, parameters, many))
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._keep(outcome)

    def _keep(self, outcome: _Outcome) -> None:
        """Hold a statement's outcome as SQLAlchemy reads it from a DBAPI cursor."""
        description, rows, lastrowid, rowcount = outcome
        self.description = description
        if description:
            self.lastrowid = self.rowcount = -1
            self._rows = deque(rows or ())
        else:
            self.lastrowid = lastrowid if lastrowid is not None else -1
            self.rowcount = rowcount

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        """Execute and buffer the rows, in one hop."""
        self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        """Execute for each parameter set, in one hop."""
        self._run(operation, seq_of_parameters, many=True)


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """The adapted connection, handing out `_OneHopCursor` (server-side cursors unchanged)."""

    __slots__ = ()

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        """A cursor; buffered ones run each statement in one hop."""
        if server_side:
            return super().cursor(server_side=True)
        return _OneHopCursor(self)


class _OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect talks to, with `_OneHopConnection`."""

    def connect(self, *args: Any, **kwargs: Any) -> AsyncAdapt_aiosqlite_connection:
        """Open a connection as SQLAlchemy does, then adapt it with one-hop cursors."""
        adapted = super().connect(*args, **kwargs)
        if type(adapted) is not AsyncAdapt_aiosqlite_connection:
            return adapted  # the sync fallback mode: nothing to gain there
        return _OneHopConnection(self, adapted._connection)


# --- in the event loop: no thread at all, for the bot's short write transactions --------------


class _InLoopCursor(_OneHopCursor):
    """A buffered cursor that runs each statement at once, on the event loop's own thread."""

    __slots__ = ()

    def _run(self, operation: str, parameters: Any, many: bool) -> None:
        connection: sqlite3.Connection = self._adapt_connection._db  # type: ignore[attr-defined]
        self._keep(_execute(connection, operation, parameters, many))
        # SQLAlchemy's Core API insists that a statement awaited something (a sync driver
        # by mistake, it assumes): awaiting what is already done satisfies it, and returns
        # at once without handing the loop to anyone else.
        await_only(_READY)


class _Ready:
    """An awaitable that is already done: awaiting it never suspends."""

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # a generator that ends at once


_READY = _Ready()


class _InLoopConnection(AdaptedConnection):
    """A plain `sqlite3.Connection` dressed as the aiosqlite adapter SQLAlchemy expects.

    Every call returns at once: the greenlet SQLAlchemy runs the session in never hands
    control back to the event loop in the middle of a transaction.
    """

    __slots__ = ("_db", "dbapi")
    await_ = staticmethod(await_only)  # read by the cursor base class; never awaited here

    def __init__(self, dbapi: Any, connection: sqlite3.Connection) -> None:
        self.dbapi = dbapi
        # What SQLAlchemy hands out as the driver connection: sqlite3's, not aiosqlite's.
        self._connection = connection  # type: ignore[assignment]
        self._db = connection

    @property
    def isolation_level(self) -> str | None:
        """The driver's isolation level (None: SQLAlchemy's hooks issue BEGIN themselves)."""
        return self._db.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._db.isolation_level = value  # type: ignore[assignment]

    def create_function(self, *args: Any, **kwargs: Any) -> None:
        """Register an SQL function (SQLAlchemy adds ``regexp``)."""
        self._db.create_function(*args, **kwargs)

    def cursor(self, server_side: bool = False) -> _InLoopCursor:
        """A buffered cursor.

        Streamed results are fetched at once too: these transactions are short; long reads
        and bulk writes go through aiosqlite's thread (`Store`'s read-only and bulk sessions).
        """
        return _InLoopCursor(self)  # type: ignore[arg-type]

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        """Execute on the connection itself."""
        return self._db.execute(*args, **kwargs)

    def commit(self) -> None:
        """Commit."""
        self._db.commit()

    def rollback(self) -> None:
        """Roll back."""
        self._db.rollback()

    def close(self) -> None:
        """Close (also what terminating means here: nothing is in flight on another thread)."""
        self._db.close()

    terminate = close


class InLoopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module for `_InLoopConnection`s: sqlite3 itself, called from the loop."""

    def connect(self, *args: Any, **kwargs: Any) -> _InLoopConnection:  # type: ignore[override]
        """Open a plain sqlite3 connection (SQLAlchemy's async-only arguments dropped)."""
        kwargs.pop("async_fallback", None)
        kwargs.pop("async_creator_fn", None)
        # The pool may close a connection from a garbage-collection callback elsewhere.
        kwargs["check_same_thread"] = False
        return _InLoopConnection(self, sqlite3.connect(*args, **kwargs))


def dbapi(*, in_loop: bool = False) -> AsyncAdapt_aiosqlite_dbapi:
    """The DBAPI ``module`` to give `create_async_engine` for ``sqlite+aiosqlite`` URLs.

    Args:
        in_loop: run statements on the event loop's thread (`_InLoopConnection`) instead of
            aiosqlite's (one hop each).
    """
    return (InLoopDBAPI if in_loop else _OneHopDBAPI)(aiosqlite, sqlite3)

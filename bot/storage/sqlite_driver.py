"""aiosqlite for SQLAlchemy with one thread hop per statement instead of three or four.

aiosqlite runs each SQLite call in the connection's own thread and hands the result back to the
event loop. SQLAlchemy's adapter makes a statement four such calls (open a cursor, execute, fetch
the rows, close the cursor); each hop costs a thread switch and a wake-up of the loop, ~120 µs of
CPU, which made the round trips, not SQLite, most of the storage cost of an input. Here the four
steps run as one function in aiosqlite's thread, through the same queue aiosqlite uses for its
own calls, so ordering and thread confinement are unchanged.

`dbapi()` is passed to SQLAlchemy as the DBAPI ``module`` of the aiosqlite dialect; everything
else (pooling, the dialect, errors, server-side cursors) is SQLAlchemy's own.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

__all__ = ["dbapi"]

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
                connection._execute(
                    lambda: _execute(connection._conn, operation, parameters, many)
                )
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
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


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DBAPI ``module`` to give `create_async_engine` for ``sqlite+aiosqlite`` URLs."""
    return _OneHopDBAPI(aiosqlite, sqlite3)

"""Storage errors, each one readable line, and the classification of driver errors.

Callers (the CLI, the service, the scheduler) catch these instead of SQLAlchemy or driver
exceptions, so an unreachable database is reported as a sentence, never a traceback.
"""

from __future__ import annotations

import socket
from typing import Literal

from sqlalchemy import exc as sa_exc


class StorageError(Exception):
    """Base class of the errors raised by `bot.storage`."""


class ConfigError(StorageError, ValueError):
    """A database URL (or another storage setting) is not usable; the message is one line."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached, or the connection was lost and retries did not help."""


class DatabaseBusy(StorageError):
    """The database stayed locked (SQLite) or kept conflicting (PostgreSQL) through all retries."""


class SchemaOutdated(StorageError):
    """The schema is not at the revision this code expects and migrations were not requested."""


Transient = Literal["busy", "lost"]

# SQLSTATEs worth retrying on PostgreSQL: serialization failure, deadlock, lock not available.
_PG_BUSY_STATES = frozenset({"40001", "40P01", "55P03"})
# SQLSTATE class 08 is "connection exception"; 57P01..57P03 are admin/crash shutdowns.
_PG_LOST_STATES = frozenset({"57P01", "57P02", "57P03"})
_SQLITE_BUSY_WORDS = ("database is locked", "database is busy", "database table is locked")


def _causes(error: BaseException) -> list[BaseException]:
    """Return the error, its `.orig` and its chain of causes (drivers wrap each other)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop(0)
        if current is None or any(current is known for known in seen):
            continue
        seen.append(current)
        orig = getattr(current, "orig", None)
        todo.extend(
            [
                current.__cause__,
                current.__context__,
                orig if isinstance(orig, BaseException) else None,
            ]
        )
    return seen


def classify(error: BaseException) -> Transient | None:
    """Say whether an error is worth retrying, and why.

    Args:
        error: any exception raised while talking to the database.

    Returns:
        ``"busy"`` for lock contention and serialization conflicts, ``"lost"`` for a dropped
        connection, ``None`` for everything else (bugs, constraint violations…).
    """
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return "lost"
    for cause in _causes(error):
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(state, str):
            if state in _PG_BUSY_STATES:
                return "busy"
            if state.startswith("08") or state in _PG_LOST_STATES:
                return "lost"
        text = str(cause).lower()
        if any(word in text for word in _SQLITE_BUSY_WORDS):
            return "busy"
        if isinstance(cause, ConnectionError | TimeoutError):
            return "lost"
        if type(cause).__name__ in {"ConnectionDoesNotExistError", "InterfaceError"} and (
            "connection" in text and ("closed" in text or "does not exist" in text)
        ):
            return "lost"
    return None


def reason(error: BaseException) -> str:
    """Describe why a connection failed, in a few lowercase words fit for one line.

    Args:
        error: the exception raised while connecting.

    Returns:
        e.g. ``"connection refused"``, ``"unknown host"``, ``'database "x" does not exist'``.
    """
    causes = _causes(error)
    for cause in causes:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "unknown host"
        if isinstance(cause, TimeoutError):
            return "timed out"
    # The innermost driver message is the most specific; SQLAlchemy's wrapper adds noise.
    for cause in reversed(causes):
        text = str(cause).strip()
        if text and not isinstance(cause, sa_exc.SQLAlchemyError):
            return text.splitlines()[0]
    return type(error).__name__

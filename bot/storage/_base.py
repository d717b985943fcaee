"""What every part of a transaction (`Tx`) shares: the session, the dialect, portable upserts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Table, TextClause, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

Dialect = Literal["sqlite", "postgresql"]


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime (storage may read the clock)."""
    return datetime.now(UTC)


def require_aware(value: datetime, name: str) -> datetime:
    """Check that a datetime carries a time zone, so nothing is stored in a guessed zone.

    Args:
        value: the datetime to check.
        name: the argument's name, for the error message.

    Returns:
        The same value.

    Raises:
        ValueError: when ``value`` is naive.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got {value.isoformat()})")
    return value


class TxPart:
    """Base of the `Tx` mixins: holds the `AsyncSession` of the open transaction."""

    def __init__(self, session: AsyncSession, dialect: Dialect) -> None:
        self._session = session
        self._dialect: Dialect = dialect

    @property
    def session(self) -> AsyncSession:
        """The SQLAlchemy session of this transaction, for queries `Tx` does not offer."""
        return self._session

    @property
    def dialect(self) -> Dialect:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._dialect

    def _insert(self, table: Table | Any) -> Any:
        """Return the dialect's INSERT, which has ``on_conflict_do_nothing/do_update``.

        Both SQLite (3.24+) and PostgreSQL spell upserts ``INSERT … ON CONFLICT``; SQLAlchemy
        only exposes them on the dialect-specific insert constructs.
        """
        # A Core table (not the mapped class) keeps the ORM's bulk-persistence machinery out of
        # these single-row statements, which run on every input.
        target = getattr(table, "__table__", table)
        if self._dialect == "postgresql":
            return postgresql.insert(target)
        return sqlite.insert(target)


def upsert(
    table: Table | Any, columns: Sequence[str], conflict: Sequence[str], update: Sequence[str] = ()
) -> TextClause:
    """``INSERT … ON CONFLICT (conflict) DO NOTHING | DO UPDATE SET update`` as one SQL text.

    For the statements every input runs. SQLAlchemy's dialect upserts are built anew (and
    ``excluded`` copies the table's columns) and never cached: each execution compiled them
    again, a third of the storage work of an input. SQLite and PostgreSQL spell this statement
    the same way, so it is written once, with each parameter typed by its column (aware
    datetimes, JSON and numbers are bound exactly as through the ORM), and it is cacheable.
    Values are passed at execution, by column name.
    """
    target: Table = getattr(table, "__table__", table)
    names = ", ".join(columns)
    values = ", ".join(f":{name}" for name in columns)
    action = (
        "DO UPDATE SET " + ", ".join(f"{name} = excluded.{name}" for name in update)
        if update
        else "DO NOTHING"
    )
    sql = (
        f"INSERT INTO {target.name} ({names}) VALUES ({values}) "
        f"ON CONFLICT ({', '.join(conflict)}) {action}"
    )
    return text(sql).bindparams(*(bindparam(name, type_=target.c[name].type) for name in columns))

"""Column types that behave the same on SQLite and PostgreSQL.

* `UTCDateTime`: timezone-aware UTC datetimes. PostgreSQL stores ``timestamptz``; SQLite has no
  time zones, so values are stored as naive UTC text (which also sorts correctly) and come back
  aware. Naive datetimes are refused on the way in: a silent local-time guess is how reminders
  end up an hour off.
* `Number`: ``NUMERIC`` that reads back as `Decimal` on both dialects. SQLAlchemy warns when it
  has to convert SQLite floats to `Decimal`; we do that conversion ourselves, through `repr`,
  which keeps the shortest exact spelling (``0.1`` stays ``Decimal("0.1")``), and SQLite's
  NUMERIC affinity keeps integers as integers. SQLite holds other numbers as 64-bit floats,
  so beyond ~15 significant digits only PostgreSQL is exact.
* `JSONDoc`: JSON, stored as ``jsonb`` on PostgreSQL; Python ``None`` is SQL ``NULL``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

NUMBER_PRECISION = 24
NUMBER_SCALE = 6


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, normalised to UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; convert to UTC (naive UTC on SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; pass an aware UTC value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime whatever the dialect handed back."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class _RawNumeric(Numeric[Any]):
    """``NUMERIC`` DDL with the driver's values passed through untouched (SQLite only)."""

    def bind_processor(self, dialect: Dialect) -> None:
        """Pass values through; `Number` has already converted them."""
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        """Pass values through: SQLite returns int or float, `Number` makes the Decimal."""
        return None


class Number(TypeDecorator[Decimal]):
    """An exact number (``NUMERIC(24, 6)``) read back as `Decimal` on every dialect."""

    impl = Numeric(NUMBER_PRECISION, NUMBER_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """On SQLite keep NUMERIC affinity but skip SQLAlchemy's warning Decimal conversion."""
        if dialect.name == "sqlite":
            return _RawNumeric(NUMBER_PRECISION, NUMBER_SCALE)
        return dialect.type_descriptor(Numeric(NUMBER_PRECISION, NUMBER_SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Pass numbers through; SQLite gets a float (its NUMERIC affinity keeps integers)."""
        if value is None:
            return None
        if dialect.name == "sqlite":
            return int(value) if value == int(value) else float(value)
        return Decimal(value) if not isinstance(value, Decimal) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Return a `Decimal` built from the shortest exact spelling of the stored number."""
        if value is None:
            return None
        if isinstance(value, Decimal):
            return value
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def JSONDoc() -> TypeEngine[Any]:
    """Return a JSON type that is ``jsonb`` on PostgreSQL and stores ``None`` as SQL NULL."""
    return JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

"""Portable column types (bot/storage/columns.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from bot.storage.columns import Number, UTCDateTime


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        UTCDateTime().process_bind_param(datetime(2025, 1, 1), sqlite.dialect())


def test_datetimes_are_stored_as_utc() -> None:
    local = datetime(2025, 9, 25, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    on_sqlite = UTCDateTime().process_bind_param(local, sqlite.dialect())
    on_postgres = UTCDateTime().process_bind_param(local, postgresql.dialect())
    assert on_sqlite == datetime(2025, 9, 25, 17, 0)  # naive UTC text sorts correctly
    assert on_postgres == datetime(2025, 9, 25, 17, 0, tzinfo=UTC)
    read = UTCDateTime().process_result_value(on_sqlite, sqlite.dialect())
    assert read == local and read is not None and read.tzinfo is UTC


@pytest.mark.parametrize(
    ("stored", "expected"), [(0.1, Decimal("0.1")), (42, Decimal(42)), (None, None)]
)
def test_sqlite_numbers_come_back_as_exact_decimals(
    stored: float | int | None, expected: Decimal | None
) -> None:
    assert Number().process_result_value(stored, sqlite.dialect()) == expected
    if expected is not None:
        assert str(Number().process_result_value(stored, sqlite.dialect())) == str(expected)

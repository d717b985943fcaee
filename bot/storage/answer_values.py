"""Mapping an answer's Python value to the typed columns of `Answer`, and back.

Rules (checked in this order, because `bool` is an `int` and `datetime` is a `date`):

==================  ==========================================================
Python value        columns written
==================  ==========================================================
``None``            nothing (a skipped optional question)
``bool``            ``value_bool``
``datetime``        refused: steps produce dates; a time needs a time zone story
``date``            ``value_date``
``int``/``float``   ``value_number`` + the original in ``value_json`` (keeps int vs float)
``Decimal``         ``value_number`` (exact; comes back as `Decimal`)
``str``             ``value_text``
list/tuple/dict     ``value_json`` (must be JSON-serialisable)
==================  ==========================================================
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.storage.columns import NUMBER_PRECISION, NUMBER_SCALE

# value_number is NUMERIC(24, 6): 18 digits before the decimal point.
NUMBER_LIMIT = 10 ** (NUMBER_PRECISION - NUMBER_SCALE)
VALUE_COLUMNS = ("value_text", "value_number", "value_bool", "value_date", "value_json")


def encode(value: Any) -> dict[str, Any]:
    """Return the typed column values for one answer value.

    Args:
        value: the answer as the engine recorded it.

    Returns:
        A mapping with every key of `VALUE_COLUMNS` (unused ones are ``None``), so an upsert
        clears the columns a previous answer used.

    Raises:
        TypeError: for values that have no column (objects, datetimes, non-JSON containers).
        ValueError: for NaN or infinite numbers.
    """
    columns: dict[str, Any] = dict.fromkeys(VALUE_COLUMNS)
    if value is None:
        return columns
    if isinstance(value, bool):
        columns["value_bool"] = value
    elif isinstance(value, datetime):
        raise TypeError(f"datetime answers are not supported (got {value!r}); store a date")
    elif isinstance(value, date):
        columns["value_date"] = value
    elif isinstance(value, int | float | Decimal):
        if isinstance(value, float | Decimal) and not math.isfinite(value):
            raise ValueError(f"answer numbers must be finite (got {value!r})")
        if abs(value) >= NUMBER_LIMIT:
            # PostgreSQL would refuse it (NUMERIC overflow); refuse on SQLite too, the same way.
            raise ValueError(f"answer number {value!r} is too large to store")
        columns["value_number"] = value
        if not isinstance(value, Decimal):
            columns["value_json"] = value
    elif isinstance(value, str):
        columns["value_text"] = value
    elif isinstance(value, list | tuple | Mapping):
        document = list(value) if isinstance(value, tuple) else value
        try:
            json.dumps(document)
        except (TypeError, ValueError) as error:
            raise TypeError(f"answer value is not JSON-serialisable: {error}") from error
        columns["value_json"] = document if not isinstance(document, Mapping) else dict(document)
    else:
        raise TypeError(f"cannot store an answer of type {type(value).__name__}")
    return columns


def decode(
    value_text: str | None,
    value_number: Decimal | None,
    value_bool: bool | None,
    value_date: date | None,
    value_json: Any,
) -> Any:
    """Return the Python value of an answer from its typed columns (the inverse of `encode`)."""
    if value_bool is not None:
        return value_bool
    if value_date is not None:
        return value_date
    if value_number is not None:
        # int and float answers keep their original in value_json; Decimals do not.
        if isinstance(value_json, int | float) and not isinstance(value_json, bool):
            return value_json
        return value_number
    if value_text is not None:
        return value_text
    return value_json

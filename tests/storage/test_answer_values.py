"""Python answer values <-> typed columns (bot/storage/answer_values.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.storage.answer_values import VALUE_COLUMNS, decode, encode


def _round_trip(value: Any) -> Any:
    columns = encode(value)
    return decode(*(columns[name] for name in VALUE_COLUMNS))


@pytest.mark.parametrize(
    ("value", "column"),
    [
        ("oui", "value_text"),
        (True, "value_bool"),
        (3, "value_number"),
        (2.5, "value_number"),
        (Decimal("2.50"), "value_number"),
        (date(2025, 9, 25), "value_date"),
        ([1, 2], "value_json"),
        ({"a": 1}, "value_json"),
    ],
)
def test_each_type_has_its_column(value: Any, column: str) -> None:
    columns = encode(value)
    assert columns[column] is not None
    others = [name for name in VALUE_COLUMNS if name not in (column, "value_json")]
    assert all(columns[name] is None for name in others)


def test_bool_is_not_a_number() -> None:
    assert encode(False)["value_number"] is None
    assert _round_trip(False) is False


def test_tuples_become_lists() -> None:
    assert _round_trip(("11", "16")) == ["11", "16"]


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError, match="set"):
        encode({1, 2})
    with pytest.raises(ValueError, match="finite"):
        encode(Decimal("Infinity"))
    with pytest.raises(ValueError, match="too large"):
        encode(10**18)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@given(
    st.text()
    | st.booleans()
    | st.integers(min_value=-(10**15), max_value=10**15)
    | st.floats(min_value=-1e17, max_value=1e17)
    | st.dates()
    | st.lists(json_values, max_size=4)
    | st.dictionaries(st.text(max_size=5), json_values, max_size=4)
)
def test_round_trip_keeps_value_and_type(value: Any) -> None:
    back = _round_trip(value)
    assert back == value
    assert type(back) is type(value)

"""Built-in functions for flow expressions: arithmetic over answers, lists, mappings, dates, bars.

They know no mission: any flow may use them. `BUILTINS` is the registry a catalogue starts from
(`bot.missions` adds the functions of the shipped flows to a copy of it).

Every function tolerates missing values (None) the way a flow author expects: `sum` of nothing is
0, `mean` of nothing is none, so a skipped question never breaks a result message.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.flow.functions import FunctionRegistry

BUILTINS = FunctionRegistry()
"""Every built-in function, by name."""

flow_function = BUILTINS.register


def _numbers(values: Any) -> list[float]:
    if isinstance(values, Mapping):
        values = list(values.values())
    if not isinstance(values, list | tuple):
        values = [values]
    out: list[float] = []
    for value in values:
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float | Decimal):
            out.append(float(value))
        elif isinstance(value, str):
            try:
                out.append(float(value.replace(",", ".")))
            except ValueError:
                continue
    return out


def _tidy(value: float) -> int | float:
    return int(value) if value == int(value) else value


@flow_function("len")
def length(value: Any) -> int:
    """Number of items (0 for none)."""
    return 0 if value is None else builtins.len(value)


@flow_function("sum")
def total(values: Any) -> int | float:
    """Sum of the numbers among `values` (a list or the values of a mapping)."""
    return _tidy(builtins.sum(_numbers(values)))


@flow_function("mean")
def mean(values: Any) -> float | None:
    """Average of the numbers among `values`, or none when there are none."""
    numbers = _numbers(values)
    return builtins.sum(numbers) / builtins.len(numbers) if numbers else None


@flow_function("min")
def minimum(*values: Any) -> Any:
    """Smallest number: `min(list)` or `min(a, b, …)`; none when empty."""
    numbers = _numbers(values[0] if builtins.len(values) == 1 else list(values))
    return _tidy(builtins.min(numbers)) if numbers else None


@flow_function("max")
def maximum(*values: Any) -> Any:
    """Largest number: `max(list)` or `max(a, b, …)`; none when empty."""
    numbers = _numbers(values[0] if builtins.len(values) == 1 else list(values))
    return _tidy(builtins.max(numbers)) if numbers else None


@flow_function("round")
def rounded(value: Any, digits: int = 0) -> Any:
    """Round a number to `digits` decimals (none stays none)."""
    numbers = _numbers(value)
    if not numbers:
        return None
    result = builtins.round(numbers[0], int(digits))
    return int(result) if int(digits) == 0 else result


@flow_function("abs")
def absolute(value: Any) -> Any:
    """Absolute value (none stays none)."""
    numbers = _numbers(value)
    return _tidy(builtins.abs(numbers[0])) if numbers else None


@flow_function("int")
def to_int(value: Any) -> int | None:
    """Whole number from a number or a numeric text."""
    numbers = _numbers(value)
    return builtins.int(numbers[0]) if numbers else None


@flow_function("float")
def to_float(value: Any) -> float | None:
    """Decimal number from a number or a numeric text."""
    numbers = _numbers(value)
    return numbers[0] if numbers else None


@flow_function("str")
def to_str(value: Any) -> str:
    """Text form of a value (2.0 → "2")."""
    if isinstance(value, float) and value == int(value):
        return builtins.str(builtins.int(value))
    return "" if value is None else builtins.str(value)


@flow_function("count")
def count(values: Any, item: Any = None) -> int:
    """Number of items, or of items equal to `item` (a mapping counts its values)."""
    if values is None:
        return 0
    items = list(values.values()) if isinstance(values, Mapping) else list(values)
    if item is None:
        return builtins.len(items)
    return builtins.sum(1 for value in items if value == item or builtins.str(value) == str(item))


@flow_function("keys")
def keys(mapping: Any) -> list[Any]:
    """The keys of a mapping."""
    return list(mapping) if isinstance(mapping, Mapping) else []


@flow_function("values")
def values(mapping: Any) -> list[Any]:
    """The values of a mapping."""
    return list(mapping.values()) if isinstance(mapping, Mapping) else []


@flow_function("items")
def items(mapping: Any) -> list[list[Any]]:
    """`[key, value]` pairs of a mapping."""
    return [[k, v] for k, v in mapping.items()] if isinstance(mapping, Mapping) else []


@flow_function("sorted")
def sort(values: Any) -> list[Any]:
    """The items sorted (numbers before texts; none last)."""
    if not isinstance(values, Iterable) or isinstance(values, str):
        return []
    return builtins.sorted(
        values,
        key=lambda v: (
            v is None,
            isinstance(v, str),
            v if v is not None and not isinstance(v, str) else 0,
            str(v),
        ),
    )


@flow_function("reversed")
def reverse(values: Any) -> list[Any]:
    """The items in reverse order."""
    return list(values)[::-1] if isinstance(values, list | tuple) else []


@flow_function("unique")
def unique(values: Any) -> list[Any]:
    """The items without repeats, in first-seen order."""
    seen: list[Any] = []
    for value in values or []:
        if value not in seen:
            seen.append(value)
    return seen


@flow_function("range")
def int_range(start: Any, stop: Any = None) -> list[int]:
    """`range(n)` → 0..n-1, `range(a, b)` → a..b-1 (at most 1000 items)."""
    a, b = (0, start) if stop is None else (start, stop)
    lo, hi = builtins.int(a or 0), builtins.int(b or 0)
    return list(builtins.range(lo, builtins.min(hi, lo + 1000)))


@flow_function("any")
def any_true(values: Any) -> bool:
    """Whether any item is true."""
    return builtins.any(values or [])


@flow_function("all")
def all_true(values: Any) -> bool:
    """Whether every item is true (and there is at least one)."""
    items_ = list(values or [])
    return bool(items_) and builtins.all(items_)


@flow_function("first")
def first(values: Any) -> Any:
    """The first item, or none."""
    items_ = list(values.values()) if isinstance(values, Mapping) else list(values or [])
    return items_[0] if items_ else None


@flow_function("last")
def last(values: Any) -> Any:
    """The last item, or none."""
    items_ = list(values.values()) if isinstance(values, Mapping) else list(values or [])
    return items_[-1] if items_ else None


def _ranked(mapping: Any, n: Any, *, highest: bool) -> list[Any]:
    if not isinstance(mapping, Mapping):
        return []
    scored = [(k, v) for k, v in mapping.items() if _numbers(v)]
    scored.sort(key=lambda kv: _numbers(kv[1])[0], reverse=highest)
    return [k for k, _ in scored[: builtins.int(n or 0)]]


@flow_function("top")
def top(mapping: Any, n: Any = 3) -> list[Any]:
    """Keys of the `n` highest values of a mapping."""
    return _ranked(mapping, n, highest=True)


@flow_function("bottom")
def bottom(mapping: Any, n: Any = 3) -> list[Any]:
    """Keys of the `n` lowest values of a mapping."""
    return _ranked(mapping, n, highest=False)


@flow_function("filter_ge")
def filter_ge(mapping: Any, threshold: Any) -> list[Any]:
    """Keys of a mapping whose value is at least `threshold`."""
    if not isinstance(mapping, Mapping):
        return []
    limit = _numbers(threshold)
    return [k for k, v in mapping.items() if _numbers(v) and limit and _numbers(v)[0] >= limit[0]]


@flow_function("bar")
def bar(value: Any, maximum_: Any = 4, width: Any = 8) -> str:
    """A text bar for phones and lite mode: `bar(2, 4)` → "▓▓▓▓░░░░"."""
    numbers, top_ = _numbers(value), _numbers(maximum_)
    width_ = builtins.max(1, builtins.min(builtins.int(width or 8), 40))
    if not numbers or not top_ or top_[0] <= 0:
        return "░" * width_
    filled = builtins.round(builtins.max(0.0, builtins.min(numbers[0] / top_[0], 1.0)) * width_)
    return "▓" * filled + "░" * (width_ - filled)


@flow_function("percent")
def percent(part: Any, whole: Any) -> int | None:
    """`part` as a whole percentage of `whole`."""
    a, b = _numbers(part), _numbers(whole)
    if not a or not b or b[0] == 0:
        return None
    return builtins.round(100 * a[0] / b[0])


@flow_function("join")
def join(values: Any, separator: Any = ", ") -> str:
    """Items joined into one text."""
    return builtins.str(separator).join(to_str(v) for v in (values or []))


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


@flow_function("date_add")
def date_add(value: Any, days: Any) -> str | None:
    """The ISO date `days` after `value`."""
    day, n = _date(value), _numbers(days)
    return (day + timedelta(days=n[0])).isoformat() if day and n else None


@flow_function("days_between")
def days_between(a: Any, b: Any) -> int | None:
    """Days from date `a` to date `b` (negative when `b` is earlier)."""
    first_, second = _date(a), _date(b)
    return (second - first_).days if first_ and second else None


@flow_function("date")
def make_date(year: Any, month: Any, day: Any) -> str | None:
    """The ISO date of `year`, `month`, `day`, or none when it does not exist."""
    try:
        return date(builtins.int(year), builtins.int(month), builtins.int(day)).isoformat()
    except (TypeError, ValueError):
        return None

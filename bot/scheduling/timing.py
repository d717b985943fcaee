"""Pure date and time arithmetic of reminders: local hours, quiet hours, daylight saving.

No database and no clock here: every function that needs the present takes ``now``. All instants
are timezone-aware; instants handed back are in UTC. A wall-clock time that does not exist (the
hour skipped when clocks go forward, last Sunday of March in Brussels) moves forward by the
gap; one that exists twice (clocks going back in October) is taken the first time. Both are
what `zoneinfo` does with ``fold=0``, which `localize` relies on and the tests pin down.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

QuietHours = tuple[int, int]
"""``(start, end)`` local hours: nothing from ``start``:00 to ``end``:00 (may wrap midnight)."""

DEFAULT_ZONE = "Europe/Brussels"
STEP_MONTHS = {"monthly": 1, "quarterly": 3, "half-yearly": 6, "yearly": 12}
"""Months between two occurrences of a recurring deadline, by rhythm name."""


def zone(name: str | None, fallback: str = DEFAULT_ZONE) -> ZoneInfo:
    """Return the IANA zone ``name``, or ``fallback`` when it is empty or unknown."""
    for candidate in (name, fallback, DEFAULT_ZONE):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def is_zone(name: str) -> bool:
    """Whether ``name`` is a known IANA time zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def localize(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``day`` ``at`` in ``tz`` (a skipped time moves forward)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The calendar date in ``tz`` at ``moment``."""
    return moment.astimezone(tz).date()


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The instant ``day`` ends in ``tz`` (midnight starting the next day), in UTC."""
    return localize(day + timedelta(days=1), time(0), tz)


def in_quiet_hours(hour: int, quiet: QuietHours) -> bool:
    """Whether local ``hour`` (0–23) falls in the quiet hours; ``(h, h)`` means none."""
    start, end = quiet
    if start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def next_allowed(moment: datetime, tz: ZoneInfo, quiet: QuietHours) -> datetime:
    """``moment`` itself when it is outside quiet hours in ``tz``, else when they end (UTC).

    Args:
        moment: an aware instant.
        tz: the recipient's zone.
        quiet: the quiet hours, local.
    """
    local = moment.astimezone(tz)
    if not in_quiet_hours(local.hour, quiet):
        return moment.astimezone(UTC)
    start, end = quiet
    day = local.date()
    # Wrapping quiet hours (21–8): in the evening part the quiet time ends tomorrow morning.
    if start > end and local.hour >= start:
        day += timedelta(days=1)
    return localize(day, time(end), tz)


def send_time(day: date, hour: int, tz: ZoneInfo, quiet: QuietHours) -> datetime:
    """When a message for local ``day`` at ``hour`` goes out: then, or when quiet hours end."""
    return next_allowed(localize(day, time(hour), tz), tz, quiet)


def snooze_until(now: datetime, tz: ZoneInfo, hour: int, quiet: QuietHours) -> datetime:
    """When "Remind me tomorrow" comes back: tomorrow at the reminder's local hour."""
    return send_time(local_date(now, tz) + timedelta(days=1), hour, tz, quiet)


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months``; a month-end stays a month-end (30 June + 3 months = 30 Sept)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    month_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return date(year, month + 1, last if month_end else min(day.day, last))


def period_ends(rhythm: str, start: date, end: date) -> list[date]:
    """Last days of the calendar periods of ``rhythm`` (quarterly: 31 Mar, 30 Jun…) in [start, end].

    Args:
        rhythm: monthly, quarterly, half-yearly or yearly.
        start: first date considered.
        end: last date considered.

    Raises:
        ValueError: for an unknown rhythm.
    """
    step = STEP_MONTHS.get(rhythm)
    if step is None:
        raise ValueError(f"unknown rhythm {rhythm!r}; use one of {', '.join(STEP_MONTHS)}")
    # The first period end of the year, e.g. 31 March for quarters, then every `step` months.
    current = add_months(date(start.year, 1, 31), step - 1)
    current = date(current.year, current.month, calendar.monthrange(current.year, current.month)[1])
    found: list[date] = []
    while current <= end:
        if current >= start:
            found.append(current)
        current = add_months(current, step)
    return found


def days_left(due: date, now: datetime, tz: ZoneInfo) -> int:
    """Whole days from the recipient's today to ``due`` (0 on the day, negative once past)."""
    return (due - local_date(now, tz)).days


PERIOD_MONTHS = {"quarter": 3, "half-year": 6, "year": 12}
"""Months in each period a flow can be answered once per (`Flow.once_per`)."""


def period_began(now: datetime, tz: ZoneInfo, period: str) -> datetime:
    """When the quarter, half-year or year `now` falls in began, in `tz` (aware)."""
    months = PERIOD_MONTHS[period]
    local = now.astimezone(tz)
    first = months * ((local.month - 1) // months) + 1
    return local.replace(month=first, day=1, hour=0, minute=0, second=0, microsecond=0)


def period_of(now: datetime, timezone: str | None) -> str:
    """The check-in period (a quarter) `now` falls in, in the user's time zone: "2026-Q4"."""
    try:
        local = now.astimezone(ZoneInfo(timezone or "Europe/Brussels"))
    except (ZoneInfoNotFoundError, ValueError):
        local = now
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"


__all__ = [
    "DEFAULT_ZONE",
    "PERIOD_MONTHS",
    "STEP_MONTHS",
    "QuietHours",
    "add_months",
    "days_left",
    "end_of_day",
    "in_quiet_hours",
    "is_zone",
    "local_date",
    "localize",
    "next_allowed",
    "period_began",
    "period_ends",
    "period_of",
    "send_time",
    "snooze_until",
    "zone",
]

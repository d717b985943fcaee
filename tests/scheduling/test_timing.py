"""Pure time arithmetic: local hours, quiet hours, daylight saving, partner time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.scheduling.timing import (
    add_months,
    days_left,
    end_of_day,
    in_quiet_hours,
    localize,
    next_allowed,
    period_ends,
    send_time,
    snooze_until,
    zone,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
QUIET = (21, 8)
PARTNER_ZONES = [
    "Europe/Brussels",
    "America/La_Paz",
    "America/Guayaquil",
    "America/Guatemala",
    "Africa/Porto-Novo",
    "Africa/Dakar",
    "Africa/Kigali",
]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 3, 27), utc(2027, 3, 27, 8)),  # Saturday before the change: CET, UTC+1
        (date(2027, 3, 28), utc(2027, 3, 28, 7)),  # last Sunday of March: CEST from 02:00
        (date(2027, 3, 29), utc(2027, 3, 29, 7)),
        (date(2027, 10, 30), utc(2027, 10, 30, 7)),  # still CEST
        (date(2027, 10, 31), utc(2027, 10, 31, 8)),  # last Sunday of October: back to CET
    ],
)
def test_nine_in_brussels_stays_nine_across_dst(day: date, expected: datetime) -> None:
    sent = send_time(day, 9, BRUSSELS, QUIET)
    assert sent == expected
    assert sent.astimezone(BRUSSELS).hour == 9


def test_a_skipped_hour_moves_forward_and_a_repeated_one_is_taken_first() -> None:
    assert localize(date(2027, 3, 28), time(2, 30), BRUSSELS) == utc(2027, 3, 28, 1, 30)
    assert localize(date(2027, 3, 28), time(2, 30), BRUSSELS).astimezone(BRUSSELS).hour == 3
    assert localize(date(2027, 10, 31), time(2, 30), BRUSSELS) == utc(2027, 10, 31, 0, 30)


@pytest.mark.parametrize(
    ("tz", "utc_hour"),
    [
        ("America/La_Paz", 13),
        ("America/Guayaquil", 14),
        ("America/Guatemala", 15),
        ("Africa/Porto-Novo", 8),
        ("Africa/Dakar", 9),
        ("Africa/Kigali", 7),
        ("Europe/Brussels", 7),  # CEST in April
    ],
)
def test_partner_time_zones_get_their_own_nine_oclock(tz: str, utc_hour: int) -> None:
    sent = send_time(date(2027, 4, 20), 9, ZoneInfo(tz), QUIET)
    assert sent == utc(2027, 4, 20, utc_hour)


@pytest.mark.parametrize(
    ("local", "expected_local"),
    [
        (datetime(2027, 4, 12, 22, 15), datetime(2027, 4, 13, 8, 0)),  # evening: next morning
        (datetime(2027, 4, 12, 3, 0), datetime(2027, 4, 12, 8, 0)),  # night: this morning
        (datetime(2027, 4, 12, 7, 59), datetime(2027, 4, 12, 8, 0)),
        (datetime(2027, 4, 12, 8, 0), datetime(2027, 4, 12, 8, 0)),  # 08:00 is allowed
        (datetime(2027, 4, 12, 20, 59), datetime(2027, 4, 12, 20, 59)),
        (datetime(2027, 4, 12, 21, 0), datetime(2027, 4, 13, 8, 0)),  # 21:00 is quiet
    ],
)
def test_quiet_hours_push_to_the_morning(local: datetime, expected_local: datetime) -> None:
    tz = ZoneInfo("America/La_Paz")
    moment = local.replace(tzinfo=tz)
    assert next_allowed(moment, tz, QUIET) == expected_local.replace(tzinfo=tz).astimezone(UTC)


def test_quiet_hours_ending_on_the_night_clocks_go_forward() -> None:
    # 01:00 CET on 28 March 2027; quiet hours end at 08:00, which is already CEST.
    assert next_allowed(utc(2027, 3, 28, 0), BRUSSELS, QUIET) == utc(2027, 3, 28, 6)
    # and on the night they go back, 08:00 is CET again
    assert next_allowed(utc(2027, 10, 31, 1), BRUSSELS, QUIET) == utc(2027, 10, 31, 7)


def test_a_reminder_hour_inside_quiet_hours_waits_for_the_morning() -> None:
    assert send_time(date(2027, 4, 12), 22, BRUSSELS, QUIET) == utc(2027, 4, 13, 6)


def test_quiet_hours_shapes() -> None:
    assert in_quiet_hours(23, (21, 8)) and in_quiet_hours(0, (21, 8))
    assert not in_quiet_hours(12, (21, 8))
    assert in_quiet_hours(3, (0, 6)) and not in_quiet_hours(6, (0, 6))
    assert not any(in_quiet_hours(h, (8, 8)) for h in range(24))


@given(
    st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2032, 12, 31), timezones=st.just(UTC)
    ),
    st.sampled_from(PARTNER_ZONES),
)
def test_next_allowed_is_never_quiet_never_earlier_and_within_a_night(
    moment: datetime, tz_name: str
) -> None:
    tz = ZoneInfo(tz_name)
    allowed = next_allowed(moment, tz, QUIET)
    assert allowed >= moment
    assert allowed - moment <= timedelta(hours=12)
    assert not in_quiet_hours(allowed.astimezone(tz).hour, QUIET)


def test_snooze_means_tomorrow_in_the_users_own_calendar() -> None:
    la_paz = ZoneInfo("America/La_Paz")
    # 23:30 on 12 April in La Paz is already 13 April in UTC: tomorrow is still the 13th there.
    now = datetime(2027, 4, 12, 23, 30, tzinfo=la_paz)
    assert snooze_until(now, la_paz, 9, QUIET) == datetime(2027, 4, 13, 9, tzinfo=la_paz)
    kigali = ZoneInfo("Africa/Kigali")
    now = datetime(2027, 4, 12, 0, 30, tzinfo=kigali)  # still 11 April in UTC
    assert snooze_until(now, kigali, 10, QUIET) == datetime(2027, 4, 13, 10, tzinfo=kigali)


def test_months_keep_month_ends_and_clamp() -> None:
    assert add_months(date(2027, 6, 30), 3) == date(2027, 9, 30)
    assert add_months(date(2027, 9, 30), 3) == date(2027, 12, 31)
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2027, 1, 15), 1) == date(2027, 2, 15)
    assert add_months(date(2027, 3, 31), -3) == date(2026, 12, 31)


def test_period_ends_by_rhythm() -> None:
    year = (date(2027, 1, 1), date(2027, 12, 31))
    assert period_ends("quarterly", *year) == [
        date(2027, 3, 31),
        date(2027, 6, 30),
        date(2027, 9, 30),
        date(2027, 12, 31),
    ]
    assert period_ends("half-yearly", *year) == [date(2027, 6, 30), date(2027, 12, 31)]
    assert period_ends("yearly", *year) == [date(2027, 12, 31)]
    assert len(period_ends("monthly", *year)) == 12
    with pytest.raises(ValueError, match="unknown rhythm"):
        period_ends("weekly", *year)


def test_days_left_and_end_of_day_are_local() -> None:
    guatemala = ZoneInfo("America/Guatemala")
    now = utc(2027, 6, 30, 3)  # 29 June, 21:00 in Guatemala
    assert days_left(date(2027, 6, 30), now, guatemala) == 1
    assert days_left(date(2027, 6, 30), now, BRUSSELS) == 0
    assert end_of_day(date(2027, 6, 30), BRUSSELS) == utc(2027, 6, 30, 22)


def test_unknown_zone_falls_back_to_brussels() -> None:
    assert zone("Mars/Olympus") == BRUSSELS
    assert zone(None) == BRUSSELS
    assert zone("Africa/Dakar") == ZoneInfo("Africa/Dakar")

"""The calendar as data: reading definitions, occurrences, each offset's time and expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.flow.errors import FlowError
from bot.i18n import LANGUAGES
from bot.scheduling.audience import Term, parse_audience, parse_term
from bot.scheduling.deadlines import (
    from_spec,
    load_file,
    occurrences,
    parse,
    reminder_plan,
)
from bot.scheduling.planner import shipped_deadlines_file

QUIET = (21, 8)


def deadline(**fields: object):  # type: ignore[no-untyped-def]
    spec = {
        "id": "report",
        "title": {"fr": "Rapport", "nl": "Verslag", "es": "Informe", "en": "Report"},
        "due": "2027-06-30",
        **fields,
    }
    found, problems = parse(spec)
    assert found is not None, problems
    return found


def test_the_shipped_calendar_reads_in_four_languages() -> None:
    found = load_file(shipped_deadlines_file())
    ids = {d.id for d in found}
    assert {
        "financial_report",
        "annual_accounts",
        "narrative_report",
        "final_evaluation",
        "midterm_evaluation",
        "week_registration",
        "week_heroes",
        "week_starts",
        "partnership_checkin",
    } <= ids
    for item in found:
        assert not item.title.missing(LANGUAGES), item.id
        assert from_spec(item.to_spec()) == item  # survives the database round trip
    checkin = next(d for d in found if d.id == "partnership_checkin")
    assert checkin.every == "partnership" and checkin.flow == "partnership_checkin"


def test_problems_are_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "deadlines.yaml"
    path.write_text(
        "deadlines:\n"
        "  - id: Bad Id\n"
        "    title: Report\n"
        "    due: 30 February\n"
        "    every: weekly\n"
        "    hour: 25\n"
        "    audience: [planet:mars]\n"
        "    offsets: [-1]\n",
        encoding="utf-8",
    )
    with pytest.raises(FlowError) as caught:
        load_file(path, require_all_languages=False)
    text = str(caught.value)
    for line, fragment in [
        (2, "id 'Bad Id'"),
        (4, "not a date"),
        (5, "every"),
        (6, "hour"),
        (7, "audience"),
        (8, "offsets"),
    ]:
        assert f"deadlines.yaml:{line}: " in text and fragment in text, (line, text)
    path.write_text("deadlines:\n  - id: x\n    title: X\n    due: 2027-02-30\n")
    with pytest.raises(FlowError, match=r"deadlines.yaml:4: .*day is out of range"):
        load_file(path, require_all_languages=False)


def test_yearly_occurrences_and_their_previous_due_date() -> None:
    found = occurrences(
        deadline(every="yearly", due="2023-06-30", until="2030-06-30"),
        date(2027, 1, 1),
        date(2029, 12, 31),
    )
    assert [o.due for o in found] == [date(2027, 6, 30), date(2028, 6, 30), date(2029, 6, 30)]
    assert found[0].since == date(2026, 6, 30)
    assert found[0].key == "2027-06-30"


def test_once_and_until() -> None:
    assert [o.due for o in occurrences(deadline(), date(2027, 1, 1), date(2027, 12, 31))] == [
        date(2027, 6, 30)
    ]
    assert (
        occurrences(
            deadline(every="yearly", until="2026-12-31"), date(2027, 1, 1), date(2030, 1, 1)
        )
        == []
    )


def test_partnership_occurrences_follow_each_twinnings_rhythm() -> None:
    checkin = deadline(every="partnership", due="2026-12-31", flow="partnership_checkin")
    found = occurrences(
        checkin,
        date(2027, 1, 1),
        date(2027, 12, 31),
        [
            ("brasschaat-tarija", "quarterly"),
            ("herent-nimlahakok", "half-yearly"),
            ("no-rhythm", None),
        ],
    )
    by = {}
    for o in found:
        by.setdefault(o.partnership, []).append(o.due)
    assert by["brasschaat-tarija"] == [
        date(2027, 3, 31),
        date(2027, 6, 30),
        date(2027, 9, 30),
        date(2027, 12, 31),
    ]
    assert by["herent-nimlahakok"] == [date(2027, 6, 30), date(2027, 12, 31)]
    assert by["no-rhythm"] == by["brasschaat-tarija"]  # the programme's default: quarterly
    first = next(o for o in found if o.partnership == "brasschaat-tarija")
    assert first.key == "brasschaat-tarija/2027-03-31" and first.since == date(2026, 12, 31)


def test_each_offset_goes_at_the_local_hour_and_expires_when_the_next_one_goes() -> None:
    occurrence = occurrences(
        deadline(offsets=[30, 7, 1], hour=9), date(2027, 6, 30), date(2027, 6, 30)
    )[0]
    plan = reminder_plan(occurrence, "America/La_Paz", QUIET)
    la_paz = ZoneInfo("America/La_Paz")
    assert [p.offset for p in plan] == [30, 7, 1]
    assert [p.send_at.astimezone(la_paz) for p in plan] == [
        datetime(2027, 5, 31, 9, tzinfo=la_paz),
        datetime(2027, 6, 23, 9, tzinfo=la_paz),
        datetime(2027, 6, 29, 9, tzinfo=la_paz),
    ]
    assert plan[0].expires_at == plan[1].send_at and plan[1].expires_at == plan[2].send_at
    # the last one is useful until the due date is over in Brussels (midnight CEST)
    assert plan[2].expires_at == datetime(2027, 6, 30, 22, tzinfo=UTC)


def test_an_offset_pushed_past_the_deadline_by_quiet_hours_is_left_out() -> None:
    occurrence = occurrences(
        deadline(offsets=[1, 0], hour=23), date(2027, 6, 30), date(2027, 6, 30)
    )[0]
    plan = reminder_plan(occurrence, "Africa/Kigali", QUIET)
    # 23:00 is quiet: offset 1 moves to the morning of the 30th, offset 0 to 1 July (too late)
    assert [p.offset for p in plan] == [1]
    assert plan[0].send_at == datetime(2027, 6, 30, 6, tzinfo=UTC)  # 08:00 in Kigali


def test_reminder_dates_cross_dst_at_the_same_local_hour() -> None:
    occurrence = occurrences(
        deadline(due="2027-04-02", offsets=[7, 1], hour=9), date(2027, 4, 2), date(2027, 4, 2)
    )[0]
    plan = reminder_plan(occurrence, "Europe/Brussels", QUIET)
    assert [p.send_at for p in plan] == [
        datetime(2027, 3, 26, 8, tzinfo=UTC),  # CET
        datetime(2027, 4, 1, 7, tzinfo=UTC),
    ]  # CEST


def test_audience_terms() -> None:
    assert parse_audience([]) == (Term("all"),)
    assert parse_audience(["country:be role:user"]) == (Term("country", "BE"), Term("role", "user"))
    assert parse_term("side:South") == Term("side", "south")
    for bad in ("planet:mars", "role:king", "country:BEL", "language:de", "side:east", "x"):
        with pytest.raises(ValueError):
            parse_term(bad)

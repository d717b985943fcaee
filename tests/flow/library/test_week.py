"""Tests for the Sustainable Municipality Week functions."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.flow.functions import FUNCTIONS
from bot.flow.library import week
from bot.flow.library.week import (
    week_days_to_start,
    week_edition,
    week_end,
    week_goals,
    week_hero_slots,
    week_merge,
    week_names,
    week_previous,
    week_registration_late,
    week_same_edition,
    week_start,
    week_started,
    week_todo,
    week_without_consent,
)


def hero(name: str, consent: bool = True, sdgs: list[int] | None = None) -> dict[str, object]:
    return {
        "hero_name": name,
        "hero_kind": "citizen",
        "hero_what": "…",
        "hero_sdgs": sdgs or [13],
        "hero_consent": consent,
    }


@pytest.mark.parametrize(
    ("today", "edition"),
    [
        (date(2026, 1, 1), 2026),
        (date(2026, 9, 18), 2026),
        (date(2026, 9, 25), 2026),
        (date(2026, 9, 26), 2027),
        (date(2026, 12, 31), 2027),
        ("2026-09-25", 2026),
        (datetime(2026, 9, 26, 0, 5), 2027),
    ],
)
def test_edition_switches_to_next_year_after_25_september(today: date | str, edition: int) -> None:
    assert week_edition(today) == edition


def test_week_dates() -> None:
    assert week_start(2027) == "2027-09-18"
    assert week_end(2027) == "2027-09-25"


def test_started_from_18_september_on() -> None:
    assert not week_started(date(2026, 9, 17), 2026)
    assert week_started(date(2026, 9, 18), 2026)
    assert week_started("2026-09-25", 2026)
    # after the week the edition is next year's, which has not started
    assert not week_started(date(2026, 9, 26), week_edition(date(2026, 9, 26)))


def test_days_to_start() -> None:
    assert week_days_to_start(date(2026, 9, 1), 2026) == 17
    assert week_days_to_start(date(2026, 9, 20), 2026) == 0


def test_registration_late_after_early_july() -> None:
    assert not week_registration_late(date(2026, 6, 30), 2026)
    assert not week_registration_late(date(2026, 7, 1), 2026)
    assert week_registration_late(date(2026, 7, 2), 2026)
    # registering in October is early for next year's edition
    assert not week_registration_late(date(2026, 10, 2), 2027)


def test_previous_only_counts_for_the_same_edition() -> None:
    previous = {"answers": {"register": True}, "vars": {"edition": 2026, "heroes": [hero("Ana")]}}
    assert week_same_edition(previous, 2026)
    assert not week_same_edition(previous, 2027)
    assert not week_same_edition(None, 2026)
    assert not week_same_edition({"answers": {}, "vars": {}}, 2026)
    assert week_previous(previous, 2026, "heroes") == [hero("Ana")]
    assert week_previous(previous, 2027, "heroes") == []
    assert week_previous(None, 2026, "activities") == []
    assert week_previous(previous, 2026, "activities") == []
    assert week_previous(previous, 2027, "registered") is None


def test_previous_edition_stored_as_text_still_matches() -> None:
    assert week_same_edition({"vars": {"edition": "2026"}}, 2026)
    assert not week_same_edition({"vars": {"edition": "soon"}}, 2026)


def test_merge_keeps_previous_and_appends_new() -> None:
    merged = week_merge([hero("Ana")], [hero("Bo"), hero("Cy")], "hero_name")
    assert [h["hero_name"] for h in merged] == ["Ana", "Bo", "Cy"]


def test_merge_replaces_an_entry_with_the_same_name_in_place() -> None:
    previous = [hero("Ana", consent=False), hero("Bo")]
    merged = week_merge(previous, [hero("  ana ", consent=True)], "hero_name")
    assert [h["hero_name"] for h in merged] == ["  ana ", "Bo"]
    assert merged[0]["hero_consent"] is True
    assert previous[0]["hero_consent"] is False  # inputs untouched


def test_merge_handles_missing_lists() -> None:
    assert week_merge(None, None, "hero_name") == []
    assert week_merge(None, [{"act_title": "Walk"}], "act_title") == [{"act_title": "Walk"}]


def test_hero_slots_never_negative() -> None:
    assert week_hero_slots([]) == 17
    assert week_hero_slots(None) == 17
    assert week_hero_slots([hero(str(i)) for i in range(16)]) == 1
    assert week_hero_slots([hero(str(i)) for i in range(20)]) == 0


def test_without_consent_names_the_heroes() -> None:
    heroes = [hero("Ana"), hero("Bo", consent=False), {"hero_name": "Cy"}]
    assert week_without_consent(heroes) == ["Bo", "Cy"]
    assert week_without_consent(None) == []


def test_names_in_order() -> None:
    assert week_names([hero("Ana"), hero("Bo")]) == ["Ana", "Bo"]
    assert week_names(None) == []


def test_goals_union_sorted() -> None:
    heroes = [hero("Ana", sdgs=[13, 2]), hero("Bo", sdgs=[2, 16])]
    assert week_goals(heroes, "hero_sdgs") == [2, 13, 16]
    assert week_goals([{"act_sdgs": 11}, {"act_sdgs": None}], "act_sdgs") == [11]


def test_todo_lists_unticked_items_with_due_dates_in_order() -> None:
    todo = week_todo(["material", "social"], [hero("Ana")], date(2026, 9, 5), 2026)
    assert [(t["id"], t["due"]) for t in todo] == [
        ("press", "2026-09-11"),
        ("pages", "2026-09-17"),
        ("flag", "2026-09-25"),
    ]
    assert todo[0]["days"] == 6
    assert not any(t["late"] for t in todo)


def test_todo_without_heroes_and_consent() -> None:
    ids = [
        t["id"]
        for t in week_todo(["flag", "pages", "material", "press", "social"], [], "2026-06-01", 2026)
    ]
    assert ids == ["heroes"]
    todo = week_todo(
        ["flag", "pages", "material", "press", "social"],
        [hero("Bo", consent=False)],
        "2026-06-01",
        2026,
    )
    assert [t["id"] for t in todo] == ["consent"]


def test_todo_marks_late_items() -> None:
    todo = {t["id"]: t for t in week_todo([], [hero("Ana")], date(2026, 9, 20), 2026)}
    assert todo["press"]["late"] and todo["press"]["days"] == -9
    assert not todo["flag"]["late"] and todo["flag"]["days"] == 5


def test_everything_done_leaves_nothing() -> None:
    assert week_todo(list(week.CHECKLIST_DUE), [hero("Ana")], date(2026, 8, 1), 2026) == []


def test_functions_are_registered() -> None:
    for name in ("week_edition", "week_merge", "week_todo", "week_previous", "week_hero_slots"):
        assert name in FUNCTIONS

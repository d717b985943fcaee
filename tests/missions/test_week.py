"""Tests for the Sustainable Municipality Week functions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.content import load_catalogue
from bot.flow import engine
from bot.flow.catalogue import Catalogue
from bot.flow.definition import Flow
from bot.flow.events import AnswerRejected, Event, MessageCreated, QuestionAsked
from bot.flow.loader import load_flow_file
from bot.flow.state import RunState, SubmitInput, TextInput
from bot.i18n import html_to_plain
from bot.missions import FUNCTIONS, week
from bot.missions.week import (
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


def test_no_hero_request_once_the_week_has_started() -> None:
    todo = week_todo(list(week.CHECKLIST_DUE), [], date(2026, 9, 19), 2026)
    assert todo == []


def test_todo_marks_late_items() -> None:
    todo = {t["id"]: t for t in week_todo([], [hero("Ana")], date(2026, 9, 20), 2026)}
    assert todo["press"]["late"] and todo["press"]["days"] == -9
    assert not todo["flag"]["late"] and todo["flag"]["days"] == 5


def test_everything_done_leaves_nothing() -> None:
    assert week_todo(list(week.CHECKLIST_DUE), [hero("Ana")], date(2026, 8, 1), 2026) == []


def test_functions_are_registered() -> None:
    for name in ("week_edition", "week_merge", "week_todo", "week_previous", "week_hero_slots"):
        assert name in FUNCTIONS


# --- The flow itself (flows/municipality_week.yaml) run through the engine -------------------

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(ROOT / "content")


@pytest.fixture(scope="module")
def flow(catalogue: Catalogue) -> Flow:
    return load_flow_file(ROOT / "flows" / "municipality_week.yaml", catalogue)


def run(
    flow: Flow,
    catalogue: Catalogue,
    when: str,
    answers: list[str],
    *,
    lang: str = "fr",
    previous: dict[str, Any] | None = None,
) -> tuple[RunState, list[Event]]:
    """Start the flow on `when` (ISO date) and type `answers`; "<done>" closes a multi-select."""
    now = datetime.fromisoformat(when).replace(hour=10, tzinfo=UTC)
    sprint = engine.start(flow, catalogue, lang=lang, now=now, context={"previous": previous})
    events = list(sprint.events)
    state = sprint.state
    for answer in answers:
        assert state.is_active, f"the run ended before {answer!r}"
        inp = SubmitInput(state.seq) if answer == "<done>" else TextInput(answer)
        sprint = engine.resume(flow, catalogue, state, inp, now=now)
        state = sprint.state
        events.extend(sprint.events)
    return state, events


def said(events: list[Event]) -> str:
    """Everything the bot said, as one plain text."""
    return "\n".join(
        html_to_plain(e.text) for e in events if isinstance(e, MessageCreated | QuestionAsked)
    )


def asked(events: list[Event]) -> list[str]:
    return [e.step_id for e in events if isinstance(e, QuestionAsked)]


def previous_of(state: RunState) -> dict[str, Any]:
    """What the bot hands the next run as `context.previous`."""
    return {"answers": state.answers, "vars": state.vars}


FIRST_RUN = [
    "oui",  # register
    "oui",  # a first hero
    "Repair Café Herent",
    "association",
    "Des bénévoles réparent vélos et grille-pain chaque premier samedi du mois.",
    "12 13",
    "oui",  # consent
    "oui",  # another hero
    "École Sint-Jozef",
    "école",
    "Potager scolaire et cantine locale.",
    "2 4",
    "non",  # no consent yet
    "non",  # no more heroes
    "oui",  # an activity
    "Balade des ODD",
    "20/09/2026",
    "11 15",
    "Parc communal",
    "non",  # no more activities
    "oui",  # invite the partner
    "1 3",  # flag and campaign material are arranged
]


def test_first_registration_collects_heroes_activities_and_todo(
    flow: Flow, catalogue: Catalogue
) -> None:
    state, events = run(flow, catalogue, "2026-08-20", FIRST_RUN)
    assert state.status == "completed"
    assert [h["hero_name"] for h in state.vars["heroes"]] == [
        "Repair Café Herent",
        "École Sint-Jozef",
    ]
    assert state.vars["heroes"][0]["hero_sdgs"] == [12, 13]
    assert state.vars["activities"][0]["act_date"] == "2026-09-20"
    assert state.vars["registered"] is True
    assert state.vars["edition"] == 2026
    assert state.answers["twin_invite"] is True
    assert state.vars["partner_note"] == "partner_invitation"
    result = said([e for e in events if isinstance(e, MessageCreated) and e.is_result])
    assert "Repair Café Herent — Association, ODD 12 et 13" in result
    assert "École Sint-Jozef — École, ODD 2 et 4 ⚠️ sans consentement" in result
    assert "20 septembre 2026 : Balade des ODD, Parc communal — ODD 11 et 15" in result
    assert "après la clôture habituelle de début juillet" in result  # registered late
    assert "11 septembre 2026 — envoyez un communiqué" in result
    assert (
        "17 septembre 2026 — obtenez le consentement avant toute publication : École Sint-Jozef"
        in result
    )
    assert "17 septembre 2026 — mettez en ligne les pages de vos héros" in result
    assert "hissez le drapeau" not in result  # ticked
    assert "{{" not in result and "{%" not in result


def test_coming_back_for_the_same_edition_keeps_and_adds_heroes(
    flow: Flow, catalogue: Catalogue
) -> None:
    first, _ = run(flow, catalogue, "2026-08-20", FIRST_RUN)
    answers = [
        "ja",  # another hero
        "École Sint-Jozef",  # the same name corrects the entry: consent now given
        "school",
        "Moestuin en lokale schoolmaaltijden.",
        "2 4",
        "ja",
        "ja",
        "Marie Dubois",
        "inwoner",
        "Trekt de zerowastegroep.",
        "12",
        "ja",
        "nee",  # no more heroes
        "nee",  # no more activities
        "<done>",  # nothing ticked
    ]
    state, events = run(
        flow, catalogue, "2026-09-01", answers, lang="nl", previous=previous_of(first)
    )
    assert state.status == "completed"
    assert "register" not in asked(events)  # already registered
    assert "twin_invite" not in asked(events)  # already invited for this edition
    names = [h["hero_name"] for h in state.vars["heroes"]]
    assert names == ["Repair Café Herent", "École Sint-Jozef", "Marie Dubois"]
    assert state.vars["heroes"][1]["hero_consent"] is True
    assert state.vars["activities"] == first.vars["activities"]
    text = said(events)
    assert "Al voorgedragen (2/17): Repair Café Herent en École Sint-Jozef" in text
    assert "Duurzame helden (3/17)" in text
    assert "zonder toestemming" not in text


def test_after_the_week_started_heroes_are_frozen(flow: Flow, catalogue: Catalogue) -> None:
    first, _ = run(flow, catalogue, "2026-08-20", FIRST_RUN)
    state, events = run(
        flow, catalogue, "2026-09-20", ["no", "<done>"], lang="en", previous=previous_of(first)
    )
    assert state.status == "completed"
    assert not {"hero_more", "hero_name"} & set(asked(events))
    text = said(events)
    assert "heroes of the 2026 edition can no longer be changed" in text
    assert "Your heroes: Repair Café Herent and École Sint-Jozef." in text
    assert "changes closed" in text
    assert "overdue" in text
    assert len(state.vars["heroes"]) == 2


def test_a_previous_run_for_another_edition_starts_afresh(flow: Flow, catalogue: Catalogue) -> None:
    first, _ = run(flow, catalogue, "2026-08-20", FIRST_RUN)
    state, events = run(flow, catalogue, "2026-10-02", ["oui"], previous=previous_of(first))
    assert state.vars["edition"] == 2027  # after 25 September: next year's edition
    assert state.vars["heroes"] == []
    assert "Semaine de la commune durable 2027" in said(events)
    assert "hero_more" in asked(events)
    assert "clôture habituelle" not in said(events)  # early for 2027


def test_not_registering_ends_with_a_result(flow: Flow, catalogue: Catalogue) -> None:
    state, events = run(flow, catalogue, "2026-05-02", ["no"], lang="es")
    assert state.status == "completed"
    results = [e for e in events if isinstance(e, MessageCreated) and e.is_result]
    assert len(results) == 1
    assert "no queda inscrito en la edición 2026" in results[0].text


def test_at_most_seventeen_heroes(flow: Flow, catalogue: Catalogue) -> None:
    previous = {
        "answers": {"register": True},
        "vars": {"edition": 2026, "registered": True, "heroes": [hero(f"H{i}") for i in range(16)]},
    }
    answers = ["oui", "Ana", "citoyenne", "Elle plante des arbres.", "15", "oui"]
    state, events = run(flow, catalogue, "2026-06-01", answers, previous=previous)
    assert len(state.vars["heroes"]) == 17
    assert state.current == "act_more"  # no offer of an 18th hero
    assert "17 héros : c'est le maximum" in said(events)


def test_activity_dates_stay_within_the_week(flow: Flow, catalogue: Catalogue) -> None:
    answers = ["yes", "no", "yes", "Flag raising", "30/09/2026"]
    state, events = run(flow, catalogue, "2026-06-01", answers, lang="en")
    assert state.current == "act_date"
    assert any(isinstance(e, AnswerRejected) for e in events)


def test_partner_invitation_renders_in_the_partners_language(
    flow: Flow, catalogue: Catalogue
) -> None:
    state, _ = run(flow, catalogue, "2026-08-20", FIRST_RUN)
    state = state.model_copy(update={"lang": "es"})
    text = engine.render_text(
        flow, catalogue, state, "partner_invitation", now=datetime(2026, 8, 20, tzinfo=UTC)
    )
    assert "Semana del Municipio Sostenible 2026" in text

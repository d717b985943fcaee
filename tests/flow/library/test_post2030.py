"""Tests for the post-2030 readiness levels, next steps and to-do list."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.content import load_catalogue
from bot.flow import engine
from bot.flow.catalogue import Catalogue
from bot.flow.definition import Flow
from bot.flow.events import MessageCreated
from bot.flow.functions import FUNCTIONS
from bot.flow.library.post2030 import (
    DIMENSIONS,
    QUESTIONS,
    maturity_levels,
    next_steps,
    post2030_dimensions,
    post2030_levels,
    post2030_milestones,
    post2030_todo,
    todo_list,
)
from bot.flow.loader import load_flow_file
from bot.flow.state import RunState, TextInput
from bot.i18n import LANGUAGES, html_to_plain

NOTHING = {
    "plan_sdg": "none",
    "council": "none",
    "indicators": "none",
    "dashboard": "none",
    "report": "no",
    "vlr": "no",
    "citizens": "none",
    "partner": "nolink",
    "consult": "no",
}

EVERYTHING = {
    "plan_sdg": "all",
    "council": "followed",
    "indicators": "targets",
    "dashboard": "public",
    "report": "yearly",
    "vlr": "done",
    "citizens": "decide",
    "partner": "joint",
    "consult": "contributed",
}


def test_nothing_in_place_is_level_one_everywhere() -> None:
    assert maturity_levels(NOTHING) == dict.fromkeys(DIMENSIONS, 1)
    assert next_steps(NOTHING) == {
        "planning": "council_decision",
        "monitoring": "ind_some",
        "reporting": "report_some",
        "participation": "cit_inform",
        "partnership": "consult_follow",
    }


def test_everything_in_place_is_leading_with_nothing_next() -> None:
    assert maturity_levels(EVERYTHING) == dict.fromkeys(DIMENSIONS, 5)
    assert next_steps(EVERYTHING) == dict.fromkeys(DIMENSIONS)
    assert todo_list(EVERYTHING) == []


@pytest.mark.parametrize(
    ("citizens", "level"),
    [("none", 1), ("inform", 2), ("consult", 3), ("involve", 4), ("decide", 5)],
)
def test_participation_follows_the_iap2_ladder(citizens: str, level: int) -> None:
    assert maturity_levels({**NOTHING, "citizens": citizens})["participation"] == level


def test_planning_counts_criteria_met_and_asks_for_the_first_missing() -> None:
    answers = {**NOTHING, "plan_sdg": "all"}  # coded plan but no council decision
    assert maturity_levels(answers)["planning"] == 3
    assert next_steps(answers)["planning"] == "council_decision"
    answers = {**NOTHING, "plan_sdg": "some", "council": "adopted"}
    assert maturity_levels(answers)["planning"] == 3
    assert next_steps(answers)["planning"] == "plan_all"
    answers = {**NOTHING, "plan_sdg": "all", "council": "adopted"}
    assert (maturity_levels(answers)["planning"], next_steps(answers)["planning"]) == (
        4,
        "council_follow",
    )


def test_monitoring_dashboard_without_indicators_asks_for_indicators() -> None:
    answers = {**NOTHING, "dashboard": "internal"}
    assert maturity_levels(answers)["monitoring"] == 2
    assert next_steps(answers)["monitoring"] == "ind_some"
    answers = {**NOTHING, "indicators": "all", "dashboard": "internal"}
    assert maturity_levels(answers)["monitoring"] == 4
    assert next_steps(answers)["monitoring"] == "ind_targets"


def test_a_planned_vlr_is_a_variant_of_the_vlr_step() -> None:
    answers = {**EVERYTHING, "vlr": "planned"}
    assert maturity_levels(answers)["reporting"] == 4
    assert next_steps(answers)["reporting"] == "vlr_planned"
    assert next_steps({**EVERYTHING, "vlr": "no"})["reporting"] == "vlr"


def test_without_partner_the_next_step_is_to_find_one() -> None:
    answers = {**NOTHING, "partner": "nopartner", "consult": "following"}
    assert maturity_levels(answers)["partnership"] == 2
    assert next_steps(answers)["partnership"] == "partner_find"
    assert next_steps({**answers, "partner": "nolink"})["partnership"] == "partner_exchange"


def test_missing_answers_count_as_not_met() -> None:
    assert maturity_levels({}) == dict.fromkeys(DIMENSIONS, 1)
    assert maturity_levels({"citizens": None})["participation"] == 1


def test_todo_starts_with_the_weakest_dimensions() -> None:
    answers = {
        **EVERYTHING,
        "indicators": "none",  # monitoring 2 (dashboard only)
        "citizens": "consult",  # participation 3
        "consult": "no",  # partnership 3
    }
    assert todo_list(answers) == ["ind_some", "cit_involve", "consult_follow"]
    assert todo_list(answers, limit=1) == ["ind_some"]
    assert todo_list(answers, limit=0) == []


def test_todo_ties_follow_dimension_order_and_never_repeat() -> None:
    assert todo_list(NOTHING) == ["council_decision", "ind_some", "report_some"]
    answers = {**EVERYTHING, "partner": "nopartner", "consult": "following"}
    assert todo_list(answers, limit=5) == ["partner_find"]


def test_flow_wrappers_take_answers_in_question_order() -> None:
    values = [EVERYTHING[q] for q in QUESTIONS]
    assert post2030_levels(*values) == dict.fromkeys(DIMENSIONS, 5)
    assert post2030_todo(*[NOTHING[q] for q in QUESTIONS]) == todo_list(NOTHING)
    with pytest.raises(ValueError, match="expected 9 answers"):
        post2030_levels("all", "followed")
    assert post2030_dimensions() == list(DIMENSIONS)
    for name in ("post2030_levels", "post2030_next", "post2030_todo", "post2030_milestones"):
        assert name in FUNCTIONS


def test_milestones_for_a_flemish_plan_to_2031() -> None:
    marks = post2030_milestones(2031, date(2026, 3, 1))
    assert [(m["id"], m["year"], m["past"]) for m in marks] == [
        ("hlpf", 2027, False),
        ("agenda_end", 2030, False),
        ("plan_past", 2031, False),
    ]


def test_milestones_for_other_plans_and_later_dates() -> None:
    marks = post2030_milestones(2028, "2027-10-01")
    assert [(m["id"], m["past"]) for m in marks] == [
        ("hlpf", True),
        ("plan_before", False),
        ("agenda_end", False),
    ]
    assert [m["id"] for m in post2030_milestones(2030, date(2026, 1, 1))] == [
        "hlpf",
        "agenda_end",
        "plan_same",
    ]
    assert [m["id"] for m in post2030_milestones(None, date(2026, 1, 1))] == ["hlpf", "agenda_end"]


# --- The flow itself (flows/post2030.yaml) run through the engine ----------------------------

ROOT = Path(__file__).parents[3]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(ROOT / "content")


@pytest.fixture(scope="module")
def flow(catalogue: Catalogue) -> Flow:
    return load_flow_file(ROOT / "flows" / "post2030.yaml", catalogue)


def run(
    flow: Flow, catalogue: Catalogue, answers: list[str], *, lang: str, when: str
) -> tuple[RunState, str]:
    """Type `answers` on `when`; return the final state and the plain text of the result."""
    now = datetime.fromisoformat(when).replace(hour=10, tzinfo=UTC)
    sprint = engine.start(flow, catalogue, lang=lang, now=now, context={"previous": None})
    events = list(sprint.events)
    for answer in answers:
        sprint = engine.resume(flow, catalogue, sprint.state, TextInput(answer), now=now)
        events.extend(sprint.events)
    results = [e.text for e in events if isinstance(e, MessageCreated) and e.is_result]
    return sprint.state, html_to_plain(results[-1]) if results else ""


def test_a_flemish_municipality_gets_levels_next_steps_todo_and_dates(
    flow: Flow, catalogue: Catalogue
) -> None:
    # plan to 2031, some objectives coded, one-off council decision, some indicators, internal
    # dashboard, occasional report, VLR planned, residents consulted, plans exchanged, no
    # consultation
    answers = ["2031", "2", "2", "3", "2", "2", "2", "3", "2", "3"]
    state, result = run(flow, catalogue, answers, lang="fr", when="2026-03-10")
    assert state.status == "completed"
    assert state.vars["levels"] == {
        "planning": 3,
        "monitoring": 3,
        "reporting": 2,
        "participation": 3,
        "partnership": 2,
    }
    assert "Planification ▓▓▓░░ 3 · Structuré" in result
    assert "→ Intégré : chaque objectif politique du plan relié à un ODD" in result
    assert "→ Structuré : un rapport ODD chaque année" in result
    assert state.vars["todo"] == ["report_yearly", "consult_follow", "plan_all"]
    assert "1. Faites du rapport ODD un rendez-vous annuel" in result
    assert "FPHN de septembre 2027" in result  # still ahead in March 2026
    assert "votre plan court jusqu'en 2031" in result
    assert "encore 4 ans" in result
    assert state.vars["__chart"]["values"] == [3, 3, 2, 3, 2]


def test_a_leading_municipality_after_the_hlpf(flow: Flow, catalogue: Catalogue) -> None:
    answers = ["skip", "1", "1", "1", "1", "1", "1", "5", "1", "1"]
    state, result = run(flow, catalogue, answers, lang="en", when="2028-01-10")
    assert state.vars["levels"] == dict.fromkeys(DIMENSIONS, 5)
    assert state.vars["todo"] == []
    assert "Nothing is missing" in result
    assert "consultations are under way" in result
    assert "your plan" not in result  # plan end skipped


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_renders_a_complete_result(
    flow: Flow, catalogue: Catalogue, lang: str
) -> None:
    answers = ["2028", "3", "3", "4", "3", "3", "3", "1", "4", "3"]
    state, result = run(flow, catalogue, answers, lang=lang, when="2026-03-10")
    assert state.status == "completed"
    assert state.vars["nexts"]["partnership"] == "consult_follow"
    assert "2028" in result and "2030" in result and "2027" in result
    assert "{{" not in result and "{%" not in result
    assert result.count("→") == len(DIMENSIONS)

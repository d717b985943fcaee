"""The check-in's domain functions, and how they fit flows/partnership_checkin.yaml."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.content import shipped_catalogue
from bot.flow import engine
from bot.flow.catalogue import Catalogue
from bot.flow.definition import Flow
from bot.flow.events import AnswerRejected
from bot.flow.loader import load_flow_file
from bot.flow.state import RunState, TextInput
from bot.i18n import html_to_plain
from bot.missions import FUNCTIONS
from bot.missions.checkin import (
    MIRROR_QUESTIONS,
    NEXT_STEPS,
    checkin_answers,
    checkin_mirror_questions,
    checkin_next_steps,
    checkin_period_label,
    checkin_scores,
    checkin_sdg_overlap,
    checkin_trend,
    factual_differences,
    mirror_choice,
    mirror_report,
)

FLOW_FILE = Path(__file__).resolve().parents[2] / "flows" / "partnership_checkin.yaml"
LANGS = ("fr", "nl", "es", "en")
QS = list(MIRROR_QUESTIONS)


def side(**scores: Any) -> dict[str, Any]:
    """A full set of answers at 3, with some scores overridden."""
    answers: dict[str, Any] = dict.fromkeys(QS, 3)
    answers.update(scores)
    return answers


# --- mirror_report -------------------------------------------------------------------------------


def test_agreements_are_gaps_below_two_and_differences_two_or_more() -> None:
    report = mirror_report(
        side(health=4, expectations=1, workplan=5),
        side(health=4, expectations=4, workplan=3, support=4),
        None,
        None,
        QS,
    )
    assert report["compared"] == QS
    assert [a["id"] for a in report["agreements"]] == [
        "health",
        "core_group",
        "political",
        "support",
        "exchange",
        "participation",
    ]
    support = next(a for a in report["agreements"] if a["id"] == "support")
    assert support == {"id": "support", "mine": 3, "theirs": 4, "gap": 1}
    assert report["differences"] == [
        {"id": "expectations", "mine": 1, "theirs": 4, "gap": 3, "higher": "theirs"},
        {"id": "workplan", "mine": 5, "theirs": 3, "gap": 2, "higher": "mine"},
    ]
    assert report["difference_ids"] == ["expectations", "workplan"]
    assert report["unanswered"] == []


def test_a_weak_point_both_sides_share_is_not_reported_as_plain_agreement() -> None:
    mine, theirs = side(exchange=2, workplan=1, health=4), side(exchange=1, workplan=2, health=5)
    report = mirror_report(mine, theirs, None, None, QS)
    assert [w["id"] for w in report["weak_together"]] == ["exchange", "workplan"]
    assert "exchange" not in [a["id"] for a in report["aligned"]]
    assert "health" in [a["id"] for a in report["aligned"]]
    # both lists split the agreements, nothing more
    assert len(report["aligned"]) + len(report["weak_together"]) == len(report["agreements"])


def test_period_labels_read_as_people_say_them() -> None:
    assert checkin_period_label("2026-Q4", "fr") == "4e trimestre 2026"
    assert checkin_period_label("2027-Q1", "fr") == "1er trimestre 2027"
    assert checkin_period_label("2026-Q3", "nl") == "derde kwartaal van 2026"
    assert checkin_period_label("2026-Q2", "es") == "segundo trimestre de 2026"
    assert checkin_period_label("2026-Q4", "en") == "Q4 2026"
    assert checkin_period_label("2026-H2", "nl") == "tweede semester van 2026"
    assert checkin_period_label("2026-11", "es") == "noviembre de 2026"
    assert checkin_period_label("2026-11", "fr") == "novembre 2026"
    assert checkin_period_label("2026-13", "en") == "2026-13"  # not a month: shown as it is
    assert checkin_period_label("2026", "nl") == "2026"
    assert checkin_period_label(None, "fr") == ""


def test_differences_sorted_by_gap_then_question_order() -> None:
    report = mirror_report(
        side(health=1, political=1, workplan=1, exchange=5),
        side(health=3, political=5, workplan=5, exchange=1),
        None,
        None,
        QS,
    )
    assert report["difference_ids"] == ["political", "exchange", "workplan", "health"]


def test_threshold_is_configurable() -> None:
    report = mirror_report(side(health=2), side(health=3), None, None, ["health"], 1)
    assert report["difference_ids"] == ["health"]
    assert report["agreements"] == []


def test_missing_and_non_numeric_answers_are_not_compared() -> None:
    mine = side(health=None, core_group=True, political="4")
    del mine["support"]
    report = mirror_report(mine, side(), None, None, QS)
    assert report["unanswered"] == ["health", "core_group", "political", "support"]
    assert report["compared"] == ["expectations", "exchange", "participation", "workplan"]


def test_partner_without_answers_leaves_everything_unanswered() -> None:
    report = mirror_report(side(), None, None, None, QS)
    assert report["compared"] == []
    assert report["agreements"] == report["differences"] == []
    assert report["unanswered"] == QS


def test_decimals_from_number_questions_count_as_scores() -> None:
    report = mirror_report(
        {"health": Decimal("4")}, {"health": Decimal("1.5")}, None, None, ["health"]
    )
    assert report["differences"] == [
        {"id": "health", "mine": 4, "theirs": 1.5, "gap": 2.5, "higher": "mine"}
    ]


def test_stored_runs_are_read_through_their_answers() -> None:
    mine = {"answers": side(health=5), "vars": {"period": "2026-Q3"}}
    theirs = {"answers": side(health=2), "vars": {}}
    report = mirror_report(mine, theirs, {"answers": side(health=4), "vars": {}}, None, QS)
    assert report["difference_ids"] == ["health"]
    assert report["trend"]["mine"]["improved"] == ["health"]


def test_trend_per_side() -> None:
    report = mirror_report(
        side(health=4, workplan=2),
        side(health=2),
        side(health=3, workplan=4),
        {"answers": side(health=2, support=5), "vars": {"period": "2026-Q3"}},
        QS,
    )
    mine, theirs = report["trend"]["mine"], report["trend"]["theirs"]
    assert mine["changes"] == [
        {"id": "health", "before": 3, "now": 4, "delta": 1},
        {"id": "workplan", "before": 4, "now": 2, "delta": -2},
    ]
    assert mine["improved"] == ["health"]
    assert mine["declined"] == ["workplan"]
    assert "health" not in mine["unchanged"]
    assert theirs["changes"] == [{"id": "support", "before": 5, "now": 3, "delta": -2}]
    assert theirs["improved"] == []
    assert theirs["unchanged"] == [q for q in QS if q != "support"]


def test_no_previous_means_no_trend() -> None:
    report = mirror_report(side(), side(), None, side(), QS)
    assert report["trend"]["mine"] is None
    assert report["trend"]["theirs"] == {
        "changes": [],
        "improved": [],
        "declined": [],
        "unchanged": QS,
    }


def test_report_does_not_change_its_inputs() -> None:
    mine, theirs = side(health=1), side(health=5)
    mirror_report(mine, theirs, side(), side(), QS)
    assert mine == side(health=1)
    assert theirs == side(health=5)


scores = st.dictionaries(st.sampled_from(QS), st.integers(min_value=1, max_value=5))


@given(scores, scores)
def test_agreements_and_differences_split_what_both_answered(
    mine: dict[str, int], theirs: dict[str, int]
) -> None:
    report = mirror_report(mine, theirs, None, None, QS)
    both = [q for q in QS if q in mine and q in theirs]
    assert report["compared"] == both
    split = [a["id"] for a in report["agreements"]] + report["difference_ids"]
    assert sorted(split) == sorted(both)
    assert all(abs(mine[d["id"]] - theirs[d["id"]]) >= 2 for d in report["differences"])
    assert all(a["gap"] <= 1 for a in report["agreements"])
    assert sorted(report["unanswered"] + both) == sorted(QS)


@given(scores, scores)
def test_the_partners_report_is_the_mirror_image(
    mine: dict[str, int], theirs: dict[str, int]
) -> None:
    ours = mirror_report(mine, theirs, None, None, QS)
    yours = mirror_report(theirs, mine, None, None, QS)
    assert ours["difference_ids"] == yours["difference_ids"]
    for a, b in zip(ours["differences"], yours["differences"], strict=True):
        assert (a["mine"], a["theirs"]) == (b["theirs"], b["mine"])
        assert {a["higher"], b["higher"]} == {"mine", "theirs"}


# --- checkin_trend -------------------------------------------------------------------------------


def test_trend_skips_questions_missing_on_either_date() -> None:
    trend = checkin_trend({"health": 4, "support": 2}, {"health": 4, "workplan": 1}, QS)
    assert trend == {"changes": [], "improved": [], "declined": [], "unchanged": ["health"]}


def test_trend_is_none_for_a_first_check_in() -> None:
    assert checkin_trend(side(), None, QS) is None


# --- mirror_choice -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("theirs", "seen_from_here"),
    [
        ("we_them", "they_us"),
        ("they_us", "we_them"),
        ("us", "them"),
        ("them", "us"),
        ("both", "both"),
        ("neither", "neither"),
        ("together", "together"),
        ("funder", "funder"),
        (None, None),
    ],
)
def test_mirror_choice_reads_the_partners_answer_from_here(
    theirs: str | None, seen_from_here: str | None
) -> None:
    assert mirror_choice(theirs) == seen_from_here


# --- checkin_answers, checkin_sdg_overlap, checkin_scores -


def test_checkin_answers_pairs_ids_and_drops_unanswered() -> None:
    assert checkin_answers(["health", "budget", "sdg"], [4, None, [11, 13]]) == {
        "health": 4,
        "sdg": [11, 13],
    }


def test_checkin_answers_refuses_lists_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="2 ids but 1 values"):
        checkin_answers(["health", "budget"], [4])


def test_sdg_overlap() -> None:
    assert checkin_sdg_overlap([13, 6, 11], [11, 13, 5]) == {
        "shared": [11, 13],
        "only_mine": [6],
        "only_theirs": [5],
    }
    assert checkin_sdg_overlap(16, [16]) == {"shared": [16], "only_mine": [], "only_theirs": []}
    assert checkin_sdg_overlap(None, [0, 18, "x", True, "6"]) == {
        "shared": [],
        "only_mine": [],
        "only_theirs": [6],
    }


def test_scores_in_question_order_with_zero_for_missing() -> None:
    assert checkin_scores({"health": 4, "workplan": 2}, ["workplan", "support", "health"]) == [
        2.0,
        0.0,
        4.0,
    ]


# --- checkin_next_steps -


def good(**overrides: Any) -> dict[str, Any]:
    """A healthy check-in: nothing calls for action."""
    answers: dict[str, Any] = {
        **dict.fromkeys(QS, 4),
        "contacts": 6,
        "changes": False,
        "learning": "both",
        "priorities": "together",
        "budget": 80,
        "exit_clause": "written",
        "report_stage": "drafting",
    }
    answers.update(overrides)
    return answers


def test_a_healthy_check_in_keeps_going() -> None:
    assert checkin_next_steps(good()) == ["keep_going"]


@pytest.mark.parametrize(
    ("overrides", "step"),
    [
        ({"health": 2}, "frank_talk"),
        ({"contacts": 0}, "contact"),
        ({"expectations": 1}, "expectations"),
        ({"core_group": 2}, "mandate"),
        ({"political": 1}, "backing"),
        ({"changes": True, "support": 3}, "handover"),
        ({"support": 2}, "support"),
        ({"participation": 2}, "same_language"),
        ({"priorities": "funder"}, "co_priorities"),
        ({"priorities": "us"}, "co_priorities"),
        ({"priorities": "them"}, "co_priorities"),
        ({"exchange": 1}, "in_person"),
        ({"workplan": 2}, "adjust"),
        ({"learning": "they_us"}, "two_way"),
        ({"learning": "we_them"}, "two_way"),
        ({"learning": "neither"}, "two_way"),
        ({"budget": 30}, "budget_low"),
        ({"budget": Decimal("120")}, "budget_over"),
        ({"exit_clause": "no"}, "exit_clause"),
        ({"report_stage": "not_started"}, "report"),
    ],
)
def test_each_rule(overrides: dict[str, Any], step: str) -> None:
    assert checkin_next_steps(good(**overrides)) == [step]


def test_changes_with_broad_support_need_no_handover() -> None:
    assert checkin_next_steps(good(changes=True, support=4)) == ["keep_going"]


def test_changes_with_weak_support_ask_for_a_handover_not_both() -> None:
    assert checkin_next_steps(good(changes=True, support=1)) == ["handover"]


def test_most_urgent_first_and_limited() -> None:
    answers = good(report_stage="not_started", health=1, exit_clause="no", contacts=0, workplan=1)
    assert checkin_next_steps(answers) == ["frank_talk", "contact", "adjust"]
    assert checkin_next_steps(answers, 5) == [
        "frank_talk",
        "contact",
        "adjust",
        "exit_clause",
        "report",
    ]
    assert checkin_next_steps(answers, 0) == []


def test_missing_answers_call_for_nothing() -> None:
    assert checkin_next_steps({}) == ["keep_going"]
    assert checkin_next_steps(None) == ["keep_going"]


def test_next_steps_are_in_the_declared_order() -> None:
    answers = good(
        **{q: 1 for q in QS},
        contacts=0,
        changes=True,
        learning="neither",
        priorities="funder",
        budget=10,
        exit_clause="no",
        report_stage="not_started",
    )
    chosen = checkin_next_steps(answers, 99)
    assert chosen == [s for s in NEXT_STEPS if s in chosen]
    assert set(chosen) == set(NEXT_STEPS) - {"support", "budget_over", "keep_going"}


# --- registration and the flow file -


def test_functions_are_registered() -> None:
    for name, function in {
        "mirror_report": mirror_report,
        "checkin_trend": checkin_trend,
        "mirror_choice": mirror_choice,
        "checkin_answers": checkin_answers,
        "checkin_sdg_overlap": checkin_sdg_overlap,
        "checkin_scores": checkin_scores,
        "checkin_next_steps": checkin_next_steps,
        "checkin_mirror_questions": checkin_mirror_questions,
        "checkin_period_label": checkin_period_label,
    }.items():
        assert FUNCTIONS[name] is function
    assert checkin_mirror_questions() == QS


@pytest.fixture(scope="module")
def flow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(FLOW_FILE.read_text(encoding="utf-8"))
    return loaded


def steps_by_id(flow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["id"]: step for step in flow["steps"]}


def test_compared_questions_are_one_to_five_scales_in_flow_order(flow: dict[str, Any]) -> None:
    steps = steps_by_id(flow)
    for question in QS:
        step = steps[question]
        assert (step["kind"], step["min"], step["max"]) == ("scale", 1, 5), question
        assert {1, 5} <= set(step["labels"]), question
    scales_in_order = [s["id"] for s in flow["steps"] if s["id"] in MIRROR_QUESTIONS]
    assert scales_in_order == QS


def test_every_compared_question_has_a_name_and_a_talking_point(flow: dict[str, Any]) -> None:
    for question in QS:
        for prefix in ("name_", "talk_"):
            text = flow["texts"][prefix + question]
            assert set(text) == set(LANGS), prefix + question
            assert all(text[lang].strip() for lang in LANGS)


def test_every_next_step_has_a_text(flow: dict[str, Any]) -> None:
    for step in NEXT_STEPS:
        assert set(flow["texts"][f"step_{step}"]) == set(LANGS), step


def test_mirrored_choices_stay_within_the_options(flow: dict[str, Any]) -> None:
    steps = steps_by_id(flow)
    for question in ("learning", "priorities"):
        ids = {option["id"] for option in steps[question]["options"]}
        assert {mirror_choice(option) for option in ids} == ids


def test_answers_gathered_for_the_mirror_name_real_steps(flow: dict[str, Any]) -> None:
    wrap = steps_by_id(flow)["wrap"]["set"]["mine"]
    ids_part, values_part = wrap.split("], [")
    ids = [part.strip(' "[') for part in ids_part.split("(", 1)[1].split(",")]
    values = [part.strip(" [])") for part in values_part.split(",")]
    assert ids == values
    asked = {
        s["id"]
        for s in flow["steps"]
        if s["kind"] not in {"compute", "summary", "branch", "message"}
    }
    assert set(ids) == asked


# --- the flow, run by the engine ---------------------------------------------------------------

NOW = datetime(2026, 12, 20, 10, tzinfo=UTC)
NORTH_PREVIOUS = {
    "answers": {"health": 3, "expectations": 2, "workplan": 4, "support": 2, "sdg": [6, 11]},
    "vars": {"period": "2026-Q3"},
}
SOUTH_PREVIOUS = {
    "answers": {"health": 4, "expectations": 4, "workplan": 3, "support": 3, "sdg": [6]},
    "vars": {"period": "2026-Q3"},
}
# health, contacts, sdg, expectations, core_group, political, support, changes (+ what),
# exchange, participation, learning, priorities, workplan, budget, risk (+ note), exit, report
NORTH_ANSWERS = [
    "4",
    "5",
    "6, 13",
    "2",
    "3",
    "4",
    "2",
    "ja",
    "nieuwe schepen",
    "2",
    "3",
    "1",
    "4",
    "2",
    "40",
    "2",
    "verkiezingen",
    "3",
    "1",
]
SOUTH_ANSWERS = [
    "2",
    "3",
    "6, 11",
    "5",
    "4",
    "2",
    "3",
    "no",
    "4",
    "1",
    "2",
    "3",
    "1",
    "omitir",
    "5",
    "omitir",
    "2",
    "2",
]


def partnership(side_: str) -> dict[str, str]:
    north = side_ == "north"
    return {
        "id": "brasschaat-tarija",
        "name": "Brasschaat–Tarija",
        "side": side_,
        "partner_municipality": "Tarija" if north else "Brasschaat",
        "my_municipality": "Brasschaat" if north else "Tarija",
    }


@pytest.fixture(scope="module")
def loaded() -> tuple[Flow, Catalogue]:
    catalogue = shipped_catalogue()
    return load_flow_file(FLOW_FILE, catalogue), catalogue


def run(
    loaded: tuple[Flow, Catalogue], lang: str, context: dict[str, Any], answers: list[str]
) -> tuple[RunState, list[str]]:
    flow, catalogue = loaded
    sprint = engine.start(flow, catalogue, lang=lang, now=NOW, context=context)
    texts = [getattr(e, "text", "") for e in sprint.events]
    state = sprint.state
    for answer in answers:
        assert state.is_active, f"the run ended before {answer!r}"
        sprint = engine.resume(flow, catalogue, state, TextInput(answer), now=NOW)
        rejected = [e for e in sprint.events if isinstance(e, AnswerRejected)]
        assert not rejected, (answer, rejected)
        state = sprint.state
        texts += [getattr(e, "text", "") for e in sprint.events]
    assert state.status == "completed"
    return state, [html_to_plain(text) for text in texts if text]


def north_first(loaded: tuple[Flow, Catalogue]) -> tuple[RunState, list[str]]:
    context = {
        "partnership": partnership("north"),
        "period": "2026-Q4",
        "previous": NORTH_PREVIOUS,
        "partner_answers": None,
    }
    return run(loaded, "nl", context, NORTH_ANSWERS)


def test_no_twinning_explains_and_ends(loaded: tuple[Flow, Catalogue]) -> None:
    context = {
        "partnership": None,
        "period": "2026-Q4",
        "previous": None,
        "partner_answers": None,
        "user": {"municipality": "Zoersel"},
    }
    state, texts = run(loaded, "fr", context, [])
    assert len(texts) == 1
    assert texts[0].startswith("Zoersel n'a pas encore de jumelage")
    assert state.answers == {}


def test_first_side_gets_its_snapshot_and_the_waiting_note(
    loaded: tuple[Flow, Catalogue],
) -> None:
    state, texts = north_first(loaded)
    result = texts[-1]
    assert "Opvolgmoment · vierde kwartaal van 2026 — Brasschaat ↔ Tarija" in result
    assert "2/5 Wederzijdse verwachtingen" in result
    since = "Sinds het vorige opvolgmoment (derde kwartaal van 2026): Relatie 3→4 · Werkplan 4→2."
    assert since in result
    assert "SDG 6 en 13" in result
    assert "Budget gebruikt: 40%" in result
    # expectations 2 → put them on the agenda; a change with weak support → hand over;
    # priorities set by the funder → set them together, from the SDGs named
    assert state.vars["next_steps"] == ["expectations", "handover", "co_priorities"]
    assert "Na de wijzigingen (nieuwe schepen)" in result
    assert "(SDG 6 en 13)" in result
    assert "Tarija heeft voor deze periode (vierde kwartaal van 2026) nog niet geantwoord" in result
    assert "Spiegel" not in result
    assert state.vars["report"] is None
    chart = state.vars["__chart"]
    assert chart["values"] == [4.0, 2.0, 3.0, 4.0, 2.0, 2.0, 3.0, 2.0]
    assert chart["series_names"] == ["Brasschaat"]
    assert chart["labels"][1] == "Wederzijdse verwachtingen"


def test_second_side_gets_the_mirror_and_the_first_side_can_be_sent_it(
    loaded: tuple[Flow, Catalogue],
) -> None:
    north, _ = north_first(loaded)
    context = {
        "partnership": partnership("south"),
        "period": "2026-Q4",
        "previous": SOUTH_PREVIOUS,
        "partner_answers": north.vars["mine"],
        "partner_previous": NORTH_PREVIOUS,
    }
    south, texts = run(loaded, "es", context, SOUTH_ANSWERS)
    assert "Brasschaat ya respondió" in texts[0]
    assert "Recibirá el espejo con Brasschaat en un mensaje aparte." in texts[-1]
    assert "todavía no respondió" not in texts[-1]
    flow, catalogue = loaded
    # the mirror itself is a message of its own (the bot sends it through the outbox)
    result = html_to_plain(
        engine.render_text(flow, catalogue, south, "mirror_report", now=NOW, period="2026-Q4")
    )
    assert "Espejo · cuarto trimestre de 2026: ustedes y Brasschaat" in result
    assert "Expectativas mutuas: ustedes 5/5, Brasschaat 2/5" in result
    assert "¿Qué espera cada uno del otro y qué aporta?" in result
    goals = "Mencionados por ambos: ODS 6; solo por ustedes: ODS 11; solo por Brasschaat: ODS 13."
    assert goals in result
    assert "Quién aprendió de quién: coinciden, «Aprendieron de nosotros»." in result
    assert "Brasschaat: Relación 3→4 · Plan de trabajo 4→2." in result
    assert south.vars["report"]["difference_ids"] == [
        "expectations",
        "health",
        "political",
        "exchange",
        "participation",
    ]
    chart = south.vars["__chart"]
    assert chart["series_names"] == ["Tarija", "Brasschaat"]
    assert chart["values"] == [
        [2.0, 5.0, 4.0, 2.0, 3.0, 4.0, 1.0, 1.0],
        [4.0, 2.0, 3.0, 4.0, 2.0, 2.0, 3.0, 2.0],
    ]

    # what the bot sends the north side, in Dutch, from its own point of view
    report = mirror_report(
        north.vars["mine"],
        south.vars["mine"],
        NORTH_PREVIOUS,
        SOUTH_PREVIOUS,
        checkin_mirror_questions(),
    )
    mirror = html_to_plain(
        engine.render_text(
            flow,
            catalogue,
            north,
            "mirror_report",
            now=NOW,
            mine=north.vars["mine"],
            theirs=south.vars["mine"],
            report=report,
            partner_name="Tarija",
            period="2026-Q4",
        )
    )
    assert mirror.startswith("🪞 Spiegel · vierde kwartaal van 2026: jullie en Tarija")
    facts = [f["id"] for f in report["facts"]]
    assert bool(facts) == ("Feiten om samen uit te klaren" in mirror)
    for fact in facts:
        assert {
            "exit_clause": "Afspraak over stoppen",
            "report_stage": "Volgend rapport",
            "contacts": "Contacten deze periode",
            "budget": "Gebruikt budget",
        }[fact] in mirror
    assert "Wederzijdse verwachtingen: u 2/5, Tarija 5/5" in mirror
    assert "Wat verwacht ieder van de ander" in mirror
    assert "Wie leerde van wie: jullie zijn het eens, ‘Wij van hen’." in mirror
    assert "Prioriteiten bepaald door: u zegt ‘De subsidiegever’, Tarija ‘Samen’." in mirror
    assert "Bij Tarija: Relatie 4→2 · Wederzijdse verwachtingen 4→5 · Werkplan 3→1." in mirror


@pytest.mark.parametrize("lang", LANGS)
def test_the_longest_result_fits_one_telegram_message(
    loaded: tuple[Flow, Catalogue], lang: str
) -> None:
    flow, catalogue = loaded
    long_text = "x" * 200
    theirs = {
        **dict.fromkeys(QS, 5),
        "sdg": [1, 2, 3, 4, 5],
        "learning": "neither",
        "priorities": "them",
    }
    context = {
        "partnership": partnership("north"),
        "period": "2026-Q4",
        "previous": {"answers": dict.fromkeys(QS, 5), "vars": {"period": "2026-Q3"}},
        "partner_answers": theirs,
        "partner_previous": {"answers": dict.fromkeys(QS, 1), "vars": {}},
    }
    yes = {"fr": "oui", "nl": "ja", "es": "sí", "en": "yes"}[lang]
    answers = [
        "1",
        "0",
        "13, 14, 15, 16, 17",
        "1",
        "1",
        "1",
        "1",
        yes,
        long_text,
        "1",
        "1",
        "1",
        "4",
        "1",
        "300",
        "1",
        "y" * 300,
        "3",
        "1",
    ]
    state, _ = run(loaded, lang, context, answers)
    result = engine.render_step(flow, catalogue, state, "result", now=NOW)
    assert len(state.vars["report"]["differences"]) == len(QS)
    assert len(result) <= 4096
    assert "{{" not in result
    assert "{%" not in result


def test_facts_the_sides_report_differently_are_named_apart() -> None:
    mine = {"exit_clause": "written", "contacts": 12, "budget": 90, "report_stage": "sent"}
    theirs = {"exit_clause": "no", "contacts": 3, "budget": 30, "report_stage": "sent"}
    facts = factual_differences(mine, theirs)
    assert [(f["id"], f["mine"], f["theirs"]) for f in facts] == [
        ("exit_clause", "written", "no"),
        ("contacts", 12, 3),
        ("budget", 90, 30),
    ]
    # Close enough is not a disagreement: 4 contacts against 5, 60 % against 70 %.
    assert factual_differences({"contacts": 4, "budget": 60}, {"contacts": 5, "budget": 70}) == []
    assert factual_differences({"contacts": 0}, {"contacts": 3}) == [
        {"id": "contacts", "kind": "count", "mine": 0, "theirs": 3}
    ]


def test_the_mirror_names_facts_that_do_not_match(loaded: tuple[Flow, Catalogue]) -> None:
    north, _ = north_first(loaded)
    flow, catalogue = loaded
    mine = dict(north.vars["mine"])
    theirs = {
        **mine,
        "exit_clause": "no" if mine.get("exit_clause") != "no" else "written",
        "contacts": 40,
        "budget": 95,
    }
    mine.update(contacts=3, budget=20)
    report = mirror_report(mine, theirs, None, None, checkin_mirror_questions())
    assert [f["id"] for f in report["facts"]] == ["exit_clause", "contacts", "budget"]
    mirror = html_to_plain(
        engine.render_text(
            flow,
            catalogue,
            north.model_copy(update={"lang": "fr"}),
            "mirror_report",
            now=NOW,
            mine=mine,
            theirs=theirs,
            report=report,
            partner_name="Tarija",
            period="2026-Q4",
        )
    )
    assert "Des faits à accorder" in mirror
    assert "Contacts cette période : vous dites « 3 », Tarija « 40 »." in mirror
    assert "Budget utilisé : vous dites « 20 % », Tarija « 95 % »." in mirror
    assert "Clause de rupture : vous dites « " in mirror

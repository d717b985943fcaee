"""Issue #18: answers typed without buttons, ties, limits and contradictions, step by step.

Each test names the wall it guards: a question lite mode could not answer, a silent pick
between two options that fit equally, a selection refused as a whole at "done".
"""

from __future__ import annotations

import pytest

from bot.flow.errors import FlowError
from bot.flow.events import (
    AnswerRecorded,
    AnswerRejected,
    ConfirmationRequested,
    MessageCreated,
    QuestionAsked,
    SelectionChanged,
)
from tests.helpers import Talk, make_flow

CHECKLIST = make_flow("""
    id: checklist
    steps:
      - id: done
        kind: multi
        min: 0
        max: 3
        text: {fr: "Prêt ?", nl: "Klaar?", es: "¿Listo?", en: "Ready?"}
        options:
          - {id: flag, label: {fr: Drapeau, nl: Vlag, es: Bandera, en: Flag}}
          - {id: press, label: {fr: Presse, nl: Pers, es: Prensa, en: Press}}
          - {id: pages, label: {fr: Pages, nl: Pagina's, es: Páginas, en: Pages}}
          - {id: social, label: {fr: Réseaux, nl: Sociale media, es: Redes, en: Social media}}
""")
SOURCES = make_flow("""
    id: sources
    steps:
      - id: done
        kind: multi
        min: 1
        max: 3
        text: {fr: "Sources ?", nl: "Bronnen?", es: "¿Fuentes?", en: "Sources?"}
        options:
          - {id: flag, label: {fr: Drapeau, nl: Vlag, es: Bandera, en: Flag}}
          - {id: press, label: {fr: Presse, nl: Pers, es: Prensa, en: Press}}
          - {id: pages, label: {fr: Pages, nl: Pagina's, es: Páginas, en: Pages}}
          - {id: social, label: {fr: Réseaux, nl: Sociale media, es: Redes, en: Social media}}
          - id: nothing
            exclusive: true
            label: {fr: Rien encore, nl: Nog niets, es: Nada aún, en: Nothing yet}
""")


@pytest.mark.parametrize(
    ("lang", "typed"),
    [
        ("fr", "0"),
        ("fr", "aucun"),
        ("fr", "rien pour l'instant"),
        ("nl", "geen"),
        ("nl", "niets"),
        ("es", "ninguno"),
        ("es", "nada"),
        ("es", "listo"),
        ("en", "none"),
        ("en", "done"),
    ],
)
def test_none_and_done_answer_a_question_that_allows_no_option(lang: str, typed: str) -> None:
    talk = Talk(CHECKLIST, lang)
    talk.send(typed)
    assert talk.answers == {"done": []}, talk.events


def test_the_hint_says_how_to_answer_none() -> None:
    assert "aucun" in Talk(CHECKLIST, "fr").question.hint
    assert "geen" in Talk(CHECKLIST, "nl").question.hint


def test_done_typed_after_ticking_takes_the_ticked_options() -> None:
    talk = Talk(CHECKLIST, "nl")
    talk.tap("flag")
    talk.send("klaar")
    assert talk.answers == {"done": ["flag"]}


def test_ticking_stops_at_the_maximum_and_says_why() -> None:
    talk = Talk(CHECKLIST, "fr")
    for option in ("flag", "press", "pages"):
        talk.tap(option)
    events = talk.tap("social")
    rejected = [e for e in events if isinstance(e, AnswerRejected)]
    assert rejected and "3" in rejected[0].reason and "Décochez" in rejected[0].reason
    assert talk.state.pending is not None
    assert talk.state.pending.selection == ["flag", "press", "pages"]  # kept, not refused
    asked = [e for e in events if isinstance(e, QuestionAsked)]
    assert asked and asked[0].selected == ("flag", "press", "pages")


def test_an_exclusive_option_clears_the_others_and_is_cleared_by_them() -> None:
    talk = Talk(SOURCES, "en")
    talk.tap("flag")
    assert talk.tap("nothing") == [SelectionChanged("done", 1, ("nothing",))]
    assert talk.tap("press") == [SelectionChanged("done", 1, ("press",))]


@pytest.mark.parametrize(
    ("lang", "typed", "word"),
    [
        ("fr", "1, 5", "Rien encore"),
        ("nl", "vlag en nog niets", "Nog niets"),
        ("es", "2, 5", "Nada aún"),
        ("en", "flag, nothing yet", "Nothing yet"),
    ],
)
def test_an_exclusive_option_typed_with_others_is_refused(lang: str, typed: str, word: str) -> None:
    talk = Talk(SOURCES, lang)
    talk.send(typed)
    if talk.of(ConfirmationRequested):
        talk.send({"fr": "oui", "nl": "ja", "es": "sí", "en": "yes"}[lang])
    rejected = talk.of(AnswerRejected)
    assert rejected and word in rejected[-1].reason
    assert not talk.answers


COUNCIL = make_flow("""
    id: council
    steps:
      - id: council
        kind: choice
        text: {fr: "Délibération ?", nl: "Raadsbesluit?", es: "¿Resolución?", en: "Decision?"}
        options:
          - id: followed
            label: {fr: "Oui, suivie chaque année", nl: "Ja, jaarlijks opgevolgd",
                    es: "Sí, con seguimiento anual", en: "Yes, reviewed yearly"}
          - id: adopted
            label: {fr: "Oui, une fois", nl: "Ja, eenmalig", es: "Sí, una vez", en: "Yes, once"}
            synonyms: {fr: [oui], nl: [ja], es: [sí, si], en: ["yes"]}
          - id: none
            label: {fr: Non, nl: Nee, es: "No", en: "No"}
""")


@pytest.mark.parametrize(
    ("lang", "typed"), [("fr", "oui"), ("nl", "ja"), ("es", "si"), ("en", "yes")]
)
def test_two_options_that_fit_equally_are_both_offered(lang: str, typed: str) -> None:
    talk = Talk(COUNCIL, lang)
    talk.send(typed)
    assert not talk.answers and not talk.of(ConfirmationRequested)
    reason = talk.of(AnswerRejected)[0].reason
    assert "1. " in reason and "2. " in reason and "3. " not in reason
    talk.send("2")
    assert talk.answers == {"council": "adopted"}


def test_a_full_label_is_still_taken_at_once() -> None:
    talk = Talk(COUNCIL, "nl")
    talk.send("ja, eenmalig")
    assert talk.answers == {"council": "adopted"}


LEVELS = make_flow("""
    id: levels
    steps:
      - id: levels
        kind: ratings
        min: 0
        max: 4
        labels: {0: Nothing, 4: A lot}
        text: {fr: "Où ?", nl: "Waar?", es: "¿Dónde?", en: "Where?"}
        items:
          - {id: internal, label: {fr: Interne, nl: Intern, es: Interno, en: Internal}}
          - {id: local, label: {fr: Locale, nl: Lokaal, es: Local, en: Local}}
          - {id: global, label: {fr: Mondiale, nl: Mondiaal, es: Global, en: Global}}
""")


@pytest.mark.parametrize(
    ("lang", "typed"),
    [
        ("fr", ["3", "2 sur 4", "quatre"]),
        ("nl", ["3", "2 op 4", "vier"]),
        ("es", ["3", "2 de 4", "cuatro"]),
        ("en", ["3️⃣", "2/4", "four"]),
    ],
)
def test_several_scores_may_be_typed_one_at_a_time(lang: str, typed: list[str]) -> None:
    talk = Talk(LEVELS, lang)
    first = talk.send(typed[0])
    noted = [e for e in first if isinstance(e, MessageCreated)]
    assert noted and "3" in noted[0].text, first
    talk.send(typed[1])
    talk.send(typed[2])
    assert talk.answers == {"levels": {"internal": 3, "local": 2, "global": 4}}


def test_all_scores_at_once_still_work() -> None:
    talk = Talk(LEVELS, "fr")
    talk.send("1 2 3")
    assert talk.answers == {"levels": {"internal": 1, "local": 2, "global": 3}}


SCALE = make_flow("""
    id: scale
    steps:
      - id: level
        kind: scale
        min: 0
        max: 5
        labels: {0: Nothing, 5: Fully}
        text: How far?
""")


@pytest.mark.parametrize("typed", ["3 sur 5", "3 op 5", "3 de 5", "3 out of 5", "3/5", "3️⃣"])
def test_a_score_with_its_scale(typed: str) -> None:
    talk = Talk(SCALE)
    talk.send(typed)
    assert talk.answers == {"level": 3}


def test_a_score_on_another_scale_is_not_guessed() -> None:
    talk = Talk(SCALE)
    talk.send("3/10")
    assert not talk.answers and talk.of(AnswerRejected)


@pytest.mark.parametrize(
    ("lang", "typed", "word"),
    [
        ("fr", "bonjour", "répondre"),
        ("nl", "dank je", "antwoorden"),
        ("es", "ayuda", "responderla"),
        ("en", "thanks!", "answer"),
        ("en", "menu", "answer"),
    ],
)
def test_small_talk_inside_a_flow_gets_the_question_and_how_to_answer(
    lang: str, typed: str, word: str
) -> None:
    talk = Talk(SCALE, lang)
    events = talk.send(typed)
    assert word in talk.of(AnswerRejected)[0].reason
    assert isinstance(events[-1], QuestionAsked) and events[-1].hint
    assert not talk.answers


def test_an_answer_recorded_is_shown_as_none_when_nothing_was_chosen() -> None:
    talk = Talk(CHECKLIST, "es")
    talk.send("nada")
    assert talk.of(AnswerRecorded)[0].display == "Ninguno"


GAP = make_flow("""
    id: gap
    steps:
      - id: gap
        kind: ratings
        min: 0
        max: 4
        labels: {0: Nothing, 4: Fully}
        text: Today, then 2030?
        items:
          - {id: today, label: {fr: Aujourd'hui, nl: Vandaag, es: Hoy, en: Today}}
          - {id: ambition, label: {fr: Ambition, nl: Ambitie, es: Ambición, en: Ambition},
             at_least: today}
""")


@pytest.mark.parametrize(
    ("lang", "yes"), [("fr", "oui"), ("nl", "ja"), ("es", "sí"), ("en", "yes")]
)
def test_an_ambition_below_today_is_confirmed_first(lang: str, yes: str) -> None:
    talk = Talk(GAP, lang)
    talk.send("3 1")
    confirm = talk.of(ConfirmationRequested)
    assert confirm and "(1)" in confirm[0].text and "(3)" in confirm[0].text
    assert not talk.answers
    talk.send(yes)
    assert talk.answers == {"gap": {"today": 3, "ambition": 1}}


def test_an_ambition_at_or_above_today_is_taken_at_once() -> None:
    talk = Talk(GAP, "fr")
    talk.send("2 2")
    assert talk.answers == {"gap": {"today": 2, "ambition": 2}}


def test_at_least_must_name_another_item() -> None:
    with pytest.raises(FlowError, match="at_least"):
        make_flow("""
            id: bad
            steps:
              - id: r
                kind: ratings
                labels: {0: No, 4: Yes}
                text: Scores?
                items:
                  - {id: a, label: A, at_least: z}
                  - {id: b, label: B}
        """)


GOALS = make_flow("""
    id: goals
    steps:
      - id: priorities
        kind: sdg
        min: 1
        max: 3
        text: Priorities?
""")


def test_tapping_goals_stops_at_the_maximum_and_says_why() -> None:
    talk = Talk(GOALS, "nl")
    for goal in ("16", "11", "6"):
        talk.tap(goal)
    events = talk.tap("13")
    rejected = [e for e in events if isinstance(e, AnswerRejected)]
    assert rejected and "maximum" in rejected[0].reason
    assert talk.state.pending is not None and talk.state.pending.selection == ["16", "11", "6"]
    talk.send("klaar")  # typed "done": what was ticked so far
    assert talk.answers == {"priorities": [6, 11, 16]}


OPTIONAL_LEVELS = make_flow("""
    id: optional_levels
    steps:
      - id: levels
        kind: ratings
        optional: true
        min: 0
        max: 4
        labels: {0: Nothing, 4: A lot}
        text: Where?
        items:
          - {id: internal, label: Internal}
          - {id: local, label: Local}
      - id: known
        kind: choice
        optional: true
        text: Linked?
        options:
          - {id: "yes", label: {fr: Oui, nl: Ja, es: Sí, en: "Yes"}}
          - {id: unknown, label: {fr: Je ne sais pas, nl: Weet ik niet, es: No sé,
                                  en: I don't know}}
""")


@pytest.mark.parametrize(
    ("lang", "typed"),
    [
        ("fr", "je ne sais pas"),
        ("nl", "geen idee"),
        ("es", "no sé"),
        ("en", "don't know"),
        ("en", "?"),
    ],
)
def test_dont_know_skips_an_optional_question(lang: str, typed: str) -> None:
    talk = Talk(OPTIONAL_LEVELS, lang)
    talk.send(typed)
    assert talk.answers == {"levels": None}


def test_dont_know_is_the_option_when_there_is_one() -> None:
    talk = Talk(OPTIONAL_LEVELS, "fr")
    talk.send("passer")
    talk.send("je ne sais pas")
    assert talk.answers == {"levels": None, "known": "unknown"}

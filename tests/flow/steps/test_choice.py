"""`choice`: one option by tap, number, label in any language, synonym or close spelling."""

from __future__ import annotations

import pytest

from bot.flow.events import AnswerRecorded, AnswerRejected, ConfirmationRequested
from tests.helpers import Talk, make_flow

FLOW = make_flow("""
    id: c
    languages: [fr, en]
    title: {fr: Essai, en: Test}
    steps:
      - id: transport
        kind: choice
        columns: 2
        text: {fr: "Comment venez-vous ?", en: "How do you come?"}
        options:
          - id: bike
            label: {fr: À vélo, en: By bike}
            synonyms: {fr: [vélo, bicyclette], en: [cycling]}
          - id: bus
            label: {fr: En bus, en: By bus}
          - id: walk
            label: {fr: À pied, en: On foot}
            next: walkers
      - {id: others, kind: message, text: {fr: Autres, en: Others}, next: end}
      - {id: walkers, kind: message, text: {fr: Marcheurs, en: Walkers}}
""")


def test_question_buttons_and_grid() -> None:
    question = Talk(FLOW, "fr").question
    assert [(o.id, o.label) for o in question.options] == [
        ("bike", "À vélo"),
        ("bus", "En bus"),
        ("walk", "À pied"),
    ]
    assert question.grid == 2 and "numéro" in question.hint


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1", "bike"),
        ("en bus", "bus"),
        ("By bus", "bus"),
        ("bicyclette", "bike"),
        ("cycling", "bike"),
        ("A PIED", "walk"),
    ],
)
def test_typed_answers(typed: str, value: str) -> None:
    talk = Talk(FLOW, "fr")
    talk.send(typed)
    assert talk.answers == {"transport": value}


def test_a_close_spelling_is_confirmed_and_nonsense_refused() -> None:
    talk = Talk(FLOW, "en")
    talk.send("By buss")
    assert talk.of(AnswerRecorded) or talk.of(ConfirmationRequested)
    talk = Talk(FLOW, "en")
    talk.send("helicopter")
    (rejected,) = talk.of(AnswerRejected)
    assert "1. By bike\n2. By bus\n3. On foot" in rejected.reason
    talk.tap("unknown-id")
    assert talk.of(AnswerRejected)


def test_an_option_with_its_own_next() -> None:
    talk = Talk(FLOW, "en")
    talk.tap("walk")
    assert [e.text for e in talk.events[1:-1]] == ["Walkers"]
    talk = Talk(FLOW, "en")
    talk.tap("bus")
    assert [e.text for e in talk.events[1:-1]] == ["Others"]


def test_options_from_countries_and_pillars() -> None:
    flow = make_flow("""
        id: c
        steps:
          - {id: country, kind: choice, options_from: countries, text: "Country?"}
          - {id: pillar, kind: choice, options_from: pillars, text: "Pillar?"}
    """)
    talk = Talk(flow)
    assert talk.question.options[0].id == "BE"
    talk.send("Senegal")
    assert talk.answers == {"country": "SN"}
    assert len(talk.question.options) >= 5

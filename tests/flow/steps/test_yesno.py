"""`yesno`: yes or no in any language, a number or a tap."""

from __future__ import annotations

import pytest

from bot.flow.events import AnswerRecorded, AnswerRejected
from tests.helpers import Talk, make_flow

FLOW = make_flow("""
    id: y
    languages: [fr, en]
    title: {fr: Essai, en: Test}
    steps:
      - {id: ok, kind: yesno, text: {fr: "D’accord ?", en: "Agreed?"}}
""")


def test_buttons() -> None:
    question = Talk(FLOW, "fr").question
    assert [(o.id, o.label) for o in question.options] == [("yes", "Oui"), ("no", "Non")]
    assert question.grid == 2


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("oui", True),
        ("Yes", True),
        ("ja", True),
        ("sí", True),
        ("1", True),
        ("👍", True),
        ("non", False),
        ("nee", False),
        ("2", False),
    ],
)
def test_typed(typed: str, value: bool) -> None:
    talk = Talk(FLOW, "fr")
    talk.send(typed)
    assert talk.of(AnswerRecorded)[0].value is value


def test_tap_and_refusal() -> None:
    talk = Talk(FLOW, "en")
    talk.send("perhaps")
    assert talk.of(AnswerRejected)
    talk.tap("no")
    assert talk.of(AnswerRecorded) == [AnswerRecorded("ok", "yesno", False, "No")]

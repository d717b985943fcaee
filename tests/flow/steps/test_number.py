"""`number`: whole or decimal numbers within bounds."""

from __future__ import annotations

import pytest

from bot.flow.events import AnswerRecorded, AnswerRejected
from tests.helpers import Talk, make_flow

FLOW = make_flow("""
    id: n
    steps:
      - id: people
        kind: number
        min: 1
        max: 5000
        unit: residents
        text: How many?
      - id: share
        kind: number
        integer: false
        max: 100
        text: Which share?
""")


def test_hints() -> None:
    talk = Talk(FLOW)
    assert "whole number" in talk.question.hint and "between 1 and 5000" in talk.question.hint
    talk.send("12")
    assert "at most 100" in talk.question.hint


@pytest.mark.parametrize(
    ("typed", "value", "display"),
    [("12", 12, "12 residents"), ("1 500", 1500, "1500 residents"), ("5000", 5000, None)],
)
def test_whole_numbers(typed: str, value: int, display: str | None) -> None:
    talk = Talk(FLOW)
    talk.send(typed)
    (recorded,) = talk.of(AnswerRecorded)
    assert recorded.value == value and isinstance(recorded.value, int)
    if display:
        assert recorded.display == display


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("0", "between 1 and 5000"),
        ("5001", "between 1 and 5000"),
        ("2.5", "whole number"),
        ("many", "whole number"),
    ],
)
def test_refused(typed: str, reason: str) -> None:
    talk = Talk(FLOW)
    talk.send(typed)
    assert reason in talk.of(AnswerRejected)[0].reason


def test_decimals() -> None:
    talk = Talk(FLOW)
    talk.send("3")
    talk.send("12,5")
    assert talk.answers == {"people": 3, "share": 12.5}


def test_decimals_are_shown_with_the_languages_decimal_sign() -> None:
    flow = make_flow("""
        id: n
        languages: [fr, en]
        steps:
          - id: share
            kind: number
            integer: false
            min: 0.5
            max: 2030
            text: Part ?
    """)
    talk = Talk(flow, lang="fr")
    assert "entre 0,5 et 2030" in talk.question.hint  # no thousands separator in typed figures
    talk.send("2,75")
    (recorded,) = talk.of(AnswerRecorded)
    assert recorded.value == 2.75 and recorded.display == "2,75"
    english = Talk(flow, lang="en")
    english.send("2.75")
    assert english.of(AnswerRecorded)[0].display == "2.75"

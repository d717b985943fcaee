"""`text`: free text within lengths and an optional pattern."""

from __future__ import annotations

from bot.flow.events import AnswerRejected
from tests.helpers import Talk, make_flow

FLOW = make_flow("""
    id: t
    steps:
      - id: code
        kind: text
        min_length: 4
        max_length: 10
        pattern: "[0-9]{4}"
        pattern_hint: A postcode has four digits.
        text: Postcode?
""")


def test_lengths_and_pattern() -> None:
    talk = Talk(FLOW)
    assert "10 characters" in talk.question.hint
    talk.send("12")
    assert "4" in talk.of(AnswerRejected)[0].reason
    talk.send("12345678901")
    assert "10" in talk.of(AnswerRejected)[0].reason
    talk.send("abcd")
    assert talk.of(AnswerRejected)[0].reason == "A postcode has four digits."
    talk.send("  3000 ")
    assert talk.answers == {"code": "3000"}


def test_spaces_are_tidied() -> None:
    talk = Talk(
        make_flow("""
        id: t
        steps:
          - {id: name, kind: text, text: "Name?"}
    """)
    )
    talk.send("  Ana \t  Peeters ")
    assert talk.answers == {"name": "Ana Peeters"}

"""`multi`: several options by toggling buttons then "done", or by typing "1, 3"."""

from __future__ import annotations

import pytest

from bot.flow.events import AnswerRecorded, AnswerRejected, ConfirmationRequested, SelectionChanged
from tests.helpers import Talk, make_flow

FLOW = make_flow("""
    id: m
    steps:
      - id: groups
        kind: multi
        min: 1
        max: 2
        text: Who?
        options:
          - {id: kids, label: Children}
          - {id: elders, label: Older people}
          - {id: firms, label: Businesses}
""")


def test_the_question() -> None:
    question = Talk(FLOW).question
    assert question.multiple and question.done_label == "✔ Done"
    assert "Choose 1 to 2" in question.hint


@pytest.mark.parametrize(
    ("typed", "value"),
    [("1, 3", ["kids", "firms"]), ("3 and 1", ["kids", "firms"]), ("older people", ["elders"])],
)
def test_typed(typed: str, value: list[str]) -> None:
    talk = Talk(FLOW)
    talk.send(typed)
    if talk.of(ConfirmationRequested):
        talk.send("yes")
    assert talk.answers == {"groups": value}


def test_too_many_or_unknown() -> None:
    talk = Talk(FLOW)
    talk.send("1, 2, 3")
    assert "1 to 2" in talk.of(AnswerRejected)[0].reason
    talk.send("1, 9")
    assert talk.of(AnswerRejected)


def test_toggling_buttons() -> None:
    talk = Talk(FLOW)
    assert talk.tap("kids") == [SelectionChanged("groups", 1, ("kids",))]
    talk.tap("firms")
    talk.tap("kids")  # a second tap removes it
    assert talk.state.pending is not None and talk.state.pending.selection == ["firms"]
    talk.submit()
    assert talk.of(AnswerRecorded) == [AnswerRecorded("groups", "multi", ["firms"], "Businesses")]


def test_done_with_nothing_selected_is_refused() -> None:
    talk = Talk(FLOW)
    talk.submit()
    assert talk.of(AnswerRejected)

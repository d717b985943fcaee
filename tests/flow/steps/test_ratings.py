"""`ratings`: one score per item on the same scale, typed at once or tapped row by row."""

from __future__ import annotations

import pytest

from bot.flow.events import AnswerRecorded, AnswerRejected, SelectionChanged
from tests.helpers import Talk, make_flow

FLOW = make_flow("""
    id: r
    steps:
      - id: levels
        kind: ratings
        min: 0
        max: 4
        labels: {0: nothing, 4: all}
        items:
          - {id: internal, label: Internal}
          - {id: local, label: Local}
          - {id: global, label: Global}
        text: Scores?
""")


def test_question() -> None:
    question = Talk(FLOW).question
    assert question.options[0].id == "internal=0" and question.options[0].label == "Internal 0"
    assert len(question.options) == 15 and question.grid == 5
    assert "“1 2 3”" in question.hint


@pytest.mark.parametrize("typed", ["2 3 1", "231", "2,3,1", "2 - 3 - 1"])
def test_typed(typed: str) -> None:
    talk = Talk(FLOW)
    talk.send(typed)
    assert talk.of(AnswerRecorded) == [
        AnswerRecorded(
            "levels",
            "ratings",
            {"internal": 2, "local": 3, "global": 1},
            "Internal 2, Local 3, Global 1",
        )
    ]


@pytest.mark.parametrize("typed", ["2 3", "2 3 5", "a b c", "2 3 1 1"])
def test_refused(typed: str) -> None:
    talk = Talk(FLOW)
    talk.send(typed)
    assert talk.of(AnswerRejected)


def test_tapped_row_by_row() -> None:
    talk = Talk(FLOW)
    assert talk.tap("local=4") == [SelectionChanged("levels", 1, ("local=4",))]
    talk.tap("local=2")  # changing a row
    talk.submit()
    assert "Internal, Global" in talk.of(AnswerRejected)[0].reason
    assert talk.question.selected == ("local=2",)
    talk.tap("global=0")
    talk.tap("internal=1")
    assert talk.answers == {"levels": {"internal": 1, "local": 2, "global": 0}}

"""`scale`: an integer on a labelled range, typed or tapped."""

from __future__ import annotations

import pytest

from bot.flow.events import AnswerRecorded, AnswerRejected, ConfirmationRequested
from tests.helpers import Talk, make_flow

FLOW = make_flow("""
    id: s
    steps:
      - id: level
        kind: scale
        min: 0
        max: 4
        labels: {0: Not at all, 2: Halfway, 4: Completely}
        text: How far?
""")


def test_question_has_a_button_per_point_and_a_legend() -> None:
    question = Talk(FLOW).question
    assert [o.id for o in question.options] == ["0", "1", "2", "3", "4"]
    assert question.grid == 5
    assert question.hint.startswith("0 = Not at all\n2 = Halfway\n4 = Completely\n")


@pytest.mark.parametrize(
    ("typed", "value", "display"),
    [("3", 3, "3"), ("4", 4, "4 – Completely"), ("halfway", 2, "2 – Halfway"), ("zero", 0, None)],
)
def test_typed_points(typed: str, value: int, display: str | None) -> None:
    talk = Talk(FLOW)
    talk.send(typed)
    (recorded,) = talk.of(AnswerRecorded)
    assert recorded.value == value
    if display:
        assert recorded.display == display


def test_tapped_point() -> None:
    talk = Talk(FLOW)
    talk.tap("1")
    assert talk.answers == {"level": 1}


@pytest.mark.parametrize("typed", ["5", "-1", "2.5", "lots"])
def test_out_of_range(typed: str) -> None:
    talk = Talk(FLOW)
    talk.send(typed)
    assert "from 0 to 4" in talk.of(AnswerRejected)[0].reason


def test_a_misspelt_label_is_confirmed() -> None:
    talk = Talk(FLOW)
    talk.send("completly")
    if talk.of(ConfirmationRequested):
        talk.send("yes")
    assert talk.answers == {"level": 4}

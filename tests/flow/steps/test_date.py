"""`date`: dates in common forms, within bounds relative to today or from an expression."""

from __future__ import annotations

import pytest

from bot.flow.events import AnswerRecorded, AnswerRejected
from tests.helpers import Talk, make_flow

FLOW = make_flow("""
    id: d
    steps:
      - id: start
        kind: date
        min: today
        max: today+30
        text: Start?
      - id: finish
        kind: date
        min: start
        max: 2027-12-31
        text: Finish?
""")


def test_hint_shows_the_range() -> None:
    assert Talk(FLOW).question.hint.endswith("(between 22 November 2026 and 22 December 2026).")


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("25/11/2026", "2026-11-25"),
        ("tomorrow", "2026-11-23"),
        ("2026-12-22", "2026-12-22"),
        ("22/11/2026", "2026-11-22"),
    ],
)
def test_accepted(typed: str, value: str) -> None:
    talk = Talk(FLOW)
    talk.send(typed)
    (recorded,) = talk.of(AnswerRecorded)
    assert recorded.value == value


@pytest.mark.parametrize("typed", ["21/11/2026", "23/12/2026", "someday"])
def test_refused(typed: str) -> None:
    talk = Talk(FLOW)
    talk.send(typed)
    assert talk.of(AnswerRejected)


def test_bounds_from_an_earlier_answer() -> None:
    talk = Talk(FLOW)
    talk.send("01/12/2026")
    assert "(between 1 December 2026 and 31 December 2027)" in talk.question.hint
    talk.send("30/11/2026")
    assert talk.of(AnswerRejected)
    talk.send("31/12/2027")
    assert talk.answers["finish"] == "2027-12-31"

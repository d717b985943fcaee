"""`sdg`: one goal (an int) or several (a list), by number, name or button."""

from __future__ import annotations

from bot.flow.events import AnswerRecorded, AnswerRejected, SelectionChanged
from tests.helpers import Talk, make_flow

ONE = make_flow("""
    id: s
    languages: [fr, en]
    title: {fr: Essai, en: Test}
    steps:
      - {id: goal, kind: sdg, text: {fr: "Un ODD ?", en: "One goal?"}}
""")
SOME = make_flow("""
    id: s
    steps:
      - {id: goals, kind: sdg, min: 2, max: 3, goals: [6, 11, 13, 16, 17], text: "Goals?"}
""")


def test_one_goal() -> None:
    talk = Talk(ONE, "fr")
    assert len(talk.question.options) == 17 and not talk.question.multiple
    assert talk.question.options[12].label.startswith("13. ")
    talk.send("climat")
    assert talk.of(AnswerRecorded)[0].value == 13
    talk = Talk(ONE, "en")
    talk.tap("16")
    assert talk.answers == {"goal": 16}


def test_several_goals_from_a_subset() -> None:
    talk = Talk(SOME)
    assert [o.id for o in talk.question.options] == ["6", "11", "13", "16", "17"]
    talk.send("6")
    assert "2 to 3" in talk.of(AnswerRejected)[0].reason
    talk.send("1, 6")
    assert "6, 11, 13, 16, 17" in talk.of(AnswerRejected)[0].reason
    talk.send("16, 6")
    assert talk.answers == {"goals": [16, 6]}


def test_several_goals_by_buttons() -> None:
    talk = Talk(SOME)
    assert talk.tap("17") == [SelectionChanged("goals", 1, ("17",))]
    talk.tap("11")
    talk.submit()
    assert talk.answers == {"goals": [11, 17]}


def test_nonsense_is_refused() -> None:
    talk = Talk(ONE, "en")
    talk.send("bananas")
    assert talk.of(AnswerRejected)

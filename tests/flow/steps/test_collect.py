"""`collect`: a record per round of a repeated block; back takes the last record out again."""

from __future__ import annotations

from bot.flow.events import AnswerRecorded
from tests.helpers import Talk, make_flow

FLOW = make_flow("""
    id: c
    steps:
      - {id: title, kind: text, text: "Activity?"}
      - {id: day, kind: date, optional: true, text: "When?"}
      - id: keep
        kind: collect
        into: activities
        fields: [title, day]
      - {id: more, kind: yesno, text: "Another?"}
      - id: loop
        kind: branch
        cases: [{when: more, next: title}]
""")


def test_records_and_their_displays() -> None:
    talk = Talk(FLOW)
    talk.send("Repair café")
    talk.send("skip")
    assert talk.of(AnswerRecorded)[-1] == AnswerRecorded(
        "keep", "collect", [{"title": "Repair café", "day": None}], "1"
    )
    talk.tap("yes")
    talk.send("Bike ride")
    talk.send("01/12/2026")
    talk.tap("no")
    assert talk.state.vars["activities"] == [
        {"title": "Repair café", "day": None},
        {"title": "Bike ride", "day": "2026-12-01"},
    ]
    assert talk.state.vars["__activities_displays"] == [
        {"title": "Repair café", "day": "—"},
        {"title": "Bike ride", "day": "1 December 2026"},
    ]
    assert talk.state.status == "completed"


def test_back_restores_the_fields_of_the_record() -> None:
    talk = Talk(FLOW)
    talk.send("Repair café")
    talk.send("01/12/2026")
    talk.back()
    assert talk.question.step_id == "day"
    assert talk.answers == {"title": "Repair café"}
    assert talk.state.displays == {"title": "Repair café"}
    assert talk.state.vars["activities"] == [] and talk.state.vars["__activities_displays"] == []

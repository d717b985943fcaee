"""`summary`: a result text (shown again by /results) with optional chart data."""

from __future__ import annotations

from bot.flow import engine
from bot.flow.events import MessageCreated
from tests.helpers import NOW, Talk, catalogue, make_flow

FLOW = make_flow("""
    id: s
    steps:
      - id: scores
        kind: ratings
        items: [{id: a, label: Alpha}, {id: b, label: Beta}]
        labels: {0: none, 4: all}
        text: Scores?
      - id: result
        kind: summary
        chart: {kind: bars, title: Scores, labels: keys(scores), values: values(scores), max: 4}
        text: "Alpha {{ scores.a | bar(4) }}"
      - id: aside
        kind: summary
        result: false
        text: Thanks
""")


def test_the_result_and_its_chart() -> None:
    talk = Talk(FLOW)
    talk.send("2 4")
    result, aside, _ = talk.events[1:]
    assert result == MessageCreated("Alpha ▓▓▓▓░░░░", step_id="result", is_result=True)
    assert aside == MessageCreated("Thanks", step_id="aside", is_result=False)
    chart = talk.state.vars["__chart"]
    assert chart == {
        "kind": "bars",
        "max": 4,
        "title": "Scores",
        "labels": ["a", "b"],
        "values": [2, 4],
        "series_names": [],
    }
    assert talk.state.vars["__result_step"] == "aside"
    assert engine.render_step(FLOW, catalogue(), talk.state, "result", now=NOW) == (
        "Alpha ▓▓▓▓░░░░"
    )
    assert "__chart" not in talk.events[-1].vars  # internal values stay out of RunCompleted

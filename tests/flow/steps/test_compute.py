"""`compute`: values derived in order; failures give none; values stay JSON-storable."""

from __future__ import annotations

from tests.helpers import Talk, make_flow


def test_values_in_order_and_in_the_completion() -> None:
    talk = Talk(
        make_flow("""
        id: c
        steps:
          - id: scores
            kind: ratings
            items: [{id: a, label: A}, {id: b, label: B}]
            labels: {0: none, 4: all}
            text: Scores?
          - id: calc
            kind: compute
            set:
              total: sum(scores)
              average: total / 2
              broken: total / 0
              best: top(scores, 1)
              by_goal: group("scores")
              when: today
          - {id: show, kind: message, text: "{{ total }} {{ average }} [{{ broken }}]"}
    """)
    )
    talk.send("1 4")
    assert talk.events[1].text == "5 2.5 []"
    assert talk.events[-1].vars == {
        "total": 5,
        "average": 2.5,
        "broken": None,
        "best": ["b"],
        "by_goal": {},
        "when": "2026-11-22",
    }


def test_keys_become_strings_for_storage() -> None:
    talk = Talk(
        make_flow("""
        id: c
        steps:
          - {id: goals, kind: sdg, max: 2, text: "Goals?"}
          - id: each
            kind: scale
            for_each: goals
            labels: {0: none, 4: all}
            text: Score?
          - id: calc
            kind: compute
            set:
              scores: group("each")
    """)
    )
    talk.send("16, 11")
    talk.send("1")
    talk.send("3")
    assert talk.state.vars["scores"] == {"16": 1, "11": 3}

"""`message`: says its text and goes on; an empty rendering says nothing."""

from __future__ import annotations

from bot.flow.events import MessageCreated, QuestionAsked, RunCompleted
from tests.helpers import Talk, make_flow


def test_messages_are_said_in_order_then_the_run_waits() -> None:
    talk = Talk(
        make_flow("""
        id: m
        steps:
          - {id: a, kind: message, text: "One <b>bold</b> line"}
          - {id: b, kind: message, text: "{% if false %}hidden{% endif %}"}
          - {id: c, kind: message, text: "Hi {{ user.municipality }}"}
          - {id: q, kind: yesno, text: "Ok?"}
    """)
    )
    first, second, question = talk.events
    assert first == MessageCreated("One <b>bold</b> line", step_id="a")
    assert second == MessageCreated("Hi Leuven", step_id="c")  # b rendered empty: nothing sent
    assert isinstance(question, QuestionAsked)


def test_a_flow_of_messages_only_completes_at_once() -> None:
    talk = Talk(
        make_flow("""
        id: m
        steps:
          - {id: a, kind: message, text: Bye}
    """)
    )
    assert isinstance(talk.events[-1], RunCompleted)
    assert talk.state.status == "completed"

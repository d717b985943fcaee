"""`branch`: the first case that holds, else `else`, else the next step."""

from __future__ import annotations

import pytest

from bot.flow.events import MessageCreated
from tests.helpers import Talk, make_flow

FLOW = make_flow("""
    id: b
    steps:
      - {id: n, kind: number, text: "Number?"}
      - id: route
        kind: branch
        cases:
          - {when: n > 10, next: big}
          - {when: n > 5, next: medium}
        else: small
      - {id: big, kind: message, text: Big, next: end}
      - {id: medium, kind: message, text: Medium, next: end}
      - {id: small, kind: message, text: Small}
""")


@pytest.mark.parametrize(("typed", "said"), [("20", "Big"), ("6", "Medium"), ("2", "Small")])
def test_cases(typed: str, said: str) -> None:
    talk = Talk(FLOW)
    talk.send(typed)
    assert [e.text for e in talk.events if isinstance(e, MessageCreated)] == [said]


def test_without_else_the_branch_falls_through() -> None:
    flow = make_flow("""
        id: b
        steps:
          - {id: ok, kind: yesno, text: "Ok?"}
          - id: route
            kind: branch
            cases: [{when: ok, next: yes_path}]
          - {id: no_path, kind: message, text: No path, next: end}
          - {id: yes_path, kind: message, text: Yes path}
    """)
    talk = Talk(flow)
    talk.tap("no")
    assert talk.events[1].text == "No path"

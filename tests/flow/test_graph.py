"""The Mermaid diagram of a flow names every step and its jumps."""

from __future__ import annotations

import re

import pytest

from bot.flow.graph import mermaid
from tests.helpers import make_flow, shipped_flow, shipped_flow_ids


@pytest.mark.parametrize("flow_id", shipped_flow_ids())
def test_every_step_is_a_node(flow_id: str) -> None:
    flow = shipped_flow(flow_id)
    text = mermaid(flow)
    assert text.startswith("flowchart TD\n")
    nodes = set(re.findall(r"^    (\w+)[\[{(]", text, re.MULTILINE))
    assert set(flow.order) <= nodes
    edges = re.findall(r"^    (\w+) (?:--.*?-->|-->|-\. skipped \.->) (\w+)$", text, re.MULTILINE)
    assert {a for a, _ in edges} <= nodes | {"start"}
    assert {b for _, b in edges} <= nodes | {"done"}


def test_shapes_and_labels() -> None:
    flow = make_flow("""
        id: g
        steps:
          - id: pick
            kind: choice
            text: "Pick \\"one\\" <b>now</b> {{ user.name }}"
            options:
              - {id: a, label: Alpha, next: fin}
              - {id: b, label: Beta}
          - id: each
            kind: yesno
            for_each: [1, 2]
            text: "Item?"
          - id: route
            kind: branch
            when: pick == "b"
            cases: [{when: each_1, next: fin}]
          - {id: fin, kind: message, text: Bye}
    """)
    text = mermaid(flow)
    assert "pick[\"pick · choice<br/>Pick 'one' now\"]" in text
    assert 'pick -- "Alpha" --> fin' in text
    assert 'each[["each · yesno ↻<br/>Item?"]]' in text
    assert 'route{{"route · branch<br/>branch"}}' in text
    assert 'route -- "if" --> fin' in text
    assert "route -. skipped .-> fin" in text
    assert "fin --> done" in text

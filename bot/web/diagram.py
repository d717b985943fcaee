"""A flow's Mermaid flowchart (`bot.flow.graph.mermaid`) drawn as plain HTML on the server.

Mermaid's own renderer is 3.5 MB of JavaScript, twenty times the console's page budget; the
chart it would draw is a list of steps with arrows, which HTML shows as well: each step is a
box (its id, kind and text) with its arrows underneath, each linking to the step it leads to.
The Mermaid text stays on the page, for pasting into an editor that draws it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NODE = re.compile(
    r'^\s{4}(?P<id>[\w-]+)(?P<shape>\(\[|\[\[|\{\{|\[)"(?P<body>.*)"'
    r"(?:\]\)|\]\]|\}\}|\])$"
)
_EDGE = re.compile(
    r"^\s{4}(?P<source>[\w-]+) "
    r'(?:-- "(?P<label>.*)" -->|-->|-\. (?P<dotted>\w+) \.->) (?P<target>[\w-]+)$'
)
_SHAPES = {"([": "terminal", "[[": "loop", "{{": "branch", "[": "step"}


@dataclass
class Edge:
    """An arrow to another step, with its label (an option, "if", "skipped")."""

    target: str
    label: str = ""
    dotted: bool = False


@dataclass
class Node:
    """A box of the chart."""

    id: str
    shape: str
    title: str
    text: str
    edges: list[Edge] = field(default_factory=list)


def parse(mermaid: str) -> list[Node]:
    """The nodes of a `flowchart TD` text as `bot.flow.graph.mermaid` writes it, in order."""
    nodes: dict[str, Node] = {}
    pending: list[tuple[str, Edge]] = []
    for line in mermaid.splitlines():
        node = _NODE.match(line)
        if node is not None:
            title, _, text = node["body"].partition("<br/>")
            nodes[node["id"]] = Node(node["id"], _SHAPES[node["shape"]], title, text)
            continue
        found = _EDGE.match(line)
        if found is not None:
            pending.append(
                (
                    found["source"],
                    Edge(
                        found["target"],
                        found["label"] or found["dotted"] or "",
                        bool(found["dotted"]),
                    ),
                )
            )
    for source, arrow in pending:
        if source in nodes:
            nodes[source].edges.append(arrow)
    return list(nodes.values())


__all__ = ["Edge", "Node", "parse"]

"""`compute`: derive values from earlier answers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic import Field

from bot.flow.definition import ID_PATTERN, ParseContext, Step, step_kind
from bot.flow.events import Event
from bot.flow.expressions import Node
from bot.flow.runtime import Runtime
from bot.flow.shapes import Leaf, StepShape
from bot.flow.yamlsrc import LineDict


class ComputeShape(StepShape):
    """A `compute` step: values derived from earlier answers."""

    kind: Literal["compute"]
    assignments: Annotated[
        Any,
        Leaf(
            "a map from names to expressions",
            lambda v: (
                isinstance(v, Mapping)
                and bool(v)
                and all(isinstance(e, str | int | float) for e in v.values())
            ),
            {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {"type": ["string", "number", "boolean"]},
                "description": "{name: expression}, computed in order.",
            },
        ),
        Field(alias="set"),
    ]


@step_kind
class ComputeStep(Step[Runtime]):
    """Evaluate `set: {name: expression}` in order; later expressions see earlier results."""

    kind = "compute"
    shape = ComputeShape

    def parse(self, spec: LineDict, ctx: ParseContext) -> None:
        """Read the assignments."""
        self.assignments: list[tuple[str, Node, int]] = []
        assignments = spec.get("set")
        if not isinstance(assignments, LineDict) or not assignments:
            ctx.issue(spec.line_of("set"), "a compute step needs 'set': {name: expression}")
            return
        for name, source in assignments.items():
            line = assignments.line_of(name)
            if not ID_PATTERN.match(name):
                ctx.issue(line, f"{name!r} is not a valid name (letters, digits, _)")
                continue
            node = ctx.expr_value(source, line, name)
            if node is not None:
                self.assignments.append((name, node, line))

    def expressions(self) -> Iterator[tuple[Node, int]]:
        """The assigned expressions."""
        yield from super().expressions()
        for _, node, line in self.assignments:
            yield node, line

    def defined_names(self) -> Iterator[str]:
        """The assigned names."""
        return (name for name, _, _ in self.assignments)

    def perform(self, rt: Runtime) -> list[Event]:
        """Compute and store the values."""
        for name, node, _ in self.assignments:
            rt.state.vars[name] = _jsonable(rt.eval(node))
        return []


def _jsonable(value: object) -> object:
    """Keep computed values storable as JSON (tuples → lists, non-string keys → strings)."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)

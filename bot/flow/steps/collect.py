"""`collect`: keep the answers of a repeated block (heroes, activities) for another round.

Going back past a collect step takes its last record back out: the history keeps a marker
(`UNCOLLECT` + the step id) that the engine's "back" handles.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field

from bot.flow.definition import ID_PATTERN, ParseContext, Step, step_kind
from bot.flow.events import AnswerRecorded, Event
from bot.flow.runtime import Runtime
from bot.flow.shapes import Leaf, Name, StepShape
from bot.flow.yamlsrc import LineDict, LineList

UNCOLLECT = "~collect:"
"""History marker prefix of a collected record (step ids cannot start with '~')."""


class CollectShape(StepShape):
    """A `collect` step: keep the answers of a few steps as one record of a list."""

    kind: Literal["collect"]
    into: Annotated[Name, Field(description="The list the record is added to.")]
    fields: Annotated[
        Any,
        Leaf(
            "a list of step ids",
            lambda v: isinstance(v, list) and bool(v) and all(isinstance(f, str) for f in v),
            {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 1,
                "description": "The steps whose answers make the record.",
            },
        ),
    ]


@step_kind
class CollectStep(Step[Runtime]):
    """Append `{field: answer}` to the list `into`, then forget the fields' answers."""

    kind = "collect"
    shape = CollectShape

    def parse(self, spec: LineDict, ctx: ParseContext) -> None:
        """Read `into` and `fields`."""
        self.into = str(spec.get("into", ""))
        if not ID_PATTERN.match(self.into):
            ctx.issue(spec.line_of("into"), "'into' must name the list to collect into")
        fields = spec.get("fields")
        self.field_ids: list[str] = []
        self.fields_line = spec.line_of("fields")
        if not isinstance(fields, LineList) or not fields:
            ctx.issue(self.fields_line, "'fields' must list the steps whose answers are kept")
        else:
            self.field_ids = [str(f) for f in fields]

    def defined_names(self) -> Iterator[str]:
        """The collected list."""
        yield self.into

    def perform(self, rt: Runtime) -> list[Event]:
        """Collect one record and record the whole list as this step's answer."""
        state = rt.state
        record = {field: state.answers.pop(field, None) for field in self.field_ids}
        displays = {field: state.displays.pop(field, "") for field in self.field_ids}
        items = list(state.vars.get(self.into) or [])
        items.append(record)
        state.vars[self.into] = items
        shown = state.vars.setdefault(f"__{self.into}_displays", [])
        shown.append(displays)
        # The fields stay in the history, behind a marker: going back past this step takes the
        # record back out (`uncollect`), so answering the block again does not keep it twice.
        state.history.append(f"{UNCOLLECT}{self.id}")
        return [AnswerRecorded(self.id, self.kind, items, str(len(items)))]

    def uncollect(self, rt: Runtime) -> list[Event]:
        """Take the last record back out of the list and restore its fields' answers."""
        state = rt.state
        items = list(state.vars.get(self.into) or [])
        record = items.pop() if items else {}
        shown = state.vars.get(f"__{self.into}_displays") or []
        displays = shown.pop() if shown else {}
        state.vars[self.into] = items
        for field, value in record.items():
            if value is not None or displays.get(field):
                state.answers[field] = value
                state.displays[field] = displays.get(field, "")
        return [AnswerRecorded(self.id, self.kind, items, str(len(items)))]

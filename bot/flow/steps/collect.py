"""`collect`: keep the answers of a repeated block (heroes, activities) and clear them for another round."""

from __future__ import annotations

from collections.abc import Iterator

from bot.flow.definition import ID_PATTERN, ParseContext, Step, step_kind
from bot.flow.events import AnswerRecorded, Event
from bot.flow.runtime import Runtime
from bot.flow.yamlsrc import LineDict, LineList


@step_kind
class CollectStep(Step):
    """Append `{field: answer}` to the list `into`, then forget the fields' answers."""

    kind = "collect"
    fields = frozenset({"into", "fields"})

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
        for field in self.field_ids:
            if field in state.history:
                state.history.remove(field)
        # Going back into a collected record is not possible; the record is now final.
        return [AnswerRecorded(self.id, self.kind, items, str(len(items)))]

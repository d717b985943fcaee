"""`multi`: several options (min..max), by toggling buttons then "done", or by typing "1, 3".

Typed, "none" ("0", "aucun", "geen", "nada", "none yet") answers a question that allows no
option at all, and "done" ("klaar", "listo") takes what was ticked so far. Tapping stops at
`max` and says why; an option marked `exclusive: true` ("none yet") goes with no other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from bot.flow.definition import LText, ParseContext, Reading, Step, step_kind
from bot.flow.events import QuestionAsked
from bot.flow.matching import DONE_WORDS, NONE_WORDS, normalize
from bot.flow.runtime import Runtime
from bot.flow.shapes import Integer, OptionsFrom, OptionShape, StepShape, Text
from bot.flow.steps.options import OptionSet, parse_options
from bot.flow.yamlsrc import LineDict


class MultiShape(StepShape):
    """A `multi` step: several options, toggled, then confirmed."""

    # One of the two is needed; the loader says so, and the schema too.
    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["options"]}, {"required": ["options_from"]}]}
    )

    kind: Literal["multi"]
    text: Annotated[Text, Field(description="The question.")]
    # Absent is allowed (options_from instead), null is not: the default is not validated.
    options: list[OptionShape] = Field(None, min_length=1, description="The options.")  # type: ignore[arg-type]
    options_from: Annotated[OptionsFrom, Field(description="Options from the catalogue.")] = None
    min: Annotated[Integer, Field(description="Fewest options to choose (default 1).")] = None
    max: Annotated[Integer, Field(description="Most options to choose (default: all).")] = None
    columns: Annotated[Integer, Field(description="Buttons per row.")] = None


@step_kind
class MultiStep(Step[Runtime]):
    """Choose several options."""

    kind = "multi"
    shape = MultiShape
    waits = True

    def parse(self, spec: LineDict, ctx: ParseContext) -> None:
        """Read options and bounds."""
        self.optionset = OptionSet(
            parse_options(spec, ctx), current_first=spec.get("options_from") == "languages"
        )
        count = len(self.optionset.options)
        self.min = ctx.integer(spec, "min", 1) or 0
        self.max = ctx.integer(spec, "max", count) or count
        self.columns = ctx.integer(spec, "columns", 0) or 0
        if count and not 0 <= self.min <= self.max <= count:
            ctx.issue(spec.line, f"need 0 ≤ min ≤ max ≤ {count} options")

    @property
    def labels(self) -> dict[str, LText]:
        """Option labels by id."""
        return {o.id: o.label for o in self.optionset.options}

    def texts(self) -> Iterator[LText]:
        """Option labels too."""
        yield from super().texts()
        yield from self.labels.values()

    def _hint(self, rt: Runtime) -> str:
        hint = rt.msg("hint_multi", min=self.min, max=self.max)
        return f"{hint} {rt.msg('hint_multi_none')}" if self.min == 0 else hint

    def question(self, rt: Runtime) -> QuestionAsked:
        """Ask with toggle buttons and a "done" button."""
        return rt.ask(
            self, self._hint(rt), self.optionset.shown(rt), multiple=True, grid=self.columns
        )

    def _exclusive(self) -> set[str]:
        return {o.id for o in self.optionset.options if o.exclusive}

    def _accept(self, rt: Runtime, values: list[str]) -> Reading:
        ordered = [o.id for o in self.optionset.options if o.id in values]
        alone = [v for v in ordered if v in self._exclusive()]
        if alone and len(ordered) > 1:
            return Reading.rejected(
                rt.msg("reject_multi_exclusive", option=self.optionset.label(rt, alone[0]))
            )
        if not self.min <= len(ordered) <= self.max:
            return Reading.rejected(
                rt.msg("reject_multi_count", min=self.min, max=self.max, count=len(ordered))
            )
        display = ", ".join(self.optionset.label(rt, v) for v in ordered) or rt.msg("none_label")
        return Reading.accepted(ordered, display)

    def _pending(self, rt: Runtime) -> list[str]:
        pending = rt.state.pending
        return list(pending.selection or []) if pending else []

    def understand(self, rt: Runtime, text: str) -> Reading:
        """Read "1, 3 et 5" or labels separated by commas; "none" and "done" words too."""
        result = self.optionset.matcher(rt).match_many(text)
        if result.status == "none" or result.unknown:
            word = normalize(text)
            if word in DONE_WORDS and (self._pending(rt) or self.min == 0):
                return self._accept(rt, self._pending(rt))
            if word in NONE_WORDS and self.min == 0:
                return self._accept(rt, [])
            return Reading.rejected(
                rt.msg("reject_multi", answer=text[:80], options=self.optionset.numbered(rt))
            )
        values = list(dict.fromkeys([*result.values, *result.unsure]))
        reading = self._accept(rt, values)
        if reading.status == "accepted" and result.unsure:
            return Reading.unsure(reading.value, reading.display)
        return reading

    def tap(self, rt: Runtime, option_id: str) -> Reading:
        """Toggle an option in the pending selection, up to `max`."""
        if option_id not in self.optionset.by_id:
            return self.understand(rt, option_id)
        selection = self._pending(rt)
        exclusive = self._exclusive()
        if option_id in selection:
            selection.remove(option_id)
        elif self.max == 1:
            selection = [option_id]
        elif option_id in exclusive:
            selection = [option_id]  # "none yet" clears the others
        else:
            selection = [v for v in selection if v not in exclusive]
            if len(selection) >= self.max:
                # Stop here rather than refuse the whole selection at "done".
                return Reading.rejected(rt.msg("reject_multi_full", max=self.max))
            selection.append(option_id)
        return Reading("selection", selection)

    def submit(self, rt: Runtime) -> Reading:
        """The "done" button: accept the toggled selection."""
        return self._accept(rt, self._pending(rt))

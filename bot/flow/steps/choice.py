"""`choice`: one of N options, by tap, number, label in any language, synonym or close spelling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from bot.flow.definition import LText, ParseContext, Reading, Step, step_kind
from bot.flow.events import QuestionAsked
from bot.flow.parsing import parse_yesno
from bot.flow.runtime import Runtime
from bot.flow.shapes import Integer, OptionsFrom, OptionShape, StepShape, Text
from bot.flow.steps.options import OptionSet, parse_options
from bot.flow.yamlsrc import LineDict


class ChoiceShape(StepShape):
    """A `choice` step: one option among several, tapped or typed."""

    # One of the two is needed; the loader says so, and the schema too.
    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["options"]}, {"required": ["options_from"]}]}
    )

    kind: Literal["choice"]
    text: Annotated[Text, Field(description="The question.")]
    # Absent is allowed (options_from instead), null is not: the default is not validated.
    options: list[OptionShape] = Field(None, min_length=1, description="The options.")  # type: ignore[arg-type]
    options_from: Annotated[OptionsFrom, Field(description="Options from the catalogue.")] = None
    columns: Annotated[Integer, Field(description="Buttons per row.")] = None


@step_kind
class ChoiceStep(Step[Runtime]):
    """Choose one option; an option may jump with its own `next`."""

    kind = "choice"
    shape = ChoiceShape
    waits = True

    def parse(self, spec: LineDict, ctx: ParseContext) -> None:
        """Read the options."""
        self.optionset = OptionSet(
            parse_options(spec, ctx), current_first=spec.get("options_from") == "languages"
        )
        self.columns = ctx.integer(spec, "columns", 0) or 0

    @property
    def labels(self) -> dict[str, LText]:
        """Option labels by id (used by the `label()` expression function)."""
        return {o.id: o.label for o in self.optionset.options}

    def texts(self) -> Iterator[LText]:
        """Option labels too."""
        yield from super().texts()
        yield from self.labels.values()

    def targets(self) -> Iterator[tuple[str, int]]:
        """Option jumps too."""
        yield from super().targets()
        for option in self.optionset.options:
            if option.next:
                yield option.next, option.line

    def question(self, rt: Runtime) -> QuestionAsked:
        """Ask with the options as buttons."""
        return rt.ask(self, rt.msg("hint_choice"), self.optionset.shown(rt), grid=self.columns)

    def understand(self, rt: Runtime, text: str) -> Reading:
        """Match a typed answer against the options."""
        result = self.optionset.matcher(rt).match(text)
        if result.status == "accepted" and result.value is not None:
            return Reading.accepted(result.value, self.optionset.label(rt, result.value))
        if result.status == "unsure" and result.value is not None and result.tie:
            # Two options fit as well as each other: name both, never pick one.
            return Reading.rejected(
                rt.msg(
                    "did_you_mean_which",
                    answer=text[:80],
                    options=self._listed(rt, (result.value, *result.alternatives)),
                )
            )
        # (A tie lists the options that fit equally; the first alternatives are the tied ones.)
        if result.status == "unsure" and result.value is not None:
            return Reading.unsure(result.value, self.optionset.label(rt, result.value))
        answer = parse_yesno(text)
        if answer is not None:
            # "pas encore", "nee hoor", "claro": a yes or a no to options such as "Oui /
            # En préparation / Non" names the option that says it, to be confirmed.
            said = [
                o.id
                for o in self.optionset.ordered(rt)
                if parse_yesno(self.optionset.label(rt, o.id)) is answer
            ]
            if len(said) == 1:
                return Reading.unsure(said[0], self.optionset.label(rt, said[0]))
        return Reading.rejected(
            rt.msg("reject_choice", answer=text[:80], options=self.optionset.numbered(rt))
        )

    def _listed(self, rt: Runtime, ids: tuple[str, ...]) -> str:
        """Some options with the numbers they have in the question ("2. Ja, eenmalig")."""
        numbers = {o.id: n for n, o in enumerate(self.optionset.ordered(rt), start=1)}
        return "\n".join(
            f"{numbers[i]}. {self.optionset.label(rt, i)}"
            for i in sorted(ids[:3], key=numbers.__getitem__)
        )

    def tap(self, rt: Runtime, option_id: str) -> Reading:
        """A tapped option is taken as it is."""
        if option_id in self.optionset.by_id:
            return Reading.accepted(option_id, self.optionset.label(rt, option_id))
        return self.understand(rt, option_id)

    def jump(self, rt: Runtime, value: Any) -> str | None:
        """The option's `next`, else the step's."""
        return self.optionset.next_of(value) or self.base.next

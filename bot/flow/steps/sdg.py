"""`sdg`: one or several of the 17 goals, by number or by name in any language."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from bot.flow.definition import ParseContext, Reading, Step, step_kind
from bot.flow.events import Option, QuestionAsked
from bot.flow.matching import DONE_WORDS, NONE_WORDS, normalize
from bot.flow.runtime import Runtime
from bot.flow.shapes import Integer, Leaf, StepShape, Text
from bot.flow.yamlsrc import LineDict, LineList


class SdgShape(StepShape):
    """An `sdg` step: one or several of the 17 goals."""

    kind: Literal["sdg"]
    text: Annotated[Text, Field(description="The question.")]
    min: Annotated[Integer, Field(description="Fewest goals to choose (default 1).")] = None
    max: Annotated[Integer, Field(description="Most goals to choose (default 1).")] = None
    goals: Annotated[
        Any,
        Leaf(
            "a list of goal numbers from 1 to 17",
            lambda v: (
                isinstance(v, list)
                and all(isinstance(g, int) and not isinstance(g, bool) and 1 <= g <= 17 for g in v)
            ),
            {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 17},
                "description": "The goals offered (default: all 17).",
            },
        ),
    ] = None


@step_kind
class SdgStep(Step[Runtime]):
    """Goals: an int when `max` is 1, else a list of ints."""

    kind = "sdg"
    shape = SdgShape
    waits = True

    def parse(self, spec: LineDict, ctx: ParseContext) -> None:
        """Read bounds and the optional subset of goals."""
        self.min = ctx.integer(spec, "min", 1) or 0
        self.max = ctx.integer(spec, "max", 1) or 1
        self.goals: tuple[int, ...] = tuple(range(1, 18))
        raw = spec.get("goals")
        if raw is not None:
            if not isinstance(raw, LineList) or not all(
                isinstance(g, int) and 1 <= g <= 17 for g in raw
            ):
                ctx.issue(spec.line_of("goals"), "'goals' must list goal numbers from 1 to 17")
            else:
                self.goals = tuple(raw)
        if not 0 <= self.min <= self.max <= len(self.goals):
            ctx.issue(spec.line, f"need 0 ≤ min ≤ max ≤ {len(self.goals)}")

    @property
    def multiple(self) -> bool:
        """Whether several goals may be chosen."""
        return self.max > 1

    def _label(self, rt: Runtime, goal: int) -> str:
        return f"{goal}. {rt.catalogue.sdgs.name(goal, rt.lang)}"

    def _display(self, rt: Runtime, goals: list[int]) -> str:
        return "; ".join(self._label(rt, g) for g in goals)

    def question(self, rt: Runtime) -> QuestionAsked:
        """Ask with one button per goal."""
        options = tuple(Option(str(g), self._label(rt, g)) for g in self.goals)
        hint = rt.msg("hint_sdgs" if self.multiple else "hint_sdg", min=self.min, max=self.max)
        return rt.ask(self, hint, options, multiple=self.multiple, grid=2)

    def _accept(self, rt: Runtime, goals: list[int]) -> Reading:
        goals = [g for g in dict.fromkeys(goals)]
        outside = [g for g in goals if g not in self.goals]
        if outside:
            return Reading.rejected(
                rt.msg("reject_sdg_subset", goals=", ".join(str(g) for g in self.goals))
            )
        if not self.min <= len(goals) <= self.max or (not goals and not self.multiple):
            return Reading.rejected(
                rt.msg("reject_multi_count", min=max(self.min, 1), max=self.max, count=len(goals))
            )
        value: int | list[int] = goals if self.multiple else goals[0]
        return Reading.accepted(value, self._display(rt, goals))

    def understand(self, rt: Runtime, text: str) -> Reading:
        """Match goal numbers and names."""
        result = rt.catalogue.sdgs.match(text)
        if result.status == "none" or result.unknown:
            word = normalize(text)
            pending = rt.state.pending
            ticked = [int(g) for g in (pending.selection or [])] if pending else []
            if self.multiple and word in DONE_WORDS and (ticked or self.min == 0):
                return self._accept(rt, sorted(ticked))  # "klaar": what was ticked so far
            if self.multiple and word in NONE_WORDS and self.min == 0:
                return self._accept(rt, [])
            return Reading.rejected(rt.msg("reject_sdg", answer=text[:80]))
        goals = [*result.numbers, *result.unsure]
        reading = self._accept(rt, goals)
        if reading.status == "accepted" and result.unsure:
            return Reading.unsure(reading.value, reading.display)
        return reading

    def tap(self, rt: Runtime, option_id: str) -> Reading:
        """Toggle (several goals) or choose (one goal)."""
        if not option_id.isdigit():
            return self.understand(rt, option_id)
        goal = int(option_id)
        if not self.multiple:
            return self._accept(rt, [goal])
        pending = rt.state.pending
        selection = list(pending.selection or []) if pending else []
        if option_id in selection:
            selection.remove(option_id)
        elif len(selection) >= self.max:
            # Stop at the maximum and say why, rather than refuse all 17 at "done".
            return Reading.rejected(rt.msg("reject_multi_full", max=self.max))
        else:
            selection.append(option_id)
        return Reading("selection", selection)

    def submit(self, rt: Runtime) -> Reading:
        """Accept the toggled goals."""
        pending = rt.state.pending
        selection = [int(g) for g in (pending.selection or [])] if pending else []
        return self._accept(rt, sorted(selection))

"""`yesno`: yes or no, typed in any language (oui, ja, sí, ok, 👍) or tapped."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from bot.flow.definition import Reading, Step, step_kind
from bot.flow.events import Option, QuestionAsked
from bot.flow.parsing import parse_yesno
from bot.flow.runtime import Runtime
from bot.flow.shapes import StepShape, Text


class YesNoShape(StepShape):
    """A `yesno` step: yes or no."""

    kind: Literal["yesno"]
    text: Annotated[Text, Field(description="The question.")]


@step_kind
class YesNoStep(Step[Runtime]):
    """A yes/no question; the answer is a boolean."""

    kind = "yesno"
    shape = YesNoShape
    waits = True

    def question(self, rt: Runtime) -> QuestionAsked:
        """Ask with two buttons."""
        options = (Option("yes", rt.msg("yes_label")), Option("no", rt.msg("no_label")))
        return rt.ask(self, rt.msg("hint_yesno"), options, grid=2)

    def understand(self, rt: Runtime, text: str) -> Reading:
        """Read yes or no."""
        answer = parse_yesno(text)
        if answer is None and text.strip() in {"1", "2"}:
            answer = text.strip() == "1"  # the options are numbered 1. yes 2. no
        if answer is None:
            return Reading.rejected(rt.msg("reject_yesno", answer=text[:80]))
        return Reading.accepted(answer, rt.msg("yes_label" if answer else "no_label"))

    def tap(self, rt: Runtime, option_id: str) -> Reading:
        """The yes/no buttons."""
        if option_id in {"yes", "no"}:
            return Reading.accepted(
                option_id == "yes", rt.msg("yes_label" if option_id == "yes" else "no_label")
            )
        return self.understand(rt, option_id)

"""`text`: free text with a maximum length and an optional pattern."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from bot.flow.definition import LText, ParseContext, Reading, Step, step_kind
from bot.flow.events import QuestionAsked
from bot.flow.runtime import Runtime
from bot.flow.shapes import Integer, StepShape, Text, Word
from bot.flow.yamlsrc import LineDict


class TextShape(StepShape):
    """A `text` step: free text, optionally matching a pattern."""

    kind: Literal["text"]
    text: Annotated[Text, Field(description="The question.")]
    max_length: Annotated[Integer, Field(description="Longest answer (default 500).")] = None
    min_length: Annotated[Integer, Field(description="Shortest answer (default 1).")] = None
    pattern: Annotated[Word, Field(description="A regular expression answers must match.")] = None
    pattern_hint: Annotated[Text, Field(description="What the pattern expects, in words.")] = None


@step_kind
class TextStep(Step[Runtime]):
    """Free text."""

    kind = "text"
    shape = TextShape
    waits = True

    def parse(self, spec: LineDict, ctx: ParseContext) -> None:
        """Read length limits and pattern."""
        self.max_length = ctx.integer(spec, "max_length", 500) or 500
        self.min_length = ctx.integer(spec, "min_length", 1) or 0
        self.pattern: re.Pattern[str] | None = None
        if "pattern" in spec:
            try:
                self.pattern = re.compile(str(spec["pattern"]))
            except re.error as exc:
                ctx.issue(
                    spec.line_of("pattern"), f"pattern is not a valid regular expression: {exc}"
                )
        self.pattern_hint: LText | None = ctx.text(spec, "pattern_hint", required="pattern" in spec)
        if not 0 <= self.min_length <= self.max_length <= 4000:
            ctx.issue(spec.line, "need 0 ≤ min_length ≤ max_length ≤ 4000")

    def question(self, rt: Runtime) -> QuestionAsked:
        """Ask for text."""
        return rt.ask(self, rt.msg("hint_text", max=self.max_length))

    def understand(self, rt: Runtime, text: str) -> Reading:
        """Check length and pattern."""
        text = re.sub(r"[ \t]+", " ", text).strip()
        if len(text) < max(self.min_length, 1):
            return Reading.rejected(rt.msg("reject_text_short", min=max(self.min_length, 1)))
        if len(text) > self.max_length:
            return Reading.rejected(
                rt.msg("reject_text_long", max=self.max_length, length=len(text))
            )
        if self.pattern is not None and not self.pattern.fullmatch(text):
            return Reading.rejected(rt.render(self.pattern_hint))
        return Reading.accepted(text, text)

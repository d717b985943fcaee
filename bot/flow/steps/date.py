"""`date`: a date typed in any common form (15/12/2026, "15 déc", "morgen", "tomorrow")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field

from bot.flow.definition import ParseContext, Reading, Step, step_kind
from bot.flow.events import QuestionAsked
from bot.flow.expressions import Node
from bot.flow.parsing import parse_date
from bot.flow.runtime import Runtime
from bot.flow.shapes import Leaf, StepShape, Text
from bot.flow.templates import format_value
from bot.flow.yamlsrc import LineDict

_RELATIVE = re.compile(r"^today\s*([+-])\s*(\d+)$")


DateBound = Annotated[
    Any,
    Leaf(
        "a date (2026-05-01), today, today+30 or an expression",
        lambda v: isinstance(v, str | date),
        {"type": "string", "description": "A date (2026-05-01), today, today+30 or an expression."},
    ),
]


class DateShape(StepShape):
    """A `date` step: a day, typed in any usual way."""

    kind: Literal["date"]
    text: Annotated[Text, Field(description="The question.")]
    min: Annotated[DateBound, Field(description="The earliest date accepted.")] = None
    max: Annotated[DateBound, Field(description="The latest date accepted.")] = None


@step_kind
class DateStep(Step[Runtime]):
    """A date within optional bounds; the answer is an ISO date string."""

    kind = "date"
    shape = DateShape
    waits = True

    def parse(self, spec: LineDict, ctx: ParseContext) -> None:
        """Read bounds: `today`, `today+30`, an ISO date or an expression."""
        self.bounds: dict[str, str | Node] = {}
        for key in ("min", "max"):
            if key not in spec:
                continue
            raw = str(spec[key]).strip()
            if raw == "today" or _RELATIVE.match(raw.replace(" ", "")):
                self.bounds[key] = raw.replace(" ", "")
                continue
            try:
                self.bounds[key] = date.fromisoformat(raw).isoformat()
            except ValueError:
                node = ctx.expr_value(raw, spec.line_of(key), key)
                if node is not None:
                    self.bounds[key] = node

    def expressions(self) -> Iterator[tuple[Node, int]]:
        """Bound expressions."""
        yield from super().expressions()
        for key, bound in self.bounds.items():
            if isinstance(bound, Node):
                yield bound, self.base.lines.get(key, self.base.line)

    def _bound(self, rt: Runtime, key: str) -> date | None:
        raw = self.bounds.get(key)
        if raw is None:
            return None
        today = date.fromisoformat(rt.today)
        if isinstance(raw, Node):
            value = rt.eval(raw)
            try:
                return date.fromisoformat(str(value)[:10]) if value else None
            except ValueError:
                return None
        if raw == "today":
            return today
        match = _RELATIVE.match(raw)
        if match:
            days = int(match.group(2)) * (1 if match.group(1) == "+" else -1)
            return today + timedelta(days=days)
        return date.fromisoformat(raw)

    def _range(self, rt: Runtime) -> str:
        low, high = self._bound(rt, "min"), self._bound(rt, "max")
        if low and high:
            return rt.msg(
                "range_between", min=format_value(low, rt.lang), max=format_value(high, rt.lang)
            )
        if low:
            return rt.msg("range_from", min=format_value(low, rt.lang))
        if high:
            return rt.msg("range_to", max=format_value(high, rt.lang))
        return ""

    def question(self, rt: Runtime) -> QuestionAsked:
        """Ask for a date, with an example in the right range."""
        return rt.ask(self, rt.with_range(self._hint(rt), self._range(rt)))

    def _example(self, rt: Runtime) -> str:
        """A date this question accepts, as digits: today, or the nearest bound."""
        today = date.fromisoformat(rt.today)
        low, high = self._bound(rt, "min"), self._bound(rt, "max")
        example = low if low and today < low else high if high and today > high else today
        return example.strftime("%d/%m/%Y")

    def _hint(self, rt: Runtime) -> str:
        """The hint "Type a date, e.g. …", with examples this very question accepts.

        The example is today (or the lower bound) written as digits, and "tomorrow" only
        when tomorrow is within the bounds.
        """
        today = date.fromisoformat(rt.today)
        low, high = self._bound(rt, "min"), self._bound(rt, "max")
        tomorrow = today + timedelta(days=1)
        if (low is None or tomorrow >= low) and (high is None or tomorrow <= high):
            return rt.msg("hint_date", example=self._example(rt))
        return rt.msg("hint_date_only", example=self._example(rt))

    def understand(self, rt: Runtime, text: str) -> Reading:
        """Parse and bound-check the date."""
        day = parse_date(text, date.fromisoformat(rt.today))
        if day is None:
            return Reading.rejected(
                rt.with_range(
                    rt.msg("reject_date", answer=text[:80], example=self._example(rt)),
                    self._range(rt),
                )
            )
        low, high = self._bound(rt, "min"), self._bound(rt, "max")
        if (low and day < low) or (high and day > high):
            return Reading.rejected(
                rt.msg(
                    "reject_out_of_range", answer=format_value(day, rt.lang), range=self._range(rt)
                )
            )
        return Reading.accepted(day.isoformat(), format_value(day, rt.lang))

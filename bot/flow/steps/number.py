"""`number`: a whole or decimal number within bounds, typed as digits or small number words."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from bot.flow.definition import LText, ParseContext, Reading, Step, step_kind
from bot.flow.events import QuestionAsked
from bot.flow.parsing import parse_number
from bot.flow.runtime import Runtime
from bot.flow.shapes import Flag, Number, StepShape, Text
from bot.flow.yamlsrc import LineDict
from bot.formatting import format_number


def _bound(spec: LineDict, key: str, ctx: ParseContext) -> Decimal | None:
    if key not in spec:
        return None
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        ctx.issue(spec.line_of(key), f"'{key}' must be a number")
        return None
    return Decimal(str(value))


def _show(value: Decimal, lang: str) -> str:
    """A number as typed, with `lang`'s decimal sign ("2,75" in French) and no rounding."""
    exponent = value.normalize().as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return format_number(value, lang, digits=digits, grouping=False)


class NumberShape(StepShape):
    """A `number` step: a whole or decimal number within bounds."""

    kind: Literal["number"]
    text: Annotated[Text, Field(description="The question.")]
    min: Annotated[Number, Field(description="The smallest number accepted.")] = None
    max: Annotated[Number, Field(description="The largest number accepted.")] = None
    integer: Annotated[Flag, Field(description="Whole numbers only (default true).")] = True
    unit: Annotated[Text, Field(description="Shown after the number (km, €).")] = None


@step_kind
class NumberStep(Step[Runtime]):
    """A number, `integer: true` by default."""

    kind = "number"
    shape = NumberShape
    waits = True

    def parse(self, spec: LineDict, ctx: ParseContext) -> None:
        """Read bounds, integer-ness and unit."""
        self.low = _bound(spec, "min", ctx)
        self.high = _bound(spec, "max", ctx)
        self.integer = ctx.boolean(spec, "integer", True)
        self.unit: LText | None = ctx.text(spec, "unit")
        if self.low is not None and self.high is not None and self.low > self.high:
            ctx.issue(spec.line, "min is larger than max")

    def _range(self, rt: Runtime) -> str:
        if self.low is not None and self.high is not None:
            return rt.msg(
                "range_between", min=_show(self.low, rt.lang), max=_show(self.high, rt.lang)
            )
        if self.low is not None:
            return rt.msg("range_from", min=_show(self.low, rt.lang))
        if self.high is not None:
            return rt.msg("range_to", max=_show(self.high, rt.lang))
        return ""

    def question(self, rt: Runtime) -> QuestionAsked:
        """Ask for a typed number."""
        key = "hint_integer" if self.integer else "hint_decimal"
        return rt.ask(self, rt.with_range(rt.msg(key), self._range(rt)))

    def understand(self, rt: Runtime, text: str) -> Reading:
        """Read and bound-check a number."""
        number = parse_number(text)
        reason_key = "reject_integer" if self.integer else "reject_number"
        if number is None or (self.integer and number != number.to_integral()):
            return Reading.rejected(
                rt.with_range(rt.msg(reason_key, answer=text[:80]), self._range(rt))
            )
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            return Reading.rejected(
                rt.msg("reject_out_of_range", answer=_show(number, rt.lang), range=self._range(rt))
            )
        value: int | float = int(number) if self.integer else float(number)
        unit = rt.render(self.unit)
        return Reading.accepted(value, f"{_show(number, rt.lang)} {unit}".strip())

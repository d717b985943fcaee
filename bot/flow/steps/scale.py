"""`scale`: an integer on a range with labelled points (0 "not at all" … 4 "fully")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field

from bot.flow.definition import LText, ParseContext, Reading, Step, step_kind
from bot.flow.events import Option, QuestionAsked
from bot.flow.matching import Choice, OptionMatcher
from bot.flow.parsing import parse_number, parse_score
from bot.flow.runtime import Runtime
from bot.flow.shapes import Integer, Labels, StepShape, Text
from bot.flow.yamlsrc import LineDict


def parse_labels(spec: LineDict, ctx: ParseContext, low: int, high: int) -> dict[int, LText]:
    """Read `labels: {0: …, 4: …}`; the two ends are required."""
    raw = spec.get("labels")
    labels: dict[int, LText] = {}
    if not isinstance(raw, LineDict):
        ctx.issue(spec.line_of("labels"), f"'labels' must name at least the ends {low} and {high}")
        return labels
    for key, value in raw.items():
        line = raw.line_of(key)
        if not key.lstrip("-").isdigit() or not low <= int(key) <= high:
            ctx.issue(line, f"label key {key!r} is not a point of the scale {low}–{high}")
            continue
        text = ctx.text_value(value, line, f"label {key}")
        if text is not None:
            labels[int(key)] = text
    for end in (low, high):
        if end not in labels:
            ctx.issue(raw.line, f"the scale needs a label for {end}")
    return labels


class ScaleMixin:
    """Reading a point of an integer scale, typed as a digit, a number word or a label."""

    low: int
    high: int
    labels: dict[int, LText]

    def point_label(self, rt: Runtime, point: int) -> str:
        """The label of a point, or the point itself."""
        return rt.render(self.labels[point]) if point in self.labels else str(point)

    def display(self, rt: Runtime, point: int) -> str:
        """`3 – Mostly` style display."""
        label = self.labels.get(point)
        return f"{point} – {rt.render(label)}" if label else str(point)

    def read_point(self, rt: Runtime, text: str) -> int | str | None:
        """The point typed; "unsure:<n>" for a fuzzy label match; None if not understood."""
        number = parse_number(text)
        if number is None:
            number = parse_score(text, self.high)  # "3 sur 4", "3/4"
        if number is not None:
            if number == int(number) and self.low <= int(number) <= self.high:
                return int(number)
            return None
        choices = [
            Choice(str(p), tuple(label.source.all_texts())) for p, label in self.labels.items()
        ]
        result = OptionMatcher(choices).match(text) if choices else None
        if result and result.value is not None and result.status == "accepted":
            return int(result.value)
        if result and result.value is not None and result.status == "unsure":
            return f"unsure:{result.value}"
        return None


class ScaleShape(StepShape):
    """A `scale` step: one point of a labelled scale."""

    kind: Literal["scale"]
    text: Annotated[Text, Field(description="The question.")]
    min: Annotated[Integer, Field(description="The lowest point (default 0).")] = None
    max: Annotated[Integer, Field(description="The highest point (default 4).")] = None
    labels: Annotated[Labels, Field(description="Texts of the points (at least both ends).")] = None


@step_kind
class ScaleStep(ScaleMixin, Step[Runtime]):
    """An integer from `min` to `max`."""

    kind = "scale"
    shape = ScaleShape
    waits = True

    def parse(self, spec: LineDict, ctx: ParseContext) -> None:
        """Read the range and its labels."""
        self.low = ctx.integer(spec, "min", 0) or 0
        self.high = ctx.integer(spec, "max", 4) or 0
        if not self.low < self.high or self.high - self.low > 10:
            ctx.issue(spec.line, "a scale needs min < max, with at most 11 points")
        self.labels = parse_labels(spec, ctx, self.low, self.high)

    def texts(self) -> Iterator[LText]:
        """The labels too."""
        yield from super().texts()
        yield from self.labels.values()

    def question(self, rt: Runtime) -> QuestionAsked:
        """Ask with one button per point; the ends' labels are in the hint."""
        options = tuple(Option(str(p), str(p)) for p in range(self.low, self.high + 1))
        legend = "\n".join(f"{p} = {self.point_label(rt, p)}" for p in sorted(self.labels))
        hint = rt.msg("hint_scale", min=self.low, max=self.high)
        return rt.ask(self, f"{legend}\n{hint}", options, grid=self.high - self.low + 1)

    def understand(self, rt: Runtime, text: str) -> Reading:
        """Read a point."""
        point = self.read_point(rt, text)
        if isinstance(point, int):
            return Reading.accepted(point, self.display(rt, point))
        if isinstance(point, str):
            value = int(point.split(":")[1])
            return Reading.unsure(value, self.display(rt, value))
        return Reading.rejected(
            rt.msg("reject_scale", answer=text[:80], min=self.low, max=self.high)
        )

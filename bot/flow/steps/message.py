"""`message` and `summary`: the flow says something and continues."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field

from bot.flow.definition import ParseContext, Step, step_kind
from bot.flow.events import Event, MessageCreated
from bot.flow.expressions import Node
from bot.flow.runtime import Runtime
from bot.flow.shapes import Expression, Flag, Number, Shape, StepShape, Text, one_of
from bot.flow.yamlsrc import LineDict

CHART_KINDS = frozenset({"radar", "bars"})


class MessageShape(StepShape):
    """A `message` step: the flow says something and goes on."""

    kind: Literal["message"]
    text: Annotated[Text, Field(description="What the flow says.")]


class ChartShape(Shape):
    """The chart of a `summary` step, drawn by the channel on request."""

    kind: Annotated[Any, one_of("radar", "bars"), Field(description="radar (default) or bars")] = (
        "radar"
    )
    title: Text = None
    labels: Annotated[Expression, Field(description="The labels, one per value.")]
    values: Annotated[Expression, Field(description="The values (a list, or a list per series).")]
    max: Annotated[Number, Field(description="The top of the value axis (default 4).")] = 4
    series_names: Annotated[Expression, Field(description="Names of the series.")] = None


class SummaryShape(StepShape):
    """A `summary` step: a result over answers and computed values, optionally with a chart."""

    kind: Literal["summary"]
    text: Annotated[Text, Field(description="The result, a template.")]
    result: Annotated[Flag, Field(description="Shown again by /results (default true).")] = True
    # Absent is allowed, null is not: the default is not validated.
    chart: ChartShape = Field(None, description="A chart of the result.")  # type: ignore[assignment]


@step_kind
class MessageStep(Step[Runtime]):
    """Say a text and go on."""

    kind = "message"
    shape = MessageShape

    def perform(self, rt: Runtime) -> list[Event]:
        """Render the text."""
        text = rt.render(self.base.text)
        return [MessageCreated(text, step_id=self.id)] if text.strip() else []


@step_kind
class SummaryStep(Step[Runtime]):
    """A result: a templated text over answers and computed values, optionally with a chart."""

    kind = "summary"
    shape = SummaryShape

    def parse(self, spec: LineDict, ctx: ParseContext) -> None:
        """Read `result` and `chart`."""
        self.result = ctx.boolean(spec, "result", True)
        self.chart: dict[str, Any] | None = None
        self.chart_exprs: dict[str, Node] = {}
        chart = spec.get("chart")
        if chart is None:
            return
        if not isinstance(chart, LineDict):
            ctx.issue(spec.line_of("chart"), "'chart' must be a mapping (kind, labels, values…)")
            return
        kind = chart.get("kind", "radar")
        if kind not in CHART_KINDS:
            ctx.issue(chart.line_of("kind"), f"unknown chart kind {kind!r} (radar or bars)")
        unknown = set(chart) - {"kind", "title", "labels", "values", "max", "series_names"}
        for key in unknown:
            ctx.issue(chart.line_of(key), f"unknown chart field {key!r}")
        for key in ("labels", "values"):
            node = ctx.expr(chart, key, required=True)
            if node is not None:
                self.chart_exprs[key] = node
        self.chart_title = ctx.text(chart, "title")
        self.chart_series = ctx.expr(chart, "series_names")
        self.chart = {"kind": kind, "max": chart.get("max", 4)}

    def expressions(self) -> Iterator[tuple[Node, int]]:
        """Chart expressions too."""
        yield from super().expressions()
        for node in self.chart_exprs.values():
            yield node, self.base.lines.get("chart", self.base.line)

    def perform(self, rt: Runtime) -> list[Event]:
        """Render the result (and its chart data, drawn by the channel on request)."""
        text = rt.render(self.base.text)
        chart = None
        if self.chart is not None:
            chart = {
                **self.chart,
                "title": rt.render(self.chart_title),
                "labels": rt.eval(self.chart_exprs.get("labels"), []),
                "values": rt.eval(self.chart_exprs.get("values"), []),
                "series_names": rt.eval(self.chart_series, []),
            }
            rt.state.vars["__chart"] = chart
        rt.state.vars["__result_step"] = self.id
        return [MessageCreated(text, step_id=self.id, is_result=self.result)]

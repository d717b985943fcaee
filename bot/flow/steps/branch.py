"""`branch`: go to a step depending on earlier answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field

from bot.flow.definition import ParseContext, Step, step_kind
from bot.flow.expressions import Node, truthy
from bot.flow.runtime import Runtime
from bot.flow.shapes import Expression, Shape, StepRef, StepShape
from bot.flow.yamlsrc import LineDict, LineList


class CaseShape(Shape):
    """One case of a `branch` step."""

    when: Expression
    next: StepRef


class BranchShape(StepShape):
    """A `branch` step: jump to the first case that holds."""

    kind: Literal["branch"]
    cases: Annotated[list[CaseShape], Field(min_length=1, description="{when, next}, in order.")]
    otherwise: Annotated[StepRef, Field(alias="else", description="Where to go if none holds.")] = (
        None
    )


@step_kind
class BranchStep(Step[Runtime]):
    """Jump to the first case whose condition holds, else to `else` (or the next step)."""

    kind = "branch"
    shape = BranchShape

    def parse(self, spec: LineDict, ctx: ParseContext) -> None:
        """Read the cases."""
        self.cases: list[tuple[Node, str, int]] = []
        self.otherwise = ctx.step_ref(spec, "else")
        self.otherwise_line = spec.line_of("else")
        cases = spec.get("cases")
        if not isinstance(cases, LineList) or not cases:
            ctx.issue(spec.line_of("cases"), "a branch needs 'cases': a list of {when, next}")
            return
        for index, case in enumerate(cases):
            line = cases.line_of(index)
            if not isinstance(case, LineDict) or set(case) != {"when", "next"}:
                ctx.issue(line, "each case has exactly 'when' (a condition) and 'next' (a step)")
                continue
            condition = ctx.expr(case, "when")
            target = ctx.step_ref(case, "next")
            if condition is not None and target is not None:
                self.cases.append((condition, target, line))

    def targets(self) -> Iterator[tuple[str, int]]:
        """Every case target and `else`."""
        yield from super().targets()
        for _, target, line in self.cases:
            yield target, line
        if self.otherwise:
            yield self.otherwise, self.otherwise_line

    def falls_through(self) -> bool:
        """Without `else` (or `next`), a branch continues with the following step."""
        return self.otherwise is None and self.base.next is None

    def expressions(self) -> Iterator[tuple[Node, int]]:
        """The conditions."""
        yield from super().expressions()
        for condition, _, line in self.cases:
            yield condition, line

    def jump(self, rt: Runtime, value: Any) -> str | None:
        """The first matching case's step."""
        for condition, target, _ in self.cases:
            if truthy(rt.eval(condition, False)):
                return target
        return self.otherwise or self.base.next

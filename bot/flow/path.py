"""How many questions lie ahead on a flow's path: counts a text announces are computed, not typed.

"Nine short questions" written by hand went out of date when a tenth was added; a flow writes
`{{ questions("plan_end") }}` instead and the engine counts. The path is followed as the engine
would follow it now: each step's `next` (an option's own jump is a choice the person has not
made: the default path is taken), branches decided on the answers so far, steps whose `when` is
false with the answers so far left out, and a repeated block counted once per item — for a
block repeated over the answer to a multi-select not answered yet, once per option it allows at
most (`max`). The count is therefore "at most" for repeated blocks and exact elsewhere.
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.flow.definition import END, Flow
from bot.flow.expressions import Name, Node, truthy


class Sprint(Protocol):
    """What counting needs of a runtime: the flow, and expressions evaluated on the answers."""

    flow: Flow

    def eval(self, node: Node | None, default: Any = None) -> Any:
        """Evaluate `node` against the run's answers so far."""


MAX_STEPS = 2000
"""A path longer than this is a loop the count must not follow forever."""


def questions_on_path(rt: Sprint, start: str, stop: str | None = None) -> int:
    """The number of questions asked from step `start` (included) to `stop` (excluded) or the end.

    Args:
        rt: the run's runtime (answers so far decide branches and `when`).
        start: the id of the first step counted.
        stop: the id of a step where counting stops, or None for the end of the flow.

    Returns:
        The number of questions on the way.
    """
    flow = rt.flow
    count = 0
    step_id: str | None = start
    for _ in range(MAX_STEPS):
        if step_id is None or step_id in (END, stop) or step_id not in flow.steps:
            return count
        step = flow.steps[step_id]
        if step.base.for_each is not None:
            block = flow.loop_block(step.id)
            inside = sum(_asks(rt, flow.steps[member]) for member in block)
            count += inside * _repetitions(rt, step.base.for_each)
            last = flow.steps[block[-1]]
            step_id = last.base.next or flow.following(last.id)
            continue
        count += _asks(rt, step)
        step_id = (
            step.jump(rt, None)
            if step.kind == "branch"
            else (step.base.next or flow.following(step.id))
        )
    return count


def _asks(rt: Sprint, step: Any) -> int:
    if not step.waits:
        return 0
    if step.base.when is not None and not truthy(rt.eval(step.base.when, False)):
        return 0
    return 1


def _repetitions(rt: Sprint, for_each: Any) -> int:
    """How many times a block repeats: its items now, or at most the options of its source."""
    items = rt.eval(for_each, [])
    if items == "sdgs":
        return 17
    if isinstance(items, list | dict) and items:
        return len(items)
    if isinstance(for_each, Name) and for_each.name in rt.flow.steps:
        source = rt.flow.steps[for_each.name]
        return int(getattr(source, "max", 1) or 1)
    return 1

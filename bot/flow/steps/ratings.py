"""`ratings`: one score per item on one scale, typed at once ("2 3 1") or tapped item by item.

A single score typed ("3", "3 sur 5") is the score of the first item still without one: a
person without buttons may answer one score at a time. An item with `at_least: <item id>` (an
ambition against today's level) scored below that item is confirmed before it is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from bot.flow.definition import ID_PATTERN, LText, ParseContext, Reading, Step, step_kind
from bot.flow.events import Option, QuestionAsked
from bot.flow.parsing import parse_number, parse_score
from bot.flow.runtime import Runtime
from bot.flow.shapes import Integer, Labels, Name, Shape, StepShape, Text
from bot.flow.steps.scale import parse_labels
from bot.flow.yamlsrc import LineDict, LineList


class RatingItemShape(Shape):
    """One rated item of a `ratings` step."""

    id: Name
    label: Text
    at_least: Annotated[
        Name,
        Field(
            description=(
                "Another item this one should not be below (an ambition below today's level is "
                "confirmed before it is recorded)."
            )
        ),
    ] = None


class RatingsShape(StepShape):
    """A `ratings` step: a score on one scale for each of a few items, typed as digits."""

    kind: Literal["ratings"]
    text: Annotated[Text, Field(description="The question.")]
    items: Annotated[list[RatingItemShape], Field(min_length=1, description="The rated items.")]
    min: Annotated[Integer, Field(description="The lowest score (default 0).")] = None
    max: Annotated[Integer, Field(description="The highest score (default 4).")] = None
    labels: Annotated[Labels, Field(description="Texts of the scores (at least both ends).")] = None


@step_kind
class RatingsStep(Step[Runtime]):
    """Scores for several items (e.g. internal / local / global), answer `{item: score}`."""

    kind = "ratings"
    shape = RatingsShape
    waits = True

    def parse(self, spec: LineDict, ctx: ParseContext) -> None:
        """Read items, range and labels."""
        self.low = ctx.integer(spec, "min", 0) or 0
        self.high = ctx.integer(spec, "max", 4) or 0
        if not self.low < self.high or self.high - self.low > 9 or self.low < 0:
            ctx.issue(spec.line, "ratings need 0 ≤ min < max ≤ min + 9 (one digit per score)")
        self.labels = parse_labels(spec, ctx, self.low, self.high)
        self.items: list[tuple[str, LText]] = []
        self.at_least: dict[str, str] = {}
        raw = spec.get("items")
        if not isinstance(raw, LineList) or not raw:
            ctx.issue(spec.line_of("items"), "'items' must list {id, label}")
            return
        for index, item in enumerate(raw):
            line = raw.line_of(index)
            if not isinstance(item, LineDict) or not ID_PATTERN.match(str(item.get("id", ""))):
                ctx.issue(line, "each item needs an 'id' (letters, digits, _) and a 'label'")
                continue
            label = ctx.text(item, "label", required=True)
            if label is not None:
                self.items.append((str(item["id"]), label))
            if "at_least" in item:
                self.at_least[str(item["id"])] = str(item["at_least"])
        ids = [item for item, _ in self.items]
        for item, floor in self.at_least.items():
            if floor not in ids or floor == item:
                ctx.issue(
                    spec.line_of("items"),
                    f"item {item!r}: at_least names no other item of this question ({floor!r})",
                )

    def texts(self) -> Iterator[LText]:
        """Item labels and scale labels too."""
        yield from super().texts()
        yield from (label for _, label in self.items)
        yield from self.labels.values()

    def _selection(self, rt: Runtime) -> dict[str, int]:
        pending = rt.state.pending
        out: dict[str, int] = {}
        for entry in (pending.selection or []) if pending else []:
            key, _, value = entry.partition("=")
            out[key] = int(value)
        return out

    def question(self, rt: Runtime) -> QuestionAsked:
        """Ask with a row of score buttons per item; ids are `<item>=<score>`."""
        options = tuple(
            Option(
                f"{item}={score}",
                f"{rt.render(label)} {score}" if score == self.low else str(score),
            )
            for item, label in self.items
            for score in range(self.low, self.high + 1)
        )
        legend = "\n".join(f"{p} = {rt.render(self.labels[p])}" for p in sorted(self.labels))
        example = " ".join(str(min(self.high, self.low + i + 1)) for i in range(len(self.items)))
        names = ", ".join(rt.render(label) for _, label in self.items)
        hint = rt.msg(
            "hint_ratings",
            n=len(self.items),
            min=self.low,
            max=self.high,
            items=names,
            example=example,
        )
        selected = tuple(f"{k}={v}" for k, v in self._selection(rt).items())
        return rt.ask(
            self,
            f"{legend}\n{hint}",
            options,
            multiple=True,
            grid=self.high - self.low + 1,
            selected=selected,
        )

    def _complete(self, rt: Runtime, scores: dict[str, int]) -> Reading:
        """Every item scored: the answer, confirmed first if it contradicts itself."""
        ordered = {item: scores[item] for item, _ in self.items}
        display = self._display(rt, ordered)
        labels = dict(self.items)
        for item, floor in self.at_least.items():
            if ordered.get(item, 0) < ordered.get(floor, 0):
                # An ambition below today's level is possible but most often a slip.
                return Reading(
                    "unsure",
                    ordered,
                    display,
                    rt.msg(
                        "ratings_below",
                        item=rt.render(labels[item]),
                        score=ordered[item],
                        floor=rt.render(labels[floor]),
                        floor_score=ordered[floor],
                    ),
                )
        return Reading.accepted(ordered, display)

    def _display(self, rt: Runtime, scores: dict[str, int]) -> str:
        return ", ".join(f"{rt.render(label)} {scores[item]}" for item, label in self.items)

    def understand(self, rt: Runtime, text: str) -> Reading:
        """Read "2 3 1", "231" or "2,3,1" (one score per item, in order)."""
        compact = text.strip()
        if re.fullmatch(r"\d+", compact) and len(compact) == len(self.items):
            parts = list(compact)
        else:
            parts = [p for p in re.split(r"[\s,;/|-]+", compact) if p]
        numbers = [parse_number(p) for p in parts]
        single = parse_score(text, self.high) if len(numbers) != 1 else numbers[0]
        if single is not None and len(self.items) > 1 and self._in_range(single):
            return self._one_more(rt, int(single))
        if len(numbers) != len(self.items) or any(
            n is None or n != int(n) or not self.low <= int(n) <= self.high for n in numbers
        ):
            names = ", ".join(rt.render(label) for _, label in self.items)
            return Reading.rejected(
                rt.msg(
                    "reject_ratings",
                    answer=text[:80],
                    n=len(self.items),
                    min=self.low,
                    max=self.high,
                    items=names,
                )
            )
        scores = {
            item: int(n) for (item, _), n in zip(self.items, numbers, strict=True) if n is not None
        }
        return self._complete(rt, scores)

    def _in_range(self, number: Decimal) -> bool:
        return number == int(number) and self.low <= int(number) <= self.high

    def _one_more(self, rt: Runtime, score: int) -> Reading:
        """One typed score: it goes to the first item still without one."""
        scores = self._selection(rt)
        missing = [(item, label) for item, label in self.items if item not in scores]
        item, label = missing[0]
        scores[item] = score
        if len(missing) == 1:
            return self._complete(rt, scores)
        rest = ", ".join(rt.render(other) for _, other in missing[1:])
        return Reading(
            "selection",
            [f"{k}={v}" for k, v in scores.items()],
            reason=rt.msg("ratings_one_noted", item=rt.render(label), score=score, items=rest),
        )

    def tap(self, rt: Runtime, option_id: str) -> Reading:
        """Set one item's score; when every item has one, the answer is complete."""
        item, _, value = option_id.partition("=")
        if item not in {i for i, _ in self.items} or not value.isdigit():
            return self.understand(rt, option_id)
        scores = self._selection(rt)
        scores[item] = int(value)
        if len(scores) == len(self.items):
            return self._complete(rt, scores)
        return Reading("selection", [f"{k}={v}" for k, v in scores.items()])

    def submit(self, rt: Runtime) -> Reading:
        """Answer a "Done" sent before every item has a score: say what is missing."""
        scores = self._selection(rt)
        missing = [rt.render(label) for item, label in self.items if item not in scores]
        if missing:
            return Reading.rejected(rt.msg("reject_ratings_missing", items=", ".join(missing)))
        return self._complete(rt, scores)

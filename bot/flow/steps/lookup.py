"""`lookup`: an entry of a catalogue (municipalities), fuzzy-matched, with "add a new one"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field

from bot.flow.definition import ParseContext, Reading, Step, step_kind
from bot.flow.events import QuestionAsked
from bot.flow.expressions import Node
from bot.flow.matching import Choice, OptionMatcher, normalize
from bot.flow.runtime import Runtime
from bot.flow.shapes import Expression, Flag, StepShape, Text, one_of
from bot.flow.yamlsrc import LineDict
from bot.i18n import Raw

SOURCES = frozenset({"municipalities"})
NEW = "~new"


class LookupShape(StepShape):
    """A `lookup` step: a municipality typed by name."""

    kind: Literal["lookup"]
    text: Annotated[Text, Field(description="The question.")]
    source: Annotated[Any, one_of(*sorted(SOURCES)), Field(description="What is looked up.")] = None
    country: Annotated[Expression, Field(description="Only entries of this country.")] = None
    allow_new: Annotated[Flag, Field(description="Accept names not in the list.")] = True


@step_kind
class LookupStep(Step[Runtime]):
    """A municipality typed by name; close spellings are confirmed, unknown names can be added."""

    kind = "lookup"
    shape = LookupShape
    waits = True

    def parse(self, spec: LineDict, ctx: ParseContext) -> None:
        """Read source, country filter and whether new entries are allowed."""
        self.source = str(spec.get("source", "municipalities"))
        if self.source not in SOURCES:
            ctx.issue(spec.line_of("source"), f"unknown lookup source {self.source!r}")
        self.country: Node | None = ctx.expr(spec, "country")
        self.allow_new = ctx.boolean(spec, "allow_new", True)

    def expressions(self) -> Iterator[tuple[Node, int]]:
        """The country expression."""
        yield from super().expressions()
        if self.country is not None:
            yield self.country, self.base.lines.get("country", self.base.line)

    def _country(self, rt: Runtime) -> str:
        return str(rt.eval(self.country, "") or "").upper()

    def question(self, rt: Runtime) -> QuestionAsked:
        """Ask for a name (the list is too long for buttons)."""
        return rt.ask(self, rt.msg("hint_lookup"))

    def understand(self, rt: Runtime, text: str) -> Reading:
        """Match the name; offer close names; accept a new name after confirmation."""
        name = " ".join(text.split())[:80]
        if len(normalize(name)) < 2:
            return Reading.rejected(rt.msg("reject_lookup_short"))
        matchers = rt.catalogue.municipality_matchers
        country = self._country(rt)
        for matcher in (matchers.get(country) or matchers.get(""), self._places(rt, country)):
            if matcher is None:
                continue
            result = matcher.match(name)
            if result.status == "accepted" and result.value:
                return Reading.accepted(result.value, result.value)
            if result.status == "unsure" and result.value:
                return Reading.unsure(result.value, result.value)
        if self.allow_new:
            # Unknown: confirm before adding it, so a typo does not create a municipality. The
            # recorded display is the name itself; only the question says it is new.
            question = rt.msg("did_you_mean", value=Raw(rt.msg("new_municipality", name=name)))
            return Reading("unsure", name, name, reason=question)
        return Reading.rejected(rt.msg("reject_lookup", answer=name))

    @staticmethod
    def _places(rt: Runtime, country: str) -> OptionMatcher | None:
        """Municipalities added since the content was shipped (`context.places`, by country).

        Coordinators add municipalities to the database; the conversation passes this
        country's (name and aliases each) so they are known here too.
        """
        places = (rt.state.context.get("places") or {}).get(country) or []
        choices = [
            Choice(str(entry[0]), tuple(str(e) for e in entry))
            for entry in places
            if isinstance(entry, list) and entry
        ]
        unique = list({choice.id: choice for choice in choices}.values())
        return OptionMatcher(unique) if unique else None

    def tap(self, rt: Runtime, option_id: str) -> Reading:
        """Buttons carry names of suggestions."""
        return self.understand(rt, option_id)

"""Every question of every shipped flow can be answered by typing only (lite mode, the console).

Without buttons a person can only type. The branch explorer of `test_every_branch.py` is run
again, in lite mode, with every tap turned into what a person would type instead: the number
of the option as the question lists it, "oui"/"ja"/"sí"/"yes" for yes, the goal's number, the
language's word for "skip", and "yes" typed to a "did you mean …?". Every step must be reached
that way, and every question asked must have taken at least one typed answer.

On top of that, at each question: a multi-select that allows no option at all takes the
language's "none" ("aucun", "geen", "ninguno", "none"), and a question with several scores
takes them one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from bot.flow import engine
from bot.flow.definition import Flow
from bot.flow.events import AnswerRecorded, ConfirmationRequested, MessageCreated
from bot.flow.runtime import Runtime
from bot.flow.state import Input, OptionInput, RunState, SubmitInput, TextInput
from tests.flows import test_every_branch as branches
from tests.flows.test_every_branch import reached  # noqa: F401 (the fixture)
from tests.helpers import NOW, catalogue, roundtrip, shipped_flow, shipped_flow_ids

YES = {"fr": "oui", "nl": "ja", "es": "sí", "en": "yes"}
NO = {"fr": "non", "nl": "nee", "es": "no", "en": "no"}
NONE = {"fr": "aucun", "nl": "geen", "es": "ninguno", "en": "none"}
SKIP = {"fr": "passer", "nl": "overslaan", "es": "omitir", "en": "skip"}


def typed(flow: Flow, state: RunState, inp: Input) -> Input:
    """What a person without buttons types instead of `inp`."""
    if not isinstance(inp, OptionInput):
        return inp
    lang = state.lang
    if inp.option_id == engine.SKIP:
        return TextInput(SKIP[lang])
    step: Any = flow.steps[str(state.current)]
    if step.kind == "yesno":
        return TextInput(YES[lang] if inp.option_id == "yes" else NO[lang])
    if step.kind == "choice":
        rt = Runtime(flow, catalogue(), state, NOW)
        shown = [option.id for option in step.optionset.ordered(rt)]
        return TextInput(str(shown.index(inp.option_id) + 1))
    return TextInput(inp.option_id)  # a goal: its number


class TypingExplorer(branches.Explorer):
    """The branch explorer, typing every answer; notes which questions took a typed answer."""

    def __init__(self, flow: Flow, seen: branches.Reached, now: datetime) -> None:
        super().__init__(flow, seen, now)
        self.answered: set[str] = set()
        self.problems: list[str] = []

    def _resume(self, state: RunState, inp: Input) -> RunState | None:
        if isinstance(inp, SubmitInput):
            return None
        inp = typed(self.flow, state, inp)
        where = f"{self.flow.id} ({state.lang}) at {state.current} with {inp}"
        self.resumes += 1
        self._check_extras(state, where)
        sprint = engine.resume(self.flow, catalogue(), state, inp, now=self.now)
        if any(isinstance(e, ConfirmationRequested) for e in sprint.events):
            self.resumes += 1
            sprint = engine.resume(
                self.flow,
                catalogue(),
                roundtrip(sprint.state),
                TextInput(YES[state.lang]),
                now=self.now,
            )
        if sprint.state.is_active and sprint.state.seq == state.seq:
            return None
        if isinstance(inp, TextInput) and state.current is not None:
            self.answered.add(state.current)
        self._note(sprint.state, sprint.events, where)
        return roundtrip(sprint.state)

    def _check_extras(self, state: RunState, where: str) -> None:
        """ "None" where none is allowed; one score at a time where there are several."""
        step: Any = self.flow.steps[str(state.current)]
        if state.pending is not None or f"extra:{step.id}" in self.answered:
            return
        self.answered.add(f"extra:{step.id}")
        if step.kind == "multi" and step.min == 0:
            events = engine.resume(
                self.flow, catalogue(), state, TextInput(NONE[state.lang]), now=self.now
            ).events
            recorded = [e for e in events if isinstance(e, AnswerRecorded)]
            if not recorded or recorded[0].value != []:
                self.problems.append(f"{where}: {NONE[state.lang]!r} refused")
        if step.kind == "ratings" and len(step.items) > 1:
            events = engine.resume(
                self.flow, catalogue(), state, TextInput(str(step.high)), now=self.now
            ).events
            if not any(isinstance(e, MessageCreated) for e in events):
                self.problems.append(f"{where}: a single score was refused")


def _lite(contexts: Iterator[tuple[str, dict[str, Any]]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, context in contexts:
        yield name, {**context, "lite": True}


@pytest.mark.parametrize("flow_id", shipped_flow_ids())
def test_every_question_can_be_answered_by_typing(
    flow_id: str, request: pytest.FixtureRequest
) -> None:
    seen: branches.Reached = request.getfixturevalue("reached")  # steps the engine performed
    flow = shipped_flow(flow_id)
    answered: set[str] = set()
    problems: list[str] = []
    finished: list[RunState] = []
    dated = any(word in flow.source for word in ("today", "year"))
    for now in branches.DATES if dated else branches.DATES[:1]:
        for lang in flow.languages:
            finished_here: list[RunState] = []
            for name, context in _lite(branches.contexts(flow, finished_here)):
                asked = {step_id for step_id in seen if flow.steps[step_id].waits}
                if (
                    name != "plain"
                    and set(flow.order) <= seen
                    and asked <= answered
                    and len(finished) >= 2
                ):
                    break  # everything asked has taken a typed answer: enough
                explorer = TypingExplorer(flow, seen, now)
                explorer.run(lang, context)
                for pick in (0, -1):
                    explorer.walk(lang, context, pick)
                if lang != flow.languages[0] and name == "plain":
                    # Other languages: the plain context asks nearly every question in
                    # that language's words; the first language explores everything.
                    answered |= explorer.answered
                    problems.extend(explorer.problems)
                    break
                finished_here.extend(explorer.finished)
                finished.extend(explorer.finished)
                answered |= explorer.answered
                problems.extend(explorer.problems)
            if now != NOW:
                break  # other dates: one language is enough to reach what they open
    asked = {step_id for step_id in seen if flow.steps[step_id].waits}
    missing = [step_id for step_id in flow.order if step_id not in seen]
    assert not missing, f"{flow_id}: never reached by typing: {missing}"
    unanswered = sorted(asked - answered)
    assert not unanswered, f"{flow_id}: no typed answer taken at {unanswered}"
    assert not problems, "\n".join(dict.fromkeys(problems))
    assert finished, f"{flow_id}: no run reached the end by typing"

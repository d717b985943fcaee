"""Shared helpers for flow tests: a fixed clock and context, flows from text, readable events.

* `NOW`, `context_for(lang)`: the clock and the user every transcript runs with.
* `shipped_flow(flow_id)` / `shipped_flow_ids()`: the flows in `flows/`, loaded once.
* `make_flow(text)`: a flow from an inline YAML snippet (dedented), for engine tests.
* `Talk`: drives one run through `bot.flow.engine` the way the service does, including the
  JSON round trip of the state between inputs (what storage does), and keeps every event.
* `render(event)`: an event as readable transcript lines (see tests/flows/README.md).
"""

from __future__ import annotations

import json
import re
import textwrap
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from bot.content import shipped_catalogue
from bot.flow import engine
from bot.flow.catalogue import Catalogue
from bot.flow.definition import Flow
from bot.flow.events import (
    AnswerRecorded,
    AnswerRejected,
    ConfirmationRequested,
    Event,
    MessageCreated,
    QuestionAsked,
    RunCancelled,
    RunCompleted,
    RunExpired,
    SelectionChanged,
    StaleInputIgnored,
    WentBack,
)
from bot.flow.loader import load_flow, load_flow_file
from bot.flow.state import BackInput, Input, OptionInput, RunState, SubmitInput, TextInput

ROOT = Path(__file__).resolve().parents[1]
FLOWS_DIR = ROOT / "flows"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def context_for(lang: str) -> dict[str, Any]:
    """The context of a run started by Ana Peeters, staff of Leuven (Belgium), in `lang`."""
    return {
        "user": {
            "name": "Ana Peeters",
            "lang": lang,
            "language": lang,
            "kind": "staff",
            "role": "member",
            "country": "BE",
            "municipality": "Leuven",
            "timezone": "Europe/Brussels",
        },
        "previous": None,
    }


def catalogue() -> Catalogue:
    """The shipped catalogue (loaded once per process)."""
    return shipped_catalogue()


def shipped_flow_ids() -> list[str]:
    """The ids (file stems) of every flow in `flows/`."""
    return sorted(path.stem for path in FLOWS_DIR.glob("*.yaml"))


@cache
def shipped_flow(flow_id: str) -> Flow:
    """The flow `flows/<flow_id>.yaml`, loaded and validated."""
    return load_flow_file(FLOWS_DIR / f"{flow_id}.yaml", catalogue())


def make_flow(text: str, file: str = "test.yaml") -> Flow:
    """A flow from a YAML snippet; `languages: [en]` is added when the snippet has none."""
    text = textwrap.dedent(text).strip() + "\n"
    for key, default in (("languages", "[en]"), ("version", "1"), ("title", "Test")):
        if not re.search(rf"^{key}:", text, re.MULTILINE):
            text = f"{key}: {default}\n" + text
    return load_flow(text, file, catalogue())


def roundtrip(state: RunState) -> RunState:
    """The state as storage gives it back: through JSON."""
    return RunState.model_validate(json.loads(state.model_dump_json()))


class Talk:
    """One run driven through the engine; `events` holds what the last call produced."""

    def __init__(
        self,
        flow: Flow,
        lang: str = "en",
        *,
        context: dict[str, Any] | None = None,
        now: datetime = NOW,
    ) -> None:
        self.flow = flow
        self.now = now
        sprint = engine.start(
            flow,
            catalogue(),
            lang=lang,
            context=context if context is not None else context_for(lang),
            now=now,
        )
        self.state = roundtrip(sprint.state)
        self.events: list[Any] = list(sprint.events)  # Any: tests read the fields directly
        self.log: list[Event] = list(sprint.events)

    def send(self, inp: Input | str) -> list[Any]:
        """Resume with `inp` (a plain string is typed text); return the new events."""
        if isinstance(inp, str):
            inp = TextInput(inp)
        sprint = engine.resume(self.flow, catalogue(), self.state, inp, now=self.now)
        self.state = roundtrip(sprint.state)
        self.events = list(sprint.events)
        self.log.extend(sprint.events)
        return sprint.events

    def tap(self, option_id: str) -> list[Any]:
        """Tap a button of the current question."""
        return self.send(OptionInput(self.state.seq, option_id))

    def submit(self) -> list[Any]:
        """Tap "done" on the current multi-select question."""
        return self.send(SubmitInput(self.state.seq))

    def back(self) -> list[Any]:
        """Go back one question."""
        return self.send(BackInput())

    def of(self, kind: type[Event]) -> list[Any]:
        """The events of the last call of type `kind`."""
        return [event for event in self.events if isinstance(event, kind)]

    @property
    def question(self) -> QuestionAsked:
        """The question the last call asked (fails when none was asked)."""
        asked = self.of(QuestionAsked)
        assert asked, f"no question asked: {self.events}"
        return asked[-1]

    @property
    def answers(self) -> dict[str, Any]:
        """The answers recorded so far."""
        return self.state.answers


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _lines(head: str, text: str) -> list[str]:
    # Multi-line texts continue on indented lines, so a transcript reads like the chat.
    first, *rest = text.split("\n") if text else [""]
    return [f"{head}{first}".rstrip(), *(f"    {line}".rstrip() for line in rest)]


def render(event: Event) -> list[str]:
    """An engine event as transcript lines (the format of tests/flows/golden/*)."""
    if isinstance(event, MessageCreated):
        return _lines("result: " if event.is_result else "bot: ", event.text)
    if isinstance(event, QuestionAsked):
        options = ""
        if event.options:
            marks = set(event.selected)
            shown = [f"{'[x] ' if o.id in marks else ''}{o.label}" for o in event.options]
            if all(o.id == o.label for o in event.options):  # a scale: "1 | 2 | 3 | 4"
                options = " | " + " | ".join(shown)
            else:
                options = " | " + " | ".join(f"{i}. {label}" for i, label in enumerate(shown, 1))
        back = " [back]" if event.can_go_back else ""
        lines = _lines(f"ask[{event.step_id}]{back}: ", event.text)
        lines[-1] += options.replace("\n", " ")
        return [*lines, *_lines("hint: ", event.hint)]
    if isinstance(event, AnswerRecorded):
        value = _json(event.value)
        saved = f" -> {event.saves_to}" if event.saves_to else ""
        return _lines(f"recorded[{event.step_id}] = {value}{saved}: ", event.display)
    if isinstance(event, AnswerRejected):
        return _lines("rejected: ", event.reason)
    if isinstance(event, ConfirmationRequested):
        return _lines("did-you-mean: ", f"{event.text} | {event.yes_label} | {event.no_label}")
    if isinstance(event, SelectionChanged):
        return [f"selected[{event.step_id}]: {', '.join(event.selected) or '-'}"]
    if isinstance(event, StaleInputIgnored):
        return _lines("stale: ", event.text)
    if isinstance(event, WentBack):
        return [f"went-back: {event.from_step} -> {event.to_step}"]
    if isinstance(event, RunCompleted):
        # One line per computed value: what a result was built from, pinned down.
        return [
            "completed",
            *(f"  var[{name}] = {_json(value)}" for name, value in sorted(event.vars.items())),
        ]
    if isinstance(event, RunCancelled):
        return _lines("cancelled: ", event.text)
    if isinstance(event, RunExpired):
        return _lines("expired: ", event.text)
    return [f"event: {event!r}"]

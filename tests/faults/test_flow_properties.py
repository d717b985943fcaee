"""Property-based tests (hypothesis): flow loading and the engine never fail on bad input.

* `load_flow` on arbitrary text, on random YAML shaped like a flow, and on shipped flows with
  one part replaced by junk raises `FlowError` (a list of "file:line: message" issues) or
  returns a flow — never a `KeyError`, `TypeError`, `RecursionError`…
* `engine.resume` at every question of every shipped flow (every step kind), with arbitrary
  typed text, taps of real, stale and made-up options, "done" and "back", never raises, and
  leaves a state that survives the JSON round trip storage puts it through.
"""

from __future__ import annotations

import random
import traceback
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.flow import engine
from bot.flow.definition import Flow
from bot.flow.engine import CONFIRM_NO, CONFIRM_YES, SKIP
from bot.flow.errors import FlowError
from bot.flow.events import AnswerRejected, QuestionAsked
from bot.flow.loader import load_flow
from bot.flow.state import BackInput, Input, OptionInput, RunState, SubmitInput, TextInput
from bot.i18n import LANGUAGES
from tests.helpers import FLOWS_DIR, NOW, catalogue, context_for, roundtrip, shipped_flow
from tests.helpers import shipped_flow_ids as _shipped_flow_ids

EXAMPLES = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
STEP_KINDS = ("message", "choice", "multi", "scale", "number", "text", "yesno", "date", "sdg",
              "lookup", "ratings", "branch", "compute", "collect", "summary")  # fmt: skip
FLOW_KEYS = ("id", "version", "title", "description", "languages", "source_language", "command",
             "menu", "keywords", "expire_after", "allow_back", "texts", "steps")  # fmt: skip
STEP_KEYS = ("id", "kind", "text", "options", "options_from", "next", "when", "back",
             "saves_to", "optional", "min", "max", "integer", "max_length", "source", "country",
             "allow_new", "result", "set", "cases", "for_each", "until", "items", "scale",
             "labels", "columns", "value", "into", "keep", "synonyms", "label")  # fmt: skip


def shipped_flow_ids() -> list[str]:
    """Every shipped flow (the list is read once, at collection)."""
    return _shipped_flow_ids()


# --- loading ---------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=30), st.sampled_from(["{{ x }}", "{{", "}}", "{% for %}", "<b>", "</i>",
                                           "&", "fr", "nl", "2d", "-1", "~back", "user.name"]),
)  # fmt: skip
texts = st.one_of(
    st.text(max_size=40),
    st.dictionaries(st.sampled_from([*LANGUAGES, "xx", "ref"]), st.text(max_size=20), max_size=5),
)
values = st.recursive(
    st.one_of(scalars, texts),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)  # fmt: skip
steps = st.fixed_dictionaries(
    {"id": st.one_of(st.text(max_size=10), scalars), "kind": st.sampled_from(STEP_KINDS)},
    optional={key: values for key in STEP_KEYS if key not in ("id", "kind")},
)
flows = st.fixed_dictionaries(
    {},
    optional={
        **{key: values for key in FLOW_KEYS},
        "languages": st.lists(st.sampled_from([*LANGUAGES, "xx"]), max_size=4),
        "steps": st.one_of(st.lists(steps, max_size=6), values),
    },
)


# Loader bugs found by these properties, reported to the flow engine's owner. Each has a
# strict xfail below; while it is open, the properties treat it as known so they keep looking
# for new ones. When a fix lands its xfail passes, which fails the run: delete both then.
KNOWN_BUGS: tuple[tuple[str, str, str, str], ...] = ()  # none open: the four found are fixed

# Inputs that used to crash the loader (found by these properties); each must give FlowError.
REGRESSIONS = (
    "title: \x1b[2J\n",
    "keywords: {fr: 1.5}\n",
    "steps:\n- {id: a, kind: text, saves_to: []}\n",
    "steps:\n- {id: a, kind: choice, text: Q, options_from: []}\n",
)


def _known(error: Exception) -> bool:
    """Whether `error` is one of `KNOWN_BUGS` (by the bot module it was raised in)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/bot/" in f.filename]
    module = Path(frames[-1].filename).name if frames else ""
    return any(module == where and type(error).__name__ == kind and words in str(error)
               for where, kind, words, _ in KNOWN_BUGS)  # fmt: skip


def _load(text: str, *, tolerate_known: bool = True) -> None:
    """Load `text` as a flow: a flow or a `FlowError` are fine, anything else fails the test."""
    known = catalogue()  # outside the try: a broken content file is not the flow's problem
    try:
        load_flow(text, "random.yaml", known)
    except FlowError as error:
        assert error.issues and all(str(issue).startswith("random.yaml:")
                                    for issue in error.issues)  # fmt: skip
    except Exception as error:
        if not (tolerate_known and _known(error)):
            raise


@pytest.mark.parametrize("text", REGRESSIONS)
def test_inputs_that_once_crashed_the_loader_give_flow_errors(text: str) -> None:
    _load(text, tolerate_known=False)


@EXAMPLES
@given(st.text())
def test_arbitrary_text_loads_or_gives_flow_error(text: str) -> None:
    _load(text)


@EXAMPLES
@given(flows)
def test_random_flow_shaped_yaml_loads_or_gives_flow_error(data: dict[str, Any]) -> None:
    _load(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside a parsed YAML document."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


@cache
def _parsed(flow_id: str) -> tuple[Any, tuple[tuple[Any, ...], ...]]:
    data = yaml.safe_load((FLOWS_DIR / f"{flow_id}.yaml").read_text(encoding="utf-8"))
    return data, tuple(p for p in _paths(data) if p)


def _replaced(data: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        copy = dict(data)
        if delete and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _replaced(data[head], rest, value, delete)
        return copy
    copy_list = list(data)
    if delete and not rest:
        del copy_list[head]
    else:
        copy_list[head] = _replaced(data[head], rest, value, delete)
    return copy_list


# The biggest flows take half a second to load; these cover every step kind between them.
MUTATED = ("onboarding", "demo", "post2030")


@settings(EXAMPLES, max_examples=40)
@given(st.sampled_from(MUTATED), st.data())
def test_a_shipped_flow_with_one_part_broken_loads_or_gives_flow_error(
    flow_id: str, data: st.DataObject
) -> None:
    document, paths = _parsed(flow_id)
    path = data.draw(st.sampled_from(paths), label="path")
    delete = data.draw(st.booleans(), label="delete")
    junk = None if delete else data.draw(values, label="junk")
    _load(yaml.safe_dump(_replaced(document, path, junk, delete), allow_unicode=True))


def test_a_broken_flow_really_is_reported() -> None:
    """The property above is not vacuous: junk in a shipped flow does give FlowError."""
    document, _ = _parsed("onboarding")
    broken = _replaced(document, ("steps", 1, "kind"), "teleport", False)
    with pytest.raises(FlowError, match=r"random\.yaml:"):
        load_flow(yaml.safe_dump(broken, allow_unicode=True), "random.yaml", catalogue())


# --- answering ---------------------------------------------------------------------------------

SENSIBLE = {"text": ["A market of local products"], "number": ["3", "2031", "10", "250", "1"],
            "date": ["20/09/2027", "2027-09-20", "20 septembre 2027"],
            "lookup": ["Leuven", "Gent", "Cotonou"]}  # fmt: skip


# What the bot puts in the context of a check-in (see the head of partnership_checkin.yaml).
EXTRA_CONTEXT = {"partnership_checkin": {
    "partnership": {"id": "leuven-hue", "name": "Leuven – Huế", "side": "north",
                    "partner_municipality": "Huế", "my_municipality": "Leuven"},
    "period": "2026-Q4", "partner_answers": None, "partner_previous": None}}  # fmt: skip


def _question(events: list[Any]) -> QuestionAsked | None:
    asked = [e for e in events if isinstance(e, QuestionAsked)]
    return asked[-1] if asked else None


def _advance(flow: Flow, state: RunState, question: QuestionAsked, rng: random.Random
             ) -> tuple[RunState, list[Any]]:  # fmt: skip
    """A sensible answer to `question` (a random option, or a typed value the kind accepts)."""
    options = [o.id for o in question.options if not o.id.startswith("~")]
    if state.pending is not None and state.pending.confirm is not None:
        inputs: list[Input] = [OptionInput(state.seq, CONFIRM_YES)]
    elif question.multiple and options:
        picked = rng.sample(options, min(len(options), rng.randint(1, 3)))
        inputs = [*(OptionInput(question.seq, o) for o in picked), SubmitInput(question.seq)]
    elif options:
        inputs = [OptionInput(question.seq, rng.choice(options))]
    else:
        candidates = SENSIBLE.get(question.kind, ["1"])
        inputs = [TextInput(rng.choice(candidates))]
    events: list[Any] = []
    for inp in inputs:
        sprint = engine.resume(flow, catalogue(), state, inp, now=NOW)
        state, events = roundtrip(sprint.state), sprint.events
    return state, events


@cache
def waiting_states() -> dict[tuple[str, str, str], RunState]:
    """States waiting at each question of each shipped flow, found by random sensible walks.

    Keyed by (flow, step, "confirm" | "select" | "ask"): a pending "did you mean" and a
    multi-selection in progress are states of their own worth attacking.
    """
    found: dict[tuple[str, str, str], RunState] = {}
    rng = random.Random(20261122)
    for flow_id in shipped_flow_ids():
        flow = shipped_flow(flow_id)
        for walk in range(8):
            lang = LANGUAGES[walk % len(LANGUAGES)]
            context = {**context_for(lang), **EXTRA_CONTEXT.get(flow_id, {})}
            sprint = engine.start(flow, catalogue(), lang=lang, now=NOW, context=context)
            state, events = roundtrip(sprint.state), sprint.events
            for _ in range(200):
                question = _question(events) or (
                    _question(engine.ask_again(flow, catalogue(), state, now=NOW).events)
                    if state.is_active and state.current else None)  # fmt: skip
                if question is None:
                    break
                pending = state.pending
                mode = ("confirm" if pending and pending.confirm is not None
                        else "select" if pending and pending.selection else "ask")  # fmt: skip
                found.setdefault((flow_id, state.current or question.step_id, mode), state)
                state, events = _advance(flow, state, question, rng)
                if any(isinstance(e, AnswerRejected) for e in events) and rng.random() < 0.5:
                    sprint = engine.resume(flow, catalogue(), state, BackInput(), now=NOW)
                    state, events = roundtrip(sprint.state), sprint.events
    return found


def test_the_walks_reach_every_kind_of_question() -> None:
    kinds = {shipped_flow(f).steps[s].kind for f, s, _ in waiting_states()}
    waiting = {step.kind for flow_id in shipped_flow_ids()
               for step in shipped_flow(flow_id).steps.values() if step.waits}  # fmt: skip
    assert waiting <= kinds
    assert {mode for _, _, mode in waiting_states()} == {"ask", "confirm", "select"}


hostile_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=12_000),
    st.sampled_from(["", " ", "0", "-1", "1e999", "NaN", "inf", "99999999999999999999", "1,5",
                     "31/02/2027", "0000-00-00", "back", "retour", "terug", "atrás", "skip",
                     "passer", "oui", "non", "ja", "nee", "sí", "no", "yes", "1, 3, 99",
                     "<b>", "</i>&amp;", "{{ user.name }}", "{% for x in y %}", "\x00\x1b[2J",
                     "\u202e\u200b", "ODD 18", "SDG 0", "17,17,17", "🤖" * 50]),
)  # fmt: skip


@st.composite
def inputs(draw: st.DrawFn, state: RunState, options: list[str]) -> list[Input]:
    """One to four inputs: text, taps (real, stale, made up, special), "done", "back"."""
    seq = draw(st.sampled_from([state.seq, state.seq - 1, state.seq + 1, 0, -5, 10**9]))
    special = st.sampled_from([CONFIRM_YES, CONFIRM_NO, SKIP, "~back", ""])
    option = draw(st.one_of(st.sampled_from(options or ["x"]), st.text(max_size=70), special))
    one = st.one_of(hostile_text.map(TextInput), st.just(OptionInput(seq, option)),
                    st.just(SubmitInput(seq)), st.just(BackInput()))  # fmt: skip
    return draw(st.lists(one, min_size=1, max_size=4))


@EXAMPLES
@given(st.data())
def test_any_input_at_any_question_never_raises(data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(waiting_states())), label="question")
    state = waiting_states()[key]
    flow = shipped_flow(key[0])
    asked = _question(engine.ask_again(flow, catalogue(), state, now=NOW).events)
    options = [o.id for o in asked.options] if asked else []
    for inp in data.draw(inputs(state, options), label="inputs"):
        sprint = engine.resume(flow, catalogue(), state, inp, now=NOW)
        state = roundtrip(sprint.state)
        if state.is_active:
            assert state.current in flow.steps
            assert sprint.events, f"{inp} at {key} got no answer at all"

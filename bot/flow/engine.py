"""The flow engine: `start`, `resume` and `cancel` turn a state and an input into a new state.

Pure: no I/O, no clock, no channel. The caller loads the state, passes the current time, stores the
new state and answers, then renders the events. A sprint runs non-waiting steps (messages,
branches, computations) until it reaches a question or the end of the flow.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.flow.catalogue import Catalogue
from bot.flow.definition import END, Flow, Reading, Step
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
from bot.flow.expressions import truthy
from bot.flow.matching import normalize
from bot.flow.parsing import parse_yesno, small_talk
from bot.flow.runtime import Runtime
from bot.flow.state import (
    BackInput,
    Input,
    OptionInput,
    Pending,
    RunState,
    SubmitInput,
    TextInput,
)
from bot.flow.steps.collect import UNCOLLECT, CollectStep

MAX_STEPS_PER_SPRINT = 5000
"""Guards against a flow that loops without asking anything (validation should prevent it)."""

CONFIRM_YES, CONFIRM_NO, BACK, SKIP = "~y", "~n", "~back", "~skip"
"""Reserved option ids for buttons the engine adds (flow option ids cannot start with '~')."""

BACK_WORDS = frozenset({"back", "retour", "terug", "atras", "volver", "vorige", "precedent"})
SKIP_WORDS = frozenset({"skip", "passer", "overslaan", "omitir", "saltar", "-", "pass"})
DONT_KNOW_WORDS = frozenset(
    normalize(phrase)
    for phrase in re.split(
        ",",
        "je ne sais pas, sais pas, je sais pas, jsp, aucune idée, "
        "weet niet, weet ik niet, ik weet het niet, geen idee, "
        "no sé, no lo sé, ni idea, "
        "don't know, i don't know, dont know, idk, no idea, not sure",
    )
)
"""Typed answers meaning "I don't know": an optional question is skipped (no answer kept)."""
MAX_INPUT = 4096


@dataclass(frozen=True)
class Sprint:
    """What one call to the engine produced: the new state and the events to render."""

    state: RunState
    events: list[Event]


def start(
    flow: Flow,
    catalogue: Catalogue,
    *,
    lang: str,
    now: datetime,
    context: dict[str, Any] | None = None,
) -> Sprint:
    """Start a new run of `flow` in `lang`; `context` carries user data and previous results."""
    state = RunState(
        flow_id=flow.id,
        flow_version=flow.version,
        flow_checksum=flow.checksum,
        lang=lang,
        context=context or {},
        started_at=now,
        updated_at=now,
    )
    rt = Runtime(flow, catalogue, state, now)
    events: list[Event] = []
    _advance(rt, flow.first, events)
    return Sprint(state, events)


def resume(
    flow: Flow, catalogue: Catalogue, state: RunState, inp: Input, *, now: datetime
) -> Sprint:
    """Continue `state` with one input from the user."""
    state = state.copied()
    rt = Runtime(flow, catalogue, state, now)
    events: list[Event] = []
    if not state.is_active or state.current is None:
        return Sprint(state, events)
    if is_expired(flow, state, now):
        return expire(flow, catalogue, state, now=now)
    state.updated_at = now
    step = flow.steps[state.current]

    if isinstance(inp, OptionInput | SubmitInput) and inp.seq != state.seq:
        events.append(StaleInputIgnored(rt.msg("stale_button")))
        events.append(_question(rt, step))
        return Sprint(state, events)

    if isinstance(inp, BackInput) or (isinstance(inp, OptionInput) and inp.option_id == BACK):
        _go_back(rt, step, events)
        return Sprint(state, events)

    reading = _read(rt, step, inp)
    if reading is None:  # "back" typed
        _go_back(rt, step, events)
        return Sprint(state, events)
    _apply(rt, step, reading, events)
    if any(isinstance(e, AnswerRecorded) for e in events):
        state.last_text = inp.text if isinstance(inp, TextInput) else None
    return Sprint(state, events)


def cancel(flow: Flow, catalogue: Catalogue, state: RunState, *, now: datetime) -> Sprint:
    """Cancel an active run at the user's request."""
    state = state.copied()
    if not state.is_active:
        return Sprint(state, [])
    rt = Runtime(flow, catalogue, state, now)
    _close(state, "cancelled", now)
    return Sprint(state, [RunCancelled(rt.msg("run_cancelled", flow=rt.render(flow.title)))])


def is_expired(flow: Flow, state: RunState, now: datetime) -> bool:
    """Whether an active run has been idle longer than the flow allows."""
    since = state.waiting_since or state.updated_at
    return state.is_active and now - since > flow.expire_after


def expire(flow: Flow, catalogue: Catalogue, state: RunState, *, now: datetime) -> Sprint:
    """Close an idle run as expired."""
    state = state.copied()
    rt = Runtime(flow, catalogue, state, now)
    _close(state, "expired", now)
    return Sprint(state, [RunExpired(rt.msg("run_expired", flow=rt.render(flow.title)))])


def ask_again(flow: Flow, catalogue: Catalogue, state: RunState, *, now: datetime) -> Sprint:
    """The current question again (after a language change or on "where was I?")."""
    state = state.copied()
    if not state.is_active or state.current is None:
        return Sprint(state, [])
    state.asked_at = now
    rt = Runtime(flow, catalogue, state, now)
    return Sprint(state, [_question(rt, flow.steps[state.current])])


def render_text(
    flow: Flow, catalogue: Catalogue, state: RunState, name: str, *, now: datetime, **values: Any
) -> str:
    """Render the flow's named text `name` for `state`, with extra names bound (mirror reports)."""
    rt = Runtime(flow, catalogue, state, now).bind(**values)
    text = flow.texts.get(name)
    return rt.render(text)


def render_step(
    flow: Flow, catalogue: Catalogue, state: RunState, step_id: str, *, now: datetime
) -> str:
    """Render the text of step `step_id` (a result summary) again for a completed run."""
    rt = Runtime(flow, catalogue, state, now)
    step = flow.steps.get(step_id)
    return rt.render(step.base.text) if step else ""


# --- internals -----------------------------------------------------------------------------------


def _close(state: RunState, status: str, now: datetime) -> None:
    state.status = status  # type: ignore[assignment]
    state.current = None
    state.pending = None
    state.waiting_since = None
    state.updated_at = now
    if status == "completed":
        state.completed_at = now


def _question(rt: Runtime, step: Step) -> QuestionAsked:
    question = step.question(rt)
    pending = rt.state.pending
    if pending and pending.selection is not None:
        return QuestionAsked(**{**question.__dict__, "selected": tuple(pending.selection)})
    return question


def _read(rt: Runtime, step: Step, inp: Input) -> Reading | None:
    state = rt.state
    pending = state.pending
    if isinstance(inp, SubmitInput):
        return step.submit(rt) if hasattr(step, "submit") else step.understand(rt, "")
    if isinstance(inp, OptionInput):
        if pending and pending.confirm is not None and inp.option_id in {CONFIRM_YES, CONFIRM_NO}:
            return _confirm(rt, step, inp.option_id == CONFIRM_YES)
        if inp.option_id == SKIP and step.base.optional:
            return Reading.accepted(None, "—")
        return step.tap(rt, inp.option_id)
    text = _clean(inp.text if isinstance(inp, TextInput) else "")
    norm = normalize(text)
    if pending and pending.confirm is not None:
        # "1"/"2" answer the numbered yes/no of the confirmation in lite mode and the console
        answer = {"1": True, "2": False}.get(norm, parse_yesno(text))
        if answer is not None:
            return _confirm(rt, step, answer)
    if norm in BACK_WORDS and step.kind != "text":
        return None
    no_remark = step.kind == "text" and parse_yesno(text) is False
    if step.base.optional and (norm in SKIP_WORDS or text in SKIP_WORDS or no_remark):
        # "non" to an optional remark means "nothing to add", not a remark reading "non"
        return Reading.accepted(None, "—")
    reading = step.understand(rt, text)
    dont_know = norm in DONT_KNOW_WORDS or (text and set(text) <= {"?"})
    if reading.status == "rejected" and step.base.optional and dont_know:
        # "je ne sais pas" to an optional question without such an option: skipped.
        return Reading.accepted(None, "—")
    if reading.status == "rejected" and step.kind != "text" and small_talk(text):
        # "bonjour", "dank je", "help" mid-question: a friendly word and how to answer.
        return Reading.rejected(rt.msg("in_flow_small_talk"))
    return reading


def _confirm(rt: Runtime, step: Step, yes: bool) -> Reading:
    pending = rt.state.pending
    assert pending is not None
    if yes:
        return Reading.accepted(pending.confirm, pending.confirm_display or "")
    return Reading.rejected(rt.msg("confirm_declined"))


def _clean(text: str) -> str:
    # Control characters are never part of an answer; very long pastes are cut, not refused.
    cleaned = "".join(ch for ch in text[:MAX_INPUT] if ch >= " " or ch in "\n\t")
    return cleaned.strip()


def _apply(rt: Runtime, step: Step, reading: Reading, events: list[Event]) -> None:
    state = rt.state
    key = rt.answer_key(step)
    if reading.status == "accepted":
        state.pending = None
        state.answers[key] = reading.value
        state.displays[key] = reading.display
        state.history.append(key)
        loop = state.vars.get("__loop")
        # A copy: moving on to the next item must not change where "back" returns to.
        snapshot = copy.deepcopy(loop) if loop else None
        state.vars.setdefault("__positions", {})[key] = {"step": step.id, "loop": snapshot}
        events.append(
            AnswerRecorded(key, step.kind, reading.value, reading.display, step.base.saves_to)
        )
        if step.base.saves_to:
            # Later steps of this run see the new profile value at once ({{ user.name }}).
            field = step.base.saves_to.removeprefix("user.")
            state.context.setdefault("user", {})[field] = reading.value
            if field == "language" and isinstance(reading.value, str):
                state.context["user"]["lang"] = reading.value
                state.lang = reading.value
        _advance(rt, _next(rt, step, reading.value), events)
    elif reading.status == "unsure":
        state.pending = Pending(confirm=reading.value, confirm_display=reading.display)
        # A step may word the question itself (`reason`); else "Did you mean <display>?"
        events.append(
            ConfirmationRequested(
                key,
                state.seq,
                reading.reason or rt.msg("did_you_mean", value=reading.display),
                rt.msg("yes_label"),
                rt.msg("no_label"),
            )
        )
    elif reading.status == "selection":
        state.pending = Pending(selection=list(reading.value))
        events.append(SelectionChanged(key, state.seq, tuple(reading.value)))
        if reading.reason:
            # Typed part by part (one score of several): say what was noted, ask for the rest.
            events.append(MessageCreated(reading.reason, step.id))
            events.append(_question(rt, step))
    else:
        # A refused "done" keeps the toggled buttons: the user only adds what is missing.
        kept = state.pending.selection if state.pending else None
        state.pending = Pending(selection=kept) if kept is not None else None
        events.append(AnswerRejected(key, reading.reason))
        events.append(_question(rt, step))


def _go_back(rt: Runtime, step: Step, events: list[Event]) -> None:
    state = rt.state
    answered = [key for key in state.history if not key.startswith(UNCOLLECT)]
    if not (rt.flow.allow_back and step.base.back and answered):
        events.append(AnswerRejected(rt.answer_key(step), rt.msg("cannot_go_back")))
        events.append(_question(rt, step))
        return
    previous_key = state.history.pop()
    while previous_key.startswith(UNCOLLECT):
        # Going back past a `collect` takes its last record back, so it is not kept twice.
        collector = rt.flow.steps.get(previous_key.removeprefix(UNCOLLECT))
        if isinstance(collector, CollectStep):
            events.extend(collector.uncollect(rt))
        previous_key = state.history.pop()
    position = state.vars.get("__positions", {}).pop(previous_key, None)
    current_key = rt.answer_key(step)
    state.answers.pop(previous_key, None)
    state.displays.pop(previous_key, None)
    state.pending = None
    if position is None:  # a state written before positions were kept: restart the question
        position = {"step": previous_key, "loop": None}
    if position["loop"] is None:
        state.vars.pop("__loop", None)
    else:
        state.vars["__loop"] = copy.deepcopy(position["loop"])
    target = rt.flow.steps[position["step"]]
    events.append(WentBack(current_key, previous_key))
    _wait_at(rt, target, events)


def _wait_at(rt: Runtime, step: Step, events: list[Event]) -> None:
    state = rt.state
    state.current = step.id
    state.seq += 1
    state.waiting_since = state.asked_at = rt.now
    if not _offer_known(rt, step, events):
        events.append(_question(rt, step))


def _offer_known(rt: Runtime, step: Step, events: list[Event]) -> bool:
    """Offer the answer the municipality gave to the same question elsewhere (`known:`).

    The run's context carries it (`context.known[step]`: value, who, when, which flow); the
    person confirms it in one tap, or says no and gets the question. Offered once per step.
    """
    known = (rt.state.context.get("known") or {}).get(step.id)
    offered = rt.state.vars.setdefault("__known_offered", [])
    if step.base.known is None or not isinstance(known, dict) or step.id in offered:
        return False
    offered.append(step.id)
    value = known.get("value")
    try:
        reading = (
            step.tap(rt, value)
            if isinstance(value, str)
            else step.understand(rt, "yes" if value is True else str(value))
        )
    except (NotImplementedError, ValueError, TypeError):
        return False
    if reading.status != "accepted":
        return False
    lang = rt.state.lang

    def localized(name: str) -> str:
        entry = known.get(name)
        return str(entry.get(lang, "") if isinstance(entry, dict) else entry or "")

    rt.state.pending = Pending(confirm=reading.value, confirm_display=reading.display)
    events.append(
        ConfirmationRequested(
            rt.answer_key(step),
            rt.state.seq,
            rt.msg(
                "known_confirm",
                source=localized("source"),
                date=localized("when"),
                by=str(known.get("by") or "—"),
                answer=reading.display,
            ),
            rt.msg("yes_label"),
            rt.msg("no_label"),
        )
    )
    return True


def _next(rt: Runtime, step: Step, value: Any, *, skipped: bool = False) -> str | None:
    """The step after `step`, following explicit jumps and the repeated block it may be in.

    A step skipped by its `when` goes on to its `next` (or the following step): a skipped
    branch does not evaluate its cases, as the loader's reachability check assumes.
    """
    target = step.base.next if skipped else step.jump(rt, value)
    if target is None:
        target = rt.flow.following(step.id)
    loop = rt.state.vars.get("__loop")
    if loop and step.id in loop["block"]:
        if step.id == loop["block"][-1] and target not in loop["block"][1:]:
            if loop["index"] + 1 < len(loop["items"]):
                loop["index"] += 1
                return str(loop["block"][0])
            rt.state.vars.pop("__loop", None)
        elif target is not None and target not in loop["block"]:
            rt.state.vars.pop("__loop", None)  # a jump out of the block ends the repetition
    return target


def _advance(rt: Runtime, step_id: str | None, events: list[Event]) -> None:
    state = rt.state
    for _ in range(MAX_STEPS_PER_SPRINT):
        if step_id is None or step_id == END:
            _complete(rt, events)
            return
        step = rt.flow.steps[step_id]
        loop = state.vars.get("__loop")
        repeating = loop is not None and loop["block"][0] == step.id
        entering_loop = step.base.for_each is not None and not repeating
        if entering_loop:
            items = _loop_items(rt, step)
            block = rt.flow.loop_block(step.id)
            if not items:
                step_id = _after_block(rt, block)
                continue
            state.vars["__loop"] = {"block": block, "items": items, "index": 0}
        if step.base.when is not None and not truthy(rt.eval(step.base.when, False)):
            step_id = _next(rt, step, None, skipped=True)
            continue
        if step.waits:
            _wait_at(rt, step, events)
            return
        events.extend(step.perform(rt))
        step_id = _next(rt, step, None)
    _complete(rt, events)  # a flow that never waits: end it rather than spin


def _loop_items(rt: Runtime, step: Step) -> list[Any]:
    raw = rt.eval(step.base.for_each, [])
    if raw == "sdgs":
        return list(range(1, 18))
    if isinstance(raw, dict):
        raw = list(raw)
    if not isinstance(raw, list):
        return [] if raw is None else [raw]
    return [item for item in raw if isinstance(item, str | int) and not isinstance(item, bool)]


def _after_block(rt: Runtime, block: list[str]) -> str | None:
    last = rt.flow.steps[block[-1]]
    return last.base.next or rt.flow.following(last.id)


def _complete(rt: Runtime, events: list[Event]) -> None:
    state = rt.state
    _close(state, "completed", rt.now)
    public_vars = {k: v for k, v in state.vars.items() if not k.startswith("__")}
    events.append(RunCompleted(vars=public_vars))

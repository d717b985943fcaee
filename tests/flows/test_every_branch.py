"""Every step of every shipped flow is reached, and every finished run ends "completed".

A generic explorer plays each flow in `flows/` (whoever wrote it): for the question being asked it
generates valid answers from the step itself (each option of a choice, the ends of a scale, the
bounds of a number, yes and no, a known and a new municipality, skipping an optional question,
going back…) and explores the states they lead to, best-first (states at steps not seen yet come
first), with a cap. It starts with the plain context, then — while some step is still unreached —
with the contexts flows read (a previous completed run of the same flow as `context.previous`, a
twinning with or without the partner's answers, read from the flow files' header comments) and
at other dates (the Sustainable Municipality Week depends on the calendar).

Steps are counted as reached when the engine asks them (questions) or performs them (messages,
summaries, branches, computations, collections); a step skipped by its `when` does not count.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.flow import engine
from bot.flow.definition import STEP_KINDS, Flow, Step
from bot.flow.events import ConfirmationRequested, Event, RunCompleted
from bot.flow.runtime import Runtime
from bot.flow.state import BackInput, Input, OptionInput, RunState, SubmitInput, TextInput
from tests.helpers import NOW, catalogue, context_for, roundtrip, shipped_flow, shipped_flow_ids

MAX_RESUMES = 2500
"""Inputs tried per flow and setting (context × date)."""
EXPANSIONS_PER_QUESTION = 3
"""How many different states waiting at the same question are expanded."""
WALK_TURNS = 250
"""Answers given in one walk (17 rounds of a repeated block fit)."""
DATES = (
    NOW,
    datetime(2026, 9, 20, 10, tzinfo=UTC),
    datetime(2026, 6, 10, 10, tzinfo=UTC),
    datetime(2027, 3, 1, 10, tzinfo=UTC),
)

Reached = set[str]


@pytest.fixture
def reached(monkeypatch: pytest.MonkeyPatch) -> Reached:
    """Step ids performed by the engine while the test runs (questions are added by the test)."""
    performed: Reached = set()

    def spy(original: Callable[[Step, Runtime], list[Event]]) -> Callable[..., list[Event]]:
        def perform(self: Step, rt: Runtime) -> list[Event]:
            performed.add(self.id)
            return original(self, rt)

        return perform

    for cls in {cls for cls in STEP_KINDS.values() if not cls.waits}:
        monkeypatch.setattr(cls, "perform", spy(cls.perform))
    return performed


def _typed(text: str) -> Input:
    return TextInput(text)


def answers_for(flow: Flow, state: RunState, now: datetime) -> Iterator[Input]:
    """Valid (and a few edge) answers to the question `state` waits on."""
    assert state.current is not None
    step: Any = flow.steps[state.current]
    seq, kind = state.seq, step.kind
    if kind == "choice":
        for option in step.optionset.options:
            yield OptionInput(seq, option.id)
    elif kind == "multi":
        ids = [option.id for option in step.optionset.options]
        low, high = max(step.min, 1), step.max
        for chosen in ({*ids[:low]}, {*ids[-low:]}, {*ids[:high]}):
            yield _typed(", ".join(str(ids.index(i) + 1) for i in sorted(chosen, key=ids.index)))
        if low <= 1:
            for option_id in ids:
                yield _typed(str(ids.index(option_id) + 1))
    elif kind in {"scale", "ratings"}:
        middle = (step.low + step.high) // 2
        for point in (step.low, middle, step.high):
            count = len(step.items) if kind == "ratings" else 1
            yield _typed(" ".join([str(point)] * count))
    elif kind == "number":
        low = step.low if step.low is not None else 0
        high = step.high if step.high is not None else low + 1000
        for value in (low, (low + high) / 2, high, 1, 3, 12):
            if low <= value <= high:
                yield _typed(str(int(value)) if step.integer else str(value))
    elif kind == "text":
        for text in ("Ana Peeters", "Repair café at the library", "2026", "a@b.be", "+32 16 27"):
            yield _typed(text)
    elif kind == "yesno":
        yield OptionInput(seq, "yes")
        yield OptionInput(seq, "no")
    elif kind == "date":
        today = now.date()
        for day in (
            today,
            today + timedelta(days=1),
            today + timedelta(days=30),
            today + timedelta(days=200),
            today - timedelta(days=30),
            date(2027, 9, 20),
        ):
            yield _typed(day.strftime("%d/%m/%Y"))
    elif kind == "sdg":
        goals = list(step.goals)
        if step.multiple:
            low = max(step.min, 1)
            subsets: list[list[int]] = [
                goals[:low],
                goals[-low:],
                goals[: step.max],
                [g for g in (16, 11, 17) if g in goals][: step.max],
            ]
            for subset in subsets:
                if len(subset) >= low:
                    yield _typed(", ".join(str(g) for g in subset))
        else:
            focus = [g for g in (16, 11, 13) if g in goals]
            for goal in dict.fromkeys([goals[0], goals[-1], *focus]):
                yield OptionInput(seq, str(goal))
    elif kind == "lookup":
        for name in ("Leuven", "Tarija", "Dakar", "Nieuwdorp aan Zee"):
            yield _typed(name)
    else:
        yield _typed("1")
    if step.base.optional:
        yield OptionInput(seq, engine.SKIP)


def contexts(flow: Flow, finished: list[RunState]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The contexts a flow is explored with (see the module docstring).

    `finished` is read lazily: the `context.previous` variants use the runs completed by the
    explorations before them (at the same date, so a "previous run of this edition" exists).
    Variants a flow cannot see (it never names `partnership` or `previous`) are left out.
    """
    base = context_for("en")
    yield "plain", base
    yield (
        "newcomer",
        {
            **base,
            "user": {**base["user"], "municipality": "", "country": "", "name": "", "kind": ""},
        },
    )
    twinned = "partner" in flow.source
    if not twinned and "previous" not in flow.source:
        return
    twinning = {
        "id": "leuven-tarija",
        "db_id": 1,
        "name": "Leuven – Tarija",
        "side": "north",
        "my_municipality": "Leuven",
        "partner_municipality": "Tarija",
    }
    checkin = {
        "partnership": twinning,
        "period": "2026-Q4",
        "partner_answers": None,
        "previous": None,
    }
    if twinned:
        yield "twinning", {**base, **checkin}
        yield (
            "twinning, south side",
            {**base, **checkin, "partnership": {**twinning, "side": "south"}},
        )
    shapes: dict[frozenset[str], RunState] = {}
    for run in reversed(finished):  # the latest run of each "shape" (what it answered, set)
        shape = frozenset([*run.answers, *(k for k, v in run.vars.items() if v)])
        shapes.setdefault(shape, run)
    previous = [
        {
            "answers": run.answers,
            "completed_at": "2026-03-01",
            "version": run.flow_version,
            "by": "Jan",
            "vars": {k: v for k, v in run.vars.items() if not k.startswith("__")},
            "context": {k: v for k, v in run.context.items() if k != "previous"},
        }
        for run in sorted(shapes.values(), key=lambda r: -len(r.answers))[:4]
    ]
    for index, summary in enumerate(previous):
        yield f"previous #{index}", {**base, "previous": summary}
        if not twinned:
            continue
        yield (
            f"twinning, partner answered #{index}",
            {
                **base,
                **checkin,
                "previous": {**summary, "context": {"period": "2026-Q3"}},
                "partner_answers": summary["answers"],
                "partner_previous": summary,
            },
        )


class Explorer:
    """Best-first exploration of one flow in one setting."""

    def __init__(self, flow: Flow, reached: Reached, now: datetime) -> None:
        self.flow = flow
        self.reached = reached
        self.now = now
        self.finished: list[RunState] = []
        self.expanded: dict[str, int] = {}
        self.resumes = 0
        self.order = itertools.count()

    def _note(self, state: RunState, events: list[Event], where: str) -> None:
        if state.current is not None:
            self.reached.add(state.current)
        if not state.is_active:
            assert state.status == "completed", f"{where}: the run ended {state.status}"
            assert isinstance(events[-1], RunCompleted), f"{where}: ended without RunCompleted"
            self.finished.append(state)

    def run(self, lang: str, context: dict[str, Any]) -> None:
        """Explore from a new run with `context` until the cap or nothing new is left."""
        sprint = engine.start(self.flow, catalogue(), lang=lang, now=self.now, context=context)
        self._note(sprint.state, sprint.events, "start")
        frontier: list[tuple[int, int, int, RunState]] = []
        if sprint.state.is_active:
            self._push(frontier, roundtrip(sprint.state), 0)
        while frontier and self.resumes < MAX_RESUMES:
            _, depth, _, state = heapq.heappop(frontier)
            loop = state.vars.get("__loop") or {}
            key = f"{state.current}/{loop.get('index', '')}/{state.seq if state.pending else ''}"
            self.expanded[key] = self.expanded.get(key, 0) + 1
            if self.expanded[key] > EXPANSIONS_PER_QUESTION:
                continue
            inputs = list(answers_for(self.flow, state, self.now))
            if depth % 7 == 3:
                inputs.append(BackInput())  # now and then, "back" must work wherever it is
            for inp in inputs:
                child = self._resume(state, inp)
                if child is not None and child.is_active:
                    self._push(frontier, child, depth + 1)

    def walk(self, lang: str, context: dict[str, Any], pick: int | random.Random) -> None:
        """One long run taking answer number `pick` (or the next that is accepted) every time.

        Reaches what best-first search stops short of: the 17th hero of a repeated block, the
        end of a long assessment. With a (seeded) `random.Random`, each answer is drawn from
        it. Typed texts get a number so repeated entries stay distinct.
        """
        sprint = engine.start(self.flow, catalogue(), lang=lang, now=self.now, context=context)
        self._note(sprint.state, sprint.events, "start")
        state = roundtrip(sprint.state)
        for turn in range(WALK_TURNS):
            if not state.is_active:
                return
            inputs = [
                TextInput(f"{inp.text} {turn}")
                if isinstance(inp, TextInput) and self.flow.steps[str(state.current)].kind == "text"
                else inp
                for inp in answers_for(self.flow, state, self.now)
            ]
            first = pick.randrange(len(inputs)) if isinstance(pick, random.Random) else pick
            for offset in range(len(inputs)):
                child = self._resume(state, inputs[(first + offset) % len(inputs)])
                if child is not None:
                    state = child
                    break
            else:
                return

    def _resume(self, state: RunState, inp: Input) -> RunState | None:
        where = f"{self.flow.id} at {state.current} with {inp}"
        self.resumes += 1
        sprint = engine.resume(self.flow, catalogue(), state, inp, now=self.now)
        events = sprint.events
        if any(isinstance(e, ConfirmationRequested) for e in events):
            self.resumes += 1
            sprint = engine.resume(
                self.flow,
                catalogue(),
                sprint.state,
                OptionInput(sprint.state.seq, engine.CONFIRM_YES),
                now=self.now,
            )
            events = sprint.events
        if sprint.state.is_active and sprint.state.seq == state.seq:
            return None  # refused or only toggled: nothing new
        if isinstance(inp, SubmitInput):
            return None
        self._note(sprint.state, events, where)
        return roundtrip(sprint.state)

    def _push(
        self, frontier: list[tuple[int, int, int, RunState]], state: RunState, depth: int
    ) -> None:
        fresh = 0 if state.current not in self.reached or state.pending else 1
        heapq.heappush(frontier, (fresh, depth, next(self.order), state))


@pytest.mark.parametrize("flow_id", shipped_flow_ids())
def test_every_step_is_reached(flow_id: str, reached: Reached) -> None:
    flow = shipped_flow(flow_id)
    finished: list[RunState] = []
    tried: list[str] = []
    dated = any(word in flow.source for word in ("today", "year"))
    for now in DATES if dated else DATES[:1]:
        finished_here: list[RunState] = []
        for lang in flow.languages[:1] if now != NOW else flow.languages:
            for name, context in contexts(flow, finished_here):
                if set(flow.order) <= reached and len(finished) >= 2:
                    break
                explorer = Explorer(flow, reached, now)
                explorer.run(lang, context)
                # Long walks cost most; the plain context gets the most of them.
                picks: tuple[int | random.Random, ...] = (0, -1)
                if lang != flow.languages[0]:
                    picks = (0,)
                elif name == "plain":
                    picks = (0, 1, -1, *map(random.Random, range(4)))
                for pick in picks:
                    explorer.walk(lang, context, pick)
                finished.extend(explorer.finished)
                finished_here.extend(explorer.finished)
                tried.append(f"{name} @ {now.date()} ({lang})")
                if name == "plain" and lang != flow.languages[0]:
                    break  # other languages: one plain pass shows their texts render
    missing = [step_id for step_id in flow.order if step_id not in reached]
    assert not missing, f"{flow_id}: never reached {missing} (explored with {'; '.join(tried)})"
    assert finished, f"{flow_id}: no run reached the end"

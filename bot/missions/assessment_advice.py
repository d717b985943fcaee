"""What an SDG self-assessment says: gaps, strengths, the declared P, next steps, change.

These functions read the snapshots `bot.missions.assessment` builds (see its docstring for the two
paths of `flows/sdg_assessment.yaml`). Like the SDG Action Manager there is no overall grade: the
result names where action lags ambition (as in the RFSC), what already goes well, three next steps
chosen by rules from the answers, and what moved since the municipality's previous assessment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from bot.missions.assessment import (
    DIMENSIONS,
    FOOTPRINT_ITEMS,
    LEVELS,
    PILLAR_GOALS,
    PILLARS,
    _goal,
    _goal_rank,
    _goals,
    _mean,
    _number,
    _option,
    _previous_snapshot,
    assessment_profile,
)
from bot.missions.registry import flow_function

STRENGTH = 3.0
"""A dimension or goal scoring at least this is a strength."""

LOW = 1.5
"""A level scoring at most this calls for a next step (full path)."""

BIG_GAP = 2.0
"""An ambition this far above today's action calls for a step on that goal."""

NOTABLE_CHANGE = 0.5
"""A move of at least this much since the previous assessment is reported."""


# --- reading a snapshot --------------------------------------------------------------------------


@flow_function("assessment_gaps")
def assessment_gaps(snapshot: Mapping[str, Any], limit: int = 3) -> list[dict[str, Any]]:
    """The goals where action lags ambition, biggest gap first.

    On the quick path these are the priority goals; on the full path every rated goal. Ties go to
    the programme's focus goals (16, 11, 17), then to the lower goal number.

    Returns:
        At most `limit` dicts `{goal, today, ambition, gap, level}`; `level` is the level with
        the biggest gap (full path) or None.
    """
    rows: list[dict[str, Any]] = []
    for goal, entry in _goals(snapshot).items():
        today, aim = _number(entry.get("today")), _number(entry.get("ambition"))
        if today is None or aim is None or aim <= today:
            continue
        levels_today = entry.get("levels_today") or {}
        levels_aim = entry.get("levels_ambition") or {}
        level_gaps = {
            level: (_number(levels_aim.get(level)) or 0.0)
            - (_number(levels_today.get(level)) or 0.0)
            for level in LEVELS
            if level in levels_today or level in levels_aim
        }
        # Name a level only when its gap is strictly the widest: "mostly internal" on a tie
        # would single out a level the answers do not single out.
        ranked = sorted(level_gaps.items(), key=lambda kv: -kv[1])
        unique = len(ranked) == 1 or (len(ranked) > 1 and ranked[0][1] > ranked[1][1])
        widest = ranked[0] if ranked and unique else (None, 0.0)
        rows.append(
            {
                "goal": goal,
                "today": round(today, 1),
                "ambition": round(aim, 1),
                "gap": round(aim - today, 1),
                "level": widest[0] if widest[1] > 0 else None,
            }
        )
    rows.sort(key=lambda row: (-row["gap"], _goal_rank(row["goal"])))
    return rows[: max(0, int(limit))]


def _best(scores: Mapping[str, Any], threshold: float) -> str | None:
    """The key with the highest score at or above `threshold` (first one on ties)."""
    best: tuple[str | None, float] = (None, threshold - 1e-9)
    for key, value in scores.items():
        number = _number(value)
        if number is not None and number > best[1]:
            best = (key, number)
    return best[0]


@flow_function("assessment_strengths")
def assessment_strengths(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """What the municipality already does well.

    Returns:
        `dims`: dimensions scoring at least 3 (quick path), `goals`: up to three goals whose
        action today is at least 3 (best first), `level`: the strongest level if at least 2.5,
        `p`: the strongest P if at least 2.5 (measured, not the self-declared one).
    """
    dims = snapshot.get("dims") or {}
    strong_dims = [d for d in DIMENSIONS if (_number(dims.get(d)) or 0.0) >= STRENGTH]
    goals = [
        (goal, today)
        for goal, entry in _goals(snapshot).items()
        if (today := _number(entry.get("today"))) is not None and today >= STRENGTH
    ]
    goals.sort(key=lambda row: (-row[1], _goal_rank(row[0])))
    rated = {g for g, entry in _goals(snapshot).items() if _number(entry.get("today")) is not None}
    # A P resting on one rated goal only says again what the goal says ("strongest P:
    # Partnership" next to "SDG 17"), so only Ps with two rated goals or more compete.
    broad = {
        p: value
        for p, value in (snapshot.get("p_today") or {}).items()
        if sum(1 for g in PILLAR_GOALS.get(p, ()) if g in rated) > 1
    }
    return {
        "dims": strong_dims,
        "goals": [goal for goal, _ in goals[:3]],
        "level": _best(snapshot.get("level_today") or {}, 2.5),
        "p": _best(broad, 2.5),
    }


@flow_function("assessment_declared_p")
def assessment_declared_p(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """Set the P the municipality calls its strongest (quick path) against its own scores.

    Returns:
        `p`: the declared P (None when not answered), `measured`: today's mean score of that P
        over the priority goals (None when no priority belongs to it), and `verdict`:
        "confirmed" when it is also the best measured P, "weakest" when it is the lowest of
        two or more measured Ps, None otherwise (nothing to compare, or in between).
    """
    declared = _option(_answer(snapshot, "strongest_p"))
    measured_all = {
        p: n for p, v in (snapshot.get("p_today") or {}).items() if (n := _number(v)) is not None
    }
    value = measured_all.get(declared) if declared else None
    verdict = None
    if value is not None and len(measured_all) > 1:
        if value >= max(measured_all.values()):
            verdict = "confirmed"
        elif value <= min(measured_all.values()):
            verdict = "weakest"
    return {"p": declared, "measured": value, "verdict": verdict}


# --- next steps ----------------------------------------------------------------------------------


def _answer(snapshot: Mapping[str, Any], question: str) -> Any:
    return (snapshot.get("answers") or {}).get(question)


def _level(snapshot: Mapping[str, Any], level: str) -> float | None:
    return _number((snapshot.get("level_today") or {}).get(level))


def _is_full(snapshot: Mapping[str, Any]) -> bool:
    return snapshot.get("path") == "full"


def _low_level(level: str) -> Callable[[Mapping[str, Any]], bool]:
    def rule(s: Mapping[str, Any]) -> bool:
        value = _level(s, level)
        return _is_full(s) and value is not None and value <= LOW

    return rule


def _answer_in(question: str, *options: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda s: _answer(s, question) in options


def _lowest_footprint(item: str) -> Callable[[Mapping[str, Any]], bool]:
    """Met when `item` is the lowest footprint rating (first on ties) and at most 1."""

    def rule(s: Mapping[str, Any]) -> bool:
        footprint = _answer(s, "footprint") or {}
        scores = [(footprint[i], i) for i in FOOTPRINT_ITEMS if i in footprint]
        if not scores:
            return False
        lowest = min(scores, key=lambda row: (row[0], FOOTPRINT_ITEMS.index(row[1])))
        return lowest[1] == item and lowest[0] <= 1

    return rule


def _no_action_abroad(s: Mapping[str, Any]) -> bool:
    beyond = _answer(s, "beyond")
    return beyond is not None and not ({"twin", "network"} & set(beyond))


def _abroad_without_residents(s: Mapping[str, Any]) -> bool:
    beyond = set(_answer(s, "beyond") or [])
    return bool({"twin", "network"} & beyond) and "educ" not in beyond


def _big_gap(s: Mapping[str, Any]) -> bool:
    gaps = assessment_gaps(s, 1)
    return bool(gaps) and gaps[0]["gap"] >= BIG_GAP


def _low_ambition(s: Mapping[str, Any]) -> bool:
    aims = [_number(e.get("ambition")) for e in _goals(s).values()]
    mean = _mean(aims)
    return _is_full(s) and mean is not None and mean < 2


def _data_without_statistics(s: Mapping[str, Any]) -> bool:
    data = _answer(s, "data")
    return bool(data) and "stats" not in data


def _at_most(value: Any, limit: float) -> bool:
    number = _number(value)
    return number is not None and number <= limit


def _circle_unfinished(s: Mapping[str, Any]) -> bool:
    """Full path stopped early: some goals rated, not all 17."""
    answered = _number(s.get("answered")) or 0
    return _is_full(s) and 0 < answered < 17


def _always(s: Mapping[str, Any]) -> bool:
    return True


# The order follows the SDG Compass: commit, organise, understand, plan, measure, act, involve,
# report; the first three rules met are the next steps. The last rules always hold, so a
# municipality that does everything still gets three steps (share, keep visible, look past 2030).
NEXT_STEP_RULES: tuple[tuple[str, Callable[[Mapping[str, Any]], bool]], ...] = (
    ("council", _answer_in("council", "no", "prep")),
    ("coordination", _answer_in("coordination", "none")),
    ("training", lambda s: _at_most(_answer(s, "awareness"), 1)),
    ("plan", _answer_in("plan", "no", "some")),
    ("baselines", _answer_in("baselines", "none", "targets")),
    ("targets", _answer_in("baselines", "base")),
    ("gap", _big_gap),
    ("plan", _low_level("local")),
    ("monitoring", _answer_in("monitoring", "none", "adhoc")),
    ("procurement", _lowest_footprint("procurement")),
    ("energy", _lowest_footprint("energy")),
    ("mobility", _lowest_footprint("mobility")),
    ("footprint", _low_level("internal")),
    ("participation", _answer_in("participation", "none", "inform")),
    ("twinning", _no_action_abroad),
    ("twinning", _low_level("global")),
    ("ambition", _low_ambition),
    ("week", _answer_in("communication", "none")),
    ("data", _data_without_statistics),
    ("vlr", _answer_in("reporting", "none", "internal", "public")),
    ("global_edu", _abroad_without_residents),
    ("complete", _circle_unfinished),
    ("priorities", lambda s: _is_full(s) and bool(s.get("focus_goals"))),
    ("peer", _always),
    ("week", _always),
    ("post2030", _always),
)
"""(text id, rule): the flow shows `t("step_" + id)` for each chosen id."""

NEXT_STEP_IDS: tuple[str, ...] = tuple(dict.fromkeys(step for step, _ in NEXT_STEP_RULES))
"""Every next-step id, once each (the flow must have a `step_<id>` text for each)."""


@flow_function("assessment_next_steps")
def assessment_next_steps(
    snapshot: Mapping[str, Any], count: int = 3, done: Any = None
) -> list[str]:
    """Choose the next steps: the first `count` distinct ids of `NEXT_STEP_RULES` that hold.

    `done`: what the municipality has already done (`context.done`, milestones such as
    ``week``): those steps are not suggested.
    """
    skipped = {str(d) for d in done} if isinstance(done, list | tuple | set) else set()
    chosen: list[str] = []
    for step, rule in NEXT_STEP_RULES:
        if len(chosen) >= int(count):
            break
        if step not in chosen and step not in skipped and rule(snapshot):
            chosen.append(step)
    return chosen


# --- change since the previous assessment --------------------------------------------------------


def _as_date(value: Any) -> str | None:
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return value[:10]
    return None


@flow_function("assessment_change")
def assessment_change(current: Mapping[str, Any], previous: Any) -> dict[str, Any]:
    """Compare this assessment with the municipality's previous one.

    Args:
        current: this run's snapshot.
        previous: `context.previous` (a stored run `{answers, vars, completed_at?}`), a
            snapshot, or None.

    Returns:
        `first`: no previous assessment; `comparable`: the previous one took the same path
        (scores are only compared then); `previous_path`; `date` (ISO, when known); `moves`: up
        to five notable changes `{kind, key, before, after, delta}` (kind `p`, `level`, `dim` or
        `goal`), biggest first; `up` / `down`: how many scores rose / fell notably;
        `new_focus` / `dropped_focus`: priority goals added / dropped (same path only).

    Averages per P and per level are recomputed over the goals rated both times, so stopping
    the full path earlier than last time (or choosing other priorities) does not show up as
    progress or decline. A P of a single goal (peace, partnership) is reported as that goal.
    """
    before = _previous_snapshot(previous)
    result: dict[str, Any] = {
        "first": before is None,
        "comparable": False,
        "previous_path": None,
        "date": None,
        "moves": [],
        "up": 0,
        "down": 0,
        "new_focus": [],
        "dropped_focus": [],
    }
    if before is None:
        return result
    if isinstance(previous, Mapping):
        result["date"] = _as_date(previous.get("completed_at") or previous.get("date"))
    result["previous_path"] = before.get("path")
    if before.get("path") != current.get("path"):
        return result
    result["comparable"] = True
    old_focus = [g for g in (_goal(v) for v in before.get("focus_goals") or []) if g]
    new_focus = [g for g in (_goal(v) for v in current.get("focus_goals") or []) if g]
    result["new_focus"] = [g for g in new_focus if g not in old_focus]
    result["dropped_focus"] = [g for g in old_focus if g not in new_focus]

    old_goals, new_goals = _goals(before), _goals(current)
    common = sorted(set(old_goals) & set(new_goals), key=_goal_rank)
    old_p, old_levels = _common_profile(before, common)
    new_p, new_levels = _common_profile(current, common)
    # A P measured on a single goal rated both times is that goal: it is reported once, as the
    # goal (peace and partnership always are; people stays silent when only goal 1 was rated).
    moves: list[dict[str, Any]] = [
        _move("p", p, old_p.get(p), new_p.get(p))
        for p in PILLARS
        if sum(1 for g in PILLAR_GOALS[p] if g in common) > 1
    ]
    moves += [_move("level", lvl, old_levels.get(lvl), new_levels.get(lvl)) for lvl in LEVELS]
    old_dims, new_dims = before.get("dims") or {}, current.get("dims") or {}
    moves += [_move("dim", d, old_dims.get(d), new_dims.get(d)) for d in DIMENSIONS]
    moves += [
        _move("goal", g, old_goals[g].get("today"), new_goals[g].get("today")) for g in common
    ]
    notable = [m for m in moves if m["delta"] is not None and abs(m["delta"]) >= NOTABLE_CHANGE]
    result["up"] = sum(1 for m in notable if m["delta"] > 0)
    result["down"] = sum(1 for m in notable if m["delta"] < 0)
    notable.sort(key=lambda m: -abs(m["delta"]))
    result["moves"] = notable[:5]
    return result


def _common_profile(
    snapshot: Mapping[str, Any], common: Sequence[int]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Today's averages per P and per level of `snapshot`, over the goals in `common` only.

    On the quick path the internal and global levels do not come from goals (footprint, action
    abroad) and are kept as they are; the local level is the mean action on the common goals.
    """
    goals = _goals(snapshot)
    if snapshot.get("path") == "full":
        profile = assessment_profile({g: goals[g].get("levels_today") for g in common})
        return profile["p_today"], profile["level_today"]
    profile = assessment_profile({g: goals[g].get("today") for g in common})
    levels = dict(snapshot.get("level_today") or {})
    levels["local"] = _mean(_number(goals[g].get("today")) for g in common)
    return profile["p_today"], levels


def _move(kind: str, key: Any, before: Any, after: Any) -> dict[str, Any]:
    old, new = _number(before), _number(after)
    delta = None if old is None or new is None else round(new - old, 1)
    return {"kind": kind, "key": key, "before": old, "after": new, "delta": delta}

"""SDG self-assessment: profiles, gaps, strengths, next steps and change since the last time.

The flow `flows/sdg_assessment.yaml` has two paths. The *quick* path asks about the SDG approach
(council decision, staff awareness, coordination, multi-year plan, baselines, monitoring,
participation, communication, reporting), up to three priority goals with their action today and
ambition (0–4), the administration's own footprint and action beyond the borders. The *full* path
is the Flemish "SDG circle": for each goal, what the municipality contributes today and wants to
contribute at the internal, local and global level (0–4).

Like the SDG Action Manager there is deliberately no overall grade: the result is a profile per
P, per level and (quick path) per dimension of the approach, the gap between ambition and action
(as in the RFSC), and three next steps chosen by rules from the answers.

Both paths produce a *snapshot*, a plain dict kept in the run's vars so the next assessment of the
same municipality can be compared with it (`assessment_change`). Everything here is pure; texts
live in the flow under the ids these functions return (`step_<id>`, `dim_<id>`, `p_<id>`, …).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.flow.functions import flow_function
from bot.formatting import format_list, format_number
from bot.i18n import LANGUAGES

Snapshot = dict[str, Any]

SCALE_MAX = 4
"""Every score is on 0–4 (the SDG circle's scale); quick-path answers are mapped onto it."""

PILLARS: tuple[str, ...] = ("people", "planet", "prosperity", "peace", "partnership")
"""The 5 Ps in the 2030 Agenda's order (ids as in content/glossary.yaml: `p_<id>`)."""

PILLAR_GOALS: dict[str, tuple[int, ...]] = {
    "people": (1, 2, 3, 4, 5), "planet": (6, 12, 13, 14, 15), "prosperity": (7, 8, 9, 10, 11),
    "peace": (16,), "partnership": (17,),
}  # fmt: skip
"""The usual grouping of the goals by P (a convention, not part of the UN resolution)."""

LEVELS: tuple[str, ...] = ("internal", "local", "global")
"""The three levels of the Flemish approach: own operations, territory, beyond the borders."""

FOCUS_GOALS: tuple[int, ...] = (16, 11, 17)
"""The programme's focus goals; they come first in the full path and win ties."""

DIMENSIONS: tuple[str, ...] = (
    "commitment", "awareness", "coordination", "planning", "measuring", "participation",
    "communication", "reporting",
)  # fmt: skip
"""The quick path's dimensions of the SDG approach, in the order they are shown."""

QUICK_QUESTIONS: tuple[str, ...] = (
    "council", "awareness", "coordination", "plan", "strongest_p", "priorities", "gaps",
    "baselines", "monitoring", "data", "footprint", "participation", "communication", "beyond",
    "reporting",
)  # fmt: skip
"""The quick path's answers, in the order `assessment_quick_snapshot` takes them (= step ids;
`gaps` is `group("gap")`, the repeated step `gap_<goal>`)."""

_CHOICE_QUESTIONS: tuple[str, ...] = tuple(
    q for q in QUICK_QUESTIONS if q not in {"awareness", "priorities", "gaps", "data", "footprint",
                                            "beyond"}
)  # fmt: skip

FOOTPRINT_ITEMS: tuple[str, ...] = ("procurement", "energy", "mobility")
"""The items of the footprint ratings (internal level)."""

# Option ids → scores on 0–4. The ladders are ordinal; the numbers only place them on one scale.
_SCORES: dict[str, dict[str, float]] = {
    "council": {"no": 0, "prep": 2, "yes": 4},
    "coordination": {"none": 0, "person": 2, "group": 3, "both": 4},
    "plan": {"no": 0, "some": 2, "all": 4},
    "baselines": {"none": 0, "targets": 1, "base": 2, "both": 4},
    "monitoring": {"none": 0, "adhoc": 1, "yearly": 3, "often": 4},
    # IAP2 spectrum: five steps spread over 0–4 above "no involvement at all".
    "participation": {
        "none": 0, "inform": 0.8, "consult": 1.6, "involve": 2.4, "collab": 3.2, "empower": 4,
    },
    "communication": {"none": 0, "some": 2, "regular": 4},
    "reporting": {"none": 0, "internal": 2, "public": 3, "vlr": 4},
}  # fmt: skip

_BEYOND_WEIGHTS: dict[str, float] = {"twin": 2, "network": 1, "fair": 1, "educ": 1}
"""Action beyond the borders: a twinning weighs most; the global level is capped at 4."""

STRENGTH = 3.0
"""A dimension or goal scoring at least this is a strength."""

LOW = 1.5
"""A level scoring at most this calls for a next step (full path)."""

BIG_GAP = 2.0
"""An ambition this far above today's action calls for a step on that goal."""

NOTABLE_CHANGE = 0.5
"""A move of at least this much since the previous assessment is reported."""

_FULL_KEY = re.compile(r"^(now|aim)_[a-z]+_(\d+)$")
_GAP_KEY = re.compile(r"^gap_(\d+)$")


# --- plain-value helpers -------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    """Return `value` as a float, or None when it is missing or not a number (bools are not)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", "."))
        except ValueError:
            return None
    return None


def _goal(value: Any) -> int | None:
    """Return a goal number 1–17 from 16, "16" or 16.0, or None."""
    number = _number(value)
    if number is None or number != int(number) or not 1 <= number <= 17:
        return None
    return int(number)


def _mean(values: Iterable[float | None]) -> float | None:
    """Average of the known values, rounded to two decimals; None when none is known."""
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 2) if known else None


def _goal_rank(goal: int) -> tuple[int, int]:
    """Sort key putting the programme's focus goals first, then the others in number order."""
    return (FOCUS_GOALS.index(goal), 0) if goal in FOCUS_GOALS else (len(FOCUS_GOALS), goal)


def _merge_goals(groups: Any) -> dict[int, Any]:
    """Merge one or several `{goal: answer}` mappings (e.g. one `group()` per block) into one."""
    if groups is None:
        return {}
    parts = [groups] if isinstance(groups, Mapping) else list(groups)
    merged: dict[int, Any] = {}
    for part in parts:
        if not isinstance(part, Mapping):
            continue
        for key, value in part.items():
            goal = _goal(key)
            if goal is not None and value is not None:
                merged[goal] = value
    return merged


def _level_scores(value: Any) -> dict[str, float]:
    """The known level scores of a ratings answer `{internal, local, global}`."""
    if not isinstance(value, Mapping):
        return {}
    scores = {level: _number(value.get(level)) for level in LEVELS}
    return {level: score for level, score in scores.items() if score is not None}


def _goal_score(value: Any) -> float | None:
    """One goal's score: a plain number, or the mean of its level scores."""
    if isinstance(value, Mapping):
        return _mean(_level_scores(value).values())
    return _number(value)


def _as_list(value: Any) -> list[Any]:
    """A multi-select answer as a list (a single value becomes a one-item list)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _option(value: Any) -> str | None:
    """A choice answer as an option id (None when unanswered)."""
    return None if value is None or value == "" else str(value)


# --- profiles and snapshots ----------------------------------------------------------------------


@flow_function("assessment_profile")
def assessment_profile(today: Any, ambition: Any = None) -> dict[str, Any]:
    """Average ratings per goal, per P and per level.

    Args:
        today: `{goal: ratings}` for what the municipality does today — a mapping or a list of
            mappings (one `group()` per block of the flow). A rating is either a number (one score
            for the goal) or a ratings answer `{internal, local, global}` on 0–4.
        ambition: the same for what it wants to do, or None.

    Returns:
        `goals`: `{"16": {"today", "ambition", "levels_today", "levels_ambition"}}` (string
        keys, as they survive JSON), `p_today` / `p_ambition`: `{pillar: mean or None}` in the
        order of `PILLARS` (each goal weighs the same), `level_today` / `level_ambition`:
        `{level: mean or None}`, and `answered`: how many goals have a score for today.
    """
    now, aim = _merge_goals(today), _merge_goals(ambition)
    goals: dict[str, dict[str, Any]] = {}
    for goal in sorted(set(now) | set(aim)):
        goals[str(goal)] = {
            "today": _goal_score(now.get(goal)),
            "ambition": _goal_score(aim.get(goal)),
            "levels_today": _level_scores(now.get(goal)),
            "levels_ambition": _level_scores(aim.get(goal)),
        }

    def per_pillar(field: str) -> dict[str, float | None]:
        return {
            pillar: _mean(goals[str(g)][field] for g in PILLAR_GOALS[pillar] if str(g) in goals)
            for pillar in PILLARS
        }

    def per_level(field: str) -> dict[str, float | None]:
        return {
            level: _mean(entry[field].get(level) for entry in goals.values()) for level in LEVELS
        }

    return {
        "goals": goals,
        "p_today": per_pillar("today"),
        "p_ambition": per_pillar("ambition"),
        "level_today": per_level("levels_today"),
        "level_ambition": per_level("levels_ambition"),
        "answered": sum(1 for entry in goals.values() if entry["today"] is not None),
    }


def _focus_by_ambition(goals: Mapping[str, Mapping[str, Any]], limit: int = 3) -> list[int]:
    """The goals with the highest ambition (ties: bigger gap, then focus goals), at most `limit`."""
    scored = [
        (int(key), entry["ambition"], entry["ambition"] - (entry["today"] or 0.0))
        for key, entry in goals.items()
        if entry.get("ambition")
    ]
    scored.sort(key=lambda row: (-row[1], -row[2], _goal_rank(row[0])))
    return [goal for goal, _, _ in scored[:limit]]


def quick_snapshot(answers: Mapping[str, Any]) -> Snapshot:
    """Build the snapshot of a quick assessment from its answers keyed by `QUICK_QUESTIONS`.

    The levels are measured differently on this path: *internal* is the mean of the footprint
    ratings, *local* the mean action on the priority goals, *global* the weighted count of
    actions beyond the borders.
    """
    ratings = _merge_goals(answers.get("gaps"))
    today = {g: (v.get("today") if isinstance(v, Mapping) else None) for g, v in ratings.items()}
    aim = {g: (v.get("ambition") if isinstance(v, Mapping) else None) for g, v in ratings.items()}
    profile = assessment_profile(today, aim)
    priorities = [g for g in (_goal(v) for v in _as_list(answers.get("priorities"))) if g]

    footprint_answer = answers.get("footprint")
    footprint: dict[str, float] = {}
    if isinstance(footprint_answer, Mapping):
        rated = {item: _number(footprint_answer.get(item)) for item in FOOTPRINT_ITEMS}
        footprint = {item: value for item, value in rated.items() if value is not None}
    # None = not answered; [] = answered "none" (beyond) — the rules tell the two apart.
    beyond_answer, data_answer = answers.get("beyond"), answers.get("data")
    beyond = (
        None
        if beyond_answer is None
        else [str(v) for v in _as_list(beyond_answer) if v not in (None, "none")]
    )
    data = None if data_answer is None else [str(v) for v in _as_list(data_answer)]
    raw: dict[str, Any] = {q: _option(answers.get(q)) for q in _CHOICE_QUESTIONS}
    raw.update(
        awareness=_number(answers.get("awareness")), data=data, footprint=footprint, beyond=beyond
    )

    def score(question: str) -> float | None:
        option = raw[question]
        return _SCORES[question].get(option) if isinstance(option, str) else None

    awareness = raw["awareness"]
    dims: dict[str, float | None] = {
        "commitment": score("council"),
        "awareness": None if awareness is None else max(0.0, min(float(SCALE_MAX), awareness)),
        "coordination": score("coordination"),
        "planning": score("plan"),
        "measuring": _mean([score("baselines"), score("monitoring")]),
        "participation": score("participation"),
        "communication": score("communication"),
        "reporting": score("reporting"),
    }
    global_score = (
        None
        if beyond is None
        else min(float(SCALE_MAX), sum(_BEYOND_WEIGHTS.get(v, 0) for v in beyond))
    )
    goals = profile["goals"].values()
    levels_today = {
        "internal": _mean(footprint.values()),
        "local": _mean(e["today"] for e in goals),
        "global": global_score,
    }
    levels_aim = {"internal": None, "local": _mean(e["ambition"] for e in goals), "global": None}
    focus = priorities or [int(k) for k in profile["goals"]]
    return _snapshot("quick", profile, raw, dims, levels_today, levels_aim, focus)


def _snapshot(
    path: str,
    profile: Mapping[str, Any],
    answers: dict[str, Any],
    dims: dict[str, float | None],
    level_today: Mapping[str, Any],
    level_ambition: Mapping[str, Any],
    focus_goals: list[int],
) -> Snapshot:
    """Assemble a snapshot (the shape `assessment_change` reads back from a previous run)."""
    return {
        "path": path,
        "answers": answers,
        "dims": dims,
        "goals": profile["goals"],
        "p_today": profile["p_today"],
        "p_ambition": profile["p_ambition"],
        "level_today": dict(level_today),
        "level_ambition": dict(level_ambition),
        "focus_goals": focus_goals,
        "answered": profile["answered"],
    }


@flow_function("assessment_quick_snapshot")
def assessment_quick_snapshot(*values: Any) -> Snapshot:
    """Flow wrapper of `quick_snapshot`: the answers in the order of `QUICK_QUESTIONS`."""
    if len(values) != len(QUICK_QUESTIONS):
        raise ValueError(f"expected {len(QUICK_QUESTIONS)} answers ({', '.join(QUICK_QUESTIONS)})")
    return quick_snapshot(dict(zip(QUICK_QUESTIONS, values, strict=True)))


@flow_function("assessment_full_snapshot")
def assessment_full_snapshot(today: Any, ambition: Any) -> Snapshot:
    """Build the snapshot of a full assessment (the SDG circle).

    Args:
        today: `{goal: {internal, local, global}}`, or a list of such mappings (one per block).
        ambition: the same for the ambition.

    Returns:
        The profile of `assessment_profile` plus `path: "full"`, no dimensions, and as
        `focus_goals` the (at most three) goals with the highest ambition.
    """
    profile = assessment_profile(today, ambition)
    return _snapshot(
        "full", profile, {}, {}, profile["level_today"], profile["level_ambition"],
        _focus_by_ambition(profile["goals"]),
    )  # fmt: skip


def snapshot_from_answers(answers: Mapping[str, Any]) -> Snapshot | None:
    """Rebuild a snapshot from a stored run's answers (keyed by the flow's step ids).

    Used when a previous run kept no snapshot in its vars (an older flow version). Returns None
    when the answers are not those of an assessment.
    """
    path = answers.get("path")
    if path == "quick":
        gaps = {
            int(match.group(1)): value
            for key, value in answers.items()
            if (match := _GAP_KEY.match(str(key)))
        }
        values = {q: answers.get(q) for q in QUICK_QUESTIONS if q != "gaps"}
        return quick_snapshot({**values, "gaps": gaps})
    if path == "full":
        now: dict[int, Any] = {}
        aim: dict[int, Any] = {}
        for key, value in answers.items():
            match = _FULL_KEY.match(str(key))
            if match:
                (now if match.group(1) == "now" else aim)[int(match.group(2))] = value
        return assessment_full_snapshot(now, aim)
    return None


def _is_snapshot(value: Any) -> bool:
    return (
        isinstance(value, Mapping) and value.get("path") in {"quick", "full"} and "goals" in value
    )


def _previous_snapshot(previous: Any) -> Snapshot | None:
    """The snapshot of `previous`: a snapshot, a stored run `{answers, vars}`, or None."""
    if previous is None or not isinstance(previous, Mapping):
        return None
    if _is_snapshot(previous):
        return dict(previous)
    variables = previous.get("vars")
    if isinstance(variables, Mapping) and _is_snapshot(variables.get("snapshot")):
        return dict(variables["snapshot"])
    answers = previous.get("answers")
    if isinstance(answers, Mapping):
        return snapshot_from_answers(answers)
    return None


# --- reading a snapshot --------------------------------------------------------------------------


def _goals(snapshot: Mapping[str, Any]) -> dict[int, Mapping[str, Any]]:
    goals = snapshot.get("goals") or {}
    return {g: entry for key, entry in goals.items() if (g := _goal(key)) is not None}


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
def assessment_next_steps(snapshot: Mapping[str, Any], count: int = 3) -> list[str]:
    """Choose the next steps: the first `count` distinct ids of `NEXT_STEP_RULES` that hold."""
    chosen: list[str] = []
    for step, rule in NEXT_STEP_RULES:
        if len(chosen) >= int(count):
            break
        if step not in chosen and rule(snapshot):
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


# --- presentation helpers ------------------------------------------------------------------------


def _values_list(values: Any) -> list[Any]:
    if isinstance(values, Mapping):
        return list(values.values())
    if isinstance(values, list | tuple):
        return list(values)
    return []


def _bar(value: float | None, maximum: float, width: int) -> str:
    if value is None or maximum <= 0:
        return "░" * width
    filled = int(max(0.0, min(value / maximum, 1.0)) * width + 0.5)  # half up, not to even
    return "▓" * filled + "░" * (width - filled)


def _lang(lang: Any) -> str:
    return str(lang) if lang in LANGUAGES else "en"


@flow_function("assessment_score_text")
def assessment_score_text(value: Any, lang: Any = None) -> str:
    """A score for a sentence: 2.0 → "2"; 2.333 → "2,3" (fr, nl, es) or "2.3" (en).

    Unknown values give "–", so a template never prints "None".
    """
    number = _number(value)
    if number is None:
        return "–"
    return format_number(number, _lang(lang))


@flow_function("assessment_goal_list")
def assessment_goal_list(goals: Any, lang: Any = None) -> str:
    """Goals for a sentence, in the reader's language: "ODD 6, 13 et 16", "SDG 16 en 11".

    Invalid items are left out; the order given is kept (it carries meaning: highest ambition
    first). English says "SDGs" before two goals or more.
    """
    numbers = [g for g in (_goal(v) for v in _as_list(goals)) if g is not None]
    if not numbers:
        return ""
    acronym = {"fr": "ODD", "es": "ODS", "nl": "SDG"}.get(str(lang), "SDG")
    if lang not in {"fr", "es", "nl"} and len(numbers) > 1:
        acronym = "SDGs"
    return f"{acronym} {format_list(numbers, _lang(lang))}"


@flow_function("assessment_bar_lines")
def assessment_bar_lines(
    labels: Any,
    values: Any,
    maximum: Any = SCALE_MAX,
    targets: Any = None,
    width: Any = 8,
    lang: Any = None,
) -> str:
    """A compact text bar chart, one line per label, for a `<pre>` block on a phone.

    `values` (and `targets`) are lists or mappings in the order of `labels`; unknown values show
    an empty bar and "–". With `targets`, each line ends in "today→target"; with `lang`, numbers
    use that language's decimal mark:

        Planète     ▓▓▓▓░░░░ 2,0→3,5
        Paix        ░░░░░░░░ –

    Raises:
        ValueError: when `labels` and `values` differ in length (a mistake in the flow).
    """
    names = [str(label) for label in _values_list(labels)]
    numbers = [_number(v) for v in _values_list(values)]
    aims = [_number(v) for v in _values_list(targets)] if targets is not None else []
    if len(names) != len(numbers):
        raise ValueError(f"{len(names)} labels for {len(numbers)} values")
    top = _number(maximum) or float(SCALE_MAX)
    size = max(1, min(int(_number(width) or 8), 20))
    pad = max((len(name) for name in names), default=0)
    lines = []
    for index, (name, value) in enumerate(zip(names, numbers, strict=True)):
        shown = "–" if value is None else format_number(value, _lang(lang), fixed=True)
        aim = aims[index] if index < len(aims) else None
        if aim is not None:
            shown += "→" + format_number(aim, _lang(lang), fixed=True)
        lines.append(f"{name.ljust(pad)} {_bar(value, top, size)} {shown}")
    return "\n".join(lines)


@flow_function("assessment_series")
def assessment_series(today: Any, ambition: Any) -> list[list[float]]:
    """The two series of a chart (today, ambition), unknown values as 0."""
    return [[_number(v) or 0.0 for v in _values_list(series)] for series in (today, ambition)]


@flow_function("assessment_goal_labels")
def assessment_goal_labels(goals: Any, prefix: Any) -> list[str]:
    """Chart labels for goals: `["ODD 16", "ODD 11"]` with prefix "ODD"."""
    keys = list(goals) if isinstance(goals, Mapping) else _as_list(goals)
    return [f"{prefix} {g}" for g in (_goal(k) for k in keys) if g is not None]


@flow_function("assessment_goal_series")
def assessment_goal_series(goals: Any) -> list[list[float]]:
    """The two series (today, ambition) of a snapshot's `goals`, in the order of its keys."""
    entries = list(goals.values()) if isinstance(goals, Mapping) else []
    return [
        [_number(e.get(field)) or 0.0 if isinstance(e, Mapping) else 0.0 for e in entries]
        for field in ("today", "ambition")
    ]


@flow_function("assessment_levels_text")
def assessment_levels_text(ratings: Any, item: Any = None) -> str:
    """A ratings answer as "2 · 3 · 1" (internal · local · global); "" when unknown.

    With `item`, `ratings` is one `{goal: ratings}` mapping or a list of them (one `group()` per
    block) and the answer for goal `item` is shown — the "today" scores under the ambition
    question.
    """
    if item is not None:
        goal = _goal(item)
        ratings = _merge_goals(ratings).get(goal) if goal is not None else None
    scores = _level_scores(ratings)
    if not scores:
        return ""
    return " · ".join("–" if (v := scores.get(level)) is None else f"{v:g}" for level in LEVELS)

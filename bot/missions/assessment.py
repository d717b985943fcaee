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
same municipality can be compared with it (`assessment_change`). This module builds snapshots;
`assessment_advice` reads them (gaps, strengths, next steps, change) and `assessment_text` words
scores for messages. Everything here is pure; texts live in the flow under the ids these
functions return (`step_<id>`, `dim_<id>`, `p_<id>`, …).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from bot.missions.registry import flow_function

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


def _goals(snapshot: Mapping[str, Any]) -> dict[int, Mapping[str, Any]]:
    """A snapshot's goal entries keyed by goal number (keys are strings once stored as JSON)."""
    goals = snapshot.get("goals") or {}
    return {g: entry for key, entry in goals.items() if (g := _goal(key)) is not None}

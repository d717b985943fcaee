"""Scores of an SDG self-assessment worded for messages: numbers, goal lists, text bar charts.

Numbers use the reader's decimal mark and unknown values show "–", so a result message never
prints "None"; the series feed the flow's charts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.formatting import format_list, format_number
from bot.i18n import LANGUAGES
from bot.missions.assessment import (
    LEVELS,
    SCALE_MAX,
    _as_list,
    _goal,
    _level_scores,
    _merge_goals,
    _number,
)
from bot.missions.registry import flow_function


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

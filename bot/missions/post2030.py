"""Post-2030 readiness: maturity levels, next steps and a to-do list from the flow's answers.

A municipality's planning, monitoring and reporting tools, its citizen participation and its
partnership work are each placed on a five-level ladder (1 aware … 5 leading). Every dimension
has four criteria; the level is one plus the number of criteria met, and what the next level
takes is the first criterion not yet met, in the order a municipality usually builds them.
The texts for levels, criteria and actions live in the flow (`flows/post2030.yaml`) under the
keys these functions return, so the wording stays with the translators.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from bot.missions.registry import flow_function

Answers = Mapping[str, Any]
Criterion = tuple[str, Callable[[Answers], bool]]

DIMENSIONS: tuple[str, ...] = (
    "planning",
    "monitoring",
    "reporting",
    "participation",
    "partnership",
)
"""The five dimensions, in the order they are reported."""

QUESTIONS: tuple[str, ...] = (
    "plan_sdg",
    "council",
    "indicators",
    "dashboard",
    "report",
    "vlr",
    "citizens",
    "partner",
    "consult",
)
"""The step ids whose answers (option ids) the functions read, in the flow's order."""

HLPF_2027 = date(2027, 9, 1)
"""The UN process on the successor agenda formally starts at the HLPF of September 2027."""

AGENDA_END = 2030
"""The last year of the 2030 Agenda."""


def _is(step: str, *values: str) -> Callable[[Answers], bool]:
    """Build a criterion met when the answer to `step` is one of `values`."""
    return lambda answers: answers.get(step) in values


# Each ladder lists its criteria in the order they are usually reached; a criterion's key names
# the texts `need_<key>` (what the next level takes) and `todo_<key>` (the concrete action).
LADDERS: dict[str, tuple[Criterion, ...]] = {
    "planning": (
        ("council_decision", _is("council", "adopted", "followed")),
        ("plan_some", _is("plan_sdg", "some", "all")),
        ("plan_all", _is("plan_sdg", "all")),
        ("council_follow", _is("council", "followed")),
    ),
    "monitoring": (
        ("ind_some", _is("indicators", "some", "all", "targets")),
        ("ind_all", _is("indicators", "all", "targets")),
        ("ind_targets", _is("indicators", "targets")),
        ("dashboard", _is("dashboard", "internal", "public")),
    ),
    "reporting": (
        ("report_some", _is("report", "sometimes", "yearly")),
        ("report_yearly", _is("report", "yearly")),
        ("dashboard_public", _is("dashboard", "public")),
        ("vlr", _is("vlr", "done")),
    ),
    "participation": (
        ("cit_inform", _is("citizens", "inform", "consult", "involve", "decide")),
        ("cit_consult", _is("citizens", "consult", "involve", "decide")),
        ("cit_involve", _is("citizens", "involve", "decide")),
        ("cit_decide", _is("citizens", "decide")),
    ),
    "partnership": (
        ("consult_follow", _is("consult", "following", "contributed")),
        ("partner_exchange", _is("partner", "exchange", "joint")),
        ("partner_joint", _is("partner", "joint")),
        ("consult_contribute", _is("consult", "contributed")),
    ),
}

# Variants of a next step that depend on the answers: a planned VLR needs finishing rather than
# starting, and a municipality without a partner first needs one.
VARIANTS: dict[str, Callable[[Answers], str | None]] = {
    "vlr": lambda a: "vlr_planned" if a.get("vlr") == "planned" else None,
    "partner_exchange": lambda a: "partner_find" if a.get("partner") == "nopartner" else None,
    "partner_joint": lambda a: "partner_find" if a.get("partner") == "nopartner" else None,
}


def maturity_levels(answers: Answers) -> dict[str, int]:
    """Place the municipality on each dimension's ladder.

    Args:
        answers: the option ids chosen, by step id (see `QUESTIONS`); missing or skipped
            answers count as criteria not met.

    Returns:
        `{dimension: level}` with levels from 1 (aware) to 5 (leading).
    """
    return {dim: 1 + sum(1 for _key, met in LADDERS[dim] if met(answers)) for dim in DIMENSIONS}


def next_steps(answers: Answers) -> dict[str, str | None]:
    """Name, per dimension, the criterion that the next level takes.

    It is the first criterion of the ladder not met (a municipality with a dashboard but no
    indicators is asked for indicators first), adjusted to the answers (`vlr_planned`,
    `partner_find`). `None` means the dimension is at level 5.

    Args:
        answers: the option ids chosen, by step id.

    Returns:
        `{dimension: criterion key or None}`.
    """
    steps: dict[str, str | None] = {}
    for dim in DIMENSIONS:
        key = next((key for key, met in LADDERS[dim] if not met(answers)), None)
        if key is not None and key in VARIANTS:
            key = VARIANTS[key](answers) or key
        steps[dim] = key
    return steps


def todo_list(answers: Answers, limit: int = 3) -> list[str]:
    """Choose the few actions to start with.

    The weakest dimensions come first (ties in the order of `DIMENSIONS`); each gives its next
    step. A municipality that does not yet follow the post-2030 consultations gets that action
    among the first while the 2027 HLPF is ahead, since that is where the successor agenda is
    shaped.

    Args:
        answers: the option ids chosen, by step id.
        limit: how many actions at most.

    Returns:
        Criterion keys (texts `todo_<key>`), most urgent first, without duplicates.
    """
    levels = maturity_levels(answers)
    steps = next_steps(answers)
    order = sorted(
        (dim for dim in DIMENSIONS if steps[dim]),
        key=lambda dim: (levels[dim], DIMENSIONS.index(dim)),
    )
    chosen: list[str] = []
    for dim in order:
        key = steps[dim]
        if key and key not in chosen:
            chosen.append(key)
    return chosen[: max(0, limit)]


def _answers(values: tuple[Any, ...]) -> dict[str, Any]:
    """Pair positional answers from a flow expression with `QUESTIONS`."""
    if len(values) != len(QUESTIONS):
        raise ValueError(f"expected {len(QUESTIONS)} answers ({', '.join(QUESTIONS)})")
    return dict(zip(QUESTIONS, values, strict=True))


@flow_function("post2030_dimensions")
def post2030_dimensions() -> list[str]:
    """Return the dimension ids in reporting order (for loops and chart labels)."""
    return list(DIMENSIONS)


@flow_function("post2030_levels")
def post2030_levels(*values: Any) -> dict[str, int]:
    """Flow wrapper of `maturity_levels`: the answers come in the order of `QUESTIONS`."""
    return maturity_levels(_answers(values))


@flow_function("post2030_next")
def post2030_next(*values: Any) -> dict[str, str | None]:
    """Flow wrapper of `next_steps`: the answers come in the order of `QUESTIONS`."""
    return next_steps(_answers(values))


@flow_function("post2030_todo")
def post2030_todo(*values: Any) -> list[str]:
    """Flow wrapper of `todo_list` (three actions): answers in the order of `QUESTIONS`."""
    return todo_list(_answers(values))


@flow_function("post2030_milestones")
def post2030_milestones(plan_end: int | None, today: date | datetime | str) -> list[dict[str, Any]]:
    """List the dates that frame the post-2030 transition for this municipality, in order.

    Args:
        plan_end: the last year of the municipality's multi-year plan (2031 in Flanders), or
            `None` when not answered.
        today: the current date.

    Returns:
        Dicts `{"id", "year", "past"}`: `hlpf` (September 2027), `agenda_end` (2030) and, when
        known, the plan's end as `plan_past` (after 2030), `plan_same` (2030) or `plan_before`
        (before 2030); `past` tells whether the date has gone by.
    """
    if isinstance(today, datetime):
        day = today.date()
    elif isinstance(today, date):
        day = today
    else:
        day = date.fromisoformat(str(today)[:10])
    marks: list[dict[str, Any]] = [
        {"id": "hlpf", "year": HLPF_2027.year, "past": day >= HLPF_2027},
        {"id": "agenda_end", "year": AGENDA_END, "past": day.year > AGENDA_END},
    ]
    if plan_end is not None:
        end = int(plan_end)
        kind = (
            "plan_past" if end > AGENDA_END else "plan_same" if end == AGENDA_END else "plan_before"
        )
        marks.append({"id": kind, "year": end, "past": day.year > end})
    # A plan ending in 2027 comes before the HLPF line only if the year is earlier; ties keep
    # the UN dates first because they frame the municipal one.
    marks.sort(key=lambda mark: mark["year"])
    return marks

"""The partnership check-in: one twinning seen from both sides, and how that view moves.

Both municipalities of a twinning answer the same check-in for a period ("2026-Q4"), each in its
own language. The questions the two sides are compared on are 1–5 scales that all point the same
way (higher = better), so a gap between the two answers means the partners see the relationship
differently — the lesson "prenez des photos mentales" of the Flemish–Latin American partnerships.
The mirror report puts the two snapshots side by side: where they agree, where they differ by two
points or more (each such difference comes with a question to talk about together, written in the
flow), and how each side's view moved since its previous check-in.

Everything here is pure: answers come in as plain dicts (`{step_id: answer}`), results go out as
plain dicts and lists that flow templates can read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from bot.formatting import format_month
from bot.missions.registry import flow_function

MIRROR_QUESTIONS: tuple[str, ...] = (
    "health",
    "expectations",
    "core_group",
    "political",
    "support",
    "exchange",
    "participation",
    "workplan",
)
"""The check-in's 1–5 scales (higher = better) the mirror report compares, in the flow's order."""

DIFFERENCE_THRESHOLD = 2
"""Two answers this many points apart (or more) are a difference worth talking about."""

LOW_SCORE = 2
"""A score at or below this on a 1–5 scale calls for a next step."""

MAX_NEXT_STEPS = 3

NEXT_STEPS: tuple[str, ...] = (
    "frank_talk",
    "contact",
    "expectations",
    "mandate",
    "backing",
    "handover",
    "support",
    "same_language",
    "co_priorities",
    "in_person",
    "adjust",
    "two_way",
    "budget_low",
    "budget_over",
    "exit_clause",
    "report",
    "keep_going",
)
"""Every id `checkin_next_steps` may return, most urgent first (the flow has `step_<id>` texts)."""

# The two choice questions asked "from our side": the partner's "we learned from them" is, seen
# from here, "they learned from us". Options not listed read the same from both sides.
_MIRRORED_OPTIONS: dict[str, str] = {
    "we_them": "they_us",
    "they_us": "we_them",
    "us": "them",
    "them": "us",
}


def _answers_of(side: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Return the answers of `side`: an answers dict, a stored run `{answers, vars}`, or none."""
    if side is None:
        return {}
    inner = side.get("answers")
    # A check-in has no step called "answers", so a mapping under that key is a stored run.
    if isinstance(inner, Mapping):
        return inner
    return side


def _score(answers: Mapping[str, Any], question: str) -> int | float | None:
    """Return the numeric answer to `question`, or None when it is missing or not a number."""
    value = answers.get(question)
    # bool is an int subclass; a yes/no answer is never a score.
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        # number questions may answer with a Decimal; whole values stay ints for display
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, int | float):
        return value
    return None


@flow_function("checkin_mirror_questions")
def checkin_mirror_questions() -> list[str]:
    """Return the ids of the questions the mirror report compares (see `MIRROR_QUESTIONS`)."""
    return list(MIRROR_QUESTIONS)


@flow_function("checkin_answers")
def checkin_answers(ids: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    """Pair step ids with their answers, leaving out unanswered ones.

    A flow expression cannot build a mapping itself, so the check-in gathers the answers it
    hands to `mirror_report` (and to the bot, for the partner's report) with this.

    Args:
        ids: step ids, in any order.
        values: the answers, in the same order as `ids` (None for a skipped question).

    Returns:
        `{id: answer}` for every answer that is not None.

    Raises:
        ValueError: when the two lists differ in length (a mistake in the flow file).
    """
    if len(ids) != len(values):
        raise ValueError(f"checkin_answers: {len(ids)} ids but {len(values)} values")
    return {key: value for key, value in zip(ids, values, strict=True) if value is not None}


@flow_function("checkin_trend")
def checkin_trend(
    now: Mapping[str, Any] | None,
    before: Mapping[str, Any] | None,
    questions: Sequence[str],
) -> dict[str, Any] | None:
    """Compare one side's answers with its previous check-in, question by question.

    Args:
        now: this period's answers (an answers dict or a stored run `{answers, vars}`).
        before: the previous check-in's answers (same forms), or None for a first check-in.
        questions: the question ids to compare (numeric answers only).

    Returns:
        None when there is no previous check-in; otherwise `{"changes": [{id, before, now,
        delta}] (non-zero moves only), "improved": [ids], "declined": [ids], "unchanged": [ids]}`,
        in the order of `questions`. Questions missing on either date are left out.
    """
    if before is None:
        return None
    current, previous = _answers_of(now), _answers_of(before)
    changes: list[dict[str, Any]] = []
    improved: list[str] = []
    declined: list[str] = []
    unchanged: list[str] = []
    for question in questions:
        new, old = _score(current, question), _score(previous, question)
        if new is None or old is None:
            continue
        delta = new - old
        if delta == 0:
            unchanged.append(question)
            continue
        changes.append({"id": question, "before": old, "now": new, "delta": delta})
        (improved if delta > 0 else declined).append(question)
    return {"changes": changes, "improved": improved, "declined": declined, "unchanged": unchanged}


@flow_function("mirror_report")
def mirror_report(
    mine: Mapping[str, Any] | None,
    theirs: Mapping[str, Any] | None,
    previous_mine: Mapping[str, Any] | None,
    previous_theirs: Mapping[str, Any] | None,
    questions: Sequence[str],
    threshold: int = DIFFERENCE_THRESHOLD,
) -> dict[str, Any]:
    """Put both sides' check-ins side by side, from the point of view of `mine`.

    Each side is an answers dict (`{step_id: answer}`) or a stored run `{answers, vars}`; the
    questions compared should be scales pointing the same way, so a gap means a different view.

    Args:
        mine: the reader's answers for the period.
        theirs: the partner's answers for the same period.
        previous_mine: the reader's previous check-in, or None.
        previous_theirs: the partner's previous check-in, or None.
        questions: the ids to compare, in the order they were asked.
        threshold: the gap (in points) from which two answers count as a difference.

    Returns:
        A dict with
        `compared` (ids both sides answered with a number),
        `agreements` (`[{id, mine, theirs, gap}]`, gap below `threshold`, in question order),
        `differences` (`[{id, mine, theirs, gap, higher}]`, gap ≥ `threshold`, largest gap first,
        `higher` is "mine" or "theirs"), `difference_ids`,
        `weak_together` (the agreements where both sides score `LOW_SCORE` or less: a shared
        weak point, not a reassurance), `aligned` (the other agreements),
        `unanswered` (ids at least one side left without a number), and
        `trend` (`{"mine": …, "theirs": …}`, each as returned by `checkin_trend`).
    """
    own, other = _answers_of(mine), _answers_of(theirs)
    compared: list[str] = []
    agreements: list[dict[str, Any]] = []
    differences: list[dict[str, Any]] = []
    unanswered: list[str] = []
    for question in questions:
        a, b = _score(own, question), _score(other, question)
        if a is None or b is None:
            unanswered.append(question)
            continue
        compared.append(question)
        gap = abs(a - b)
        entry: dict[str, Any] = {"id": question, "mine": a, "theirs": b, "gap": gap}
        if gap >= threshold:
            entry["higher"] = "mine" if a > b else "theirs"
            differences.append(entry)
        else:
            agreements.append(entry)
    # The biggest gaps are the first things to talk about; sorted() is stable, so equal gaps
    # keep the order the questions were asked in.
    differences = sorted(differences, key=lambda entry: -entry["gap"])
    # Agreeing that something is weak is a finding of its own: the mirror names it apart,
    # otherwise "you see it the same way: exchange 2 ↔ 1" reads like good news.
    weak_together = [e for e in agreements if max(e["mine"], e["theirs"]) <= LOW_SCORE]
    return {
        "compared": compared,
        "agreements": agreements,
        "weak_together": weak_together,
        "aligned": [e for e in agreements if e not in weak_together],
        "differences": differences,
        "difference_ids": [entry["id"] for entry in differences],
        "unanswered": unanswered,
        "facts": factual_differences(own, other),
        "trend": {
            "mine": checkin_trend(own, previous_mine, questions),
            "theirs": checkin_trend(other, previous_theirs, questions),
        },
    }


FACTS: dict[str, tuple[str, float]] = {
    "exit_clause": ("choice", 0),
    "report_stage": ("choice", 0),
    "contacts": ("count", 3),
    "budget": ("percent", 25),
}
"""Facts both sides report (not perceptions): id → (how compared, smallest gap that counts).
A choice differs when the answers differ; a count when one is at least double the other and
they are `gap` apart (12 contacts against 3); a percentage when `gap` points apart."""


def factual_differences(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Facts the two sides report differently: `[{id, kind, mine, theirs}]`, in `FACTS` order.

    Two municipalities may see their relationship differently; they should not disagree on
    whether an exit clause is written down or how many contacts they had: such a gap is a
    misunderstanding to clear up first.
    """
    found = []
    for fact, (kind, gap) in FACTS.items():
        a, b = mine.get(fact), theirs.get(fact)
        if a is None or b is None:
            continue
        if kind == "choice":
            differs = str(a) != str(b)
        else:
            x, y = _score(mine, fact), _score(theirs, fact)
            if x is None or y is None:
                continue
            low, high = sorted((x, y))
            differs = high - low >= gap and (kind == "percent" or high >= 2 * max(low, 1))
        if differs:
            found.append({"id": fact, "kind": kind, "mine": a, "theirs": b})
    return found


@flow_function("mirror_choice")
def mirror_choice(option_id: str | None) -> str | None:
    """Read the partner's answer to a "from our side" choice from the reader's side.

    The partner's "we learned from them" (`we_them`) is the reader's "they learned from us"
    (`they_us`); "us"/"them" for who set the priorities swap the same way. "both", "together",
    "neither", "funder" read the same from both sides.
    """
    if option_id is None:
        return None
    return _MIRRORED_OPTIONS.get(option_id, option_id)


def _goals(value: Any) -> list[int]:
    """The SDG numbers in an `sdg` answer: one number, a list of numbers, or nothing."""
    items = value if isinstance(value, list | tuple) else [value]
    goals: set[int] = set()
    for item in items:
        if isinstance(item, bool):
            continue
        try:
            goals.add(int(item))
        except (TypeError, ValueError):
            continue
    return sorted(goal for goal in goals if 1 <= goal <= 17)


@flow_function("checkin_sdg_overlap")
def checkin_sdg_overlap(mine: Any, theirs: Any) -> dict[str, list[int]]:
    """Compare the SDGs each side says it worked on together.

    Args:
        mine: the reader's `sdg` answer (a goal number or a list of them; None if missing).
        theirs: the partner's `sdg` answer.

    Returns:
        `{"shared": [...], "only_mine": [...], "only_theirs": [...]}`, each sorted ascending.
    """
    own, other = set(_goals(mine)), set(_goals(theirs))
    return {
        "shared": sorted(own & other),
        "only_mine": sorted(own - other),
        "only_theirs": sorted(other - own),
    }


@flow_function("checkin_scores")
def checkin_scores(answers: Mapping[str, Any] | None, questions: Sequence[str]) -> list[float]:
    """Return the scores for `questions` in order (0 for a missing one), for a radar chart."""
    given = _answers_of(answers)
    return [float(_score(given, question) or 0) for question in questions]


def _low(answers: Mapping[str, Any], question: str) -> bool:
    score = _score(answers, question)
    return score is not None and score <= LOW_SCORE


@flow_function("checkin_next_steps")
def checkin_next_steps(answers: Mapping[str, Any] | None, limit: int = MAX_NEXT_STEPS) -> list[str]:
    """Choose the next steps a side's own answers call for, most urgent first.

    The rules follow the partnerships' lessons: a fragile relationship needs a frank talk (and
    maybe the exit clause); no contact at all comes next; then unspoken expectations, an unclear
    mandate, weak political backing, support that rests on too few people when staff or
    politicians change, not speaking "the same language" on participation, priorities not set
    together, too little in-person exchange, a stalled work plan ("oser ajuster"), one-way
    learning, budget use, a missing exit clause and a report not started.

    Args:
        answers: the side's check-in answers (an answers dict or a stored run).
        limit: how many steps to return at most.

    Returns:
        Step ids (the flow has a text `step_<id>` for each); `["keep_going"]` when nothing calls
        for action.
    """
    given = _answers_of(answers)
    contacts = _score(given, "contacts")
    budget = _score(given, "budget")
    support = _score(given, "support")
    rules: list[tuple[str, bool]] = [
        ("frank_talk", _low(given, "health")),
        ("contact", contacts is not None and contacts == 0),
        ("expectations", _low(given, "expectations")),
        ("mandate", _low(given, "core_group")),
        ("backing", _low(given, "political")),
        # Broad local support is what lets a twinning survive a change of staff or council.
        ("handover", given.get("changes") is True and support is not None and support <= 3),
        ("support", given.get("changes") is not True and _low(given, "support")),
        ("same_language", _low(given, "participation")),
        ("co_priorities", given.get("priorities") in ("us", "them", "funder")),
        ("in_person", _low(given, "exchange")),
        ("adjust", _low(given, "workplan")),
        ("two_way", given.get("learning") in ("we_them", "they_us", "neither")),
        ("budget_low", budget is not None and budget < 50),
        ("budget_over", budget is not None and budget > 100),
        ("exit_clause", given.get("exit_clause") == "no"),
        ("report", given.get("report_stage") == "not_started"),
    ]
    chosen = [step for step, applies in rules if applies]
    if not chosen:
        return ["keep_going"]
    return chosen[: max(limit, 0)]


_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

_ORDINALS: dict[str, tuple[str, ...]] = {
    "fr": ("1er", "2e", "3e", "4e"),
    "nl": ("eerste", "tweede", "derde", "vierde"),
    "es": ("primer", "segundo", "tercer", "cuarto"),
}


@flow_function("checkin_period_label")
def checkin_period_label(period: Any, lang: Any = None) -> str:
    """A check-in period as people say it: "2026-Q4" → "4e trimestre 2026", "Q4 2026".

    Understands quarters ("2026-Q4", what the bot uses), half-years ("2026-H2"), months
    ("2026-11") and years ("2026"); anything else is returned as it is, so a template never
    loses the period.
    """
    text = "" if period is None else str(period).strip()
    language = str(lang) if lang in ("fr", "nl", "es") else "en"
    if match := _QUARTER.match(text):
        year, index = match.group(1), int(match.group(2)) - 1
        return {
            "fr": f"{_ORDINALS['fr'][index]} trimestre {year}",
            "nl": f"{_ORDINALS['nl'][index]} kwartaal van {year}",
            "es": f"{_ORDINALS['es'][index]} trimestre de {year}",
        }.get(language, f"Q{index + 1} {year}")
    if match := _HALF.match(text):
        year, index = match.group(1), int(match.group(2)) - 1
        return {
            "fr": f"{_ORDINALS['fr'][index]} semestre {year}",
            "nl": f"{_ORDINALS['nl'][index]} semester van {year}",
            "es": f"{_ORDINALS['es'][index]} semestre de {year}",
        }.get(language, f"H{index + 1} {year}")
    if (match := _MONTH.match(text)) and 1 <= int(match.group(2)) <= 12:
        return format_month(int(match.group(1)), int(match.group(2)), language)
    return text

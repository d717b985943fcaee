"""The Sustainable Municipality Week: editions, heroes, activities and the checklist.

The week runs every year from 18 to 25 September (25 September is the anniversary of the
2030 Agenda; the SDG flag is hoisted that day). These functions turn the flow's answers and the
run's `today` into the edition concerned, merge what a municipality nominated in an earlier run
with what it adds now, and list what is still to do with a date for each action. They are pure:
the date always comes in as an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from bot.missions.registry import flow_function

WEEK_START = (9, 18)
"""Month and day the week starts (18 September)."""

WEEK_END = (9, 25)
"""Month and day the week ends (25 September, the 2030 Agenda's anniversary: flag day)."""

HEROES_MAX = 17
"""At most 17 sustainable heroes per municipality and edition (one per goal, symbolically)."""

REGISTRATION_USUAL_CLOSE = (7, 1)
"""Registration has historically closed in early July; after this day it is flagged as late."""

# Checklist items and the day (month, day) of the edition year each is due. Hero pages must be
# online before the week opens, press gets a week's notice, campaign material has to be ordered
# and hung before September is busy, social media runs from the first day, the flag goes up on
# 25 September. Kept in order of the checklist question.
CHECKLIST_DUE: dict[str, tuple[int, int]] = {
    "flag": (9, 25),
    "pages": (9, 17),
    "material": (9, 1),
    "press": (9, 11),
    "social": (9, 18),
}

HEROES_DUE = (9, 1)
"""Heroes should be known by 1 September so their pages can be made before the week."""


def _as_date(value: date | datetime | str) -> date:
    """Read a date given as a `date`, a `datetime` or an ISO string ("2026-09-18")."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@flow_function("week_edition")
def week_edition(today: date | datetime | str) -> int:
    """Return the year of the edition a registration made on `today` is for.

    Until 25 September it is this year's edition; from 26 September on, next year's.

    Args:
        today: the current date.

    Returns:
        The edition's year.
    """
    day = _as_date(today)
    return day.year if (day.month, day.day) <= WEEK_END else day.year + 1


@flow_function("week_start")
def week_start(edition: int) -> str:
    """Return the first day of the `edition`'s week (18 September) as an ISO date."""
    return date(int(edition), *WEEK_START).isoformat()


@flow_function("week_end")
def week_end(edition: int) -> str:
    """Return the last day of the `edition`'s week (25 September, flag day) as an ISO date."""
    return date(int(edition), *WEEK_END).isoformat()


@flow_function("week_started")
def week_started(today: date | datetime | str, edition: int) -> bool:
    """Tell whether the `edition`'s week has begun on `today` (heroes are then frozen)."""
    return _as_date(today) >= date(int(edition), *WEEK_START)


@flow_function("week_days_to_start")
def week_days_to_start(today: date | datetime | str, edition: int) -> int:
    """Return the number of days from `today` to the first day of the week (0 once it started)."""
    return max(0, (date(int(edition), *WEEK_START) - _as_date(today)).days)


@flow_function("week_registration_late")
def week_registration_late(today: date | datetime | str, edition: int) -> bool:
    """Tell whether a registration on `today` comes after the usual early-July closing."""
    return _as_date(today) > date(int(edition), *REGISTRATION_USUAL_CLOSE)


def _previous_vars(previous: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Return the computed values of the previous run, or an empty mapping."""
    if not isinstance(previous, Mapping):
        return {}
    found = previous.get("vars")
    return found if isinstance(found, Mapping) else {}


@flow_function("week_same_edition")
def week_same_edition(previous: Mapping[str, Any] | None, edition: int) -> bool:
    """Tell whether the previous completed run (`context.previous`) was for `edition`.

    Args:
        previous: the run's `context.previous`: `{"answers": …, "vars": …}` or `None`.
        edition: the edition of the current run.

    Returns:
        True when the previous run registered data for the same edition.
    """
    stored = _previous_vars(previous).get("edition")
    try:
        return stored is not None and int(stored) == int(edition)
    except (TypeError, ValueError):
        return False


@flow_function("week_previous")
def week_previous(previous: Mapping[str, Any] | None, edition: int, name: str) -> Any:
    """Return the computed value `name` of the previous run if it was for `edition`.

    Lists (heroes, activities) come back as lists, an empty list when there is nothing to
    carry over, so the flow can always merge and count them.

    Args:
        previous: the run's `context.previous` or `None`.
        edition: the edition of the current run.
        name: the name of the value (`heroes`, `activities`, `registered`, …).

    Returns:
        The stored value, `[]` for a missing list-valued name, or `None`.
    """
    if not week_same_edition(previous, edition):
        return [] if name in {"heroes", "activities"} else None
    value = _previous_vars(previous).get(name)
    if value is None and name in {"heroes", "activities"}:
        return []
    return value


def _key_of(entry: Mapping[str, Any], key: str) -> str:
    """Normalise the identifying field of a list entry (case and spacing do not count)."""
    return " ".join(str(entry.get(key) or "").split()).casefold()


@flow_function("week_merge")
def week_merge(
    previous: Sequence[Mapping[str, Any]] | None,
    new: Sequence[Mapping[str, Any]] | None,
    key: str,
) -> list[dict[str, Any]]:
    """Merge entries collected now into those kept from an earlier run.

    An entry whose `key` field (the hero's name, the activity's title) matches an earlier one,
    ignoring case and spacing, replaces it in place: re-entering a hero corrects it rather than
    nominating the same person twice. Other entries are appended in the order given.

    Args:
        previous: entries kept from the previous run of the same edition.
        new: entries collected in this run.
        key: the field that identifies an entry.

    Returns:
        The merged list (new dicts; the inputs are left untouched).
    """
    merged: list[dict[str, Any]] = [dict(entry) for entry in previous or []]
    for entry in new or []:
        ident = _key_of(entry, key)
        for position, kept in enumerate(merged):
            if ident and _key_of(kept, key) == ident:
                merged[position] = dict(entry)
                break
        else:
            merged.append(dict(entry))
    return merged


@flow_function("week_hero_slots")
def week_hero_slots(heroes: Sequence[Any] | None) -> int:
    """Return how many more heroes may be nominated (17 at most per municipality)."""
    return max(0, HEROES_MAX - len(heroes or []))


@flow_function("week_names")
def week_names(heroes: Iterable[Mapping[str, Any]] | None) -> list[str]:
    """Return the heroes' names, in nomination order (for short lists in messages)."""
    return [str(h.get("hero_name") or "") for h in heroes or []]


@flow_function("week_without_consent")
def week_without_consent(heroes: Iterable[Mapping[str, Any]] | None) -> list[str]:
    """Return the names of the heroes who have not (yet) agreed to publication."""
    return [
        str(h.get("hero_name") or "") for h in heroes or [] if h.get("hero_consent") is not True
    ]


@flow_function("week_goals")
def week_goals(entries: Iterable[Mapping[str, Any]] | None, field: str) -> list[int]:
    """Return the distinct goals served by `entries` (heroes or activities), in goal order.

    Args:
        entries: collected heroes or activities.
        field: the field holding the goals (`hero_sdgs`, `act_sdgs`); one int or a list.

    Returns:
        The sorted list of goal numbers.
    """
    goals: set[int] = set()
    for entry in entries or []:
        value = entry.get(field)
        if isinstance(value, list | tuple | set):
            goals.update(int(g) for g in value)
        elif value is not None:
            goals.add(int(value))
    return sorted(goals)


@flow_function("week_todo")
def week_todo(
    done: Sequence[str] | None,
    heroes: Sequence[Mapping[str, Any]] | None,
    today: date | datetime | str,
    edition: int,
) -> list[dict[str, Any]]:
    """List what a registered municipality still has to do, soonest first.

    Every checklist item not ticked is an action with its due date; a municipality with no hero
    yet must nominate at least one (until the week starts, when heroes are frozen), and heroes
    without consent must be asked before their pages go online.

    Args:
        done: the checklist items already done (`flag`, `pages`, `material`, `press`, `social`).
        heroes: the merged list of heroes.
        today: the current date.
        edition: the edition's year.

    Returns:
        Dicts `{"id", "due" (ISO date), "days" (days left, negative when late), "late"}`,
        sorted by due date.
    """
    day = _as_date(today)
    year = int(edition)
    ticked = set(done or [])
    items: list[tuple[str, date]] = []
    # Heroes are frozen once the week has begun: asking for a first one then would be pointless.
    if not heroes and not week_started(day, year):
        items.append(("heroes", date(year, *HEROES_DUE)))
    if week_without_consent(heroes):
        items.append(("consent", date(year, *CHECKLIST_DUE["pages"])))
    items.extend(
        (item, date(year, *due)) for item, due in CHECKLIST_DUE.items() if item not in ticked
    )
    items.sort(key=lambda pair: pair[1])
    return [
        {"id": item, "due": due.isoformat(), "days": (due - day).days, "late": due < day}
        for item, due in items
    ]

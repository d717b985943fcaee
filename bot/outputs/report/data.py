"""What the coordinators' report shows, read from the database in one read-only transaction.

Everything is computed from the runs as they are now, so a person who used `/forget` is gone
from every figure the next time the report is made. Hero names appear only with recorded consent.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.missions.assessment import PILLARS, snapshot_from_answers
from bot.missions.checkin import MIRROR_QUESTIONS, mirror_report
from bot.outputs.consent import consented_heroes
from bot.outputs.report.reminders import Reminders, reminder_status
from bot.storage.models import SANDBOX_CHANNEL, FlowRun, Municipality, User
from bot.storage.store import Store
from bot.storage.tx import Tx

ASSESSMENT = "sdg_assessment"
CHECKIN = "partnership_checkin"
WEEK = "municipality_week"
GOALS = tuple(range(1, 18))


@dataclass(frozen=True)
class Profile:
    """A municipality's latest self-assessment (scores on 0–4, None where not rated)."""

    municipality: str
    country: str
    path: str
    completed_at: datetime | None
    p_today: dict[str, float | None]
    p_ambition: dict[str, float | None]
    ambition_by_goal: dict[int, float | None]
    focus_goals: tuple[int, ...]


@dataclass(frozen=True)
class Health:
    """One partnership's latest check-in period, both sides' 1–5 scores and where they differ."""

    partnership: str
    period: str
    north: str
    south: str
    north_scores: dict[str, float | None]
    south_scores: dict[str, float | None]
    differences: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Hero:
    """A sustainable hero nominated with consent."""

    municipality: str
    country: str
    edition: str
    name: str
    kind: str
    what: str
    goals: tuple[int, ...]


@dataclass
class DropOff:
    """Where the unfinished runs of one flow stopped.

    `stopped_after` counts cancelled and expired runs by the last question answered (the engine
    clears the current question when a run closes), ``""`` meaning none; `waiting_at` counts
    active runs by the question waiting now.
    """

    flow_id: str
    started: int = 0
    completed: int = 0
    stopped_after: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    waiting_at: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass
class ReportData:
    """Everything in the report."""

    generated_at: datetime
    since: datetime | None
    users: int = 0
    municipalities: int = 0
    profiles: list[Profile] = field(default_factory=list)
    partnerships: list[Health] = field(default_factory=list)
    heroes: list[Hero] = field(default_factory=list)
    dropoffs: dict[str, DropOff] = field(default_factory=dict)
    reminders: Reminders | None = None


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _goals(value: Any) -> tuple[int, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    found = set()
    for item in items:
        number = _float(item)
        if number is not None and 1 <= int(number) <= 17:
            found.add(int(number))
    return tuple(sorted(found))


def profile_of(municipality: str, country: str, run: FlowRun) -> Profile | None:
    """The profile of a completed assessment run (its snapshot, or rebuilt from its answers)."""
    state = run.state or {}
    snapshot = (state.get("vars") or {}).get("snapshot")
    if not isinstance(snapshot, Mapping) or "goals" not in snapshot:
        snapshot = snapshot_from_answers(state.get("answers") or {})
    if not snapshot:
        return None
    goals = snapshot.get("goals") or {}
    return Profile(
        municipality=municipality,
        country=country,
        path=str(snapshot.get("path", "")),
        completed_at=run.completed_at,
        p_today={p: _float((snapshot.get("p_today") or {}).get(p)) for p in PILLARS},
        p_ambition={p: _float((snapshot.get("p_ambition") or {}).get(p)) for p in PILLARS},
        ambition_by_goal={g: _float((goals.get(str(g)) or {}).get("ambition")) for g in GOALS},
        focus_goals=_goals(snapshot.get("focus_goals") or []),
    )


async def _runs(
    tx: Tx, flow_id: str, since: datetime | None, statuses: Sequence[str] | None = None
) -> list[tuple[FlowRun, str, str]]:
    """Runs of a flow with their municipality's name and country, oldest first."""
    statement = (
        select(FlowRun, Municipality.name, func.coalesce(Municipality.country, User.country))
        .join(User, User.id == FlowRun.user_id)
        .outerjoin(Municipality, Municipality.id == FlowRun.municipality_id)
        .where(FlowRun.flow_id == flow_id, User.channel != SANDBOX_CHANNEL)
        .order_by(FlowRun.completed_at, FlowRun.id)
    )
    if statuses is not None:
        statement = statement.where(FlowRun.status.in_(list(statuses)))
    if since is not None:
        statement = statement.where(FlowRun.updated_at >= since)
    return [
        (run, name or "—", country or "")
        for run, name, country in (await tx.session.execute(statement)).all()
    ]


async def _profiles(tx: Tx, since: datetime | None) -> list[Profile]:
    latest: dict[str, tuple[FlowRun, str, str]] = {}
    for run, name, country in await _runs(tx, ASSESSMENT, since, ["completed"]):
        latest[f"{country}/{name}"] = (run, name, country)  # ordered by completion: last wins
    profiles = [profile_of(name, country, run) for run, name, country in latest.values()]
    return sorted((p for p in profiles if p), key=lambda p: (p.country, p.municipality))


async def _health(tx: Tx, since: datetime | None) -> list[Health]:
    by_partnership: dict[int, dict[str, dict[int, FlowRun]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for run, _, _ in await _runs(tx, CHECKIN, since, ["completed"]):
        if run.partnership_id is None or run.municipality_id is None:
            continue
        period = str(((run.state or {}).get("context") or {}).get("period") or "")
        by_partnership[run.partnership_id][period][run.municipality_id] = run
    out = []
    for partnership in await tx.partnerships():
        periods = by_partnership.get(partnership.id)
        if not periods:
            continue
        both = [p for p, sides in periods.items() if len(sides) == 2]
        period = max(both) if both else max(periods)
        sides = periods[period]
        north_run = sides.get(partnership.north_municipality_id)
        south_run = sides.get(partnership.south_municipality_id)
        north_answers = (north_run.state or {}).get("answers", {}) if north_run else {}
        south_answers = (south_run.state or {}).get("answers", {}) if south_run else {}
        mirror = mirror_report(north_answers, south_answers, None, None, MIRROR_QUESTIONS)
        north = await tx.municipality(partnership.north_municipality_id)
        south = await tx.municipality(partnership.south_municipality_id)
        out.append(
            Health(
                partnership=partnership.name,
                period=period,
                north=north.name if north else "—",
                south=south.name if south else "—",
                north_scores={q: _float(north_answers.get(q)) for q in MIRROR_QUESTIONS},
                south_scores={q: _float(south_answers.get(q)) for q in MIRROR_QUESTIONS},
                differences=tuple(mirror["differences"]),
            )
        )
    return out


async def _heroes(tx: Tx, since: datetime | None) -> list[Hero]:
    latest: dict[tuple[str, str, str], tuple[FlowRun, list[Any]]] = {}
    for run, name, country in await _runs(tx, WEEK, since, ["completed"]):
        state = run.state or {}
        variables = state.get("vars") or {}
        edition = str(variables.get("edition") or "")
        heroes = variables.get("heroes")
        if not isinstance(heroes, list):
            heroes = (state.get("answers") or {}).get("hero_keep") or []
        latest[(country, name, edition)] = (run, heroes)  # the latest run holds the merged list
    out = []
    for (country, name, edition), (_, heroes) in sorted(latest.items()):
        for hero in consented_heroes(heroes):
            out.append(
                Hero(
                    municipality=name,
                    country=country,
                    edition=edition,
                    name=str(hero.get("hero_name") or ""),
                    kind=str(hero.get("hero_kind") or ""),
                    what=str(hero.get("hero_what") or ""),
                    goals=_goals(hero.get("hero_sdgs")),
                )
            )
    return out


def _last_answered(state: Mapping[str, Any]) -> str:
    for entry in reversed(state.get("history") or []):
        if isinstance(entry, str) and not entry.startswith("~"):
            return entry
    return ""


async def _dropoffs(tx: Tx, since: datetime | None) -> dict[str, DropOff]:
    statement = (
        select(FlowRun.flow_id, FlowRun.status, FlowRun.state)
        .join(User, User.id == FlowRun.user_id)
        .where(User.channel != SANDBOX_CHANNEL)
        .order_by(FlowRun.id)
    )
    if since is not None:
        statement = statement.where(FlowRun.updated_at >= since)
    out: dict[str, DropOff] = {}
    result = await tx.session.stream(statement.execution_options(yield_per=500))
    async for flow_id, status, state in result:
        entry = out.setdefault(flow_id, DropOff(flow_id))
        entry.started += 1
        state = state or {}
        if status == "completed":
            entry.completed += 1
        elif status == "active":
            entry.waiting_at[str(state.get("current") or _last_answered(state))] += 1
        else:
            entry.stopped_after[_last_answered(state)] += 1
    return out


async def collect(store: Store, now: datetime, since: datetime | None = None) -> ReportData:
    """Read everything the report shows (runs touched since `since`, or all)."""
    data = ReportData(generated_at=now, since=since)
    async with store.transaction(readonly=True) as tx:
        data.users = int(
            (
                await tx.session.execute(
                    select(func.count(User.id)).where(User.channel != SANDBOX_CHANNEL)
                )
            ).scalar_one()
        )
        data.municipalities = int(
            (
                await tx.session.execute(
                    select(func.count(func.distinct(FlowRun.municipality_id))).where(
                        FlowRun.municipality_id.is_not(None)
                    )
                )
            ).scalar_one()
        )
        data.profiles = await _profiles(tx, since)
        data.partnerships = await _health(tx, since)
        data.heroes = await _heroes(tx, since)
        data.dropoffs = await _dropoffs(tx, since)
        data.reminders = await reminder_status(tx)
    return data

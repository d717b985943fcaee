"""This quarter at a glance: who answered what, by country and municipality.

The figures behind the chat's `/stats` and the console's overview; formatting is theirs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select

from bot.programme.actors import Actor
from bot.scheduling.timing import period_of
from bot.storage.models import SANDBOX_CHANNEL, FlowRun, Municipality, User
from bot.storage.tx import Tx

DEFAULT_ZONE = "Europe/Brussels"


def period_start(now: datetime, timezone: str | None) -> tuple[str, datetime]:
    """The current quarter (as `period_of` names it) and when it began, in the given zone."""
    try:
        zone = ZoneInfo(timezone or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_ZONE)
    local = now.astimezone(zone)
    first_month = 3 * ((local.month - 1) // 3) + 1
    start = local.replace(month=first_month, day=1, hour=0, minute=0, second=0, microsecond=0)
    return period_of(now, timezone), start


@dataclass
class Place:
    """One municipality's activity this quarter."""

    country: str
    name: str
    flows: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    """Per flow id: [completed runs, runs still open]."""
    people: dict[int, str] = field(default_factory=dict)
    """Who answered: user id → name."""


@dataclass
class QuarterStats:
    """Activity since the start of the current quarter."""

    period: str
    start: datetime
    places: dict[tuple[str, str], Place]
    newcomers: int
    requests_waiting: int

    @property
    def completed(self) -> int:
        """Runs completed this quarter."""
        return sum(c[0] for p in self.places.values() for c in p.flows.values())

    @property
    def active(self) -> int:
        """Runs started or answered this quarter and still open."""
        return sum(c[1] for p in self.places.values() for c in p.flows.values())

    @property
    def people(self) -> int:
        """How many people answered something this quarter."""
        return len({u for p in self.places.values() for u in p.people})


async def quarter_stats(
    tx: Tx, actor: Actor, now: datetime, timezone: str | None = None
) -> QuarterStats:
    """Runs touched this quarter, grouped by (country, municipality); coordinators only."""
    actor.require("coordinator")
    period, start = period_start(now, timezone)
    rows = (
        await tx.session.execute(
            select(
                FlowRun.flow_id,
                FlowRun.status,
                FlowRun.user_id,
                User.name,
                Municipality.name,
                Municipality.country,
                User.country,
            )
            .join(User, User.id == FlowRun.user_id)
            .outerjoin(Municipality, Municipality.id == FlowRun.municipality_id)
            .where(
                FlowRun.updated_at >= start,
                FlowRun.flow_id != "onboarding",
                User.channel != SANDBOX_CHANNEL,
            )
        )
    ).all()
    newcomers = int(
        (
            await tx.session.execute(
                select(func.count(User.id)).where(
                    User.created_at >= start, User.channel != SANDBOX_CHANNEL
                )
            )
        ).scalar_one()
    )
    places: dict[tuple[str, str], Place] = {}
    for flow_id, status, user_id, user_name, place, place_country, user_country in rows:
        key = (place_country or user_country or "", place or "—")
        entry = places.setdefault(key, Place(*key))
        counts = entry.flows[flow_id]
        if status == "completed":
            counts[0] += 1
        elif status == "active":
            counts[1] += 1
        entry.people[user_id] = user_name or "—"
    waiting = len(await tx.role_requests())
    return QuarterStats(period, start, places, newcomers, waiting)


__all__ = ["Place", "QuarterStats", "period_start", "quarter_stats"]

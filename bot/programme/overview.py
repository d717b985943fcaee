"""The programme this month at a glance: the figures behind the web console's first page.

People active this month, runs started and completed per flow, the deadlines coming up with how
many municipalities are still pending, broadcasts still going out and coordinator requests
waiting. A few grouped queries, whatever the number of people; the simulator's sandbox people
never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from bot.programme import deadlines as programme_deadlines
from bot.programme import roles
from bot.programme.actors import Actor
from bot.programme.board import Standings
from bot.scheduling.deadlines import Occurrence
from bot.storage.models import SANDBOX_CHANNEL, Broadcast, FlowRun, OutboxItem, User
from bot.storage.tx import Tx

PROGRAMME_ZONE = ZoneInfo("Europe/Brussels")
UPCOMING_DAYS = 60
UPCOMING_MAX = 8


@dataclass(frozen=True)
class FlowActivity:
    """Runs of one flow started and completed this month."""

    flow_id: str
    started: int
    completed: int


@dataclass(frozen=True)
class DueSoon:
    """A deadline occurrence coming up and how many municipalities have not done it."""

    occurrence: Occurrence
    total: int
    pending: int


@dataclass(frozen=True)
class Sending:
    """A broadcast not finished: scheduled for later, or still going out."""

    broadcast: Broadcast
    pending: int
    sent: int


@dataclass(frozen=True)
class Overview:
    """Everything the first page shows."""

    month_start: datetime
    active_people: int
    flows: list[FlowActivity]
    due_soon: list[DueSoon]
    sending: list[Sending]
    requests: list[User]


def month_start(now: datetime) -> datetime:
    """The first instant of the current month where the programme is run (Brussels)."""
    local = now.astimezone(PROGRAMME_ZONE)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


async def overview(tx: Tx, actor: Actor, now: datetime) -> Overview:
    """This month's figures (coordinators only)."""
    actor.require("coordinator")
    start = month_start(now)
    active = int(
        (
            await tx.session.execute(
                select(func.count(User.id)).where(
                    User.last_seen_at >= start, User.channel != SANDBOX_CHANNEL
                )
            )
        ).scalar_one()
    )
    rows = (
        await tx.session.execute(
            select(
                FlowRun.flow_id,
                func.sum(case((FlowRun.started_at >= start, 1), else_=0)),
                func.sum(case((FlowRun.completed_at >= start, 1), else_=0)),
            )
            .join(User, User.id == FlowRun.user_id)
            .where(FlowRun.updated_at >= start, User.channel != SANDBOX_CHANNEL)
            .group_by(FlowRun.flow_id)
            .order_by(FlowRun.flow_id)
        )
    ).all()
    flows = [
        FlowActivity(flow_id, int(started or 0), int(done or 0)) for flow_id, started, done in rows
    ]
    due_soon: list[DueSoon] = []
    occurrences = [
        o
        for o in await programme_deadlines.all_occurrences(tx, now.date(), 3)
        if o.due <= now.date() + timedelta(days=UPCOMING_DAYS)
    ][:UPCOMING_MAX]
    if occurrences:
        standings = await Standings.load(tx)
        for occurrence in occurrences:
            found = await standings.of(occurrence, now)
            due_soon.append(DueSoon(occurrence, found.total, len(found.pending)))
    sending = []
    for broadcast in (
        await tx.session.execute(
            select(Broadcast)
            .where(Broadcast.status.in_(("scheduled", "queued")))
            .order_by(Broadcast.id.desc())
            .limit(10)
        )
    ).scalars():
        counts: dict[str, int] = {
            status: n
            for status, n in (
                await tx.session.execute(
                    select(OutboxItem.status, func.count())
                    .where(OutboxItem.broadcast_id == broadcast.id)
                    .group_by(OutboxItem.status)
                )
            ).all()
        }
        pending = int(counts.get("pending", 0)) + int(counts.get("sending", 0))
        if broadcast.status == "scheduled" or pending:
            sending.append(Sending(broadcast, pending, int(counts.get("sent", 0))))
    requests = list(await roles.waiting_requests(tx, actor))
    return Overview(start, active, flows, due_soon, sending, requests)


__all__ = ["DueSoon", "FlowActivity", "Overview", "Sending", "month_start", "overview"]

"""The planner: turns deadlines, idle runs and due broadcasts into outbox rows.

It runs every minute on the leader (any process may run it: every row has a unique key, so two
planners insert each row once). Reminders are planned a little ahead (`HORIZON`), in each
recipient's time zone, so a user who changes zone is reminded at the right local hour; rows
that fell due while the bot was down are planned on restart if still useful, and only the
latest offset of a deadline is sent (an older one expires when the next one is due).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.flow.catalogue import Catalogue
from bot.paths import data_dir
from bot.scheduling.audience import (
    UNREACHABLE_CHANNELS,
    Term,
    Twinnings,
    audience_context,
    matches,
    parse_audience,
    resolve,
    user_timezone,
)
from bot.scheduling.deadlines import Deadline, Occurrence, load_file, occurrences, relevant_window
from bot.scheduling.deadlines import reminder_plan as plan_times
from bot.scheduling.sender import load_deadlines
from bot.scheduling.timing import QuietHours, end_of_day, local_date, next_allowed, zone
from bot.storage.models import Broadcast, User
from bot.storage.store import Store
from bot.storage.tx import Tx

log = logging.getLogger(__name__)

HORIZON = timedelta(minutes=15)
NUDGE_AFTER = timedelta(hours=24)
UTC_DAY = timedelta(days=1)


def shipped_deadlines_file() -> Path:
    """`content/deadlines.yaml` as shipped."""
    return data_dir("content") / "deadlines.yaml"


async def seed_deadlines(store: Store, now: datetime, path: Path | None = None) -> int:
    """Store the shipped deadlines (new ones, and changes to ones no coordinator touched).

    Returns:
        How many were inserted or updated.
    """
    deadlines = load_file(path or shipped_deadlines_file())

    async def seed(tx: Tx) -> int:
        count = 0
        for deadline in deadlines:
            count += await tx.seed_deadline(deadline.id, deadline.to_spec(), now)
        return count

    return await store.run_in_transaction(seed)


def scope_of(user: User) -> str:
    """Whose "done" a user's mark is: their municipality's, or their own without one."""
    return f"m:{user.municipality_id}" if user.municipality_id else f"u:{user.id}"


@dataclass(frozen=True)
class Recipients:
    """Users and the twinnings they belong to, loaded once per planning round."""

    users: Sequence[User]
    twinnings: Twinnings
    names: dict[int, str]
    partnerships: list[tuple[str, str | None]]
    partnership_names: dict[str, str]

    @classmethod
    async def load(cls, tx: Tx) -> Recipients:
        """Read what audience matching needs."""
        twinnings, names = await audience_context(tx)
        users = await tx.users(reachable_only=True)
        active = await tx.partnerships(active_only=True)
        return cls(
            [u for u in users if u.channel not in UNREACHABLE_CHANNELS],
            twinnings,
            names,
            [(p.slug, p.rhythm) for p in active],
            {p.slug: p.name for p in active},
        )

    def of(self, occurrence: Occurrence) -> list[User]:
        """The users an occurrence is for (a twinning's occurrence: its two municipalities)."""
        terms: Sequence[Term] = occurrence.deadline.audience
        only = (
            self.twinnings.municipalities(Term("partnership", occurrence.partnership))
            if occurrence.partnership
            else None
        )
        return [
            u
            for u in self.users
            if (only is None or u.municipality_id in only)
            and matches(u, terms, self.twinnings, self.names)
        ]


async def pending_users(
    tx: Tx, occurrence: Occurrence, recipients: Recipients, now: datetime
) -> list[User]:
    """The occurrence's users whose municipality has not marked it done (nor done its flow)."""
    deadline = occurrence.deadline
    done = {mark.scope for mark in await tx.done_marks(deadline.id, [occurrence.key])}
    flow_done = await closed_by_flow(tx, occurrence, recipients.twinnings, now)
    return [
        u
        for u in recipients.of(occurrence)
        if scope_of(u) not in done and (u.municipality_id or 0) not in flow_done
    ]


async def closed_by_flow(
    tx: Tx, occurrence: Occurrence, twinnings: Twinnings, now: datetime
) -> set[int]:
    """Municipalities whose completed run closes their part of `occurrence` (see `ClosedBy`).

    Runs completed after the previous occurrence's due date (a year before, for the first)
    count; for a twinning's occurrence, only its two municipalities (each side that answered
    is no longer pending; the twinning is done — `both_sides` — once both are here).
    """
    deadline = occurrence.deadline
    closing = deadline.closing
    if closing is None:
        return set()
    since = occurrence.since or (occurrence.due - timedelta(days=366))
    runs = await tx.completed_between(closing.flow, end_of_day(since, zone(deadline.timezone)), now)
    done = {
        municipality
        for municipality, state in runs
        if closing.holds(state.get("answers") or {}, state.get("vars") or {})
    }
    if occurrence.partnership:
        return done & set(twinnings.by_slug.get(occurrence.partnership, ()))
    return done


def reminder_row(
    occurrence: Occurrence,
    user: User,
    offset: int | str,
    due_at: datetime,
    expires_at: datetime,
    partnership_name: str | None,
    kind: str = "reminder",
) -> dict[str, Any]:
    """The outbox row of one reminder (key ``reminder:<deadline>:<occurrence>:<offset>:<user>``)."""
    deadline = occurrence.deadline
    payload: dict[str, Any] = {
        "deadline": deadline.id,
        "occurrence": occurrence.key,
        "due": occurrence.due.isoformat(),
        "offset": offset,
    }
    if occurrence.partnership:
        payload["partnership"] = occurrence.partnership
        payload["partnership_name"] = partnership_name or occurrence.partnership
    return {
        "key": f"{kind}:{deadline.id}:{occurrence.key}:{offset}:{user.id}",
        "kind": kind,
        "user_id": user.id,
        "due_at": due_at,
        "expires_at": expires_at,
        "payload": payload,
    }


class Planner:
    """Plans reminders, nudges and due broadcasts (see the module docstring).

    Args:
        store: the database.
        catalogue: for users' default time zones.
        clock: the current time.
        quiet: quiet hours.
        horizon: how far ahead reminders are written to the outbox.
    """

    def __init__(
        self,
        store: Store,
        catalogue: Catalogue,
        *,
        clock: Callable[[], datetime],
        quiet: QuietHours,
        horizon: timedelta = HORIZON,
    ) -> None:
        self.store = store
        self.catalogue = catalogue
        self.clock = clock
        self.quiet = quiet
        self.horizon = horizon

    async def run_once(self) -> int:
        """Plan everything due now; returns how many outbox rows were added."""
        now = self.clock()
        run = self.store.run_in_transaction  # bulk: an audience may be thousands of people
        added = await run(lambda tx: self.expand_broadcasts(tx, now), bulk=True)
        added += await run(lambda tx: self.plan_reminders(tx, now), bulk=True)
        added += await run(lambda tx: self.plan_nudges(tx, now), bulk=True)
        return added

    async def plan_reminders(self, tx: Tx, now: datetime) -> int:
        """Add the reminders due before ``now`` + horizon that are still useful."""
        recipients = await Recipients.load(tx)
        rows: list[dict[str, Any]] = []
        for deadline in (await load_deadlines(tx)).values():
            start, end = relevant_window(deadline, now.date())
            for occurrence in occurrences(deadline, start, end, recipients.partnerships):
                for user in await pending_users(tx, occurrence, recipients, now):
                    tz_name = user_timezone(user, self.catalogue)
                    for planned in plan_times(occurrence, tz_name, self.quiet):
                        if planned.send_at <= now + self.horizon and planned.expires_at > now:
                            rows.append(
                                reminder_row(
                                    occurrence,
                                    user,
                                    planned.offset,
                                    planned.send_at,
                                    planned.expires_at,
                                    recipients.partnership_names.get(occurrence.partnership or ""),
                                )
                            )
        return await tx.enqueue(rows, now)

    async def plan_nudges(self, tx: Tx, now: datetime) -> int:
        """One nudge per run left waiting for 24 hours (the key ``nudge:<run>`` makes it one)."""
        rows: list[dict[str, Any]] = []
        runs = await tx.runs_waiting_since(now - NUDGE_AFTER, not_nudged=True, limit=500)
        users = await tx.users_by_id(run.user_id for run in runs)
        for run in runs:
            user = users.get(run.user_id)
            if run.waiting_since is None or user is None or user.channel in UNREACHABLE_CHANNELS:
                continue
            rows.append(
                {
                    "key": f"nudge:{run.id}",
                    "kind": "nudge",
                    "user_id": run.user_id,
                    "due_at": now,
                    "expires_at": None,
                    "payload": {
                        "run_id": run.id,
                        "flow_id": run.flow_id,
                        "waiting_since": run.waiting_since.isoformat(),
                    },
                }
            )
            await tx.mark_nudged(run, now)
        return await tx.enqueue(rows, now)

    async def expand_broadcasts(self, tx: Tx, now: datetime) -> int:
        """Write one row per recipient of each broadcast whose time has come."""
        added = 0
        for broadcast in await tx.due_broadcasts(now):
            added += await self.expand(tx, broadcast, now)
        return added

    async def expand(self, tx: Tx, broadcast: Broadcast, now: datetime) -> int:
        """Queue one broadcast: its recipients' rows (quiet hours respected unless told not to)."""
        users = await resolve(tx, parse_audience(broadcast.audience))
        rows = []
        for user in users:
            due = now
            if not broadcast.ignore_quiet:
                due = next_allowed(now, zone(user_timezone(user, self.catalogue)), self.quiet)
            rows.append(
                {
                    "key": f"broadcast:{broadcast.id}:{user.id}",
                    "kind": "broadcast",
                    "user_id": user.id,
                    "broadcast_id": broadcast.id,
                    "due_at": due,
                }
            )
        added = await tx.enqueue(rows, now)
        broadcast.status = "queued"
        broadcast.recipients = len(users)
        await tx.session.flush()
        log.info("broadcast %d queued, recipients: %d", broadcast.id, len(users))
        return added


async def remind_pending(
    tx: Tx,
    deadline: Deadline,
    occurrence: Occurrence,
    now: datetime,
    catalogue: Catalogue,
    quiet: QuietHours,
) -> int:
    """A coordinator's "remind only those who have not done it": one extra reminder each, today.

    At most one such reminder per user and day (its key carries the date).
    """
    recipients = await Recipients.load(tx)
    rows = []
    for user in await pending_users(tx, occurrence, recipients, now):
        tz = zone(user_timezone(user, catalogue))
        tag = f"manual-{local_date(now, tz).isoformat()}"
        rows.append(
            reminder_row(
                occurrence,
                user,
                tag,
                next_allowed(now, tz, quiet),
                occurrence.ends_at(),
                recipients.partnership_names.get(occurrence.partnership or ""),
            )
        )
    return await tx.enqueue(rows, now)


__all__ = [
    "HORIZON",
    "NUDGE_AFTER",
    "Planner",
    "Recipients",
    "pending_users",
    "remind_pending",
    "reminder_row",
    "scope_of",
    "seed_deadlines",
    "shipped_deadlines_file",
]

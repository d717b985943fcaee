"""Reminder status per deadline: what the scheduler's outbox did for each deadline occurrence.

The scheduler (migration 0003) writes one outbox row per reminder, keyed
``reminder:<deadline>:<occurrence>:<offset>:<user>`` with the deadline, occurrence and due date
in its payload; municipalities that reported mark the occurrence done (`deadline_done`). This
module counts, per occurrence, the reminders in each status and the done marks. Deadlines with
no reminder planned yet are listed too, so a silent deadline is visible.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bot.storage.models import Deadline, DeadlineDone, FlowRun, OutboxItem
from bot.storage.tx import Tx

REMINDER_KINDS = ("reminder", "snooze")
STATUSES = ("pending", "sent", "failed", "blocked", "dropped")
"""Outbox statuses shown as columns; ``sending`` and ``unknown`` are rare and counted as
``pending`` and ``failed``."""
FOLDED = {"sending": "pending", "unknown": "failed"}


@dataclass(frozen=True)
class Reminders:
    """Reminder status: per deadline occurrence when deadlines exist, else the question nudges.

    `source` is ``"deadlines"`` or ``"nudges"``; `columns` and `rows` are what to show.
    """

    source: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


async def deadline_reminders(tx: Tx) -> Reminders | None:
    """Per deadline occurrence: title, due date, done marks and reminders by status.

    Returns:
        The table, or None when no deadline is defined at all.
    """
    deadlines = (await tx.session.execute(select(Deadline).order_by(Deadline.id))).scalars().all()
    if not deadlines:
        return None
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    due: dict[tuple[str, str], str] = {}
    result = await tx.session.stream(
        select(OutboxItem.payload, OutboxItem.status)
        .where(OutboxItem.kind.in_(REMINDER_KINDS))
        .execution_options(yield_per=1000)
    )
    async for payload, status in result:
        payload = payload or {}
        key = (str(payload.get("deadline", "")), str(payload.get("occurrence", "")))
        state = FOLDED.get(status, status)
        if state in STATUSES:
            counts[key][state] += 1
        due.setdefault(key, str(payload.get("due") or ""))
    done = {
        (d, o): int(n)
        for d, o, n in (
            await tx.session.execute(
                select(DeadlineDone.deadline_id, DeadlineDone.occurrence, func.count()).group_by(
                    DeadlineDone.deadline_id, DeadlineDone.occurrence
                )
            )
        ).all()
    }
    rows: list[tuple[Any, ...]] = []
    for deadline in deadlines:
        title = (deadline.spec or {}).get("title") or deadline.id
        occurrences = sorted((k for k in counts if k[0] == deadline.id), key=lambda k: due[k])
        if not occurrences and deadline.active:
            rows.append((title, "—", 0, *(0 for _ in STATUSES)))
        for key in occurrences:
            rows.append(
                (title, due[key] or key[1], done.get(key, 0), *(counts[key][s] for s in STATUSES))
            )
    return Reminders("deadlines", ("deadline", "due", "done", *STATUSES), tuple(rows))


async def reminder_status(tx: Tx) -> Reminders:
    """Reminders per deadline occurrence; without deadlines, how waiting questions were nudged."""
    found = await deadline_reminders(tx)
    if found is not None:
        return found
    rows = (
        await tx.session.execute(
            select(FlowRun.flow_id, FlowRun.nudged_at.is_not(None), func.count())
            .where(FlowRun.status == "active", FlowRun.waiting_since.is_not(None))
            .group_by(FlowRun.flow_id, FlowRun.nudged_at.is_not(None))
        )
    ).all()
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for flow_id, nudged, count in rows:
        counts[flow_id][1 if nudged else 0] += int(count)
    return Reminders(
        "nudges",
        ("flow", "waiting", "reminded"),
        tuple((f, w + r, r) for f, (w, r) in sorted(counts.items())),
    )

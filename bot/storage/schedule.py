"""Deadlines, done marks, broadcasts, the outbox and leases: what the scheduler keeps.

The outbox holds one row per recipient and occurrence, under a unique `key`
(``reminder:<deadline>:<occurrence>:<offset>:<user>``, ``broadcast:<id>:<user>``, ``nudge:<run>``…),
so planning the same message twice inserts nothing. Its life: ``pending`` → ``sending`` (claimed by
the leader just before the Bot API call) → ``sent`` / ``failed`` / ``blocked``; ``dropped`` when it
stopped being useful before it went out, ``unknown`` when the sender died while sending it (see
`bot.scheduling.sender` for why it is not sent again). Every method works on both dialects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, and_, delete, func, or_, select, update

from bot.storage._base import TxPart, require_aware
from bot.storage.models import (
    Broadcast,
    Deadline,
    DeadlineDone,
    FlowRun,
    Lease,
    OutboxItem,
    User,
)

FINAL_STATUSES = frozenset({"sent", "failed", "blocked", "dropped", "unknown"})


class SchedulePart(TxPart):
    """`Tx` methods of the scheduler (deadlines, done marks, broadcasts, outbox, leases)."""

    # --- deadlines --------------------------------------------------------------------------------

    async def deadline_rows(self, *, active_only: bool = True) -> Sequence[Deadline]:
        """Return the stored deadlines sorted by id (only active ones by default)."""
        statement = select(Deadline).order_by(Deadline.id).execution_options(populate_existing=True)
        if active_only:
            statement = statement.where(Deadline.active.is_(True))
        return (await self._session.execute(statement)).scalars().all()

    async def deadline_row(self, deadline_id: str) -> Deadline | None:
        """Return one stored deadline (active or not)."""
        return await self._session.get(Deadline, deadline_id, populate_existing=True)

    async def save_deadline(
        self, deadline_id: str, spec: dict[str, Any], *, source: str, now: datetime
    ) -> None:
        """Insert or replace a deadline's definition and make it active.

        Args:
            deadline_id: its slug.
            spec: the definition, as in ``content/deadlines.yaml``.
            source: ``"shipped"`` (from the content file) or ``"coordinator"`` (CLI).
            now: when it changed.
        """
        values = {
            "id": deadline_id,
            "spec": spec,
            "source": source,
            "active": True,
            "updated_at": require_aware(now, "now"),
        }
        statement = self._insert(Deadline).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["id"],
            set_={name: statement.excluded[name] for name in values if name != "id"},
        )
        await self._session.execute(statement)

    async def seed_deadline(self, deadline_id: str, spec: dict[str, Any], now: datetime) -> bool:
        """Add or refresh a shipped deadline, unless a coordinator changed or removed it.

        Returns:
            True when the stored definition was inserted or updated.
        """
        row = await self.deadline_row(deadline_id)
        if row is None:
            await self.save_deadline(deadline_id, spec, source="shipped", now=now)
            return True
        if row.source != "shipped" or not row.active or row.spec == spec:
            return False
        row.spec = spec
        row.updated_at = require_aware(now, "now")
        await self._session.flush()
        return True

    async def deactivate_deadline(self, deadline_id: str, now: datetime) -> bool:
        """Remove a deadline from the calendar (kept, inactive, so a restart does not re-add it).

        Pending reminders of it are dropped. Returns False if there is no such active deadline.
        """
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            update(Deadline)
            .where(Deadline.id == deadline_id, Deadline.active.is_(True))
            .values(active=False, source="coordinator", updated_at=require_aware(now, "now"))
        )
        if result.rowcount == 0:
            return False
        await self._session.execute(
            update(OutboxItem)
            .where(
                OutboxItem.status == "pending",
                OutboxItem.kind.in_(("reminder", "snooze")),
                OutboxItem.payload["deadline"].as_string() == deadline_id,
            )
            .values(status="dropped", last_error="deadline removed")
        )
        return True

    # --- done marks ---------------------------------------------------------------------------

    async def mark_done(
        self,
        deadline_id: str,
        occurrence: str,
        *,
        scope: str,
        municipality_id: int | None,
        user_id: int | None,
        now: datetime,
    ) -> DeadlineDone:
        """Record that an occurrence is done for a scope; the first mark wins and is returned."""
        statement = (
            self._insert(DeadlineDone)
            .values(
                deadline_id=deadline_id,
                occurrence=occurrence,
                scope=scope,
                municipality_id=municipality_id,
                user_id=user_id,
                done_at=require_aware(now, "now"),
            )
            .on_conflict_do_nothing(index_elements=["deadline_id", "occurrence", "scope"])
        )
        await self._session.execute(statement)
        found = await self.done_mark(deadline_id, occurrence, scope)
        if found is None:  # pragma: no cover - inserted or already there just above
            raise RuntimeError(f"done mark {deadline_id}/{occurrence}/{scope} vanished")
        return found

    async def done_mark(self, deadline_id: str, occurrence: str, scope: str) -> DeadlineDone | None:
        """Return the done mark of one occurrence for one scope, if any."""
        statement = select(DeadlineDone).where(
            DeadlineDone.deadline_id == deadline_id,
            DeadlineDone.occurrence == occurrence,
            DeadlineDone.scope == scope,
        )
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def done_marks(
        self, deadline_id: str | None = None, occurrences: Iterable[str] | None = None
    ) -> Sequence[DeadlineDone]:
        """Return done marks, optionally of one deadline and some occurrences."""
        statement = select(DeadlineDone).order_by(DeadlineDone.done_at, DeadlineDone.id)
        if deadline_id is not None:
            statement = statement.where(DeadlineDone.deadline_id == deadline_id)
        if occurrences is not None:
            statement = statement.where(DeadlineDone.occurrence.in_(list(occurrences)))
        return (await self._session.execute(statement)).scalars().all()

    async def drop_reminders(
        self, deadline_id: str, occurrence: str, user_ids: Iterable[int], reason: str
    ) -> int:
        """Drop the pending reminders of one occurrence for some users; returns how many."""
        ids = list(user_ids)
        if not ids:
            return 0
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            update(OutboxItem)
            .where(
                OutboxItem.status == "pending",
                OutboxItem.kind.in_(("reminder", "snooze")),
                OutboxItem.user_id.in_(ids),
                OutboxItem.payload["deadline"].as_string() == deadline_id,
                OutboxItem.payload["occurrence"].as_string() == occurrence,
            )
            .values(status="dropped", last_error=reason[:300])
        )
        return result.rowcount

    async def completed_between(
        self, flow_id: str, after: datetime, until: datetime
    ) -> list[tuple[int, dict[str, Any]]]:
        """(municipality id, run state) of each run of ``flow_id`` completed in (after, until]."""
        statement = select(FlowRun.municipality_id, FlowRun.state).where(
            FlowRun.flow_id == flow_id,
            FlowRun.status == "completed",
            FlowRun.municipality_id.is_not(None),
            FlowRun.completed_at > require_aware(after, "after"),
            FlowRun.completed_at <= require_aware(until, "until"),
        )
        rows = (await self._session.execute(statement)).all()
        return [(m, dict(state or {})) for m, state in rows if m]

    # --- broadcasts -------------------------------------------------------------------------------

    async def add_broadcast(self, **fields: Any) -> Broadcast:
        """Insert a broadcast (draft or scheduled) and return it with its id."""
        broadcast = Broadcast(**fields)
        self._session.add(broadcast)
        await self._session.flush()
        return broadcast

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        """Return one broadcast."""
        return await self._session.get(Broadcast, broadcast_id, populate_existing=True)

    async def broadcasts(self, *, limit: int = 20) -> Sequence[Broadcast]:
        """Return the latest broadcasts that are not drafts, newest first."""
        statement = (
            select(Broadcast)
            .where(Broadcast.status != "draft")
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )
        return (await self._session.execute(statement)).scalars().all()

    async def draft_of(self, user_id: int) -> Broadcast | None:
        """Return the broadcast a coordinator is composing in the bot, if any."""
        statement = (
            select(Broadcast)
            .where(Broadcast.draft_user_id == user_id, Broadcast.status == "draft")
            .order_by(Broadcast.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def due_broadcasts(self, now: datetime) -> Sequence[Broadcast]:
        """Return scheduled broadcasts whose time has come (not yet expanded), oldest first."""
        statement = (
            select(Broadcast)
            .where(Broadcast.status == "scheduled", Broadcast.scheduled_at <= now)
            .order_by(Broadcast.scheduled_at, Broadcast.id)
            .with_for_update(skip_locked=True)
        )
        return (await self._session.execute(statement)).scalars().all()

    async def next_broadcast_at(self) -> datetime | None:
        """Return when the earliest scheduled broadcast is due, or None when none waits."""
        statement = select(func.min(Broadcast.scheduled_at)).where(Broadcast.status == "scheduled")
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def broadcast_counts(self, broadcast_id: int) -> dict[str, int]:
        """Return ``{status: number of recipients}`` of a broadcast's outbox rows."""
        statement = (
            select(OutboxItem.status, func.count())
            .where(OutboxItem.broadcast_id == broadcast_id)
            .group_by(OutboxItem.status)
        )
        return {status: count for status, count in (await self._session.execute(statement)).all()}

    # --- outbox -------------------------------------------------------------------------------

    async def enqueue(self, rows: Sequence[dict[str, Any]], now: datetime) -> int:
        """Insert outbox rows whose key is new; rows already there are left alone.

        Each row needs ``key``, ``kind``, ``user_id``, ``due_at``; optional ``payload``,
        ``expires_at``, ``broadcast_id``. Returns how many were inserted.
        """
        if not rows:
            return 0
        values = [
            {
                "key": row["key"],
                "kind": row["kind"],
                "user_id": row["user_id"],
                "broadcast_id": row.get("broadcast_id"),
                "payload": row.get("payload") or {},
                "due_at": require_aware(row["due_at"], "due_at"),
                "expires_at": row.get("expires_at"),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": row["due_at"],
                "created_at": now,
            }
            for row in rows
        ]
        inserted = 0
        # Chunks keep each statement under SQLite's bound-parameter limit.
        for start in range(0, len(values), 500):
            statement = (
                self._insert(OutboxItem)
                .values(values[start : start + 500])
                .on_conflict_do_nothing(index_elements=["key"])
            )
            result: CursorResult[Any] = await self._session.execute(statement)  # type: ignore[assignment]
            inserted += max(result.rowcount, 0)
        return inserted

    async def outbox_item(self, item_id: int) -> OutboxItem | None:
        """Return one outbox row, freshly loaded."""
        return await self._session.get(OutboxItem, item_id, populate_existing=True)

    async def outbox_items(
        self,
        *,
        kind: str | None = None,
        user_id: int | None = None,
        status: str | None = None,
        newest: int | None = None,
    ) -> Sequence[OutboxItem]:
        """Return outbox rows in id order, filtered (for tests, status and support).

        With `newest`, only that many of the latest matching rows (still in id order).
        """
        conditions = [
            column == value
            for column, value in (
                (OutboxItem.kind, kind),
                (OutboxItem.user_id, user_id),
                (OutboxItem.status, status),
            )
            if value is not None
        ]
        statement = (
            select(OutboxItem)
            .where(*conditions)
            .order_by(OutboxItem.id)
            .execution_options(populate_existing=True)
        )
        if newest is not None:
            latest = (
                select(OutboxItem.id)
                .where(*conditions)
                .order_by(OutboxItem.id.desc())
                .limit(newest)
            )
            statement = statement.where(OutboxItem.id.in_(latest.scalar_subquery()))
        return (await self._session.execute(statement)).scalars().all()

    async def due_outbox(self, now: datetime, limit: int = 100) -> list[tuple[OutboxItem, User]]:
        """Return due pending rows with their recipients, in sending order (one query)."""
        statement = (
            select(OutboxItem, User)
            .join(User, User.id == OutboxItem.user_id)
            .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now)
            .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        return [(row[0], row[1]) for row in (await self._session.execute(statement)).all()]

    async def broadcasts_by_id(self, ids: Iterable[int]) -> dict[int, Broadcast]:
        """Return broadcasts by id (one query)."""
        wanted = list(set(ids))
        if not wanted:
            return {}
        statement = (
            select(Broadcast)
            .where(Broadcast.id.in_(wanted))
            .execution_options(populate_existing=True)
        )
        return {b.id: b for b in (await self._session.execute(statement)).scalars().all()}

    async def next_due_at(self) -> datetime | None:
        """Return when the earliest pending row is due, or None when nothing waits."""
        statement = select(func.min(OutboxItem.next_attempt_at)).where(
            OutboxItem.status == "pending"
        )
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def claim_outbox_item(self, item_id: int, lease: str, holder: str, now: datetime) -> bool:
        """Mark a pending row ``sending`` by ``holder``, only while it holds ``lease``.

        One statement does both the claim and the fencing check, so a sender whose lease
        expired (it stalled, another took over) claims nothing. Committed before the Bot API
        call.

        Returns:
            False when the row is no longer pending or the lease is no longer held.
        """
        leader = (
            select(Lease.name)
            .where(Lease.name == lease, Lease.holder == holder, Lease.expires_at > now)
            .exists()
        )
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            update(OutboxItem)
            .where(OutboxItem.id == item_id, OutboxItem.status == "pending", leader)
            .values(
                status="sending",
                claimed_by=holder,
                claimed_at=now,
                attempts=OutboxItem.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def settle_outbox_item(
        self,
        item_id: int,
        holder: str,
        status: str,
        *,
        now: datetime,
        error: str | None = None,
        retry_at: datetime | None = None,
        attempts_delta: int = 0,
    ) -> bool:
        """Finish (or put back) a row this holder is sending.

        Args:
            item_id: the row.
            holder: who claimed it; a row taken over by another leader is left alone.
            status: the outcome (``sent``, ``failed``, ``blocked``, ``pending`` to retry…).
            now: the time, stored as ``sent_at`` for sent rows.
            error: why it failed or will be retried.
            retry_at: with ``pending``: the next attempt.
            attempts_delta: added to ``attempts`` (-1 when the attempt does not count, a 429).

        Returns:
            False when the row was no longer ours (a new leader resolved it meanwhile).
        """
        values: dict[str, Any] = {"status": status, "last_error": error[:300] if error else None}
        if status == "sent":
            values["sent_at"] = now
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        if attempts_delta:
            values["attempts"] = OutboxItem.attempts + attempts_delta
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            update(OutboxItem)
            .where(
                OutboxItem.id == item_id,
                OutboxItem.status == "sending",
                OutboxItem.claimed_by == holder,
            )
            .values(**values)
        )
        return result.rowcount == 1

    async def set_outbox_status(
        self,
        item_id: int,
        status: str,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        """Change a pending row without sending it (dropped, blocked, deferred to later)."""
        values: dict[str, Any] = {"status": status, "last_error": error[:300] if error else None}
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        await self._session.execute(
            update(OutboxItem).where(OutboxItem.id == item_id).values(**values)
        )

    async def resolve_interrupted(self, holder: str, now: datetime) -> int:
        """Mark ``unknown`` every row left ``sending`` by another (dead or deposed) sender.

        Called by a sender that has just become leader: no one else may be sending, so such a
        row was interrupted between its claim and the record of the Bot API's answer.
        """
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            update(OutboxItem)
            .where(
                OutboxItem.status == "sending",
                or_(OutboxItem.claimed_by.is_(None), OutboxItem.claimed_by != holder),
            )
            .values(
                status="unknown",
                last_error="the sender stopped while sending; delivery unknown, not repeated",
            )
        )
        return result.rowcount

    async def requeue(self, broadcast_id: int, statuses: Iterable[str], now: datetime) -> int:
        """Put a broadcast's rows with these statuses back to pending (a coordinator's retry)."""
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            update(OutboxItem)
            .where(OutboxItem.broadcast_id == broadcast_id, OutboxItem.status.in_(list(statuses)))
            .values(status="pending", next_attempt_at=now, attempts=0, last_error=None)
        )
        return result.rowcount

    async def users_by_id(self, user_ids: Iterable[int]) -> dict[int, User]:
        """Return users by id (one query)."""
        ids = list(set(user_ids))
        if not ids:
            return {}
        statement = select(User).where(User.id.in_(ids)).execution_options(populate_existing=True)
        return {u.id: u for u in (await self._session.execute(statement)).scalars().all()}

    async def forget_outbox(self, before: datetime) -> int:
        """Delete finished rows older than ``before`` (keeps the table small); returns how many."""
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            delete(OutboxItem).where(
                OutboxItem.status.in_(list(FINAL_STATUSES)),
                OutboxItem.created_at < require_aware(before, "before"),
                OutboxItem.kind != "reminder",  # reminders are the record of what was sent
            )
        )
        return result.rowcount

    # --- leases ---------------------------------------------------------------------------------

    async def take_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take or extend a lease: succeeds if it is free, expired, or already ours.

        The conditional UPDATE runs under the row lock (PostgreSQL) or the write lock (SQLite),
        so two processes can never both succeed for the same moment.
        """
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            update(Lease)
            .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
            .values(holder=holder, expires_at=until)
        )
        if result.rowcount == 1:
            return True
        inserted: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            self._insert(Lease)
            .values(name=name, holder=holder, expires_at=until)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        return inserted.rowcount == 1

    async def holds_lease(self, name: str, holder: str, now: datetime) -> bool:
        """Whether ``holder`` holds the lease at ``now``."""
        return await self.lease_holder(name, now) == holder

    async def renew_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Extend a lease ``holder`` still holds at ``now``; False if it expired or was taken.

        Run inside each claim: the claim commits only while its sender is still the leader
        (a fencing check), so a sender that stalled past its lease cannot claim anything.
        """
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            update(Lease)
            .where(and_(Lease.name == name, Lease.holder == holder, Lease.expires_at > now))
            .values(expires_at=until)
        )
        return result.rowcount == 1

    async def release_lease(self, name: str, holder: str, now: datetime) -> None:
        """Give a lease up at once (a clean shutdown), so another process takes over now."""
        await self._session.execute(
            update(Lease).where(Lease.name == name, Lease.holder == holder).values(expires_at=now)
        )

    async def lease_holder(self, name: str, now: datetime) -> str | None:
        """Who holds a lease at ``now``, if anyone."""
        statement = select(Lease.holder).where(Lease.name == name, Lease.expires_at > now)
        return (await self._session.execute(statement)).scalar_one_or_none()

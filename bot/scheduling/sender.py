"""The sender: takes due outbox rows, one at a time, and hands them to the transport.

Exactly one process sends: the holder of the ``sender`` lease (a row in ``leases`` with an
expiry, renewed every lease_ttl/3; the same on SQLite and PostgreSQL, and testable with a
controllable clock, unlike a session-bound advisory lock that a dropped pooled connection
releases silently). A process that dies keeps it until it expires; a clean stop releases it.
Rows are read in batches with their recipients; each then goes through three steps::

    claim   — check it is still wanted (not expired, user reachable, not done, not in the
              user's quiet hours), render it, then one transaction whose single UPDATE sets it
              ``sending`` only while this process still holds the lease (fencing: a deposed
              leader that wakes up claims nothing) — commit;
    send    — the Bot API call, outside any transaction;
    settle  — one transaction, right after the answer: ``sent``, ``blocked`` (403),
              ``failed`` (400, or transient errors past `max_attempts`), or back to
              ``pending`` with a later ``next_attempt_at`` (429, 5xx, timeouts).

Delivery semantics. Telegram has no idempotency key, so one window stays ambiguous: the process
dies after Telegram accepted a message and before ``settle`` committed. Such a row is found in
``sending`` by the next leader. Re-sending it would risk a duplicate; not re-sending it risks a
loss. We resolve it as ``unknown`` and never send it again (at-most-once for that row), because:
the window is a few milliseconds per crash and holds at most ONE row (rows are claimed one by
one, after the rate-limit wait, so nothing waits in ``sending``); a reminder is followed by the
next offset's reminder anyway; and the issue's first promise is "never twice". ``unknown`` rows
are counted in ``sdgbot broadcast status`` and can be re-queued on purpose
(``sdgbot broadcast retry ID --unknown``). Everything else is at-least-once-safe and exactly-once in
effect: a row due while no sender ran stays ``pending`` and goes out when one runs again, once
(its unique key prevents a second row; its status prevents a second send). Timeouts are
retried, as the Bot API gives no answer either way; a timeout on a message Telegram did
deliver is therefore the one case that can duplicate — rare, and chosen over losing it.

Priority: the sender sends one message at a time, yields to the event loop between messages,
and waits while the transport says it is busy answering people (`Busy`), so a broadcast never
makes the bot slow to answer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.flow.catalogue import Catalogue
from bot.messages import ConversationKey
from bot.retry import backoff
from bot.scheduling.audience import user_timezone
from bot.scheduling.compose import Composer, Rendered
from bot.scheduling.deadlines import Deadline, from_spec
from bot.scheduling.rate import SendBudget
from bot.scheduling.timing import QuietHours, in_quiet_hours, next_allowed, zone
from bot.scheduling.transport import (
    Busy,
    SendBlocked,
    SendFailed,
    SendRateLimited,
    SendRejected,
    SendUnauthorized,
    Transport,
)
from bot.storage.models import Broadcast, OutboxItem, User
from bot.storage.store import Store
from bot.storage.tx import Tx

PARTNER_KIND = "partner"
"""Outbox rows carrying a message from one side of a twinning to the other's officials."""
NOTICE_KIND = "notice"
"""Outbox rows telling a person about a decision about them (a role granted or declined)."""
PREPARED_KINDS = frozenset({PARTNER_KIND, NOTICE_KIND})
"""Kinds whose texts are written in advance, one per language (`Composer.prepared`)."""

log = logging.getLogger(__name__)

LEASE = "sender"
MAX_BUSY_WAIT = 2.0  # seconds a bulk message waits for replies in progress, at most


def new_holder() -> str:
    """A name for this sender that no other process (or restart) shares."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def load_deadlines(tx: Tx) -> dict[str, Deadline]:
    """The active deadlines from the database (an unreadable one is logged and left out)."""
    found: dict[str, Deadline] = {}
    for row in await tx.deadline_rows():
        try:
            found[row.id] = from_spec(row.spec)
        except ValueError as exc:
            log.error("deadline %s is not usable: %s", row.id, exc)
    return found


@dataclass
class _Claim:
    """A claimed row, rendered, ready to send."""

    item_id: int
    attempts: int
    key: ConversationKey
    rendered: Rendered
    lite: bool
    user_id: int


@dataclass
class SenderStats:
    """What the sender did since it started (for logs and tests)."""

    sent: int = 0
    failed: int = 0
    blocked: int = 0
    dropped: int = 0
    deferred: int = 0
    retried: int = 0
    rate_limited: int = 0
    interrupted: int = 0
    outcomes: list[tuple[int, str]] = field(default_factory=list)


class Sender:
    """Sends due outbox rows under the leader lease (see the module docstring).

    Args:
        store: the database.
        transport: the channel's sending side.
        composer: renders rows.
        catalogue: for users' default time zones.
        clock: the current time (aware).
        quiet: quiet hours, local to each recipient.
        pacer: the rate limiter (messages per second, per group, 429 pauses).
        sleep: how to wait (tests pass a virtual one).
        lease_ttl: seconds the lease lasts without renewal; another process takes over after.
        max_attempts: transient failures before a row is marked failed.
        retry_base: first retry delay after a transient failure, in seconds (doubles).
        holder: this sender's name in the lease (default: host, pid and a random part).
    """

    def __init__(
        self,
        store: Store,
        transport: Transport,
        composer: Composer,
        catalogue: Catalogue,
        *,
        clock: Callable[[], datetime],
        quiet: QuietHours,
        pacer: SendBudget,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        lease_ttl: float = 30.0,
        max_attempts: int = 8,
        retry_base: float = 5.0,
        holder: str | None = None,
    ) -> None:
        self.store = store
        self.transport = transport
        self.composer = composer
        self.catalogue = catalogue
        self.clock = clock
        self.quiet = quiet
        self.pacer = pacer
        self.sleep = sleep
        self.lease_ttl = timedelta(seconds=lease_ttl)
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.holder = holder or new_holder()
        self.stats = SenderStats()
        self.leading = False
        self._stopping = False
        self._unsettled: list[tuple[int, str, dict[str, Any]]] = []
        self._deadlines: dict[str, Deadline] = {}
        self._blocked_now: set[int] = set()

    def stop(self) -> None:
        """Finish the message in hand, then send nothing more."""
        self._stopping = True

    # --- leadership ------------------------------------------------------------------------------

    async def lead(self) -> bool:
        """Renew the lease, or take it if free; on taking it, resolve interrupted rows."""
        now = self.clock()
        until = now + self.lease_ttl

        async def take(tx: Tx) -> tuple[bool, int, dict[str, Deadline]]:
            if self.leading and await tx.renew_lease(LEASE, self.holder, now, until):
                return True, 0, await load_deadlines(tx)
            if not await tx.take_lease(LEASE, self.holder, now, until):
                return False, 0, {}
            # Just became leader: nobody else may be sending, so a row in `sending` is orphaned.
            return True, await tx.resolve_interrupted(self.holder, now), await load_deadlines(tx)

        was_leading = self.leading
        self.leading, interrupted, self._deadlines = await self.store.run_in_transaction(take)
        if self.leading and not was_leading:
            log.info("sender %s is the leader", self.holder)
        if interrupted:
            self.stats.interrupted += interrupted
            log.warning(
                "messages being sent when the previous sender stopped, marked unknown "
                "(not sent again): %d",
                interrupted,
            )
        return self.leading

    async def release(self) -> None:
        """Give the lease up (a clean shutdown lets another process take over at once)."""
        if not self.leading:
            return
        now = self.clock()

        async def release(tx: Tx) -> None:
            await tx.release_lease(LEASE, self.holder, now)

        await self.store.run_in_transaction(release)
        self.leading = False

    # --- the loop ------------------------------------------------------------------------------

    async def run_once(self, *, batch: int = 100) -> int:
        """Send every row due now, if this process leads; returns how many went out."""
        await self._settle_leftovers()
        if self._stopping or not await self.lead():
            return 0
        sent_before = self.stats.sent
        renewed = self.clock()
        self._blocked_now.clear()
        while not self._stopping:
            rows, broadcasts = await self.store.run_in_transaction(
                lambda tx: self._due(tx, self.clock(), batch), readonly=True
            )
            if not rows:
                break
            for item, user in rows:
                if self._stopping:
                    break
                await self._wait_for_replies()
                # The rate wait comes before the claim: nothing waits in `sending`.
                chat = user.external_id
                await self.pacer.acquire(
                    int(chat) if chat.lstrip("-").isdigit() else None, bulk=True
                )
                if self.clock() - renewed >= self.lease_ttl / 3:
                    if not await self.lead():
                        return self.stats.sent - sent_before
                    renewed = self.clock()
                if not await self._process(item, user, broadcasts):
                    return self.stats.sent - sent_before  # lost the lease
                await asyncio.sleep(0)  # let conversations run between two bulk messages
        return self.stats.sent - sent_before

    async def _due(
        self, tx: Tx, now: datetime, batch: int
    ) -> tuple[list[tuple[OutboxItem, User]], dict[int, Broadcast]]:
        rows = await tx.due_outbox(now, batch)
        broadcasts = await tx.broadcasts_by_id(i.broadcast_id for i, _ in rows if i.broadcast_id)
        return rows, broadcasts

    async def _wait_for_replies(self) -> None:
        if not isinstance(self.transport, Busy):
            return
        waited = 0.0
        while self.transport.busy() and waited < MAX_BUSY_WAIT:
            await self.sleep(0.05)
            waited += 0.05

    async def _process(
        self, item: OutboxItem, user: User, broadcasts: dict[int, Broadcast]
    ) -> bool:
        """Claim, send and settle one row; False when the lease was lost."""
        now = self.clock()
        if user.id in self._blocked_now:  # the batch was read before this user's 403
            user.blocked = True
        verdict = self._verdict(item, user, broadcasts.get(item.broadcast_id or 0), now)
        claim = await self.store.run_in_transaction(
            lambda tx: self._claim(tx, item, user, verdict, now)
        )
        if claim is None:
            return False
        if not isinstance(claim, _Claim):
            return True
        status, details = await self._send(claim)
        if status == "blocked":
            self._blocked_now.add(claim.user_id)
        await self._settle(claim.item_id, status, details)
        return True

    # --- claim ---------------------------------------------------------------------------------

    async def _claim(
        self,
        tx: Tx,
        item: OutboxItem,
        user: User,
        verdict: Rendered | tuple[str, str, datetime | None],
        now: datetime,
    ) -> _Claim | bool | None:
        """None: lease lost; False: nothing to send now; a `_Claim`: committed as sending."""
        if not isinstance(verdict, tuple):
            verdict = await self._still_wanted(tx, item, user) or verdict
        if isinstance(verdict, tuple):
            status, reason, retry_at = verdict
            await tx.set_outbox_status(item.id, status, error=reason, retry_at=retry_at)
            if status != "pending":  # a deferral (quiet hours) is no outcome yet
                self._count(item.id, status)
            return False
        if not await tx.claim_outbox_item(item.id, LEASE, self.holder, now):
            if not await tx.holds_lease(LEASE, self.holder, now):
                self.leading = False
                return None
            return False  # someone finished the row meanwhile (a coordinator's cancel…)
        return _Claim(
            item.id,
            item.attempts + 1,
            ConversationKey(user.channel, user.external_id),
            verdict,
            bool(user.lite),
            user.id,
        )

    async def _still_wanted(
        self, tx: Tx, item: OutboxItem, user: User
    ) -> tuple[str, str, datetime | None] | None:
        """The checks that need the database, made in the claim's transaction."""
        if item.kind in {"reminder", "snooze"}:
            scope = f"m:{user.municipality_id}" if user.municipality_id else f"u:{user.id}"
            deadline = str(item.payload.get("deadline"))
            if await tx.done_mark(deadline, str(item.payload.get("occurrence")), scope):
                return "dropped", "already marked done", None
        elif item.kind == "nudge":
            run = await tx.run(int(item.payload.get("run_id", 0)))
            waiting = run.waiting_since.isoformat() if run and run.waiting_since else None
            moved_on = waiting != item.payload.get("waiting_since")
            if run is None or run.status != "active" or moved_on:
                return "dropped", "the run moved on", None
        return None

    def _verdict(
        self, item: OutboxItem, user: User, broadcast: Broadcast | None, now: datetime
    ) -> Rendered | tuple[str, str, datetime | None]:
        """The message to send, or why not: ``(status, reason, retry_at)``."""
        if user.blocked:
            return "blocked", "the user blocked the bot", None
        if user.opted_out:
            return "dropped", "the user stopped messages", None
        if item.expires_at is not None and item.expires_at <= now:
            return "dropped", "no longer useful", None
        tz_name = user_timezone(user, self.catalogue)
        ignore_quiet = False
        if item.kind in {"reminder", "snooze"}:
            deadline = self._deadlines.get(str(item.payload.get("deadline")))
            if deadline is None:
                return "dropped", "the deadline was removed", None
            due = date.fromisoformat(str(item.payload["due"]))
            rendered = self.composer.reminder(item, user, deadline, due, tz_name, now)
        elif item.kind == "nudge":
            rendered = self.composer.nudge(item, user)
        elif item.kind == "broadcast":
            if broadcast is None or broadcast.status == "cancelled":
                return "dropped", "the broadcast was cancelled", None
            ignore_quiet = broadcast.ignore_quiet
            rendered = self.composer.broadcast(broadcast, user)
        elif item.kind in PREPARED_KINDS:
            rendered = self.composer.prepared(item, user)
        else:
            return "failed", f"unknown kind {item.kind!r}", None
        if not ignore_quiet and in_quiet_hours(now.astimezone(zone(tz_name)).hour, self.quiet):
            self.stats.deferred += 1
            return "pending", "quiet hours", next_allowed(now, zone(tz_name), self.quiet)
        return rendered

    # --- send and settle -------------------------------------------------------------------------

    async def _send(self, claim: _Claim) -> tuple[str, dict[str, Any]]:
        """Call the transport; the row's outcome and how to record it."""
        now = self.clock
        try:
            await self.transport.send(
                claim.key, claim.rendered.text, claim.rendered.buttons, lite=claim.lite
            )
        except SendBlocked:
            return "blocked", {"error": "403: the user blocked the bot", "user_id": claim.user_id}
        except SendRateLimited as exc:
            # A 401 holds bulk sends only: replies retry on their own and must not wait.
            self.pacer.pause(exc.retry_after, bulk_only=isinstance(exc, SendUnauthorized))
            self.stats.rate_limited += 1
            retry_at = now() + timedelta(seconds=exc.retry_after)
            return "pending", {"error": str(exc), "retry_at": retry_at, "attempts_delta": -1}
        except SendRejected as exc:
            return "failed", {"error": f"rejected: {exc.reason}"}
        except Exception as exc:  # SendFailed, or a transport bug: both are worth a retry
            if not isinstance(exc, SendFailed):
                log.exception("transport failed unexpectedly")
            reason = f"{type(exc).__name__}: {exc}"
            if claim.attempts >= self.max_attempts:
                return "failed", {"error": f"gave up after {claim.attempts} attempts: {reason}"}
            delay = backoff(claim.attempts - 1, self.retry_base, cap=600.0)
            return "pending", {"error": reason, "retry_at": now() + timedelta(seconds=delay)}
        return "sent", {}

    async def _settle(self, item_id: int, status: str, details: dict[str, Any]) -> None:
        """Record a send's outcome at once; kept in memory and retried if the database fails."""
        try:
            await self.store.run_in_transaction(
                lambda tx: self._record(tx, item_id, status, details)
            )
        except Exception:
            log.exception("could not record the outcome of outbox row %d; will retry", item_id)
            self._unsettled.append((item_id, status, details))
            return
        self._count(item_id, status)

    async def _record(self, tx: Tx, item_id: int, status: str, details: dict[str, Any]) -> None:
        ours = await tx.settle_outbox_item(
            item_id,
            self.holder,
            status,
            now=self.clock(),
            error=details.get("error"),
            retry_at=details.get("retry_at"),
            attempts_delta=details.get("attempts_delta", 0),
        )
        if ours and status == "blocked" and details.get("user_id"):
            user = await tx.user(int(details["user_id"]))
            if user is not None:
                await tx.update_user(user, blocked=True)

    async def _settle_leftovers(self) -> None:
        leftovers, self._unsettled = self._unsettled, []
        for item_id, status, details in leftovers:
            await self._settle(item_id, status, details)

    def _count(self, item_id: int, status: str) -> None:
        stats = self.stats
        if status == "pending":
            stats.retried += 1
            return
        stats.outcomes.append((item_id, status))
        if status in {"sent", "failed", "blocked", "dropped"}:
            setattr(stats, status, getattr(stats, status) + 1)


__all__ = [
    "LEASE",
    "NOTICE_KIND",
    "PARTNER_KIND",
    "PREPARED_KINDS",
    "Sender",
    "SenderStats",
    "load_deadlines",
    "new_holder",
]

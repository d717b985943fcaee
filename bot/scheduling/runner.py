"""The scheduler `sdgbot run` starts: APScheduler wakes the planner and the sender.

One APScheduler job: if this process holds (or can take) the sender's lease, queue due
broadcasts, plan reminders and nudges (once a minute), forget finished rows older than the
retention period (once a day; reminder rows are kept as the record), and send what is due.
After each round the job is set to run again when the next thing is due — the earliest pending
outbox row (a reminder at 09:00 local time, a retry after a failure), the next scheduled
broadcast, the next planning round — and at once when `wake` is called (a broadcast confirmed,
rows written by this process). A heartbeat (`send_every`, 5 s) bounds the wait: it renews the
lease well within its 30 s and notices rows another process wrote. Every process runs the
job; only the leader acts, and when it dies another takes over once the lease expires.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings
from bot.flow.catalogue import Catalogue
from bot.flow_library import FlowLibrary
from bot.i18n import Localized
from bot.scheduling.compose import Composer
from bot.scheduling.planner import Planner, seed_deadlines
from bot.scheduling.rate import Pacer, SendBudget
from bot.scheduling.sender import Sender
from bot.scheduling.transport import Transport
from bot.storage.store import Store
from bot.storage.tx import Tx

log = logging.getLogger(__name__)

SEND_EVERY = 5.0  # at most this many seconds between two rounds (lease, other processes' rows)
SOONEST = 0.2  # seconds: a round never follows the previous one closer than this
PLAN_EVERY = 60.0  # seconds between two planning rounds

_HANDLES: set[SchedulerHandle] = set()

Retention = Callable[[Store, datetime, int], Awaitable[int]]
"""A daily privacy job: erase what is older than the retention period (days); returns a count."""


class ServiceParts(Protocol):
    """What the scheduler uses of the conversation service: its database, content and clock."""

    store: Store
    catalogue: Catalogue
    flows: FlowLibrary
    clock: Callable[[], datetime]


def flow_titles(service: ServiceParts) -> dict[str, Localized]:
    """Flow id → title, for nudges and "Start now" buttons."""
    return {flow_id: flow.title.source for flow_id, flow in service.flows.flows.items()}


def build_sender(
    service: ServiceParts,
    transport: Transport,
    settings: Settings,
    *,
    pacer: SendBudget | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    lease_ttl: float = 30.0,
    retry_base: float = 5.0,
) -> Sender:
    """A `Sender` for the service's database, content and clock."""
    composer = Composer(service.catalogue.messages, settings.default_language, flow_titles(service))
    return Sender(
        service.store,
        transport,
        composer,
        service.catalogue,
        clock=service.clock,
        quiet=settings.quiet_hours,
        pacer=pacer or Pacer(settings.send_rate),
        sleep=sleep,
        lease_ttl=lease_ttl,
        retry_base=retry_base,
    )


def build_planner(service: ServiceParts, settings: Settings) -> Planner:
    """A `Planner` for the service's database, content and clock."""
    return Planner(
        service.store, service.catalogue, clock=service.clock, quiet=settings.quiet_hours
    )


class SchedulerHandle:
    """A running scheduler: `wake` it, `stop` it."""

    def __init__(
        self,
        scheduler: AsyncIOScheduler,
        sender: Sender,
        planner: Planner,
        clock: Callable[[], datetime],
        plan_every: float,
        keep_outbox: timedelta = timedelta(days=180),
        retention: Retention | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.sender = sender
        self.planner = planner
        self.clock = clock
        self.plan_every = timedelta(seconds=plan_every)
        self.keep_outbox = keep_outbox
        self.retention = retention
        self._last_plan: datetime | None = None
        self._last_prune: datetime | None = None
        self._tick_lock = asyncio.Lock()
        self._again = False
        self._plan_now = False
        self._stopped = False

    async def tick(self) -> None:
        """Plan (once a minute) and send what is due, if this process leads."""
        if self._tick_lock.locked():
            self._again = True  # a tick is running: make it go round once more
            return
        async with self._tick_lock:
            self._again = True
            while self._again and not self._stopped:
                self._again = False
                try:
                    await self._round()
                except Exception:  # the scheduler must survive a bad round (database down…)
                    log.exception("scheduler round failed; trying again at the next tick")
            if not self._stopped:
                await self._sleep_until_due()

    async def _sleep_until_due(self) -> None:
        """Set the job's next run to when the next thing is due (the heartbeat at the latest)."""
        job = self.scheduler.get_job("tick")
        if job is None or job.next_run_time is None:
            return
        try:
            due = await self.planner.store.run_in_transaction(self._next_due, readonly=True)
        except Exception:  # the heartbeat comes anyway
            log.exception("could not read when the next message is due")
            return
        if self.sender.leading and self._last_plan is not None:
            due = min(filter(None, (due, self._last_plan + self.plan_every)))
        if due is None:
            return
        wall = datetime.now(UTC)
        soonest = wall + timedelta(seconds=SOONEST)
        # The clock may be virtual (tests): translate "in how long" rather than the moment.
        at = max(soonest, wall + (due - self.clock()))
        if at < job.next_run_time:
            job.modify(next_run_time=at)

    @staticmethod
    async def _next_due(tx: Tx) -> datetime | None:
        moments = [m for m in (await tx.next_due_at(), await tx.next_broadcast_at()) if m]
        return min(moments, default=None)

    async def _round(self) -> None:
        if not await self.sender.lead():
            return
        now = self.clock()
        store = self.planner.store
        # Due broadcasts at every tick (one cheap query): a confirmed one starts within seconds.
        added = await store.run_in_transaction(lambda tx: self.planner.expand_broadcasts(tx, now),
                                               bulk=True)  # fmt: skip
        if self._plan_now or self._last_plan is None or now - self._last_plan >= self.plan_every:
            self._plan_now = False
            self._last_plan = now
            added += await self.planner.run_once()
        if added:
            log.info("messages planned: %d", added)
        if self._last_prune is None or now - self._last_prune >= timedelta(days=1):
            self._last_prune = now
            pruned = await store.run_in_transaction(
                lambda tx: tx.forget_outbox(now - self.keep_outbox), bulk=True
            )
            if pruned:
                log.info("finished outbox rows forgotten: %d", pruned)
            # Unfinished runs older than the retention period are erased (privacy), daily.
            erased = (
                await self.retention(store, now, self.keep_outbox.days)
                if self.retention is not None
                else 0
            )
            if erased:
                log.info("unfinished runs erased past the retention period: %d", erased)
        await self.sender.run_once()

    def wake(self) -> None:
        """Plan and look at the outbox now (a broadcast was confirmed, rows were written)."""
        if self._stopped:
            return
        self._plan_now = True
        if self._tick_lock.locked():
            self._again = True
            return
        job = self.scheduler.get_job("tick")
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))

    async def stop(self) -> None:
        """Stop after the message in hand; give the lease up so another process takes over."""
        if self._stopped:
            return
        self._stopped = True
        _HANDLES.discard(self)
        self.sender.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        async with self._tick_lock:  # wait for a round in progress to finish
            pass
        try:
            await self.sender.release()
        except Exception:
            log.exception("could not release the sender's lease (it will expire)")


def wake() -> None:
    """Wake every scheduler of this process (called after writing outbox rows or broadcasts)."""
    for handle in list(_HANDLES):
        handle.wake()


async def start_scheduler(
    service: ServiceParts,
    transport: Transport,
    settings: Settings,
    *,
    send_every: float = SEND_EVERY,
    plan_every: float = PLAN_EVERY,
    pacer: SendBudget | None = None,
    retention: Retention | None = None,
) -> SchedulerHandle:
    """Start planning and sending in the running event loop.

    Args:
        service: the conversation service (database, content, flows, clock).
        transport: the channel's sending side (see `bot.scheduling.transport.Transport`).
        settings: send rate and quiet hours.
        send_every: seconds between two looks at the outbox.
        plan_every: seconds between two planning rounds.
        pacer: the send budget the channel's replies use too (`bot.scheduling.rate`), so
            that bulk and replies share Telegram's one limit; default: one for bulk alone.
        retention: the daily privacy job (`bot.programme.privacy.erase_stale_runs`), given by
            the caller because it belongs to a layer above scheduling.

    Returns:
        The handle; ``await handle.stop()`` before closing the service.
    """
    await seed_deadlines(service.store, service.clock())
    sender = build_sender(service, transport, settings, pacer=pacer)
    planner = build_planner(service, settings)
    scheduler = AsyncIOScheduler(timezone=UTC)
    handle = SchedulerHandle(
        scheduler,
        sender,
        planner,
        service.clock,
        plan_every,
        keep_outbox=timedelta(days=settings.retention_days),
        retention=retention,
    )
    # Two instances: a tick firing during a long round only asks that round to go on.
    scheduler.add_job(
        handle.tick,
        IntervalTrigger(seconds=send_every),
        id="tick",
        max_instances=2,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    _HANDLES.add(handle)
    log.info(
        "scheduler started (send rate %s/s, quiet hours %02d–%02d)",
        settings.send_rate or "unlimited",
        *settings.quiet_hours,
    )
    return handle


__all__ = [
    "SchedulerHandle",
    "build_planner",
    "build_sender",
    "flow_titles",
    "start_scheduler",
    "wake",
]

"""Fixtures for the scheduler: virtual time, a fake transport, users in bulk, senders.

Virtual time: one object is the service's clock (aware datetimes), the pacer's monotonic clock
and the sender's sleep; sleeping advances it at once, so a rate of 25 messages per second over
300 recipients takes 12 virtual seconds and a few real milliseconds.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import Settings
from bot.conversation.conversations import Conversations
from bot.messages import ConversationKey
from bot.programme.seeding import seed_content
from bot.scheduling.rate import Pacer
from bot.scheduling.runner import build_planner, build_sender
from bot.scheduling.sender import Sender
from bot.scheduling.transport import Buttons, SendError
from bot.storage import Store
from bot.storage.tx import Tx
from tests.conversation.conftest import make_service

# A Monday in spring, 10:00 UTC = 12:00 in Brussels (CEST), 06:00 in La Paz.
START = datetime(2027, 4, 12, 10, 0, tzinfo=UTC)


@dataclass
class VirtualTime:
    """The service clock, the pacer's monotonic clock and the sender's sleep, in one."""

    start: datetime = START
    offset: float = 0.0
    slept: float = 0.0
    mono: float = 0.0  # never goes back, even when a test sets the wall clock back

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=self.offset)

    @property
    def now(self) -> datetime:
        return self()

    def monotonic(self) -> float:
        return self.mono

    async def sleep(self, seconds: float) -> None:
        self._move(max(0.0, seconds))
        self.slept += max(0.0, seconds)
        await asyncio.sleep(0)

    def advance(self, **delta: float) -> None:
        self._move(timedelta(**delta).total_seconds())

    def set(self, moment: datetime) -> None:
        self._move((moment - self.start).total_seconds() - self.offset)

    def _move(self, seconds: float) -> None:
        self.offset += seconds
        self.mono += max(0.0, seconds)


@dataclass
class Delivery:
    key: ConversationKey
    text: str
    buttons: Buttons | None
    lite: bool
    at: float


@dataclass
class FakeTransport:
    """Records what is sent; raises scripted errors (`fail`) before delivering anything."""

    time: VirtualTime | None = None
    sent: list[Delivery] = field(default_factory=list)
    faults: list[SendError] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    attempts: int = 0
    busy_until: float = -1.0

    def fail(self, *errors: SendError) -> None:
        self.faults.extend(errors)

    async def send(
        self, key: ConversationKey, text: str, buttons: Buttons | None, *, lite: bool
    ) -> None:
        self.attempts += 1
        if self.faults:
            raise self.faults.pop(0)
        if key.external_id in self.blocked:
            from bot.scheduling.transport import SendBlocked

            raise SendBlocked()
        self.sent.append(Delivery(key, text, buttons, lite, self.time.mono if self.time else 0))

    def busy(self) -> bool:
        return self.time is not None and self.time.mono < self.busy_until

    def counts(self) -> Counter[str]:
        return Counter(d.key.external_id for d in self.sent)

    def to(self, external_id: str) -> list[Delivery]:
        return [d for d in self.sent if d.key.external_id == external_id]


@pytest.fixture
def vtime() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
async def service(store: Store, vtime: VirtualTime) -> AsyncIterator[Conversations]:
    """The service on an empty database (no municipalities: seeding costs seconds)."""
    yield make_service(store, vtime)  # type: ignore[arg-type]


@pytest.fixture
async def seeded(store: Store, service: Conversations) -> Conversations:
    """The service with the shipped municipalities and twinnings."""
    await seed_content(store)
    return service


def settings(rate: float = 25.0, quiet: tuple[int, int] = (21, 8)) -> Settings:
    return Settings(send_rate=rate, quiet_hours=quiet)


def sender_for(
    service: Conversations,
    transport: Any,
    vtime: VirtualTime,
    *,
    rate: float = 25.0,
    quiet: tuple[int, int] = (21, 8),
    lease_ttl: float = 30.0,
    retry_base: float = 5.0,
) -> Sender:
    pacer = Pacer(rate, clock=vtime.monotonic, sleep=vtime.sleep)
    return build_sender(
        service,
        transport,
        settings(rate, quiet),
        pacer=pacer,
        sleep=vtime.sleep,
        lease_ttl=lease_ttl,
        retry_base=retry_base,
    )


def planner_for(service: Conversations, quiet: tuple[int, int] = (21, 8)) -> Any:
    return build_planner(service, settings(quiet=quiet))


async def add_users(
    store: Store, count: int, *, start: int = 1, channel: str = "telegram", **fields: Any
) -> list[int]:
    """Create `count` users with external ids start…; returns their database ids."""

    async def make(tx: Tx) -> list[int]:
        ids = []
        for n in range(start, start + count):
            user = await tx.get_or_create_user(channel, str(n), **fields)
            ids.append(user.id)
        return ids

    return await store.run_in_transaction(make)


async def municipality_id(store: Store, name: str, country: str) -> int:
    async def find(tx: Tx) -> int:
        found = await tx.municipality_named(name, country)
        assert found is not None, name
        return found.id

    return await store.run_in_transaction(find)


async def outbox(store: Store, **filters: Any) -> list[Any]:
    async with store.transaction(readonly=True) as tx:
        return list(await tx.outbox_items(**filters))


def statuses(rows: Iterable[Any]) -> Counter[str]:
    return Counter(row.status for row in rows)

from __future__ import annotations

import asyncio

from bot.retry import backoff
from bot.scheduling.rate import Limits, SendBudget


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_private_chat_bursts_then_one_per_second() -> None:
    clock = FakeClock()
    limiter = SendBudget(Limits(per_second=30), clock=clock, sleep=clock.sleep)
    for _ in range(4):
        await limiter.acquire(7)
    assert clock.now < 100.11  # a burst of four, only spaced at the overall rate
    await limiter.acquire(7)
    assert 100.9 < clock.now < 101.1
    await limiter.acquire(8)  # another chat is not held up
    assert 100.9 < clock.now < 101.15


async def test_groups_get_twenty_per_sliding_minute() -> None:
    clock = FakeClock()
    limiter = SendBudget(Limits(per_second=30), clock=clock, sleep=clock.sleep)
    for i in range(20):
        await limiter.acquire(-5)
        clock.now += 1.0 if i < 19 else 0.0
    start = clock.now
    await limiter.acquire(-5)
    # the 21st waits until the first of the window is a minute old
    assert clock.now - start >= 60.0 - 19.0 - 0.01


async def test_overall_rate_is_even_spacing_and_pauses() -> None:
    clock = FakeClock()
    limits = Limits(per_second=25, private_per_second=0)
    limiter = SendBudget(limits, clock=clock, sleep=clock.sleep)
    for chat in range(26):
        await limiter.acquire(chat + 1)
    # one slot every 40 ms, no burst: the 26th message goes out one second after the first
    assert abs(clock.now - 101.0) < 1e-6
    limiter.pause(3, 99)
    before = clock.now
    await limiter.acquire(99)
    assert clock.now - before >= 3.0
    before = clock.now
    await limiter.acquire(98)  # a 429 for one chat does not hold the others
    assert clock.now - before <= 0.04 + 1e-6


async def test_replies_go_before_bulk() -> None:
    """Queued replies reserve the next slots; a bulk send takes only a slot free now."""
    clock = FakeClock()
    limiter = SendBudget(Limits(per_second=10, private_per_second=0), clock=clock,
                         sleep=clock.sleep)  # fmt: skip
    order: list[str] = []

    async def reply(n: int) -> None:
        await limiter.acquire(n)
        order.append(f"reply {n}")

    async def bulk() -> None:
        await asyncio.sleep(0)  # the replies queue first
        await limiter.acquire(500, bulk=True)
        order.append("bulk")

    await asyncio.gather(bulk(), *(reply(n) for n in range(1, 6)))
    assert order[-1] == "bulk"


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(i, 0.5, 3) for i in range(5)] == [0.5, 1.0, 2.0, 3, 3]


async def test_a_long_running_bot_forgets_idle_chats() -> None:
    clock = FakeClock()
    limiter = SendBudget(Limits(per_second=0), clock=clock, sleep=clock.sleep)
    for chat in range(1, 20_001):
        await limiter.acquire(chat)
        clock.now += 0.001
    assert len(limiter._private) <= 10_001  # chats whose bucket is full again are forgotten


async def test_a_bulk_only_pause_holds_bulk_and_not_replies() -> None:
    clock = FakeClock()
    limiter = SendBudget(Limits(per_second=10, private_per_second=0), clock=clock,
                         sleep=clock.sleep)  # fmt: skip
    limiter.pause(30, bulk_only=True)  # the token refused while sending a broadcast
    await limiter.acquire(5)
    assert clock.now == 100.0
    await limiter.acquire(6, bulk=True)
    assert clock.now >= 130.0

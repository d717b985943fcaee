from __future__ import annotations

from bot.channels.sending import Limits, SendLimiter, backoff


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
    limiter = SendLimiter(Limits(per_second=30), clock=clock, sleep=clock.sleep)
    for _ in range(4):
        await limiter.acquire(7)
    assert clock.now == 100.0
    await limiter.acquire(7)
    assert 100.9 < clock.now < 101.1
    await limiter.acquire(8)  # another chat is not held up
    assert 100.9 < clock.now < 101.1


async def test_groups_get_twenty_per_sliding_minute() -> None:
    clock = FakeClock()
    limiter = SendLimiter(Limits(per_second=30), clock=clock, sleep=clock.sleep)
    for i in range(20):
        await limiter.acquire(-5)
        clock.now += 1.0 if i < 19 else 0.0
    start = clock.now
    await limiter.acquire(-5)
    # the 21st waits until the first of the window is a minute old
    assert clock.now - start >= 60.0 - 19.0 - 0.01


async def test_overall_rate_and_pauses() -> None:
    clock = FakeClock()
    limits = Limits(per_second=25, private_per_second=0)
    limiter = SendLimiter(limits, clock=clock, sleep=clock.sleep)
    for chat in range(25):
        await limiter.acquire(chat + 1)
    assert clock.now == 100.0
    await limiter.acquire(99)
    assert clock.now >= 101.0
    limiter.pause(99, 3)
    before = clock.now
    await limiter.acquire(99)
    assert clock.now - before >= 3.0
    before = clock.now
    await limiter.acquire(98)  # a 429 for one chat does not hold the others
    assert clock.now == before


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(i, 0.5, 3) for i in range(5)] == [0.5, 1.0, 2.0, 3, 3]


async def test_without_an_overall_limit_nothing_is_kept_per_message() -> None:
    limiter = SendLimiter(Limits(per_second=0, private_per_second=0))
    for chat in range(1, 2001):
        await limiter.acquire(chat)
    assert len(limiter._recent) == 0  # a long-running bot with SDGBOT_SEND_RATE=0 stays small

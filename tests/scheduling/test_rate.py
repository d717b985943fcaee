"""The pacer: even spacing at the global rate, 20 a minute per group, pauses after a 429."""

from __future__ import annotations

from bot.scheduling.rate import Pacer
from tests.scheduling.conftest import VirtualTime


def pacer(time: VirtualTime, rate: float, **kwargs: int) -> Pacer:
    return Pacer(rate, clock=time.monotonic, sleep=time.sleep, **kwargs)


async def test_messages_are_spaced_evenly_at_the_rate() -> None:
    time = VirtualTime()
    pace = pacer(time, 4)
    stamps = []
    for _ in range(9):
        await pace.acquire(7)
        stamps.append(time.mono)
    assert stamps == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]


async def test_zero_means_no_limit() -> None:
    time = VirtualTime()
    pace = pacer(time, 0)
    for _ in range(1000):
        await pace.acquire(7)
    assert time.mono == 0.0


async def test_at_most_twenty_a_minute_into_one_group() -> None:
    time = VirtualTime()
    pace = pacer(time, 0)
    stamps = []
    for _ in range(45):
        await pace.acquire(-100)
        stamps.append(time.mono)
    assert stamps[19] == 0.0 and stamps[20] == 60.0 and stamps[40] == 120.0
    await pace.acquire(-200)  # another group is not held back
    await pace.acquire(5)
    assert time.mono == 120.0


async def test_a_pause_holds_every_chat() -> None:
    time = VirtualTime()
    pace = pacer(time, 0)
    pace.pause(7.5)
    assert pace.paused_for() == 7.5
    await pace.acquire(1)
    assert time.mono == 7.5
    assert pace.paused_for() == 0.0

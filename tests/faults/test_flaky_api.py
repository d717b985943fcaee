"""A Bot API that answers 10% of sends with 500, 429 (retry_after) or never: nothing is lost.

Thirty people go through onboarding and the post-2030 check at once while the fake Bot API
fails a tenth of sendMessage/editMessageText calls at random (seeded). Every person must
finish without having to nudge the bot (unless the bot itself told them a message could not be
shown), see no question twice, and find every acknowledged answer stored exactly once.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.fakes.bot_api import FakeBotApi
from tests.faults.bots import InProcessBot
from tests.faults.checks import problems, stored_by_user
from tests.faults.people import Person

PEOPLE = 30


@pytest.mark.slow
async def test_a_flaky_bot_api_loses_and_repeats_nothing(
    api: FakeBotApi, database_url: str
) -> None:
    api.fault_rate(0.10, ("429", "500", "timeout"), seed=7)
    bot = InProcessBot(api, database_url, timeout=1.0)
    await bot.start()
    try:
        # Patience well above the worst retry chain (4 timeouts of 1 s, 429s of 1 s each).
        people = [Person(api, 7000 + n, taps=n % 2 == 0, patience=15) for n in range(PEOPLE)]
        deadline = asyncio.get_running_loop().time() + 120
        await asyncio.gather(*(person.run(deadline) for person in people))
    finally:
        await bot.stop()
    # The faults really happened, of each kind.
    assert api.stats.count(status=500) >= 5
    assert api.stats.count(status=429) >= 5
    assert api.stats.timeouts >= 5
    found = problems(people, await stored_by_user(database_url), nudges_need_notice=True)
    assert not found, "\n".join(found)

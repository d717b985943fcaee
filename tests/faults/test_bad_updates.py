"""Storms of re-delivered updates, and updates with missing or unexpected fields.

Telegram re-delivers every update it has no confirmation for (after a crash, a timeout, a
webhook retry), sometimes many times. Each must be handled once: no second answer, no second
message. And an update the bot cannot read must be logged and skipped — one broken update may
never stop the bot from serving everyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any

import pytest

from bot.flow.state import TextInput
from bot.service.messages import Command, ConversationKey, Incoming
from tests.fakes.bot_api import FakeBotApi
from tests.faults.bots import InProcessBot
from tests.faults.checks import problems, stored_by_user
from tests.faults.people import Person
from tests.faults.service_people import Caller, Desk


async def _storm(api: FakeBotApi, people: list[Person], seed: int) -> int:
    """Re-deliver random updates people already sent, until cancelled; returns how many."""
    rng = random.Random(seed)
    count = 0
    while True:
        await asyncio.sleep(0.02)
        sent = [update for person in people for update in person.updates]
        for update_id in rng.sample(sent, min(len(sent), 5)):
            api.redeliver(update_id)
            count += 1


@pytest.mark.slow
async def test_a_storm_of_redelivered_updates_changes_nothing(
    api: FakeBotApi, database_url: str
) -> None:
    bot = InProcessBot(api, database_url)
    await bot.start()
    people = [Person(api, 8000 + n, taps=n % 2 == 1, patience=10) for n in range(12)]
    storm = asyncio.create_task(_storm(api, people, seed=3))
    try:
        deadline = asyncio.get_running_loop().time() + 90
        await asyncio.gather(*(person.run(deadline) for person in people))
    finally:
        storm.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await storm
        await bot.stop()
    redelivered = sum(len(person.updates) for person in people)
    assert redelivered > 100  # the storm really blew
    # nudges_need_notice: with no send failures, nobody may have had to nudge at all.
    found = problems(people, await stored_by_user(database_url), nudges_need_notice=True)
    assert not found, "\n".join(found)


def _broken_updates(user_id: int) -> list[dict[str, Any]]:
    """Updates a bot may receive from a newer or buggy Bot API (PTB cannot parse most)."""
    chat = {"id": user_id, "type": "private", "first_name": "X"}
    sender = {"id": user_id, "is_bot": False, "first_name": "X"}
    return [
        {"message": {"message_id": 1, "chat": chat, "from": sender, "text": "no date"}},
        {
            "message": {
                "message_id": 2,
                "date": 0,
                "chat": chat,
                "from": {"id": user_id, "is_bot": False},
                "text": "a sender without a first name",
            }
        },
        {
            "message": {
                "message_id": 3,
                "date": "yesterday",
                "chat": chat,
                "from": sender,
                "text": "a date that is not a number",
            }
        },
        {"message": [1, 2, 3]},
        {
            "message": {
                "message_id": 4,
                "date": 0,
                "chat": chat,
                "from": sender,
                "text": "/start",
                "entities": [{"type": "bot_command"}],
            }
        },
        {"callback_query": {"id": "77", "chat_instance": "1", "data": "q:1:1:fr"}},
        {"message": {"message_id": 5, "date": 0, "chat": chat, "text": "no sender"}},
        {
            "message": {
                "message_id": 6,
                "date": 0,
                "chat": chat,
                "from": sender,
                "text": "hi",
                "field_from_bot_api_99": {"nested": [1, {"x": None}]},
            }
        },
        {"future_update_kind": {"id": 1}},
        {"message": None},
    ]


@pytest.mark.slow
async def test_broken_updates_are_skipped_and_others_still_served(
    api: FakeBotApi, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot = InProcessBot(api, database_url)
    await bot.start()
    people = [Person(api, 8100 + n, taps=n == 0, patience=10) for n in range(3)]

    async def sabotage() -> None:
        for broken in _broken_updates(8199):
            await asyncio.sleep(0.3)
            api.push_update(broken)

    try:
        deadline = asyncio.get_running_loop().time() + 60
        await asyncio.gather(sabotage(), *(person.run(deadline) for person in people))
    finally:
        await bot.stop()
    found = problems(people, await stored_by_user(database_url), nudges_need_notice=True)
    assert not found, "\n".join(found)
    polls = api.stats.calls["getUpdates"]
    assert polls < 200, f"{polls} getUpdates calls: the bot is stuck re-reading a broken batch"


async def test_one_update_handled_many_times_at_once_counts_once(database_url: str) -> None:
    """The same update id, handled 20 times concurrently (webhook retries): one answer."""
    desk = Desk(database_url)
    await desk.open()
    try:
        caller = Caller(desk, "storm")
        await caller.send(Command("start"))
        key = ConversationKey("test", "storm")
        same = Incoming(key, TextInput("1"), update_id=424242, name="Ana", language_code="fr")
        replies = await asyncio.gather(*(desk.handle(same) for _ in range(20)))
        answered = [r for r in replies if r is not None and not r.duplicate]
        assert len(answered) == 1 and all(r is not None for r in replies)
        stored = await stored_by_user(database_url, channel="test")
        assert stored["storm"].answers[("onboarding", "language")] == ["Français"]
    finally:
        await desk.close()

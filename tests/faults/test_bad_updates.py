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

from bot.flow.events import AnswerRecorded, QuestionAsked
from bot.flow.state import TextInput
from bot.messages import Command, ConversationKey, Incoming
from tests.fakes.bot_api import FakeBotApi
from tests.faults.bots import InProcessBot
from tests.faults.checks import problems, stored_by_user
from tests.faults.people import Person
from tests.faults.service_people import Caller, Desk


async def _storm(api: FakeBotApi, people: list[Person], seed: int, done: list[int]) -> None:
    """For every update people send, re-deliver two random ones they sent (until cancelled).

    Tied to their pace rather than to the clock, so the storm is as strong on a slow CI
    machine as on a fast one, without ever burying the bot: the newest update, possibly being
    handled at that very moment, is among the candidates.
    """
    rng = random.Random(seed)
    seen = 0
    while True:
        await asyncio.sleep(0.02)
        sent = [update for person in people for update in person.updates]
        for update_id in rng.choices(sent, k=2 * (len(sent) - seen)) if sent else []:
            api.redeliver(update_id)
            done.append(update_id)
        seen = len(sent)


@pytest.mark.slow
async def test_a_storm_of_redelivered_updates_changes_nothing(
    api: FakeBotApi, database_url: str
) -> None:
    bot = InProcessBot(api, database_url)
    await bot.start()
    people = [Person(api, 8000 + n, taps=n % 2 == 1, patience=10) for n in range(10)]
    redelivered: list[int] = []
    storm = asyncio.create_task(_storm(api, people, 3, redelivered))
    try:
        deadline = asyncio.get_running_loop().time() + 90
        await asyncio.gather(*(person.run(deadline) for person in people))
    finally:
        storm.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await storm
        await bot.stop()
    # The storm really blew: on average every update came once or twice more.
    assert len(redelivered) >= 1.5 * sum(len(person.updates) for person in people)
    # nudges_need_notice: with no send failures, nobody may have had to nudge at all.
    found = problems(people, await stored_by_user(database_url), nudges_need_notice=True)
    assert not found, "\n".join(found)


_DROP = object()


def _broken_updates(user_id: int) -> list[dict[str, Any]]:
    """Updates a bot may receive from a newer or buggy Bot API (PTB cannot parse most)."""
    chat = {"id": user_id, "type": "private", "first_name": "X"}
    sender = {"id": user_id, "is_bot": False, "first_name": "X"}

    def message(number: int, **fields: Any) -> dict[str, Any]:
        full = {"message_id": number, "date": 0, "chat": chat, "from": sender, **fields}
        return {"message": {k: v for k, v in full.items() if v is not _DROP}}

    return [
        message(1, date=_DROP, text="no date"),
        message(2, text="a sender without a first name", **{"from": {"id": user_id}}),
        message(3, date="yesterday", text="a date that is not a number"),
        message(4, text="/start", entities=[{"type": "bot_command"}]),
        message(5, text="no sender", **{"from": _DROP}),
        message(6, text="hi", field_from_bot_api_99={"nested": [1, {"x": None}]}),
        {"message": [1, 2, 3]},
        {"message": None},
        {"callback_query": {"id": "77", "chat_instance": "1", "data": "q:1:1:fr"}},
        {"future_update_kind": {"id": 1}},
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
        deadline = asyncio.get_running_loop().time() + 40
        await asyncio.gather(sabotage(), *(person.run(deadline) for person in people))
    finally:
        await bot.stop()
    found = problems(people, await stored_by_user(database_url), nudges_need_notice=True)
    assert not found, "\n".join(found)
    polls = api.stats.calls["getUpdates"]
    assert polls < 200, f"{polls} getUpdates calls: the bot is stuck re-reading a broken batch"


async def test_one_update_handled_many_times_at_once_counts_once(database_url: str) -> None:
    """The same update, handled 20 times at once (webhook retries, two processes): one answer.

    The others record nothing; they may ask the question that follows again (the service
    cannot tell a copy still being handled from one whose reply was lost), never the one
    that was answered.
    """
    desk = Desk(database_url)
    await desk.open()
    try:
        caller = Caller(desk, "storm")
        await caller.send(Command("start"))
        key = ConversationKey("test", "storm")
        same = Incoming(key, TextInput("1"), update_id=424242, name="Ana", language_code="fr")
        replies = [r for r in await asyncio.gather(*(desk.handle(same) for _ in range(20))) if r]
        assert len(replies) == 20
        recorded = [r for r in replies if any(isinstance(e, AnswerRecorded) for e in r.events)]
        assert len(recorded) == 1
        asked = {e.step_id for r in replies for e in r.events if isinstance(e, QuestionAsked)}
        assert asked == {"name"}
        stored = await stored_by_user(database_url, channel="test")
        assert stored["storm"].answers[("onboarding", "language")] == ["Français"]
        assert ("onboarding", "name") not in stored["storm"].answers
    finally:
        await desk.close()

"""A question held back by 429/500 retries: the answer typed again meanwhile is not its answer.

Seen in a chaos run: a person answered "1", the next question's send met 429s and 500s for
seconds, and the person, seeing nothing, typed "1" again. That second "1" was written before
the question reached them, yet was handled after its delivery and recorded as its answer.
Here the fake Bot API holds the question for real; the bot must say it already has «1» and
ask the question, and record nothing until an answer written after it arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from tests.fakes.bot_api import FakeBotApi
from tests.faults.bots import InProcessBot
from tests.faults.checks import stored_by_user
from tests.faults.people import kept_fragment

LANGUAGE = "1. Français"
NAME = "Comment vous appelez-vous"
ROLE = "Agent communal"
COUNTRY = "Dans quel pays"


@pytest.mark.slow
async def test_an_answer_typed_again_while_the_question_is_held_is_not_its_answer(
    api: FakeBotApi, database_url: str
) -> None:
    bot = InProcessBot(api, database_url, timeout=1.0)
    ama = api.user(9801, first_name="Ama", language_code="fr")
    await bot.start()
    try:
        api.push_command(ama, "/start")
        await api.wait_for(lambda m: m.chat_id == ama.id and LANGUAGE in m.plain, timeout=15)
        api.push_text(ama, "1")
        await api.wait_for(lambda m: m.chat_id == ama.id and NAME in m.plain, timeout=15)
        api.push_text(ama, "Ama Mensah")
        await api.wait_for(lambda m: m.chat_id == ama.id and ROLE in m.plain, timeout=15)
        # The country question will meet two 429s (1 s each) and a 500 before it goes out.
        api.fail_next("sendMessage", "429", count=2, retry_after=1)
        api.fail_next("sendMessage", "500", count=1)
        api.push_text(ama, "1")
        await _until(lambda: api.stats.count(status=429) >= 1)
        assert not [m for m in api.messages_to(ama) if COUNTRY in m.plain]
        api.push_text(ama, "1")  # nothing came: typed again, before the question arrived
        kept = await api.wait_for(
            lambda m: m.chat_id == ama.id and kept_fragment() in m.plain, timeout=20
        )
        assert "« 1 »" in kept.plain
        countries = [m for m in api.messages_to(ama) if COUNTRY in m.plain]
        assert len(countries) == 2  # the held question, and again under the notice
        api.push_text(ama, "1")  # written after it arrived: the answer
        await api.wait_for(lambda m: m.chat_id == ama.id and "Quelle est votre commune" in m.plain,
                           timeout=15)  # fmt: skip
    finally:
        await bot.stop()
    answers = (await stored_by_user(database_url))["9801"].answers
    assert answers[("onboarding", "role")] == [ROLE]
    assert answers[("onboarding", "country")] == ["Belgique"]


async def _until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "the condition never came true"
        await asyncio.sleep(0.01)

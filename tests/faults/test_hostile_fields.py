"""Updates whose fields have the wrong type, and NUL bytes (issue items 3 and 4).

A text that is a number, a list or an object; an empty or missing first name; callback data
that is not a string; a chat id as a string; NUL characters, which PostgreSQL refuses in text
and in JSON. Through the real application and channel, on both databases: no handler may meet
a wrong type (no "unhandled error", no failed update), what can be answered is answered, the
rest is skipped with a log line, and every batch is kept in the inbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from tests.fakes.bot_api import FakeBotApi
from tests.faults.bots import InProcessBot

_DROP = object()
Build = Callable[[int], dict[str, Any]]


def _message(user_id: int, **fields: Any) -> dict[str, Any]:
    sender = {"id": user_id, "is_bot": False, "first_name": "Ana", "language_code": "fr"}
    full = {"message_id": 1, "date": 1_700_000_000, "text": "/start",
            "chat": {"id": user_id, "type": "private", "first_name": "Ana"}, "from": sender,
            **fields}  # fmt: skip
    return {"message": {k: v for k, v in full.items() if v is not _DROP}}


def _tap(user_id: int, data: Any) -> dict[str, Any]:
    sender = {"id": user_id, "is_bot": False, "first_name": "Ana", "language_code": "fr"}
    message = {"message_id": 5, "date": 1_700_000_000, "text": "?",
               "chat": {"id": user_id, "type": "private"}}  # fmt: skip
    return {"callback_query": {"id": f"q{user_id}", "from": sender, "chat_instance": "1",
                               "data": data, "message": message}}  # fmt: skip


def _user(user_id: int, **fields: Any) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, **fields}


# (what, the update for a user id, whether that user gets an answer)
CASES: list[tuple[str, Build, bool]] = [
    ("a text that is a number", lambda u: _message(u, text=42), True),
    ("a text that is a float", lambda u: _message(u, text=4.5), True),
    ("a text that is a list", lambda u: _message(u, text=[1, 2]), True),
    ("a text that is an object", lambda u: _message(u, text={"a": 1}), True),
    ("an empty first name", lambda u: _message(u, **{"from": _user(u, first_name="")}), True),
    ("no first name", lambda u: _message(u, **{"from": _user(u)}), True),
    (
        "a first name that is a number",
        lambda u: _message(u, **{"from": _user(u, first_name=7)}),
        True,
    ),
    (
        "a language code that is a list",
        lambda u: _message(u, **{"from": _user(u, first_name="A", language_code=["fr"])}),
        True,
    ),
    ("a chat id as a string", lambda u: _message(u, chat={"id": str(u), "type": "private"}), True),
    (
        "a sender id as a string",
        lambda u: _message(u, **{"from": _user(str(u), first_name="A")}),
        True,
    ),  # type: ignore[arg-type]
    ("a chat that is a string", lambda u: _message(u, chat="nope"), False),
    ("a date that is text", lambda u: _message(u, date="today"), True),
    ("entities without offsets", lambda u: _message(u, entities=[{"type": "bot_command"}]), True),
    ("callback data that is a number", lambda u: _tap(u, 123), True),
    ("callback data that is an object", lambda u: _tap(u, {"x": 1}), True),
    ("a tap without a sender", lambda u: {"callback_query": {"id": "x", "data": "m:menu"}}, False),
    ("a NUL in a text", lambda u: _message(u, text="/start\u0000"), True),
    ("a NUL in a name", lambda u: _message(u, **{"from": _user(u, first_name="A\u0000na")}), True),
    ("a NUL in an unknown field", lambda u: _message(u, extra={"k\u0000": "v\u0000"}), True),
]


async def test_hostile_fields_are_read_defensively(
    api: FakeBotApi, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bot = InProcessBot(api, database_url)
    await bot.start()
    try:
        ids = {what: 9300 + n for n, (what, _, _) in enumerate(CASES)}
        for what, build, _ in CASES:
            api.user(ids[what], language_code="fr")  # the fake knows the chat
            api.push_update(build(ids[what]))
        for what, _, answered in CASES:
            if answered:
                await api.wait_for(lambda m, u=ids[what]: m.chat_id == u, timeout=20)
        await asyncio.sleep(1.0)  # time for a wrong answer to the others to show
        for what, _, answered in CASES:
            assert bool(api.messages_to(ids[what])) == answered, what
        assert bot.service is not None
        async with bot.service.store.transaction(readonly=True) as tx:
            kept = await tx.session.scalar(text("SELECT count(*) FROM inbox"))
    finally:
        await bot.stop()
    # A number is read as the text "42" (a first message: the language question); a list is
    # no text at all (the "only text" notice).
    assert "Français" in api.messages_to(ids["a text that is a number"])[0].plain
    assert "Français" not in api.messages_to(ids["a text that is a list"])[0].plain
    trouble = [r.getMessage() for r in caplog.records
               if r.levelno >= logging.ERROR or "could not keep" in r.getMessage()]  # fmt: skip
    assert not trouble, trouble
    # Every update the service handles was kept, NUL or not: all answered ones but the list
    # and the object texts (no text left: answered by the channel alone, not kept).
    assert kept == sum(answered for _, _, answered in CASES) - 2


async def test_one_update_the_database_refuses_costs_the_others_nothing(
    api: FakeBotApi, database_url: str
) -> None:
    """A batch the inbox refuses is kept update by update: only the bad one goes unkept."""
    bot = InProcessBot(api, database_url)
    await bot.start()
    try:
        assert bot.service is not None
        service = bot.service
        keep = service.keep_fetched
        refused: list[int] = []

        async def picky(channel: str, updates: list[tuple[int, dict[str, Any]]]) -> None:
            if any(item["message"]["text"] == "refuse me" for _, item in updates):
                refused.extend(update_id for update_id, _ in updates)
                raise RuntimeError("the database refuses this one")
            await keep(channel, updates)

        service.keep_fetched = picky  # type: ignore[method-assign]
        people = [api.user(9400 + n, language_code="fr") for n in range(5)]
        for n, person in enumerate(people):  # one batch: pushed before the next poll
            api.push_text(person, "refuse me" if n == 2 else "/start")
        for person in people:
            await api.wait_for(lambda m, p=person: m.chat_id == p.id, timeout=20)
        async with service.store.transaction(readonly=True) as tx:
            kept = await tx.session.scalar(text("SELECT count(*) FROM inbox"))
    finally:
        await bot.stop()
    assert len(refused) > 1  # the whole batch was tried first
    assert kept == 4

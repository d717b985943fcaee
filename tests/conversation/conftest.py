"""Fixtures for the service: a `Conversations` on a real database with a controllable clock."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.content import shipped_catalogue
from bot.conversation.conversations import Conversations
from bot.flow.events import AnswerRecorded, QuestionAsked
from bot.flow.state import Input
from bot.flow_library import FlowLibrary
from bot.messages import Command, ConversationKey, Incoming, Reply, Tap
from bot.programme.seeding import seed_content
from bot.storage import Store

UPDATE_IDS = itertools.count(100_000)


@dataclass
class Clock:
    """A clock tests move by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 22, 10, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Talker:
    """Sends inputs as one user, with increasing update ids."""

    service: Conversations
    key: ConversationKey
    language_code: str = "fr"

    async def send(
        self,
        payload: Input | Command | Tap,
        *,
        update_id: int | None = None,
        run_id: int | None = None,
        written_by: datetime | None = None,
        delivered: bool = True,
    ) -> Reply:
        if update_id is None:
            update_id = next(UPDATE_IDS)  # like Telegram, update ids are unique per bot
        reply = await self.service.handle(
            Incoming(
                self.key,
                payload,
                update_id=update_id,
                run_id=run_id,
                name="Ana",
                language_code=self.language_code,
                written_by=written_by,
            )
        )
        if delivered and not reply.duplicate:  # as a channel does once the reply went out
            await self.service.mark_replied(self.key, update_id)
        return reply


def asked(reply: Reply) -> list[str]:
    """The steps whose question a reply asks."""
    return [e.step_id for e in reply.events if isinstance(e, QuestionAsked)]


def recorded(reply: Reply) -> list[str]:
    """The steps whose answer a reply records."""
    return [e.step_id for e in reply.events if isinstance(e, AnswerRecorded)]


def make_service(store: Store, clock: Clock, flows_dir: Path | None = None) -> Conversations:
    catalogue = shipped_catalogue()
    settings = Settings(database_url=store.url, flows_dir=flows_dir)
    return Conversations(store, catalogue, FlowLibrary.load(catalogue, flows_dir), settings, clock)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(store: Store, clock: Clock) -> AsyncIterator[Conversations]:
    await seed_content(store)
    service = make_service(store, clock)
    yield service
    await service.close()  # writes pending reply marks

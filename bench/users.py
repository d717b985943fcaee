"""Simulated users: push updates into the fake Bot API and time the bot's answers.

Latency is measured on the fake's clock, from the moment an update is queued for ``getUpdates``
to the moment the fake accepts the bot's answer (its last message for that input), so it covers
the bot fetching the update, handling it, and sending every message of the reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.fakeapi import BenchApi
from bench.scripts import Step
from tests.fakes.bot_api import SentMessage, UserHandle

__all__ = ["OffScript", "Outcome", "SimulatedUser", "run_together"]

REPLY_TIMEOUT = 60.0
"""Seconds a user waits for an answer before the run is declared broken."""


class OffScript(RuntimeError):
    """The bot did not answer what the script expects (or not in time)."""


@dataclass
class Outcome:
    """What a group of users measured.

    Attributes:
        latencies: seconds from each update pushed to the bot's complete answer.
        started: when the first update was pushed (fake clock).
        finished: when the last answer arrived (fake clock).
    """

    latencies: list[float] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0

    @property
    def updates(self) -> int:
        """How many updates were pushed and answered."""
        return len(self.latencies)

    @property
    def seconds(self) -> float:
        """Time from the first update to the last answer."""
        return max(self.finished - self.started, 1e-9)


class SimulatedUser:
    """One person in a private chat with the bot.

    Args:
        api: the fake Bot API.
        user_id: their Telegram id (also the chat id).
        baseline: the bot under test is the baseline (any next message is its answer, and a
            tap presses the first button).
        lite: the user is in lite mode (types option numbers instead of tapping).
    """

    def __init__(self, api: BenchApi, user_id: int, *, baseline: bool, lite: bool = False) -> None:
        self.api = api
        self.handle: UserHandle = api.user(
            user_id, first_name=f"Agent{user_id}", language_code="fr"
        )
        self.baseline = baseline
        self.lite = lite
        self.inbox = api.inbox(user_id)
        self.keyboard: SentMessage | None = None  # the latest message with buttons

    def push(self, step: Step) -> float:
        """Send one input now; returns the fake's clock at that moment."""
        pushed = self.api.clock()
        if step.tap is not None and not self.lite:
            if self.keyboard is None:
                raise OffScript(f"user {self.handle.id}: no buttons to tap {step.tap!r}")
            data = (
                self.keyboard.callback_data()[0]
                if self.baseline
                else self.keyboard.data_for(step.tap)
            )
            self.api.push_callback(self.handle, self.keyboard, data)
        elif step.text.startswith("/"):
            self.api.push_command(self.handle, step.text)
        else:
            self.api.push_text(self.handle, step.text)
        return pushed

    async def answer(self, step: Step) -> SentMessage:
        """Wait for the bot's complete answer to ``step``.

        Raises:
            OffScript: the answer did not come in time.
        """
        expected = step.expected(self.lite)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REPLY_TIMEOUT
        while True:
            try:
                message = await asyncio.wait_for(self.inbox.get(), deadline - loop.time())
            except TimeoutError:
                raise OffScript(
                    f"user {self.handle.id}: no answer containing {expected!r} to {step.text!r}"
                    + (f" (last message: {self.keyboard.plain[:120]!r})" if self.keyboard else "")
                ) from None
            if message.reply_markup:
                self.keyboard = message
            if self.baseline or expected in message.plain:
                return message

    async def say(self, step: Step) -> float:
        """Send ``step`` and wait for the answer; returns the latency in seconds."""
        pushed = self.push(step)
        reply = await self.answer(step)
        return reply.time - pushed

    async def follow(self, steps: Sequence[Step], outcome: Outcome) -> None:
        """Go through ``steps`` one after the other (answering as soon as the bot has asked)."""
        for step in steps:
            pushed = self.push(step)
            reply = await self.answer(step)
            outcome.latencies.append(reply.time - pushed)
            outcome.finished = max(outcome.finished, reply.time)


async def run_together(users: Sequence[SimulatedUser], steps: Sequence[Step]) -> Outcome:
    """All ``users`` go through ``steps`` at the same time; returns the timings."""
    outcome = Outcome(started=users[0].api.clock() if users else 0.0)
    await asyncio.gather(*(user.follow(steps, outcome) for user in users))
    return outcome

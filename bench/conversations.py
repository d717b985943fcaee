"""Conversation scenarios for one bot process: first contact, the assessment, bytes per step.

The same scenarios run against the baseline and against sdgbot, each bot in its own process
with its own fake Bot API (flood control off) and, for sdgbot, a fresh database. `run.py`
alternates the two bots scenario by scenario, so each pair is measured under the same load.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.fakeapi import BenchApi
from bench.procs import BotProcess
from bench.scripts import ASSESSMENT, FIRST_CONTACT, LITE_ON, ONBOARDING, Step
from bench.users import Outcome, SimulatedUser, run_together
from tests.fakes.bot_api import RequestRecord

__all__ = ["Session", "Sizes", "Traffic", "Usage", "summary", "usage_of"]

_SENDS = frozenset({"sendmessage", "sendphoto", "senddocument"})
_EDITS = frozenset({"editmessagetext", "editmessagereplymarkup"})


@dataclass(frozen=True)
class Sizes:
    """How many simulated users each run has."""

    first_contact: int = 400
    assessment: int = 200
    warmup: int = 20


@dataclass(frozen=True)
class Usage:
    """What one user's completed quick self-assessment cost on the wire.

    Attributes:
        inputs: updates the user sent.
        messages: messages the bot sent (sendMessage/sendPhoto/sendDocument).
        edits: messages it edited (closing a tapped question).
        calls: every Bot API request it made for the user (answerCallbackQuery included;
            getUpdates excluded, it is shared by all users).
        text_bytes: UTF-8 bytes of the texts and captions sent or edited in.
        request_bytes: HTTP request bodies (texts, keyboards, files).
    """

    inputs: int
    messages: int
    edits: int
    calls: int
    text_bytes: int
    request_bytes: int

    @property
    def messages_per_input(self) -> float:
        """Messages sent or edited per input: 1.0 is one message per step."""
        return (self.messages + self.edits) / self.inputs


@dataclass
class Traffic:
    """Everything measured on one bot process."""

    first_contact: Outcome = field(default_factory=Outcome)
    assessment: Outcome = field(default_factory=Outcome)
    cpu_first_contact: float = 0.0
    cpu_assessment: float = 0.0
    harness_cpu_assessment: float = 0.0
    usage: dict[str, Usage] = field(default_factory=dict)
    requests_rejected: int = 0
    too_many_requests: int = 0


def usage_of(records: Sequence[RequestRecord], chat_id: int, inputs: int) -> Usage:
    """Sum the requests made for ``chat_id`` (taps are answered by query id: counted too)."""
    mine = [
        r
        for r in records
        if r.method.lower() != "getupdates"
        and (
            str(r.params.get("chat_id")) == str(chat_id)
            or r.method.lower() == "answercallbackquery"
        )
    ]
    text = sum(
        len(str(r.params.get("text") or r.params.get("caption") or "").encode()) for r in mine
    )
    return Usage(
        inputs=inputs,
        messages=sum(1 for r in mine if r.method.lower() in _SENDS and r.status == 200),
        edits=sum(1 for r in mine if r.method.lower() in _EDITS and r.status == 200),
        calls=len(mine),
        text_bytes=text,
        request_bytes=sum(r.bytes_in for r in mine),
    )


class Session:
    """One bot process under measurement, scenario by scenario (see `run.py` for the order).

    Args:
        api: the fake Bot API the bot polls.
        bot: the bot's process (for its CPU time).
        sizes: how many users.
        baseline: the bot is the baseline (any next message is its answer).
        onboarded: Telegram id of the first of ``sizes.assessment`` users already onboarded
            (seeded in the database), who take the self-assessment.
    """

    def __init__(self, api: BenchApi, bot: BotProcess, sizes: Sizes, *, baseline: bool,
                 onboarded: int) -> None:  # fmt: skip
        self.api = api
        self.bot = bot
        self.sizes = sizes
        self.baseline = baseline
        self.onboarded = onboarded
        self.traffic = Traffic()

    def _users(self, first: int, count: int) -> list[SimulatedUser]:
        return [SimulatedUser(self.api, first + i, baseline=self.baseline) for i in range(count)]

    async def warm_up(self) -> None:
        """Not measured: imports, template and SQL statement caches, connection pools."""
        await run_together(self._users(900_001, self.sizes.warmup), [*ONBOARDING, *ASSESSMENT])

    async def first_contact(self) -> None:
        """Every user writes a first message at the same moment."""
        cpu = self.bot.cpu_seconds()
        users = self._users(1_000_001, self.sizes.first_contact)
        self.traffic.first_contact = await run_together(users, [FIRST_CONTACT])
        self.traffic.cpu_first_contact = self.bot.cpu_seconds() - cpu

    async def assessment(self) -> None:
        """Onboarded users all start ``/assess`` at once and answer each question at once."""
        cpu, harness = self.bot.cpu_seconds(), time.process_time()
        users = self._users(self.onboarded, self.sizes.assessment)
        self.traffic.assessment = await run_together(users, ASSESSMENT)
        self.traffic.cpu_assessment = self.bot.cpu_seconds() - cpu
        # The fake API and the users (this process): if they were near a full core, they and
        # not the bot limited the throughput.
        self.traffic.harness_cpu_assessment = time.process_time() - harness

    async def usage(self) -> None:
        """One user alone takes the assessment in normal mode, then another in lite mode."""
        normal = SimulatedUser(self.api, 3_000_001, baseline=self.baseline)
        self.traffic.usage["normal"] = await self._one_user(normal, ONBOARDING)
        if not self.baseline:
            lite = SimulatedUser(self.api, 3_000_002, baseline=False, lite=True)
            self.traffic.usage["lite"] = await self._one_user(lite, [LITE_ON, *ONBOARDING])

    async def _one_user(self, user: SimulatedUser, setup: Sequence[Step]) -> Usage:
        for step in setup:
            await user.say(step)
        index = len(self.api.requests)
        for step in ASSESSMENT:
            await user.say(step)
        return usage_of(self.api.requests_since(index), user.handle.id, len(ASSESSMENT))

    def finish(self) -> Traffic:
        """The figures, with the requests the fake refused over the whole session."""
        api = self.api
        self.traffic.requests_rejected = sum(
            1 for r in api.requests if r.status == 400 and r.fault is None
        )
        self.traffic.too_many_requests = api.stats.too_many_requests
        return self.traffic


def summary(traffic: Traffic) -> dict[str, Any]:
    """The raw figures of a `Traffic`, for ``results.json``."""
    from dataclasses import asdict

    from bench.report import percentile

    def outcome(o: Outcome, cpu: float) -> dict[str, Any]:
        lat = o.latencies
        return {"updates": o.updates, "seconds": round(o.seconds, 3),
                "updates_per_second": round(o.updates / o.seconds, 1),
                "latency_ms": {q: round(percentile(lat, q) * 1000, 1) for q in (50, 95, 99)}
                | {"max": round(max(lat, default=0) * 1000, 1)},
                "cpu_ms_per_update": round(cpu * 1000 / max(o.updates, 1), 2)}  # fmt: skip

    return {
        "first_contact": outcome(traffic.first_contact, traffic.cpu_first_contact),
        "assessment": outcome(traffic.assessment, traffic.cpu_assessment)
        | {
            "harness_cpu_share": round(
                traffic.harness_cpu_assessment / traffic.assessment.seconds, 2
            )
        },
        "usage": {mode: asdict(u) for mode, u in traffic.usage.items()},
        "requests_rejected": traffic.requests_rejected,
        "too_many_requests": traffic.too_many_requests,
    }

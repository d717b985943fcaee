"""The fake Bot API as the benchmark uses it: per-chat inboxes instead of scanning every message.

``FakeBotApi.wait_for`` rescans all sent messages on every send, which is fine for tests but
quadratic with hundreds of simulated users waiting at once; here each chat gets a queue that
``record_sent`` feeds, so waiting costs nothing while the bots are being measured.
"""

from __future__ import annotations

import asyncio

from tests.fakes.bot_api import FakeBotApi, RateLimits, RequestRecord, SentMessage

__all__ = ["UNLIMITED", "BenchApi"]

UNLIMITED = RateLimits(global_per_second=1_000_000, private_enabled=False)
"""Flood control off: throughput runs measure how fast a bot works, not Telegram's pace."""


class BenchApi(FakeBotApi):
    """A `FakeBotApi` that also queues every delivered message on its chat's inbox."""

    def __init__(self, *, rate_limits: RateLimits | None = None) -> None:
        super().__init__(rate_limits=rate_limits)
        self._inboxes: dict[int, asyncio.Queue[SentMessage]] = {}

    def record_sent(self, message: SentMessage) -> None:
        """Record the message as the fake does, then hand it to the chat's inbox."""
        super().record_sent(message)
        inbox = self._inboxes.get(message.chat_id)
        if inbox is not None:
            inbox.put_nowait(message)

    def inbox(self, chat_id: int) -> asyncio.Queue[SentMessage]:
        """The queue of messages delivered to ``chat_id`` from now on."""
        return self._inboxes.setdefault(chat_id, asyncio.Queue())

    def requests_since(self, index: int) -> list[RequestRecord]:
        """Requests recorded after the first ``index`` ones."""
        return self.requests[index:]

    def polls(self) -> int:
        """How many ``getUpdates`` calls the bot has made (a bot that polls is up)."""
        return self.stats.calls.get("getUpdates", 0)

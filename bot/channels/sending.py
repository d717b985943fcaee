"""Pacing outgoing messages under Telegram's flood limits, and backing off after errors.

Telegram allows about 30 messages per second overall, 20 per minute into one group, and asks
bots not to send more than about one message per second into one chat (short bursts pass).
`SendLimiter` waits before a send rather than letting Telegram answer 429; when a 429 comes
anyway (limits are not published exactly), `pause` holds that chat for `retry_after`.
No telegram import here: the Telegram channel plugs this into python-telegram-bot.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Flood-control thresholds (defaults: Telegram's published guidance, with a margin).

    Attributes:
        per_second: messages per second over all chats.
        group_per_minute: messages per minute into one group or channel (negative chat id).
        private_per_second: sustained rate into one private chat (0 turns that limit off).
        private_burst: messages that may go out at once into one private chat.
    """

    per_second: float = 25.0
    group_per_minute: int = 20
    private_per_second: float = 1.0
    private_burst: int = 4


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Seconds to wait before retry number `attempt` (0-based): doubling from `base`, capped."""
    return min(cap, base * (2**attempt))


class SendLimiter:
    """Waits until one more message may go to a chat without exceeding the limits.

    Sliding windows for the overall and per-group limits (Telegram counts per window, so a
    leaky bucket would allow more than 20 in some minute), a token bucket per private chat.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits or Limits()
        self._clock = clock
        self._sleep = sleep
        self._recent: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}
        self._private: dict[int, tuple[float, float]] = {}  # chat -> (tokens, updated)
        self._paused: dict[int | None, float] = {}  # chat (None: all) -> not before

    def pause(self, chat_id: int | None, seconds: float) -> None:
        """Telegram answered 429 with `retry_after`: hold that chat (None: every chat)."""
        until = self._clock() + max(0.0, seconds)
        self._paused[chat_id] = max(self._paused.get(chat_id, 0.0), until)

    def _wait_needed(self, chat_id: int | None, now: float) -> float:
        limits = self.limits
        wait = max(self._paused.get(None, 0.0), self._paused.get(chat_id, 0.0)) - now
        if limits.per_second > 0:
            while self._recent and self._recent[0] <= now - 1.0:
                self._recent.popleft()
            if len(self._recent) >= limits.per_second:
                wait = max(wait, self._recent[0] + 1.0 - now)
        if chat_id is None:
            return wait
        if chat_id < 0 and limits.group_per_minute > 0:
            group = self._groups.setdefault(chat_id, deque())
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= limits.group_per_minute:
                wait = max(wait, group[0] + 60.0 - now)
        elif chat_id > 0 and limits.private_per_second > 0:
            tokens = self._tokens(chat_id, now)
            if tokens < 1.0:
                wait = max(wait, (1.0 - tokens) / limits.private_per_second)
        return wait

    def _tokens(self, chat_id: int, now: float) -> float:
        limits = self.limits
        tokens, updated = self._private.get(chat_id, (float(limits.private_burst), now))
        refill = (now - updated) * limits.private_per_second
        return min(float(limits.private_burst), tokens + refill)

    def _take(self, chat_id: int | None, now: float) -> None:
        if self.limits.per_second > 0:  # without an overall limit there is nothing to count
            self._recent.append(now)
        if chat_id is None:
            return
        if chat_id < 0:
            self._groups.setdefault(chat_id, deque()).append(now)
        elif self.limits.private_per_second > 0:
            self._private[chat_id] = (self._tokens(chat_id, now) - 1.0, now)
        if len(self._private) > 10_000:  # forget idle chats (their buckets are full again)
            horizon = now - self.limits.private_burst / max(self.limits.private_per_second, 1e-9)
            self._private = {c: v for c, v in self._private.items() if v[1] > horizon}
        if len(self._groups) > 1_000:
            self._groups = {c: q for c, q in self._groups.items() if q and q[-1] > now - 60.0}

    async def acquire(self, chat_id: int | None) -> None:
        """Wait until a message to `chat_id` (None: not chat-bound) may go, and count it."""
        while True:
            now = self._clock()
            wait = self._wait_needed(chat_id, now)
            if wait <= 0:
                self._take(chat_id, now)
                return
            await self._sleep(wait + 0.01)


__all__ = ["Limits", "SendLimiter", "backoff"]

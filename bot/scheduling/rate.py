"""Telegram's one send budget: replies, partner messages and bulk sends paced by one limiter.

Telegram allows about 30 messages per second per bot, overall; 20 per minute into one group;
and asks for about one message per second into one private chat (short bursts pass). Every
message this process sends — replies, messages to other people a reply produced, reminders
and broadcasts — takes its slot from the same `SendBudget`, so together they stay under the
limit (two separate limiters, one for replies and one for bulk, could add up to 50/s).

* Overall: slots are spaced evenly, one every 1/rate seconds (no bursts), so any one-second
  window Telegram looks at holds at most `per_second` (+1 at the window's edges) messages.
* Replies first: a reply reserves the next free slot, even one in the future, and waits for
  it; a bulk send only takes a slot that is free *now*, so while replies are queued bulk
  waits (the sender also waits while the channel is answering people, `Busy`).
* Groups: a sliding one-minute window (Telegram counts per minute: a leaky bucket could let
  21 in within some minute). Private chats: a token bucket (`private_burst`, then
  `private_per_second`).
* 429: `pause` holds one chat, or every chat, for Telegram's `retry_after`.

Several processes on one database. The rate is per process (`SDGBOT_SEND_RATE`). Only the
leader (the holder of the sender's lease, `bot.scheduling.sender`) sends bulk, so bulk always
shares the leader's budget with the leader's own replies, and replies come first. Other
processes only send replies: with N processes answering people, give each `SDGBOT_SEND_RATE`
of 25/N so their sum stays under Telegram's 30/s (one polling process, the usual set-up,
keeps the default 25).

No telegram import here: the Telegram channel plugs this into python-telegram-bot, and the
outbox sender calls it directly. Clock and sleep are injected, so tests run in virtual time.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

GROUP_PER_MINUTE = 20


@dataclass(frozen=True)
class Limits:
    """Flood-control thresholds (defaults: Telegram's published guidance, with a margin).

    Attributes:
        per_second: messages per second over all chats; 0 means no limit (a local Bot API
            server has none).
        group_per_minute: messages per minute into one group or channel (negative chat id).
        private_per_second: sustained rate into one private chat (0 turns that limit off).
        private_burst: messages that may go out at once into one private chat.
    """

    per_second: float = 25.0
    group_per_minute: int = GROUP_PER_MINUTE
    private_per_second: float = 1.0
    private_burst: int = 4


class SendBudget:
    """Waits until one more message may go to a chat without exceeding the limits.

    Args:
        limits: the thresholds (default: `Limits()`).
        clock: monotonic seconds.
        sleep: how to wait.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits or Limits()
        self.clock = clock
        self.sleep = sleep
        self._next_free = 0.0  # the first slot nobody has reserved yet
        self._groups: dict[int, deque[float]] = {}
        self._private: dict[int, tuple[float, float]] = {}  # chat -> (tokens, updated)
        self._paused: dict[int | None, float] = {}  # chat (None: all) -> not before
        self._bulk_paused = 0.0  # bulk sends not before

    @property
    def interval(self) -> float:
        """Seconds between two slots (0 without an overall limit)."""
        rate = self.limits.per_second
        return 1.0 / rate if rate > 0 else 0.0

    def pause(self, seconds: float, chat_id: int | None = None, *, bulk_only: bool = False
              ) -> None:  # fmt: skip
        """Hold that chat (None: every chat) for `seconds`, e.g. Telegram's 429 `retry_after`.

        With `bulk_only`, only bulk sends wait (the token refused while sending bulk).
        """
        until = self.clock() + max(0.0, seconds)
        if bulk_only:
            self._bulk_paused = max(self._bulk_paused, until)
            return
        self._paused[chat_id] = max(self._paused.get(chat_id, 0.0), until)

    def paused_for(self, chat_id: int | None = None) -> float:
        """Seconds left in a pause of every chat (or of `chat_id`); 0 when not paused."""
        until = max(self._paused.get(None, 0.0), self._paused.get(chat_id, 0.0))
        return max(0.0, until - self.clock())

    async def acquire(self, chat_id: int | None = None, *, bulk: bool = False) -> None:
        """Wait for a slot for one message to `chat_id` (None: not chat-bound) and take it.

        Args:
            chat_id: the chat (negative: a group), or None for a call bound to no chat.
            bulk: a reminder or broadcast: takes only a slot free now, after queued replies.
        """
        while True:
            now = self.clock()
            wait = max(self._chat_wait(chat_id, now), self.paused_for(chat_id))
            if bulk:
                wait = max(wait, self._next_free - now, self._bulk_paused - now)
            if wait > 0:
                await self.sleep(wait)
                continue
            slot = max(now, self._next_free)
            if self.interval:
                self._next_free = slot + self.interval
            self._take(chat_id, slot)
            if slot > now:
                await self.sleep(slot - now)
            if self.paused_for(chat_id) <= 0:  # a 429 may have come while waiting
                return

    def _chat_wait(self, chat_id: int | None, now: float) -> float:
        limits = self.limits
        if chat_id is None:
            return 0.0
        if chat_id < 0 and limits.group_per_minute > 0:
            group = self._groups.setdefault(chat_id, deque())
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= limits.group_per_minute:
                return group[0] + 60.0 - now
        elif chat_id > 0 and limits.private_per_second > 0:
            tokens = self._tokens(chat_id, now)
            if tokens < 1.0:
                return (1.0 - tokens) / limits.private_per_second
        return 0.0

    def _tokens(self, chat_id: int, now: float) -> float:
        limits = self.limits
        tokens, updated = self._private.get(chat_id, (float(limits.private_burst), now))
        refill = max(0.0, now - updated) * limits.private_per_second
        return min(float(limits.private_burst), tokens + refill)

    def _take(self, chat_id: int | None, at: float) -> None:
        limits = self.limits
        if chat_id is None:
            return
        if chat_id < 0 and limits.group_per_minute > 0:
            self._groups.setdefault(chat_id, deque()).append(at)
            if len(self._groups) > 1_000:  # forget groups quiet for a minute
                self._groups = {c: q for c, q in self._groups.items() if q and q[-1] > at - 60}
        elif chat_id > 0 and limits.private_per_second > 0:
            self._private[chat_id] = (self._tokens(chat_id, at) - 1.0, at)
            if len(self._private) > 10_000:  # forget idle chats (their buckets are full again)
                horizon = at - limits.private_burst / limits.private_per_second
                self._private = {c: v for c, v in self._private.items() if v[1] > horizon}


class Pacer(SendBudget):
    """A budget for bulk sends only (tests and tools without a channel): no per-chat bucket.

    Args:
        per_second: messages per second over all chats; 0 means no limit.
        group_per_minute: messages per minute into one group (negative chat id).
        clock: monotonic seconds.
        sleep: how to wait.
    """

    def __init__(
        self,
        per_second: float,
        *,
        group_per_minute: int = GROUP_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        limits = Limits(per_second=per_second, group_per_minute=group_per_minute,
                        private_per_second=0)  # fmt: skip
        super().__init__(limits, clock=clock, sleep=sleep)
        self.per_second = per_second


__all__ = ["GROUP_PER_MINUTE", "Limits", "Pacer", "SendBudget"]

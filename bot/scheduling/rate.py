"""Pacing bulk sends: a global rate, at most 20 a minute into one group, and pauses after 429s.

The global rate spaces messages evenly (one every 1/rate seconds, no bursts), so any one-second
window Telegram looks at holds at most `per_second` of them. Groups use a sliding window,
because Telegram counts per minute: a leaky bucket could let 21 into one group within some
minute. The clock and the sleep are injected, so tests run in virtual time.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

GROUP_PER_MINUTE = 20


class Pacer:
    """Waits until one more message may go out.

    Args:
        per_second: messages per second over all chats; 0 means no limit (a local Bot API
            server has none).
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
        self.per_second = per_second
        self.group_per_minute = group_per_minute
        self.clock = clock
        self.sleep = sleep
        self._next_free = 0.0
        self._groups: dict[int, deque[float]] = {}
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every send for ``seconds`` (Telegram answered 429)."""
        self._paused_until = max(self._paused_until, self.clock() + max(0.0, seconds))

    def paused_for(self) -> float:
        """Seconds left in a pause (0 when not paused)."""
        return max(0.0, self._paused_until - self.clock())

    def _wait(self, chat: int | None, now: float) -> float:
        wait = self._paused_until - now
        if self.per_second > 0:
            wait = max(wait, self._next_free - now)
        if chat is not None and chat < 0 and self.group_per_minute > 0:
            group = self._groups.setdefault(chat, deque())
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= self.group_per_minute:
                wait = max(wait, group[0] + 60.0 - now)
        return wait

    async def acquire(self, chat: int | None = None) -> None:
        """Wait for a slot for a message to ``chat`` (a negative id is a group) and take it."""
        while True:
            now = self.clock()
            wait = self._wait(chat, now)
            if wait <= 0:
                if self.per_second > 0:
                    self._next_free = max(now, self._next_free) + 1.0 / self.per_second
                if chat is not None and chat < 0:
                    self._groups.setdefault(chat, deque()).append(now)
                    if len(self._groups) > 1000:  # forget groups quiet for a minute
                        self._groups = {c: q for c, q in self._groups.items()
                                        if q and q[-1] > now - 60.0}
                return
            await self.sleep(wait)


__all__ = ["GROUP_PER_MINUTE", "Pacer"]

"""Flood control and fault injection for the fake Bot API.

Telegram's documented limits: about 30 messages per second overall, 20 per minute into one
group, and "avoid sending more than one message per second" into one chat (short bursts
pass). Exceeding them yields ``429 Too Many Requests: retry after N``. The numbers are
configurable so a test can provoke a 429 quickly, and the private-chat limit can be turned
off for benchmarks that only care about the global limit.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["FAULT_KINDS", "Fault", "FaultKind", "FaultPlan", "RateLimiter", "RateLimits"]

FaultKind = Literal["429", "500", "502", "timeout", "400"]
FAULT_KINDS: tuple[FaultKind, ...] = ("429", "500", "502", "timeout", "400")


@dataclass(frozen=True)
class RateLimits:
    """The flood-control thresholds.

    Attributes:
        global_per_second: messages per second over all chats.
        group_per_minute: messages per minute into one group (negative chat id).
        private_enabled: whether the per-private-chat limit applies.
        private_per_second: sustained rate into one private chat.
        private_burst: how many messages may go out at once before that rate applies.
    """

    global_per_second: int = 30
    group_per_minute: int = 20
    private_enabled: bool = True
    private_per_second: float = 1.0
    private_burst: int = 4


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Decides whether one more message may be delivered now; remembers delivered ones."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._recent: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}
        self._private: dict[int, _Bucket] = {}

    def admit(self, chat_id: int) -> int | None:
        """Count a message to ``chat_id`` if allowed.

        Returns:
            None when the message may be delivered (it is then counted), else the
            ``retry_after`` in whole seconds, at least 1, as Telegram gives it.
        """
        now = self._clock()
        limits = self.limits
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        if len(self._recent) >= limits.global_per_second:
            return max(1, math.ceil(self._recent[0] + 1.0 - now))
        group: deque[float] | None = None
        bucket: _Bucket | None = None
        if chat_id < 0:
            group = self._groups.setdefault(chat_id, deque())
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= limits.group_per_minute:
                return max(1, math.ceil(group[0] + 60.0 - now))
        elif limits.private_enabled:
            bucket = self._private.setdefault(chat_id, _Bucket(limits.private_burst, now))
            bucket.tokens = min(
                limits.private_burst,
                bucket.tokens + (now - bucket.updated) * limits.private_per_second,
            )
            bucket.updated = now
            if bucket.tokens < 1.0:
                return max(1, math.ceil((1.0 - bucket.tokens) / limits.private_per_second))
        self._recent.append(now)
        if group is not None:
            group.append(now)
        if bucket is not None:
            bucket.tokens -= 1.0
        return None


@dataclass(frozen=True)
class Fault:
    """One injected failure.

    Attributes:
        kind: "429", "500", "502", "timeout" or "400".
        retry_after: the ``retry_after`` of a 429.
        delivers: for a timeout, whether the message is delivered although the answer never
            comes (None: the server's ``timeout_delivers`` default).
    """

    kind: FaultKind
    retry_after: int = 1
    delivers: bool | None = None


@dataclass
class _Scheduled:
    fault: Fault
    remaining: int


@dataclass
class FaultPlan:
    """Which requests fail: queued ``fail_next`` faults first, then a random share of sends."""

    _queued: dict[str, deque[_Scheduled]] = field(default_factory=dict)
    _rate: float = 0.0
    _kinds: tuple[FaultKind, ...] = ()
    _random: random.Random = field(default_factory=random.Random)

    def fail_next(self, method: str, fault: Fault, count: int) -> None:
        """Answer the next ``count`` calls of ``method`` ("*" for any method) with ``fault``."""
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; use one of {FAULT_KINDS}")
        if count < 1:
            raise ValueError("count must be at least 1")
        self._queued.setdefault(method.lower(), deque()).append(_Scheduled(fault, count))

    def set_rate(self, p: float, kinds: Iterable[FaultKind], seed: int | None) -> None:
        """Answer a fraction ``p`` of send/edit requests with faults drawn from ``kinds``."""
        chosen = tuple(kinds)
        if not 0.0 <= p <= 1.0:
            raise ValueError("p must be between 0 and 1")
        if p and not chosen:
            raise ValueError("give at least one fault kind")
        for kind in chosen:
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}; use one of {FAULT_KINDS}")
        self._rate, self._kinds, self._random = p, chosen, random.Random(seed)

    def clear(self) -> None:
        """Forget every scheduled fault and the random rate."""
        self._queued.clear()
        self._rate, self._kinds = 0.0, ()

    def take(self, method: str, is_send: bool) -> Fault | None:
        """The fault to apply to this call of ``method``, if any (consumes it)."""
        for key in (method.lower(), "*"):
            queue = self._queued.get(key)
            if queue:
                scheduled = queue[0]
                scheduled.remaining -= 1
                if scheduled.remaining <= 0:
                    queue.popleft()
                return scheduled.fault
        if is_send and self._rate and self._random.random() < self._rate:
            return Fault(self._random.choice(self._kinds))
        return None

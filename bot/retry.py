"""How long to wait before trying again: one backoff rule for channels and scheduling alike.

A low module (standard library only) so that both the Telegram channel's retries and the
outbox sender's rescheduling double their delays the same way.
"""

from __future__ import annotations


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Seconds to wait before retry number `attempt` (0-based): doubling from `base`, capped.

    Args:
        attempt: how many retries came before this one (0 for the first retry).
        base: the first delay, in seconds.
        cap: the longest delay, in seconds.
    """
    return min(cap, base * (2 ** max(0, attempt)))


__all__ = ["backoff"]

"""Every Bot API call of the channel, paced by the send budget and retried where that is safe.

python-telegram-bot passes each request through a `BaseRateLimiter`; `PacedRequests` is ours:

* chat-bound calls take a slot from the process's one `SendBudget` (`bot.scheduling.rate`),
  the budget the outbox sender's bulk messages take theirs from;
* 429: that chat is paused for `retry_after` and the call sent again;
* 5xx, 502 pages, refused connections: retried with `bot.retry.backoff` — Telegram did not
  take the message, so a repeat cannot duplicate it;
* a timeout is repeated at most once: the request may have reached Telegram and the message
  may have been delivered (the read timed out, not the send), so each repeat risks a duplicate
  the person sees; one repeat recovers a lost request, and the person's next replies (which
  wait behind this one, `ordering`) are held at most two timeouts, not four;
* 401 (the token revoked, or Telegram briefly refusing it): the call waits and retries for a
  while (`unauthorized_wait`): a reply held a little is better than a reply lost. At start-up
  `getMe` is never retried, so a wrong token fails fast with one clear line;
* 400 and 403 are final and raised at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import BaseRateLimiter

from bot.retry import backoff
from bot.scheduling.rate import SendBudget

log = logging.getLogger("bot.channels.telegram")

TIMEOUT_REPEATS = 1
"""How many times a timed-out call is sent again (see the module docstring: duplicates)."""

ATTEMPTS = {"getMe": 1, "answerCallbackQuery": 2}
"""Attempts for calls not worth the default: a start-up check, a spinner that expires."""


NO_WAIT_ON_401 = frozenset({"getMe", "getUpdates", "answerCallbackQuery"})
"""Calls raised at once on a 401 instead of waiting for the token to be accepted again."""


def seconds(value: timedelta | float) -> float:
    """A PTB time period (timedelta, or a number of seconds) in seconds."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def chat_of(data: dict[str, Any]) -> int | None:
    """The chat a request goes to, if it names one as a number."""
    try:
        return int(data["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


class PacedRequests(BaseRateLimiter[int]):
    """PTB's rate-limiter hook: paces chat-bound requests and retries what can be retried.

    Args:
        budget: the process's send budget, shared with bulk sends.
        attempts: tries of a call failing with 5xx or connection errors.
        flood_attempts: tries of a call answered 429.
        retry_base: the first backoff delay, in seconds.
        unauthorized_wait: seconds a call keeps retrying while Telegram answers 401.
    """

    def __init__(self, budget: SendBudget, *, attempts: int = 4, flood_attempts: int = 5,
                 retry_base: float = 0.5, unauthorized_wait: float = 30.0) -> None:  # fmt: skip
        self.budget = budget
        self.attempts = attempts
        self.flood_attempts = flood_attempts
        self.retry_base = retry_base
        self.unauthorized_wait = unauthorized_wait

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Send one request, paced and retried (see the module docstring)."""
        chat_id = chat_of(data)
        attempts = ATTEMPTS.get(endpoint, self.attempts)
        failures = floods = timeouts = refusals = 0
        refused_for = 0.0
        while True:
            if chat_id is not None:
                await self.budget.acquire(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                floods += 1
                wait = seconds(error.retry_after)
                self.budget.pause(wait, chat_id)
                if floods >= self.flood_attempts:
                    raise
                log.warning("%s: flood control, waiting %.1f s", endpoint, wait)
                if chat_id is None:  # not paced by chat: wait here
                    await asyncio.sleep(wait)
            except InvalidToken:
                # getMe (start-up), getUpdates (the poller backs off itself) and a tap's
                # spinner (it expires anyway, and the tap's reply waits for it) fail at once.
                if endpoint in NO_WAIT_ON_401 or refused_for >= self.unauthorized_wait:
                    raise
                delay = backoff(refusals, self.retry_base * 4, cap=10.0)
                refusals += 1
                refused_for += delay
                log.warning("%s: Telegram refused the token (401), retrying in %.1f s",
                            endpoint, delay)  # fmt: skip
                await asyncio.sleep(delay)
            except (BadRequest, Forbidden):
                raise
            except TimedOut as error:
                timeouts += 1
                if timeouts > TIMEOUT_REPEATS or timeouts + failures >= attempts:
                    raise
                log.warning("%s timed out (%s), sending it once more", endpoint, error.message)
            except NetworkError as error:
                failures += 1
                if failures + timeouts >= attempts:
                    raise
                delay = backoff(failures - 1, self.retry_base)
                log.warning("%s failed (%s), retrying in %.1f s", endpoint, error.message, delay)
                await asyncio.sleep(delay)


__all__ = ["ATTEMPTS", "NO_WAIT_ON_401", "TIMEOUT_REPEATS", "PacedRequests", "chat_of", "seconds"]

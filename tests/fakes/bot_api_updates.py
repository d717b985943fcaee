"""The update queue behind ``getUpdates``: long polling, confirmation by offset, redelivery."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from typing import Any

from tests.fakes.bot_api_rules import ApiError

__all__ = ["DEFAULT_EXCLUDED", "UpdateQueue", "update_kind"]

# What Telegram leaves out when allowed_updates is empty or was never given.
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)


def update_kind(update: dict[str, Any]) -> str:
    """The update's type: the one key besides ``update_id`` (``message``, ``callback_query``…)."""
    return next((key for key in update if key != "update_id"), "")


class UpdateQueue:
    """Updates waiting for the bot, as Telegram keeps them for ``getUpdates``.

    An update stays pending until a later call passes an ``offset`` above its id. A
    redelivered update (Telegram sends unconfirmed updates again after a crash) is returned at
    least once more even though its id is below the bot's current offset.
    """

    def __init__(self, first_id: int = 1) -> None:
        self._next_id = first_id
        self._pending: list[int] = []
        self._history: dict[int, dict[str, Any]] = {}
        self._sticky: set[int] = set()
        self._signal = asyncio.Event()
        self._generation = 0
        self._allowed: frozenset[str] | None = None
        self._closed = False

    @property
    def pending_count(self) -> int:
        """How many updates wait for confirmation."""
        return len(self._pending)

    def _wake(self) -> None:
        # A fresh Event per change: waiters hold the old one, so no wake-up can be missed.
        self._signal.set()
        self._signal = asyncio.Event()

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue ``update``, giving it the next ``update_id`` unless it has one."""
        if "update_id" not in update:
            update = {"update_id": self._next_id, **update}
        update_id = int(update["update_id"])
        if update_id in self._history:
            raise ValueError(f"update_id {update_id} was already used")
        self._next_id = max(self._next_id, update_id + 1)
        self._history[update_id] = update
        bisect.insort(self._pending, update_id)
        self._wake()
        return update

    def redeliver(self, update_id: int) -> None:
        """Put an already confirmed update back, as Telegram does after a bot crash."""
        if update_id not in self._history:
            raise KeyError(f"no update {update_id} was ever pushed")
        if update_id not in self._pending:
            bisect.insort(self._pending, update_id)
        self._sticky.add(update_id)
        self._wake()

    def drop_pending(self) -> None:
        """Forget every pending update (``drop_pending_updates``)."""
        self._pending.clear()
        self._sticky.clear()

    def close(self) -> None:
        """Release every long poll (the server is stopping)."""
        self._closed = True
        self._wake()

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            # "Negative offset: updates starting from -offset from the end; all previous
            # updates will be forgotten."
            self._pending = self._pending[offset:]
            return
        self._pending = [u for u in self._pending if u >= offset or u in self._sticky]

    def _wanted(self, kind: str) -> bool:
        if self._allowed is None:
            return kind not in DEFAULT_EXCLUDED
        return kind in self._allowed

    def _take(self, limit: int) -> list[dict[str, Any]]:
        # Updates of types the bot did not ask for are dropped, as Telegram does.
        kept = [u for u in self._pending if self._wanted(update_kind(self._history[u]))]
        self._pending = kept
        batch = kept[:limit]
        self._sticky.difference_update(batch)
        return [self._history[u] for u in batch]

    async def get(
        self,
        *,
        offset: int | None,
        limit: int,
        timeout: float,
        allowed_updates: list[str] | None,
    ) -> list[dict[str, Any]]:
        """Answer one ``getUpdates`` call, waiting up to ``timeout`` seconds for an update.

        Raises:
            ApiError: 409 when a newer ``getUpdates`` call replaced this one.
        """
        self._generation += 1
        generation = self._generation
        self._wake()  # an older long poll, if any, now ends with 409
        if offset is not None:
            self._confirm(offset)
        if allowed_updates is not None:
            self._allowed = frozenset(allowed_updates) if allowed_updates else None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while True:
            if generation != self._generation:
                raise ApiError(409, _CONFLICT)
            batch = self._take(limit)
            remaining = deadline - loop.time()
            if batch or self._closed or remaining <= 0:
                return batch
            signal = self._signal
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wait(), remaining)

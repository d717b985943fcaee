"""Per-user ordering: updates of different users run concurrently, one user's in arrival order.

python-telegram-bot hands concurrent updates to a `BaseUpdateProcessor`; this one takes a
lock per user (or per chat, for updates without a sender) so that a person's second message
is handled after their first — the service's answers depend on what came before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class InOrderPerUser(BaseUpdateProcessor):
    """Concurrent updates, but those of one user one after the other, in arrival order."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the handler under the lock of the update's user (or chat)."""
        key = order_key(update)
        if key is None:
            await coroutine
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def order_key(update: object) -> int | None:
    """Whose turn an update waits for: its sender, else its chat; None for neither."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None


__all__ = ["InOrderPerUser", "order_key"]

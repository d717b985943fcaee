"""The small interface every channel shares, and what a channel needs from the service."""

from __future__ import annotations

import hashlib
import logging
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, Protocol

from bot.messages import ConversationKey, Incoming, Reply

log = logging.getLogger("bot.channels")


class ConversationService(Protocol):
    """What channels call: `bot.conversation.conversations.Conversations` implements it."""

    async def handle(self, incoming: Incoming) -> Reply:
        """Handle one input in one transaction; returns after the commit."""
        ...

    async def mark_blocked(self, channel: str, external_id: str) -> None:
        """The user blocked the bot: stop sending to them."""
        ...

    async def mark_replied(self, key: ConversationKey, update_id: int,
                           delivered_at: datetime | None = None,
                           message_id: int | None = None) -> None:  # fmt: skip
        """The reply to `update_id` reached the user (at `delivered_at`, as `message_id`)."""
        ...

    async def keep_fetched(self, channel: str, updates: list[tuple[int, dict[str, Any]]]) -> None:
        """Keep fetched updates until handled (before the channel confirms them)."""
        ...

    async def unhandled_fetched(self, channel: str) -> list[tuple[int | str, dict[str, Any],
                                                                   datetime]]:  # fmt: skip
        """Updates kept by `keep_fetched` that were never handled, oldest first."""
        ...


def user_hash(channel: str, external_id: str | int) -> str:
    """A short, stable pseudonym of a user for logs (never the raw id)."""
    digest = hashlib.sha256(f"sdgbot:{channel}:{external_id}".encode()).hexdigest()
    return digest[:10]


def log_update(
    channel: str,
    external_id: str | int | None,
    kind: str,
    reply: Reply | None,
    seconds: float,
    outcome: str = "ok",
) -> None:
    """The one log line per update: who (hashed), what, where in which flow, how long."""
    who = user_hash(channel, external_id) if external_id is not None else "-"
    flow = (reply.flow_id if reply else None) or "-"
    step = (reply.step_id if reply else None) or "-"
    duplicate = " duplicate" if reply is not None and reply.duplicate else ""
    log.info(
        "%s update user=%s kind=%s flow=%s step=%s %s%s %.0fms",
        channel, who, kind, flow, step, outcome, duplicate, seconds * 1000,
    )  # fmt: skip


class Channel(ABC):
    """A place conversations happen.

    It turns updates into `Incoming`, calls the service and renders the `Reply` (see
    `bot.channels.render`).
    """

    name: str = "channel"

    def __init__(self, service: ConversationService) -> None:
        self.service = service

    @abstractmethod
    async def start(self) -> None:
        """Start receiving updates (returns once running)."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop receiving, finish what is in hand, release resources."""

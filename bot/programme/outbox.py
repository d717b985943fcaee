"""Delivery records: what the outbox sent to whom, and what it could not.

Every message the bot sends on its own — reminders, nudges, broadcasts, messages between the two
sides of a twinning, notices to a person about a decision — is an outbox row with a status
(pending, sent, failed and why, blocked, dropped and why, unknown after a crash). Coordinators
read them here; `sdgbot outbox` and the web console show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.programme.actors import Actor
from bot.storage.models import OutboxItem, User
from bot.storage.tx import Tx

KINDS = ("reminder", "snooze", "nudge", "broadcast", "partner", "notice")
"""The kinds of outbox rows (see `bot.scheduling.sender`)."""


@dataclass(frozen=True)
class Delivery:
    """One outbox row and its recipient."""

    item: OutboxItem
    user: User | None


async def deliveries(
    tx: Tx, actor: Actor, *, kind: str | None = None, status: str | None = None, limit: int = 50
) -> list[Delivery]:
    """The latest outbox rows (of one kind, in one status), oldest first; coordinators only."""
    actor.require("coordinator")
    items: Sequence[OutboxItem] = await tx.outbox_items(kind=kind, status=status, newest=limit)
    users = await tx.users_by_id({item.user_id for item in items})
    return [Delivery(item, users.get(item.user_id)) for item in items]


__all__ = ["KINDS", "Delivery", "deliveries"]

"""Telling a person about a decision about them, through the outbox.

A coordinator grants or declines someone's request in the chat or on the web; the person hears
it in their language, when the outbox sender next runs. Written in the decision's transaction,
so a crash right after it cannot lose the message, and paced with everything else.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.i18n import LANGUAGES, Messages
from bot.scheduling.sender import NOTICE_KIND
from bot.storage.models import User
from bot.storage.tx import Tx

NOTICE_KEPT = timedelta(days=14)
"""A notice not delivered by then (the person blocked the bot) is dropped."""


async def tell(
    tx: Tx, user: User, key: str, messages: Messages, now: datetime, occasion: str
) -> int:
    """Queue message `key` for `user` in every language (theirs goes out); returns rows added.

    `occasion` makes the row unique: the same decision is never told twice.
    """
    if user.blocked:
        return 0
    return await tx.enqueue(
        [
            {
                "key": f"{NOTICE_KIND}:{key}:{user.id}:{occasion}"[:200],
                "kind": NOTICE_KIND,
                "user_id": user.id,
                "due_at": now,
                "expires_at": now + NOTICE_KEPT,
                "payload": {"texts": {lang: messages.get(key, lang) for lang in LANGUAGES}},
            }
        ],
        now,
    )


__all__ = ["NOTICE_KEPT", "tell"]

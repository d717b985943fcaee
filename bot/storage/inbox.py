"""The inbox: updates as fetched, kept until they are handled (see `InboxItem`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, and_, delete, select

from bot.storage._base import TxPart, require_aware, upsert
from bot.storage.models import InboxItem, ProcessedUpdate

_KEEP = upsert(InboxItem, ("channel", "update_id", "payload", "fetched_at"),
               ("channel", "update_id"))  # fmt: skip
"""Keep a fetched update unless it is kept already."""


class InboxPart(TxPart):
    """`Tx` methods about fetched updates not handled yet."""

    async def keep_fetched(
        self, channel: str, updates: Sequence[tuple[int | str, dict[str, Any]]], at: datetime
    ) -> None:
        """Keep ``(update_id, payload)`` pairs fetched at ``at`` (one executemany)."""
        require_aware(at, "at")
        rows = [{"channel": channel, "update_id": str(update_id), "payload": payload,
                 "fetched_at": at} for update_id, payload in updates]  # fmt: skip
        if rows:
            await self._session.execute(_KEEP, rows)

    async def unhandled_fetched(
        self, channel: str, since: datetime
    ) -> list[tuple[int | str, dict[str, Any], datetime]]:
        """Updates fetched since ``since`` that no transaction claimed, oldest first.

        Returns:
            ``(update_id, payload, fetched_at)``; numeric ids come back as ints.
        """
        claimed = and_(
            ProcessedUpdate.channel == InboxItem.channel,
            ProcessedUpdate.update_id == InboxItem.update_id,
        )
        statement = (
            select(InboxItem.update_id, InboxItem.payload, InboxItem.fetched_at)
            .outerjoin(ProcessedUpdate, claimed)
            .where(
                InboxItem.channel == channel,
                InboxItem.fetched_at >= require_aware(since, "since"),
                ProcessedUpdate.update_id.is_(None),
            )
        )
        rows = (await self._session.execute(statement)).all()
        found = [(int(u) if u.lstrip("-").isdigit() else u, p, f) for u, p, f in rows]
        return sorted(found, key=lambda row: (row[2], str(row[0]).zfill(20)))

    async def forget_fetched(self, before: datetime) -> int:
        """Drop inbox rows fetched before ``before``; returns how many."""
        statement = delete(InboxItem).where(InboxItem.fetched_at < require_aware(before, "before"))
        result: CursorResult[Any] = await self._session.execute(statement)  # type: ignore[assignment]
        return result.rowcount

    async def drop_fetched(self, channel: str, update_id: int | str) -> None:
        """Drop one kept update (a copy of one already handled: nothing needs it any more)."""
        await self._session.execute(delete(InboxItem).where(
            InboxItem.channel == channel, InboxItem.update_id == str(update_id)))  # fmt: skip

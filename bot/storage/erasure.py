"""Erasure queries: every copy of a person's data, found and removed in the caller's transaction.

`bot.programme.privacy.forget_user` (``/forget``) and `erase_stale_runs` (retention) call these
so that erasing reaches every table, not only the obvious ones:

* the inbox keeps Telegram updates as fetched (name, id, the text typed): found by the user's
  id *inside* the stored JSON — a text search narrows the rows in SQL on both dialects, and
  the JSON itself decides (``from.id``/``chat.id``/``user.id`` anywhere in the update), so
  ``"12"`` never erases the update of user ``"123"``;
* processed-update marks of those updates and of the inputs runs remember (``asked_in``);
* outbox rows to the user (reminders, nudges, broadcasts, partner messages, delivery records);
* the audit log keeps each fact, but the user's channel key, id and name in an entry's actor
  or details become ``erased-user#<id>``;
* a municipality only this user typed (``source = 'user'``) and nothing else refers to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, delete, func, or_, select, update

from bot.storage._base import TxPart
from bot.storage.audit import ERASED_ACTOR
from bot.storage.models import (
    AuditEntry,
    Broadcast,
    FlowRun,
    InboxItem,
    Municipality,
    OutboxItem,
    Partnership,
    ProcessedUpdate,
    User,
)

_ID_HOLDERS = ("from", "chat", "user", "sender_chat")
"""Keys of a Telegram update whose object's ``id`` is a person or their private chat."""


@dataclass(frozen=True)
class Identity:
    """How a person appears in stored data: their channel key, their id there, their name."""

    user_id: int
    channel: str
    external_id: str
    name: str | None

    @classmethod
    def of(cls, user: User) -> Identity:
        """The identity of a `User` row (read before the row is deleted)."""
        return cls(user.id, user.channel, user.external_id, user.name)

    @property
    def key(self) -> str:
        """``"channel:external_id"``, as audit rows and broadcasts name people."""
        return f"{self.channel}:{self.external_id}"

    @property
    def placeholder(self) -> str:
        """What stands where the person was named (``erased-user#<id>``)."""
        return f"{ERASED_ACTOR}#{self.user_id}"

    @property
    def named(self) -> bool:
        """Whether the name is worth searching for (a one-letter name is no one's name)."""
        return self.name is not None and len(self.name.strip()) >= 2

    def needles(self) -> list[str]:
        """Texts whose presence in stored JSON may mean the person is named there.

        A name is also searched in its JSON-escaped form: SQLite stores JSON text with
        non-ASCII characters escaped ("ë" as a six-character escape).
        """
        found = [self.key, self.external_id]
        if self.named and self.name is not None:
            found += [self.name, json.dumps(self.name)[1:-1]]
        return list(dict.fromkeys(found))


def mentions(payload: Any, external_id: str) -> bool:
    """Whether a stored update is from, or to, the person with this channel id."""
    if isinstance(payload, Mapping):
        for key, value in payload.items():
            if key in _ID_HOLDERS and isinstance(value, Mapping) \
                    and str(value.get("id")) == external_id:  # fmt: skip
                return True
            if mentions(value, external_id):
                return True
    elif isinstance(payload, list):
        return any(mentions(item, external_id) for item in payload)
    return False


def scrubbed(value: Any, identity: Identity) -> Any:
    """`value` (audit details) with every string naming the person replaced."""
    if isinstance(value, Mapping):
        return {key: scrubbed(item, identity) for key, item in value.items()}
    if isinstance(value, list):
        return [scrubbed(item, identity) for item in value]
    if isinstance(value, str):
        out = value.replace(identity.key, identity.placeholder)
        if identity.named and identity.name is not None:  # as a whole word: not "Ana" in "Analysis"
            out = re.sub(rf"(?<!\w){re.escape(identity.name)}(?!\w)", identity.placeholder, out)
        return identity.placeholder if out.strip() == identity.external_id else out
    if isinstance(value, int) and not isinstance(value, bool) \
            and str(value) == identity.external_id:  # fmt: skip
        return identity.placeholder
    return value


class ErasurePart(TxPart):
    """`Tx` methods erasing a person's traces outside their user row, runs and answers."""

    async def forget_inbox_of(self, channel: str, external_id: str) -> list[str]:
        """Delete the kept updates from or to this person; returns their update ids."""
        # The id as text narrows the rows in SQL (a JSON column cast to text: both dialects);
        # the parsed update decides, so a longer id containing it is not matched.
        candidates = select(InboxItem.update_id, InboxItem.payload).where(
            InboxItem.channel == channel,
            cast(InboxItem.payload, String).contains(external_id, autoescape=True),
        )
        rows = (await self._session.execute(candidates)).all()
        ids = [update_id for update_id, payload in rows if mentions(payload, external_id)]
        for chunk in _chunks(ids):
            await self._session.execute(delete(InboxItem).where(
                InboxItem.channel == channel, InboxItem.update_id.in_(chunk)))  # fmt: skip
        return ids

    async def forget_processed(self, channel: str, update_ids: Iterable[int | str]) -> int:
        """Delete the processed-update marks of these inputs; returns how many."""
        removed = 0
        for chunk in _chunks([str(u) for u in update_ids]):
            statement = delete(ProcessedUpdate).where(
                ProcessedUpdate.channel == channel, ProcessedUpdate.update_id.in_(chunk)
            )
            result = await self._session.execute(statement)
            removed += int(getattr(result, "rowcount", 0) or 0)
        return removed

    async def forget_outbox_of(self, user_id: int) -> int:
        """Delete every outbox row to this user, pending or sent (its delivery record)."""
        statement = delete(OutboxItem).where(OutboxItem.user_id == user_id)
        result = await self._session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    async def forget_run_messages(self, run_ids: Iterable[int]) -> int:
        """Delete outbox rows about these runs, whoever they were for.

        Their nudges (keyed by run), and messages built from their answers (a mirror report
        names both sides' answers: its rows list the runs they come from, ``payload.runs``).
        """
        ids = set(run_ids)
        removed = 0
        for chunk in _chunks([f"nudge:{run_id}" for run_id in ids]):
            statement = delete(OutboxItem).where(OutboxItem.key.in_(chunk))
            result = await self._session.execute(statement)
            removed += int(getattr(result, "rowcount", 0) or 0)
        built = await self._session.execute(
            select(OutboxItem.id, OutboxItem.payload).where(OutboxItem.kind == "partner")
        )
        doomed = [
            row_id
            for row_id, payload in built.all()
            if ids & set((payload or {}).get("runs") or ())
        ]
        for chunk in _chunks(doomed):
            result = await self._session.execute(delete(OutboxItem).where(OutboxItem.id.in_(chunk)))
            removed += int(getattr(result, "rowcount", 0) or 0)
        return removed

    async def anonymise_mentions(self, identity: Identity) -> int:
        """Keep each audit fact and broadcast, without the person's key, id or name in them.

        Returns:
            How many audit rows changed.
        """
        await self._session.execute(
            update(AuditEntry)
            .where(AuditEntry.actor_user_id == identity.user_id)
            .values(actor=identity.placeholder, actor_user_id=None)
        )
        as_text = cast(AuditEntry.details, String)
        found = or_(
            AuditEntry.actor == identity.key,
            *[as_text.contains(needle, autoescape=True) for needle in identity.needles()],
        )
        entries = (await self._session.execute(select(AuditEntry).where(found))).scalars().all()
        changed = 0
        for entry in entries:
            details = scrubbed(entry.details, identity)
            actor = identity.placeholder if entry.actor == identity.key else entry.actor
            if details != entry.details or actor != entry.actor:
                entry.details, entry.actor = details, actor
                changed += 1
        await self._session.execute(
            update(Broadcast)
            .where(Broadcast.created_by == identity.key)
            .values(created_by=identity.placeholder)
        )
        await self._session.flush()
        return changed

    async def forget_typed_municipality(self, municipality_id: int | None, user_id: int) -> bool:
        """Delete a municipality a user typed (not seeded) if nothing else refers to it."""
        if municipality_id is None:
            return False
        place = await self._session.get(Municipality, municipality_id)
        if place is None or place.source != "user":
            return False
        others = [
            select(func.count()).select_from(User).where(
                User.municipality_id == municipality_id, User.id != user_id),
            select(func.count()).select_from(FlowRun).where(
                FlowRun.municipality_id == municipality_id, FlowRun.user_id != user_id),
            select(func.count()).select_from(Partnership).where(or_(
                Partnership.north_municipality_id == municipality_id,
                Partnership.south_municipality_id == municipality_id)),
        ]  # fmt: skip
        for statement in others:
            if (await self._session.execute(statement)).scalar_one():
                return False
        await self._session.execute(delete(Municipality).where(Municipality.id == municipality_id))
        return True


def _chunks(values: list[Any], size: int = 500) -> Iterable[list[Any]]:
    """Slices of `values`, so each ``IN (...)`` list stays a reasonable size."""
    for start in range(0, len(values), size):
        yield values[start : start + size]

"""The reporting calendar as a board: each deadline's next due date, who is done, who is not.

`bot.programme.deadlines` keeps the calendar and tells one occurrence's progress; the web
console's deadline page shows every deadline at once with the municipalities on each side
(people without a municipality are named by themselves). Recipients are loaded once for all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.programme import deadlines
from bot.programme.actors import Actor
from bot.scheduling.deadlines import Occurrence
from bot.scheduling.planner import Recipients, pending_users, scope_of
from bot.storage.models import User
from bot.storage.tx import Tx


@dataclass(frozen=True)
class Standing:
    """One occurrence and the places (or people) done and still pending."""

    occurrence: Occurrence
    done: tuple[str, ...]
    pending: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    """A deadline as listed, and its next occurrence's standing (None: no occurrence ahead)."""

    listed: deadlines.Listed
    standing: Standing | None


def _label(user: User, names: dict[int, str]) -> str:
    if user.municipality_id:
        return names.get(user.municipality_id, "—")
    return user.name or user.key


async def standing(tx: Tx, occurrence: Occurrence, recipients: Recipients,
                   now: datetime) -> Standing:
    """Who has done `occurrence` and who has not (by municipality)."""
    everyone = recipients.of(occurrence)
    pending = await pending_users(tx, occurrence, recipients, now)
    pending_scopes = {scope_of(u) for u in pending}
    done = sorted({_label(u, recipients.names) for u in everyone
                   if scope_of(u) not in pending_scopes})
    waiting = sorted({_label(u, recipients.names) for u in pending})
    return Standing(occurrence, tuple(done), tuple(waiting))


async def board(tx: Tx, actor: Actor, today: date, now: datetime, *,
                only: str | None = None) -> list[Row]:
    """Every active deadline (or only the one with id `only`) with its next standing."""
    listed = [item for item in await deadlines.listing(tx, actor, today)
              if only is None or item.id == only]
    recipients = await Recipients.load(tx)
    rows = []
    for item in listed:
        found = (await standing(tx, item.next, recipients, now)
                 if item.next is not None else None)
        rows.append(Row(item, found))
    return rows


__all__ = ["Row", "Standing", "board", "standing"]

"""People as coordinators browse them: one page at a time, filtered, newest activity first.

`bot.programme.roles.people` lists everyone for the chat and the terminal; a page of the web
console shows at most `PAGE_SIZE` rows of ten thousand, with the filters coordinators use
(name or id, role, municipality, only those waiting for coordinator access).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from bot.programme.actors import Actor, NotFound
from bot.storage.models import ROLES, SANDBOX_CHANNEL, Municipality, User
from bot.storage.tx import Tx

PAGE_SIZE = 50


@dataclass(frozen=True)
class Row:
    """One person in the list."""

    user: User
    municipality: str | None
    waiting_for: str | None


@dataclass(frozen=True)
class Page:
    """A page of people and how many match in all."""

    rows: list[Row]
    total: int
    offset: int

    @property
    def more(self) -> bool:
        """Whether a next page exists."""
        return self.offset + len(self.rows) < self.total


async def browse(
    tx: Tx,
    actor: Actor,
    *,
    search: str = "",
    role: str | None = None,
    municipality_id: int | None = None,
    requests_only: bool = False,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> Page:
    """A page of people matching the filters, most recently seen first (coordinators)."""
    actor.require("coordinator")
    conditions = [User.channel != SANDBOX_CHANNEL]
    if role in ROLES:
        conditions.append(User.role == role)
    if municipality_id is not None:
        conditions.append(User.municipality_id == municipality_id)
    if requests_only:
        waiting_ids = [u.id for u in await tx.role_requests()]
        conditions.append(User.id.in_(waiting_ids or [-1]))
    text = " ".join(search.split())[:100]
    if text:
        pattern = f"%{text.lower()}%"
        conditions.append(
            or_(
                func.lower(User.name).like(pattern),
                User.external_id == text.removeprefix("telegram:"),
                func.lower(Municipality.name).like(pattern),
            )
        )
    base = (
        select(User, Municipality.name)
        .outerjoin(Municipality, Municipality.id == User.municipality_id)
        .where(*conditions)
    )
    total = int(
        (await tx.session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    )
    rows = (
        await tx.session.execute(
            base.order_by(User.last_seen_at.desc().nulls_last(), User.id.desc())
            .offset(max(offset, 0))
            .limit(limit)
        )
    ).all()
    waiting = {u.id: u.requested_role for u in await tx.role_requests()}
    return Page(
        [Row(user, place, waiting.get(user.id)) for user, place in rows], total, max(offset, 0)
    )


async def person(tx: Tx, actor: Actor, user_id: int) -> User:
    """One person by database id, locked for a change.

    Raises:
        NotFound: no such person (or a simulator's sandbox person).
    """
    actor.require("coordinator")
    found = await tx.lock_user(user_id)
    if found is None or found.channel == SANDBOX_CHANNEL:
        raise NotFound(f"no person #{user_id}")
    return found


__all__ = ["PAGE_SIZE", "Page", "Row", "browse", "person"]

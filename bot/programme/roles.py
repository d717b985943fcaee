"""People and roles: who sees what, promotions, and the queue of coordinator requests.

Telegram ids in ``SDGBOT_COORDINATORS`` are coordinators: new users get the role when they are
created, existing ones at start (`apply_seeded_coordinators`) and, at the latest, the first time
they use a coordinator command (`ensure_seeded_role`).

Coordinator requests made in onboarding (``users.requested_role``) wait in a queue. A reviewer
is shown the oldest (`next_request`); which one is remembered (``role_reviews``), so Approve and
Refuse act on exactly the request that person saw, never on one somebody else handled since.

Who sees what: a user sees their municipality's results, both sides of a partnership see its
check-ins, coordinators see everything (`can_see_run`); comparisons with other municipalities
are only anonymous averages over at least five of them (`anonymous_average`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.i18n import Messages
from bot.programme.actors import ROLE_RANK, Actor, NotAllowed, NotFound, has_role
from bot.programme.notices import tell
from bot.storage.audit import ACTION_ROLE_CHANGE, ACTION_ROLE_REFUSED, audit
from bot.storage.models import FlowRun, Municipality, Partnership, User
from bot.storage.store import Store
from bot.storage.tx import Tx

SEEDED_BY = "config:SDGBOT_COORDINATORS"
ANONYMITY_MINIMUM = 5
"""Fewest municipalities an average over others may be shown for (smaller groups identify)."""


# --- who sees what -------------------------------------------------------------------------------


def can_see_run(viewer: User, run: FlowRun, partnership: Partnership | None = None) -> bool:
    """Whether `viewer` may see `run`'s answers.

    Coordinators see everything; a user sees their own runs and their municipality's; both
    sides of a partnership see that partnership's check-ins (`partnership` is the run's).
    """
    if has_role(viewer, "coordinator") or run.user_id == viewer.id:
        return True
    mine = viewer.municipality_id
    if mine is None:
        return False
    if run.municipality_id == mine:
        return True
    return (
        partnership is not None
        and run.partnership_id == partnership.id
        and mine in (partnership.north_municipality_id, partnership.south_municipality_id)
    )


def anonymous_average(
    values_by_municipality: Mapping[Hashable, float | None],
    minimum: int = ANONYMITY_MINIMUM,
    exclude: Hashable | None = None,
) -> float | None:
    """The mean over municipalities, or None when fewer than `minimum` have a value.

    Args:
        values_by_municipality: one value per municipality (None or NaN: no value).
        minimum: the fewest municipalities an average may be shown for.
        exclude: a municipality left out (the viewer's own, when comparing with "the others").

    Returns:
        The average, or None when it would describe fewer than `minimum` municipalities.
    """
    values = [
        float(v)
        for k, v in values_by_municipality.items()
        if k != exclude and v is not None and not math.isnan(float(v))
    ]
    if len(values) < max(minimum, 1):
        return None
    return sum(values) / len(values)


# --- coordinators named in the settings ----------------------------------------------------------


async def ensure_seeded_role(tx: Tx, user: User, coordinators: Iterable[str]) -> bool:
    """Give the coordinator role to `user` if listed in ``SDGBOT_COORDINATORS`` and lacking it.

    Returns:
        True when the user was promoted just now.
    """
    if user.external_id not in set(coordinators) or has_role(user, "coordinator"):
        return False
    await tx.update_user(user, role="coordinator", requested_role=None)
    await audit(
        tx, SEEDED_BY, ACTION_ROLE_CHANGE, {"user": user.key, "from": "user", "to": "coordinator"}
    )
    return True


async def apply_seeded_coordinators(store: Store, coordinators: Iterable[str]) -> int:
    """Make every existing user listed in ``SDGBOT_COORDINATORS`` a coordinator (at start).

    Admins stay admins; each promotion is audited. Returns how many users were promoted.
    """
    ids = sorted(set(coordinators))
    if not ids:
        return 0

    async def promote(tx: Tx) -> int:
        users = (
            (
                await tx.session.execute(
                    select(User).where(User.external_id.in_(ids), User.role == "user")
                )
            )
            .scalars()
            .all()
        )
        for user in users:
            await ensure_seeded_role(tx, user, ids)
        return len(users)

    return await store.run_in_transaction(promote)


# --- people --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """One person as coordinators see them in a list."""

    user: User
    municipality: str | None
    waiting_for: str | None
    """The role they asked for and still wait for, if any."""


async def people(
    tx: Tx, actor: Actor, *, role: str | None = None, requests_only: bool = False
) -> list[Person]:
    """Everyone (or those with `role`, or only those waiting for a role), oldest first."""
    actor.require("coordinator")
    statement = (
        select(User, Municipality.name)
        .outerjoin(Municipality, Municipality.id == User.municipality_id)
        .order_by(User.id)
    )
    if role:
        statement = statement.where(User.role == role)
    rows = (await tx.session.execute(statement)).all()
    waiting = {u.id for u in await tx.role_requests()}
    return [
        Person(u, place, u.requested_role if u.id in waiting else None)
        for u, place in rows
        if not requests_only or u.id in waiting
    ]


async def find_user(tx: Tx, who: str) -> User:
    """The user named by ``channel:id``, a bare channel id, or ``#<database id>``.

    Raises:
        NotFound: when nobody or several users match.
    """
    if who.startswith("#") and who[1:].isdigit():
        found = await tx.user(int(who[1:]))
        if found is None:
            raise NotFound(f"no user with database id {who}")
        return found
    channel, sep, external = who.partition(":")
    if sep:
        user = await tx.get_user(channel, external)
        if user is None:
            raise NotFound(f"no user {who} (see `sdgbot users list`)")
        return user
    statement = select(User).where(User.external_id == who)
    matches = (await tx.session.execute(statement)).scalars().all()
    if not matches:
        raise NotFound(f"no user with id {who} (see `sdgbot users list`)")
    if len(matches) > 1:
        keys = ", ".join(u.key for u in matches)
        raise NotFound(f"{who} is ambiguous ({keys}): give channel:id")
    return matches[0]


async def change_role(tx: Tx, actor: Actor, user: User, role: str, *, via: str) -> str:
    """Set `user`'s role, audited; returns the role they had before.

    Only someone with a role at least as high as both the old and the new one may change it
    (a coordinator makes coordinators, only an admin makes or unmakes admins).
    """
    actor.require("coordinator")
    before = user.role
    if not (has_role(actor, role) and has_role(actor, before)):
        raise NotAllowed(f"only an admin can make or unmake an admin ({user.key})")
    if before != role:
        requested = (
            None if user.requested_role in (role, "user") or role != "user" else user.requested_role
        )
        await tx.update_user(user, role=role, requested_role=requested)
        await audit(
            tx,
            actor.audit_name,
            ACTION_ROLE_CHANGE,
            {"user": user.key, "from": before, "to": role, "via": via},
        )
    return before


# --- coordinator requests ------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A waiting request as shown to a reviewer."""

    candidate: User
    waiting: int
    """How many requests wait, this one included."""
    municipality: Municipality | None


async def waiting_requests(tx: Tx, actor: Actor) -> Sequence[User]:
    """Requests waiting for someone other than the actor, oldest first."""
    actor.require("coordinator")
    own = actor.user.id if actor.user is not None else None
    return [u for u in await tx.role_requests() if u.id != own]


async def next_request(tx: Tx, actor: Actor, now: datetime) -> Request | None:
    """The oldest waiting request, remembered as the one this reviewer is looking at."""
    waiting = await waiting_requests(tx, actor)
    reviewer = actor.user
    if not waiting:
        if reviewer is not None:
            await tx.clear_role_review(reviewer.id)
        return None
    candidate = waiting[0]
    if reviewer is not None:
        await tx.set_role_review(reviewer.id, candidate.id, now)
    place = await tx.municipality(candidate.municipality_id) if candidate.municipality_id else None
    return Request(candidate, len(waiting), place)


async def reviewed_request(tx: Tx, actor: Actor) -> User | None:
    """The request this reviewer was shown, if it still waits (locked for the decision)."""
    actor.require("coordinator")
    if actor.user is None:
        return None
    candidate_id = await tx.role_review(actor.user.id)
    candidate = await tx.lock_user(candidate_id) if candidate_id is not None else None
    if (
        candidate is None
        or candidate.requested_role is None
        or ROLE_RANK.get(candidate.requested_role, 0) <= ROLE_RANK.get(candidate.role, 0)
    ):
        return None
    return candidate


@dataclass(frozen=True)
class Decision:
    """A request decided: the role granted (None when refused) and the notices queued."""

    role: str | None
    told: int


async def approve(
    tx: Tx, actor: Actor, candidate: User, *, via: str, messages: Messages, now: datetime
) -> Decision:
    """Grant `candidate` the role they asked for (audited), and tell them (the outbox)."""
    wanted = candidate.requested_role or "coordinator"
    await change_role(tx, actor, candidate, wanted, via=via)
    if actor.user is not None:
        await tx.clear_role_review(actor.user.id)
    told = await tell(tx, candidate, "role_granted", messages, now, f"{via}:{now.isoformat()}")
    return Decision(wanted, told)


async def refuse(
    tx: Tx, actor: Actor, candidate: User, *, via: str, messages: Messages, now: datetime
) -> Decision:
    """Decline `candidate`'s request (they keep normal access; audited), and tell them."""
    actor.require("coordinator")
    wanted = candidate.requested_role
    await tx.update_user(candidate, requested_role=None)
    await audit(
        tx,
        actor.audit_name,
        ACTION_ROLE_REFUSED,
        {"user": candidate.key, "requested": wanted, "via": via},
    )
    if actor.user is not None:
        await tx.clear_role_review(actor.user.id)
    told = await tell(tx, candidate, "role_declined", messages, now, f"{via}:{now.isoformat()}")
    return Decision(None, told)


__all__ = [
    "ANONYMITY_MINIMUM",
    "SEEDED_BY",
    "Decision",
    "Person",
    "Request",
    "anonymous_average",
    "apply_seeded_coordinators",
    "approve",
    "can_see_run",
    "change_role",
    "ensure_seeded_role",
    "find_user",
    "next_request",
    "people",
    "refuse",
    "reviewed_request",
    "waiting_requests",
]

"""The reporting calendar as use cases: see what is due, keep deadlines, mark them done, remind.

Officials see the deadlines that concern them and mark one done for their municipality (or ask
to be reminded tomorrow); coordinators see every deadline with who is still pending, keep the
calendar (add, change, remove, import — audited) and remind only those still pending. The
timing rules (occurrences, quiet hours, reminder plans) are `bot.scheduling`'s; the chat, the
CLI and the web console format what these functions return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.flow.catalogue import Catalogue
from bot.programme.actors import Actor, NotFound, ProgrammeError
from bot.scheduling.audience import Term, Twinnings, audience_context, matches, user_timezone
from bot.scheduling.deadlines import Deadline, Occurrence, occurrences, parse
from bot.scheduling.planner import (
    Recipients,
    closed_by_flow,
    pending_users,
    remind_pending,
    scope_of,
)
from bot.scheduling.sender import load_deadlines
from bot.scheduling.timing import QuietHours, end_of_day, local_date, snooze_until, zone
from bot.storage.audit import ACTION_DEADLINE_CHANGE, audit
from bot.storage.models import DeadlineDone, User
from bot.storage.tx import Tx

LOOKAHEAD_DAYS = 365
SOURCE = "coordinator"


# --- what is due ---------------------------------------------------------------------------------


def _member(
    user: User, occurrence: Occurrence, twinnings: Twinnings, names: dict[int, str]
) -> bool:
    if occurrence.partnership and user.municipality_id not in twinnings.municipalities(
        Term("partnership", occurrence.partnership)
    ):
        return False
    return matches(user, occurrence.deadline.audience, twinnings, names)


async def twinning_names(tx: Tx) -> dict[str, str]:
    """Twinning slug → its name, for showing per-twinning occurrences."""
    return {p.slug: p.name for p in await tx.partnerships()}


async def active_partnerships(tx: Tx) -> list[tuple[str, str | None]]:
    """(slug, check-in rhythm) of the twinnings still running: what per-twinning deadlines need."""
    return [(p.slug, p.rhythm) for p in await tx.partnerships(active_only=True)]


async def upcoming(
    tx: Tx,
    user: User,
    now: datetime,
    catalogue: Catalogue,
    *,
    everything: bool = False,
    days: int = LOOKAHEAD_DAYS,
) -> list[Occurrence]:
    """Occurrences due in the coming `days` that concern `user` (all with `everything`)."""
    today = local_date(now, zone(user_timezone(user, catalogue)))
    twinnings, names = await audience_context(tx)
    partnerships = await active_partnerships(tx)
    found = [
        occurrence
        for deadline in (await load_deadlines(tx)).values()
        for occurrence in occurrences(deadline, today, today + timedelta(days=days), partnerships)
        if everything or _member(user, occurrence, twinnings, names)
    ]
    found.sort(key=lambda o: (o.due, o.deadline.id, o.key))
    return found


async def all_occurrences(tx: Tx, today: date, months: int) -> list[Occurrence]:
    """Every active deadline's occurrences in the coming `months` (for a calendar file)."""
    partnerships = await active_partnerships(tx)
    found: list[Occurrence] = []
    for deadline in (await load_deadlines(tx)).values():
        found += occurrences(deadline, today, today + timedelta(days=31 * months), partnerships)
    return sorted(found, key=lambda o: (o.due, o.deadline.id, o.key))


@dataclass(frozen=True)
class Progress:
    """How many municipalities (or people without one) an occurrence concerns, and who is done."""

    total: int
    pending: int
    pending_places: tuple[str, ...]


async def progress(
    tx: Tx, occurrence: Occurrence, now: datetime, recipients: Recipients | None = None
) -> Progress:
    """Who an occurrence concerns and who has not done it yet (marked or by its flow).

    A twinning's occurrence concerns its two municipalities, whether or not anyone there
    uses the bot yet; others concern the municipalities (or people without one) of the
    deadline's audience among the bot's users.
    """
    recipients = recipients or await Recipients.load(tx)
    if occurrence.partnership:
        pair = set(recipients.twinnings.by_slug.get(occurrence.partnership, ()))
        marks = {m.scope for m in await tx.done_marks(occurrence.deadline.id, [occurrence.key])}
        closed = await closed_by_flow(tx, occurrence, recipients.twinnings, now)
        waiting = sorted(m for m in pair if f"m:{m}" not in marks and m not in closed)
        names = sorted(recipients.names.get(m, "—") for m in waiting)
        return Progress(len(pair), len(waiting), tuple(names))
    total = {scope_of(u) for u in recipients.of(occurrence)}
    pending_people = await pending_users(tx, occurrence, recipients, now)
    pending = {scope_of(u) for u in pending_people}
    places = sorted({recipients.names.get(u.municipality_id or 0, "—") for u in pending_people})
    return Progress(len(total), len(pending), tuple(places))


async def done_mark(tx: Tx, occurrence: Occurrence, user: User) -> DeadlineDone | None:
    """The mark saying the user's municipality (or the user) has done `occurrence`, if any."""
    return await tx.done_mark(occurrence.deadline.id, occurrence.key, scope_of(user))


async def find_occurrences(
    tx: Tx, actor: Actor, deadline_id: str, due: date | None, today: date
) -> tuple[Deadline, list[Occurrence]]:
    """A deadline and its next occurrences (or the ones due on `due`): one per twinning at most.

    Raises:
        NotFound: no such active deadline, or no occurrence then.
    """
    actor.require("coordinator")
    deadline = (await load_deadlines(tx)).get(deadline_id)
    if deadline is None:
        raise NotFound(f"no active deadline {deadline_id!r}")
    day = due or today
    chosen = [
        o
        for o in occurrences(
            deadline, day, day + timedelta(days=3 * 366), await active_partnerships(tx)
        )
        if due is None or o.due == due
    ]
    if not chosen:
        raise NotFound(
            f"{deadline_id} has no occurrence {'on ' + due.isoformat() if due else 'ahead'}"
        )
    first = chosen[0].due
    return deadline, [o for o in chosen if o.due == first]


async def remind(
    tx: Tx,
    actor: Actor,
    deadline: Deadline,
    occurrence: Occurrence,
    now: datetime,
    catalogue: Catalogue,
    quiet: QuietHours,
) -> int:
    """Remind, today, only those who have not done `occurrence`; returns how many people."""
    actor.require("coordinator")
    return await remind_pending(tx, deadline, occurrence, now, catalogue, quiet)


async def close_on_completion(tx: Tx, user: User, flow_id: str, now: datetime) -> list[Occurrence]:
    """Mark done what the user's just completed run of `flow_id` closes (see `ClosedBy`).

    For each deadline closed by that flow, the first occurrence ahead (of the user's twinning,
    for a twinning's deadline) is marked done for the municipality — for both municipalities
    when ``both_sides`` and the partner has completed it too — recording who, and their pending
    reminders are dropped. Returns the occurrences closed just now.
    """
    if user.municipality_id is None:
        return []
    twinnings, _ = await audience_context(tx)
    partnerships = await active_partnerships(tx)
    closed: list[Occurrence] = []
    for deadline in (await load_deadlines(tx)).values():
        closing = deadline.closing
        if closing is None or closing.flow != flow_id:
            continue
        today = local_date(now, zone(deadline.timezone))
        for occurrence in occurrences(
            deadline, today, today + timedelta(days=LOOKAHEAD_DAYS + 35), partnerships
        ):
            if occurrence.partnership and user.municipality_id not in twinnings.municipalities(
                Term("partnership", occurrence.partnership)
            ):
                continue
            done = await closed_by_flow(tx, occurrence, twinnings, now)
            if closing.both_sides:  # the twinning's, once both sides completed it
                pair = set(twinnings.by_slug.get(occurrence.partnership or "", ()))
                places = pair if pair and pair <= done else set()
            else:
                places = {user.municipality_id} & done
            if places and await _mark(tx, occurrence, places, user, now):
                closed.append(occurrence)
            break
    return closed


async def _mark(
    tx: Tx, occurrence: Occurrence, places: set[int], user: User, now: datetime
) -> bool:
    """Mark `occurrence` done for each municipality in `places` not marked yet; any new mark?"""
    deadline, marked = occurrence.deadline, False
    for place in sorted(places):
        scope = f"m:{place}"
        if await tx.done_mark(deadline.id, occurrence.key, scope) is not None:
            continue
        await tx.mark_done(
            deadline.id,
            occurrence.key,
            scope=scope,
            municipality_id=place,
            user_id=user.id,
            now=now,
        )
        people = await tx.users(municipality_id=place, reachable_only=False)
        await tx.drop_reminders(
            deadline.id,
            occurrence.key,
            [u.id for u in people],
            f"closed by {deadline.closing.flow if deadline.closing else ''}",
        )
        marked = True
    return marked


# --- keeping the calendar ------------------------------------------------------------------------


async def save(
    tx: Tx, actor: Actor, deadline: Deadline, now: datetime, *, replace: bool = False
) -> str:
    """Add a deadline (or with `replace` change one); returns ``add`` or ``replace``.

    Raises:
        ProgrammeError: it exists and `replace` was not asked for.
    """
    actor.require("coordinator")
    existing = await tx.deadline_row(deadline.id)
    if existing is not None and existing.active and not replace:
        raise ProgrammeError(f"deadline {deadline.id} exists; use --replace to change it")
    await tx.save_deadline(deadline.id, deadline.to_spec(), source=SOURCE, now=now)
    change = "replace" if existing else "add"
    await audit(
        tx, actor.audit_name, ACTION_DEADLINE_CHANGE, {"deadline": deadline.id, "change": change}
    )
    return change


async def remove(tx: Tx, actor: Actor, deadline_id: str, now: datetime) -> None:
    """Remove a deadline: its pending reminders are dropped; a restart does not bring it back.

    Raises:
        NotFound: no such active deadline.
    """
    actor.require("coordinator")
    if not await tx.deactivate_deadline(deadline_id, now):
        raise NotFound(f"no active deadline {deadline_id!r} (see sdgbot deadlines list)")
    await audit(
        tx, actor.audit_name, ACTION_DEADLINE_CHANGE, {"deadline": deadline_id, "change": "remove"}
    )


async def import_all(
    tx: Tx, actor: Actor, deadlines: Sequence[Deadline], source_name: str, now: datetime
) -> int:
    """Add or change every deadline of a file (audited once); returns how many."""
    actor.require("coordinator")
    for deadline in deadlines:
        await tx.save_deadline(deadline.id, deadline.to_spec(), source=SOURCE, now=now)
    await audit(
        tx,
        actor.audit_name,
        ACTION_DEADLINE_CHANGE,
        {"imported": [d.id for d in deadlines], "file": source_name},
    )
    return len(deadlines)


@dataclass(frozen=True)
class Listed:
    """A deadline row with its next occurrence (`problem` says why a stored one is unusable)."""

    id: str
    active: bool
    source: str
    deadline: Deadline | None
    next: Occurrence | None
    problem: str | None = None


async def listing(
    tx: Tx, actor: Actor, today: date, *, include_removed: bool = False
) -> list[Listed]:
    """Every deadline (and removed ones on request) with its next due occurrence."""
    actor.require("coordinator")
    partnerships = await active_partnerships(tx)
    found = []
    for row in await tx.deadline_rows(active_only=not include_removed):
        deadline, problems = parse(row.spec)
        if deadline is None:
            found.append(Listed(row.id, row.active, row.source, None, None, problems[0][1]))
            continue
        ahead = occurrences(deadline, today, today + timedelta(days=3 * 366), partnerships)
        found.append(Listed(row.id, row.active, row.source, deadline, ahead[0] if ahead else None))
    return found


# --- an official's reminder ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """The occurrence one of the user's reminders is about."""

    deadline: Deadline
    occurrence: str
    due: date


async def reminder_of(tx: Tx, user: User, item_id: int) -> Reminder | None:
    """The deadline occurrence of the user's reminder `item_id` (None if not theirs or gone)."""
    item = await tx.outbox_item(item_id)
    if item is None or item.user_id != user.id or item.kind not in {"reminder", "snooze"}:
        return None
    deadline = (await load_deadlines(tx)).get(str(item.payload.get("deadline")))
    if deadline is None:
        return None
    return Reminder(
        deadline, str(item.payload["occurrence"]), date.fromisoformat(str(item.payload["due"]))
    )


async def mark_done(tx: Tx, user: User, reminder: Reminder, now: datetime) -> None:
    """Done: for the user's whole municipality (who did it is recorded); its reminders stop."""
    deadline, occurrence = reminder.deadline, reminder.occurrence
    await tx.mark_done(
        deadline.id,
        occurrence,
        scope=scope_of(user),
        municipality_id=user.municipality_id,
        user_id=user.id,
        now=now,
    )
    if user.municipality_id:
        colleagues = await tx.users(municipality_id=user.municipality_id, reachable_only=False)
        await tx.drop_reminders(
            deadline.id, occurrence, [u.id for u in colleagues], f"marked done by user {user.id}"
        )
    else:
        await tx.drop_reminders(deadline.id, occurrence, [user.id], "marked done")


async def snooze(
    tx: Tx,
    user: User,
    item_id: int,
    reminder: Reminder,
    now: datetime,
    catalogue: Catalogue,
    quiet: QuietHours,
) -> datetime | None:
    """One more reminder tomorrow at the deadline's local hour; None when that is too late."""
    deadline = reminder.deadline
    tz = zone(user_timezone(user, catalogue))
    at = snooze_until(now, tz, deadline.hour, quiet)
    ends = end_of_day(reminder.due, zone(deadline.timezone))
    if at >= ends:
        return None
    item = await tx.outbox_item(item_id)
    payload = dict(item.payload) if item is not None else {}
    payload["offset"] = "snooze"
    tomorrow = local_date(at, tz).isoformat()
    await tx.enqueue(
        [
            {
                "key": f"snooze:{deadline.id}:{reminder.occurrence}:{tomorrow}:{user.id}",
                "kind": "snooze",
                "user_id": user.id,
                "due_at": at,
                "expires_at": ends,
                "payload": payload,
            }
        ],
        now,
    )
    return at


__all__ = [
    "Listed",
    "Progress",
    "Reminder",
    "active_partnerships",
    "all_occurrences",
    "close_on_completion",
    "done_mark",
    "find_occurrences",
    "import_all",
    "listing",
    "mark_done",
    "progress",
    "remind",
    "reminder_of",
    "remove",
    "save",
    "snooze",
    "twinning_names",
    "upcoming",
]

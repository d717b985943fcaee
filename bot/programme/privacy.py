"""Each person's control over their own data: `/mydata`, `/forget`, retention and consent.

* `export_user` gathers everything stored about a user (profile, runs, answers, role request).
* `forget_user` erases the user, their runs and answers, and also the copies of their answers
  other runs hold in their context (a later assessment's "previous result", the partner's answers
  in a check-in): after it, nothing the user answered is shown or counted anywhere. Reports,
  `/stats` and comparisons read the runs live, so they are recomputed without the user at once.
  It reaches every other table too (`bot.storage.erasure`): the updates kept as fetched, outbox
  rows, role reviews. Audit rows stay (the log must keep its meaning) but lose their name.
* `erase_stale_runs` deletes unfinished runs older than the retention period
  (``SDGBOT_RETENTION_DAYS``); the scheduler calls it daily.
* Hero nominations (Sustainable Municipality Week) name other people: exports and reports keep
  only what was nominated with recorded consent (`bot.outputs.consent`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from bot.storage.audit import ACTION_RETENTION
from bot.storage.erasure import Identity
from bot.storage.models import Answer, FlowRun, RoleReview, User
from bot.storage.store import Store
from bot.storage.tx import Tx

UNFINISHED = ("active", "cancelled", "expired")

# --- /mydata -------------------------------------------------------------------------------------


async def export_user(tx: Tx, user: User) -> dict[str, Any]:
    """Everything stored about `user`: profile, runs and answers.

    Answers are as typed, unredacted: what the user told us is their own data.
    """
    municipality = await tx.municipality(user.municipality_id) if user.municipality_id else None
    runs = (
        (
            await tx.session.execute(
                select(FlowRun).where(FlowRun.user_id == user.id).order_by(FlowRun.started_at)
            )
        )
        .scalars()
        .all()
    )
    out_runs = []
    for run in runs:
        out_runs.append(
            {
                "flow": run.flow_id,
                "version": run.flow_version,
                "status": run.status,
                "started_at": run.started_at.isoformat(),
                "completed_at": run.completed_at.isoformat() if run.completed_at else None,
                "answers": await tx.answers(run.id),
            }
        )
    return {
        "user": {
            "channel": user.channel,
            "id": user.external_id,
            "name": user.name,
            "language": user.language,
            "role": user.role,
            "requested_role": user.requested_role,
            "kind": user.kind,
            "country": user.country,
            "municipality": municipality.name if municipality else None,
            "timezone": user.timezone,
            "lite": user.lite,
            "opted_out": user.opted_out,
            "created_at": user.created_at.isoformat() if user.created_at else None,
            "last_seen_at": user.last_seen_at.isoformat() if user.last_seen_at else None,
        },
        "runs": out_runs,
    }


# --- /forget -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Forgotten:
    """What `forget_user` erased: the user's runs, and copies scrubbed from other runs."""

    runs: int
    scrubbed_copies: int


_CONTEXT_COPIES = ("previous", "partner_previous", "partner_answers")
"""Where `bot.conversation.contexts` copies another run's answers into a new run's context."""


def _copied_answers(entry: Any) -> Any:
    """The answers a context entry copied: a run summary's ``answers``, or plain answers."""
    if isinstance(entry, Mapping) and isinstance(entry.get("answers"), Mapping):
        return entry["answers"]
    return entry


async def _scrub_copies(tx: Tx, user_id: int, runs: list[FlowRun]) -> int:
    """Drop the copies of `runs`' answers other runs hold in their context; returns how many."""
    completed = [r for r in runs if r.status == "completed" and r.completed_at is not None]
    if not completed:
        return 0
    gone: dict[str, list[Any]] = {}
    for run in completed:
        gone.setdefault(run.flow_id, []).append((run.state or {}).get("answers") or {})
    earliest = min(r.completed_at for r in completed if r.completed_at is not None)
    # Only runs started after one of the erased runs completed can have copied it.
    candidates = (
        (
            await tx.session.execute(
                select(FlowRun).where(
                    FlowRun.flow_id.in_(list(gone)),
                    FlowRun.user_id != user_id,
                    FlowRun.started_at >= earliest,
                )
            )
        )
        .scalars()
        .all()
    )
    scrubbed = 0
    for other in candidates:
        state = dict(other.state or {})
        context = dict(state.get("context") or {})
        changed = False
        for key in _CONTEXT_COPIES:
            entry = context.get(key)
            if entry and _copied_answers(entry) in gone[other.flow_id]:
                context[key] = None
                changed = True
                scrubbed += 1
        if changed:
            state["context"] = context
            other.state = state  # a new dict, so the JSON column is written back
    await tx.session.flush()
    return scrubbed


async def _erase_runs(tx: Tx, runs: list[FlowRun]) -> int:
    """Erase runs and everything derived from them; returns the copies scrubbed elsewhere.

    The one rule `forget_user` and `erase_stale_runs` share: the answers, the copies other runs
    hold in their context, the nudges about the runs, and the processed-update marks of the
    inputs the runs remember (`RunState.asked_in`) go with the runs.
    """
    if not runs:
        return 0
    scrubbed = 0
    for owner_id in sorted({run.user_id for run in runs}):
        scrubbed += await _scrub_copies(tx, owner_id, [r for r in runs if r.user_id == owner_id])
    marks: dict[str, set[int | str]] = {}
    owners = await tx.users_by_id(run.user_id for run in runs)
    for run in runs:
        asked_in = (run.state or {}).get("asked_in")
        owner = owners.get(run.user_id)
        if asked_in is not None and owner is not None:
            marks.setdefault(owner.channel, set()).add(asked_in)
    for channel, update_ids in marks.items():
        await tx.forget_processed(channel, update_ids)
    ids = [run.id for run in runs]
    await tx.forget_run_messages(ids)
    for start in range(0, len(ids), 500):  # keep each IN (...) list a reasonable size
        chunk = ids[start : start + 500]
        await tx.session.execute(delete(Answer).where(Answer.run_id.in_(chunk)))
        await tx.session.execute(delete(FlowRun).where(FlowRun.id.in_(chunk)))
    return scrubbed


async def forget_user(tx: Tx, user: User, *, handling: int | str | None = None) -> Forgotten:
    """Erase `user`, every run and answer of theirs, and every copy of what they told us.

    Runs in the caller's transaction: either everything is erased or nothing is. Beyond the
    user row, runs and answers (`_erase_runs`), this reaches the updates kept as fetched (their
    name, id and typed texts) and their processed marks, every outbox row to them (reminders,
    broadcasts, partner messages, delivery records), role reviews, a municipality only they
    typed, and their key, id or name in audit entries and broadcasts (the facts stay).

    `handling`: the update being handled (the confirmation). Its processed mark stays (an id
    and a time, nothing personal): Telegram delivering it again must find it handled, not
    create the person anew from its copy.
    """
    identity = Identity.of(user)
    runs = list(
        (await tx.session.execute(select(FlowRun).where(FlowRun.user_id == user.id)))
        .scalars()
        .all()
    )
    typed_places = {user.municipality_id, *(run.municipality_id for run in runs)}
    scrubbed = await _erase_runs(tx, runs)
    updates = await tx.forget_inbox_of(user.channel, user.external_id)
    await tx.forget_processed(user.channel, [u for u in updates if u != str(handling)])
    await tx.forget_outbox_of(user.id)
    await tx.anonymise_mentions(identity)
    await tx.session.execute(
        delete(RoleReview).where(
            (RoleReview.reviewer_id == user.id) | (RoleReview.candidate_id == user.id)
        )
    )
    await tx.session.execute(delete(User).where(User.id == user.id))
    # Drafts and "done" marks keyed on the user go with it (their foreign keys cascade or
    # become NULL); a municipality only this user typed goes too.
    for place in sorted(p for p in typed_places if p is not None):
        await tx.forget_typed_municipality(place, user.id)
    return Forgotten(runs=len(runs), scrubbed_copies=scrubbed)


# --- retention -----------------------------------------------------------------------------------


async def erase_stale_runs(store: Store, now: datetime, days: int) -> int:
    """Erase unfinished runs (active, cancelled, expired) not touched for `days` days.

    The scheduler calls this daily with ``settings.retention_days``. Completed runs are the
    municipalities' results and are kept. What goes with a run is what `forget_user` erases
    with one (`_erase_runs`: answers, copies, nudges, processed marks); the kept updates those
    runs answered are older than the inbox keeps any. Writes an audit row when something was
    erased.

    Args:
        store: the database.
        now: the current time (timezone-aware).
        days: the retention period in days (at least 1).

    Returns:
        How many runs were erased.
    """
    if days < 1:
        raise ValueError(f"the retention period must be at least one day (got {days})")
    cutoff = now - timedelta(days=days)

    async def erase(tx: Tx) -> int:
        stale = select(FlowRun).where(FlowRun.status.in_(UNFINISHED), FlowRun.updated_at < cutoff)
        runs = list((await tx.session.execute(stale)).scalars().all())
        if not runs:
            return 0
        await _erase_runs(tx, runs)
        await tx.add_audit(
            "system:retention",
            ACTION_RETENTION,
            {"runs": len(runs), "days": days, "before": cutoff.isoformat()},
            at=now,
        )
        return len(runs)

    return await store.run_in_transaction(erase, bulk=True)

"""A populated database for the memory run: many users, many runs in progress.

One template user is taken through onboarding and into the middle of the quick self-assessment
by the real service (so the run state is exactly what the bot writes), then copied to as many
users and runs as asked with the storage layer's models and a `Store` transaction, a thousand
users per multi-row INSERT (the row-by-row `Tx` methods take minutes for 10,000 users).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from bot.config import Settings
from bot.conversation.conversations import Conversations
from bot.flow.state import TextInput
from bot.messages import Command, ConversationKey, Incoming
from bot.storage import answer_values
from bot.storage._base import utcnow
from bot.storage.models import Answer, FlowRun, User
from bot.storage.tx import Tx

__all__ = ["RUN_NEXT", "SEEDED_FIRST_ID", "Seeded", "seed"]

CHANNEL = "telegram"
SEEDED_FIRST_ID = 5_000_001
"""Telegram id of the first seeded user; users with runs come first."""
_TEMPLATE_ID = 4_999_999
_TEMPLATE_INPUTS: tuple[Command | TextInput, ...] = (
    Command("start"), TextInput("1"), TextInput("Ama Mensah"), TextInput("1"), TextInput("1"),
    TextInput("Gent"), Command("assess"), TextInput("1"), TextInput("1"), TextInput("3"),
    TextInput("3"), TextInput("2"), TextInput("2"), TextInput("13 11"),
)  # fmt: skip
"""Onboarding typed, then the quick path up to the ratings of the first priority goal."""
RUN_NEXT = ("1 3", "ODD 11 ·")
"""What a seeded user with a run types next, and a piece of the bot's next question."""
_BATCH = 1000


@dataclass(frozen=True)
class Seeded:
    """What was seeded: user ids ``first_id … first_id + users - 1``, the first ``runs`` with
    a run in progress (waiting on the ratings of their first priority goal)."""

    first_id: int
    users: int
    runs: int
    answers_per_run: int


async def _template(service: Conversations) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """Drive the template user with the real service; return its user fields, run, answers."""
    key = ConversationKey(CHANNEL, str(_TEMPLATE_ID))
    for update_id, payload in enumerate(_TEMPLATE_INPUTS, start=1):
        await service.handle(Incoming(key, payload, update_id=-update_id, name="Ama Mensah",
                                      language_code="fr"))  # fmt: skip
        await service.mark_replied(key, -update_id)  # as a channel does once it is delivered
    async with service.store.transaction() as tx:
        user = await tx.get_user(CHANNEL, _TEMPLATE_ID)
        assert user is not None
        run = await tx.active_run(user.id)
        if run is None:
            raise RuntimeError("the template user has no run in progress: the flow changed?")
        values = await tx.answers(run.id)
        rows = await tx.answer_rows(run.id)
        fields = {"name": user.name, "language": user.language, "kind": user.kind,
                  "country": user.country, "municipality_id": user.municipality_id,
                  "timezone": user.timezone}  # fmt: skip
        run_fields = {"flow_id": run.flow_id, "flow_version": run.flow_version,
                      "state": run.state, "municipality_id": run.municipality_id,
                      "waiting_since": run.waiting_since}  # fmt: skip
        answers = [(row.step_id, row.kind, values[row.step_id], row.display) for row in rows]
    return fields, run_fields, answers


async def _seed_batch(tx: Tx, ids: range, with_run: int, fields: dict[str, Any],
                      run: dict[str, Any], answers: list[Any]) -> None:  # fmt: skip
    """Insert a batch of users, runs and answers with one multi-row INSERT per table."""
    now = utcnow()
    session = tx.session
    await session.execute(insert(User), [
        {**fields, "channel": CHANNEL, "external_id": str(external_id),
         "name": f"Agent {external_id}", "role": "user", "created_at": now}
        for external_id in ids
    ])  # fmt: skip
    with_runs = [str(i) for i in ids if i < with_run]
    if not with_runs:
        return
    user_ids = (await session.execute(
        select(User.id).where(User.channel == CHANNEL, User.external_id.in_(with_runs))
    )).scalars().all()  # fmt: skip
    await session.execute(insert(FlowRun), [
        {"user_id": user_id, "flow_id": run["flow_id"], "flow_version": run["flow_version"],
         "municipality_id": run["municipality_id"], "status": "active", "state": run["state"],
         "started_at": now, "updated_at": now, "waiting_since": run["waiting_since"]}
        for user_id in user_ids
    ])  # fmt: skip
    run_ids = (await session.execute(
        select(FlowRun.id).where(FlowRun.user_id.in_(user_ids), FlowRun.status == "active")
    )).scalars().all()  # fmt: skip
    await session.execute(insert(Answer), [
        {"run_id": run_id, "step_id": step_id, "kind": kind, "display": display,
         "answered_at": now, **answer_values.encode(value)}
        for run_id in run_ids for step_id, kind, value, display in answers
    ])  # fmt: skip


async def seed(database_url: str, users: int, runs: int) -> Seeded:
    """Create ``users`` onboarded users, the first ``runs`` of them mid-assessment.

    The database is migrated first (as the bot does on start).
    """
    service = await Conversations.open(Settings(database_url=database_url))
    try:
        fields, run, answers = await _template(service)
        with_run = SEEDED_FIRST_ID + runs
        for start in range(SEEDED_FIRST_ID, SEEDED_FIRST_ID + users, _BATCH):
            ids = range(start, min(start + _BATCH, SEEDED_FIRST_ID + users))
            async with service.store.transaction() as tx:
                await _seed_batch(tx, ids, with_run, fields, run, answers)
    finally:
        await service.close()
    return Seeded(SEEDED_FIRST_ID, users, runs, len(answers))

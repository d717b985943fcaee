"""A populated database for the memory run: many users, many runs in progress.

One template user is taken through onboarding and into the middle of the quick self-assessment
by the real service (so the run state is exactly what the bot writes), then copied through the
storage layer (`Tx.get_or_create_user`, `create_run`, `record_answer`) to as many users and runs
as asked, in batches of a few hundred per transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.flow.state import TextInput
from bot.service.conversation import Conversations
from bot.service.messages import Command, ConversationKey, Incoming
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
_BATCH = 250


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
    for external_id in ids:
        user = await tx.get_or_create_user(CHANNEL, external_id,
                                           **{**fields, "name": f"Agent {external_id}"})  # fmt: skip
        if external_id >= with_run:
            continue
        created = await tx.create_run(user.id, run["flow_id"], run["flow_version"],
                                      state=run["state"], municipality_id=run["municipality_id"],
                                      waiting_since=run["waiting_since"])  # fmt: skip
        for step_id, kind, value, display in answers:
            await tx.record_answer(created.id, step_id, kind, value, display)


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

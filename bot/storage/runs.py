"""Flow runs and their answers: where each conversation stands and what was answered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from bot.storage import answer_values
from bot.storage._base import TxPart, require_aware, upsert, utcnow
from bot.storage.models import RUN_STATUSES, Answer, FlowRun


def _check_status(status: str) -> str:
    """Refuse a status the schema does not know, before the database does it less clearly."""
    if status not in RUN_STATUSES:
        raise ValueError(f"run status must be one of {', '.join(RUN_STATUSES)} (got {status!r})")
    return status


_ANSWER_COLUMNS = ("run_id", "step_id", "kind", "display", "answered_at",
                   *answer_values.VALUE_COLUMNS)  # fmt: skip
_RECORD_ANSWER = upsert(Answer, _ANSWER_COLUMNS, ("run_id", "step_id"), _ANSWER_COLUMNS[2:])
"""Insert an answer, or replace the one given to the same step before ("back")."""


_RUN_STATE_COLUMNS = ("state", "status", "waiting_since", "completed_at", "updated_at",
                      "nudged_at", "municipality_id", "partnership_id")  # fmt: skip
_SAVE_RUN = (
    update(FlowRun.__table__)  # type: ignore[arg-type]
    .where(FlowRun.__table__.c.id == bindparam("run_id"))
    .values({name: bindparam(name) for name in _RUN_STATE_COLUMNS})
)
"""Write the engine's new state of a run (see `RunsPart.save_run`)."""


_CREATE_RUN = insert(FlowRun).returning(FlowRun)
"""A run inserted and loaded back in one cached statement (the unit of work's flush cost more)."""


class RunsPart(TxPart):
    """`Tx` methods about flow runs and answers."""

    async def active_run(self, user_id: int) -> FlowRun | None:
        """Return the user's active run (there is at most one), freshly loaded."""
        statement = (
            select(FlowRun)
            .where(FlowRun.user_id == user_id, FlowRun.status == "active")
            .execution_options(populate_existing=True)
        )
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def latest_run(self, user_id: int) -> FlowRun | None:
        """Return the user's most recently started run, whatever its status."""
        statement = (
            select(FlowRun)
            .where(FlowRun.user_id == user_id)
            .order_by(FlowRun.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def run(self, run_id: int) -> FlowRun | None:
        """Return the run with this id, if any."""
        return await self._session.get(FlowRun, run_id, populate_existing=True)

    async def create_run(
        self,
        user_id: int,
        flow_id: str,
        flow_version: str,
        *,
        state: dict[str, Any],
        municipality_id: int | None = None,
        partnership_id: int | None = None,
        started_at: datetime | None = None,
        waiting_since: datetime | None = None,
    ) -> FlowRun:
        """Insert an active run and return it with its id.

        A user has at most one active run (a unique partial index enforces it): end the
        previous one with `save_run` first, or the flush raises `IntegrityError`.
        """
        started = require_aware(started_at, "started_at") if started_at else utcnow()
        values = {
            "user_id": user_id,
            "flow_id": flow_id,
            "flow_version": flow_version,
            "municipality_id": municipality_id,
            "partnership_id": partnership_id,
            "status": "active",
            "state": state,
            "started_at": started,
            "updated_at": started,
            "waiting_since": waiting_since,
        }
        return (await self._session.scalars(_CREATE_RUN, [values])).one()

    async def save_run(
        self,
        run: FlowRun,
        *,
        state: dict[str, Any],
        status: str,
        waiting_since: datetime | None,
        completed_at: datetime | None,
        updated_at: datetime | None = None,
        municipality_id: int | None = None,
        partnership_id: int | None = None,
    ) -> FlowRun:
        """Write the engine's new state of a run.

        A new ``waiting_since`` (the bot asked another question) clears ``nudged_at``, so the
        reminder logic starts over for the new question.

        Args:
            run: the run, as loaded in this transaction.
            state: the `RunState` as JSON (``state.model_dump(mode="json")``).
            status: active, completed, cancelled or expired.
            waiting_since: when the question now waiting was asked, or None.
            completed_at: when the run ended, or None.
            updated_at: defaults to now.
            municipality_id: set when the run learned which municipality it is about.
            partnership_id: set when the run learned which partnership it is about.
        """
        values = {
            "state": state,
            "status": _check_status(status),
            "waiting_since": waiting_since,
            "completed_at": completed_at,
            "updated_at": require_aware(updated_at, "updated_at") if updated_at else utcnow(),
            # A new question starts the reminder logic over.
            "nudged_at": None if waiting_since != run.waiting_since else run.nudged_at,
            "municipality_id": run.municipality_id if municipality_id is None else municipality_id,
            "partnership_id": run.partnership_id if partnership_id is None else partnership_id,
        }
        # One cached Core statement instead of the unit of work's flush (its bookkeeping cost
        # more than the UPDATE itself); the loaded object is then told these are its values.
        await self._session.execute(_SAVE_RUN, {"run_id": run.id, **values})
        for name, value in values.items():
            set_committed_value(run, name, value)
        return run

    async def mark_nudged(self, run: FlowRun, at: datetime) -> None:
        """Record that a reminder was sent for the question the run waits on."""
        run.nudged_at = require_aware(at, "at")
        await self._session.flush()

    async def record_answer(
        self,
        run_id: int,
        step_id: str,
        kind: str,
        value: Any,
        display: str | None = None,
        answered_at: datetime | None = None,
    ) -> None:
        """Store (or replace, after "back") the answer to one step, in its typed column.

        Args:
            run_id: the run.
            step_id: the step of the flow.
            kind: the step kind (``choice``, ``number``, ``date``…), kept for reports.
            value: str, bool, int, float, Decimal, date, list or dict (see `answer_values`).
            display: the answer as shown back to the user.
            answered_at: defaults to now.
        """
        values = {
            "run_id": run_id,
            "step_id": step_id,
            "kind": kind,
            "display": display,
            "answered_at": require_aware(answered_at, "answered_at") if answered_at else utcnow(),
            **answer_values.encode(value),
        }
        await self._session.execute(_RECORD_ANSWER, values)

    async def delete_answer(self, run_id: int, step_id: str) -> None:
        """Forget the answer to one step (the user went back past it)."""
        await self._session.execute(
            delete(Answer).where(Answer.run_id == run_id, Answer.step_id == step_id)
        )

    async def answers(self, run_id: int) -> dict[str, Any]:
        """Return the run's answers as ``{step_id: value}``, in the order they were given."""
        statement = (
            select(
                Answer.step_id,
                Answer.value_text,
                Answer.value_number,
                Answer.value_bool,
                Answer.value_date,
                Answer.value_json,
            )
            .where(Answer.run_id == run_id)
            .order_by(Answer.answered_at, Answer.id)
        )
        rows = (await self._session.execute(statement)).all()
        return {row[0]: answer_values.decode(*row[1:]) for row in rows}

    async def answer_rows(self, run_id: int) -> Sequence[Answer]:
        """Return the run's `Answer` rows (with kind, display and time), oldest first."""
        statement = (
            select(Answer)
            .where(Answer.run_id == run_id)
            .order_by(Answer.answered_at, Answer.id)
            # record_answer upserts with Core, behind the identity map's back.
            .execution_options(populate_existing=True)
        )
        return (await self._session.execute(statement)).scalars().all()

    async def runs_waiting_since(
        self, before: datetime, *, not_nudged: bool = True, limit: int | None = None
    ) -> Sequence[FlowRun]:
        """Return active runs whose question has waited since ``before`` or earlier.

        Args:
            before: the cut-off (e.g. now minus the reminder delay).
            not_nudged: skip runs already reminded about their current question.
            limit: at most this many, oldest wait first.
        """
        require_aware(before, "before")
        statement = (
            select(FlowRun)
            .where(
                FlowRun.status == "active",
                FlowRun.waiting_since.is_not(None),
                FlowRun.waiting_since <= before,
            )
            .order_by(FlowRun.waiting_since, FlowRun.id)
            .limit(limit)
        )
        if not_nudged:
            statement = statement.where(FlowRun.nudged_at.is_(None))
        return (await self._session.execute(statement)).scalars().all()

    async def latest_completed_run(self, flow_id: str, municipality_id: int) -> FlowRun | None:
        """Return the municipality's most recently completed run of a flow (for comparisons)."""
        statement = (
            select(FlowRun)
            .where(
                FlowRun.flow_id == flow_id,
                FlowRun.municipality_id == municipality_id,
                FlowRun.status == "completed",
            )
            .order_by(FlowRun.completed_at.desc(), FlowRun.id.desc())
            .limit(1)
        )
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def completed_runs(
        self, flow_id: str, municipality_id: int | None = None
    ) -> Sequence[FlowRun]:
        """Return the completed runs of a flow, oldest first, optionally of one municipality."""
        statement = (
            select(FlowRun)
            .where(FlowRun.flow_id == flow_id, FlowRun.status == "completed")
            .order_by(FlowRun.completed_at, FlowRun.id)
        )
        if municipality_id is not None:
            statement = statement.where(FlowRun.municipality_id == municipality_id)
        return (await self._session.execute(statement)).scalars().all()

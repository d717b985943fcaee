"""Streaming the runs of a flow with their answers, one record per run, for CSV/XLSX exports.

Runs are read through a server-side cursor (`AsyncSession.stream` with ``yield_per``) and their
answers fetched one batch of runs at a time, so exporting years of assessments keeps memory
flat and costs one query per batch, not one per run. Use a read-only transaction
(``store.transaction(readonly=True)``) so a long export never holds SQLite's write lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from bot.storage import answer_values
from bot.storage._base import TxPart, require_aware
from bot.storage.models import SANDBOX_CHANNEL, Answer, FlowRun, Municipality, User

BATCH_SIZE = 500


@dataclass(frozen=True)
class ExportRecord:
    """One run of a flow as exported.

    Attributes:
        run_id: the run's database id.
        user: ``"channel:external_id"``.
        municipality: the municipality's name, if the run is about one.
        country: the municipality's country, else the user's.
        flow_id: the flow.
        flow_version: the pinned version the run followed.
        status: active, completed, cancelled or expired.
        started_at: when the run started (aware UTC).
        completed_at: when it completed, if it did.
        answers: ``{step_id: value}`` in answering order (values typed as in `answer_values`).
        computed: the values the run computed (its state's ``vars``), for a flow's results.
    """

    run_id: int
    user: str
    municipality: str | None
    country: str | None
    flow_id: str
    flow_version: str
    status: str
    started_at: datetime
    completed_at: datetime | None
    answers: dict[str, Any] = field(default_factory=dict)
    computed: dict[str, Any] = field(default_factory=dict)


class ExportPart(TxPart):
    """`Tx` method streaming a flow's runs."""

    async def iter_export(
        self,
        flow_id: str,
        *,
        since: datetime | None = None,
        municipality: int | str | None = None,
        country: str | None = None,
    ) -> AsyncIterator[ExportRecord]:
        """Yield one `ExportRecord` per run of ``flow_id``, oldest run first.

        Args:
            flow_id: the flow to export.
            since: only runs updated at or after this time (incremental exports).
            municipality: only runs about this municipality, by id or by name
                (case-insensitive).
            country: only runs whose municipality (or, without one, whose user) is in this
                ISO country.
        """
        place_country = func.coalesce(Municipality.country, User.country)
        statement = (
            select(
                FlowRun.id,
                User.channel,
                User.external_id,
                Municipality.name,
                place_country,
                FlowRun.flow_id,
                FlowRun.flow_version,
                FlowRun.status,
                FlowRun.started_at,
                FlowRun.completed_at,
                FlowRun.state,
            )
            .join(User, User.id == FlowRun.user_id)
            .outerjoin(Municipality, Municipality.id == FlowRun.municipality_id)
            # The web console's simulator (sandbox) never counts in results.
            .where(FlowRun.flow_id == flow_id, User.channel != SANDBOX_CHANNEL)
            .order_by(FlowRun.id)
            .execution_options(yield_per=BATCH_SIZE)
        )
        if since is not None:
            statement = statement.where(FlowRun.updated_at >= require_aware(since, "since"))
        if isinstance(municipality, int):
            statement = statement.where(FlowRun.municipality_id == municipality)
        elif municipality is not None:
            statement = statement.where(
                func.lower(Municipality.name) == " ".join(municipality.split()).lower()
            )
        if country is not None:
            code = country.strip().upper()
            statement = statement.where(
                or_(
                    Municipality.country == code,
                    (Municipality.id.is_(None)) & (User.country == code),
                )
            )
        result = await self._session.stream(statement)
        async for batch in result.partitions():
            answers = await self._answers_of([row[0] for row in batch])
            for row in batch:
                yield ExportRecord(
                    run_id=row[0],
                    user=f"{row[1]}:{row[2]}",
                    municipality=row[3],
                    country=row[4],
                    flow_id=row[5],
                    flow_version=row[6],
                    status=row[7],
                    started_at=row[8],
                    completed_at=row[9],
                    answers=answers.get(row[0], {}),
                    computed=dict((row[10] or {}).get("vars") or {}),
                )

    async def _answers_of(self, run_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Return the answers of several runs at once, as ``{run_id: {step_id: value}}``."""
        statement = (
            select(
                Answer.run_id,
                Answer.step_id,
                Answer.value_text,
                Answer.value_number,
                Answer.value_bool,
                Answer.value_date,
                Answer.value_json,
            )
            .where(Answer.run_id.in_(run_ids))
            .order_by(Answer.run_id, Answer.answered_at, Answer.id)
        )
        grouped: dict[int, dict[str, Any]] = defaultdict(dict)
        for row in (await self._session.execute(statement)).all():
            grouped[row[0]][row[1]] = answer_values.decode(*row[2:])
        return grouped

"""What coordinators do and read: the audit log, role reviews, and the labelled export query.

Every privileged action (a broadcast, an export, a role change, a deadline change) is written to
`audit_log` in the same transaction as the action itself, so an action that rolls back leaves no
audit row and an action that commits always has one. Colleagues call the module-level `audit`::

    from bot.storage.audit import audit
    await audit(turn.tx, turn.user, "broadcast", {"recipients": 12, "text": "…"})

`LabelledExportPart` streams a flow's runs like `ExportPart.iter_export` and adds each answer's
``display`` (the label the user saw: "Partly", not "2"), for spreadsheets people read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from bot.storage._base import TxPart, require_aware, utcnow
from bot.storage.models import ROLES, Answer, AuditEntry, FlowVersion, RoleReview, User
from bot.storage.records import BATCH_SIZE, ExportPart, ExportRecord

ACTION_BROADCAST = "broadcast"
ACTION_EXPORT = "export"
ACTION_ROLE_CHANGE = "role_change"
ACTION_ROLE_REFUSED = "role_request_refused"
ACTION_DEADLINE_CHANGE = "deadline_change"
ACTION_RETENTION = "retention_erase"

ERASED_ACTOR = "erased-user"
"""How an erased user appears in the audit rows they left (``erased-user#<old id>``)."""


@dataclass(frozen=True)
class LabelledRecord(ExportRecord):
    """An `ExportRecord` plus each answer as shown to the user and its step kind.

    Attributes:
        displays: ``{step_id: display}``, the answer as the user saw it.
        kinds: ``{step_id: kind}`` (``choice``, ``number``, ``date``…).
    """

    displays: dict[str, str | None] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)


class AuditPart(TxPart):
    """`Tx` methods about the audit log and the coordinator-access review queue."""

    async def add_audit(
        self,
        actor: str,
        action: str,
        details: dict[str, Any] | None = None,
        *,
        actor_user_id: int | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Write one audit row and return it.

        Args:
            actor: who acted, e.g. ``"telegram:123"``, ``"cli:alice"``, ``"system:retention"``.
            action: what was done (see the ``ACTION_*`` names).
            details: JSON-serialisable particulars (flow exported, recipients, old/new role…).
            actor_user_id: the acting user's database id, when a user acted.
            at: when (defaults to now; must be timezone-aware).
        """
        entry = AuditEntry(
            at=require_aware(at, "at") if at else utcnow(),
            actor=actor[:200],
            actor_user_id=actor_user_id,
            action=action[:64],
            details=details or {},
        )
        self._session.add(entry)
        await self._session.flush()
        return entry

    async def audit_entries(
        self,
        *,
        since: datetime | None = None,
        action: str | None = None,
        limit: int | None = None,
    ) -> Sequence[AuditEntry]:
        """Return audit rows, newest first.

        Args:
            since: only rows at or after this time.
            action: only this action.
            limit: at most this many rows.
        """
        statement = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        if since is not None:
            statement = statement.where(AuditEntry.at >= require_aware(since, "since"))
        if action is not None:
            statement = statement.where(AuditEntry.action == action)
        if limit is not None:
            statement = statement.limit(limit)
        return (await self._session.execute(statement)).scalars().all()

    async def anonymise_audit_actor(self, user_id: int) -> int:
        """Replace an erased user's name in the rows they left; returns how many rows changed."""
        result = await self._session.execute(
            update(AuditEntry)
            .where(AuditEntry.actor_user_id == user_id)
            .values(actor=f"{ERASED_ACTOR}#{user_id}", actor_user_id=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def role_requests(self) -> Sequence[User]:
        """Users who asked for a role above the one they have, oldest request first."""
        statement = (
            select(User)
            .where(User.requested_role.is_not(None), User.requested_role != User.role)
            .order_by(User.created_at, User.id)
            .execution_options(populate_existing=True)
        )
        users = (await self._session.execute(statement)).scalars().all()
        return [u for u in users if ROLES.index(u.requested_role or "user") > ROLES.index(u.role)]

    async def set_role_review(self, reviewer_id: int, candidate_id: int, at: datetime) -> None:
        """Remember which request `reviewer_id` is looking at (their buttons act on it)."""
        await self.clear_role_review(reviewer_id)
        self._session.add(
            RoleReview(
                reviewer_id=reviewer_id, candidate_id=candidate_id, shown_at=require_aware(at, "at")
            )
        )
        await self._session.flush()

    async def role_review(self, reviewer_id: int) -> int | None:
        """The user id of the request `reviewer_id` was last shown, if any."""
        statement = select(RoleReview.candidate_id).where(RoleReview.reviewer_id == reviewer_id)
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def clear_role_review(self, reviewer_id: int) -> None:
        """Forget the request `reviewer_id` was shown."""
        await self._session.execute(delete(RoleReview).where(RoleReview.reviewer_id == reviewer_id))


class LabelledExportPart(TxPart):
    """`Tx` methods for exports people read: labels, and the flow versions behind them."""

    async def iter_export_labelled(
        self,
        flow_id: str,
        *,
        since: datetime | None = None,
        municipality: int | str | None = None,
        country: str | None = None,
    ) -> AsyncIterator[LabelledRecord]:
        """Yield `LabelledRecord`s: the runs `iter_export` yields, with answer labels.

        Labels are fetched one batch of runs at a time (one query per `BATCH_SIZE` runs), so
        memory stays flat like `iter_export`'s.
        """
        # A sibling part over the same session: the filters stay defined in one place.
        plain = ExportPart(self._session, self._dialect)
        batch: list[ExportRecord] = []
        async for record in plain.iter_export(
            flow_id, since=since, municipality=municipality, country=country
        ):
            batch.append(record)
            if len(batch) >= BATCH_SIZE:
                for labelled in await self._labelled(batch):
                    yield labelled
                batch = []
        for labelled in await self._labelled(batch):
            yield labelled

    async def _labelled(self, records: list[ExportRecord]) -> list[LabelledRecord]:
        if not records:
            return []
        statement = select(Answer.run_id, Answer.step_id, Answer.display, Answer.kind).where(
            Answer.run_id.in_([r.run_id for r in records])
        )
        displays: dict[int, dict[str, str | None]] = {}
        kinds: dict[int, dict[str, str]] = {}
        for run_id, step_id, display, kind in (await self._session.execute(statement)).all():
            displays.setdefault(run_id, {})[step_id] = display
            kinds.setdefault(run_id, {})[step_id] = kind
        return [
            LabelledRecord(
                **{name: getattr(r, name) for name in ExportRecord.__dataclass_fields__},
                displays=displays.get(r.run_id, {}),
                kinds=kinds.get(r.run_id, {}),
            )
            for r in records
        ]

    async def flow_version_sources(self, flow_id: str) -> list[tuple[str, str, str]]:
        """Every stored version of a flow as ``(version, checksum, source)``, newest first."""
        statement = (
            select(FlowVersion.version, FlowVersion.checksum, FlowVersion.source)
            .where(FlowVersion.flow_id == flow_id)
            .order_by(FlowVersion.first_served_at.desc(), FlowVersion.id.desc())
        )
        return [(row[0], row[1], row[2]) for row in (await self._session.execute(statement)).all()]


async def audit(
    tx: TxPart, actor: User | str, action: str, details: dict[str, Any] | None = None
) -> None:
    """Write an audit row for a privileged action, in the caller's transaction.

    Args:
        tx: the open transaction (a `Tx`).
        actor: the acting `User`, or a label such as ``"cli:alice"`` or ``"system:retention"``.
        action: what was done: ``"broadcast"``, ``"export"``, ``"role_change"``,
            ``"deadline_change"``… (see the ``ACTION_*`` names).
        details: JSON-serialisable particulars.
    """
    if not isinstance(tx, AuditPart):
        raise TypeError("audit() needs a Tx (with the audit part)")
    if isinstance(actor, User):
        await tx.add_audit(actor.key, action, details, actor_user_id=actor.id)
    else:
        await tx.add_audit(actor, action, details)

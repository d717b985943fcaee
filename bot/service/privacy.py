"""Each person's control over their own data: `/mydata` and `/forget`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from bot.storage.models import Answer, FlowRun, User
from bot.storage.tx import Tx


async def export_user(tx: Tx, user: User) -> dict[str, Any]:
    """Everything stored about `user`: profile, runs and answers."""
    municipality = await tx.municipality(user.municipality_id) if user.municipality_id else None
    runs = (await tx.session.execute(
        select(FlowRun).where(FlowRun.user_id == user.id).order_by(FlowRun.started_at)
    )).scalars().all()
    out_runs = []
    for run in runs:
        out_runs.append({
            "flow": run.flow_id,
            "version": run.flow_version,
            "status": run.status,
            "started_at": run.started_at.isoformat(),
            "completed_at": run.completed_at.isoformat() if run.completed_at else None,
            "answers": await tx.answers(run.id),
        })
    return {
        "user": {
            "channel": user.channel,
            "id": user.external_id,
            "name": user.name,
            "language": user.language,
            "role": user.role,
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


async def forget_user(tx: Tx, user: User) -> None:
    """Erase `user` and every run and answer of theirs."""
    run_ids = select(FlowRun.id).where(FlowRun.user_id == user.id)
    await tx.session.execute(delete(Answer).where(Answer.run_id.in_(run_ids)))
    await tx.session.execute(delete(FlowRun).where(FlowRun.user_id == user.id))
    await tx.session.execute(delete(User).where(User.id == user.id))

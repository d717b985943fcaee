"""The programme's records for coordinators: the audit log and the HTML report.

Reading the audit log and writing the report are coordinators' business; writing the report is
itself audited (it gathers everyone's answers into one file).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.flow.catalogue import Catalogue
from bot.flow_library import FlowLibrary
from bot.programme.actors import Actor
from bot.storage.audit import audit
from bot.storage.store import Store
from bot.storage.tx import Tx

ACTION_REPORT = "report"


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as people read it."""

    at: datetime
    actor: str
    action: str
    details: dict[str, Any]


async def audit_log(
    tx: Tx,
    actor: Actor,
    *,
    since: datetime | None = None,
    action: str | None = None,
    limit: int = 100,
) -> list[AuditLine]:
    """Who did what, newest first (coordinators only)."""
    actor.require("coordinator")
    entries = await tx.audit_entries(since=since, action=action, limit=limit)
    return [AuditLine(e.at, e.actor, e.action, dict(e.details or {})) for e in entries]


async def write_report(
    store: Store,
    actor: Actor,
    catalogue: Catalogue,
    library: FlowLibrary,
    out_dir: Path,
    *,
    lang: str,
    now: datetime,
    since: datetime | None = None,
) -> Path:
    """Write the coordinators' HTML report into `out_dir` (audited); returns its path."""
    actor.require("coordinator")
    from bot.outputs.report import build_report  # matplotlib is loaded for reports only

    path = await build_report(store, catalogue, library, out_dir, lang=lang, now=now, since=since)
    async with store.transaction() as tx:
        await audit(
            tx,
            actor.audit_name,
            ACTION_REPORT,
            {"out": str(path), "since": since.date().isoformat() if since else None},
        )
    return path


__all__ = ["ACTION_REPORT", "AuditLine", "audit_log", "write_report"]

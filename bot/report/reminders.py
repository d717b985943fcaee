"""Reminder status per deadline, read from the deadline and outbox tables when they exist.

Those tables belong to the scheduling package (migration 0003) and may change while this report
does not: they are reflected at run time and read through the columns found, so a renamed
column makes the report fall back to question nudges instead of failing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, MetaData, Table, func, select
from sqlalchemy.engine import Connection

from bot.report.data import Reminders
from bot.storage.tx import Tx

TITLE_COLUMNS = ("title", "name", "label", "key", "slug", "kind")
DUE_COLUMNS = ("due_at", "due", "due_date", "deadline", "date", "at")
LINK_COLUMNS = ("deadline_id",)
STATUS_COLUMNS = ("status", "state")
MAX_DEADLINES = 100


def _first(table: Table, names: Sequence[str]) -> Column[Any] | None:
    for name in names:
        if name in table.c:
            return table.c[name]
    return None


def _title(value: Any) -> str:
    if isinstance(value, dict):  # a localized title: any language is better than the raw JSON
        return str(value.get("en") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


async def deadline_reminders(tx: Tx, tables: set[str]) -> Reminders | None:
    """Deadlines (soonest first) with how many reminders are in each outbox status.

    Returns:
        The table to show, or None when the deadline table lacks the columns needed.
    """
    connection = await tx.session.connection()

    def reflect(sync: Connection) -> dict[str, Table]:
        metadata = MetaData()
        return {name: Table(name, metadata, autoload_with=sync)
                for name in ("deadlines", "outbox") if name in tables}

    reflected = await connection.run_sync(reflect)
    deadlines = reflected["deadlines"]
    ident, title, due = deadlines.c.get("id"), _first(deadlines, TITLE_COLUMNS), \
        _first(deadlines, DUE_COLUMNS)
    if ident is None or title is None:
        return None
    picked = [ident, title] + ([due] if due is not None else [])
    statement = select(*picked).limit(MAX_DEADLINES)
    if due is not None:
        statement = statement.order_by(due)
    found = (await tx.session.execute(statement)).all()
    counts: dict[Any, dict[str, int]] = defaultdict(dict)
    statuses: list[str] = []
    outbox = reflected.get("outbox")
    link = _first(outbox, LINK_COLUMNS) if outbox is not None else None
    status = _first(outbox, STATUS_COLUMNS) if outbox is not None else None
    if link is not None and status is not None:
        for deadline_id, state, count in (await tx.session.execute(
            select(link, status, func.count()).group_by(link, status)
        )).all():
            counts[deadline_id][str(state)] = int(count)
        statuses = sorted({s for per in counts.values() for s in per})
    rows = []
    for row in found:
        when = row[2] if due is not None else None
        rows.append((_title(row[1]), when, *(counts[row[0]].get(s, 0) for s in statuses)))
    return Reminders("deadlines", ("deadline", "due", *statuses), tuple(rows))

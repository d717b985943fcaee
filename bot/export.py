"""Exports of a flow's runs: JSON (one record per run) and CSV (one column per answer).

Records are streamed from the database; the CSV's columns are only known once every run has been
seen, so rows are spooled to a temporary file first rather than held in memory.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from bot.config import Settings
from bot.storage.export import ExportRecord
from bot.storage.store import Store

FIXED = ("user", "municipality", "country", "flow", "version", "status", "started_at",
         "completed_at")


class ExportError(ValueError):
    """An export that cannot be made as asked (a bad date, say)."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral() else float(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def record_dict(record: ExportRecord) -> dict[str, Any]:
    """One run as exported: fixed fields then `answers`."""
    return {
        "user": record.user,
        "municipality": record.municipality,
        "country": record.country,
        "flow": record.flow_id,
        "version": record.flow_version,
        "status": record.status,
        "started_at": record.started_at.isoformat(),
        "completed_at": record.completed_at.isoformat() if record.completed_at else None,
        "answers": _jsonable(record.answers),
    }


def cell(value: Any) -> str:
    """A CSV cell; spreadsheet formulas typed by users are neutralised."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        text = json.dumps(_jsonable(value), ensure_ascii=False)
    else:
        text = str(_jsonable(value))
    if text[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + text
    return text


async def _records(store: Store, flow_id: str, since: datetime | None, municipality: str | None,
                   country: str | None) -> AsyncIterator[ExportRecord]:
    async with store.transaction(readonly=True) as tx:
        async for record in tx.iter_export(flow_id, since=since, municipality=municipality,
                                           country=country):
            yield record


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ExportError(f"--since {value!r} is not a date like 2026-01-31") from None
    return datetime(day.year, day.month, day.day).astimezone()


async def export_runs(settings: Settings, flow_id: str, *, fmt: str, out: Path | None,
                      since: str | None = None, municipality: str | None = None,
                      country: str | None = None) -> int:
    """Write the export; returns how many runs were exported."""
    start = _since(since)
    store = await Store.open(settings.database_url)
    try:
        stream: IO[str] = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
        try:
            records = _records(store, flow_id, start, municipality, country)
            if fmt == "csv":
                return await write_csv(records, stream)
            return await write_json(records, stream)
        finally:
            if out:
                stream.close()
    finally:
        await store.close()


async def write_json(records: AsyncIterator[ExportRecord], stream: IO[str]) -> int:
    """A JSON array, written one record at a time."""
    count = 0
    stream.write("[")
    async for record in records:
        stream.write(",\n" if count else "\n")
        stream.write(json.dumps(record_dict(record), ensure_ascii=False))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


async def write_csv(records: AsyncIterator[ExportRecord], stream: IO[str]) -> int:
    """A CSV with the fixed columns, then one column per step id (in first-seen order)."""
    steps: dict[str, None] = {}
    count = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        async for record in records:
            row = record_dict(record)
            for step in row["answers"]:
                steps.setdefault(step, None)
            spool.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        spool.seek(0)
        writer = csv.writer(stream)
        # An answer column named like a fixed one ("country") is told apart by a prefix.
        headers = [f"answer.{step}" if step in FIXED else step for step in steps]
        writer.writerow([*FIXED, *headers])
        for line in spool:
            row = json.loads(line)
            writer.writerow([cell(row[name]) for name in FIXED]
                            + [cell(row["answers"].get(step)) for step in steps])
    return count

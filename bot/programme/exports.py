"""Exports as a use case: who may export, from which data, and the audit entry of each.

The formats themselves (JSON, CSV, XLSX, formula safety, labels) are `bot.outputs.exports`.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import IO

from bot.config import Settings
from bot.flow.catalogue import Catalogue
from bot.flow.definition import Flow
from bot.outputs.exports import (
    FORMATS,
    ExportError,
    QuestionBook,
    write_csv,
    write_json,
    write_xlsx,
    xlsx_bytes,
)
from bot.programme.actors import Actor
from bot.storage.audit import ACTION_EXPORT, audit
from bot.storage.records import ExportRecord
from bot.storage.store import Store
from bot.storage.tx import Tx


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


async def export_runs(settings: Settings, actor: Actor, flow_id: str, *, fmt: str,
                      out: Path | None, since: str | None = None,
                      municipality: str | None = None, country: str | None = None,
                      lang: str | None = None, via: str = "cli") -> int:
    """Write the export (to `out`, or standard output); returns how many runs were exported.

    Coordinators only; every export is written to the audit log.
    """
    actor.require("coordinator")
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
    start = _since(since)
    store = await Store.open(settings.database_url)
    try:
        if fmt == "xlsx":
            count = await _export_xlsx_file(store, settings, flow_id, out, start, municipality,
                                            country, lang or settings.default_language)
        else:
            stream: IO[str] = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
            try:
                records = _records(store, flow_id, start, municipality, country)
                if fmt == "csv":
                    count = await write_csv(records, stream)
                else:
                    count = await write_json(records, stream)
            finally:
                if out:
                    stream.close()
        async with store.transaction() as tx:
            await audit(tx, actor.audit_name, ACTION_EXPORT, {
                "flow": flow_id, "format": fmt, "runs": count, "since": since,
                "municipality": municipality, "country": country, "via": via})
        return count
    finally:
        await store.close()


async def _export_xlsx_file(store: Store, settings: Settings, flow_id: str, out: Path | None,
                            since: datetime | None, municipality: str | None,
                            country: str | None, lang: str) -> int:
    from bot.content import shipped_catalogue
    from bot.flow_library import FlowLibrary

    if out is None and sys.stdout.isatty():
        raise ExportError("an XLSX export is a binary file: give --out FILE")
    catalogue = shipped_catalogue()
    library = FlowLibrary.load(catalogue, settings.flows_dir)
    async with store.transaction(readonly=True) as tx:
        book = await QuestionBook.load(tx, flow_id, lang, catalogue, library.get(flow_id))
        records = tx.iter_export_labelled(flow_id, since=since, municipality=municipality,
                                          country=country)
        if out is not None:
            with out.open("wb") as stream:
                return await write_xlsx(records, stream, book)
        return await write_xlsx(records, sys.stdout.buffer, book)


async def export_xlsx(tx: Tx, actor: Actor, flow: Flow, catalogue: Catalogue, lang: str, *,
                      via: str) -> tuple[bytes, int]:
    """The XLSX export of `flow` in `lang` as bytes, and how many runs it has (audited if any)."""
    actor.require("coordinator")
    content, count = await xlsx_bytes(tx, flow, catalogue, lang)
    if count:
        await audit(tx, actor.audit_name, ACTION_EXPORT,
                    {"flow": flow.id, "format": "xlsx", "runs": count, "via": via, "lang": lang})
    return content, count


__all__ = ["ExportError", "export_runs", "export_xlsx"]

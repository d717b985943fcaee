"""Exports as a use case: who may export, from which data, and the audit entry of each.

The formats themselves (JSON, CSV, XLSX, formula safety, labels) are `bot.outputs.exports`.
"""

from __future__ import annotations

import contextlib
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
    model_for,
    write_csv,
    write_json,
    write_xlsx,
    xlsx_bytes,
)
from bot.outputs.table import TableModel
from bot.programme.actors import Actor
from bot.storage.audit import ACTION_EXPORT, audit
from bot.storage.records import ExportRecord
from bot.storage.store import Store
from bot.storage.tx import Tx


async def _records(
    store: Store,
    flow_id: str,
    since: datetime | None,
    municipality: str | None,
    country: str | None,
) -> AsyncIterator[ExportRecord]:
    async with store.transaction(readonly=True) as tx:
        async for record in tx.iter_export(
            flow_id, since=since, municipality=municipality, country=country
        ):
            yield record


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ExportError(f"--since {value!r} is not a date like 2026-01-31") from None
    return datetime(day.year, day.month, day.day).astimezone()


async def export_runs(
    settings: Settings,
    actor: Actor,
    flow_id: str,
    *,
    fmt: str,
    out: Path | None,
    since: str | None = None,
    municipality: str | None = None,
    country: str | None = None,
    lang: str | None = None,
    codebook: Path | None = None,
    via: str = "cli",
) -> int:
    """Write the export (to `out`, or standard output); returns how many runs were exported.

    A CSV written to a file puts each repeated block (Week heroes…) in a file beside it
    (``OUT.hero_keep.csv``); `codebook` receives each column's question, type and options.
    Coordinators only; every export is written to the audit log.
    """
    actor.require("coordinator")
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
    if codebook is not None and fmt != "csv":
        raise ExportError("--codebook goes with --format csv (an XLSX has its questions sheet)")
    if fmt == "xlsx" and out is None and sys.stdout.isatty():
        raise ExportError("an XLSX export is a binary file: give --out FILE")
    start = _since(since)
    store = await Store.open(settings.database_url)
    try:
        model = await _model(store, settings, flow_id, lang or settings.default_language)
        records = _records(store, flow_id, start, municipality, country)
        if fmt == "xlsx":
            if out is not None:
                with out.open("wb") as binary:
                    count = await write_xlsx(records, binary, model)
            else:
                count = await write_xlsx(records, sys.stdout.buffer, model)
        else:
            count = await _export_text(records, model, fmt, out, codebook)
        async with store.transaction() as tx:
            await audit(
                tx,
                actor.audit_name,
                ACTION_EXPORT,
                {
                    "flow": flow_id,
                    "format": fmt,
                    "runs": count,
                    "since": since,
                    "municipality": municipality,
                    "country": country,
                    "via": via,
                },
            )
        return count
    finally:
        await store.close()


async def _export_text(
    records: AsyncIterator[ExportRecord],
    model: TableModel,
    fmt: str,
    out: Path | None,
    codebook: Path | None,
) -> int:
    """JSON or CSV to `out` or standard output (a CSV's item tables beside `out`)."""
    with contextlib.ExitStack() as files:
        stream: IO[str] = (
            files.enter_context(out.open("w", encoding="utf-8", newline="")) if out else sys.stdout
        )
        if fmt == "json":
            return await write_json(records, stream, model)

        def item_file(table: str) -> IO[str]:
            assert out is not None
            return files.enter_context(
                out.with_name(f"{out.stem}.{table}{out.suffix or '.csv'}").open(
                    "w", encoding="utf-8", newline=""
                )
            )

        book = (
            files.enter_context(codebook.open("w", encoding="utf-8", newline=""))
            if codebook
            else None
        )
        return await write_csv(
            records, stream, model, item_stream=item_file if out else None, codebook=book
        )


async def _model(store: Store, settings: Settings, flow_id: str, lang: str) -> TableModel:
    from bot.content import shipped_catalogue
    from bot.flow_library import FlowLibrary

    catalogue = shipped_catalogue()
    library = FlowLibrary.load(catalogue, settings.flows_dir)
    async with store.transaction(readonly=True) as tx:
        return await model_for(tx, flow_id, lang, catalogue, library.get(flow_id))


async def export_xlsx(
    tx: Tx, actor: Actor, flow: Flow, catalogue: Catalogue, lang: str, *, via: str
) -> tuple[bytes, int]:
    """The XLSX export of `flow` in `lang` as bytes, and how many runs it has (audited if any)."""
    actor.require("coordinator")
    content, count = await xlsx_bytes(tx, flow, catalogue, lang)
    if count:
        await audit(
            tx,
            actor.audit_name,
            ACTION_EXPORT,
            {"flow": flow.id, "format": "xlsx", "runs": count, "via": via, "lang": lang},
        )
    return content, count


__all__ = ["ExportError", "export_runs", "export_xlsx"]

"""Exports of a flow's runs as JSON, CSV and XLSX, all three from one model (`table.TableModel`).

One row per run, typed cells (numbers, dates, booleans), short stable headers (``step`` or
``step.part``) explained in a codebook in the chosen language: the XLSX's ``questions`` sheet,
the CSV's ``--codebook`` file. Repeated blocks (Week heroes, activities) are tables of their
own, one row per item with the run's id: an XLSX sheet, a CSV file beside the main one (or a
section after it on standard output), a list in each JSON record.

Records are streamed from the database; the columns are only known once every run has been
seen, so rows are spooled to temporary files first rather than held in memory.

Whatever a user typed never becomes a live formula: CSV text cells starting with ``= + - @``
get a leading apostrophe; XLSX text cells are always written as text with Excel's "quote
prefix". Hero nominations name third parties: without recorded consent their names are
withheld from every export (`bot.outputs.consent.redact_answers`).
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import IO, TYPE_CHECKING, Any

from bot.flow.catalogue import Catalogue
from bot.flow.definition import Flow
from bot.outputs.consent import redact_answers
from bot.outputs.questions import HEADER_MAX, QuestionBook, plain
from bot.outputs.table import FIXED, RUNS, Column, TableModel
from bot.storage.records import ExportRecord
from bot.storage.tx import Tx

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMATS = ("json", "csv", "xlsx")
FORMULA_STARTS = frozenset({"=", "+", "-", "@", "\t", "\r"})
QUESTIONS_SHEET = "questions"


class ExportError(ValueError):
    """An export that cannot be made as asked (a bad date, say)."""


# --- one run, as the model sees it ---------------------------------------------------------------


def run_row(
    model: TableModel, record: ExportRecord
) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """A run as ``(fixed and answer cells, result cells, {item table: rows})``, typed."""
    answers, _ = redact_answers(record.flow_id, record.answers)
    version = record.flow_version
    row: dict[str, Any] = {
        "run": record.run_id,
        "user": record.user,
        "municipality": record.municipality,
        "country": record.country,
        "flow": record.flow_id,
        "version": version,
        "status": record.status,
        "started_at": record.started_at,
        "completed_at": record.completed_at,
    }
    for step, value in answers.items():
        row.update(model.cells(version, step, value))
    results = dict(model.results(version, record.computed, record.flow_id))
    items = {
        table: [
            {"run": record.run_id, "municipality": record.municipality, **item} for item in rows
        ]
        for table, rows in model.items(version, answers)
    }
    return row, results, items


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def record_dict(model: TableModel, record: ExportRecord) -> dict[str, Any]:
    """One run as the JSON export gives it: fixed fields, ``answers``, ``results``, ``items``."""
    row, results, items = run_row(model, record)
    fixed = {name: _jsonable(row.pop(name)) for name in FIXED}
    return {
        **fixed,
        "answers": {k: _jsonable(v) for k, v in row.items()},
        "results": {k: _jsonable(v) for k, v in results.items()},
        "items": {
            table: [{k: _jsonable(v) for k, v in item.items()} for item in rows]
            for table, rows in items.items()
        },
    }


async def write_json(
    records: AsyncIterator[ExportRecord], stream: IO[str], model: TableModel
) -> int:
    """A JSON array, written one record at a time; returns how many runs."""
    count = 0
    stream.write("[")
    async for record in records:
        stream.write(",\n" if count else "\n")
        stream.write(json.dumps(record_dict(model, record), ensure_ascii=False))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


# --- spooling: rows wait on disk until every column is known -------------------------------------


def _spool_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.astimezone(UTC).isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    raise TypeError(f"cannot spool {type(value).__name__}")


def _unspool(value: Any) -> Any:
    if isinstance(value, dict) and "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if isinstance(value, dict) and "$date" in value:
        return date.fromisoformat(value["$date"])
    return value


class _Spool:
    """Rows of every table on disk, one temporary file per table."""

    def __init__(self, files: contextlib.ExitStack) -> None:
        self.files = files
        self.tables: dict[str, IO[str]] = {}

    def add(self, table: str, row: dict[str, Any]) -> None:
        if table not in self.tables:
            spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (ExitStack)
            self.tables[table] = self.files.enter_context(spool)
        self.tables[table].write(json.dumps(row, default=_spool_default, ensure_ascii=False) + "\n")

    def rows(self, table: str) -> Any:
        spool = self.tables.get(table)
        if spool is None:
            return
        spool.seek(0)
        for line in spool:
            yield {k: _unspool(v) for k, v in json.loads(line).items()}


async def _spool_all(records: AsyncIterator[ExportRecord], model: TableModel, spool: _Spool) -> int:
    count = 0
    async for record in records:
        row, results, items = run_row(model, record)
        spool.add(RUNS, {**row, **results})
        for table, rows in items.items():
            for item in rows:
                spool.add(table, item)
        count += 1
    return count


def _tables(model: TableModel) -> list[tuple[str, list[Column]]]:
    """Every table with its columns: runs first, then each item table."""
    tables = [(RUNS, model.fixed() + model.ordered(RUNS))]
    for table in model.columns:
        if table != RUNS:
            tables.append((table, model.item_fixed() + model.ordered(table)))
    return tables


# --- CSV -----------------------------------------------------------------------------------------


def cell(value: Any) -> str:
    """A CSV cell: typed values as a spreadsheet reads them, formulas typed by users inert."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "'" + text if text[:1] in FORMULA_STARTS else text


async def write_csv(
    records: AsyncIterator[ExportRecord],
    stream: IO[str],
    model: TableModel,
    *,
    item_stream: Callable[[str], IO[str]] | None = None,
    codebook: IO[str] | None = None,
) -> int:
    """The runs as CSV; returns how many runs.

    Args:
        records: the runs.
        stream: where the ``runs`` table goes.
        model: the table model (language, questions).
        item_stream: opens the file of an item table (``hero_keep``); without it, item tables
            follow the runs in `stream`, each after an empty line and a ``[table]`` line.
        codebook: where to write each column's question, type and options, if anywhere.
    """
    with contextlib.ExitStack() as files:
        spool = _Spool(files)
        count = await _spool_all(records, model, spool)
        for index, (table, columns) in enumerate(_tables(model)):
            if table == RUNS:
                target = stream
            elif item_stream is not None:
                target = item_stream(table)
            else:
                target = stream
                stream.write(("\n" if index else "") + f"[{table}]\n")
            writer = csv.writer(target)
            writer.writerow([c.key for c in columns])
            for row in spool.rows(table):
                writer.writerow([cell(row.get(c.key)) for c in columns])
        if codebook is not None:
            write_codebook(model, codebook)
    return count


def write_codebook(model: TableModel, stream: IO[str]) -> None:
    """Each column of each table: its full question, type and option labels (CSV)."""
    writer = csv.writer(stream)
    msg = model.book.catalogue.messages
    lang = model.book.lang
    writer.writerow(
        [
            msg.get(f"export_codebook_{name}", lang)
            for name in ("table", "column", "question", "type", "options")
        ]
    )
    for table, columns in _tables(model):
        for column in columns:
            writer.writerow(
                [cell(v) for v in (table, column.key, column.question, column.type, column.options)]
            )


# --- XLSX ----------------------------------------------------------------------------------------


def _naive_utc(moment: datetime | None) -> datetime | None:
    # Spreadsheets have no time zones; the questions sheet says the times are UTC.
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else None


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    from openpyxl.cell import WriteOnlyCell

    """A typed cell; text is always text (never a formula), quote-prefixed when risky."""
    if isinstance(value, datetime):
        value = _naive_utc(value)
    if not isinstance(value, str):
        return WriteOnlyCell(sheet, value=value)
    # openpyxl would store "=…" as a formula; forcing the text type keeps it inert, and the
    # quote prefix keeps spreadsheets from re-reading it as a formula when a cell is edited.
    written = WriteOnlyCell(sheet, value=value)
    written.data_type = "s"
    if value[:1] in FORMULA_STARTS:
        written.quotePrefix = True
    return written


def _sheet_title(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31]
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


def _write_table(sheet: WriteOnlyWorksheet, columns: list[Column], rows: Any) -> None:
    from openpyxl.utils import get_column_letter

    """Header row of keys, then the rows; header frozen, filters on it."""
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_cell(sheet, c.key) for c in columns])
    count = 1
    for row in rows:
        sheet.append([_xlsx_cell(sheet, row.get(c.key)) for c in columns])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(columns), 1))}{count}"


async def write_xlsx(
    records: AsyncIterator[ExportRecord], stream: IO[bytes], model: TableModel
) -> int:
    """An XLSX workbook: ``runs``, one sheet per item table, and ``questions``.

    Rows are spooled to temporary files, then streamed into a write-only workbook, so memory
    does not grow with the export. Returns how many runs were written.
    """
    with contextlib.ExitStack() as files:
        spool = _Spool(files)
        count = await _spool_all(records, model, spool)
        from openpyxl import Workbook  # loaded when someone exports, not with the bot

        workbook = Workbook(write_only=True)
        used = {QUESTIONS_SHEET}
        tables = _tables(model)
        for table, columns in tables:
            _write_table(
                workbook.create_sheet(_sheet_title(table, used)), columns, spool.rows(table)
            )
        msg = model.book.catalogue.messages
        headers = [
            msg.get(f"export_codebook_{name}", model.book.lang)
            for name in ("table", "column", "question", "type", "options")
        ]
        book_rows = (
            dict(
                zip(
                    headers,
                    (table, c.key, plain(c.question, HEADER_MAX * 4), c.type, c.options),
                    strict=True,
                )
            )
            for table, columns in tables
            for c in columns
        )
        _write_table(
            workbook.create_sheet(QUESTIONS_SHEET),
            [Column(header, "", "") for header in headers],
            book_rows,
        )
        workbook.save(stream)
    return count


async def model_for(
    tx: Tx, flow_id: str, lang: str, catalogue: Catalogue, current: Flow | None
) -> TableModel:
    """The table model of `flow_id` in `lang`: the current definition plus stored versions."""
    return TableModel(await QuestionBook.load(tx, flow_id, lang, catalogue, current))


async def xlsx_bytes(
    tx: Tx, flow: Flow, catalogue: Catalogue, lang: str, *, since: datetime | None = None
) -> tuple[bytes, int]:
    """The XLSX export of `flow` as bytes (for the bot's `/export`), and how many runs it has."""
    model = await model_for(tx, flow.id, lang, catalogue, flow)
    with tempfile.TemporaryFile() as target:
        count = await write_xlsx(tx.iter_export(flow.id, since=since), target, model)
        target.seek(0)
        return target.read(), count


__all__ = [
    "FORMATS",
    "ExportError",
    "QuestionBook",
    "TableModel",
    "cell",
    "model_for",
    "record_dict",
    "write_codebook",
    "write_csv",
    "write_json",
    "write_xlsx",
    "xlsx_bytes",
]

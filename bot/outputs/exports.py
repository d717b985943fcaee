"""Exports of a flow's runs: JSON (one record per run), CSV and XLSX (one column per answer).

Records are streamed from the database; the CSV's and XLSX's columns are only known once every
run has been seen, so rows are spooled to a temporary file first rather than held in memory.
JSON and CSV are for machines (step ids, raw values). The XLSX is for people: one sheet per flow
version, the questions as headers and the answers as labels, both in the chosen language, a
frozen header row with filters, written by openpyxl's streaming (write-only) mode.

Whatever a user typed never becomes a live formula: CSV cells starting with ``= + - @`` get a
leading apostrophe; XLSX cells are always written as text with Excel's "quote prefix", so the
text stays exactly as typed and no spreadsheet evaluates it.

Hero nominations name third parties: without recorded consent their names are withheld from
every export (`bot.outputs.consent.redact_answers`).
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import tempfile
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.flow.catalogue import Catalogue
from bot.flow.definition import Flow, Step
from bot.flow.errors import FlowError
from bot.flow.loader import load_flow
from bot.flow.runtime import Runtime
from bot.flow.state import RunState
from bot.i18n import html_to_plain
from bot.outputs.consent import WITHHELD, redact_answers
from bot.storage.audit import LabelledRecord
from bot.storage.records import ExportRecord
from bot.storage.tx import Tx

FIXED = ("user", "municipality", "country", "flow", "version", "status", "started_at",
         "completed_at")
XLSX_FIXED = ("user", "municipality", "country", "status", "started_at", "completed_at")
FORMATS = ("json", "csv", "xlsx")
FORMULA_STARTS = frozenset({"=", "+", "-", "@", "\t", "\r"})
HEADER_MAX = 250
"""Longest header text; question texts beyond it are cut with an ellipsis."""


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
    """One run as exported: fixed fields then `answers` (third parties without consent hidden)."""
    answers, _ = redact_answers(record.flow_id, record.answers)
    return {
        "user": record.user,
        "municipality": record.municipality,
        "country": record.country,
        "flow": record.flow_id,
        "version": record.flow_version,
        "status": record.status,
        "started_at": record.started_at.isoformat(),
        "completed_at": record.completed_at.isoformat() if record.completed_at else None,
        "answers": _jsonable(answers),
    }


def cell(value: Any) -> str:
    """A CSV cell; spreadsheet formulas typed by users are neutralised."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        text = json.dumps(_jsonable(value), ensure_ascii=False)
    else:
        text = str(_jsonable(value))
    if text[:1] in FORMULA_STARTS:
        return "'" + text
    return text


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


# --- XLSX: questions and labels in one language --------------------------------------------------


class _HeaderScope(Runtime):
    """Renders a question without a conversation: names it would fill in read as "…"."""

    def __init__(self, flow: Flow, catalogue: Catalogue, state: RunState, now: datetime,
                 bound: Mapping[str, Any]) -> None:
        super().__init__(flow, catalogue, state, now)
        self.bound = dict(bound)

    def lookup(self, name: str) -> Any:
        """Bound names (the loop's `item`) as given; anything else, a placeholder."""
        if name in self.bound:
            return self.bound[name]
        value = super().lookup(name)
        if name in {"today", "year", "lang"}:
            return value
        return "…" if value in (None, {}, "") else value


def plain(text: str, limit: int = HEADER_MAX) -> str:
    """Telegram HTML to one line of plain text, at most `limit` characters."""
    line = " ".join(html_to_plain(text).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class QuestionBook:
    """A flow's questions and answer labels in one language, for every version runs used."""

    def __init__(self, flow_id: str, lang: str, catalogue: Catalogue, current: Flow | None,
                 stored: list[tuple[str, str, str]], now: datetime | None = None) -> None:
        """Prefer `load`; `stored` is ``[(version, checksum, source)]``, newest first."""
        self.flow_id = flow_id
        self.lang = lang
        self.catalogue = catalogue
        self.current = current
        self.stored = stored
        self.now = now or datetime.now(UTC)
        self._flows: dict[str, Flow | None] = {}

    @classmethod
    async def load(cls, tx: Tx, flow_id: str, lang: str, catalogue: Catalogue,
                   current: Flow | None) -> QuestionBook:
        """The book of `flow_id`: the current definition plus every stored older version."""
        return cls(flow_id, lang, catalogue, current, await tx.flow_version_sources(flow_id))

    def flow_for(self, version: str) -> Flow | None:
        """The definition of `version` (the current one if it has that version number)."""
        if version not in self._flows:
            found: Flow | None = None
            if self.current is not None and self.current.version == version:
                found = self.current
            for stored_version, checksum, source in self.stored:
                if found is not None:
                    break
                if stored_version == version:
                    try:
                        found = load_flow(source, f"{self.flow_id}@{checksum}", self.catalogue)
                    except FlowError:
                        continue
            self._flows[version] = found or self.current
        return self._flows[version]

    def _runtime(self, flow: Flow, **bound: Any) -> Runtime:
        """A scope that renders `flow`'s texts in the book's language, with `bound` names."""
        state = RunState(flow_id=flow.id, flow_version=flow.version, lang=self.lang,
                         started_at=self.now, updated_at=self.now)
        return _HeaderScope(flow, self.catalogue, state, self.now, bound)

    def _step(self, flow: Flow, step_id: str) -> tuple[Step | None, Any]:
        """The step answering `step_id`, and the loop item for ``<step>_<item>`` answers."""
        if step_id in flow.steps:
            return flow.steps[step_id], None
        base, _, item = step_id.rpartition("_")
        if base in flow.steps:
            return flow.steps[base], int(item) if item.isdigit() else item
        return None, None

    def order(self, version: str, step_id: str) -> tuple[int, int, str]:
        """Sort key of a column: the flow's step order, loop items by number, unknown last."""
        flow = self.flow_for(version)
        if flow is None:
            return (10**6, 0, step_id)
        step, item = self._step(flow, step_id)
        if step is None:
            return (10**6, 0, step_id)
        return (flow.order.index(step.id), item if isinstance(item, int) else 0, step_id)

    def header(self, version: str, step_id: str) -> str:
        """The question of `step_id` as plain text in the book's language (the id if none)."""
        flow = self.flow_for(version)
        step, item = self._step(flow, step_id) if flow else (None, None)
        if flow is None or step is None:
            return step_id
        text = step.base.text
        if text is None and step.kind == "collect":
            fields: list[str] = getattr(step, "field_ids", [])
            first = self.header(version, fields[0]) if fields else step_id
            return plain(self.catalogue.messages.get("export_list", self.lang, question=first))
        if text is None:
            return step_id
        try:
            return plain(self._runtime(flow, item=item).render(text)) or step_id
        except Exception:  # a header must never stop an export
            return plain(re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "…", text.source.get(self.lang)))

    def label(self, version: str, step_id: str, value: Any, display: str | None) -> str | None:
        """The answer as a label in the book's language, else as the user saw it."""
        flow = self.flow_for(version)
        step, _ = self._step(flow, step_id) if flow else (None, None)
        if flow is None or step is None or value is None:
            return display
        rt = self._runtime(flow)
        try:
            return _relabel(step, rt, value) or display
        except Exception:  # fall back to the label stored with the answer
            return display


def _relabel(step: Step, rt: Runtime, value: Any) -> str | None:
    """Render an answer the way `step` displays it, in `rt`'s language (None: not known)."""
    if step.kind == "yesno" and isinstance(value, bool):
        return rt.msg("yes_label" if value else "no_label")
    optionset = getattr(step, "optionset", None)
    if optionset is not None:
        values = value if isinstance(value, list) else [value]
        return ", ".join(optionset.label(rt, str(v)) for v in values)
    if step.kind == "scale" and isinstance(value, int) and not isinstance(value, bool):
        return str(step.display(rt, value))  # type: ignore[attr-defined]
    if step.kind == "sdg":
        goals = value if isinstance(value, list) else [value]
        return "; ".join(f"{int(g)}. {rt.catalogue.sdgs.name(int(g), rt.lang)}" for g in goals)
    if step.kind == "ratings" and isinstance(value, Mapping):
        items: list[tuple[str, Any]] = getattr(step, "items", [])
        return ", ".join(f"{rt.render(label)} {value[item]}" for item, label in items
                         if item in value)
    return None


def _answer_cell(book: QuestionBook, version: str, step_id: str, value: Any,
                 display: str | None, kind: str | None) -> Any:
    """A spreadsheet value: numbers and dates stay typed, everything else becomes a label."""
    if value == WITHHELD:
        return book.catalogue.messages.get("export_withheld", book.lang)
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral() else float(value)
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return {"date": value.isoformat()}
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        # A collected list (heroes, activities): each record's fields are answers to steps.
        return " | ".join(
            "; ".join(_flat(_answer_cell(book, version, field, v, None, None))
                      for field, v in record.items() if v is not None)
            for record in value)
    label = book.label(version, step_id, value, display)
    if label:
        return label
    if isinstance(value, list | dict):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    return None if value is None else str(_jsonable(value))


def _flat(value: Any) -> str:
    """A cell value as text inside a longer cell (a date as ISO)."""
    if isinstance(value, Mapping) and "date" in value:
        return str(value["date"])
    return "" if value is None else str(value)


def _naive_utc(moment: datetime | None) -> datetime | None:
    # Spreadsheets have no time zones; the header says the times are UTC.
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else None


def _text_cell(sheet: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    """A cell; text is always text (never a formula), with Excel's quote prefix when risky."""
    if isinstance(value, Mapping) and "date" in value:
        return WriteOnlyCell(sheet, value=date.fromisoformat(value["date"]))
    if not isinstance(value, str):
        return WriteOnlyCell(sheet, value=value)
    # openpyxl would store "=…" as a formula; forcing the text type keeps it inert, and the
    # quote prefix keeps spreadsheets from re-reading it as a formula when a cell is edited.
    written = WriteOnlyCell(sheet, value=value)
    written.data_type = "s"
    if value[:1] in FORMULA_STARTS:
        written.quotePrefix = True
    return written


def _sheet_title(flow_id: str, version: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", f"{flow_id} v{version}")[:31]
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


async def write_xlsx(records: AsyncIterator[LabelledRecord], stream: IO[bytes],
                     book: QuestionBook) -> int:
    """Write an XLSX workbook: one sheet per flow version, questions as headers.

    Rows are spooled per version to temporary files (the columns are known only at the end),
    then streamed into a write-only workbook, so memory does not grow with the export.

    Returns:
        How many runs were written.
    """
    msg = book.catalogue.messages
    spools: dict[str, IO[str]] = {}
    steps: dict[str, dict[str, None]] = {}
    count = 0
    with contextlib.ExitStack() as files:
        async for record in records:
            answers, displays = redact_answers(record.flow_id, record.answers, record.displays)
            cells = {step: _answer_cell(book, record.flow_version, step, value,
                                        displays.get(step), record.kinds.get(step))
                     for step, value in answers.items()}
            row = {
                "user": record.user,
                "municipality": record.municipality,
                "country": record.country,
                "status": msg.get(f"status_{record.status}", book.lang),
                "started_at": _naive_utc(record.started_at),
                "completed_at": _naive_utc(record.completed_at),
                "answers": cells,
            }
            version = record.flow_version
            if version not in spools:
                spools[version] = files.enter_context(
                    tempfile.TemporaryFile("w+", encoding="utf-8"))
                steps[version] = {}
            for step in cells:
                steps[version].setdefault(step, None)
            spools[version].write(json.dumps(row, default=_spool_default, ensure_ascii=False)
                                  + "\n")
            count += 1
        workbook = Workbook(write_only=True)
        used: set[str] = set()
        # An empty export still gets one sheet with its header row.
        for version in sorted(spools, key=_version_key) or [""]:
            sheet = workbook.create_sheet(_sheet_title(book.flow_id, version or "-", used))
            columns = sorted(steps.get(version, {}), key=lambda s: book.order(version, s))
            _write_sheet(sheet, book, version, columns, spools.get(version))
        workbook.save(stream)
    return count


def _spool_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    raise TypeError(f"cannot spool {type(value).__name__}")


def _unspool(value: Any) -> Any:
    if isinstance(value, dict) and "datetime" in value:
        return datetime.fromisoformat(value["datetime"])
    return value


def _version_key(version: str) -> tuple[int, str]:
    return (int(version), version) if version.isdigit() else (10**9, version)


def _write_sheet(sheet: WriteOnlyWorksheet, book: QuestionBook, version: str,
                 columns: list[str], spool: IO[str] | None) -> None:
    """Header row (with each step id as a comment), then the spooled rows; freeze and filter."""
    msg = book.catalogue.messages
    sheet.freeze_panes = "A2"
    headers: list[WriteOnlyCell] = []
    for name in XLSX_FIXED:
        headers.append(_text_cell(sheet, msg.get(f"export_col_{name}", book.lang)))
    for step in columns:
        header = _text_cell(sheet, book.header(version, step))
        header.comment = Comment(step, "sdgbot")
        headers.append(header)
    sheet.append(headers)
    rows = 1
    if spool is not None:
        spool.seek(0)
        for line in spool:
            row = json.loads(line)
            fixed = [_unspool(row[name]) for name in XLSX_FIXED]
            answers = [row["answers"].get(step) for step in columns]
            sheet.append([_text_cell(sheet, value) for value in [*fixed, *answers]])
            rows += 1
    width = len(XLSX_FIXED) + len(columns)
    sheet.auto_filter.ref = f"A1:{get_column_letter(width)}{rows}"


async def xlsx_bytes(tx: Tx, flow: Flow, catalogue: Catalogue, lang: str, *,
                     since: datetime | None = None) -> tuple[bytes, int]:
    """The XLSX export of `flow` as bytes (for the bot's `/export`), and how many runs it has."""
    book = await QuestionBook.load(tx, flow.id, lang, catalogue, flow)
    with tempfile.TemporaryFile() as target:
        count = await write_xlsx(tx.iter_export_labelled(flow.id, since=since), target, book)
        target.seek(0)
        return target.read(), count

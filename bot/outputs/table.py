"""The one model behind every export: typed cells, short stable column names, a codebook.

A run becomes one row of the ``runs`` table; each repeated block it collected (Week heroes,
activities: a `collect` step) becomes rows of a table of its own, one per item, with the run's
id. Cells keep their type so a spreadsheet can compute with them: numbers, scores and scales as
numbers, dates as dates, yes/no as booleans. A multi-select becomes one 0/1 column per option
(``data.own``) plus the chosen labels (``data``); a step asking several scores at once
(`ratings`) one column per score (``gap.today``). Messages, summaries, computations and
navigation choices ("Carry on" / "See the results") are left out. The values a flow marks as
its results (``results:`` in the flow file) get columns of their own, after the answers.

Each column is explained in the chosen language by a `Column` (the full question, the type,
the option labels): the XLSX's ``questions`` sheet, the CSV's ``--codebook`` file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.flow.definition import END, Flow, Step
from bot.flow.expressions import names_in
from bot.outputs.consent import CONSENT_RULES, WITHHELD
from bot.outputs.questions import QuestionBook, plain

RUNS = "runs"
"""The name of the main table (one row per run)."""
FIXED = (
    "run",
    "user",
    "municipality",
    "country",
    "flow",
    "version",
    "status",
    "started_at",
    "completed_at",
)
ITEM_FIXED = ("run", "municipality", "item")
SILENT_KINDS = frozenset({"message", "summary", "compute", "branch"})


@dataclass(frozen=True)
class Column:
    """One column of an export table, explained for people.

    Attributes:
        key: the header, short and stable: ``step`` or ``step.part``.
        question: the full question (or what the column holds), in the book's language.
        type: what the cells are (``number``, ``0/1``, ``date``…), in the book's language.
        options: the answer labels (``school = School; …``), if any.
    """

    key: str
    question: str
    type: str
    options: str = ""


def _number(value: Any) -> Any:
    """Decimals from the database as int or float (a spreadsheet's number)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral() else float(value)
    return value


def _scalar(value: Any) -> Any:
    """A value one cell can hold: numbers, booleans, dates, text; lists joined, mappings JSON."""
    value = _number(value)
    if value is None or isinstance(value, bool | int | float | str | date):
        return value
    if isinstance(value, list | tuple) and all(
        not isinstance(v, list | tuple | Mapping) for v in value
    ):
        return "; ".join(str(_number(v)) for v in value)
    return json.dumps(value, ensure_ascii=False, default=str)


class TableModel:
    """Turns runs into typed rows for one flow, in one language, remembering each column."""

    def __init__(self, book: QuestionBook) -> None:
        """`book` gives the questions and labels of every version the runs followed."""
        self.book = book
        self.columns: dict[str, dict[str, tuple[tuple[Any, ...], Column]]] = {RUNS: {}}
        self._navigation: dict[str, frozenset[str]] = {}

    # --- what a step becomes -----------------------------------------------------------------

    def _msg(self, key: str, **values: Any) -> str:
        return self.book.catalogue.messages.get(key, self.book.lang, **values)

    def _flow(self, version: str) -> Flow | None:
        return self.book.flow_for(version)

    def navigation(self, flow: Flow) -> frozenset[str]:
        """Questions that only move through the flow, whose answer tells nothing.

        A choice nothing reads, one of whose options skips to a computation, a summary or the
        end ("Carry on" / "See the results"); and the question heading a repeated block, which
        a later step jumps back to ("Add another hero?": its last answer is always "no", the
        block's own sheet counts the items).
        """
        key = f"{flow.version}@{flow.checksum}"
        if key not in self._navigation:
            read: set[str] = set()
            for step in flow.steps.values():
                for node, _ in step.expressions():
                    read |= names_in(node)
                for text in step.texts():
                    for node in text.expressions():
                        read |= names_in(node)
            for text in flow.texts.values():
                for node in text.expressions():
                    read |= names_in(node)
            found = set()
            for step in flow.steps.values():
                optionset = getattr(step, "optionset", None)
                if step.kind != "choice" or optionset is None or step.id in read:
                    continue
                targets = {o.next for o in optionset.options if o.next}
                if any(
                    t == END or (t in flow.steps and flow.steps[t].kind in {"compute", "summary"})
                    for t in targets
                ):
                    found.add(step.id)
            for later, step_id in enumerate(flow.order):
                for target, _line in flow.steps[step_id].targets():
                    if (
                        target in flow.steps
                        and flow.order.index(target) < later
                        and (flow.steps[target].kind in {"yesno", "choice"})
                    ):
                        found.add(target)
            self._navigation[key] = frozenset(found)
        return self._navigation[key]

    def _collected_fields(self, flow: Flow) -> set[str]:
        return {
            f
            for s in flow.steps.values()
            if s.kind == "collect"
            for f in getattr(s, "field_ids", [])
        }

    def cells(
        self, version: str, step_id: str, value: Any, table: str = RUNS
    ) -> Iterator[tuple[str, Any]]:
        """The ``(column, typed value)`` pairs one answer gives (none for left-out steps)."""
        flow = self._flow(version)
        step, _item = self.book.step_of(flow, step_id) if flow else (None, None)
        if (
            step is not None
            and flow is not None
            and (
                step.kind in SILENT_KINDS
                or step.id in self.navigation(flow)
                or (
                    table == RUNS
                    and (step.kind == "collect" or step.id in self._collected_fields(flow))
                )
            )
        ):
            return
        if value == WITHHELD:
            yield (
                self._remember(table, version, step_id, step_id, step, "text"),
                self._msg("export_withheld"),
            )
            return
        if step is None or flow is None:
            yield from self._untyped(table, version, step_id, value)
            return
        yield from self._typed(table, version, flow, step, step_id, value)

    def _typed(
        self, table: str, version: str, flow: Flow, step: Step, key: str, value: Any
    ) -> Iterator[tuple[str, Any]]:
        kind = step.kind
        value = _number(value)
        rt = self.book.runtime(flow)
        if kind == "ratings" and isinstance(value, Mapping):
            items: list[tuple[str, Any]] = getattr(step, "items", [])
            for item, label in items:
                column = self._remember(
                    table,
                    version,
                    f"{key}.{item}",
                    key,
                    step,
                    "score",
                    part=plain(rt.render(label)),
                )
                yield column, _number(value.get(item))
            return
        if kind in {"multi", "sdg"} and (isinstance(value, list) or kind == "multi"):
            values = value if isinstance(value, list) else [value]
            chosen = {str(v) for v in values}
            parts: list[tuple[str, str]]
            if kind == "multi":
                optionset = getattr(step, "optionset")  # noqa: B009 (multi steps have one)
                parts = [(o.id, optionset.label(rt, o.id)) for o in optionset.options]
            else:
                parts = [
                    (str(g), f"{g}. {rt.catalogue.sdgs.name(g, rt.lang)}")
                    for g in getattr(step, "goals", range(1, 18))
                ]
            for part, label in parts:
                column = self._remember(
                    table, version, f"{key}.{part}", key, step, "flag", part=label
                )
                yield column, 1 if part in chosen else 0
            yield (
                self._remember(table, version, key, key, step, "labels"),
                self.book.label(version, key, value, None) or _scalar(value),
            )
            return
        if kind == "yesno":
            yield (
                self._remember(table, version, key, key, step, "yesno"),
                (value if isinstance(value, bool) else _scalar(value)),
            )
            return
        if kind in {"number", "scale", "sdg"} and isinstance(value, int | float):
            yield self._remember(table, version, key, key, step, kind), value
            return
        if kind == "date" and isinstance(value, date | str):
            typed = _as_date(value)
            yield self._remember(table, version, key, key, step, "date"), typed
            return
        if kind == "choice":
            yield (
                self._remember(table, version, key, key, step, "choice"),
                self.book.label(version, key, value, None) or _scalar(value),
            )
            return
        yield self._remember(table, version, key, key, step, "text"), _scalar(value)

    def _untyped(self, table: str, version: str, key: str, value: Any) -> Iterator[tuple[str, Any]]:
        """An answer no known version explains: typed by its value alone."""
        value = _number(value)
        if isinstance(value, Mapping):
            for part, inner in value.items():
                yield (
                    self._remember(table, version, f"{key}.{part}", key, None, "text"),
                    _scalar(inner),
                )
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            return  # a collected list without its definition: nothing to name its fields by
        else:
            yield self._remember(table, version, key, key, None, "text"), _scalar(value)

    def results(
        self, version: str, values: Mapping[str, Any], flow_id: str
    ) -> Iterator[tuple[str, Any]]:
        """The columns of the values the flow marks as results (``results:``)."""
        flow = self._flow(version)
        for path in flow.results if flow else ():
            value: Any = values
            for part in path.split("."):
                value = value.get(part) if isinstance(value, Mapping) else None
            value = _redact(flow_id, value)
            name = path.rsplit(".", 1)[-1]
            if (
                isinstance(value, Mapping)
                and value
                and all(not isinstance(v, Mapping) for v in value.values())
            ):
                for part, inner in value.items():
                    yield (
                        self._remember(
                            RUNS,
                            version,
                            f"{name}.{part}",
                            path,
                            None,
                            "result",
                            part=str(part),
                            order=1,
                        ),
                        _scalar(inner),
                    )
            else:
                yield (
                    self._remember(RUNS, version, name, path, None, "result", order=1),
                    _scalar(value),
                )

    def items(
        self, version: str, answers: Mapping[str, Any]
    ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """Each collected list of a run as ``(table, rows)``; a row maps columns to cells."""
        flow = self._flow(version)
        for step_id, value in answers.items():
            step = flow.steps.get(step_id) if flow else None
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(v, Mapping) for v in value)
            ):
                continue
            if flow is not None and (step is None or step.kind != "collect"):
                continue
            rows = []
            for number, record in enumerate(value, 1):
                row: dict[str, Any] = {"item": number}
                for field, inner in record.items():
                    row.update(self.cells(version, field, inner, table=step_id))
                rows.append(row)
            yield step_id, rows

    # --- the codebook ----------------------------------------------------------------------------

    def _remember(
        self,
        table: str,
        version: str,
        key: str,
        step_id: str,
        step: Step | None,
        kind: str,
        *,
        part: str | None = None,
        order: int = 0,
    ) -> str:
        """Note the column `key` of `table` (first sight wins) and return the key.

        An answer named like one of the table's own columns (a ``country`` question) is told
        apart by a prefix: ``answer.country``.
        """
        if key in (FIXED if table == RUNS else ITEM_FIXED):
            key = f"answer.{key}"
        columns = self.columns.setdefault(table, {})
        if key in columns:
            return key
        where = self.book.order(version, step_id.split(".")[0]) if order == 0 else (0, 0, "")
        sort_key = (order, *where, len(columns))
        question = (
            step_id
            if step is None and kind == "result"
            else (self.book.header(version, step_id) if step is not None else key)
        )
        if part:
            question = f"{question} — {part}"
        options = ""
        if step is not None and kind in {"choice", "labels"}:
            optionset = getattr(step, "optionset", None)
            flow = self._flow(version)
            if optionset is not None and flow is not None:
                rt = self.book.runtime(flow)
                options = "; ".join(
                    f"{o.id} = {optionset.label(rt, o.id)}" for o in optionset.options
                )
        if step is not None and kind in {"score", "scale"}:
            low, high = getattr(step, "low", 0), getattr(step, "high", 4)
            labels: Mapping[int, Any] = getattr(step, "labels", {})
            flow = self._flow(version)
            scope = self.book.runtime(flow) if flow else None
            shown = (
                [f"{p} = {plain(scope.render(labels[p]))}" for p in sorted(labels)] if scope else []
            )
            options = "; ".join([f"{low}–{high}", *shown])
        columns[key] = (sort_key, Column(key, question, self._msg(f"export_type_{kind}"), options))
        return key

    def ordered(self, table: str) -> list[Column]:
        """The columns of `table` in the flow's order, results last."""
        return [
            c for _, c in sorted(self.columns.get(table, {}).values(), key=lambda pair: pair[0])
        ]

    def fixed(self) -> list[Column]:
        """The run's own columns (id, who, where, when), explained."""
        return [
            Column(
                name,
                self._msg(f"export_col_{name}"),
                self._msg(
                    "export_type_"
                    + (
                        "datetime"
                        if name.endswith("_at")
                        else "number"
                        if name == "run"
                        else "text"
                    )
                ),
            )
            for name in FIXED
        ]

    def item_fixed(self) -> list[Column]:
        """The columns every item table starts with: the run's id, where, the item's number."""
        return [
            Column("run", self._msg("export_col_run"), self._msg("export_type_number")),
            Column(
                "municipality", self._msg("export_col_municipality"), self._msg("export_type_text")
            ),
            Column("item", self._msg("export_col_item"), self._msg("export_type_number")),
        ]


def _as_date(value: date | str) -> date | str:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        return value


def _redact(flow_id: str, value: Any) -> Any:
    """A result holding records of third parties: those without consent withheld."""
    rule = CONSENT_RULES.get(flow_id)
    if rule is None or not isinstance(value, list):
        return value
    return [
        {
            k: (WITHHELD if k in rule.personal and record.get(rule.consent) is not True else v)
            for k, v in record.items()
        }
        if isinstance(record, Mapping)
        else record
        for record in value
    ]

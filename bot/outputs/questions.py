"""A flow's questions and answer labels in one language, for every version its runs followed.

Exports and the report name each column by its step id and explain it with the question as
the user read it (`QuestionBook.header`), and each answer by its label (`QuestionBook.label`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.flow.catalogue import Catalogue
from bot.flow.definition import Flow, Step
from bot.flow.errors import FlowError
from bot.flow.loader import load_flow
from bot.flow.runtime import Runtime
from bot.flow.state import RunState
from bot.i18n import html_to_plain
from bot.storage.tx import Tx

HEADER_MAX = 250
"""Longest question text; longer ones are cut with an ellipsis."""


class _HeaderScope(Runtime):
    """Renders a question without a conversation: names it would fill in read as "…"."""

    def __init__(
        self,
        flow: Flow,
        catalogue: Catalogue,
        state: RunState,
        now: datetime,
        bound: Mapping[str, Any],
    ) -> None:
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

    def call(self, name: str, args: list[Any]) -> Any:
        """A function of a placeholder is a placeholder ("between … and …", not "between and")."""
        if any(arg == "…" for arg in args):
            return "…"
        return super().call(name, args)


def plain(text: str, limit: int = HEADER_MAX) -> str:
    """Telegram HTML to one line of plain text, at most `limit` characters."""
    line = " ".join(html_to_plain(text).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class QuestionBook:
    """A flow's questions and answer labels in one language, for every version runs used."""

    def __init__(
        self,
        flow_id: str,
        lang: str,
        catalogue: Catalogue,
        current: Flow | None,
        stored: list[tuple[str, str, str]],
        now: datetime | None = None,
    ) -> None:
        """Prefer `load`; `stored` is ``[(version, checksum, source)]``, newest first."""
        self.flow_id = flow_id
        self.lang = lang
        self.catalogue = catalogue
        self.current = current
        self.stored = stored
        self.now = now or datetime.now(UTC)
        self._flows: dict[str, Flow | None] = {}

    @classmethod
    async def load(
        cls, tx: Tx, flow_id: str, lang: str, catalogue: Catalogue, current: Flow | None
    ) -> QuestionBook:
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

    def runtime(self, flow: Flow, **bound: Any) -> Runtime:
        """A scope that renders `flow`'s texts in the book's language, with `bound` names."""
        state = RunState(
            flow_id=flow.id,
            flow_version=flow.version,
            lang=self.lang,
            started_at=self.now,
            updated_at=self.now,
        )
        return _HeaderScope(flow, self.catalogue, state, self.now, bound)

    def step_of(self, flow: Flow, step_id: str) -> tuple[Step | None, Any]:
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
        step, item = self.step_of(flow, step_id)
        if step is None:
            return (10**6, 0, step_id)
        return (flow.order.index(step.id), item if isinstance(item, int) else 0, step_id)

    def header(self, version: str, step_id: str) -> str:
        """The question of `step_id` as plain text in the book's language (the id if none)."""
        flow = self.flow_for(version)
        step, item = self.step_of(flow, step_id) if flow else (None, None)
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
            return plain(self.runtime(flow, item=item).render(text)) or step_id
        except Exception:  # a header must never stop an export
            return plain(re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "…", text.source.get(self.lang)))

    def label(self, version: str, step_id: str, value: Any, display: str | None) -> str | None:
        """The answer as a label in the book's language, else as the user saw it."""
        flow = self.flow_for(version)
        step, _ = self.step_of(flow, step_id) if flow else (None, None)
        if flow is None or step is None or value is None:
            return display
        rt = self.runtime(flow)
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
        return ", ".join(
            f"{rt.render(label)} {value[item]}" for item, label in items if item in value
        )
    return None

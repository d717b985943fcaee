"""The report's words in one language: its own texts, flow titles, questions and option labels."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.flow.catalogue import Catalogue
from bot.flow_library import FlowLibrary
from bot.i18n import html_to_plain
from bot.outputs.exports import QuestionBook

QUESTION_MAX = 90


class Labels:
    """Looks up every text the report shows, in `lang`, as plain text (the page escapes it)."""

    def __init__(self, lang: str, catalogue: Catalogue, library: FlowLibrary) -> None:
        """Use the current flow definitions of `library` for questions and labels."""
        self.lang = lang
        self.catalogue = catalogue
        self.library = library
        self._books: dict[str, QuestionBook] = {}

    def t(self, key: str, **values: Any) -> str:
        """A report text (``content/messages/coordination.yaml``) as plain text."""
        return html_to_plain(self.catalogue.messages.get(key, self.lang, **values))

    def pick(self, text: Any) -> str:
        """A text stored as ``{lang: text}`` (or plain) in the report's language."""
        if isinstance(text, dict):
            return str(text.get(self.lang) or text.get("en") or next(iter(text.values()), ""))
        return "" if text is None else str(text)

    def flow_title(self, flow_id: str) -> str:
        """The flow's title, or its id when the flow is gone."""
        flow = self.library.get(flow_id)
        return flow.title.source.get(self.lang) if flow else flow_id

    def _book(self, flow_id: str) -> QuestionBook | None:
        flow = self.library.get(flow_id)
        if flow is None:
            return None
        if flow_id not in self._books:
            self._books[flow_id] = QuestionBook(flow_id, self.lang, self.catalogue, flow, [])
        return self._books[flow_id]

    def question(self, flow_id: str, step_id: str) -> str:
        """A question's text, shortened for a chart axis or a table row."""
        book = self._book(flow_id)
        if book is None or book.current is None:
            return step_id
        text = book.header(book.current.version, step_id)
        return text if len(text) <= QUESTION_MAX else text[: QUESTION_MAX - 1] + "…"

    def ordered_steps(self, flow_id: str, steps: Iterable[str]) -> list[str]:
        """Steps in the flow's order; ``""`` (no answer yet) first, unknown ids last."""
        book = self._book(flow_id)
        chosen = sorted(set(steps))
        if book is None or book.current is None:
            return chosen
        version = book.current.version
        return sorted(chosen, key=lambda s: (-1, 0, "") if not s else book.order(version, s))

    def checkin_name(self, question: str) -> str:
        """The check-in's short name of a compared question (``name_<id>`` in the flow)."""
        flow = self.library.get("partnership_checkin")
        text = flow.texts.get(f"name_{question}") if flow else None
        return html_to_plain(text.source.get(self.lang)) if text else question

    def hero_kind(self, kind: str) -> str:
        """A hero kind's label (citizen, school…) in the report's language."""
        book = self._book("municipality_week")
        if book is None or book.current is None or not kind:
            return kind
        return book.label(book.current.version, "hero_kind", kind, kind) or kind

"""The context a step runs in during one sprint: the flow, the catalogue, the state and the time.

`Runtime` is also the `Scope` of expressions: it resolves names (answers, computed values, `user`,
`context`, `item`, `today`) and calls functions (the catalogue's registry plus a few that need the
language or the catalogue, such as `t`, `sdg_name` and `group`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.flow.catalogue import Catalogue
from bot.flow.definition import Flow, LText, Step
from bot.flow.events import Option, QuestionAsked
from bot.flow.expressions import EvalError, Node, evaluate
from bot.flow.path import questions_on_path
from bot.flow.state import RunState
from bot.flow.templates import format_value
from bot.formatting import format_date, format_list, format_number, plural
from bot.i18n import Raw

ROOT_NAMES = frozenset({"user", "context", "item", "today", "year", "loop", "lang"})
RUNTIME_FUNCTIONS = frozenset(
    {
        "t",
        "group",
        "display",
        "label",
        "sdg_name",
        "sdg_short",
        "pillar_of",
        "pillar_name",
        "pillars",
        "sdgs_of",
        "country_name",
        "msg",
        "term",
        "plural",
        "format_date",
        "and_list",
        "or_list",
        "number",
        "questions",
    }
)


def _as_date(value: Any) -> date | None:
    """A date from a date, a datetime or an ISO string ("2027-06-30"), else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _as_items(value: Any) -> list[Any]:
    """A list to enumerate: a list or tuple, the keys of a mapping, nothing for none."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return list(value)
    return list(value) if isinstance(value, list | tuple) else [value]


class Runtime:
    """One sprint's view of a run; implements the expression `Scope`."""

    def __init__(self, flow: Flow, catalogue: Catalogue, state: RunState, now: datetime) -> None:
        self.flow = flow
        self.catalogue = catalogue
        self.state = state
        self.now = now
        self._extra: dict[str, Any] = {}

    @property
    def lang(self) -> str:
        """The language of the conversation."""
        return self.state.lang

    @property
    def today(self) -> str:
        """Today's date (ISO) in the user's time zone."""
        tz_name = (self.state.context.get("user") or {}).get("timezone") or "Europe/Brussels"
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            tz = ZoneInfo("Europe/Brussels")
        return self.now.astimezone(tz).date().isoformat()

    @property
    def item(self) -> Any:
        """The current item of the repeated block, if any."""
        loop = self.state.vars.get("__loop")
        if not loop:
            return None
        return loop["items"][loop["index"]]

    def answer_key(self, step: Step) -> str:
        """Where the answer of `step` is stored: its id, or `<id>_<item>` inside a loop."""
        loop = self.state.vars.get("__loop")
        if loop and step.id in loop["block"]:
            return f"{step.id}_{loop['items'][loop['index']]}"
        return step.id

    # --- Scope ---------------------------------------------------------------------------------

    def bind(self, **values: Any) -> Runtime:
        """A copy of this runtime with extra names bound (for rendering named texts)."""
        clone = Runtime(self.flow, self.catalogue, self.state, self.now)
        clone._extra = {**self._extra, **values}
        return clone

    def lookup(self, name: str) -> Any:
        """Resolve a name used in an expression."""
        if name in self._extra:
            return self._extra[name]
        if name == "item":
            return self.item
        if name == "today":
            return self.today
        if name == "year":
            return int(self.today[:4])
        if name == "lang":
            return self.lang
        if name == "user":
            return self.state.context.get("user") or {}
        if name == "context":
            return self.state.context
        if name in self.state.vars:
            return self.state.vars[name]
        return self.state.answers.get(name)

    def call(self, name: str, args: list[Any]) -> Any:
        """Call a function from an expression."""
        local: Callable[..., Any] | None = getattr(self, f"_fn_{name}", None)
        if name in RUNTIME_FUNCTIONS and local is not None:
            return local(*args)
        function = self.catalogue.functions.get(name)
        if function is None:
            raise EvalError(f"unknown function {name!r}")
        return function(*args)

    def _fn_t(self, name: Any) -> Raw:
        text = self.flow.texts.get(str(name))
        return Raw(text.render(self.lang, self) if text else "")

    def _fn_term(self, term_id: Any) -> str:
        # Glossary terms keep key words identical across flows (twinning, VLR, multi-year plan).
        term = self.catalogue.glossary.get(str(term_id))
        return term.get(self.lang).split(" / ")[0] if term else str(term_id or "")

    def _fn_msg(self, name: Any) -> Raw:
        return Raw(self.catalogue.messages.get(str(name), self.lang))

    # Language-aware formatting (`bot.formatting`): counts, dates, numbers and lists as the
    # conversation's language writes them, so flow texts never need "activité(s)".

    def _fn_plural(self, count: Any, one: Any, other: Any, many: Any = None) -> str:
        return plural(count, self.lang, str(one), str(other), None if many is None else str(many))

    def _fn_format_date(self, value: Any) -> str:
        day = _as_date(value)
        return format_date(day, self.lang) if day else ""

    def _fn_and_list(self, items: Any) -> str:
        return format_list((format_value(i, self.lang) for i in _as_items(items)), self.lang)

    def _fn_or_list(self, items: Any) -> str:
        return format_list(
            (format_value(i, self.lang) for i in _as_items(items)), self.lang, style="or"
        )

    def _fn_number(self, value: Any, digits: Any = 1) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return "" if value is None else str(value)
        return format_number(value, self.lang, digits=int(digits))

    def _fn_group(self, prefix: Any) -> dict[Any, Any]:
        start = f"{prefix}_"
        out: dict[Any, Any] = {}
        for key, value in self.state.answers.items():
            if key.startswith(start):
                suffix = key[len(start) :]
                out[int(suffix) if suffix.lstrip("-").isdigit() else suffix] = value
        return out

    def _fn_questions(self, start: Any, stop: Any = None) -> int:
        """`questions("council", "quick_calc")`: the questions on the path, counted."""
        return questions_on_path(self, str(start), None if stop is None else str(stop))

    def _fn_display(self, step_id: Any) -> str:
        return self.state.displays.get(str(step_id), "")

    def _fn_label(self, step_id: Any, option_id: Any) -> str:
        step = self.flow.steps.get(str(step_id))
        labels: dict[str, LText] = getattr(step, "labels", {})
        label = labels.get(str(option_id))
        return label.render(self.lang, self) if label else str(option_id or "")

    def _fn_sdg_name(self, number: Any) -> str:
        try:
            return self.catalogue.sdgs.name(int(number), self.lang)
        except (KeyError, TypeError, ValueError):
            return ""

    def _fn_sdg_short(self, number: Any) -> str:
        acronym = {"fr": "ODD", "es": "ODS"}.get(self.lang, "SDG")
        try:
            return f"{acronym} {int(number)}"
        except (TypeError, ValueError):
            return ""

    def _fn_pillar_of(self, number: Any) -> str | None:
        try:
            return self.catalogue.sdgs.pillar_of(int(number)).id
        except (KeyError, TypeError, ValueError):
            return None

    def _fn_pillar_name(self, pillar: Any) -> str:
        for candidate in self.catalogue.sdgs.pillars:
            if candidate.id == pillar:
                return candidate.names.get(self.lang, candidate.id)
        return str(pillar or "")

    def _fn_pillars(self) -> list[str]:
        return [pillar.id for pillar in self.catalogue.sdgs.pillars]

    def _fn_sdgs_of(self, pillar: Any) -> list[int]:
        for candidate in self.catalogue.sdgs.pillars:
            if candidate.id == pillar:
                return list(candidate.goals)
        return []

    def _fn_country_name(self, code: Any) -> str:
        country = self.catalogue.country(str(code or ""))
        return country.names.get(self.lang) if country else str(code or "")

    # --- helpers for steps -------------------------------------------------------------------

    def eval(self, node: Node | None, default: Any = None) -> Any:
        """Evaluate an expression of the flow (None → default)."""
        if node is None:
            return default
        return evaluate(node, self, default)

    def render(self, text: LText | None) -> str:
        """Render a flow text in the conversation's language."""
        return text.render(self.lang, self) if text is not None else ""

    def msg(self, key: str, **values: Any) -> str:
        """A system message in the conversation's language.

        In lite mode (no buttons; `context.lite`, set by the channel's service) a `<key>_lite`
        variant is used when there is one, so hints never ask to tap a button that is not there.
        """
        messages = self.catalogue.messages
        if self.state.context.get("lite") and f"{key}_lite" in messages.texts:
            key = f"{key}_lite"
        return messages.get(key, self.lang, **values)

    @staticmethod
    def with_range(sentence: str, bounds: str) -> str:
        """Put "(between 0 and 4)" inside a sentence: "Type a number (between 0 and 4)."."""
        if not bounds:
            return sentence
        return f"{sentence.rstrip().rstrip('.')} {bounds}."

    def ask(
        self,
        step: Step,
        hint: str,
        options: tuple[Option, ...] = (),
        *,
        multiple: bool = False,
        grid: int = 0,
        selected: tuple[str, ...] = (),
    ) -> QuestionAsked:
        """Build the `QuestionAsked` event for `step`."""
        if step.base.optional:
            hint = f"{hint} {self.msg('hint_skip')}".strip()
        return QuestionAsked(
            step_id=self.answer_key(step),
            seq=self.state.seq,
            kind=step.kind,
            text=self.render(step.base.text),
            hint=hint,
            options=options,
            multiple=multiple,
            selected=selected,
            can_go_back=self.flow.allow_back and step.base.back and bool(self.state.history),
            grid=grid,
            done_label=self.msg("done_label") if multiple else "",
            optional=step.base.optional,
        )

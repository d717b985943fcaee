"""Options of `choice` and `multi` steps: parsing, labels, matching typed answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.flow.definition import (
    CALLBACK_BYTES,
    CALLBACK_OVERHEAD,
    OPTION_ID_PATTERN,
    LText,
    ParseContext,
)
from bot.flow.events import Option
from bot.flow.matching import Choice, OptionMatcher
from bot.flow.runtime import Runtime
from bot.flow.yamlsrc import LineDict, LineList
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, Localized

OPTION_FIELDS = frozenset({"id", "label", "synonyms", "next", "exclusive"})
OPTION_SOURCES = frozenset({"countries", "languages", "pillars"})


@dataclass(frozen=True)
class OptionSpec:
    """One option as written in the flow."""

    id: str
    label: LText
    synonyms: tuple[str, ...]
    next: str | None
    line: int
    exclusive: bool = False
    """In a `multi`, an option that cannot go with any other ("none yet", "I don't know")."""


def parse_options(spec: LineDict, ctx: ParseContext) -> list[OptionSpec]:
    """Read `options:` or `options_from:` of a step."""
    if "options_from" in spec:
        return _options_from(spec, ctx)
    raw = spec.get("options")
    if not isinstance(raw, LineList) or not raw:
        ctx.issue(spec.line_of("options"), "'options' must be a list of {id, label}")
        return []
    options: list[OptionSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        line = raw.line_of(index)
        if not isinstance(item, LineDict):
            ctx.issue(line, "an option is a mapping with 'id' and 'label'")
            continue
        for key in set(item) - OPTION_FIELDS:
            ctx.issue(item.line_of(key), f"unknown option field {key!r}")
        option_id = str(item.get("id", ""))
        if not OPTION_ID_PATTERN.match(option_id):
            ctx.issue(line, f"option id {option_id!r} must be short: letters, digits, _ or -")
            continue
        if len(option_id.encode()) > CALLBACK_BYTES - CALLBACK_OVERHEAD:
            ctx.issue(
                line,
                f"option id {option_id!r} is too long for Telegram's "
                f"{CALLBACK_BYTES}-byte button data (at most "
                f"{CALLBACK_BYTES - CALLBACK_OVERHEAD} bytes)",
            )
        if option_id in seen:
            ctx.issue(line, f"duplicate option id {option_id!r}")
        seen.add(option_id)
        label = ctx.text(item, "label", required=True)
        if label is None:
            continue
        options.append(
            OptionSpec(
                option_id,
                label,
                _synonyms(item, ctx),
                ctx.step_ref(item, "next"),
                line,
                ctx.boolean(item, "exclusive", False),
            )
        )
    return options


def _synonyms(item: LineDict, ctx: ParseContext) -> tuple[str, ...]:
    raw = item.get("synonyms")
    if raw is None:
        return ()
    if isinstance(raw, LineList):
        return tuple(str(s) for s in raw)
    if isinstance(raw, LineDict) and all(
        values is None or isinstance(values, list) for values in raw.values()
    ):
        return tuple(str(s) for values in raw.values() for s in (values or []))
    ctx.issue(item.line_of("synonyms"), "'synonyms' is a list, or a list per language")
    return ()


def _static(text: Localized, line: int) -> LText:
    from bot.flow.templates import compile_template

    if text.neutral is not None:
        return LText(text, {"*": compile_template(text.neutral)}, line)
    return LText(text, {k: compile_template(v) for k, v in text.texts.items()}, line)


def _options_from(spec: LineDict, ctx: ParseContext) -> list[OptionSpec]:
    source = spec["options_from"]
    line = spec.line_of("options_from")
    if not isinstance(source, str) or source not in OPTION_SOURCES:
        ctx.issue(line, f"options_from must be one of {', '.join(sorted(OPTION_SOURCES))}")
        return []
    if source == "languages":
        return [
            OptionSpec(
                lang, _static(Localized(neutral=LANGUAGE_NAMES[lang]), line), (lang,), None, line
            )
            for lang in LANGUAGES
        ]
    if source == "countries":
        return [
            OptionSpec(c.code, _static(c.names, line), (c.code, *c.aliases), None, line)
            for c in ctx.catalogue.countries
        ]
    return [
        OptionSpec(p.id, _static(Localized(texts=dict(p.names)), line), (), None, line)
        for p in ctx.catalogue.sdgs.pillars
    ]


class OptionSet:
    """The options of one step with a matcher over every language's labels and synonyms.

    With `current_first` (the language picker), the option whose id is the conversation's
    language comes first, so one tap confirms the language detected from the channel.
    """

    def __init__(self, options: list[OptionSpec], *, current_first: bool = False) -> None:
        self.options = options
        self.current_first = current_first
        self.by_id = {option.id: option for option in options}
        self._matchers: dict[str, OptionMatcher] = {}

    def ordered(self, rt: Runtime) -> list[OptionSpec]:
        """The options in the order they are shown (and numbered) to this user."""
        if not self.current_first or rt.lang not in self.by_id:
            return self.options
        return [self.by_id[rt.lang], *(o for o in self.options if o.id != rt.lang)]

    def matcher(self, rt: Runtime) -> OptionMatcher:
        """A matcher whose option numbers follow the order shown to this user."""
        order = self.ordered(rt)
        key = order[0].id if order else ""
        if key not in self._matchers:
            choices = []
            for option in order:
                labels = [p for p in option.label.source.all_texts() if "{" not in p]
                phrases = [*labels, *(p for p in option.synonyms if "{" not in p)]
                choices.append(Choice(option.id, tuple(phrases), labels=len(labels)))
            self._matchers[key] = OptionMatcher(choices)
        return self._matchers[key]

    def shown(self, rt: Runtime) -> tuple[Option, ...]:
        """The options as shown to the user, in the conversation's language."""
        return tuple(Option(o.id, rt.render(o.label)) for o in self.ordered(rt))

    def label(self, rt: Runtime, option_id: str) -> str:
        """The label of `option_id` in the conversation's language."""
        option = self.by_id.get(option_id)
        return rt.render(option.label) if option else option_id

    def numbered(self, rt: Runtime) -> str:
        """The options as a numbered list, for messages that list what is expected."""
        return "\n".join(f"{i}. {o.label}" for i, o in enumerate(self.shown(rt), start=1))

    def next_of(self, value: Any) -> str | None:
        """The option's own `next`, if it has one."""
        option = self.by_id.get(str(value))
        return option.next if option else None

"""Flow definitions: the `Flow`, the base `Step`, the registry of step kinds and parsing helpers.

Each step kind lives in `bot/flow/steps/<kind>.py` and registers itself with `@step_kind`. Parsing
collects every problem as a `FlowIssue` (file:line: message) instead of stopping at the first, so a
flow author sees all of them at once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, get_args

from bot.flow import shapes
from bot.flow.errors import FlowIssue
from bot.flow.expressions import ExpressionError, Node, parse_expression
from bot.flow.shapes import COMMON_FIELDS, StepShape, field_names, requires
from bot.flow.templates import Template, TemplateError, compile_template
from bot.flow.yamlsrc import LineDict, LineList
from bot.i18n import LANGUAGES, Localized

if TYPE_CHECKING:
    from bot.flow.catalogue import Catalogue
    from bot.flow.events import Event, QuestionAsked

MAX_TEXT = 4096
CALLBACK_BYTES = 64
CALLBACK_OVERHEAD = 24
"""Bytes the Telegram channel needs around an option id ("a:<run>:<seq>:"); see channels."""

ID_PATTERN = re.compile(shapes.ID_REGEX)
OPTION_ID_PATTERN = re.compile(shapes.OPTION_ID_REGEX)
END = "end"

_ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "code",
    "pre",
    "a",
    "tg-spoiler",
    "blockquote",
}


class _HtmlCheck(HTMLParser):
    """Checks that authored text is well-formed Telegram HTML (allowed tags, balanced)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            self.problem = self.problem or f"<{tag}> is not allowed in Telegram texts"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problem = self.problem or f"</{tag}> does not close the open tag"
        else:
            self.stack.pop()


def html_problem(text: str) -> str | None:
    """Why `text` would be rejected by Telegram's HTML parse mode, or None if it is fine."""
    if re.search(r"<(?![a-zA-Z/])", text):
        return "a bare '<' must be written &lt;"
    if re.search(r"&(?!(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);)", text):
        return "a bare '&' must be written &amp;"
    checker = _HtmlCheck()
    checker.feed(text)
    checker.close()
    if checker.problem:
        return checker.problem
    if checker.stack:
        return f"<{checker.stack[-1]}> is never closed"
    return None


class _NoValues:
    """A scope with no names and no functions, for texts rendered outside a run."""

    def lookup(self, name: str) -> None:
        return None

    def call(self, name: str, args: list[Any]) -> None:
        return None


_NO_VALUES = _NoValues()


@dataclass(frozen=True)
class LText:
    """A localized, compiled template: what a flow says."""

    source: Localized
    templates: Mapping[str, Template]
    line: int

    def render(self, lang: str, scope: Any) -> str:
        """The text in `lang` with its template filled from `scope`."""
        template = self.templates.get(lang) or self.templates.get("*")
        if template is None:
            template = next(iter(self.templates.values()))
        return template.render(scope)

    def plain(self, lang: str) -> str:
        """The text in `lang` without values (titles, labels: texts that use no expressions)."""
        return self.render(lang, _NO_VALUES)

    def expressions(self) -> Iterator[Node]:
        """Every expression used by any language variant."""
        for template in self.templates.values():
            yield from template.expressions()

    @property
    def loop_names(self) -> frozenset[str]:
        """Names bound by `{% for %}` loops inside the templates."""
        names: frozenset[str] = frozenset()
        for template in self.templates.values():
            names |= template.loop_names
        return names


class ParseContext:
    """Collects issues while a flow file is parsed; helpers read typed fields from YAML nodes."""

    def __init__(self, file: str, languages: tuple[str, ...], catalogue: Catalogue) -> None:
        self.file = file
        self.languages = languages
        self.catalogue = catalogue
        self.issues: list[FlowIssue] = []

    def issue(self, line: int, message: str) -> None:
        """Record a problem at `line`."""
        self.issues.append(FlowIssue(self.file, line, message))

    def text(self, spec: LineDict, key: str, *, required: bool = False) -> LText | None:
        """Read a user-facing text field (string, language map or `{ref: name}`)."""
        if key not in spec:
            if required:
                self.issue(spec.line, f"missing '{key}'")
            return None
        return self.text_value(spec[key], spec.line_of(key), key)

    def text_value(self, value: Any, line: int, what: str) -> LText | None:
        """Compile a text value found at `line` (used for option labels too)."""
        if isinstance(value, LineDict) and set(value) == {"ref"}:
            name = str(value["ref"])
            if name not in self.catalogue.messages.texts:
                self.issue(line, f"{what}: no shared text named {name!r} in content/messages.yaml")
                return None
            localized = self.catalogue.messages.localized(name)
        elif isinstance(value, str | int | float):
            localized = Localized(neutral=str(value))
            if len(self.languages) > 1 and len(re.findall(r"[^\W\d_]{2,}", str(value))) > 2:
                self.issue(
                    line,
                    f"{what}: a text of several words needs a translation for each "
                    f"language ({', '.join(self.languages)})",
                )
        elif isinstance(value, LineDict):
            unknown = [k for k in value if k not in LANGUAGES]
            if unknown:
                self.issue(
                    line, f"{what}: unknown language {unknown[0]!r} (use {', '.join(LANGUAGES)})"
                )
            localized = Localized(texts={k: str(v) for k, v in value.items() if k in LANGUAGES})
            missing = localized.missing(self.languages)
            if missing:
                self.issue(line, f"{what}: missing translation in {', '.join(missing)}")
        else:
            self.issue(line, f"{what}: expected a text or a map of languages")
            return None
        templates: dict[str, Template] = {}
        variants = (
            {"*": localized.neutral} if localized.neutral is not None else dict(localized.texts)
        )
        for lang, source in variants.items():
            problem = html_problem(re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", source, flags=re.DOTALL))
            if problem:
                self.issue(line, f"{what} ({lang}): {problem}")
            if len(source) > MAX_TEXT:
                self.issue(
                    line,
                    f"{what} ({lang}): {len(source)} characters, more than Telegram's {MAX_TEXT}",
                )
            try:
                templates[lang] = compile_template(source)
            except TemplateError as exc:
                self.issue(line, f"{what} ({lang}): {exc}")
        return LText(localized, templates, line)

    def expr(self, spec: LineDict, key: str, *, required: bool = False) -> Node | None:
        """Read an expression field."""
        if key not in spec:
            if required:
                self.issue(spec.line, f"missing '{key}'")
            return None
        return self.expr_value(spec[key], spec.line_of(key), key)

    def expr_value(self, value: Any, line: int, what: str) -> Node | None:
        """Parse an expression found at `line`."""
        if isinstance(value, bool | int | float):
            value = str(value).lower()
        if not isinstance(value, str):
            self.issue(line, f"{what}: expected an expression")
            return None
        try:
            return parse_expression(value)
        except ExpressionError as exc:
            self.issue(line, f"{what}: {exc} in {value!r}")
            return None

    def integer(self, spec: LineDict, key: str, default: int | None = None) -> int | None:
        """Read an integer field."""
        if key not in spec:
            return default
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.issue(spec.line_of(key), f"'{key}' must be a whole number")
            return default
        return value

    def boolean(self, spec: LineDict, key: str, default: bool) -> bool:
        """Read a true/false field."""
        if key not in spec:
            return default
        value = spec[key]
        if not isinstance(value, bool):
            self.issue(spec.line_of(key), f"'{key}' must be true or false")
            return default
        return value

    def step_ref(self, spec: LineDict, key: str) -> str | None:
        """Read a `next`-like field naming a step."""
        if key not in spec:
            return None
        value = spec[key]
        if not isinstance(value, str) or not value:
            self.issue(spec.line_of(key), f"'{key}' must name a step")
            return None
        return value


@dataclass(frozen=True)
class Known:
    """The same question in another flow (`known:`): its latest answer is offered to confirm.

    Attributes:
        flow: the other flow's id.
        step: the step id there.
        mapping: their option id → this step's (options named differently); empty: the same.
    """

    flow: str
    step: str
    mapping: dict[str, str] = field(default_factory=dict)

    def value_for(self, theirs: Any) -> Any:
        """Their answer as this step's answer (None when the mapping leaves it out)."""
        if not self.mapping:
            return theirs
        if isinstance(theirs, str | int) and not isinstance(theirs, bool):
            return self.mapping.get(str(theirs))
        return None


@dataclass
class StepBase:
    """Fields every step has; see docs/flow-format.md."""

    id: str
    kind: str
    line: int
    text: LText | None = None
    next: str | None = None
    when: Node | None = None
    back: bool = True
    saves_to: str | None = None
    optional: bool = False
    for_each: Node | None = None
    until: str | None = None
    known: Known | None = None
    lines: dict[str, int] = field(default_factory=dict)
    """The line of each field as written (issues about `next`, `when`… point at it)."""


SAVES_TO = frozenset(shapes.SAVES_TO)


R = TypeVar("R")
"""The sprint's runtime a step works with (`bot.flow.runtime.Runtime`, which knows the flow and
therefore this module: naming it here would tie the two modules in a circle)."""


class Step(Generic[R]):
    """A step kind. Subclasses set `kind`, `fields` and implement what they do.

    A step that `waits` asks a question: the engine calls `question()` to ask it and
    `understand()` / `tap()` to read the answer. Other steps are performed at once (`perform()`).
    Kinds subclass ``Step[Runtime]``.
    """

    kind: ClassVar[str] = ""
    shape: ClassVar[type[StepShape]] = StepShape
    """The pydantic model of the kind's YAML (`bot.flow.shapes`): its fields, their types."""
    fields: ClassVar[frozenset[str]] = frozenset()
    """The kind's own fields (set from `shape` on registration)."""
    waits: ClassVar[bool] = False
    needs_text: ClassVar[bool] = False
    """Whether `text` is required (set from `shape` on registration)."""

    def __init__(self, base: StepBase, spec: LineDict, ctx: ParseContext) -> None:
        self.base = base
        self.parse(spec, ctx)

    @property
    def id(self) -> str:
        """The step id."""
        return self.base.id

    def parse(self, spec: LineDict, ctx: ParseContext) -> None:
        """Read kind-specific fields; report problems on `ctx`."""

    def targets(self) -> Iterator[tuple[str, int]]:
        """Steps this step may jump to explicitly, with the line naming each."""
        if self.base.next:
            yield self.base.next, self.base.lines.get("next", self.base.line)

    def falls_through(self) -> bool:
        """Whether the step may continue to its default next step."""
        return True

    def expressions(self) -> Iterator[tuple[Node, int]]:
        """Expressions of this step (conditions, computed values), with their lines."""
        for key, node in (("when", self.base.when), ("for_each", self.base.for_each)):
            if node is not None:
                yield node, self.base.lines.get(key, self.base.line)

    def texts(self) -> Iterator[LText]:
        """Texts of this step."""
        if self.base.text is not None:
            yield self.base.text

    def defined_names(self) -> Iterator[str]:
        """Names this step defines for later expressions (computed values)."""
        return iter(())

    # --- running -----------------------------------------------------------------------------

    def perform(self, rt: R) -> list[Event]:
        """Do what a non-waiting step does (say something, compute values)."""
        return []

    def jump(self, rt: R, value: Any) -> str | None:
        """Where to go after this step given its answer, when not the default next."""
        return self.base.next

    def question(self, rt: R) -> QuestionAsked:
        """The question to ask (waiting steps only)."""
        raise NotImplementedError

    def understand(self, rt: R, text: str) -> Reading:
        """Read a typed answer."""
        raise NotImplementedError

    def tap(self, rt: R, option_id: str) -> Reading:
        """Read a tapped button; by default a tap is read like the option id typed."""
        return self.understand(rt, option_id)


@dataclass(frozen=True)
class Reading:
    """How a step read an input.

    `status` is "accepted" (value recorded), "unsure" (ask "did you mean `display`?", or the
    question in `reason` when the step words it),
    "rejected" (re-ask, `reason` says what is expected) or "selection" (a multi-select
    toggled: `value` is the new selection, nothing recorded yet).
    """

    status: str
    value: Any = None
    display: str = ""
    reason: str = ""

    @classmethod
    def accepted(cls, value: Any, display: str) -> Reading:
        """An answer to record."""
        return cls("accepted", value, display)

    @classmethod
    def unsure(cls, value: Any, display: str) -> Reading:
        """A plausible answer to confirm."""
        return cls("unsure", value, display)

    @classmethod
    def rejected(cls, reason: str) -> Reading:
        """An answer not understood."""
        return cls("rejected", reason=reason)


STEP_KINDS: dict[str, type[Step]] = {}


def step_kind(cls: type[Step]) -> type[Step]:
    """Class decorator registering a step kind under its YAML `kind:`."""
    if cls.kind in STEP_KINDS:
        raise ValueError(f"step kind {cls.kind!r} registered twice")
    if get_args(cls.shape.model_fields["kind"].annotation) != (cls.kind,):
        raise ValueError(f"the shape of {cls.kind!r} must declare kind: Literal[{cls.kind!r}]")
    cls.fields = field_names(cls.shape) - COMMON_FIELDS - {"kind"}
    cls.needs_text = requires(cls.shape, "text")
    STEP_KINDS[cls.kind] = cls
    return cls


@dataclass
class Flow:
    """A loaded, validated flow definition (one version)."""

    id: str
    version: str
    file: str
    title: LText
    description: LText | None
    languages: tuple[str, ...]
    source_language: str
    steps: dict[str, Step]
    order: list[str]
    texts: dict[str, LText] = field(default_factory=dict)
    command: str | None = None
    menu: bool = False
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    expire_after: timedelta = timedelta(days=14)
    allow_back: bool = True
    source: str = ""
    once_per: str | None = None
    """``quarter``, ``half-year`` or ``year``: a municipality answers it once per period."""
    results: tuple[str, ...] = ()
    """Computed values the author marks as the flow's results (exported in their own columns);
    a name, or a dotted path into one (``snapshot.p_today``)."""

    @cached_property
    def checksum(self) -> str:
        """A fingerprint of the source: two flows with the same version but edited text differ.

        Cached: every input compares it with the run's pinned checksum, and the source of a
        loaded flow never changes.
        """
        return source_checksum(self.source)

    @property
    def first(self) -> str:
        """The id of the first step."""
        return self.order[0]

    def following(self, step_id: str) -> str | None:
        """The step after `step_id` in the file, or None at the end."""
        index = self.order.index(step_id)
        return self.order[index + 1] if index + 1 < len(self.order) else None

    def loop_block(self, start: str) -> list[str]:
        """The ids of the block repeated by the `for_each` step `start` (itself to `until`)."""
        step = self.steps[start]
        end = step.base.until or start
        begin = self.order.index(start)
        stop = self.order.index(end) if end in self.order else begin
        return self.order[begin : stop + 1]


def source_checksum(text: str) -> str:
    """A short fingerprint of a flow's source text (to tell edited versions apart)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse_duration(value: Any) -> timedelta | None:
    """`14d`, `48h`, `30m` → timedelta (None if malformed)."""
    match = re.fullmatch(r"\s*(\d+)\s*([dhm])\s*", str(value))
    if not match:
        return None
    amount, unit = int(match.group(1)), match.group(2)
    return {
        "d": timedelta(days=amount),
        "h": timedelta(hours=amount),
        "m": timedelta(minutes=amount),
    }[unit]


def as_list(value: Any) -> LineList | None:
    """`value` if it is a YAML list."""
    return value if isinstance(value, LineList) else None

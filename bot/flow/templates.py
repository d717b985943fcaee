"""Safe text templates: `{{ expr }}`, `{% if %}…{% elif %}…{% else %}…{% endif %}`, `{% for %}`.

Templates are compiled when a flow loads, so a syntax error is reported with its line before any
user sees the flow. Every value inserted by `{{ }}` is escaped for the Telegram HTML subset unless
it is `Raw` (texts the flow author wrote, such as `t("name")`), so nothing a user typed can inject
markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bot.flow.expressions import (
    ExpressionError,
    Node,
    Scope,
    evaluate,
    parse_expression,
    truthy,
)
from bot.formatting import format_date, format_list, format_number
from bot.i18n import Raw, escape

_TAG = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.DOTALL)
_LANG = parse_expression("lang")


class TemplateError(ValueError):
    """A template that does not compile; `offset` is the character where it went wrong."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


class Part:
    """A piece of a compiled template."""

    def render(self, scope: Scope, out: list[str]) -> None:
        """Append the rendering of this part to `out`."""
        raise NotImplementedError

    def expressions(self) -> Iterator[Node]:
        """Every expression this part evaluates (for validation)."""
        return iter(())


@dataclass(frozen=True)
class TextPart(Part):
    """Literal text written by the flow author."""

    text: str

    def render(self, scope: Scope, out: list[str]) -> None:
        """Append the text as it is."""
        out.append(self.text)


def format_value(value: Any, lang: str = "en") -> str:
    """Format a value for display in `lang` (Babel, see `bot.formatting`).

    2.0 → "2", 2.345 → "2,3" (fr, nl, es) or "2.3" (en); a date → "30 juin 2027"; a list →
    "A, B et C". Integers are shown as they are (years and ids must not get a thousands
    separator).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float | Decimal):
        return format_number(value, lang)
    if isinstance(value, date):
        return format_date(value, lang)
    if isinstance(value, list | tuple):
        # Missing items are left out rather than shown as an empty slot ("A, , C").
        return format_list((text for item in value if (text := format_value(item, lang))), lang)
    return str(value)


@dataclass(frozen=True)
class ValuePart(Part):
    """`{{ expr }}`: an escaped value."""

    expr: Node

    def render(self, scope: Scope, out: list[str]) -> None:
        """Append the escaped value."""
        value = evaluate(self.expr, scope)
        if isinstance(value, Raw):
            out.append(str(value))
        else:
            lang = evaluate(_LANG, scope, "en")
            out.append(escape(format_value(value, lang if isinstance(lang, str) else "en")))

    def expressions(self) -> Iterator[Node]:
        """The value expression."""
        yield self.expr


@dataclass(frozen=True)
class IfPart(Part):
    """`{% if %}` with its `elif` and `else` branches."""

    branches: tuple[tuple[Node | None, tuple[Part, ...]], ...]

    def render(self, scope: Scope, out: list[str]) -> None:
        """Render the first branch whose condition holds."""
        for condition, body in self.branches:
            if condition is None or truthy(evaluate(condition, scope, False)):
                for part in body:
                    part.render(scope, out)
                return

    def expressions(self) -> Iterator[Node]:
        """Conditions and the expressions of every branch."""
        for condition, body in self.branches:
            if condition is not None:
                yield condition
            for part in body:
                yield from part.expressions()


class _LoopScope:
    """A scope that adds the loop variable and `loop.index` on top of another scope."""

    def __init__(self, parent: Scope, name: str, value: Any, index: int, length: int) -> None:
        self.parent = parent
        self.bindings = {
            name: value,
            "loop": {"index": index, "first": index == 1, "last": index == length},
        }

    def lookup(self, name: str) -> Any:
        if name in self.bindings:
            return self.bindings[name]
        return self.parent.lookup(name)

    def call(self, name: str, args: list[Any]) -> Any:
        return self.parent.call(name, args)


@dataclass(frozen=True)
class ForPart(Part):
    """`{% for x in expr %}`."""

    name: str
    iterable: Node
    body: tuple[Part, ...]

    def render(self, scope: Scope, out: list[str]) -> None:
        """Render the body once per item (a mapping iterates over its keys)."""
        items = evaluate(self.iterable, scope, [])
        if isinstance(items, Mapping):
            items = list(items)
        if not isinstance(items, list | tuple):
            return
        for index, item in enumerate(items, start=1):
            inner = _LoopScope(scope, self.name, item, index, len(items))
            for part in self.body:
                part.render(inner, out)

    def expressions(self) -> Iterator[Node]:
        """The iterable and the body's expressions."""
        yield self.iterable
        for part in self.body:
            yield from part.expressions()


@dataclass(frozen=True)
class Template:
    """A compiled template."""

    source: str
    parts: tuple[Part, ...]
    loop_names: frozenset[str] = frozenset()

    @property
    def is_static(self) -> bool:
        """True when the template has no tags (renders to its source unchanged)."""
        return all(isinstance(part, TextPart) for part in self.parts)

    def render(self, scope: Scope) -> str:
        """Render with `scope`; blank lines left by block tags are collapsed."""
        out: list[str] = []
        for part in self.parts:
            part.render(scope, out)
        text = "".join(out)
        if self.is_static:
            return text
        return re.sub(r"\n{3,}", "\n\n", text).strip()

    def expressions(self) -> Iterator[Node]:
        """Every expression in the template."""
        for part in self.parts:
            yield from part.expressions()


def _expr(source: str, offset: int) -> Node:
    try:
        return parse_expression(source)
    except ExpressionError as exc:
        raise TemplateError(f"in {{{{ {source.strip()} }}}}: {exc}", offset) from None


def _text(text: str, offset: int) -> TextPart:
    # A "{{" or "{%" left in plain text is a tag that was never closed; showing it raw to a
    # user would be a bug, so it is a compile error.
    for opener, closer in (("{{", "}}"), ("{%", "%}")):
        if opener in text:
            raise TemplateError(f"{opener} without {closer}", offset + text.index(opener))
    return TextPart(text)


def compile_template(source: str) -> Template:
    """Compile `source` into a Template.

    Raises:
        TemplateError: unbalanced or unknown tags, or an expression that does not parse.
    """
    # Block tags alone on their line should not leave an empty line behind.
    # (Only lines of nothing but block tags: "{% if x %}A{% endif %}" keeps its line break.)
    source_clean = re.sub(
        r"(?m)^[ \t]*((?:\{%(?:(?!%\})[^\n])*%\}[ \t]*)+)\n",
        lambda m: m.group(1).rstrip(" \t"),
        source,
    )
    stack: list[tuple[str, Any, list[Part], int]] = [("root", None, [], 0)]
    loop_names: set[str] = set()
    pos = 0
    for match in _TAG.finditer(source_clean):
        if match.start() > pos:
            stack[-1][2].append(_text(source_clean[pos : match.start()], pos))
        pos = match.end()
        if match.group(1) is not None:
            stack[-1][2].append(ValuePart(_expr(match.group(1), match.start())))
            continue
        words = match.group(2).strip().split(None, 1)
        keyword = words[0] if words else ""
        rest = words[1] if len(words) > 1 else ""
        if keyword == "if":
            stack.append(("if", [[_expr(rest, match.start()), []]], [], match.start()))
        elif keyword in {"elif", "else"}:
            if stack[-1][0] != "if":
                raise TemplateError(f"{{% {keyword} %}} without {{% if %}}", match.start())
            branches = stack[-1][1]
            if branches[-1][0] is None:  # an {% else %} was already seen
                raise TemplateError(f"{{% {keyword} %}} after {{% else %}}", match.start())
            branches[-1][1] = stack[-1][2][:]
            stack[-1][2].clear()
            condition = _expr(rest, match.start()) if keyword == "elif" else None
            branches.append([condition, []])
        elif keyword == "endif":
            if stack[-1][0] != "if":
                raise TemplateError("{% endif %} without {% if %}", match.start())
            _, branches, body, _ = stack.pop()
            branches[-1][1] = body
            stack[-1][2].append(IfPart(tuple((c, tuple(b)) for c, b in branches)))
        elif keyword == "for":
            loop = re.fullmatch(r"([A-Za-z_]\w*)\s+in\s+(.+)", rest, re.DOTALL)
            if not loop:
                raise TemplateError("write {% for x in list %}", match.start())
            loop_names.add(loop.group(1))
            stack.append(
                ("for", (loop.group(1), _expr(loop.group(2), match.start())), [], match.start())
            )
        elif keyword == "endfor":
            if stack[-1][0] != "for":
                raise TemplateError("{% endfor %} without {% for %}", match.start())
            _, (name, iterable), body, _ = stack.pop()
            stack[-1][2].append(ForPart(name, iterable, tuple(body)))
        else:
            raise TemplateError(f"unknown tag {{% {keyword} %}}", match.start())
    if len(stack) > 1:
        raise TemplateError(f"{{% {stack[-1][0]} %}} is never closed", stack[-1][3])
    if pos < len(source_clean):
        stack[0][2].append(_text(source_clean[pos:], pos))
    return Template(source, tuple(stack[0][2]), frozenset(loop_names))

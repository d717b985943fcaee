"""Telegram's HTML parse mode, re-implemented so the fake Bot API rejects what Telegram rejects.

The algorithm and the error texts follow tdlib's ``parse_html`` (the code behind the Bot API):
the markup is scanned as UTF-8 bytes, error positions are byte offsets, and entity offsets and
lengths are counted in UTF-16 code units, exactly like the ``entities`` Telegram returns.

One deliberate difference: tdlib lets a lone ``&`` through as a literal, but the Bot API
documentation says every ``&`` that does not start an entity must be escaped. The fake follows
the documentation (``strict_ampersand=True``), so a bot that passes our tests never depends on
tdlib's leniency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ALLOWED_TAGS", "FormattedText", "HtmlParseError", "parse_html", "utf16_len"]

ALLOWED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_SPACES = b" \t\r\n\f\v"


class HtmlParseError(ValueError):
    """The markup is not valid Telegram HTML; ``str(error)`` is tdlib's message."""

    @property
    def description(self) -> str:
        """The Bot API error description for this failure."""
        return f"Bad Request: can't parse entities: {self}"


@dataclass(frozen=True)
class FormattedText:
    """Text as Telegram stores it: plain text plus Bot API ``MessageEntity`` dicts."""

    text: str
    entities: tuple[dict[str, Any], ...] = field(default_factory=tuple)


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram's offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(data: bytes, pos: int) -> tuple[str, int] | None:
    """Decode the character reference at ``data[pos] == '&'`` like tdlib does.

    Returns the character and the position after the reference (the ``;`` is optional, as in
    tdlib), or None when it is not a reference Telegram understands.
    """
    end = pos + 1
    if data[end : end + 1] == b"#":
        end += 1
        hexadecimal = data[end : end + 1] == b"x"
        if hexadecimal:
            end += 1
        digits = b"0123456789abcdefABCDEF" if hexadecimal else b"0123456789"
        start = end
        while end < len(data) and data[end] in digits:
            end += 1
        if end == start or end - pos >= 10:
            return None
        code = int(data[start:end], 16 if hexadecimal else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < len(data) and chr(data[end]).isalpha() and data[end] < 0x80:
            end += 1
        named = _NAMED_ENTITIES.get(data[pos + 1 : end])
        if named is None:
            return None
        char = named
    if data[end : end + 1] == b";":
        end += 1
    return char, end


def _is_space(data: bytes, pos: int) -> bool:
    return pos < len(data) and data[pos] in _SPACES


def _valid_url(url: str) -> str | None:
    """The URL a text link gets, or None where tdlib silently drops the link."""
    lowered = url.lower()
    if lowered.startswith(("http://", "https://", "tg://", "ton://")):
        host = url.split("://", 1)[1]
        return url if host and not host.startswith("/") else None
    if url and "." in url and " " not in url and "://" not in url:
        return "http://" + url
    return None


class _Parser:
    """One pass over the markup; see :func:`parse_html`."""

    def __init__(self, markup: str, strict_ampersand: bool) -> None:
        self.data = markup.encode("utf-8")
        self.strict_ampersand = strict_ampersand
        self.pos = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.utf16 += utf16_len(text)

    def run(self) -> FormattedText:
        data = self.data
        while self.pos < len(data):
            byte = data[self.pos]
            if byte == ord("&"):
                decoded = _decode_entity(data, self.pos)
                if decoded is not None:
                    self.emit(decoded[0])
                    self.pos = decoded[1]
                    continue
                if self.strict_ampersand:
                    raise HtmlParseError(f'Unescaped "&" at byte offset {self.pos}')
            if byte != ord("<"):
                start = self.pos
                self.pos += 1
                while self.pos < len(data) and data[self.pos] not in b"<&":
                    self.pos += 1
                self.emit(data[start : self.pos].decode("utf-8"))
                continue
            if data[self.pos + 1 : self.pos + 2] == b"/":
                self.end_tag()
            else:
                self.start_tag()
        if self.stack:
            name = self.stack[-1].name
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return FormattedText("".join(self.out), tuple(self.entities))

    def start_tag(self) -> None:
        data, begin = self.data, self.pos
        self.pos += 1
        while self.pos < len(data) and not _is_space(data, self.pos) and data[self.pos] != ord(">"):
            self.pos += 1
        if self.pos >= len(data):
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        name = data[begin + 1 : self.pos].decode("utf-8", "replace").lower()
        if name not in ALLOWED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {begin}')
        argument = self.attributes(name, begin)
        self.pos += 1  # the '>'
        if name == "span" and argument != "spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        if name == "tg-emoji" and not argument.isdigit():
            raise HtmlParseError(
                f'Tag "tg-emoji" must have a numeric "emoji-id" attribute at byte offset {begin}'
            )
        self.stack.append(_OpenTag(name, argument, self.utf16))

    def attributes(self, tag: str, begin: int) -> str:
        """Read the attributes up to '>' and return the one that matters for ``tag``."""
        data, argument = self.data, ""
        while self.pos < len(data) and data[self.pos] != ord(">"):
            while _is_space(data, self.pos):
                self.pos += 1
            if self.pos >= len(data):
                break
            if data[self.pos] == ord(">"):
                return argument
            name_start = self.pos
            while (
                self.pos < len(data)
                and not _is_space(data, self.pos)
                and data[self.pos] not in b"=>"
            ):
                self.pos += 1
            attribute = data[name_start : self.pos].decode("utf-8", "replace").lower()
            while _is_space(data, self.pos):
                self.pos += 1
            if self.pos >= len(data):
                break
            if data[self.pos] != ord("="):
                if tag == "blockquote" and attribute == "expandable":
                    argument = "expandable"
                    continue
                raise HtmlParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {begin}'
                )
            self.pos += 1
            while _is_space(data, self.pos):
                self.pos += 1
            if self.pos >= len(data):
                break
            value = self.attribute_value()
            if self.pos >= len(data):
                break
            if tag == "a" and attribute == "href":
                argument = value
            elif tag == "code" and attribute == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif tag == "tg-emoji" and attribute == "emoji-id":
                argument = value
        if self.pos >= len(data):
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        return argument

    def attribute_value(self) -> str:
        data = self.data
        quote = data[self.pos]
        if quote not in b"'\"":
            # An unquoted name token: letters, digits, periods and hyphens, case-insensitive.
            start = self.pos
            while self.pos < len(data) and (
                chr(data[self.pos]).isalnum() or data[self.pos] in b".-"
            ):
                self.pos += 1
            if (
                self.pos < len(data)
                and not _is_space(data, self.pos)
                and data[self.pos] != ord(">")
            ):
                raise HtmlParseError(f"Unexpected end of name token at byte offset {start}")
            return data[start : self.pos].decode("utf-8").lower()
        self.pos += 1
        chars: list[str] = []
        while self.pos < len(data) and data[self.pos] != quote:
            if data[self.pos] == ord("&"):
                decoded = _decode_entity(data, self.pos)
                if decoded is not None:
                    chars.append(decoded[0])
                    self.pos = decoded[1]
                    continue
            start = self.pos
            self.pos += 1
            while self.pos < len(data) and data[self.pos] not in (quote, ord("&")):
                self.pos += 1
            chars.append(data[start : self.pos].decode("utf-8"))
        if self.pos < len(data):
            self.pos += 1  # the closing quote
        return "".join(chars)

    def end_tag(self) -> None:
        data, begin = self.data, self.pos
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
        self.pos += 2
        while self.pos < len(data) and not _is_space(data, self.pos) and data[self.pos] != ord(">"):
            self.pos += 1
        found = data[begin + 2 : self.pos].decode("utf-8", "replace").lower()
        while _is_space(data, self.pos):
            self.pos += 1
        if self.pos >= len(data) or data[self.pos] != ord(">"):
            raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
        self.pos += 1
        tag = self.stack.pop()
        if found and found != tag.name:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{tag.name}>", '
                f'found "</{found}>"'
            )
        self.close_entity(tag)

    def close_entity(self, tag: _OpenTag) -> None:
        length = self.utf16 - tag.utf16_offset
        if length <= 0:
            return  # Telegram drops empty entities silently.
        entity: dict[str, Any] = {
            "type": _ENTITY_TYPES[tag.name],
            "offset": tag.utf16_offset,
            "length": length,
        }
        if tag.name == "a":
            url = _valid_url(tag.argument or self.inner_text(tag))
            if url is None:
                return  # tdlib keeps the text and silently drops a link it cannot use
            entity["url"] = url
        elif tag.name == "blockquote" and tag.argument:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.argument
        elif tag.name == "code" and tag.argument:
            parent = self.stack[-1] if self.stack else None
            if (
                parent is not None
                and parent.name == "pre"
                and parent.utf16_offset == tag.utf16_offset
            ):
                # <pre><code class="language-x"> is one pre entity with a language.
                parent.argument = tag.argument
                return
        elif tag.name == "pre" and tag.argument:
            entity["language"] = tag.argument
        self.entities.append(entity)

    def inner_text(self, tag: _OpenTag) -> str:
        text = "".join(self.out).encode("utf-16-le")
        return text[tag.utf16_offset * 2 :].decode("utf-16-le")


def parse_html(markup: str, *, strict_ampersand: bool = True) -> FormattedText:
    """Parse Telegram's HTML subset into plain text and entities.

    Args:
        markup: the text as a bot sends it with ``parse_mode=HTML``.
        strict_ampersand: reject a ``&`` that does not start ``&lt;``, ``&gt;``, ``&amp;``,
            ``&quot;`` or a numeric reference (the documented rule; tdlib is laxer).

    Returns:
        The plain text and its entities, offsets in UTF-16 code units.

    Raises:
        HtmlParseError: with tdlib's message, e.g. ``Unsupported start tag "foo" at byte
            offset 12``.
    """
    return _Parser(markup, strict_ampersand).run()

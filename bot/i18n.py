"""Languages, localized texts and the shared system messages.

Every user-facing string exists in French, Dutch, Spanish and English. A `Localized` holds one
text per language; a plain string in a flow file means "the same in every language" (names,
numbers, emoji). System messages (re-asks, "did you mean", errors) are kept in
`content/messages.yaml` and looked up with `Messages.get`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.formatting import PluralSyntaxError, expand_plurals, format_number

LANGUAGES: tuple[str, ...] = ("fr", "nl", "es", "en")
"""The languages every user-facing text must exist in, in the order they are shown."""

LANGUAGE_NAMES: dict[str, str] = {
    "fr": "Français",
    "nl": "Nederlands",
    "es": "Español",
    "en": "English",
}


def normalize_language(code: str | None, default: str = "fr") -> str:
    """Map a channel's language code ("nl-BE", "es_EC", "EN") to one of `LANGUAGES`."""
    if not code:
        return default
    base = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    return base if base in LANGUAGES else default


@dataclass(frozen=True)
class Localized:
    """A text in several languages; `neutral` texts are the same in every language."""

    texts: Mapping[str, str] = field(default_factory=dict)
    neutral: str | None = None

    @classmethod
    def of(cls, value: str | Mapping[str, str] | Localized) -> Localized:
        """Build from a YAML value: a plain string or a `{lang: text}` map."""
        if isinstance(value, Localized):
            return value
        if isinstance(value, str):
            return cls(neutral=value)
        return cls(texts=dict(value))

    def get(self, lang: str) -> str:
        """Return the text in `lang`, falling back to English, French, then any language."""
        if self.neutral is not None:
            return self.neutral
        for candidate in (lang, "en", "fr", *self.texts):
            text = self.texts.get(candidate)
            if text:
                return text
        return ""

    def all_texts(self) -> Iterable[str]:
        """Every language variant (once for a neutral text)."""
        if self.neutral is not None:
            return (self.neutral,)
        return self.texts.values()

    def missing(self, languages: Iterable[str]) -> list[str]:
        """Languages among `languages` this text has no variant for."""
        if self.neutral is not None:
            return []
        return [lang for lang in languages if not self.texts.get(lang)]


_TAG = re.compile(r"<[^>]+>")


def html_to_plain(text: str) -> str:
    """Turn the Telegram HTML subset the engine produces into plain text for a terminal."""
    return html.unescape(_TAG.sub("", text))


def escape(value: Any) -> str:
    """Escape a value for the Telegram HTML subset."""
    return html.escape(str(value), quote=False)


def shortened(text: str, limit: int = 60) -> str:
    """`text` stripped, cut to `limit` characters with "…" when longer (to quote it back)."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(value: Any, lang: str) -> str:
    """A placeholder's value as text: HTML-escaped unless `Raw`, fractions with `lang`'s comma."""
    if isinstance(value, Raw):
        return value
    if isinstance(value, float | Decimal):
        return format_number(value, lang)
    return escape(value)


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Messages:
    """The system messages from `content/messages.yaml`, one `Localized` per key."""

    texts: Mapping[str, Localized]

    def get(self, key: str, lang: str, /, **values: Any) -> str:
        """Return message `key` in `lang` with `{placeholders}` filled (values are escaped).

        ICU-style plurals (``{count, plural, one {# goal} other {# goals}}``, see
        `bot.formatting`) are expanded first; fractional numbers are written as `lang` does
        ("2,5"). An unknown key returns the key itself, so a missing text is visible, never a
        crash.
        """
        text = self.texts.get(key)
        if text is None:
            return key
        escaped = _SafeDict({k: _shown(v, lang) for k, v in values.items()})
        try:
            expanded = expand_plurals(text.get(lang), lang, values)
        except PluralSyntaxError:  # tests/content checks the shipped texts; never crash a reply
            expanded = text.get(lang)
        try:
            return expanded.format_map(escaped)
        except (ValueError, IndexError):  # a stray brace left by a broken plural
            return expanded

    def localized(self, key: str) -> Localized:
        """Return the `Localized` for `key` (an empty one if unknown)."""
        return self.texts.get(key, Localized(neutral=key))


class Raw(str):
    """A value already in the HTML subset, inserted into a message without escaping."""

    __slots__ = ()

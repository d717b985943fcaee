"""The console's own texts: `content/web.yaml`, one entry per key in fr, nl, es and en.

Kept apart from the bot's messages (`content/messages/`): officials read these on a screen, in a
table or on a button, not in a chat. A missing language is an error at load, like the bot's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.formatting import expand_plurals
from bot.i18n import LANGUAGES, normalize_language
from bot.paths import data_dir


class TextsError(ValueError):
    """The console's text file is broken; the message names the key."""


@dataclass(frozen=True)
class Texts:
    """Every console text: key → language → text."""

    texts: Mapping[str, Mapping[str, str]]

    def get(self, key: str, lang: str, /, **values: Any) -> str:
        """The text `key` in `lang` with ``{placeholders}`` filled (the key itself if unknown).

        Counts use ICU-style plurals as the bot's messages do (``{n, plural, one {# person}
        other {# people}}``, `bot.formatting`): never "personne(s)".
        """
        entry = self.texts.get(key)
        if entry is None:
            return key
        text = entry.get(lang) or entry["en"]
        if not values:
            return text
        return expand_plurals(text, lang, values).format(**values)


def load_texts(path: Path) -> Texts:
    """Read and check a texts file.

    Raises:
        TextsError: not a mapping, or a key without all four languages.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise TextsError(f"{path}: expected key: {{fr, nl, es, en}} entries")
    texts: dict[str, dict[str, str]] = {}
    for key, value in data.items():
        if not isinstance(value, dict):
            raise TextsError(f"{path}: {key} needs fr, nl, es, en")
        missing = [lang for lang in LANGUAGES if not str(value.get(lang) or "").strip()]
        if missing:
            raise TextsError(f"{path}: {key} has no {', '.join(missing)}")
        texts[str(key)] = {lang: str(value[lang]) for lang in LANGUAGES}
    return Texts(texts)


@lru_cache(maxsize=1)
def console_texts() -> Texts:
    """The shipped console texts, loaded once per process."""
    return load_texts(data_dir("content") / "web.yaml")


def preferred_language(accept_language: str | None, default: str = "fr") -> str:
    """The first of the four languages a browser's ``Accept-Language`` asks for."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip()
        if code and normalize_language(code, "") in LANGUAGES:
            return normalize_language(code, default)
    return default


__all__ = ["Texts", "TextsError", "console_texts", "load_texts", "preferred_language"]

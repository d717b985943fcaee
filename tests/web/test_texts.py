"""The console's texts: all four languages for every key, and every key a template names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.web.render import TEMPLATES
from bot.web.texts import TextsError, console_texts, load_texts, preferred_language

LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_\-]+)["']\s*[,)]""")
PREFIXED_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_\-]+_)["']\s*\+""")


def test_every_literal_key_used_in_a_template_exists() -> None:
    texts = console_texts()
    missing = sorted(
        {
            (path.name, key)
            for path in TEMPLATES.glob("*.html")
            for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8"))
            if key not in texts.texts
        }
    )
    assert missing == []


def test_every_prefix_has_its_family() -> None:
    texts = console_texts()
    prefixes = {
        key
        for path in TEMPLATES.glob("*.html")
        for key in PREFIXED_KEY.findall(path.read_text(encoding="utf-8"))
    }
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in texts.texts), prefix
    for role in ("user", "coordinator", "admin"):
        assert f"role_{role}" in texts.texts
    for status in ("sent", "failed", "blocked", "unknown", "pending", "sending", "dropped"):
        assert f"delivery_{status}" in texts.texts


def test_a_missing_language_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "web.yaml"
    broken.write_text("hello:\n  fr: Bonjour\n  nl: Hallo\n  en: Hello\n", encoding="utf-8")
    with pytest.raises(TextsError, match="hello has no es"):
        load_texts(broken)


def test_placeholders_and_browser_language() -> None:
    texts = console_texts()
    assert texts.get("n_sent", "nl", n=3) == "3 verzonden"
    assert texts.get("no-such-key", "fr") == "no-such-key"
    assert preferred_language("nl-BE,nl;q=0.9,en;q=0.8") == "nl"
    assert preferred_language("de-DE,es;q=0.5") == "es"
    assert preferred_language(None, "en") == "en"


def test_counts_are_written_as_each_language_does() -> None:
    texts = console_texts()
    bracketed = re.compile(r"\w\((?:s|es|en|x|e)\)|\w/\w+en\b")
    assert [
        key
        for key, entry in texts.texts.items()
        if any(bracketed.search(text) for text in entry.values())
    ] == []
    assert texts.get("held_by_quiet", "fr", n=1).startswith("1 personne le recevra")
    assert texts.get("held_by_quiet", "es", n=4).startswith("4 personas lo recibirán")
    assert texts.get("n_sent", "fr", n=2) == "2 envoyés"

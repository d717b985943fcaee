"""`content/messages/*.yaml` and `flows/*.yaml`: plurals written properly in every language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.content import load_messages
from bot.formatting import plural_names
from bot.i18n import LANGUAGES, Messages

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = load_messages(ROOT / "content" / "messages")

# "objectif(s)", "activiteit(en)", "año(s)", "municipality(ies)", "nouvel(le)s", "persoon/personen".
LAZY_PLURAL = re.compile(r"\w\((?:s|es|en|n|x|e|le|ies)\)|\bpersoon/personen\b|aanvraag/aanvragen")


@pytest.mark.parametrize("key", sorted(MESSAGES.texts), ids=str)
def test_message_plurals_parse_and_count_the_same_things_in_every_language(key: str) -> None:
    text = MESSAGES.texts[key]
    counted = {lang: sorted(plural_names(text.get(lang))) for lang in LANGUAGES}
    # Every language counts the same values (a language may leave a count without plural,
    # e.g. Dutch "jaar", but never count something the others do not have).
    values = {name for names in counted.values() for name in names}
    for lang in LANGUAGES:
        placeholders = set(re.findall(r"\{(\w+)", text.get(lang)))
        assert values <= placeholders, f"{key}.{lang} lacks {values - placeholders}"


@pytest.mark.parametrize("key", sorted(MESSAGES.texts), ids=str)
def test_messages_have_no_bracketed_plurals(key: str) -> None:
    for lang in LANGUAGES:
        assert not LAZY_PLURAL.search(MESSAGES.texts[key].get(lang)), f"{key}.{lang}"


@pytest.mark.parametrize("path", sorted((ROOT / "flows").glob("*.yaml")), ids=lambda p: p.name)
def test_flow_texts_have_no_bracketed_plurals(path: Path) -> None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        assert not LAZY_PLURAL.search(line), f"{path.name}:{number}: {line.strip()}"


def test_counts_in_shipped_messages_read_right() -> None:
    messages: Messages = MESSAGES
    assert messages.get("report_summary", "fr", users=1, municipalities=0) == (
        "1 utilisateur inscrit, 0 commune avec des réponses."
    )
    assert messages.get("report_summary", "en", users=2, municipalities=1) == (
        "2 registered users, 1 municipality with answers."
    )
    assert messages.get("dl_left_days", "es", days=5) == "dentro de 5 días"
    assert messages.get("rem_due_in", "nl", date="30 juni 2027", days=1) == (
        "Deadline op 30 juni 2027, over 1 dag."
    )

"""`bot.text.fold`: the one way typed words are compared, everywhere in the bot."""

from __future__ import annotations

import pytest

from bot.text import fold


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Éducation", "education"),
        ("Œuvre", "oeuvre"),
        ("Straße", "strasse"),
        ("Ærø", "aero"),
        ("Łódź", "lodz"),
        ("Año NUEVO", "ano nuevo"),
        ("𝘈gua", "agua"),
        ("Ⅸ", "ix"),
        ("n° 5, c'est ça !", "n° 5, c'est ca !"),
        ("Nº 5", "no 5"),
        ("  Brasschaat ", "  brasschaat "),
    ],
)
def test_fold_lowers_strips_accents_and_ligatures_and_keeps_the_rest(
    typed: str, folded: str
) -> None:
    assert fold(typed) == folded


def test_every_copy_is_gone() -> None:
    # The matcher, the parsers, the glossary check, audiences and reminder keywords use this one.
    from bot.channels.telegram import channel, updates
    from bot.conversation import reminders
    from bot.flow import glossary, matching, parsing, sdgs
    from bot.scheduling import audience

    for module in (matching, parsing, sdgs, glossary, audience, reminders, channel, updates):
        assert module.fold is fold, module.__name__
    assert not hasattr(glossary, "_fold") and not hasattr(audience, "_fold")

"""`typed_offer_choice`: what a typed word picks from an offer (menu, yes/no, languages)."""

from __future__ import annotations

import pytest

from bot.conversation.commands import typed_offer_choice

LANGUAGES = ("l:fr", "l:nl", "l:es", "l:en")
FORGET = ("c:forgetyes", "c:menu")
MENU = ("f:sdg_assessment", "f:post2030", "c:results")


@pytest.mark.parametrize(
    ("typed", "offered", "chosen"),
    [
        ("2", MENU, "f:post2030"),
        ("3.", MENU, "c:results"),
        ("4", MENU, None),
        ("oui", FORGET, "c:forgetyes"),
        ("ja hoor", FORGET, "c:forgetyes"),
        ("sí, claro", FORGET, "c:forgetyes"),
        ("yes please", FORGET, "c:forgetyes"),
        ("non merci", FORGET, "c:menu"),
        ("nee", FORGET, "c:menu"),
        ("no", FORGET, "c:menu"),
        ("1", FORGET, "c:forgetyes"),
        ("peut-être", FORGET, None),
        ("frans", LANGUAGES, "l:fr"),
        ("Français", LANGUAGES, "l:fr"),
        ("inglés", LANGUAGES, "l:en"),
        ("néerlandais", LANGUAGES, "l:nl"),
        ("Spaans", LANGUAGES, "l:es"),
        ("engels", LANGUAGES, "l:en"),
        ("klingon", LANGUAGES, None),
        ("oui", MENU, None),
        ("frans", MENU, None),
    ],
)
def test_typed_offer_choice(typed: str, offered: tuple[str, ...], chosen: str | None) -> None:
    assert typed_offer_choice(typed, offered) == chosen

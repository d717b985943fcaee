"""`bot.formatting`: plurals, numbers, dates and lists as each of the four languages writes them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from bot.formatting import (
    PluralSyntaxError,
    expand_plurals,
    format_date,
    format_list,
    format_month,
    format_number,
    plural,
    plural_names,
)
from bot.i18n import Localized, Messages

NNBSP = "\u202f"  # French groups thousands with a narrow no-break space

FORMS = {  # language → (singular, plural) of "goal"
    "fr": ("# objectif", "# objectifs"),
    "nl": ("# doel", "# doelen"),
    "es": ("# objetivo", "# objetivos"),
    "en": ("# goal", "# goals"),
}


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        # French: 0 and 1 take the singular (CLDR "one" is i = 0,1).
        ("fr", ["0 objectif", "1 objectif", "2 objectifs", "5 objectifs"]),
        ("nl", ["0 doelen", "1 doel", "2 doelen", "5 doelen"]),
        ("es", ["0 objetivos", "1 objetivo", "2 objetivos", "5 objetivos"]),
        ("en", ["0 goals", "1 goal", "2 goals", "5 goals"]),
    ],
)
def test_plural_forms_for_0_1_2_5(lang: str, expected: list[str]) -> None:
    one, other = FORMS[lang]
    assert [plural(n, lang, one, other) for n in (0, 1, 2, 5)] == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", ["0 réponse", "1 réponse", "2 réponses", "5 réponses"]),
        ("nl", ["0 antwoorden", "1 antwoord", "2 antwoorden", "5 antwoorden"]),
        ("es", ["0 respuestas", "1 respuesta", "2 respuestas", "5 respuestas"]),
        ("en", ["0 answers", "1 answer", "2 answers", "5 answers"]),
    ],
)
def test_icu_plurals_in_messages_for_0_1_2_5(lang: str, expected: list[str]) -> None:
    words = {
        "fr": ("réponse", "réponses"),
        "nl": ("antwoord", "antwoorden"),
        "es": ("respuesta", "respuestas"),
        "en": ("answer", "answers"),
    }
    one, other = words[lang]
    messages = Messages(
        {"done": Localized(texts={lang: f"{{count, plural, one {{# {one}}} other {{# {other}}}}}"})}
    )
    assert [messages.get("done", lang, count=n) for n in (0, 1, 2, 5)] == expected


def test_fractions_and_big_numbers_choose_their_form_and_are_formatted() -> None:
    assert plural(1.5, "fr", "# an", "# ans") == "1,5 an"  # French: 1,5 is singular
    assert plural(1.5, "en", "# year", "# years") == "1.5 years"
    assert plural(1234, "fr", "# personne", "# personnes") == f"1{NNBSP}234 personnes"
    assert plural(1234, "nl", "# persoon", "# personen") == "1.234 personen"
    assert plural("3", "es", "# día", "# días") == "3 días"  # a number typed as text
    assert plural(None, "en", "# day", "# days") == "0 days"


def test_messages_fill_placeholders_inside_plural_forms_and_escape_them() -> None:
    messages = Messages(
        {
            "m": Localized(
                texts={
                    "en": "{n, plural, =0 {Nobody} one {One person in {place}} "
                    "other {# people in {place}}}."
                }
            )
        }
    )
    assert messages.get("m", "en", n=0, place="Herent") == "Nobody."
    assert messages.get("m", "en", n=1, place="<b>Herent</b>") == (
        "One person in &lt;b&gt;Herent&lt;/b&gt;."
    )
    assert messages.get("m", "en", n=3, place="Tarija") == "3 people in Tarija."
    # A text without plurals is untouched, "#" included.
    assert expand_plurals("broadcast #{id}", "en", {"id": 4}) == "broadcast #{id}"


def test_malformed_plurals_are_reported() -> None:
    assert plural_names("{a, plural, one {x} other {y}} and {b, plural, other {z}}") == ["a", "b"]
    with pytest.raises(PluralSyntaxError, match="'other'"):
        plural_names("{n, plural, one {# goal}}")
    with pytest.raises(PluralSyntaxError, match="unclosed"):
        plural_names("{n, plural, one {# goal} other {# goals}")
    with pytest.raises(PluralSyntaxError, match="cannot read"):
        plural_names("{n, plural, one {# goal} lots {# goals} other {# goals}}")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", ["2", "2,5", "2,3", "0,3", f"12{NNBSP}345,7"]),
        ("nl", ["2", "2,5", "2,3", "0,3", "12.345,7"]),
        ("es", ["2", "2,5", "2,3", "0,3", "12.345,7"]),
        ("en", ["2", "2.5", "2.3", "0.3", "12,345.7"]),
    ],
)
def test_decimals(lang: str, expected: list[str]) -> None:
    values = [2.0, 2.5, Decimal("2.345"), 0.25, 12345.67]  # halves round up: 0,25 → 0,3
    assert [format_number(v, lang) for v in values] == expected


def test_fixed_decimals_line_up() -> None:
    assert format_number(2, "fr", fixed=True) == "2,0"
    assert format_number(3.25, "en", fixed=True) == "3.3"
    assert format_number(1.005, "nl", digits=2) == "1,01"


@pytest.mark.parametrize(
    ("lang", "day", "month"),
    [
        ("fr", "30 juin 2027", "juin 2027"),
        ("nl", "30 juni 2027", "juni 2027"),
        ("es", "30 de junio de 2027", "junio de 2027"),
        ("en", "30 June 2027", "June 2027"),
    ],
)
def test_dates(lang: str, day: str, month: str) -> None:
    assert format_date(date(2027, 6, 30), lang) == day
    assert format_date(datetime(2027, 6, 30, 23, 59), lang) == day
    assert format_month(2027, 6, lang) == month


@pytest.mark.parametrize(
    ("lang", "three", "either"),
    [
        ("fr", "A, B et C", "A ou B"),
        ("nl", "A, B en C", "A of B"),
        ("es", "A, B y C", "A o B"),
        ("en", "A, B and C", "A or B"),
    ],
)
def test_lists(lang: str, three: str, either: str) -> None:
    assert format_list(["A", "B", "C"], lang) == three
    assert format_list(["A", "B"], lang, style="or") == either
    assert format_list(["A"], lang) == "A"
    assert format_list([], lang) == ""


def test_a_broken_plural_in_a_message_shows_its_text_instead_of_failing() -> None:
    messages = Messages({"m": Localized(texts={"en": "{n, plural, one {# goal}} left"})})
    assert messages.get("m", "en", n=2) == "{n, plural, one {# goal}} left"

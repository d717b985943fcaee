"""Yes/no, numbers and dates typed in French, Dutch, Spanish and English."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flow.parsing import parse_date, parse_number, parse_yesno

TODAY = date(2026, 3, 10)  # a Tuesday


@pytest.mark.parametrize(
    "text",
    [
        "oui",
        "Oui !",
        "ouais",
        "oui oui",
        "d'accord",
        "daccord",
        "bien sûr",
        "tout à fait",
        "ja",
        "jawel",
        "ja hoor",
        "ja graag",
        "akkoord",
        "oké",
        "prima",
        "klopt",
        "sí",
        "si",
        "Sí, claro",
        "vale",
        "dale",
        "de acuerdo",
        "claro que sí",
        "yes",
        "Yes please",
        "yep",
        "yup",
        "sure",
        "of course",
        "ok",
        "OK 👍",
        "okay",
        "y",
        "👍",
        "👍🏼",
        "✅",
        "✔️",
        "oui merci beaucoup",
        "sí, gracias",
    ],
)
def test_yes(text: str) -> None:
    assert parse_yesno(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "non",
        "Non.",
        "non merci",
        "nan",
        "pas du tout",
        "nee",
        "neen",
        "nee hoor",
        "niet",
        "helemaal niet",
        "no",
        "No, gracias",
        "claro que no",
        "para nada",
        "nope",
        "nah",
        "no thanks",
        "not at all",
        "n",
        "N",
        "👎",
        "👎🏻",
        "❌",
        "non 👎",
    ],
)
def test_no(text: str) -> None:
    assert parse_yesno(text) is False


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "peut-être",
        "misschien",
        "quizás",
        "maybe",
        "no sé",
        "je ne sais pas",
        "oui non",
        "ja nee",
        "oui mais",
        "yes 👎",
        "👍👎",
        "merci",
        "gracias",
        "please",
        "1",
        "o",
        "yess and no",
        "non" * 100,
    ],
)
def test_neither_yes_nor_no(text: str) -> None:
    assert parse_yesno(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", "0"),
        ("12", "12"),
        ("+5", "5"),
        ("-3", "-3"),
        ("− 4", "-4"),
        ("12,5", "12.5"),
        ("12.5", "12.5"),
        ("0,5", "0.5"),
        (",5", "0.5"),
        ("1 200", "1200"),
        ("1\u202f200", "1200"),
        ("1 200 000", "1200000"),
        ("1.200", "1200"),
        ("1,200", "1200"),
        ("12,500", "12500"),
        ("0,125", "0.125"),
        ("1.200,50", "1200.50"),
        ("1,200.50", "1200.50"),
        ("1.200.000", "1200000"),
        ("1 200,5", "1200.5"),
        ("12.", "12"),
        ("€ 45", "45"),
        ("45€", "45"),
        ("30 %", "30"),
        ("environ 15", "15"),
        ("ongeveer 40", "40"),
        ("about 7", "7"),
        ("unos 12", "12"),
        ("un", "1"),
        ("une", "1"),
        ("één", "1"),
        ("uno", "1"),
        ("one", "1"),
        ("onze", "11"),
        ("elf", "11"),
        ("once", "11"),
        ("eleven", "11"),
        ("dix-neuf", "19"),
        ("negentien", "19"),
        ("diecinueve", "19"),
        ("nineteen", "19"),
        ("vingt et un", "21"),
        ("eenentwintig", "21"),
        ("veintiuno", "21"),
        ("twenty-one", "21"),
        ("trente", "30"),
        ("dertig", "30"),
        ("treinta", "30"),
        ("thirty", "30"),
        ("quarante-cinq", "45"),
        ("vijfenveertig", "45"),
        ("cuarenta y cinco", "45"),
        ("forty five", "45"),
        ("soixante et onze", "71"),
        ("soixante-douze", "72"),
        ("quatre-vingts", "80"),
        ("huitante", "80"),
        ("tachtig", "80"),
        ("ochenta", "80"),
        ("quatre-vingt-dix", "90"),
        ("nonante", "90"),
        ("negentig", "90"),
        ("noventa", "90"),
        ("ninety", "90"),
        ("negenennegentig", "99"),
        ("cent", "100"),
        ("cien", "100"),
        ("honderd", "100"),
        ("a hundred", "100"),
        ("menos dos", "-2"),
        ("minus five", "-5"),
    ],
)
def test_numbers(text: str, expected: str) -> None:
    assert parse_number(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "12 5",
        "1,2,3",
        "1.2.3,4,5",
        "1e5",
        "0x10",
        "nan",
        "inf",
        "Infinity",
        "12-5",
        "--3",
        "douze pommes",
        "vingt vingt",
        "un deux",
        "dix un",
        "cent cent",
        "vingt et",
        "1 2000",
        "12 ans",
        "½",
        "9" * 200,
    ],
)
def test_not_numbers(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-15", date(2026, 12, 15)),
        ("2026/12/15", date(2026, 12, 15)),
        ("15/12/2026", date(2026, 12, 15)),
        ("15 / 12 / 2026", date(2026, 12, 15)),
        ("15.12.2026", date(2026, 12, 15)),
        ("15-12-2026", date(2026, 12, 15)),
        ("15/12/26", date(2026, 12, 15)),
        ("5/1/2027", date(2027, 1, 5)),
        ("12/15/2026", date(2026, 12, 15)),  # only readable as month/day
        ("15/12", date(2026, 12, 15)),
        ("10/03", TODAY),
        ("09/03", date(2027, 3, 9)),
        ("15 déc", date(2026, 12, 15)),
        ("15 déc.", date(2026, 12, 15)),
        ("15 décembre 2026", date(2026, 12, 15)),
        ("le 15 décembre", date(2026, 12, 15)),
        ("lundi 15 décembre 2026", date(2026, 12, 15)),
        ("1er avril", date(2026, 4, 1)),
        ("15 dic", date(2026, 12, 15)),
        ("15 de diciembre", date(2026, 12, 15)),
        ("15 de diciembre de 2027", date(2027, 12, 15)),
        ("3 de setiembre", date(2026, 9, 3)),
        ("15 december", date(2026, 12, 15)),
        ("3 mrt", date(2027, 3, 3)),
        ("17 mei", date(2026, 5, 17)),
        ("dec 15", date(2026, 12, 15)),
        ("December 15, 2026", date(2026, 12, 15)),
        ("15th December", date(2026, 12, 15)),
        ("August 2nd", date(2026, 8, 2)),
        ("sept 21", date(2026, 9, 21)),
        ("aujourd'hui", TODAY),
        ("Vandaag", TODAY),
        ("hoy", TODAY),
        ("today", TODAY),
        ("demain", TODAY + timedelta(days=1)),
        ("morgen", TODAY + timedelta(days=1)),
        ("mañana", TODAY + timedelta(days=1)),
        ("manana", TODAY + timedelta(days=1)),
        ("tomorrow", TODAY + timedelta(days=1)),
        ("après-demain", TODAY + timedelta(days=2)),
        ("apres demain", TODAY + timedelta(days=2)),
        ("overmorgen", TODAY + timedelta(days=2)),
        ("pasado mañana", TODAY + timedelta(days=2)),
        ("the day after tomorrow", TODAY + timedelta(days=2)),
        ("hier", TODAY - timedelta(days=1)),
        ("dans 3 jours", TODAY + timedelta(days=3)),
        ("over twee weken", TODAY + timedelta(days=14)),
        ("en una semana", TODAY + timedelta(days=7)),
        ("in 10 days", TODAY + timedelta(days=10)),
        ("mardi", TODAY),
        ("next tuesday", TODAY + timedelta(days=7)),
        ("vrijdag", date(2026, 3, 13)),
        ("lunes", date(2026, 3, 16)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "31/02",
        "31/02/2026",
        "30/02",
        "29/02/2027",
        "32/01/2026",
        "00/01/2026",
        "15/13/2026",
        "13/13",
        "2026-02-30",
        "2026-13-01",
        "15",
        "décembre",
        "2026",
        "15 12",
        "31 juin",
        "15 foo",
        "jui 15",
        "15 déc 1850",
        "15/12/3000",
        "bientôt",
        "soon",
        "dans trois ans",
        "dec 15 16",
    ],
)
def test_not_dates(text: str) -> None:
    assert parse_date(text, TODAY) is None


def test_a_day_and_month_without_year_is_the_next_occurrence() -> None:
    assert parse_date("31/12", date(2026, 12, 31)) == date(2026, 12, 31)
    assert parse_date("1 janvier", date(2026, 12, 31)) == date(2027, 1, 1)
    assert parse_date("29/02", date(2026, 3, 1)) == date(2028, 2, 29)
    assert parse_date("29 feb", date(2028, 2, 29)) == date(2028, 2, 29)


# Pieces of real answers, so generated texts reach deep into the parsers, not just fail early.
PIECES = tuple(
    re.findall(
        r"\S+",
        "0 1 12 31 2026 26 -3 , . / - : et y en and de le tot à a dans over in days jours weken "
        "vingt quatre dix sept un et cent honderd moins demain morgen hier mañana pasado déc mars "
        "mei dec december 1er 2nd oui non ja nee sí no merci hoor 👍 👎 ✅ € % environ",
    )
)
TEXTS = st.text(max_size=60) | st.lists(st.sampled_from(PIECES), max_size=8).map(" ".join)


@pytest.mark.parametrize("text", ["demain", "hier", "in 999 weeks", "vendredi", "31/12", "1/1"])
@pytest.mark.parametrize("today", [date.min, date.max])
def test_the_ends_of_the_calendar_do_not_raise(text: str, today: date) -> None:
    found = parse_date(text, today)
    assert found is None or isinstance(found, date)


@settings(max_examples=500, deadline=None)
@given(TEXTS, st.dates())
def test_arbitrary_text_never_raises(text: str, today: date) -> None:
    assert parse_yesno(text) in (True, False, None)
    number = parse_number(text)
    assert number is None or number.is_finite()
    assert parse_date(text, today) is None or isinstance(parse_date(text, today), date)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2199, 12, 31)))
def test_written_dates_read_back(day: date) -> None:
    assert parse_date(day.isoformat(), TODAY) == day
    assert parse_date(f"{day.day}/{day.month}/{day.year}", TODAY) == day
    assert parse_date(f"{day.day:02d}.{day.month:02d}.{day.year}", TODAY) == day


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_written_numbers_read_back(value: Decimal) -> None:
    plain = format(value, "f")
    assert parse_number(plain) == value
    assert parse_number(plain.replace(".", ",")) == value

"""Numbers, dates, lists and plurals as each language writes them, backed by Babel (CLDR).

One place decides how a reader of French, Dutch, Spanish or English sees a figure, so bot
messages, flow summaries and the HTML report agree: "2,5" in French, Dutch and Spanish, "2.5" in
English; "30 juin 2027", "30 juni 2027", "30 de junio de 2027", "30 June 2027"; "A, B et C".

Plurals
-------
Never write "objectif(s)". Two ways to say a count, both choosing the form with the language's
CLDR plural rules (French says "0 objectif" and "1,5 an": 0 and 1.5 take the singular there):

* in `content/messages/*.yaml`, an ICU-style plural inside a message::

      fr: "{count, plural, one {# réponse} other {# réponses}}. Merci !"

  ``#`` is the number as the language writes it ("1 234" in French). The forms are CLDR's
  (``zero``, ``one``, ``two``, ``few``, ``many``, ``other``) or an exact ``=0``; ``other`` is
  required and used for any form not given. Other ``{placeholders}`` may appear inside a form.
  `bot.i18n.Messages.get` expands these before it fills the placeholders.
* in flow templates, the function ``plural(n, "# activité", "# activités")`` (see
  `bot.flow.builtins`), since every language of a flow text is written separately.

Nothing here does I/O or reads the clock, so the pure flow engine may use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from typing import Any, Literal

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_skeleton
from babel.lists import format_list as _babel_list
from babel.numbers import format_decimal

LOCALES: Mapping[str, str] = {"fr": "fr_BE", "nl": "nl_BE", "es": "es", "en": "en_GB"}
"""The CLDR locale behind each language: Belgian French and Dutch, British English (day first)."""

ListStyle = Literal["standard", "or", "unit", "unit-narrow"]
"""How `format_list` joins: "A, B et C", "A, B ou C", "A, B, C", "A B C"."""

PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")
"""The CLDR plural categories a message may name."""


@cache
def locale_of(lang: str) -> Locale:
    """The Babel locale for one of our languages (English for anything unknown)."""
    return Locale.parse(LOCALES.get(lang, "en_GB"))


def plural_form(count: float | int | Decimal, lang: str) -> str:
    """The CLDR plural category of `count` in `lang`: "one", "other", "many", …."""
    return str(locale_of(lang).plural_form(abs(count)))  # type: ignore[arg-type]


def format_number(
    value: float | int | Decimal,
    lang: str,
    *,
    digits: int = 1,
    fixed: bool = False,
    grouping: bool = True,
) -> str:
    """A number for a reader of `lang`, rounded to `digits` decimals, without trailing zeros.

    ``2.0`` → "2", ``2.345`` → "2,3" (fr, nl, es) or "2.3" (en), ``12345`` → "12 345" (fr).
    With `fixed`, exactly `digits` decimals ("2,0"), for figures aligned in a column. Without
    `grouping`, no thousands separator: for numbers people typed, which may be years ("2027").
    """
    if fixed:
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
        return str(
            format_decimal(
                exact, format=pattern, locale=locale_of(lang), decimal_quantization=False
            )
        )
    # Rounded here, then written with the locale's own pattern (which knows, say, that Spanish
    # groups thousands only from five digits on: "1234", "12.345").
    # Halves round up (2,25 → 2,3), as people do, not to even as `round` does.
    rounded: int | Decimal = (
        value
        if isinstance(value, int)
        else Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    )
    if isinstance(rounded, Decimal) and rounded == rounded.to_integral_value():
        rounded = int(rounded)
    return str(format_decimal(rounded, locale=locale_of(lang), group_separator=grouping))


def format_date(day: date | datetime, lang: str) -> str:
    """A date in words: "30 juin 2027", "30 juni 2027", "30 de junio de 2027", "30 June 2027"."""
    if isinstance(day, datetime):
        day = day.date()
    return str(_babel_date(day, format="long", locale=locale_of(lang)))


def format_short_date(day: date | datetime, lang: str) -> str:
    """A date in figures, day first as every one of our readers writes it: "30/06/2027"."""
    if isinstance(day, datetime):
        day = day.date()
    return str(_babel_date(day, format="dd/MM/y", locale=locale_of(lang)))


def format_month(year: int, month: int, lang: str) -> str:
    """A month of a year: "juin 2027", "juni 2027", "junio de 2027", "June 2027"."""
    return str(format_skeleton("yMMMM", date(year, month, 1), locale=locale_of(lang)))


def format_list(items: Iterable[Any], lang: str, *, style: ListStyle = "standard") -> str:
    """Items joined as `lang` does: "A, B et C", "A, B en C", "A, B y C", "A, B and C".

    `style` is Babel's: "standard" (and), "or" ("A, B ou C"), "unit-narrow" ("A B C").
    """
    texts = [str(item) for item in items]
    return str(_babel_list(texts, style=style, locale=locale_of(lang))) if texts else ""


def plural(count: Any, lang: str, one: str, other: str, many: str | None = None) -> str:
    """The form of a count in `lang`, with ``#`` replaced by the number as `lang` writes it.

    ``plural(0, "fr", "# objectif", "# objectifs")`` → "0 objectif";
    ``plural(2.5, "nl", "# jaar", "# jaar")`` → "2,5 jaar". A value that is not a number
    counts as 0. `many` is only for the large round numbers where CLDR asks for it
    ("1 000 000 de …" in French, "… de" in Spanish); `other` is used when not given.
    """
    number = _as_number(count)
    form = plural_form(number, lang)
    chosen = one if form == "one" else many if form == "many" and many is not None else other
    return chosen.replace("#", format_number(number, lang))


def _as_number(value: Any) -> int | float | Decimal:
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int | float | Decimal):
        return value
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        return 0
    return int(number) if number.is_integer() else number


# --- ICU-style plurals in messages --------------------------------------------------------------

_PLURAL_START = re.compile(r"\{\s*([A-Za-z_]\w*)\s*,\s*plural\s*,")
_FORM = re.compile(r"\s*(=\d+|zero|one|two|few|many|other)\s*\{")


class PluralSyntaxError(ValueError):
    """A ``{n, plural, …}`` that does not parse (unbalanced braces, no ``other`` form)."""


def _closing(text: str, start: int) -> int:
    """Index of the "}" that closes the "{" at `start`."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    raise PluralSyntaxError(f"unclosed {{ at character {start}: {text[start : start + 40]!r}")


@lru_cache(maxsize=2048)
def _parse(text: str) -> tuple[str | tuple[str, dict[str, str]], ...]:
    """Split a message into literal pieces and (name, {form: text}) plurals."""
    pieces: list[str | tuple[str, dict[str, str]]] = []
    pos = 0
    while match := _PLURAL_START.search(text, pos):
        end = _closing(text, match.start())
        pieces.append(text[pos : match.start()])
        forms: dict[str, str] = {}
        inner = match.end()
        while form := _FORM.match(text, inner, end):
            close = _closing(text, form.end() - 1)
            forms[form.group(1)] = text[form.end() : close]
            inner = close + 1
        if text[inner:end].strip():
            raise PluralSyntaxError(f"cannot read {text[inner:end].strip()!r} in {match.group(1)}")
        if "other" not in forms:
            raise PluralSyntaxError(f"the plural of {match.group(1)!r} has no 'other' form")
        pieces.append((match.group(1), forms))
        pos = end + 1
    pieces.append(text[pos:])
    return tuple(pieces)


def plural_names(text: str) -> list[str]:
    """The names counted by ICU plurals in `text` (raises `PluralSyntaxError` if malformed)."""
    return [piece[0] for piece in _parse(text) if isinstance(piece, tuple)]


def expand_plurals(text: str, lang: str, values: Mapping[str, Any]) -> str:
    """Replace every ``{name, plural, …}`` of `text` by the form `values[name]` takes in `lang`.

    ``#`` in the chosen form becomes the formatted number; other placeholders are left for the
    caller's `str.format_map`. A plural whose value is missing keeps its ``other`` form with
    ``#`` shown as "#", so a forgotten value is visible rather than a crash.
    """
    if "plural" not in text:  # the common case: nothing to parse
        return text
    out: list[str] = []
    for piece in _parse(text):
        if isinstance(piece, str):
            out.append(piece)
            continue
        name, forms = piece
        if name not in values:
            out.append(forms["other"])
            continue
        number = _as_number(values[name])
        exact = forms.get(f"={number}") if isinstance(number, int) else None
        chosen = (
            exact if exact is not None else forms.get(plural_form(number, lang), forms["other"])
        )
        out.append(chosen.replace("#", format_number(number, lang)))
    return "".join(out)


__all__ = [
    "LOCALES",
    "PLURAL_FORMS",
    "PluralSyntaxError",
    "expand_plurals",
    "format_date",
    "format_list",
    "format_month",
    "format_number",
    "format_short_date",
    "locale_of",
    "plural",
    "plural_form",
    "plural_names",
]

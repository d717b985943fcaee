"""Normalizing typed text, and the word tables typed answers are read with, in four languages.

`normalize` reduces what people type on phones (accents, emoji, "N°2", "d'accord") to what
matters for matching; the tables name numbers, ordinals, connectors, negations, and the words
for "none" and "done" that answer a multi-select without buttons.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from bot.text import fold

_NUMBER_SIGN = re.compile(r"(?:\bn\s*[°º]|\bno\.|\bnr\.?|\bnum\.|#)\s*(?=\d)")
_KEPT_BETWEEN_DIGITS = frozenset(".,/-:")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Reduce a typed text to what matters for matching.

    Lowercases, strips accents, emoji and punctuation (kept only between two digits, so "2-4",
    "15/12" and "12,5" survive), collapses whitespace, and reads "N°2", "#2", "2." or "(2)" as
    "2". Apostrophes and hyphens between words become spaces: "d'accord" → "d accord".

    Args:
        text: what the user typed.

    Returns:
        The normalized text, possibly empty.
    """
    text = fold(_NUMBER_SIGN.sub(" ", text.casefold()))  # before NFKD turns "º" into "o"
    out: list[str] = []
    last = len(text) - 1
    for i, ch in enumerate(text):
        category = unicodedata.category(ch)
        if category[0] in "LN" or (
            ch in _KEPT_BETWEEN_DIGITS
            and 0 < i < last
            and text[i - 1].isdigit()
            and text[i + 1].isdigit()
        ):
            out.append(ch)
        else:
            # Punctuation, symbols, emoji, modifiers and controls all separate words.
            out.append(" ")
    return _SPACES.sub(" ", "".join(out)).strip()


def _normalized_table(table: Mapping[str, int]) -> dict[str, int]:
    return {normalize(word): value for word, value in table.items()}


SMALL_NUMBER_WORDS: Mapping[str, int] = _normalized_table(
    {
        # fr
        "zéro": 0,
        "un": 1,
        "une": 1,
        "deux": 2,
        "trois": 3,
        "quatre": 4,
        "cinq": 5,
        "six": 6,
        "sept": 7,
        "huit": 8,
        "neuf": 9,
        "dix": 10,
        "onze": 11,
        "douze": 12,
        "treize": 13,
        "quatorze": 14,
        "quinze": 15,
        "seize": 16,
        "dix-sept": 17,
        "dix-huit": 18,
        "dix-neuf": 19,
        "vingt": 20,
        # nl
        "nul": 0,
        "een": 1,
        "één": 1,
        "twee": 2,
        "drie": 3,
        "vier": 4,
        "vijf": 5,
        "zes": 6,
        "zeven": 7,
        "acht": 8,
        "negen": 9,
        "tien": 10,
        "elf": 11,
        "twaalf": 12,
        "dertien": 13,
        "veertien": 14,
        "vijftien": 15,
        "zestien": 16,
        "zeventien": 17,
        "achttien": 18,
        "negentien": 19,
        "twintig": 20,
        # es
        "cero": 0,
        "uno": 1,
        "una": 1,
        "dos": 2,
        "tres": 3,
        "cuatro": 4,
        "cinco": 5,
        "seis": 6,
        "siete": 7,
        "ocho": 8,
        "nueve": 9,
        "diez": 10,
        "once": 11,
        "doce": 12,
        "trece": 13,
        "catorce": 14,
        "quince": 15,
        "dieciséis": 16,
        "diecisiete": 17,
        "dieciocho": 18,
        "diecinueve": 19,
        "veinte": 20,
        # en
        "zero": 0,
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "seven": 7,
        "eight": 8,
        "nine": 9,
        "ten": 10,
        "eleven": 11,
        "twelve": 12,
        "thirteen": 13,
        "fourteen": 14,
        "fifteen": 15,
        "sixteen": 16,
        "seventeen": 17,
        "eighteen": 18,
        "nineteen": 19,
        "twenty": 20,
    }
)
"""Number words 0–20 in the four languages, normalized ("dix-sept" → "dix sept")."""

ORDINAL_WORDS: Mapping[str, int] = _normalized_table(
    {
        "premier": 1,
        "première": 1,
        "deuxième": 2,
        "second": 2,
        "seconde": 2,
        "troisième": 3,
        "quatrième": 4,
        "cinquième": 5,
        "sixième": 6,
        "septième": 7,
        "huitième": 8,
        "neuvième": 9,
        "dixième": 10,
        "eerste": 1,
        "tweede": 2,
        "derde": 3,
        "vierde": 4,
        "vijfde": 5,
        "zesde": 6,
        "zevende": 7,
        "achtste": 8,
        "negende": 9,
        "tiende": 10,
        "primero": 1,
        "primera": 1,
        "segundo": 2,
        "segunda": 2,
        "tercero": 3,
        "tercera": 3,
        "cuarto": 4,
        "cuarta": 4,
        "quinto": 5,
        "quinta": 5,
        "sexto": 6,
        "sexta": 6,
        "séptimo": 7,
        "séptima": 7,
        "octavo": 8,
        "octava": 8,
        "noveno": 9,
        "novena": 9,
        "décimo": 10,
        "décima": 10,
        "first": 1,
        "third": 3,
        "fourth": 4,
        "fifth": 5,
        "sixth": 6,
        "seventh": 7,
        "eighth": 8,
        "ninth": 9,
        "tenth": 10,
    }
)
"""Ordinal words 1–10 ("la deuxième", "de tweede", "la segunda", "the second")."""

STOPWORDS: frozenset[str] = frozenset(
    re.findall(
        r"\w+",
        "a au aux d de des du en et l la le les un une pour par sur avec "
        "de het een en van voor met op in om te of "
        "el la los las del y e o un una por para con al "
        "the a an and of for to in on with or",
    )
)
"""Articles and connectors, ignored when deciding which option's words were typed."""

NEGATIONS: frozenset[str] = frozenset(
    re.findall(
        r"\w+",
        "ne pas non sans sauf ni aucun aucune niet geen nee zonder behalve noch "
        "no sin ni excepto salvo ningun ninguno ninguna not no without except nor none",
    )
)
"""Words that turn an answer around; never ignored as noise when matching."""

NONE_WORDS: frozenset[str] = frozenset(
    normalize(phrase)
    for phrase in re.split(
        ",",
        "0, zéro, aucun, aucune, rien, rien du tout, aucun pour l'instant, rien encore, "
        "pas encore, rien pour l'instant, nul, "
        "geen, geen enkele, niets, nog niets, nog geen, helemaal niets, nul, "
        "ninguno, ninguna, nada, nada todavía, todavía nada, aún nada, ninguno todavía, "
        "none, nothing, none yet, nothing yet, not yet, zero",
    )
)
"""Typed answers meaning "none of them" to a question where no option at all is allowed."""

DONE_WORDS: frozenset[str] = frozenset(
    normalize(phrase)
    for phrase in re.split(
        ",",
        "terminé, termine, fini, c'est tout, c'est bon, ok, voilà, "
        "klaar, dat is alles, dat was het, ok, "
        "listo, ya está, eso es todo, terminado, ok, "
        "done, finished, that's all, that is all, ok",
    )
)
"""Typed answers meaning "done" in a multi-select: the selection made so far is the answer."""

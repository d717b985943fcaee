"""Reading typed yes/no answers, numbers and dates, in French, Dutch, Spanish and English.

Each parser returns None when it is not sure, so the engine asks again rather than record a
wrong answer. Everything is pure: "today" is an argument, never read from a clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from bot.flow.matching import SMALL_NUMBER_WORDS, normalize
from bot.text import fold

MAX_INPUT_LENGTH = 120
"""Longer texts are not a yes/no, a number or a date; refusing them early bounds the work."""


def _phrases(*groups: str) -> frozenset[str]:
    """Normalized phrases from comma-separated lists ("oui, bien sûr, tout à fait")."""
    return frozenset(
        normalize(phrase) for group in groups for phrase in group.split(",") if phrase.strip()
    )


# --------------------------------------------------------------------------------- yes / no

_YES_EMOJI = frozenset("👍✅✔☑👌🆗")
_NO_EMOJI = frozenset("👎❌✖🚫⛔❎")

_YES = _phrases(
    "oui, ouais, ouai, ouii, si, d'accord, daccord, dac, ok, okay, okey, oké, oke, okee, okido, "
    "okidoki, parfait, exact, exactement, absolument, certainement, évidemment, volontiers, "
    "entendu, bien sûr, bien entendu, tout à fait, c'est ça, c'est bon, ça marche, très bien, "
    "avec plaisir, vas-y, allez-y, pourquoi pas",
    "ja, jawel, jazeker, jaja, jep, zeker, natuurlijk, tuurlijk, uiteraard, akkoord, goed, "
    "prima, klopt, juist, inderdaad, graag, top, dat klopt, is goed, in orde, doe maar, oké dan, "
    "ja hoor",
    "sí, claro, vale, dale, perfecto, correcto, exacto, efectivamente, cierto, listo, seguro, "
    "obvio, afirmativo, bueno, por supuesto, desde luego, de acuerdo, claro que sí, está bien, "
    "muy bien",
    "y, yes, yeah, yea, yep, yup, sure, certainly, absolutely, definitely, correct, indeed, "
    "agreed, fine, alright, right, good, of course, all right, go ahead, sounds good",
)
_NO = _phrases(
    "n, non, nan, nope, jamais, négatif, pas du tout, absolument pas, certainement pas, "
    "surtout pas, pas question, bien sûr que non, non merci",
    "nee, neen, niet, nooit, helemaal niet, zeker niet, echt niet, liever niet, nee hoor",
    "no, nunca, negativo, para nada, de ninguna manera, en absoluto, claro que no, no gracias",
    "nah, nay, never, negative, not at all, no way, of course not, no thanks",
    # "Not yet" and its kin: a no for now, the usual answer to "have you already …?".
    "pas encore, pas toujours, toujours pas, pas pour l'instant, pas pour le moment, "
    "pas jusqu'à présent, pas vraiment, non pas encore, pas encore non",
    "nog niet, nog steeds niet, voorlopig niet, nu nog niet, niet echt, nee nog niet",
    "todavía no, aún no, aun no, no todavía, no aún, por ahora no, de momento no, "
    "hasta ahora no, todavía no, no realmente, no del todo",
    "not yet, not so far, not for now, not really, no not yet, nope not yet",
)
_FILLER = _phrases(
    "merci, beaucoup, svp, stp, ben, bah, euh, eh, ah, oh, hein, madame, monsieur",
    "bedankt, dank, dankje, dankjewel, danku, hoor, alsjeblieft, alstublieft, aub, mevrouw, meneer",
    "gracias, muchas, favor, por, senor, senora, pues",
    "thanks, thank, you, thx, please, pls, plz, sir, madam",
)
_LONGEST_PHRASE = max(len(phrase.split()) for phrase in _YES | _NO | _FILLER)


def parse_yesno(text: str) -> bool | None:
    """Read a yes/no answer: "oui merci", "nee hoor", "sí claro", "nope", "👍", "y", "n".

    Every word must be a yes, a no or a politeness ("merci", "hoor", "please"); any other word
    ("no sé", "oui mais…") or a mix of yes and no gives None.

    Args:
        text: what the user typed.

    Returns:
        True for yes, False for no, None when it is not a clear yes or no.
    """
    if len(text) > MAX_INPUT_LENGTH:
        return None
    readings: set[bool] = set()
    if any(ch in _YES_EMOJI for ch in text):
        readings.add(True)
    if any(ch in _NO_EMOJI for ch in text):
        readings.add(False)
    tokens = normalize(text).split()
    i = 0
    while i < len(tokens):
        # Longest phrase first, so "claro que no" is a no and not "claro" + "no".
        for size in range(min(_LONGEST_PHRASE, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i : i + size])
            if phrase in _YES or phrase in _NO or phrase in _FILLER:
                if phrase in _YES:
                    readings.add(True)
                elif phrase in _NO:
                    readings.add(False)
                i += size
                break
        else:
            return None
    return readings.pop() if len(readings) == 1 else None


# ------------------------------------------------------------------------------ small talk

_THANKS = _phrases(
    "merci, merci beaucoup, merci bien, mille mercis, "
    "dank je, dank u, dank je wel, dank u wel, dankjewel, dankuwel, bedankt, merci, "
    "gracias, muchas gracias, mil gracias, "
    "thanks, thank you, thx, cheers, many thanks",
)
_HELP = _phrases(
    "aide, au secours, aide moi, aidez moi, menu, le menu, "
    "help, hulp, menu, "
    "ayuda, menú, el menú, "
    "help, help me, menu, the menu",
)
_GREETINGS = _phrases(
    "bonjour, bonsoir, salut, coucou, allo, allô, bonne journée, au revoir, "
    "hallo, hoi, dag, goeiedag, goedendag, goedemorgen, goedemiddag, goedenavond, tot ziens, "
    "fijne dag, "
    "hola, buenos días, buenas tardes, buenas noches, buenas, adiós, hasta luego, "
    "hello, hi, hey, good morning, good afternoon, good evening, bye, goodbye",
)
_POLITE_TAIL = _phrases(
    "bot, sdgbot, madame, monsieur, mevrouw, meneer, señor, señora, "
    "à vous, à toi, allemaal, a todos, all, everyone, again"
)


def small_talk(text: str) -> str | None:
    """What kind of small talk `text` is, if it is small talk rather than an answer.

    "bonjour", "hola sdgbot" → "greeting"; "dank je", "merci madame" → "thanks"; "help",
    "ayuda", "menu" → "help"; anything else → None. A polite word after it is allowed.

    Args:
        text: what the user typed.

    Returns:
        "greeting", "thanks", "help" or None.
    """
    if len(text) > 60:
        return None
    words = normalize(text).split()
    while len(words) > 1 and words[-1] in _POLITE_TAIL:
        words = words[:-1]
    phrase = " ".join(words)
    for kind, phrases in (("thanks", _THANKS), ("help", _HELP), ("greeting", _GREETINGS)):
        if phrase in phrases:
            return kind
    return None


# ----------------------------------------------------------------------------------- numbers


def _normalized(table: Mapping[str, int]) -> dict[str, int]:
    return {normalize(word): value for word, value in table.items()}


_TENS = _normalized(
    {
        "vingt": 20,
        "vingts": 20,
        "trente": 30,
        "quarante": 40,
        "cinquante": 50,
        "soixante": 60,
        "septante": 70,
        "huitante": 80,
        "octante": 80,
        "nonante": 90,
        "twintig": 20,
        "dertig": 30,
        "veertig": 40,
        "vijftig": 50,
        "zestig": 60,
        "zeventig": 70,
        "tachtig": 80,
        "negentig": 90,
        "veinte": 20,
        "treinta": 30,
        "cuarenta": 40,
        "cincuenta": 50,
        "sesenta": 60,
        "setenta": 70,
        "ochenta": 80,
        "noventa": 90,
        "twenty": 20,
        "thirty": 30,
        "forty": 40,
        "fourty": 40,
        "fifty": 50,
        "sixty": 60,
        "seventy": 70,
        "eighty": 80,
        "ninety": 90,
    }
)
_HUNDRED = frozenset({"cent", "honderd", "cien", "ciento", "hundred"})
_WORDS = {
    **SMALL_NUMBER_WORDS,
    **_TENS,
    **{word: 100 for word in _HUNDRED},
    **_normalized(
        {
            "veintiuno": 21,
            "veintiún": 21,
            "veintiuna": 21,
            "veintidós": 22,
            "veintitrés": 23,
            "veinticuatro": 24,
            "veinticinco": 25,
            "veintiséis": 26,
            "veintisiete": 27,
            "veintiocho": 28,
            "veintinueve": 29,
        }
    ),
}
_DUTCH_UNITS = {
    "een": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
}
# "eenentwintig", "tweeëntwintig" (folded to "tweeentwintig"), … "negenennegentig".
_DUTCH_COMPOUND = re.compile(
    rf"^({'|'.join(_DUTCH_UNITS)})e?n({'|'.join(w for w, v in _TENS.items() if v % 10 == 0)})$"
)
_CONNECTORS = frozenset({"et", "y", "and"})
_ONE = frozenset({"un", "une", "een", "uno", "one", "a"})
_MINUS_WORDS = frozenset({"moins", "min", "menos", "minus"})
_APPROX_WORDS = _phrases(
    "environ, à peu près, plus ou moins, ongeveer, zowat, circa, ca, about, around, "
    "approximately, approx, aproximadamente, aprox, unos, unas, alrededor de"
)
_NUMERIC = re.compile(r"^([+\-−]?)\s*(\d[\d\s.,]*\d|\d|[.,]\d+)$")
_UNIT = r"(?:€|\$|%|eur|euros?|usd|fcfa|xof)"
_UNITS = re.compile(rf"^{_UNIT}\s*|\s*{_UNIT}$")
_SPACE_GROUPS = re.compile(r"^\d{1,3}(?: \d{3})+$")
_KEYCAP = re.compile("[\ufe0f\u20e3]")
# A number followed by what it counts: "12 personnes", "12 mensen", "12 personas", "12 people".
# At most two words of letters only; words that change the number ("mille", "miljoen",
# "thousand", "k", "ou 13") keep the whole text from being read as a number.
_TRAILING_NOUN = re.compile(r"^(.*\d)\s*([^\W\d_]+(?:\s+[^\W\d_]+)?)$")
_MULTIPLIERS = frozenset(
    re.findall(
        r"\w+",
        "k m mil mille milles million millions milliard miljoen miljoenen miljard duizend "
        "honderd cent cents cien cientos millon millones mille thousand thousands hundred "
        "hundreds billion billions "
        # Durations and ages answer another question ("12 ans" is not a count of people).
        "an ans annee annees jour jours mois semaine semaines heure heures minute minutes "
        "jaar jaren maand maanden week weken dag dagen uur uren minuut minuten "
        "ano anos mes meses semana semanas dia dias hora horas minuto minutos "
        "year years month months week weeks day days hour hours minute minutes "
        "h min pct procent percent por ciento pour cent",
    )
)
_SCORE = re.compile(r"^(.+?)\s*(?:/|\bsur\b|\bop\b|\bvan\b|\bde\b|\bout of\b|\bof\b)\s*(.+)$")


def parse_number(text: str) -> Decimal | None:
    """Read a number: "12", "-3", "12,5" (decimal comma), "12.5", "1 200", "1.200,50", "trois".

    A single "," or "." followed by exactly three digits is a thousands separator ("1.200",
    "1,200" → 1200); otherwise it is the decimal mark ("12,5", "0,125"). Words are read from
    0 to 100 in the four languages ("vingt-deux", "tweeëntwintig", "veintidós", "ninety").

    Args:
        text: what the user typed.

    Returns:
        The number, or None when the text is not one.
    """
    if len(text) > MAX_INPUT_LENGTH:
        return None
    raw = fold(_KEYCAP.sub("", text)).replace("\u00a0", " ").replace("\u202f", " ")
    raw = _UNITS.sub("", raw.strip().rstrip(".!").strip()).strip()
    counted = _TRAILING_NOUN.match(raw)
    if counted is not None and not _counts_differently(counted.group(2)):
        raw = counted.group(1).strip()
    for approx in _APPROX_WORDS:
        if raw.startswith(approx + " "):
            raw = raw[len(approx) :].strip()
            break
    found = _NUMERIC.match(raw.lstrip("~±").strip())
    if found is not None:
        value = _parse_digits(found.group(2))
        if value is None:
            return None
        return -value if found.group(1) in ("-", "−") else value
    return _parse_words(normalize(raw).split())


def _counts_differently(words: str) -> bool:
    """Whether words after a number change it ("mille", "ou trois") rather than name a noun."""
    tokens = normalize(words).split()
    return any(
        t in _MULTIPLIERS
        or t in _WORDS
        or t in _CONNECTORS
        or t in {"ou", "of", "o", "or", "a", "tot"}
        for t in tokens
    )


def parse_score(text: str, high: int) -> Decimal | None:
    """Read a score given with its scale: "3 sur 5", "3 op 5", "3 de 5", "3 out of 5", "3/5".

    Args:
        text: what the user typed.
        high: the top of the question's scale; "3/10" on a scale to 5 is not read.

    Returns:
        The score, or None when the text is not a score on a scale to `high`.
    """
    if len(text) > MAX_INPUT_LENGTH:
        return None
    found = _SCORE.match(fold(_KEYCAP.sub("", text)).strip().rstrip(".!"))
    if found is None or parse_number(found.group(2)) != high:
        return None
    return parse_number(found.group(1))


def _parse_digits(body: str) -> Decimal | None:
    """Digits with thousands separators and a decimal mark, as Europe and America write them."""
    body = re.sub(r"\s+", " ", body)
    commas, dots = body.count(","), body.count(".")
    decimal_mark: str | None = None
    if commas and dots:
        decimal_mark = "," if body.rfind(",") > body.rfind(".") else "."
    elif commas + dots == 1:
        mark = "," if commas else "."
        head, tail = body.split(mark)
        thousands = len(tail) == 3 and re.fullmatch(r"[1-9]\d{0,2}", head) is not None
        decimal_mark = None if thousands else mark
    if decimal_mark is not None:
        if body.count(decimal_mark) != 1:
            return None
        whole, fraction = body.split(decimal_mark)
        if not fraction.isdigit():
            return None
    else:
        whole, fraction = body, ""
    whole = whole or "0"
    if not whole.isdigit():
        separators = set(re.sub(r"\d", "", whole))
        if len(separators) != 1:
            return None
        separator = separators.pop()
        grouped = whole.replace(separator, " ")
        if not _SPACE_GROUPS.match(grouped):
            return None
        whole = grouped.replace(" ", "")
    try:
        return Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:  # pragma: no cover - the regexes only let digits through
        return None


def _parse_words(tokens: Sequence[str]) -> Decimal | None:
    """Number words from 0 to 100, possibly negative: "moins trois", "quatre-vingt-dix-sept"."""
    sign = 1
    if tokens and tokens[0] in _MINUS_WORDS:
        sign, tokens = -1, tokens[1:]
    if not tokens or tokens[0] in _CONNECTORS or tokens[-1] in _CONNECTORS:
        return None  # "vingt et" is unfinished
    words = [t for t in tokens if t not in _CONNECTORS]
    if len(words) == 2 and words[0] in _ONE and words[1] in _HUNDRED:
        words = words[1:]  # "one hundred", "a hundred", "een honderd"
    value = _words_value(words)
    return None if value is None else Decimal(sign * value)


def _words_value(tokens: list[str]) -> int | None:
    if not tokens or len(tokens) > 4:
        return None
    merged: list[int] = []
    i = 0
    while i < len(tokens):
        pair = " ".join(tokens[i : i + 2])
        if tokens[i] == "quatre" and i + 1 < len(tokens) and tokens[i + 1] in ("vingt", "vingts"):
            merged.append(80)  # French "quatre-vingt(s)"
            i += 2
        elif pair in _WORDS and " " in pair:
            merged.append(_WORDS[pair])  # "dix sept"
            i += 2
        elif tokens[i] in _WORDS:
            merged.append(_WORDS[tokens[i]])
            i += 1
        elif (compound := _DUTCH_COMPOUND.match(tokens[i])) is not None:
            merged.append(_DUTCH_UNITS[compound.group(1)] + _TENS[compound.group(2)])
            i += 1
        else:
            return None
    if len(merged) == 1:
        return merged[0]
    if len(merged) == 2:
        tens, unit = merged
        if tens in (20, 30, 40, 50, 60, 70, 80, 90) and 1 <= unit <= 9:
            return tens + unit
        if tens in (60, 80) and 10 <= unit <= 19:
            return tens + unit  # "soixante-douze", "quatre-vingt-dix"
    return None


# ------------------------------------------------------------------------------------- dates

_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("janvier", "januari", "enero", "january"),
    2: ("février", "februari", "febrero", "february"),
    3: ("mars", "maart", "marzo", "march"),
    4: ("avril", "april", "abril"),
    5: ("mai", "mei", "mayo", "may"),
    6: ("juin", "juni", "junio", "june"),
    7: ("juillet", "juli", "julio", "july"),
    8: ("août", "augustus", "agosto", "august"),
    9: ("septembre", "september", "septiembre", "setiembre"),
    10: ("octobre", "oktober", "octubre", "october"),
    11: ("novembre", "november", "noviembre"),
    12: ("décembre", "december", "diciembre"),
}
_MONTH_ABBREVIATIONS = {"mrt": 3, "maa": 3, "sep": 9, "set": 9, "okt": 10, "ene": 1}


def _month_table() -> dict[str, int]:
    table: dict[str, int] = {}
    full = {normalize(name): month for month, names in _MONTH_NAMES.items() for name in names}
    # Every prefix of 3+ letters that belongs to a single month: "déc", "sept", "febr", "janv".
    for name, month in full.items():
        for end in range(3, len(name) + 1):
            prefix = name[:end]
            owners = {m for n, m in full.items() if n.startswith(prefix)}
            if owners == {month}:
                table[prefix] = month
    table.update(full)
    table.update(_MONTH_ABBREVIATIONS)
    return table


_MONTHS = _month_table()
_WEEKDAYS = {
    normalize(name): day
    for day, names in enumerate(
        (
            ("lundi", "maandag", "lunes", "monday"),
            ("mardi", "dinsdag", "martes", "tuesday"),
            ("mercredi", "woensdag", "miércoles", "wednesday"),
            ("jeudi", "donderdag", "jueves", "thursday"),
            ("vendredi", "vrijdag", "viernes", "friday"),
            ("samedi", "zaterdag", "sábado", "saturday"),
            ("dimanche", "zondag", "domingo", "sunday"),
        )
    )
    for name in names
}
_NEXT_WORDS = _phrases("prochain, prochaine, volgende, próximo, próxima, next")
_RELATIVE_DAYS = {
    **dict.fromkeys(_phrases("aujourd'hui, aujourdhui, ce jour, vandaag, hoy, today"), 0),
    **dict.fromkeys(_phrases("demain, morgen, mañana, tomorrow"), 1),
    # Texting shorthand, as people type it on phones.
    **dict.fromkeys(_phrases("auj, ajd, aujd, 2day, tdy, vdg, vndg"), 0),
    **dict.fromkeys(
        _phrases(
            "dem1, 2main, dmain, mrgn, mrg, mñn, mñna, mnn, mna, 2moro, 2morrow, 2mrw, "
            "tmrw, tmr, tmw, tmrow, tomoz"
        ),
        1,
    ),
    **dict.fromkeys(_phrases("après-dem1, apres dem1, ovm, pasado mñn"), 2),
    **dict.fromkeys(
        _phrases(
            "après-demain, overmorgen, pasado mañana, day after tomorrow, the day after tomorrow"
        ),
        2,
    ),
    **dict.fromkeys(_phrases("hier, gisteren, ayer, yesterday"), -1),
}
_IN_DAYS = re.compile(
    r"^(?:dans|over|en|in)\s+(.+?)\s+(jours?|dagen|dag|dias?|days?|semaines?|weken|week|"
    r"semanas?|weeks?)$"
)
_DATE_FILLER = _phrases("le, el, la, the, on, of, de, del, den, op, a")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})(?:\2(\d{4}|\d{2}))?$")
_DAY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|er|e|eme|o|ste|de)?$")


def parse_date(text: str, today: date) -> date | None:
    """Read a date in any of the four languages.

    Accepts "2026-12-15", "15/12/2026", "15.12.26", "15 déc", "15 de diciembre",
    "December 15, 2026", "demain", "overmorgen", "pasado mañana", "vendredi", "dans 3 jours".
    A day and month without a year is their next occurrence on or after `today`; day/month
    order is European, month/day is tried only when day/month is impossible ("12/15").
    Impossible dates ("31/02") give None.

    Args:
        text: what the user typed.
        today: the user's current date (the engine passes it; parsing never reads a clock).

    Returns:
        The date, or None when the text is not a date.
    """
    if len(text) > MAX_INPUT_LENGTH:
        return None
    try:
        return _parse_date(text, today)
    except OverflowError:  # "demain" on 9999-12-31: no such date
        return None


def _parse_date(text: str, today: date) -> date | None:
    compact = re.sub(r"\s*([-/.])\s*", r"\1", fold(text).strip().rstrip(".!?"))
    if (iso := _ISO.match(compact)) is not None:
        return _valid(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    if (dmy := _DMY.match(compact)) is not None:
        first, second = int(dmy.group(1)), int(dmy.group(3))
        year = _full_year(dmy.group(4))
        if _valid_day_month(first, second):
            return _with_year(first, second, year, today)
        return _with_year(second, first, year, today)  # "12/15/2026", American order
    # "15dec", "3déc.", "15sept": a day glued to its month.
    words = re.sub(
        r"(?<=\d)(?=[a-z])(?!(?:st|nd|rd|th|er|eme|e|o|ste|de)\b)", " ", normalize(text)
    ).split()
    phrase = " ".join(words)
    whole = normalize(text)
    if whole in _RELATIVE_DAYS:  # before the split: "2moro" is not "2 moro"
        return today + timedelta(days=_RELATIVE_DAYS[whole])
    if phrase in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[phrase])
    if (later := _IN_DAYS.match(phrase)) is not None:
        count = _small_count(later.group(1))
        if count is None:
            return None
        unit = later.group(2)
        return today + timedelta(
            days=count * (1 if unit.startswith(("jour", "dag", "dia", "day")) else 7)
        )
    return _textual_date([w for w in words if w not in _DATE_FILLER], today)


def _textual_date(words: list[str], today: date) -> date | None:
    """Read words such as "15 décembre 2026", "dec 15", "lundi 15 décembre", "next friday"."""
    weekday: int | None = None
    strictly_after = False
    rest: list[str] = []
    for word in words:
        if word in _WEEKDAYS:
            weekday = _WEEKDAYS[word]
        elif word in _NEXT_WORDS:
            strictly_after = True
        else:
            rest.append(word)
    if not rest:
        if weekday is None:
            return None
        ahead = (weekday - today.weekday()) % 7
        return today + timedelta(days=7 if ahead == 0 and strictly_after else ahead)
    day = month = year = None
    for word in rest:
        if word in _MONTHS and month is None:
            month = _MONTHS[word]
        elif (found := _DAY.match(word)) is not None and day is None:
            day = int(found.group(1))
        elif re.fullmatch(r"\d{4}", word) and year is None and day is not None:
            year = int(word)
        else:
            return None
    if day is None or month is None:
        return None
    return _with_year(day, month, year, today)


def _small_count(text: str) -> int | None:
    if text.isdigit():
        return int(text) if len(text) <= 3 else None
    return 1 if text in _ONE else _WORDS.get(text)


def _full_year(text: str | None) -> int | None:
    if text is None:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def _valid_day_month(day: int, month: int) -> bool:
    return _valid(2000, month, day) is not None  # 2000 is a leap year: 29/02 is possible


def _valid(year: int, month: int, day: int) -> date | None:
    if not 1900 <= year <= 2200:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _with_year(day: int, month: int, year: int | None, today: date) -> date | None:
    if year is not None:
        return _valid(year, month, day)
    # The next occurrence on or after today; 29/02 may be up to eight years away.
    for candidate_year in range(today.year, today.year + 9):
        candidate = _valid(candidate_year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None

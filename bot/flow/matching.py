"""Understanding a typed answer to a question with options.

Users type on phones, over slow links, in four languages, with typos. `OptionMatcher` is built
once per question and reads a typed answer as one option (`match`) or several (`match_many`).

The rule above all: **never silently accept a wrong option**. An answer is *accepted* only when
it is an option number, an exact label or synonym, the words of exactly one option, or a typo
clearly closer to one option than to any other. Anything plausible but doubtful is *unsure* (the
engine asks "Did you mean …?"), the rest is *none* (the engine asks again).

Stages of `match`, first hit wins:

1. exact normalized label or synonym;
   — unsure, naming both, when a synonym is also the opening of another option's label
   ("ja" is a synonym of "Ja, eenmalig" and the first word of "Ja, jaarlijks opgevolgd");
2. option number: digits, "n°2", "option 2", "2nd", "deux", "tweede", "tercero", "three",
   keycap emoji ("3️⃣");
3. word cover: every significant typed word is a word (or a prefix of ≥ 4 letters of a word)
   of one option's phrase; two or more options covered → unsure; a single short word that is
   only the start of a longer label ("plus" for "Plus de 20", "drink") → unsure;
4. fuzzy (rapidfuzz): accepted only when the best option is far enough ahead of the runner-up.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

# The tables and normalization live in `bot.flow.words`; they stay importable from here.
from bot.flow.words import DONE_WORDS as DONE_WORDS
from bot.flow.words import NEGATIONS as NEGATIONS
from bot.flow.words import NONE_WORDS as NONE_WORDS
from bot.flow.words import ORDINAL_WORDS as ORDINAL_WORDS
from bot.flow.words import SMALL_NUMBER_WORDS as SMALL_NUMBER_WORDS
from bot.flow.words import STOPWORDS as STOPWORDS
from bot.flow.words import fold as fold
from bot.flow.words import normalize as normalize

Status = Literal["accepted", "unsure", "none"]

ACCEPT_SCORE = 88.0
"""Fuzzy score (0–100) from which a match may be accepted without asking."""
UNSURE_SCORE = 72.0
"""Fuzzy score from which a match is worth a "Did you mean …?"."""
SHORT_WORD_SCORE = 85.0
"""Fuzzy score a typed word of 4–5 letters needs to count as a typo of an option's word."""
COMPOUND_SCORE = 90.0
"""Score of a typed word found inside a longer word of an option ("klimaat" in "klimaatactie")."""
MIN_COMPOUND_PART = 5
"""Typed words shorter than this are never looked for inside longer words."""
MARGIN = 8.0
"""How far the best option must be ahead of the runner-up to be accepted."""
MIN_FUZZY_LENGTH = 4
"""Inputs shorter than this (letters, spaces excluded) must match exactly: "n", "ok", "non"."""
MIN_PREFIX_LENGTH = 4
"""A typed word shorter than this counts only as a whole word, never as a prefix."""
NOISE_PENALTY = 5.0
"""Score lost for each typed word that belongs to no option ("je veux", "of them")."""
MAX_OPENING_WORD = 5
"""A typed word this short that only opens a longer label is confirmed, not recorded."""
MAX_INPUT_LENGTH = 300
"""Longer texts are messages, not answers; refusing them early also bounds the work done."""

_NEGATIVE = re.compile(r"^\s*[-−]\s*\d")

_NUMBER_PREFIX = re.compile(
    r"^(?:(?:option|optie|opcion|choix|choice|keuze|numero|nummer|number|nr|num|"
    r"reponse|antwoord|respuesta|answer|le|la|l|de|het|el|the)\s+)+"
)
_DIGIT_ORDINAL = re.compile(r"^(\d{1,3})(?:st|nd|rd|th|er|ere|e|eme|ieme|de|ste|o|a)?$")

_CONJUNCTIONS = frozenset(
    re.findall(r"\w+", "et ou plus aussi en of ook y e o tambien and or also")
)
_RANGE = re.compile(
    r"^(?:de|du|van|from|del|entre)?\s*(\w+)\s*(?:-|a|au|jusqu a|tot|t m|tm|to|till|"
    r"through|hasta|al)\s*(\w+)$"
)
_HARD_SEPARATORS = re.compile(r"[,;\n+&|]+|\s/\s")
_SPACED_DASH = re.compile(r"(\d)\s*[-–—]\s*(\d)")


@dataclass(frozen=True)
class Choice:
    """One option of a question: its id and every phrase that names it (raw, any language).

    The first `labels` phrases are the option's labels (the rest are synonyms): a typed label
    is taken as it is, a synonym that also names another option is confirmed.
    """

    id: str
    phrases: tuple[str, ...]
    labels: int = 1


@dataclass(frozen=True)
class MatchResult:
    """How a typed answer reads as one option.

    `value` is the accepted option, or for `unsure` the best guess to confirm; `alternatives`
    are the other plausible options (for `unsure`), best first. `score` is 0–100. `tie` means
    the first alternatives fit exactly as well as `value`: there is no best guess, the person
    must choose between them.
    """

    status: Status
    value: str | None
    score: float
    alternatives: tuple[str, ...] = ()
    tie: bool = False


@dataclass(frozen=True)
class MultiMatchResult:
    """How a typed answer reads as several options.

    `values` were understood, `unsure` need a confirmation, `unknown` are the typed parts that
    were not understood. `status` is accepted when everything was understood, none when nothing
    was, unsure otherwise.
    """

    status: Status
    values: tuple[str, ...]
    unsure: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()


NO_MATCH = MatchResult("none", None, 0.0)


def _words(phrase: str) -> list[str]:
    return [w for w in phrase.split() if w not in STOPWORDS]


class OptionMatcher:
    """Reads typed answers against one question's options; build it once per question."""

    def __init__(self, choices: Sequence[Choice]) -> None:
        """Precompute the normalized phrases and words of `choices`.

        Raises:
            ValueError: when there are no choices or two share an id.
        """
        if not choices:
            raise ValueError("an option question needs at least one choice")
        ids = [choice.id for choice in choices]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate choice ids in {ids}")
        self.ids: tuple[str, ...] = tuple(ids)
        self._exact: dict[str, list[int]] = {}
        self._labels: dict[int, frozenset[str]] = {}
        self._phrases: list[str] = []
        self._phrase_owner: list[int] = []
        word_owners: dict[str, set[int]] = {}
        for index, choice in enumerate(choices):
            self._labels[index] = frozenset(
                normalize(raw) for raw in choice.phrases[: max(choice.labels, 1)]
            )
            for phrase in _spellings(normalize(raw) for raw in choice.phrases):
                owners = self._exact.setdefault(phrase, [])
                if index not in owners:
                    owners.append(index)
                    self._phrases.append(phrase)
                    self._phrase_owner.append(index)
                for word in _words(phrase):
                    word_owners.setdefault(word, set()).add(index)
        self._sorted_phrases = [" ".join(sorted(p.split())) for p in self._phrases]
        self._words = list(word_owners)
        self._word_owners = [frozenset(word_owners[w]) for w in self._words]
        self._word_index = {w: i for i, w in enumerate(self._words)}
        # All words in one string, so finding the words that start with or contain a typed
        # word is a C-speed `str.find` instead of a Python loop over every word.
        self._joined = "\n" + "\n".join(self._words) + "\n"
        self._word_starts = list(
            itertools.accumulate((len(w) + 1 for w in self._words[:-1]), initial=1)
        )
        # When labels are themselves numbers ("5", "10", "15"), a typed digit that is not a
        # label may still mean one: reading it as an option number then needs a confirmation.
        self._numeric_labels = any(p.replace(" ", "").isdigit() for p in self._exact)

    def __len__(self) -> int:
        return len(self.ids)

    def match(self, text: str) -> MatchResult:
        """Read `text` as one option.

        Args:
            text: what the user typed.

        Returns:
            accepted with the option id, unsure with the best guess and alternatives, or none.
        """
        if len(text) > MAX_INPUT_LENGTH or _NEGATIVE.match(text):
            return NO_MATCH  # "-1" is not option 1
        query = normalize(text)
        return self._match_normalized(query) if query else NO_MATCH

    def match_many(self, text: str) -> MultiMatchResult:
        """Read `text` as several options: "1, 3 et 5", "1 3 5", "2-4", "eau, climat", "1 y 3".

        Args:
            text: what the user typed.

        Returns:
            The understood option ids in typed order (no duplicates), those needing a
            confirmation, and the parts that were not understood.
        """
        if len(text) > MAX_INPUT_LENGTH:
            return MultiMatchResult("none", (), (), (text[:40],))
        whole = self.match(text)
        if whole.status == "accepted" and whole.score >= 100.0 and whole.value is not None:
            return MultiMatchResult("accepted", (whole.value,))
        values: list[str] = []
        unsure: list[str] = []
        unknown: list[str] = []
        for segment in _HARD_SEPARATORS.split(_SPACED_DASH.sub(r"\1-\2", text)):
            query = normalize(segment)
            if query:
                self._read_segment(query, values, unsure, unknown)
        unsure = [value for value in dict.fromkeys(unsure) if value not in values]
        if values and not unsure and not unknown:
            status: Status = "accepted"
        elif not values and not unsure:
            status = "none"
        else:
            status = "unsure"
        return MultiMatchResult(status, tuple(values), tuple(unsure), tuple(unknown))

    # -- one option -------------------------------------------------------------------------

    def _match_normalized(self, query: str) -> MatchResult:
        owners = self._exact.get(query)
        if owners:
            # A synonym that also opens another option's label names both: "ja" to
            # "Ja, jaarlijks opgevolgd" / "Ja, eenmalig" (synonym "ja") is not a silent pick.
            others = [
                index
                for index, labels in self._labels.items()
                if index not in owners and any(label.startswith(query + " ") for label in labels)
            ]
            if others and not self._is_label_of(query, owners):
                return self._result([*owners, *others], 100.0, sure=False)
            return self._result(owners, 100.0, sure=len(owners) == 1)
        number = _option_number(query)
        if number is not None:
            if 1 <= number <= len(self.ids):
                status: Status = "unsure" if self._numeric_labels else "accepted"
                return MatchResult(status, self.ids[number - 1], 100.0)
            return NO_MATCH
        covered = self._cover(query)
        if covered is not None:
            candidates, exact_words = covered
            if len(candidates) == 1:
                score = 95.0 if exact_words else 90.0
                status = "unsure" if self._only_opens(query, candidates[0]) else "accepted"
                return MatchResult(status, self.ids[candidates[0]], score)
            return self._ranked_unsure(query, candidates)
        return self._fuzzy(query)

    def _is_label_of(self, query: str, owners: Sequence[int]) -> bool:
        """Whether `query` is a label (not only a synonym) of one of `owners`."""
        return any(query in self._labels.get(owner, ()) for owner in owners)

    def _only_opens(self, query: str, owner: int) -> bool:
        """A single short typed word that only opens the option's longer phrases.

        "plus" for "Plus de 20", "pas" for "Pas du tout", "drink" for "Drinking water": a
        real word of its own that may mean something else ("plus tard", "pas encore"). A
        shortened one-word label ("coord" for "Coordinateur") is not in doubt.
        """
        tokens = _words(query)
        if len(tokens) != 1 or len(tokens[0]) > MAX_OPENING_WORD:
            return False
        token = tokens[0]
        opens = False
        for phrase, phrase_owner in zip(self._phrases, self._phrase_owner, strict=True):
            if phrase_owner != owner:
                continue
            words = _words(phrase)
            if token in words[1:] or len(words) == 1:
                return False  # a word of its own in the label, or a one-word label
            opens = opens or (bool(words) and words[0].startswith(token))
        return opens

    def _result(self, owners: Sequence[int], score: float, *, sure: bool) -> MatchResult:
        ids = tuple(self.ids[i] for i in owners)
        return MatchResult(
            "accepted" if sure else "unsure", ids[0], score, ids[1:], tie=len(ids) > 1
        )

    def _cover(self, query: str) -> tuple[list[int], bool] | None:
        """Options whose words cover every significant typed word, or None if no option does."""
        tokens = _words(query)
        if not tokens:
            return None
        candidates: set[int] | None = None
        exact_words = True
        for token in tokens:
            owners: set[int] = set()
            index = self._word_index.get(token)
            if index is not None:
                # A whole word typed names the options that have it, even when it is also the
                # start of a longer word elsewhere ("agua" vs "aguas residuales").
                owners |= self._word_owners[index]
            elif len(token) >= MIN_PREFIX_LENGTH:
                for found in self._words_with(token, prefix=True):
                    owners |= self._word_owners[found]
                exact_words = False
            candidates = owners if candidates is None else candidates & owners
            if not candidates:
                return None
        assert candidates is not None  # tokens is not empty
        return sorted(candidates), exact_words

    def _words_with(self, part: str, *, prefix: bool) -> set[int]:
        """Indexes of the option words that start with (or, if not `prefix`, contain) `part`."""
        found: set[int] = set()
        needle = "\n" + part if prefix else part
        at = self._joined.find(needle)
        while at >= 0:
            found.add(bisect.bisect_right(self._word_starts, at + (1 if prefix else 0)) - 1)
            at = self._joined.find(needle, at + 1)
        return found

    def _scores(self, query: str) -> dict[int, float]:
        """Best fuzzy score per option, from whole phrases and from single words."""
        scores: dict[int, float] = {}
        # Whole phrases: plain and word-order-insensitive similarity. No partial scorers: a
        # label found inside a longer answer ("eau climat") must not count as a match.
        # (Token-sort ratio is plain ratio on words sorted beforehand: much faster that way.)
        for typed, phrases in (
            (query, self._phrases),
            (" ".join(sorted(query.split())), self._sorted_phrases),
        ):
            for _, score, index in process.extract(
                typed,
                phrases,
                scorer=fuzz.ratio,
                processor=None,
                limit=None,
                score_cutoff=UNSURE_SCORE,
            ):
                owner = self._phrase_owner[index]
                scores[owner] = max(scores.get(owner, 0.0), score)
        for owner, score in self._word_scores(_words(query)).items():
            scores[owner] = max(scores.get(owner, 0.0), score)
        return scores

    def _word_scores(self, tokens: Sequence[str]) -> dict[int, float]:
        """Score options on the typed words: a typo in one word of a long label.

        Each option gets the mean, over typed words, of its closest word (a typed word found in
        other options but not this one counts 0). Typed words found in no option at all ("je
        veux", "of them") are noise: left out of the mean but each costs `NOISE_PENALTY`.
        Negations are never noise: "pas le climat" must not read as "climat".
        """
        sums: dict[int, float] = {}
        counted = noise = 0
        for token in tokens:
            best: dict[int, float] = {}
            if len(token) < MIN_FUZZY_LENGTH:
                # Short words must be exact: a typo in three letters is another word.
                exact = self._word_index.get(token)
                hits: list[tuple[str, float, int]] = (
                    [] if exact is None else [(token, 100.0, exact)]
                )
            else:
                # One substitution in a 4–5 letter word scores 75–80 and is often another
                # word ("veux"/"eaux"): short words need a closer match.
                cutoff = UNSURE_SCORE if len(token) >= 6 else SHORT_WORD_SCORE
                hits = process.extract(
                    token,
                    self._words,
                    scorer=fuzz.ratio,
                    processor=None,
                    limit=None,
                    score_cutoff=cutoff,
                )
            if len(token) >= MIN_COMPOUND_PART:
                # Dutch glues words together: "gelijkheid" is in "gendergelijkheid" and in
                # "ongelijkheid" alike, which must then tie rather than favour the shorter.
                hits.extend(
                    (self._words[index], COMPOUND_SCORE, index)
                    for index in self._words_with(token, prefix=False)
                    if self._words[index] != token
                )
            for _, score, index in hits:
                for owner in self._word_owners[index]:
                    best[owner] = max(best.get(owner, 0.0), score)
            if not best and token not in NEGATIONS:
                noise += 1
                continue
            counted += 1
            for owner, score in best.items():
                sums[owner] = sums.get(owner, 0.0) + score
        if not counted:
            return {}
        return {owner: total / counted - NOISE_PENALTY * noise for owner, total in sums.items()}

    def _fuzzy(self, query: str) -> MatchResult:
        if len(query.replace(" ", "")) < MIN_FUZZY_LENGTH:
            return NO_MATCH
        ranked = sorted(self._scores(query).items(), key=lambda item: -item[1])
        if not ranked or ranked[0][1] < UNSURE_SCORE:
            return NO_MATCH
        best, best_score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        close = tuple(
            self.ids[owner]
            for owner, score in ranked[1:]
            if score >= UNSURE_SCORE and score > best_score - MARGIN
        )
        if best_score >= ACCEPT_SCORE and best_score - runner_up >= MARGIN:
            return MatchResult("accepted", self.ids[best], best_score)
        return MatchResult("unsure", self.ids[best], best_score, close)

    def _ranked_unsure(self, query: str, candidates: Sequence[int]) -> MatchResult:
        """Several options contain the typed words: ask, best fuzzy guess first."""
        scores = self._scores(query)
        ordered = sorted(candidates, key=lambda owner: -scores.get(owner, 0.0))
        best = scores.get(ordered[0], 0.0)
        return MatchResult(
            "unsure",
            self.ids[ordered[0]],
            best,
            tuple(self.ids[owner] for owner in ordered[1:]),
            tie=scores.get(ordered[1], 0.0) >= best - 1.0,
        )

    # -- several options ----------------------------------------------------------------------

    def _read_segment(
        self, query: str, values: list[str], unsure: list[str], unknown: list[str]
    ) -> None:
        """Read one comma-separated part of a multi answer into the three lists."""
        span = self._range(query)
        if span is not None:
            if span:
                _extend(values, span)
            else:
                unknown.append(query)
            return
        whole = self._match_normalized(query)
        tokens = query.split()
        parts = _split_conjunctions(tokens)
        if len(parts) > 1:
            results = [(part, self._match_normalized(part)) for part in parts]
            # A label with a conjunction in it ("Eau et assainissement") stays whole, but a
            # fuzzy reading of the whole must not swallow a part nobody understood.
            is_label = query in self._exact or self._cover(query) is not None
            if (
                whole.status == "accepted"
                and is_label
                and not all(r.status == "accepted" for _, r in results)
            ):
                results = [(query, whole)]
        elif whole.status == "accepted" or len(tokens) == 1:
            results = [(query, whole)]
        else:
            # "1 3 5" or "eau climat": several answers separated by spaces only.
            singles = [(t, self._match_normalized(t)) for t in tokens if t not in STOPWORDS]
            if whole.status == "unsure" and not all(r.status == "accepted" for _, r in singles):
                results = [(query, whole)]
            else:
                results = singles
        for part, result in results:
            if result.value is None:
                unknown.append(part)
            elif result.status == "accepted":
                _extend(values, [result.value])
            else:
                unsure.append(result.value)

    def _range(self, query: str) -> list[str] | None:
        """Option ids of a range "2-4", "2 à 4", "van 2 tot 4".

        Returns [] when a bound is not an option number, None when the text is not a range.
        """
        found = _RANGE.match(query)
        if found is None:
            return None
        low, high = _option_number(found.group(1)), _option_number(found.group(2))
        if low is None or high is None:
            return None
        if not 1 <= low < high <= len(self.ids):
            return []
        return list(self.ids[low - 1 : high])


def _spellings(phrases: Iterable[str]) -> list[str]:
    """The phrases plus the spellings people type for them: Dutch "ij" as "y" ("jaarlyks").

    Variants are added rather than folded, so Spanish "Tarija" or "hijo" stay as they are.
    """
    out: dict[str, None] = {}
    for phrase in phrases:
        if phrase:
            out[phrase] = None
            out[phrase.replace("ij", "y")] = None
    return list(out)


def _option_number(query: str) -> int | None:
    """The option number a text names ("2", "n°2", "option 2", "2nd", "deux", "tweede")."""
    text = _NUMBER_PREFIX.sub("", query)
    found = _DIGIT_ORDINAL.match(text)
    if found is not None:
        return int(found.group(1))
    if text in SMALL_NUMBER_WORDS:
        return SMALL_NUMBER_WORDS[text]
    return ORDINAL_WORDS.get(text)


def _split_conjunctions(tokens: Sequence[str]) -> list[str]:
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token in _CONJUNCTIONS:
            if parts[-1]:
                parts.append([])
        else:
            parts[-1].append(token)
    return [" ".join(part) for part in parts if part]


def _extend(values: list[str], new: Iterable[str]) -> None:
    for value in new:
        if value not in values:
            values.append(value)

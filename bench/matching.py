"""Answer matching time per typed answer (``bot.flow.matching``), on realistic inputs.

Questions are every option question of the shipped flows (labels in the four languages plus
synonyms, as `OptionSet` builds them), the SDG reader and the municipality lookup (the biggest
matcher: every municipality the bot knows). Inputs are what people type on a phone: option
numbers in digits or words, labels in any language, synonyms, typos, words cut short, upper
case without accents, several answers at once, small talk and long messages. Each matcher is
built once, as the bot caches it per question; one pass warms up, then every input is timed.
"""

from __future__ import annotations

import random
import statistics
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.procs import ROOT
from bot.content import load_catalogue
from bot.flow.matching import Choice, OptionMatcher

__all__ = ["MatchTimes", "cases", "measure"]

NOISE = ("je ne sais pas", "ok", "?", "👍", "peut-être plus tard", "c'est quoi un ODD ?",
         "bonjour", "merci beaucoup", "hmm", "non merci", "attendez", "1000")  # fmt: skip
LONG = ("Bonjour, je suis l'agent de développement local de la commune et je voudrais savoir "
        "comment remplir ce questionnaire avec mes collègues du service environnement, car nous "
        "n'avons pas encore de plan climat adopté par le conseil communal.")  # fmt: skip
NUMBER_WORDS = ("un", "deux", "trois", "twee", "tres", "four", "n°2", "option 3", "2.", "(1)")


@dataclass(frozen=True)
class MatchTimes:
    """Timings of every typed answer, in microseconds, and how many there were."""

    micros: list[float]
    questions: int


def _phrases(value: Any) -> list[str]:
    """Every string in a label or synonyms entry (a string, a list or a map by language)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _phrases(item)]
    return []


def _questions(flows: Path) -> Iterator[tuple[list[Choice], bool]]:
    """(choices, several answers allowed) of every option question in the flows."""
    for path in sorted(flows.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for step in data.get("steps", []):
            options = step.get("options") if isinstance(step, dict) else None
            if not isinstance(options, list):
                continue
            choices = []
            for option in options:
                phrases = _phrases(option.get("label")) + _phrases(option.get("synonyms"))
                choices.append(Choice(str(option["id"]), tuple(p for p in phrases if "{" not in p)))
            yield choices, step.get("kind") == "multi"


def _typo(word: str, rng: random.Random) -> str:
    """One slip of the thumb: a letter dropped, doubled, swapped or replaced."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]


def _plain_upper(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def _inputs(phrases: list[str], count: int, rng: random.Random) -> list[str]:
    """Realistic answers to a question whose options are named by ``phrases``."""
    typed = [str(rng.randint(1, max(1, count))), rng.choice(NUMBER_WORDS), rng.choice(NOISE), LONG]
    for phrase in rng.sample(phrases, min(4, len(phrases))):
        words = phrase.split()
        typed += [
            phrase,
            _typo(phrase, rng),
            _plain_upper(phrase),
            words[0][: max(4, len(words[0]) // 2)],
        ]
    return typed


def cases(seed: int = 7) -> tuple[list[tuple[Callable[[str], object], str]], int]:
    """(matching function, typed text) pairs over every question, the SDGs and municipalities.

    Returns:
        The pairs, and how many questions (matchers) they cover.
    """
    rng = random.Random(seed)
    found: list[tuple[Callable[[str], object], str]] = []
    questions = 0
    for choices, several in _questions(ROOT / "flows"):
        matcher = OptionMatcher(choices)
        phrases = [p for c in choices for p in c.phrases]
        read: Callable[[str], object] = matcher.match_many if several else matcher.match
        texts = _inputs(phrases, len(choices), rng)
        if several:
            texts += ["1, 3", "2 et 4", f"{choices[0].phrases[0]}, {choices[-1].phrases[0]}"]
        found += [(read, text) for text in texts]
        questions += 1
    catalogue = load_catalogue()
    goal_phrases = [p for goal in catalogue.sdgs.goals for p in goal.names.values()]
    sdg_texts = ["13 11", "ODD 16", "sdg13", "5, 13 et agua", "klimaat", "climat et eau"]
    sdg_texts += _inputs(goal_phrases, 17, rng)
    found += [(catalogue.sdgs.match, text) for text in sdg_texts]
    for country, matcher in catalogue.municipality_matchers.items():
        names = [e.name for e in catalogue.municipalities if not country or e.country == country]
        found += [(matcher.match, text) for text in _inputs(names, 0, rng)[2:]]
        questions += 1
    return found, questions + 1  # + the SDG reader


def measure(rounds: int = 5) -> MatchTimes:
    """Time every case ``rounds`` times after one warm-up pass; keep each case's median.

    The median of a few timings of the same input is its cost without the scheduling noise
    of other processes on a small machine (a single timing can include a preemption).
    """
    pairs, questions = cases()
    for read, text in pairs:
        read(text)
    clock = time.perf_counter_ns
    timings: list[list[float]] = [[] for _ in pairs]
    for _ in range(rounds):
        for index, (read, text) in enumerate(pairs):
            started = clock()
            read(text)
            timings[index].append((clock() - started) / 1000)
    return MatchTimes([statistics.median(t) for t in timings], questions)

"""The 17 Sustainable Development Goals and the 5 Ps, and reading goals from typed text.

Built from `content/sdgs.yaml` (`SdgCatalogue.from_data`). `SdgCatalogue.match` understands
"16", "ODD 16", "SDG16", "objetivo 5", "doel 13", a goal's name or a word of it in any of the
four languages ("paz justicia", "égalité des sexes"), its keywords ("klimaat", "agua"), and lists
("5, 13 et agua"). It reuses `OptionMatcher`, with the goals as options numbered 1 to 17.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from bot.flow.matching import Choice, MultiMatchResult, OptionMatcher, Status
from bot.i18n import LANGUAGES
from bot.text import fold

GOAL_COUNT = 17
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
# "ODD 16", "SDG16", "ods nº 5", "objetivo 5", "doel 13", "goal 3", "SDG's 4": keep the number.
_GOAL_PREFIX = re.compile(
    r"\b(?:odd|ods|sdgs?|ddo|obj|objectifs?|objetivos?|doelen|doel|doelstelling|goals?)"
    r"(?:\s*'?s)?[\s:-]*(?:n\s*[°º.]?|nr\.?|no\.?|#)?\s*(?=\d)"
)


@dataclass(frozen=True)
class Goal:
    """One goal: its number, short names and descriptions per language, keywords, P, colour."""

    number: int
    names: Mapping[str, str]
    descriptions: Mapping[str, str]
    keywords: Mapping[str, tuple[str, ...]]
    p: str
    color: str

    def name(self, lang: str) -> str:
        """The official short name in `lang` (English if `lang` is unknown)."""
        return self.names.get(lang) or self.names["en"]


@dataclass(frozen=True)
class Pillar:
    """One of the 5 Ps of the 2030 Agenda (people, planet, prosperity, peace, partnership)."""

    id: str
    names: Mapping[str, str]
    goals: tuple[int, ...]


@dataclass(frozen=True)
class SdgMatch:
    """Goals read from a typed answer: accepted, to confirm (`unsure`), and parts not understood."""

    status: Status
    numbers: tuple[int, ...]
    unsure: tuple[int, ...] = ()
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class SdgCatalogue:
    """The 17 goals (numbered 1–17, in order) and the 5 Ps."""

    goals: tuple[Goal, ...]
    pillars: tuple[Pillar, ...]

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SdgCatalogue:
        """Build the catalogue from the parsed `content/sdgs.yaml`.

        Args:
            data: a mapping with `goals:` (17 entries) and `pillars:` lists.

        Raises:
            ValueError: naming every problem found (missing language, wrong colour, a goal in
                no pillar or in two, a `p:` that disagrees with the pillars, …).
        """
        problems: list[str] = []
        goals = tuple(
            sorted(
                (_goal(raw, problems) for raw in _list(data, "goals", problems)),
                key=lambda goal: goal.number,
            )
        )
        pillars = tuple(_pillar(raw, problems) for raw in _list(data, "pillars", problems))
        if [goal.number for goal in goals] != list(range(1, GOAL_COUNT + 1)):
            problems.append(f"goals must be numbered 1 to {GOAL_COUNT}, once each")
        owner: dict[int, str] = {}
        for pillar in pillars:
            for number in pillar.goals:
                if number in owner:
                    problems.append(f"goal {number} is in pillars {owner[number]} and {pillar.id}")
                owner[number] = pillar.id
        for goal in goals:
            if owner.get(goal.number) != goal.p:
                problems.append(
                    f"goal {goal.number} has p: {goal.p} but is listed in pillar "
                    f"{owner.get(goal.number, '(none)')}"
                )
        if problems:
            raise ValueError("content/sdgs.yaml: " + "; ".join(problems))
        return cls(goals, pillars)

    def goal(self, number: int) -> Goal:
        """The goal numbered `number` (1–17).

        Raises:
            KeyError: when there is no such goal.
        """
        if not 1 <= number <= len(self.goals):
            raise KeyError(number)
        return self.goals[number - 1]

    def name(self, number: int, lang: str) -> str:
        """The short name of goal `number` in `lang` ("Klimaatactie")."""
        return self.goal(number).name(lang)

    def pillar_of(self, number: int) -> Pillar:
        """The P that goal `number` belongs to.

        Raises:
            KeyError: when there is no such goal.
        """
        p = self.goal(number).p
        return next(pillar for pillar in self.pillars if pillar.id == p)

    @cached_property
    def matcher(self) -> OptionMatcher:
        """An option matcher over the goals: option number n is goal n."""
        return OptionMatcher([_choice(goal) for goal in self.goals])

    def match(self, text: str) -> SdgMatch:
        """Read one or several goals from `text`: "16", "ODD 16", "klimaat", "5, 13 et agua".

        Args:
            text: what the user typed.

        Returns:
            The goals understood (in typed order), those to confirm, and the parts not
            understood; the status is accepted only when everything was understood.
        """
        found: MultiMatchResult = self.matcher.match_many(_GOAL_PREFIX.sub(" ", fold(text)))
        return SdgMatch(
            found.status,
            tuple(int(value) for value in found.values),
            tuple(int(value) for value in found.unsure),
            found.unknown,
        )


def _choice(goal: Goal) -> Choice:
    phrases = [*goal.names.values()]
    for words in goal.keywords.values():
        phrases.extend(words)
    return Choice(str(goal.number), tuple(phrases))


def _list(data: Mapping[str, Any], key: str, problems: list[str]) -> Sequence[Mapping[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        problems.append(f"`{key}:` must be a list of mappings")
        return []
    return value


def _texts(raw: Mapping[str, Any], key: str, where: str, problems: list[str]) -> dict[str, str]:
    value = raw.get(key)
    texts = (
        {lang: str(text).strip() for lang, text in (value or {}).items()}
        if isinstance(value, Mapping)
        else {}
    )
    missing = [lang for lang in LANGUAGES if not texts.get(lang)]
    if missing:
        problems.append(f"{where}: `{key}` lacks {', '.join(missing)}")
    return texts


def _goal(raw: Mapping[str, Any], problems: list[str]) -> Goal:
    number = raw.get("number")
    where = f"goal {number}"
    if not isinstance(number, int) or isinstance(number, bool):
        problems.append(f"{where}: `number` must be an integer")
        number = 0
    keywords: dict[str, tuple[str, ...]] = {}
    raw_keywords = raw.get("keywords")
    for lang in LANGUAGES:
        words = raw_keywords.get(lang) if isinstance(raw_keywords, Mapping) else None
        if not isinstance(words, list) or not words:
            problems.append(f"{where}: `keywords` lacks {lang}")
            words = []
        keywords[lang] = tuple(str(word) for word in words)
    color = str(raw.get("color", ""))
    if not _COLOR.match(color):
        problems.append(f"{where}: `color` must look like #RRGGBB, not {color!r}")
    return Goal(
        number=number,
        names=_texts(raw, "names", where, problems),
        descriptions=_texts(raw, "descriptions", where, problems),
        keywords=keywords,
        p=str(raw.get("p", "")),
        color=color.upper(),
    )


def _pillar(raw: Mapping[str, Any], problems: list[str]) -> Pillar:
    pillar_id = str(raw.get("id", ""))
    goals = raw.get("goals")
    if not isinstance(goals, list) or not all(isinstance(g, int) for g in goals):
        problems.append(f"pillar {pillar_id}: `goals` must be a list of goal numbers")
        goals = []
    return Pillar(pillar_id, _texts(raw, "names", f"pillar {pillar_id}", problems), tuple(goals))

"""The shared content flows draw on: system messages, SDGs, countries, municipalities, glossary.

Plain frozen data, loaded from `content/` by `bot.content` and handed to the engine, which never
reads files itself while a conversation runs. It also carries the registry of functions flow
expressions may call: the engine's built-ins unless the caller gives more (`bot.content` gives the
missions' functions), so the engine never imports domain code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from bot.flow.builtins import BUILTINS
from bot.flow.matching import Choice, OptionMatcher
from bot.flow.sdgs import SdgCatalogue
from bot.i18n import Localized, Messages


@dataclass(frozen=True)
class Country:
    """A country of the programme: ISO code, names, default time zone, names people type."""

    code: str
    names: Localized
    timezone: str
    languages: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class MunicipalityEntry:
    """A municipality known in advance (Flemish municipalities, partner municipalities)."""

    name: str
    country: str
    region: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """Everything in `content/` that flows and the engine use."""

    messages: Messages
    sdgs: SdgCatalogue
    countries: tuple[Country, ...] = ()
    municipalities: tuple[MunicipalityEntry, ...] = ()
    glossary: Mapping[str, Localized] = field(default_factory=dict)
    functions: Mapping[str, Callable[..., Any]] = field(
        default_factory=lambda: BUILTINS, repr=False
    )
    """Functions flow expressions may call, by name (loading checks every call against it)."""

    def country(self, code: str | None) -> Country | None:
        """The country with ISO code `code`, if known."""
        for country in self.countries:
            if country.code == (code or "").upper():
                return country
        return None

    @cached_property
    def municipality_matchers(self) -> dict[str, OptionMatcher]:
        """A fuzzy matcher of municipality names per country ("" = all countries)."""
        by_country: dict[str, list[Choice]] = {"": []}
        for entry in self.municipalities:
            choice = Choice(entry.name, (entry.name, *entry.aliases))
            by_country.setdefault(entry.country, []).append(choice)
            by_country[""].append(choice)
        return {code: OptionMatcher(choices) for code, choices in by_country.items()}

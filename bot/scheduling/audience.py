"""Who a broadcast or a deadline is for: audience terms, parsed and resolved to users.

Terms are ``all``, ``role:R``, ``kind:K``, ``country:CC``, ``municipality:NAME``, ``language:xx``,
``partnership:ID`` (both municipalities of a twinning; ``partnership:*`` any active twinning) and
``side:north|south`` (the Flemish or the partner side of any active twinning). Terms of the same
kind widen the audience (``country:BJ country:SN``: Benin or Senegal), terms of different kinds
narrow it (``country:BE role:user``: Belgian users). People who stopped messages (``opted_out``),
blocked the bot, or only use the console are never in an audience.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.flow.catalogue import Catalogue
from bot.i18n import LANGUAGES
from bot.scheduling.timing import DEFAULT_ZONE, is_zone
from bot.storage.models import ROLES, Municipality, Partnership, User
from bot.storage.tx import Tx
from bot.text import fold

TERM_KINDS = ("all", "role", "kind", "country", "municipality", "language", "partnership", "side")
# A terminal session cannot be written to later; the web console's simulator (sandbox) neither.
UNREACHABLE_CHANNELS = frozenset({"console", "sandbox"})


@dataclass(frozen=True)
class Term:
    """One audience term, e.g. ``Term("country", "BE")``."""

    kind: str
    value: str = ""

    def __str__(self) -> str:
        return self.kind if self.kind == "all" else f"{self.kind}:{self.value}"


def parse_term(raw: str) -> Term:
    """Read one term (``country:be`` → ``Term("country", "BE")``).

    Raises:
        ValueError: with a readable reason for an unknown kind or a bad value.
    """
    text = raw.strip()
    if text.lower() in {"all", "*", "everyone"}:
        return Term("all")
    kind, sep, value = text.partition(":")
    kind, value = kind.strip().lower(), value.strip()
    if not sep or kind not in TERM_KINDS or not value:
        raise ValueError(
            f"audience {raw!r}: expected all or one of "
            f"{', '.join(k + ':…' for k in TERM_KINDS[1:])}"
        )
    if kind == "role" and value.lower() not in ROLES:
        raise ValueError(f"audience {raw!r}: role must be one of {', '.join(ROLES)}")
    if kind == "language" and value.lower() not in LANGUAGES:
        raise ValueError(f"audience {raw!r}: language must be one of {', '.join(LANGUAGES)}")
    if kind == "country" and not (len(value) == 2 and value.isalpha()):
        raise ValueError(f"audience {raw!r}: country must be a two-letter code such as BE")
    if kind == "side" and value.lower() not in {"north", "south"}:
        raise ValueError(f"audience {raw!r}: side must be north or south")
    if kind in {"role", "language", "side", "kind"}:
        value = value.lower()
    elif kind == "country":
        value = value.upper()
    return Term(kind, value)


def parse_audience(raw: Iterable[str]) -> tuple[Term, ...]:
    """Read audience terms; none at all means everyone.

    Raises:
        ValueError: for the first term that cannot be read.
    """
    terms = tuple(parse_term(part) for item in raw for part in item.split() if part.strip())
    if not terms or any(t.kind == "all" for t in terms):
        return (Term("all"),)
    return terms


def describe(terms: Sequence[Term]) -> str:
    """The terms written back as the CLI takes them (``country:BE role:user``)."""
    return " ".join(str(t) for t in terms)


@dataclass(frozen=True)
class Twinnings:
    """The municipalities of the active twinnings, for ``partnership:`` and ``side:`` terms."""

    by_slug: dict[str, tuple[int, int]]

    @classmethod
    def of(cls, partnerships: Sequence[Partnership]) -> Twinnings:
        """Index active partnerships by slug."""
        return cls(
            {
                p.slug: (p.north_municipality_id, p.south_municipality_id)
                for p in partnerships
                if p.active
            }
        )

    def municipalities(self, term: Term) -> set[int]:
        """The municipality ids a ``partnership:`` or ``side:`` term covers."""
        if term.kind == "side":
            index = 0 if term.value == "north" else 1
            return {pair[index] for pair in self.by_slug.values()}
        if term.value == "*":
            return {m for pair in self.by_slug.values() for m in pair}
        return set(self.by_slug.get(term.value, ()))


def matches(
    user: User, terms: Sequence[Term], twinnings: Twinnings, municipality_names: dict[int, str]
) -> bool:
    """Whether ``user`` belongs to the audience (same kind: any; different kinds: all)."""
    by_kind: dict[str, list[Term]] = {}
    for term in terms:
        by_kind.setdefault(term.kind, []).append(term)
    if "all" in by_kind:
        return True
    return all(
        any(_matches_one(user, t, twinnings, municipality_names) for t in group)
        for group in by_kind.values()
    )


def _matches_one(user: User, term: Term, twinnings: Twinnings, names: dict[int, str]) -> bool:
    if term.kind == "role":
        return user.role == term.value
    if term.kind == "kind":
        return (user.kind or "") == term.value
    if term.kind == "country":
        return (user.country or "") == term.value
    if term.kind == "language":
        return (user.language or "") == term.value
    if term.kind == "municipality":
        name = names.get(user.municipality_id or 0)
        return name is not None and fold(name.strip()) == fold(term.value.strip())
    if term.kind in {"partnership", "side"}:
        return user.municipality_id in twinnings.municipalities(term)
    return False


def user_timezone(user: User, catalogue: Catalogue) -> str:
    """The user's time zone: their own, else their country's, else Brussels."""
    if user.timezone and is_zone(user.timezone):
        return user.timezone
    country = catalogue.country(user.country)
    return country.timezone if country is not None and is_zone(country.timezone) else DEFAULT_ZONE


async def audience_context(tx: Tx) -> tuple[Twinnings, dict[int, str]]:
    """What resolving terms needs from the database: twinnings and municipality names."""
    twinnings = Twinnings.of(await tx.partnerships(active_only=True))
    rows = await tx.session.execute(Municipality.__table__.select())
    names = {row.id: row.name for row in rows}
    return twinnings, names


async def resolve(
    tx: Tx, terms: Sequence[Term], *, municipalities: set[int] | None = None
) -> list[User]:
    """The reachable users in the audience, by id.

    Args:
        tx: the transaction.
        terms: parsed terms (`parse_audience`).
        municipalities: further restrict to users of these municipalities (a twinning's two).
    """
    twinnings, names = await audience_context(tx)
    users = await tx.users(reachable_only=True)
    return [
        user
        for user in users
        if user.channel not in UNREACHABLE_CHANNELS
        and (municipalities is None or user.municipality_id in municipalities)
        and matches(user, terms, twinnings, names)
    ]


__all__ = [
    "TERM_KINDS",
    "Term",
    "Twinnings",
    "audience_context",
    "describe",
    "matches",
    "parse_audience",
    "parse_term",
    "resolve",
    "user_timezone",
]

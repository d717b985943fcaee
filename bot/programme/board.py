"""The reporting calendar as a board: each deadline's next due date, who is done, who is not.

`bot.programme.deadlines.progress` answers for one occurrence by matching every user against
its audience in Python: right for the planner, which runs in the background, but seconds of
the event loop for a page over ten thousand people. The board asks the same question in SQL:
each audience becomes a ``WHERE`` (role, kind, country, language, municipality, twinning side),
read once per distinct audience as bare (user, municipality) pairs, and the done marks and
flows completed are read once per occurrence. The rules are the planner's: reachable people
only (not opted out, not blocked, not on the console or the simulator), one "done" per
municipality (or per person without one), a completed flow counting as done.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from bot.programme import deadlines
from bot.programme.actors import Actor
from bot.scheduling.audience import UNREACHABLE_CHANNELS, Term, Twinnings, audience_context
from bot.scheduling.deadlines import Occurrence
from bot.scheduling.planner import closed_by_flow
from bot.storage.models import User
from bot.storage.tx import Tx


@dataclass(frozen=True)
class Standing:
    """One occurrence and the places (or people) done and still pending."""

    occurrence: Occurrence
    done: tuple[str, ...]
    pending: tuple[str, ...]

    @property
    def total(self) -> int:
        """How many municipalities (or people without one) it concerns."""
        return len(self.done) + len(self.pending)


@dataclass(frozen=True)
class Row:
    """A deadline as listed, and its next occurrence's standing (None: no occurrence ahead)."""

    listed: deadlines.Listed
    standing: Standing | None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _condition(term: Term, twinnings: Twinnings, names: dict[int, str]) -> ColumnElement[bool]:
    """One audience term as SQL (`bot.scheduling.audience` says what each means)."""
    if term.kind == "all":
        return true()
    if term.kind == "role":
        return User.role == term.value
    if term.kind == "kind":
        return User.kind == term.value
    if term.kind == "country":
        return User.country == term.value
    if term.kind == "language":
        return User.language == term.value
    if term.kind == "municipality":
        wanted = _fold(term.value)
        ids = [mid for mid, name in names.items() if _fold(name) == wanted]
        return User.municipality_id.in_(ids) if ids else false()
    if term.kind in {"partnership", "side"}:
        ids = sorted(twinnings.municipalities(term))
        return User.municipality_id.in_(ids) if ids else false()
    return false()


def audience_where(
    terms: Sequence[Term], twinnings: Twinnings, names: dict[int, str]
) -> ColumnElement[bool]:
    """Same kind: any of them; different kinds: all (as `bot.scheduling.audience.matches`)."""
    by_kind: dict[str, list[Term]] = {}
    for term in terms:
        by_kind.setdefault(term.kind, []).append(term)
    if not by_kind or "all" in by_kind:
        return true()
    return and_(
        *(or_(*(_condition(t, twinnings, names) for t in group)) for group in by_kind.values())
    )


class Standings:
    """Computes standings of occurrences, reading each distinct audience once."""

    def __init__(self, tx: Tx, twinnings: Twinnings, names: dict[int, str]) -> None:
        self.tx = tx
        self.twinnings = twinnings
        self.names = names
        self._audiences: dict[tuple[Any, ...], list[tuple[str, str]]] = {}

    @classmethod
    async def load(cls, tx: Tx) -> Standings:
        """Read the twinnings and municipality names audiences need."""
        twinnings, names = await audience_context(tx)
        return cls(tx, twinnings, names)

    async def _people(self, occurrence: Occurrence) -> list[tuple[str, str]]:
        """(scope, label) of every municipality — or person without one — it is for.

        Grouped in the database: a few hundred municipalities come back, not every person.
        """
        terms = occurrence.deadline.audience
        key = (tuple(str(t) for t in terms), occurrence.partnership)
        if key not in self._audiences:
            condition = and_(
                audience_where(terms, self.twinnings, self.names),
                User.opted_out.is_(False),
                User.blocked.is_(False),
                User.channel.not_in(sorted(UNREACHABLE_CHANNELS)),
            )
            if occurrence.partnership:
                only = sorted(
                    self.twinnings.municipalities(Term("partnership", occurrence.partnership))
                )
                condition = and_(condition, User.municipality_id.in_(only or [-1]))
            places = (
                (
                    await self.tx.session.execute(
                        select(User.municipality_id)
                        .where(condition, User.municipality_id.is_not(None))
                        .group_by(User.municipality_id)
                    )
                )
                .scalars()
                .all()
            )
            loners = (
                await self.tx.session.execute(
                    select(User.id, User.name, User.channel, User.external_id).where(
                        condition, User.municipality_id.is_(None)
                    )
                )
            ).all()
            self._audiences[key] = [
                *((f"m:{mid}", self.names.get(mid or 0, "—")) for mid in places),
                *((f"u:{uid}", name or f"{channel}:{ext}") for uid, name, channel, ext in loners),
            ]
        return self._audiences[key]

    async def of(self, occurrence: Occurrence, now: datetime) -> Standing:
        """Who has done `occurrence` and who has not (by municipality)."""
        deadline = occurrence.deadline
        marks = {m.scope for m in await self.tx.done_marks(deadline.id, [occurrence.key])}
        flow_done = await closed_by_flow(self.tx, occurrence, self.twinnings, now)
        done: set[str] = set()
        pending: set[str] = set()
        for scope, label in await self._people(occurrence):
            place = int(scope[2:]) if scope.startswith("m:") else 0
            if scope in marks or (place and place in flow_done):
                done.add(label)
            else:
                pending.add(label)
        return Standing(occurrence, tuple(sorted(done - pending)), tuple(sorted(pending)))


async def standing(tx: Tx, occurrence: Occurrence, now: datetime) -> Standing:
    """Who has done one occurrence and who has not."""
    return await (await Standings.load(tx)).of(occurrence, now)


async def board(
    tx: Tx, actor: Actor, today: date, now: datetime, *, only: str | None = None
) -> list[Row]:
    """Every active deadline (or only the one with id `only`) with its next standing."""
    listed = [
        item
        for item in await deadlines.listing(tx, actor, today)
        if only is None or item.id == only
    ]
    standings = await Standings.load(tx)
    return [
        Row(item, await standings.of(item.next, now) if item.next is not None else None)
        for item in listed
    ]


__all__ = ["Row", "Standing", "Standings", "audience_where", "board", "standing"]

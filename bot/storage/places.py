"""Municipalities and twinnings as coordinators keep them: listings with activity, merges.

`CataloguePart` seeds and looks up; this part answers the coordinators' questions (how many
people, which twinning, last activity) in a few grouped queries whatever the number of
municipalities, and moves everything attached to a municipality when two are merged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update

from bot.storage._base import TxPart
from bot.storage.models import (
    SANDBOX_CHANNEL,
    DeadlineDone,
    FlowRun,
    Municipality,
    Partnership,
    User,
)


@dataclass(frozen=True)
class MunicipalityRow:
    """A municipality with what coordinators look at in a list."""

    municipality: Municipality
    people: int
    twinnings: tuple[str, ...]
    last_activity: datetime | None


@dataclass(frozen=True)
class TwinningRow:
    """A twinning, its two municipalities and the last completed check-in of each side."""

    partnership: Partnership
    north: Municipality
    south: Municipality
    north_checkin: datetime | None
    south_checkin: datetime | None


@dataclass(frozen=True)
class Moved:
    """What a merge moved from one municipality to the other."""

    users: int
    runs: int
    twinnings: int


class PlacesPart(TxPart):
    """`Tx` methods behind `bot.programme.places`."""

    async def municipality_rows(
        self, *, country: str | None = None, status: str | None = None, include_merged: bool = False
    ) -> list[MunicipalityRow]:
        """Municipalities sorted by country and name, with people, twinnings, last activity."""
        statement = select(Municipality).order_by(Municipality.country, Municipality.name)
        if country:
            statement = statement.where(Municipality.country == country.upper())
        if status:
            statement = statement.where(Municipality.status == status)
        elif not include_merged:
            statement = statement.where(Municipality.status != "merged")
        places = (await self._session.execute(statement)).scalars().all()
        people: dict[int | None, int] = {
            key: count
            for key, count in (
                await self._session.execute(
                    select(User.municipality_id, func.count(User.id))
                    .where(User.municipality_id.is_not(None), User.channel != SANDBOX_CHANNEL)
                    .group_by(User.municipality_id)
                )
            ).all()
        }
        activity: dict[int | None, datetime] = {
            key: at
            for key, at in (
                await self._session.execute(
                    select(FlowRun.municipality_id, func.max(FlowRun.updated_at))
                    .where(FlowRun.municipality_id.is_not(None))
                    .group_by(FlowRun.municipality_id)
                )
            ).all()
        }
        twinnings: dict[int, list[str]] = defaultdict(list)
        for partnership in (
            await self._session.execute(
                select(Partnership).where(Partnership.active.is_(True)).order_by(Partnership.name)
            )
        ).scalars():
            twinnings[partnership.north_municipality_id].append(partnership.name)
            twinnings[partnership.south_municipality_id].append(partnership.name)
        return [
            MunicipalityRow(
                m, int(people.get(m.id, 0)), tuple(twinnings.get(m.id, ())), activity.get(m.id)
            )
            for m in places
        ]

    async def added_places(self) -> dict[str, list[list[str]]]:
        """Municipalities not shipped in `content/`, by country: ``[name, *aliases]`` each.

        Added by coordinators or typed in onboarding; merged ones are left out.
        """
        statement = (
            select(Municipality.country, Municipality.name, Municipality.aliases)
            .where(Municipality.source != "seeded", Municipality.status != "merged")
            .order_by(Municipality.name)
        )
        found: dict[str, list[list[str]]] = {}
        for country, name, aliases in (await self._session.execute(statement)).all():
            found.setdefault(country, []).append([name, *(aliases or [])])
        return found

    async def municipalities_called(self, name: str, country: str | None = None
                                    ) -> list[Municipality]:  # fmt: skip
        """Municipalities whose name or an alias is `name` (any case), merged ones followed."""
        folded = " ".join(name.split()).casefold()
        statement = select(Municipality)
        if country:
            statement = statement.where(Municipality.country == country.upper())
        found: dict[int, Municipality] = {}
        rows = (await self._session.execute(statement)).scalars().all()
        by_id = {m.id: m for m in rows}
        for municipality in rows:
            names = {
                municipality.name.casefold(),
                *(alias.casefold() for alias in municipality.aliases or ()),
            }
            if folded in names:
                target = municipality
                while target.merged_into_id is not None and target.merged_into_id in by_id:
                    target = by_id[target.merged_into_id]
                found[target.id] = target
        exact = [m for m in found.values() if m.name.casefold() == folded]
        return exact or sorted(found.values(), key=lambda m: (m.country, m.name))

    async def move_municipality(self, source: Municipality, target: Municipality) -> Moved:
        """Attach everything of `source` to `target` (users, runs, twinnings, deadlines done)."""
        moved = {}
        for column in (
            User.municipality_id,
            FlowRun.municipality_id,
            Partnership.north_municipality_id,
            Partnership.south_municipality_id,
            DeadlineDone.municipality_id,
        ):
            result = await self._session.execute(
                update(column.class_)
                .where(column == source.id)
                .values({column.key: target.id})
                .execution_options(synchronize_session=False)
            )
            moved[column] = int(getattr(result, "rowcount", 0) or 0)
        # Rows already loaded in this transaction keep their old value until read again
        # with populate_existing (as `user`, `run`, `municipality` do).
        return Moved(
            moved[User.municipality_id],
            moved[FlowRun.municipality_id],
            moved[Partnership.north_municipality_id] + moved[Partnership.south_municipality_id],
        )

    async def twinning_rows(self) -> list[TwinningRow]:
        """Every twinning (running first), its municipalities and each side's last check-in."""
        partnerships = (
            (
                await self._session.execute(
                    select(Partnership)
                    .order_by(Partnership.active.desc(), Partnership.name)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        ids = {p.north_municipality_id for p in partnerships} | {
            p.south_municipality_id for p in partnerships
        }
        places = {
            m.id: m
            for m in (
                await self._session.execute(select(Municipality).where(Municipality.id.in_(ids)))
            ).scalars()
        }
        checkins = {
            (pid, mid): at
            for pid, mid, at in (
                await self._session.execute(
                    select(
                        FlowRun.partnership_id,
                        FlowRun.municipality_id,
                        func.max(FlowRun.completed_at),
                    )
                    .where(FlowRun.partnership_id.is_not(None), FlowRun.status == "completed")
                    .group_by(FlowRun.partnership_id, FlowRun.municipality_id)
                )
            ).all()
        }
        return [
            TwinningRow(
                p,
                places[p.north_municipality_id],
                places[p.south_municipality_id],
                checkins.get((p.id, p.north_municipality_id)),
                checkins.get((p.id, p.south_municipality_id)),
            )
            for p in partnerships
        ]

    async def partnership_by_id(self, partnership_id: int) -> Partnership | None:
        """The twinning with this database id."""
        return await self._session.get(Partnership, partnership_id, populate_existing=True)

    async def add_partnership(self, *, slug: str, name: str, north_id: int, south_id: int,
                              rhythm: str, started: date | None, now: datetime
                              ) -> Partnership:  # fmt: skip
        """Insert a twinning a coordinator made (marked edited: seeds leave it alone)."""
        row = Partnership(
            slug=slug,
            name=name,
            north_municipality_id=north_id,
            south_municipality_id=south_id,
            rhythm=rhythm,
            active=True,
            started=started,
            ended=None,
            edited_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row

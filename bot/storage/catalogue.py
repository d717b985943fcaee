"""Municipalities and partnerships: seeded from `content/`, extended by users.

Seeds are accepted as mappings (parsed YAML) or as objects with the same attribute names (the
frozen dataclasses of `bot.content`), so the content loader and the storage need not share
types:

* municipality: ``name``, ``country`` (ISO 3166 alpha-2), optional ``region``, ``aliases``.
* partnership: ``slug``, ``name``, ``north`` and ``south`` (each a municipality as above, created
  if missing), optional ``rhythm``, ``active`` (default True), ``started``, ``ended`` (dates).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select

from bot.storage._base import TxPart, utcnow
from bot.storage.models import Municipality, Partnership

_MISSING = object()


def _get(item: Any, name: str, default: Any = _MISSING) -> Any:
    """Read a field from a mapping or an object; a missing required field is a ValueError."""
    value = item.get(name, default) if isinstance(item, Mapping) else getattr(item, name, default)
    if value is _MISSING:
        raise ValueError(f"seed item {item!r} has no {name!r}")
    return value


def _country(code: Any) -> str:
    """Normalise an ISO 3166 alpha-2 code (``"be"`` → ``"BE"``), refusing anything else."""
    text = str(code).strip().upper()
    if len(text) != 2 or not text.isalpha():
        raise ValueError(f"country must be a two-letter ISO code (got {code!r})")
    return text


def _name(value: Any) -> str:
    """Normalise a municipality name: trimmed, single spaces, never empty."""
    text = " ".join(str(value).split())
    if not text:
        raise ValueError("a municipality needs a name")
    return text


def _optional_date(value: Any, name: str) -> date | None:
    """Accept a date, an ISO string or None for a partnership's start/end."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise ValueError(f"{name} must be a date like 2024-01-31 (got {value!r})") from error


class CataloguePart(TxPart):
    """`Tx` methods about municipalities and partnerships."""

    async def find_municipalities(self, country: str | None = None) -> Sequence[Municipality]:
        """Return municipalities sorted by name, optionally of one country."""
        statement = (
            select(Municipality)
            .order_by(Municipality.name, Municipality.country)
            .execution_options(populate_existing=True)  # seeds upsert behind the ORM's back
        )
        if country is not None:
            statement = statement.where(Municipality.country == _country(country))
        return (await self._session.execute(statement)).scalars().all()

    async def municipality(self, municipality_id: int) -> Municipality | None:
        """Return the municipality with this id, if any."""
        return await self._session.get(Municipality, municipality_id, populate_existing=True)

    async def municipality_named(self, name: str, country: str) -> Municipality | None:
        """Return the municipality with exactly this (normalised) name in a country."""
        statement = (
            select(Municipality)
            .where(Municipality.country == _country(country), Municipality.name == _name(name))
            .execution_options(populate_existing=True)
        )
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def add_municipality(
        self,
        name: str,
        country: str,
        source: str = "user",
        *,
        region: str | None = None,
        aliases: Iterable[str] = (),
    ) -> Municipality:
        """Return the municipality, adding it first if the country has none of that name.

        Idempotent and safe when two processes add the same name at once.
        """
        if source not in {"seeded", "user"}:
            raise ValueError(f"source must be 'seeded' or 'user' (got {source!r})")
        statement = (
            self._insert(Municipality)
            .values(
                name=_name(name),
                country=_country(country),
                region=region,
                aliases=list(aliases),
                source=source,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["country", "name"])
        )
        await self._session.execute(statement)
        found = await self.municipality_named(name, country)
        if found is None:  # pragma: no cover - inserted or already present just above
            raise RuntimeError(f"municipality {name} ({country}) vanished during creation")
        return found

    async def seed_municipalities(self, items: Iterable[Any]) -> int:
        """Insert or update municipalities from content files; running it twice changes nothing.

        A municipality a user added earlier becomes ``seeded`` (and confirmed) when the content
        lists it. One a coordinator changed (renamed, merged) is left as they left it, and a
        name they renamed away from is not added again.

        Returns:
            The number of items written.
        """
        # Names coordinators renamed away from or merged into another municipality: the
        # content still lists them, but bringing them back would undo the coordinators' work.
        edited = (
            await self._session.execute(
                select(Municipality.country, Municipality.name, Municipality.aliases).where(
                    Municipality.edited_at.is_not(None)
                )
            )
        ).all()
        retired = {
            (country, alias.casefold()) for country, _, aliases in edited for alias in aliases or ()
        }
        count = 0
        for item in items:
            key = (_country(_get(item, "country")), _name(_get(item, "name")).casefold())
            if key in retired:
                continue
            statement = self._insert(Municipality).values(
                name=_name(_get(item, "name")),
                country=_country(_get(item, "country")),
                region=_get(item, "region", None),
                aliases=list(_get(item, "aliases", None) or ()),
                source="seeded",
                created_at=utcnow(),
            )
            statement = statement.on_conflict_do_update(
                index_elements=["country", "name"],
                set_={
                    "region": statement.excluded.region,
                    "aliases": statement.excluded.aliases,
                    "source": "seeded",
                    "status": "confirmed",
                },
                where=Municipality.__table__.c.edited_at.is_(None),
            )
            await self._session.execute(statement)
            count += 1
        return count

    async def _seeded_municipality(self, item: Any, side: str) -> int:
        """Return the id of a partnership's north or south municipality, creating it if needed."""
        reference = _get(item, side)
        name, country = _name(_get(reference, "name")), _country(_get(reference, "country"))
        found = await self.municipality_named(name, country)
        if found is None:  # renamed by a coordinator: the old name is among its aliases
            edited = (
                (
                    await self._session.execute(
                        select(Municipality).where(
                            Municipality.country == country, Municipality.edited_at.is_not(None)
                        )
                    )
                )
                .scalars()
                .all()
            )
            found = next(
                (m for m in edited if name.casefold() in {a.casefold() for a in m.aliases or ()}),
                None,
            )
        if found is not None:
            while found.merged_into_id is not None:  # merged: the twinning follows
                target = await self.municipality(found.merged_into_id)
                if target is None:
                    break
                found = target
            return found.id
        created = await self.add_municipality(
            _get(reference, "name"),
            _get(reference, "country"),
            "seeded",
            region=_get(reference, "region", None),
            aliases=_get(reference, "aliases", None) or (),
        )
        return created.id

    async def seed_partnerships(self, items: Iterable[Any]) -> int:
        """Insert or update partnerships (by slug) from content files; idempotent.

        A twinning a coordinator changed (ended, new rhythm) is left as they left it.

        Returns:
            The number of items written.
        """
        count = 0
        for item in items:
            values = {
                "slug": str(_get(item, "slug")),
                "name": str(_get(item, "name")),
                "north_municipality_id": await self._seeded_municipality(item, "north"),
                "south_municipality_id": await self._seeded_municipality(item, "south"),
                "rhythm": _get(item, "rhythm", None),
                "active": bool(_get(item, "active", True)),
                "started": _optional_date(_get(item, "started", None), "started"),
                "ended": _optional_date(_get(item, "ended", None), "ended"),
            }
            statement = self._insert(Partnership).values(**values)
            statement = statement.on_conflict_do_update(
                index_elements=["slug"],
                set_={name: statement.excluded[name] for name in values if name != "slug"},
                where=Partnership.__table__.c.edited_at.is_(None),  # coordinators' changes stay
            )
            await self._session.execute(statement)
            count += 1
        return count

    async def partnerships(self, *, active_only: bool = False) -> Sequence[Partnership]:
        """Return the partnerships sorted by name."""
        statement = (
            select(Partnership).order_by(Partnership.name).execution_options(populate_existing=True)
        )
        if active_only:
            statement = statement.where(Partnership.active.is_(True))
        return (await self._session.execute(statement)).scalars().all()

    async def partnership(self, slug: str) -> Partnership | None:
        """Return the partnership with this slug, if any."""
        statement = (
            select(Partnership)
            .where(Partnership.slug == slug)
            .execution_options(populate_existing=True)
        )
        return (await self._session.execute(statement)).scalar_one_or_none()

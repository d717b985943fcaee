"""Municipalities and partnerships, seeded and added (bot/storage/catalogue.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from bot.storage import Store


@dataclass(frozen=True)
class Place:
    name: str
    country: str
    region: str | None = None
    aliases: tuple[str, ...] = ()


MUNICIPALITIES = [
    {"name": "Brasschaat", "country": "BE", "region": "Antwerpen"},
    Place("Tarija", "bo", aliases=("Villa de San Bernardo de la Frontera de Tarixa",)),
    {"name": "Herent", "country": "BE"},
]

PARTNERSHIPS = [
    {
        "slug": "brasschaat-tarija",
        "name": "Brasschaat – Tarija",
        "north": {"name": "Brasschaat", "country": "BE"},
        "south": Place("Tarija", "BO"),
        "rhythm": "quarterly",
        "started": "2013-05-01",
    },
    {
        "slug": "herent-nimlahakok",
        "name": "Herent – Nimlaha'kok",
        "north": {"name": "Herent", "country": "BE"},
        "south": {"name": "Nimlaha'kok", "country": "GT"},
        "active": True,
    },
]


async def test_seeding_is_idempotent(store: Store) -> None:
    for _ in range(2):
        async with store.transaction() as tx:
            assert await tx.seed_municipalities(MUNICIPALITIES) == 3
            assert await tx.seed_partnerships(PARTNERSHIPS) == 2
    async with store.transaction() as tx:
        names = [(m.name, m.country, m.source) for m in await tx.find_municipalities()]
        assert names == [
            ("Brasschaat", "BE", "seeded"),
            ("Herent", "BE", "seeded"),
            ("Nimlaha'kok", "GT", "seeded"),  # created by the partnership seed
            ("Tarija", "BO", "seeded"),
        ]
        assert [m.name for m in await tx.find_municipalities("be")] == ["Brasschaat", "Herent"]
        tarija = (await tx.find_municipalities("BO"))[0]
        assert tarija.aliases == ["Villa de San Bernardo de la Frontera de Tarixa"]
        partnerships = await tx.partnerships()
        assert [p.slug for p in partnerships] == ["brasschaat-tarija", "herent-nimlahakok"]
        twinning = await tx.partnership("brasschaat-tarija")
        assert twinning is not None
        assert (twinning.rhythm, twinning.started, twinning.active) == (
            "quarterly",
            date(2013, 5, 1),
            True,
        )
        assert twinning.south_municipality_id == tarija.id


async def test_seeding_updates_changed_content(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.seed_partnerships(PARTNERSHIPS)
    changed = [{**PARTNERSHIPS[0], "active": False, "ended": date(2024, 12, 31)}]
    async with store.transaction() as tx:
        await tx.seed_partnerships(changed)
        await tx.seed_municipalities([{"name": "Herent", "country": "BE", "region": "Leuven"}])
        twinning = await tx.partnership("brasschaat-tarija")
        assert twinning is not None
        assert (twinning.active, twinning.ended) == (False, date(2024, 12, 31))
        assert [p.slug for p in await tx.partnerships(active_only=True)] == ["herent-nimlahakok"]
        herent = await tx.municipality_named("Herent", "BE")
        assert herent is not None and herent.region == "Leuven"


async def test_add_municipality_is_idempotent(store: Store) -> None:
    async with store.transaction() as tx:
        added = await tx.add_municipality("  Grand-Popo ", "bj")
        again = await tx.add_municipality("Grand-Popo", "BJ")
        assert again.id == added.id
        assert (added.name, added.country, added.source) == ("Grand-Popo", "BJ", "user")
        assert await tx.municipality(added.id) is not None
        # A user-added place the content later lists becomes seeded.
        await tx.seed_municipalities([{"name": "Grand-Popo", "country": "BJ"}])
        seeded = await tx.municipality(added.id)
        assert seeded is not None and seeded.source == "seeded"


@pytest.mark.parametrize(
    ("name", "country", "message"),
    [("Ghent", "BEL", "two-letter"), ("", "BE", "needs a name"), ("Ghent", "1x", "two-letter")],
)
async def test_bad_municipalities_are_refused(
    store: Store, name: str, country: str, message: str
) -> None:
    async with store.transaction() as tx:
        with pytest.raises(ValueError, match=message):
            await tx.add_municipality(name, country)


async def test_bad_seed_items_name_the_missing_field(store: Store) -> None:
    async with store.transaction() as tx:
        with pytest.raises(ValueError, match="has no 'country'"):
            await tx.seed_municipalities([{"name": "Ostend"}])
        with pytest.raises(ValueError, match="must be a date"):
            await tx.seed_partnerships([{**PARTNERSHIPS[0], "started": "spring"}])

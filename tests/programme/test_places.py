"""Municipalities and twinnings as data: add, rename, confirm, merge; seeds keep the changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from bot.programme import places
from bot.programme.actors import Actor, NotAllowed, NotFound, ProgrammeError
from bot.programme.seeding import seed_content
from bot.storage import Store
from bot.storage.models import User

NOW = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)
ADMIN = Actor.terminal("ana")


def write_content(
    folder: Path,
    municipalities: list[dict[str, str]],
    partnerships: list[dict[str, object]] | None = None,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "municipalities.yaml").write_text(
        yaml.safe_dump({"municipalities": municipalities}), encoding="utf-8"
    )
    (folder / "partnerships.yaml").write_text(
        yaml.safe_dump({"partnerships": partnerships or []}), encoding="utf-8"
    )
    return folder


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("bohicon", "Bohicon"),
        ("BOHICON", "Bohicon"),
        ("sint-niklaas", "Sint-Niklaas"),
        ("  la   paz ", "La Paz"),
        ("deSoto", "deSoto"),
        ("l'isle", "L'Isle"),
    ],
)
def test_canonical_name(typed: str, canonical: str) -> None:
    assert places.canonical_name(typed) == canonical


async def test_add_rename_confirm_and_audit(store: Store) -> None:
    async with store.transaction() as tx:
        added = await places.add(tx, ADMIN, " Nouvelle  Ville ", "bj", NOW, region="Zou")
        assert (added.name, added.country, added.status) == ("Nouvelle Ville", "BJ", "confirmed")
        with pytest.raises(ProgrammeError, match="already in the list"):
            await places.add(tx, ADMIN, "Nouvelle Ville", "BJ", NOW)
        with pytest.raises(ProgrammeError, match="unknown country"):
            await places.add(tx, ADMIN, "X", "ZZ", NOW)
        renamed = await places.rename(tx, ADMIN, added.id, "Ville Neuve", NOW)
        assert renamed.name == "Ville Neuve" and "Nouvelle Ville" in renamed.aliases
        found = await places.find(tx, ADMIN, "nouvelle ville")  # the old name still finds it
        assert found.id == added.id
        actions = [e.details.get("change") for e in await tx.audit_entries(limit=10)]
    assert actions.count("add") == 1 and actions.count("rename") == 1


async def test_plain_users_cannot_change_places(store: Store) -> None:
    async with store.transaction() as tx:
        user = await tx.get_or_create_user("telegram", "1")
        with pytest.raises(NotAllowed):
            await places.add(tx, Actor.of_user(user), "Bohicon", "BJ", NOW)
        with pytest.raises(NotAllowed):
            await places.municipalities(tx, Actor.of_user(user))


async def test_onboarding_proposes_then_a_merge_moves_people_runs_and_twinnings(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        right = await places.add(tx, ADMIN, "Bohicon", "BJ", NOW)
        typed = await places.typed_in_onboarding(tx, "bohikon", "BJ")
        assert (typed.name, typed.status) == ("Bohikon", "proposed")
        again = await places.typed_in_onboarding(tx, "BOHIKON", "BJ")
        assert again.id == typed.id  # one proposal, whoever types it
        user = await tx.get_or_create_user("telegram", "5", municipality_id=typed.id)
        await tx.get_or_create_user("telegram", "6", municipality_id=right.id)
        await places.add(tx, ADMIN, "Herent", "BE", NOW)
        twinning = await places.add_twinning(tx, ADMIN, "Herent", "Bohikon", NOW, since=2019)
        run = await tx.create_run(
            user.id,
            "onboarding",
            "1",
            state={"x": 1},
            municipality_id=typed.id,
            partnership_id=twinning.id,
        )
        moved = await places.merge(tx, ADMIN, typed.id, right.id, NOW)
        assert (moved.users, moved.runs, moved.twinnings) == (1, 1, 1)
        refreshed = await tx.session.get(User, user.id, populate_existing=True)
        assert refreshed is not None and refreshed.municipality_id == right.id
        rows = await places.twinnings(tx, ADMIN)
        assert rows[0].south.id == right.id
        assert (await tx.run(run.id)).municipality_id == right.id  # type: ignore[union-attr]
        # Typing the merged name again leads to the right one.
        assert (await places.typed_in_onboarding(tx, "bohikon", "BJ")).id == right.id
        listed = {
            r.municipality.name: r.people
            for r in await places.municipalities(tx, ADMIN, country="BJ")
        }
        assert listed == {"Bohicon": 2}
        with pytest.raises(ProgrammeError):
            await places.merge(tx, ADMIN, typed.id, right.id, NOW)


async def test_twinnings_add_checks_and_end(store: Store) -> None:
    async with store.transaction() as tx:
        await places.add(tx, ADMIN, "Herent", "BE", NOW)
        await places.add(tx, ADMIN, "Bohicon", "BJ", NOW)
        with pytest.raises(ProgrammeError, match="Belgian"):
            await places.add_twinning(tx, ADMIN, "Bohicon", "Herent", NOW)
        with pytest.raises(NotFound):
            await places.add_twinning(tx, ADMIN, "Nowhere", "Bohicon", NOW)
        with pytest.raises(ProgrammeError, match="rhythm"):
            await places.add_twinning(tx, ADMIN, "Herent", "Bohicon", NOW, checkin="weekly")
        made = await places.add_twinning(
            tx, ADMIN, "herent", "bohicon", NOW, since=2010, checkin="yearly"
        )
        assert (made.name, made.rhythm, made.started) == (
            "Herent–Bohicon",
            "yearly",
            date(2010, 1, 1),
        )
        with pytest.raises(ProgrammeError, match="already exists"):
            await places.add_twinning(tx, ADMIN, "Herent", "Bohicon", NOW)
        ended = await places.end_twinning(tx, ADMIN, made.id, NOW)
        assert (ended.active, ended.ended, ended.rhythm) == (False, NOW.date(), None)
        with pytest.raises(ProgrammeError, match="ended already"):
            await places.end_twinning(tx, ADMIN, made.id, NOW)


async def test_a_later_seed_keeps_what_coordinators_changed(store: Store, tmp_path: Path) -> None:
    content = write_content(
        tmp_path / "content",
        [
            {"name": "Herent", "country": "BE", "region": "Vlaams-Brabant"},
            {"name": "Tarija", "country": "BO"},
            {"name": "Bohicon", "country": "BJ"},
        ],
        [
            {
                "id": "herent-tarija",
                "name": "Herent–Tarija",
                "north": {"name": "Herent", "country": "BE"},
                "south": {"name": "Tarija", "country": "BO"},
                "status": "active",
                "rhythm": "quarterly",
            }
        ],
    )
    await seed_content(store, content)
    async with store.transaction() as tx:
        tarija = await places.find(tx, ADMIN, "Tarija")
        await places.rename(tx, ADMIN, tarija.id, "Tarija (Cercado)", NOW)
        rows = await places.twinnings(tx, ADMIN)
        await places.end_twinning(tx, ADMIN, rows[0].partnership.id, NOW)
        herent = await places.find(tx, ADMIN, "Herent")
        await places.rename(tx, ADMIN, herent.id, "Herent-Veltem", NOW)
    await seed_content(store, content)  # the next start
    async with store.transaction() as tx:
        names = sorted(m.name for m in await tx.find_municipalities())
        twinning = (await places.twinnings(tx, ADMIN))[0]
    assert names == ["Bohicon", "Herent-Veltem", "Tarija (Cercado)"]
    assert twinning.partnership.active is False
    assert (twinning.north.name, twinning.south.name) == ("Herent-Veltem", "Tarija (Cercado)")


async def test_a_seed_confirms_a_proposed_name_it_lists(store: Store, tmp_path: Path) -> None:
    async with store.transaction() as tx:
        typed = await places.typed_in_onboarding(tx, "bohicon", "BJ")
        assert typed.status == "proposed"
    await seed_content(store, write_content(tmp_path / "c", [{"name": "Bohicon", "country": "BJ"}]))
    async with store.transaction() as tx:
        found = await places.find(tx, ADMIN, "Bohicon")
    assert (found.id, found.status) == (typed.id, "confirmed")


def test_every_programme_country_is_known() -> None:
    codes = {c.code for c in places.countries("en")}
    assert {
        "BE",
        "BJ",
        "SN",
        "EC",
        "BO",
        "PE",
        "GT",
        "NI",
        "RW",
        "MA",
        "ZA",
        "GM",
        "BF",
        "CD",
    } <= codes
    names = {c.code: c.name for c in places.countries("fr")}
    assert names["BE"] == "Belgique"

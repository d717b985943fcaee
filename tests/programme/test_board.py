"""The deadline board reads audiences in SQL: it must agree with the planner's own matching."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.programme import board, deadlines
from bot.programme.actors import Actor
from bot.scheduling.deadlines import parse
from bot.scheduling.planner import Recipients
from bot.storage import Store

NOW = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)
ADMIN = Actor.terminal("ana")
AUDIENCES = (
    ["all"],
    ["country:BE"],
    ["side:north"],
    ["side:south", "role:coordinator"],
    ["municipality:herent", "municipality:Tarija"],
    ["language:es"],
    ["kind:x"],
)


async def test_standings_agree_with_progress(store: Store) -> None:
    async with store.transaction() as tx:
        herent = await tx.add_municipality("Herent", "BE")
        tarija = await tx.add_municipality("Tarija", "BO")
        gent = await tx.add_municipality("Gent", "BE")
        await tx.seed_partnerships(
            [
                {
                    "slug": "herent-tarija",
                    "name": "H–T",
                    "north": {"name": "Herent", "country": "BE"},
                    "south": {"name": "Tarija", "country": "BO"},
                }
            ]
        )
        people = [
            ("1", herent.id, "BE", "fr", "user"),
            ("2", herent.id, "BE", "nl", "user"),
            ("3", tarija.id, "BO", "es", "coordinator"),
            ("4", gent.id, "BE", "en", "user"),
            ("5", None, "BE", "fr", "user"),
            ("6", None, "BO", "es", "user"),
        ]
        for external, place, country, lang, role in people:
            user = await tx.get_or_create_user(
                "telegram",
                external,
                name=f"P{external}",
                municipality_id=place,
                country=country,
                language=lang,
            )
            await tx.update_user(user, role=role)
        blocked = await tx.get_or_create_user("telegram", "7", municipality_id=gent.id)
        await tx.update_user(blocked, blocked=True)
        await tx.get_or_create_user("console", "8", municipality_id=gent.id)
        await tx.get_or_create_user("sandbox", "9")
        for number, audience in enumerate(AUDIENCES):
            deadline, problems = parse(
                {"id": f"d{number}", "title": "T", "due": "2027-06-30", "audience": audience}
            )
            assert deadline is not None, problems
            await deadlines.save(tx, ADMIN, deadline, NOW)
        await tx.mark_done(
            "d0",
            "2027-06-30",
            scope=f"m:{herent.id}",
            municipality_id=herent.id,
            user_id=None,
            now=NOW,
        )
    async with store.transaction(readonly=True) as tx:
        recipients = await Recipients.load(tx)
        rows = await board.board(tx, ADMIN, NOW.date(), NOW)
        assert len(rows) == len(AUDIENCES)
        for row in rows:
            assert row.standing is not None and row.listed.next is not None
            expected = await deadlines.progress(tx, row.listed.next, NOW, recipients)
            assert (row.standing.total, len(row.standing.pending)) == (
                expected.total,
                expected.pending,
            ), row.listed.id
            places = {p for p in row.standing.pending if not p.startswith("P")}
            assert places == set(expected.pending_places) - {"—"}  # "—": people without one
    first = rows[0].standing
    assert first is not None and first.done == ("Herent",)

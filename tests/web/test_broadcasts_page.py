"""``/broadcasts``: compose in several languages, live count, preview, schedule, deliveries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.scheduling.compose import Composer
from bot.scheduling.planner import Planner
from bot.storage.models import Broadcast, OutboxItem
from tests.web.conftest import Console


async def people(console: Console) -> dict[str, int]:
    async with console.store.transaction() as tx:
        made = {}
        for external, lang in (("500", "fr"), ("501", "nl"), ("502", "es"), ("503", "en")):
            user = await tx.get_or_create_user(
                "telegram", external, name=f"P{external}", language=lang, country="BE"
            )
            made[lang] = user.id
        return made


async def test_live_count_and_bad_terms(console: Console) -> None:
    await people(console)
    client = await console.client()
    await console.sign_in(client)
    page = await (await client.get("/broadcasts")).text()
    assert 'hx-get="/broadcasts/count"' in page and "/static/htmx.min.js" in page
    everyone = await (await client.get("/broadcasts/count?audience=")).text()
    assert "5" in everyone  # four people and the coordinator
    spanish = await (await client.get("/broadcasts/count?audience=language:es")).text()
    assert "1" in spanish
    bad = await (await client.get("/broadcasts/count?audience=planet:mars")).text()
    assert "error" in bad


async def test_preview_says_who_when_and_in_which_language(console: Console) -> None:
    await people(console)
    console.clock.now = console.clock.now.replace(hour=22)  # 23:00 in Brussels: quiet hours
    client = await console.client()
    await console.sign_in(client)
    response = await console.post(
        client,
        "/broadcasts",
        {
            "text_fr": "Bonjour <b>à tous</b>",
            "text_nl": "Dag allemaal",
            "audience": "",
            "step": "preview",
        },
        page="/broadcasts",
    )
    text = await response.text()
    assert response.status == 200
    assert "Bonjour &lt;b&gt;à tous&lt;/b&gt;" in text  # typed text is shown, escaped
    assert "Français: 4" in text or "Français : 4" in text  # fr, es, en and the coordinator
    assert "Nederlands" in text
    assert "plus tard" in text  # held by quiet hours until morning
    async with console.store.transaction(readonly=True) as tx:
        assert (await tx.session.execute(select(Broadcast))).first() is None  # only a preview


async def test_schedule_deliver_retry_and_show_each_recipient(console: Console) -> None:
    ids = await people(console)
    client = await console.client()
    await console.sign_in(client)
    response = await console.post(
        client,
        "/broadcasts",
        {
            "text_nl": "Dag allemaal",
            "text_fr": "Bonjour à tous",
            "audience": "country:BE",
            "urgent": "1",
        },
        page="/broadcasts",
    )
    assert response.status == 303
    location = response.headers["Location"]
    async with console.store.transaction(readonly=True) as tx:
        made = (await tx.session.execute(select(Broadcast))).scalar_one()
    # The first text given, in the form's order (fr, nl, es, en), is for everyone else.
    assert made.texts == {"fr": "Bonjour à tous", "nl": "Dag allemaal", "*": "Bonjour à tous"}
    assert made.ignore_quiet is True
    planner = Planner(console.store, console.service.catalogue, clock=console.clock, quiet=(21, 8))
    assert await planner.run_once() >= 4
    composer = Composer(console.service.catalogue.messages, "fr", {})
    async with console.store.transaction() as tx:
        broadcast = await tx.broadcast(made.id)
        assert broadcast is not None
        for lang, expected in (
            ("fr", "Bonjour"),
            ("nl", "Dag"),
            ("es", "Bonjour"),
            ("en", "Bonjour"),
        ):
            user = await tx.user(ids[lang])
            assert user is not None
            assert expected in composer.broadcast(broadcast, user).text
        await tx.session.execute(
            update(OutboxItem)
            .where(OutboxItem.user_id == ids["es"])
            .values(status="failed", last_error="chat not found")
        )
        await tx.session.execute(
            update(OutboxItem)
            .where(OutboxItem.user_id == ids["fr"])
            .values(status="sent", sent_at=console.clock())
        )
    page = await (await client.get(location)).text()
    assert "chat not found" in page and "P502" in page and "P500" in page
    assert 'hx-trigger="every 5s"' in page
    fragment = await client.get(location, headers={"HX-Request": "true"})
    assert "<html" not in await fragment.text()
    only_failed = await (await client.get(location + "?status=failed")).text()
    assert "P502" in only_failed and "P500" not in only_failed
    retried = await console.post(client, location + "/retry", {}, page=location)
    assert retried.status == 303
    async with console.store.transaction(readonly=True) as tx:
        status = (
            await tx.session.execute(
                select(OutboxItem.status).where(OutboxItem.user_id == ids["es"])
            )
        ).scalar_one()
    assert status == "pending"


async def test_a_later_broadcast_can_be_cancelled(console: Console) -> None:
    await people(console)
    client = await console.client()
    await console.sign_in(client)
    later = (console.clock() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = await console.post(
        client, "/broadcasts", {"text_en": "Soon", "at": later}, page="/broadcasts"
    )
    location = response.headers["Location"]
    cancelled = await console.post(client, location + "/cancel", {}, page=location)
    assert cancelled.status == 303
    async with console.store.transaction(readonly=True) as tx:
        made = (await tx.session.execute(select(Broadcast))).scalar_one()
    assert made.status == "cancelled"
    past = await console.post(
        client, "/broadcasts", {"text_en": "Late", "at": "2020-01-01T10:00"}, page="/broadcasts"
    )
    assert past.status == 303
    note = await (await client.get(past.headers["Location"])).text()
    assert "passed" in note


async def test_no_text_is_refused_with_a_note(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    response = await console.post(client, "/broadcasts", {"audience": ""}, page="/broadcasts")
    assert response.headers["Location"] == "/broadcasts"
    assert "at least one language" in await (await client.get("/broadcasts")).text()

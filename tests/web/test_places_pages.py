"""``/municipalities`` and ``/twinnings``: list, add, rename, confirm, merge, end."""

from __future__ import annotations

from sqlalchemy import select

from bot.flow.state import TextInput
from bot.messages import Command, ConversationKey, Incoming
from bot.storage.models import AuditEntry, Municipality
from tests.web.conftest import Console


async def audit_actions(console: Console) -> list[tuple[str, str, dict[str, object]]]:
    async with console.store.transaction(readonly=True) as tx:
        rows = (await tx.session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
        return [(e.actor, e.action, dict(e.details or {})) for e in rows]


async def test_list_shows_country_people_twinning(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    page = await client.get("/municipalities")
    text = await page.text()
    assert page.status == 200
    assert "Brasschaat" in text and "Tarija" in text and "Brasschaat–Tarija" in text
    filtered = await (await client.get("/municipalities?country=BO")).text()
    assert "Tarija" in filtered and "Brasschaat</a>" not in filtered


async def test_add_a_municipality_and_it_is_audited_as_web(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    response = await console.post(
        client, "/municipalities", {"name": "Nouvelle Ville", "country": "BJ"}
    )
    assert response.status == 303
    location = response.headers["Location"]
    assert location.startswith("/municipalities/")
    detail = await (await client.get(location)).text()
    assert "Nouvelle Ville" in detail and "enregistré" in detail
    actors = [(a, act) for a, act, _ in await audit_actions(console)]
    assert ("web:telegram:42", "municipality_change") in actors


async def test_a_bad_country_is_a_note_not_a_crash(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    response = await console.post(client, "/municipalities", {"name": "X", "country": "ZZ"})
    assert response.status == 303
    page = await client.get(response.headers["Location"])
    assert "unknown country" in await page.text()


async def test_rename_confirm_and_merge_a_proposed_one(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    async with console.store.transaction() as tx:
        right = await tx.add_municipality("Bohicon", "BJ", "seeded")
        typed = await tx.add_municipality("Bohikon", "BJ")
        typed.status = "proposed"
        person = await tx.get_or_create_user(
            "telegram", "77", name="Rosine", municipality_id=typed.id
        )
        right_id, typed_id, person_id = right.id, typed.id, person.id
    proposed = await (await client.get("/municipalities?status=proposed")).text()
    assert "Bohikon" in proposed and ">Bohicon<" not in proposed
    renamed = await console.post(
        client, f"/municipalities/{typed_id}", {"action": "rename", "name": "Bohikon Centre"}
    )
    assert renamed.status == 303
    merged = await console.post(
        client, f"/municipalities/{typed_id}", {"action": "merge", "into": "Bohicon"}
    )
    assert merged.headers["Location"] == f"/municipalities/{right_id}"
    async with console.store.transaction(readonly=True) as tx:
        user = await tx.user(person_id)
        source = await tx.session.get(Municipality, typed_id)
    assert user is not None and user.municipality_id == right_id
    assert source is not None and source.status == "merged"
    page = await (await client.get(f"/municipalities/{right_id}")).text()
    assert "Rosine" in page
    other = await tx_add(console, "Zagnanado", "BJ")
    confirmed = await console.post(client, f"/municipalities/{other}", {"action": "confirm"})
    assert confirmed.status == 303
    changes = [
        d.get("change")
        for _, act, d in await audit_actions(console)
        if act == "municipality_change"
    ]
    assert changes == ["rename", "merge", "confirm"]


async def tx_add(console: Console, name: str, country: str) -> int:
    async with console.store.transaction() as tx:
        made = await tx.add_municipality(name, country)
        made.status = "proposed"
        return made.id


async def test_a_missing_municipality_is_404(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    assert (await client.get("/municipalities/999999")).status == 404


async def test_twinnings_list_add_and_end(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    page = await (await client.get("/twinnings")).text()
    assert "Brasschaat–Tarija" in page
    added = await console.post(
        client,
        "/twinnings",
        {"north": "Aartselaar", "south": "Tarija", "since": "2021", "checkin": "yearly"},
    )
    assert added.status == 303
    page = await (await client.get("/twinnings")).text()
    assert "Aartselaar–Tarija" in page
    refused = await console.post(client, "/twinnings", {"north": "Tarija", "south": "Aartselaar"})
    assert "Belgian" in await (await client.get(refused.headers["Location"])).text()
    async with console.store.transaction(readonly=True) as tx:
        made = await tx.partnership("aartselaar-tarija")
        assert made is not None
    ended = await console.post(client, f"/twinnings/{made.id}/end", {})
    assert ended.status == 303
    async with console.store.transaction(readonly=True) as tx:
        after = await tx.partnership("aartselaar-tarija")
    assert after is not None and after.active is False


async def test_onboarding_keeps_an_unknown_name_as_proposed(console: Console) -> None:
    key = ConversationKey("telegram", "501")
    inputs: list[Command | TextInput] = [
        Command("start"),
        TextInput("1"),
        TextInput("Rosine"),
        TextInput("élue"),
        TextInput("Bénin"),
        TextInput("zogbodomey-nord"),
        TextInput("1"),
    ]
    for number, payload in enumerate(inputs):
        await console.service.handle(Incoming(key, payload, update_id=900 + number))
    async with console.store.transaction(readonly=True) as tx:
        user = await tx.get_user("telegram", "501")
        assert user is not None and user.municipality_id is not None
        place = await tx.municipality(user.municipality_id)
    assert place is not None
    assert (place.name, place.country, place.status) == ("Zogbodomey-Nord", "BJ", "proposed")


async def test_chat_web_command_gives_a_link_to_coordinators_only(console: Console) -> None:
    await console.user("42", name="Ana", language="nl")
    reply = await console.service.handle(
        Incoming(ConversationKey("telegram", "42"), Command("web"), update_id=1)
    )
    text = "\n".join(getattr(e, "text", "") for e in reply.events)
    assert "http://console.test/login/" in text and "webconsole" in text
    await console.user("43", role="user", language="fr")
    plain = await console.service.handle(
        Incoming(ConversationKey("telegram", "43"), Command("web"), update_id=2)
    )
    assert "login" not in "\n".join(getattr(e, "text", "") for e in plain.events)
    link = text[text.index("/login/") :].split()[0]
    client = await console.client()
    assert (await console.open_link(client, link)).status == 303

"""``/deadlines``: the calendar with who is done and pending, add, edit, remove, remind, .ics."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.storage.models import AuditEntry, OutboxItem
from tests.web.conftest import Console


async def municipalities_and_people(console: Console) -> None:
    async with console.store.transaction() as tx:
        herent = await tx.add_municipality("Herent", "BE")
        aalst = await tx.add_municipality("Aalst", "BE")
        await tx.get_or_create_user(
            "telegram", "600", name="H", municipality_id=herent.id, country="BE"
        )
        await tx.get_or_create_user(
            "telegram", "601", name="A", municipality_id=aalst.id, country="BE"
        )


async def test_list_add_edit_remind_remove(console: Console) -> None:
    await municipalities_and_people(console)
    client = await console.client()
    await console.sign_in(client)
    page = await client.get("/deadlines")
    assert page.status == 200
    assert "financial_report" in await page.text()
    added = await console.post(
        client,
        "/deadlines",
        {
            "id": "local_report",
            "title_fr": "Rapport local",
            "title_en": "Local report",
            "due": "2027-04-30",
            "every": "once",
            "offsets": "7,1",
            "hour": "9",
            "audience": "country:BE",
        },
        page="/deadlines",
    )
    assert added.status == 303 and added.headers["Location"] == "/deadlines/local_report"
    detail = await (await client.get("/deadlines/local_report")).text()
    assert "Rapport local" in detail and "2027-04-30" in detail
    assert "Herent" in detail and "Aalst" in detail  # both pending
    edited = await console.post(
        client,
        "/deadlines/local_report",
        {
            "action": "edit",
            "title_fr": "Rapport communal",
            "due": "2027-05-31",
            "every": "once",
            "offsets": "7",
            "hour": "10",
            "audience": "country:BE",
        },
        page="/deadlines/local_report",
    )
    assert edited.status == 303
    assert "Rapport communal" in await (await client.get("/deadlines/local_report")).text()
    reminded = await console.post(
        client, "/deadlines/local_report", {"action": "remind"}, page="/deadlines/local_report"
    )
    assert reminded.status == 303
    async with console.store.transaction(readonly=True) as tx:
        queued = (await tx.session.execute(select(func.count(OutboxItem.id)))).scalar_one()
    assert queued >= 2
    removed = await console.post(
        client, "/deadlines/local_report", {"action": "remove"}, page="/deadlines/local_report"
    )
    assert removed.headers["Location"] == "/deadlines"
    assert (await client.get("/deadlines/local_report")).status == 404
    async with console.store.transaction(readonly=True) as tx:
        changes = [
            e.details.get("change")
            for e in (
                await tx.session.execute(
                    select(AuditEntry).where(AuditEntry.action == "deadline_change")
                )
            ).scalars()
        ]
    assert changes == ["add", "replace", "remove"]


async def test_a_bad_deadline_is_a_note(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    response = await console.post(
        client, "/deadlines", {"id": "Bad Id!", "title_fr": "x"}, page="/deadlines"
    )
    assert response.headers["Location"] == "/deadlines"
    assert "lowercase" in await (await client.get("/deadlines")).text()


async def test_ics_download(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    response = await client.get("/deadlines.ics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    body = await response.text()
    assert body.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in body
    anonymous = await console.client()
    assert (await anonymous.get("/deadlines.ics")).status == 401

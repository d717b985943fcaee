"""``/people``: the list, coordinator requests approved or refused, promotions and demotions."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import AuditEntry
from tests.web.conftest import Console


async def test_list_filters_and_pages(console: Console) -> None:
    async with console.store.transaction() as tx:
        for number in range(130):
            await tx.get_or_create_user("telegram", str(1000 + number), name=f"Person {number}")
    client = await console.client()
    await console.sign_in(client, name="Ana")
    page = await (await client.get("/people")).text()
    assert "Person 129" in page and "/people?q=" in page  # a next page link
    found = await (await client.get("/people?q=person+12")).text()
    assert "Person 12<" in found and "Person 7<" not in found
    coordinators = await (await client.get("/people?role=coordinator")).text()
    assert "Ana" in coordinators and "Person 3<" not in coordinators


async def test_approve_and_refuse_requests(console: Console) -> None:
    async with console.store.transaction() as tx:
        bo = await tx.get_or_create_user("telegram", "200", name="Bo")
        await tx.update_user(bo, requested_role="coordinator")
        cy = await tx.get_or_create_user("telegram", "300", name="Cy")
        await tx.update_user(cy, requested_role="coordinator")
        bo_id, cy_id = bo.id, cy.id
    client = await console.client()
    await console.sign_in(client)
    waiting = await (await client.get("/people?requests=1")).text()
    assert "Bo" in waiting and "Cy" in waiting
    assert (await console.post(client, f"/people/{bo_id}/approve", {})).status == 303
    assert (await console.post(client, f"/people/{cy_id}/refuse", {})).status == 303
    async with console.store.transaction(readonly=True) as tx:
        bo_after, cy_after = await tx.user(bo_id), await tx.user(cy_id)
        actions = [
            (e.actor, e.action)
            for e in (
                await tx.session.execute(select(AuditEntry).order_by(AuditEntry.id))
            ).scalars()
        ]
    assert bo_after is not None and bo_after.role == "coordinator"
    assert cy_after is not None and (cy_after.role, cy_after.requested_role) == ("user", None)
    assert ("web:telegram:42", "role_change") in actions
    assert ("web:telegram:42", "role_request_refused") in actions
    again = await console.post(client, f"/people/{cy_id}/approve", {})
    assert "no request waiting" in await (await client.get(again.headers["Location"])).text()


async def test_promote_demote_and_only_admins_make_admins(console: Console) -> None:
    async with console.store.transaction() as tx:
        dee = await tx.get_or_create_user("telegram", "400", name="Dee")
        dee_id = dee.id
    client = await console.client()
    await console.sign_in(client)
    await console.post(client, f"/people/{dee_id}/role", {"role": "coordinator"})
    async with console.store.transaction(readonly=True) as tx:
        assert (await tx.user(dee_id)).role == "coordinator"  # type: ignore[union-attr]
    refused = await console.post(client, f"/people/{dee_id}/role", {"role": "admin"})
    assert refused.status == 403
    async with console.store.transaction(readonly=True) as tx:
        assert (await tx.user(dee_id)).role == "coordinator"  # type: ignore[union-attr]
    await console.post(client, f"/people/{dee_id}/role", {"role": "user"})
    async with console.store.transaction(readonly=True) as tx:
        assert (await tx.user(dee_id)).role == "user"  # type: ignore[union-attr]

"""``/outbox``: the delivery records of everything the bot sent on its own."""

from __future__ import annotations

from tests.web.conftest import Console


async def test_partner_messages_and_decisions_are_listed_with_their_outcome(
    console: Console,
) -> None:
    client = await console.client()
    await console.sign_in(client)
    wim = await console.user("7001", role="user", name="Wim <b>")
    now = console.clock()
    async with console.store.transaction() as tx:
        await tx.enqueue(
            [
                {
                    "key": "partner:mirror:1:2026-Q4:w",
                    "kind": "partner",
                    "user_id": wim.id,
                    "due_at": now,
                    "payload": {"texts": {"nl": "Spiegel"}},
                },
                {
                    "key": "notice:role_granted:w",
                    "kind": "notice",
                    "user_id": wim.id,
                    "due_at": now,
                    "payload": {"texts": {"nl": "Toegekend"}},
                },
            ],
            now,
        )
        (notice,) = await tx.outbox_items(kind="notice")
        await tx.set_outbox_status(notice.id, "blocked", error="the user blocked the bot")

    page = await (await client.get("/outbox")).text()
    assert "Between twins" in page or "Entre jumeaux" in page
    assert "Wim &lt;b&gt;" in page and "Wim <b>" not in page
    blocked = await (await client.get("/outbox?kind=notice&status=blocked")).text()
    assert "the user blocked the bot" in blocked
    assert "partner:mirror" not in blocked and ("Between twins" not in blocked)
    nothing = await (await client.get("/outbox?kind=nudge")).text()
    assert "telegram:7001" not in nothing


async def test_without_a_session_the_outbox_shows_nothing(console: Console) -> None:
    client = await console.client()
    response = await client.get("/outbox")
    assert response.status == 401
    assert "telegram:" not in await response.text()

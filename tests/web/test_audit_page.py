"""``/audit``: who did what, when; typed values appear as text."""

from __future__ import annotations

from tests.web.conftest import Console


async def test_changes_made_on_the_web_are_listed_and_escaped(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    await console.post(
        client, "/municipalities", {"name": "<script>alert(1)</script>", "country": "BJ"}
    )
    page = await (await client.get("/audit")).text()
    assert "web:telegram:42" in page and "municipality_change" in page and "web_sign_in" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    only = await (await client.get("/audit?action=web_sign_in")).text()
    assert "web_sign_in" in only and "municipality_change" not in only
    future = await (await client.get("/audit?since=2099-01-01")).text()
    assert "web_sign_in" not in future

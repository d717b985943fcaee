"""Every page is at most 150 KB with its stylesheet and scripts, with a full programme's data."""

from __future__ import annotations

import re

from tests.web.conftest import Console

LIMIT = 150 * 1024
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


async def test_every_page_within_the_budget(sqlite_console: Console) -> None:
    console = sqlite_console
    async with console.store.transaction() as tx:
        places = [
            await tx.add_municipality(f"Gemeente {n:03d} met een lange naam", "BE")
            for n in range(300)
        ]
        for n in range(400):
            user = await tx.get_or_create_user(
                "telegram",
                str(10_000 + n),
                name=f"Persoon {n} met een lange naam",
                municipality_id=places[n % 300].id,
            )
            if n % 3 == 0:
                await tx.update_user(user, requested_role="coordinator")
    client = await console.client()
    await console.sign_in(client)
    sizes: dict[str, int] = {}
    paths = [
        "/",
        "/municipalities",
        f"/municipalities/{places[0].id}",
        "/twinnings",
        "/people",
        "/people?requests=1",
        "/broadcasts",
        "/deadlines",
        "/deadlines/financial_report",
        "/flows",
        "/flows/sdg_assessment",
        "/flows/municipality_week",
        "/flows/post2030/simulate",
        "/audit",
    ]
    for path in paths:
        response = await client.get(path)
        assert response.status == 200, path
        body = await response.text()
        total = len(body.encode())
        for asset in set(ASSET.findall(body)):
            if asset not in sizes:
                sizes[asset] = len(await (await client.get(asset)).read())
            total += sizes[asset]
        assert total <= LIMIT, f"{path}: {total / 1024:.0f} KB"

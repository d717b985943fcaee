"""The web console under a realistic database: server time and weight of every page.

Seeds 10,000 people (5,000 of them with a run in progress, spread over 300 municipalities, with
a share asking for coordinator access), a few broadcasts and the shipped deadlines, then asks
each page of the console many times as a signed-in coordinator, in the same process (aiohttp's
test server on 127.0.0.1). Server time is the console's own ``Server-Timing`` header (the time
from the request reaching the application to the answer), so the client's work is not counted;
page weight is the HTML plus the stylesheet and scripts it loads. Goals: p95 ≤ 100 ms per page,
every page ≤ 150 KB with its assets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select, update

from bench.database import fresh_database
from bench.report import Row, percentile
from bench.seeding import seed
from bot.config import Settings
from bot.conversation.conversations import Conversations
from bot.programme import broadcasts, console
from bot.programme.actors import Actor
from bot.storage.models import Municipality, User
from bot.web import flows
from bot.web.app import make_app

__all__ = ["PAGES", "WebResult", "measure", "rows"]

PAGES = (
    "/",
    "/municipalities",
    "/municipalities/{place}",
    "/twinnings",
    "/people",
    "/people?requests=1",
    "/broadcasts",
    "/broadcasts/{broadcast}",
    "/deadlines",
    "/deadlines/financial_report",
    "/flows",
    "/flows/sdg_assessment",
    "/flows/post2030/simulate",
    "/audit",
)
"""Every page of the console ({…}: an id filled in after seeding)."""
SERVER_P95_MS = 100.0
PAGE_KB = 150.0
_ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')
_TIMING = re.compile(r"app;dur=([\d.]+)")


@dataclass
class PageFigures:
    """One page's server times (ms) and weight (bytes, with its assets)."""

    path: str
    server_ms: list[float] = field(default_factory=list)
    html_bytes: int = 0
    asset_bytes: int = 0

    @property
    def kb(self) -> float:
        """HTML and assets, in KB."""
        return (self.html_bytes + self.asset_bytes) / 1024


@dataclass
class WebResult:
    """Every page's figures and what was seeded."""

    pages: list[PageFigures]
    people: int
    runs: int
    municipalities: int

    def summary(self) -> dict[str, Any]:
        """The raw figures for results.json."""
        return {
            "people": self.people,
            "runs": self.runs,
            "municipalities": self.municipalities,
            "pages": {
                p.path: {
                    "p50_ms": round(percentile(p.server_ms, 50), 1),
                    "p95_ms": round(percentile(p.server_ms, 95), 1),
                    "kb": round(p.kb, 1),
                }
                for p in self.pages
            },
        }


async def _spread(service: Conversations, municipalities: int) -> tuple[int, int]:
    """Spread the seeded people over `municipalities` places; some ask to coordinate."""
    async with service.store.transaction(bulk=True) as tx:
        ids = (
            (
                await tx.session.execute(
                    select(Municipality.id).order_by(Municipality.id).limit(municipalities)
                )
            )
            .scalars()
            .all()
        )
        count = len(ids)
        for index, place in enumerate(ids):
            await tx.session.execute(
                update(User).where(User.id % count == index).values(municipality_id=place)
            )
        await tx.session.execute(
            update(User).where(User.id % 97 == 0).values(requested_role="coordinator")
        )
        users = int((await tx.session.execute(select(func.count(User.id)))).scalar_one())
    return count, users


async def _coordinator(service: Conversations, now: datetime) -> str:
    """A coordinator and a one-time link for them (the path)."""
    async with service.store.transaction() as tx:
        user = await tx.get_or_create_user("telegram", "1", name="Bench Coordinator")
        await tx.update_user(user, role="coordinator", language="en")
        url = await console.issue_link(tx, Actor.of_user(user), user, "http://bench", now)
    return url.removeprefix("http://bench")


async def _sign_in(client: TestClient, path: str) -> None:
    page = await (await client.get(path)).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None, "the sign-in page has its button"
    response = await client.post(path, data={"csrf_token": token.group(1)}, allow_redirects=False)
    assert response.status == 303, f"sign-in failed: {response.status}"


async def _page(client: TestClient, path: str, requests: int,
                assets: dict[str, int]) -> PageFigures:  # fmt: skip
    figures = PageFigures(path)
    await (await client.get(path)).read()  # not counted: templates compile on first use
    for _ in range(requests):
        response = await client.get(path)
        body = await response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
        found = _TIMING.search(response.headers.get("Server-Timing", ""))
        if found is None:
            raise RuntimeError(f"{path} has no Server-Timing header")
        figures.server_ms.append(float(found.group(1)))
        figures.html_bytes = len(body)
    for asset in set(_ASSET.findall(body.decode())):
        if asset not in assets:
            assets[asset] = len(await (await client.get(asset)).read())
        figures.asset_bytes += assets[asset]
    return figures


async def measure(
    folder: Path,
    postgres: str | None,
    *,
    people: int,
    runs: int,
    municipalities: int,
    requests: int,
) -> WebResult:
    """Seed a database and time every page (see the module docstring)."""
    async with fresh_database(postgres, folder, "web") as url:
        await seed(url, people, runs)
        service = await Conversations.open(Settings(database_url=url, web_url="http://bench"))
        try:
            places, users = await _spread(service, municipalities)
            now = datetime.now(UTC)
            for text in ("Atelier ODD jeudi", "Rappel : rapport financier"):
                await broadcasts.create(
                    service.store,
                    Actor.terminal("bench"),
                    texts={"*": text},
                    audience=["country:BE"],
                    at=now,
                    now=now,
                    dry_run=False,
                )
            link = await _coordinator(service, now)
            async with service.store.transaction(readonly=True) as tx:
                place = (await tx.session.execute(select(Municipality.id).limit(1))).scalar_one()
                broadcast = (await tx.broadcasts(limit=1))[0].id
            server = TestServer(make_app(service))
            client = TestClient(server)
            await client.start_server()
            try:
                await flows.warmed_up()  # a console starts long before anyone opens it
                await _sign_in(client, link)
                assets: dict[str, int] = {}
                pages = []
                for template in PAGES:
                    path = template.format(place=place, broadcast=broadcast)
                    pages.append(await _page(client, path, requests, assets))
            finally:
                await client.close()
        finally:
            await service.close()
    return WebResult(pages, users, runs, places)


def rows(result: WebResult) -> list[Row]:
    """The table's rows: the slowest and the heaviest page, against the goals."""
    slowest = max(result.pages, key=lambda p: percentile(p.server_ms, 95))
    heaviest = max(result.pages, key=lambda p: p.kb)
    seeded = (
        f"{result.people:,} people, {result.runs:,} runs, {result.municipalities} municipalities"
    )
    return [
        Row.alone(
            "web console: slowest page p95 server ms",
            percentile(slowest.server_ms, 95),
            goal=f"≤ {SERVER_P95_MS:g} ms",
            at_most=SERVER_P95_MS,
            note=f"{slowest.path}, {len(slowest.server_ms)} requests; {len(result.pages)} "
            f"pages over {seeded}",
        ),
        Row.alone(
            "web console: heaviest page KB with assets",
            heaviest.kb,
            goal=f"≤ {PAGE_KB:g} KB",
            at_most=PAGE_KB,
            note=f"{heaviest.path}: {heaviest.html_bytes / 1024:.1f} KB of HTML",
        ),
    ]

"""Fixtures of the web console's tests: a console over a fresh database, signed-in clients.

``console`` is a running console (aiohttp's test server) over a `Conversations` service on
``database_url`` (both dialects), with a clock tests can move (``console.clock.now``).
``console.sign_in(client)`` creates a coordinator, asks for a one-time link as the bot would
and opens it, so the client holds a session; ``console.csrf(client, path)`` reads a page's
CSRF token for posts.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.content import shipped_catalogue
from bot.conversation.conversations import Conversations
from bot.flow_library import FlowLibrary
from bot.paths import data_dir
from bot.programme import console as programme_console
from bot.programme.actors import Actor
from bot.programme.seeding import seed_content
from bot.scheduling.planner import seed_deadlines
from bot.storage import Store
from bot.storage.models import User
from bot.web.app import make_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Clock:
    """A clock tests move by hand."""

    now: datetime = field(default_factory=lambda: datetime(2027, 3, 10, 10, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Console:
    """A console under test and helpers to use it."""

    service: Conversations
    server: TestServer
    clock: Clock
    clients: list[TestClient] = field(default_factory=list)

    @property
    def store(self) -> Store:
        return self.service.store

    async def client(self) -> TestClient:
        """A new browser (its own cookies)."""
        client = TestClient(self.server)
        await client.start_server()
        self.clients.append(client)
        return client

    async def user(self, external_id: str = "42", role: str = "coordinator", **fields: Any) -> User:
        """A Telegram user with `role` (created if new)."""
        async with self.store.transaction() as tx:
            user = await tx.get_or_create_user("telegram", external_id)
            await tx.update_user(user, role=role, **fields)
            return user

    async def link(self, user: User) -> str:
        """A one-time link's path for `user`, as `/web` makes it."""
        async with self.store.transaction() as tx:
            fresh = await tx.user(user.id)
            assert fresh is not None
            url = await programme_console.issue_link(
                tx, Actor.of_user(fresh), fresh, self.service.settings.web_url, self.clock()
            )
        return url.removeprefix(self.service.settings.web_url or "")

    async def open_link(self, client: TestClient, path: str) -> Any:
        """Open a link's page and press its button, like a person; returns the response."""
        page = await client.get(path)
        token = CSRF.search(await page.text())
        assert token, "the sign-in page has its button"
        return await client.post(path, data={"csrf_token": token.group(1)}, allow_redirects=False)

    async def sign_in(self, client: TestClient, external_id: str = "42", **fields: Any) -> User:
        """Sign `client` in as a coordinator."""
        user = await self.user(external_id, **fields)
        response = await self.open_link(client, await self.link(user))
        assert response.status == 303, await response.text()
        return user

    async def csrf(self, client: TestClient, path: str = "/") -> str:
        """The CSRF token on a page."""
        response = await client.get(path)
        found = CSRF.search(await response.text())
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    async def post(
        self, client: TestClient, path: str, data: dict[str, Any], page: str | None = None
    ) -> Any:
        """Post a form with the session's CSRF token; redirects are not followed."""
        token = await self.csrf(client, page or "/")
        return await client.post(path, data={**data, "csrf_token": token}, allow_redirects=False)


@pytest.fixture(scope="session")
def small_content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped content cut to the twinnings' municipalities and a few more (fast seeding)."""
    source = data_dir("content")
    folder = tmp_path_factory.mktemp("content")
    twinnings = yaml.safe_load((source / "partnerships.yaml").read_text(encoding="utf-8"))
    named = {
        (side["name"], side["country"])
        for p in twinnings["partnerships"]
        for side in (p["north"], p["south"])
    }
    places = yaml.safe_load((source / "municipalities.yaml").read_text(encoding="utf-8"))
    kept = [
        m
        for i, m in enumerate(places["municipalities"])
        if (m["name"], m["country"]) in named or i < 12
    ]
    (folder / "municipalities.yaml").write_text(
        yaml.safe_dump({"municipalities": kept}), encoding="utf-8"
    )
    (folder / "partnerships.yaml").write_text(yaml.safe_dump(twinnings), encoding="utf-8")
    return folder


@contextlib.asynccontextmanager
async def open_console(database_url: str, content: Path) -> AsyncIterator[Console]:
    """A console over a fresh database at `database_url`, seeded from `content`."""
    clock = Clock()
    catalogue = shipped_catalogue()
    settings = Settings(database_url=database_url, web_url="http://console.test")
    store = await Store.open(database_url)
    service = Conversations(store, catalogue, FlowLibrary.load(catalogue, None), settings, clock)
    await seed_content(store, content)
    await seed_deadlines(store, clock())
    server = TestServer(make_app(service))
    await server.start_server()
    running = Console(service, server, clock)
    try:
        yield running
    finally:
        for client in running.clients:
            await client.close()
        await server.close()
        await service.close()


@pytest.fixture
async def console(database_url: str, small_content: Path) -> AsyncIterator[Console]:
    """A console over a fresh database, on both dialects (see the module docstring)."""
    async with open_console(database_url, small_content) as running:
        yield running


@pytest.fixture
async def sqlite_console(sqlite_url: str, small_content: Path) -> AsyncIterator[Console]:
    """A console on SQLite only (for tests about pages rather than dialects)."""
    async with open_console(sqlite_url, small_content) as running:
        yield running

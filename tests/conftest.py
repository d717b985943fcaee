"""Shared fixtures: databases for every test that needs storage.

Fixtures
--------
``database_url``
    A URL to a fresh, empty database, parametrised over both supported dialects, so a test
    using it runs twice (ids ``[sqlite]`` and ``[postgresql]``):

    * ``sqlite``: a file in the test's ``tmp_path`` (``sqlite:///…/sdgbot.db``).
    * ``postgresql``: a new database ``sdgbot_test_<random>`` created on the server named by
      ``SDGBOT_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``,
      trust authentication) and dropped afterwards. If that server is unreachable the test is
      skipped with the reason, unless ``SDGBOT_REQUIRE_POSTGRES=1`` (CI), where it fails.

``store``
    ``await Store.open(database_url)``: migrated, on both dialects, closed after the test.

``sqlite_url`` / ``postgres_url``
    One dialect only: a SQLite file URL (fast, never skipped), or a fresh PostgreSQL database
    (skipped like above). ``fresh_postgres_database()`` is the same as an async context
    manager, for tests that need several databases.

Example::

    async def test_something(store: Store) -> None:
        async with store.transaction() as tx:
            user = await tx.get_or_create_user("console", "ana")
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.storage import Store

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
_unreachable: dict[str, str] = {}  # admin URL -> why it failed, so only the first test waits


def postgres_admin_url() -> str:
    """Return the maintenance database URL tests create their databases through."""
    return os.environ.get("SDGBOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _asyncpg_dsn(url: str) -> str:
    """Turn any SQLAlchemy-style PostgreSQL URL into a plain libpq DSN asyncpg accepts."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _unavailable(message: str) -> None:
    """Skip the test, or fail it when CI demands PostgreSQL."""
    if os.environ.get("SDGBOT_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{message} (SDGBOT_REQUIRE_POSTGRES=1)", pytrace=False)
    pytest.skip(message)


async def _admin_connection(admin_url: str) -> asyncpg.Connection:
    """Connect to the maintenance database or skip/fail the test with a readable reason."""
    shown = make_url(admin_url).render_as_string(hide_password=True)
    if admin_url in _unreachable:
        _unavailable(f"PostgreSQL unreachable at {shown}: {_unreachable[admin_url]}")
    try:
        return await asyncpg.connect(_asyncpg_dsn(admin_url), timeout=3)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        _unreachable[admin_url] = str(error) or type(error).__name__
        _unavailable(f"PostgreSQL unreachable at {shown}: {_unreachable[admin_url]}")
        raise  # unreachable: skip/fail raised above


@contextlib.asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """Create ``sdgbot_test_<random>`` on the test server, yield its URL, then drop it."""
    admin_url = postgres_admin_url()
    admin = await _admin_connection(admin_url)
    name = f"sdgbot_test_{secrets.token_hex(6)}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield make_url(_asyncpg_dsn(admin_url)).set(database=name).render_as_string(
            hide_password=False
        )
    finally:
        admin = await asyncpg.connect(_asyncpg_dsn(admin_url), timeout=3)
        try:
            # FORCE: a test that failed may have left a pooled connection open.
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file in a fresh directory (created on first use by the store)."""
    return f"sqlite:///{tmp_path / 'data' / 'sdgbot.db'}"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, dropped after the test (skips when no server)."""
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database URL, once per dialect (see the module docstring)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'sdgbot.db'}"
        return
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A migrated `Store` on ``database_url`` (both dialects), closed after the test."""
    opened = await Store.open(database_url)
    try:
        yield opened
    finally:
        await opened.close()

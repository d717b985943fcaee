"""Shared fixtures: databases for every test that needs storage.

Fixtures
--------
``database_url``
    A URL to a fresh, empty database, parametrised over both supported dialects, so a test
    using it runs twice (ids ``[sqlite]`` and ``[postgresql]``):

    * ``sqlite``: a file in the test's ``tmp_path`` (``sqlite:///…/sdgbot.db``).
    * ``postgresql``: an empty database ``sdgbot_test_<random>`` created on the server named by
      ``SDGBOT_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``,
      trust authentication). After the test its connections are cut and its schema dropped,
      and it is reused, empty, by a later test (creating a database costs ~0.5 s); all are
      dropped when the session ends. If the server is unreachable the test is skipped with
      the reason, unless ``SDGBOT_REQUIRE_POSTGRES=1`` (CI), where it fails.

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

import asyncio
import contextlib
import os

# python-telegram-bot warns about its timedelta migration unless opted in; warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "true")
import secrets
from collections.abc import AsyncIterator, Iterator
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


def _database_dsn(admin_url: str, name: str) -> str:
    """Return the asyncpg DSN of database ``name`` on the test server."""
    return (
        make_url(_asyncpg_dsn(admin_url)).set(database=name).render_as_string(hide_password=False)
    )


# CREATE DATABASE and DROP DATABASE cost around half a second each (the server syncs to disk),
# so a database a test is done with is emptied (its schemas dropped, which takes milliseconds)
# and handed to the next test; the spares are dropped when the session ends.
_spare_databases: list[str] = []


async def _empty_database(admin_url: str, name: str) -> bool:
    """Disconnect everyone from a test database and drop everything in it; False if unsure."""
    admin = await asyncpg.connect(_asyncpg_dsn(admin_url), timeout=3)
    try:
        # A test that failed may have left pooled connections (and their locks) behind.
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
    finally:
        await admin.close()
    connection = await asyncpg.connect(_database_dsn(admin_url, name), timeout=3)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        leftovers = await connection.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE nspname <> 'public'"
            " AND nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%'"
        )
        return leftovers == 0
    finally:
        await connection.close()


async def _drop_database(admin_url: str, name: str) -> None:
    """Drop a test database, whoever is still connected to it."""
    admin = await asyncpg.connect(_asyncpg_dsn(admin_url), timeout=3)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """Yield the URL of an empty database ``sdgbot_test_<random>`` on the test server.

    Skips (or fails, with ``SDGBOT_REQUIRE_POSTGRES=1``) when the server is unreachable.
    """
    admin_url = postgres_admin_url()
    if _spare_databases:
        name = _spare_databases.pop()
    else:
        admin = await _admin_connection(admin_url)
        name = f"sdgbot_test_{secrets.token_hex(6)}"
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
    try:
        yield _database_dsn(admin_url, name)
    finally:
        try:
            reusable = await _empty_database(admin_url, name)
        except (OSError, asyncpg.PostgresError):
            reusable = False
        if reusable:
            _spare_databases.append(name)
        else:
            await _drop_database(admin_url, name)


@pytest.fixture(scope="session", autouse=True)
def _drop_spare_postgres_databases() -> Iterator[None]:
    """Drop the emptied test databases kept for reuse, once every test has run."""
    yield
    admin_url = postgres_admin_url()

    async def drop_all() -> None:
        while _spare_databases:
            await _drop_database(admin_url, _spare_databases.pop())

    if _spare_databases:
        asyncio.run(drop_all())


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

"""URLs, engines, connection errors and migrations (bot/storage/db.py)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.storage import ConfigError, DatabaseUnavailable, SchemaOutdated, Store, db
from bot.storage.models import Base

TABLES = {"users", "municipalities", "partnerships", "flow_runs", "answers", "processed_updates"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///data/bot.db", "sqlite+aiosqlite:///data/bot.db"),
        ("sqlite:////var/lib/sdgbot/bot.db", "sqlite+aiosqlite:////var/lib/sdgbot/bot.db"),
        ("sqlite+aiosqlite:///bot.db", "sqlite+aiosqlite:///bot.db"),
        ("postgresql://bot:pw@db:5432/sdg", "postgresql+asyncpg://bot:pw@db:5432/sdg"),
        ("postgres://bot@db/sdg", "postgresql+asyncpg://bot@db/sdg"),
        ("postgresql+asyncpg://bot@db/sdg", "postgresql+asyncpg://bot@db/sdg"),
        ("postgresql+psycopg2://bot@db/sdg", "postgresql+asyncpg://bot@db/sdg"),
        ("  postgresql://db/sdg?sslmode=require ", "postgresql+asyncpg://db/sdg?ssl=require"),
    ],
)
def test_normalize_url(given: str, expected: str) -> None:
    assert db.normalize_url(given) == expected


def test_normalize_url_expands_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert db.normalize_url("sqlite:///~/bot.db") == f"sqlite+aiosqlite:///{tmp_path}/bot.db"


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("", "no database URL given"),
        ("   ", "no database URL given"),
        ("bot.db", "not a database URL: 'bot.db'"),
        ("mysql://u@h/db", "unsupported database 'mysql'"),
        ("http://example.org/db", "unsupported database 'http'"),
        ("sqlite://", "SQLite needs a file"),
        ("sqlite:///:memory:", "SQLite needs a file"),
        ("postgresql://u:secret@h:notaport/db", "not a database URL"),
    ],
)
def test_bad_urls_raise_one_readable_line(given: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        db.normalize_url(given)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message
    assert "secret" not in message
    assert isinstance(caught.value, ValueError)


def test_display_url_hides_credentials_and_driver() -> None:
    assert db.display_url("postgresql+asyncpg://bot:pw@h:5999/x") == "postgresql://h:5999/x"
    assert db.display_url("sqlite:///a/b.db") == "sqlite:///a/b.db"


async def test_unreachable_postgres_is_one_line() -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    url = "postgresql://bot:pw@127.0.0.1:1/x"
    with pytest.raises(DatabaseUnavailable) as caught:
        await Store.open(url)
    assert str(caught.value) == (
        "cannot reach the database at postgresql://127.0.0.1:1/x: connection refused"
    )


async def test_sqlite_directory_that_cannot_exist(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(DatabaseUnavailable) as caught:
        await Store.open(f"sqlite:///{blocker}/sub/bot.db")
    assert "\n" not in str(caught.value)
    assert "cannot create the database directory" in str(caught.value)


async def test_sqlite_file_and_pragmas(sqlite_url: str, tmp_path: Path) -> None:
    store = await Store.open(sqlite_url, busy_timeout=2.5)
    try:
        assert (tmp_path / "data" / "sdgbot.db").is_file()
        pragmas = {}
        for readonly in (False, True):
            async with store.transaction(readonly=readonly) as tx:
                pragmas[readonly] = {
                    name: (await tx.session.execute(text(f"PRAGMA {name}"))).scalar()
                    for name in ("journal_mode", "foreign_keys", "busy_timeout")
                }
        # Writers run on the event loop's thread: SQLite must never sleep there; the store
        # waits for the lock itself (tests/storage/test_store.py).
        assert pragmas[False] == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 0}
        assert pragmas[True] == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 2500}
    finally:
        await store.close()


def _schema(connection: Connection) -> tuple[set[str], list[object]]:
    tables = set(inspect(connection).get_table_names())
    differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return tables, differences


async def test_migrations_from_empty_match_the_models(database_url: str) -> None:
    store = await Store.open(database_url)
    try:
        async with store.engine.connect() as connection:
            tables, differences = await connection.run_sync(_schema)
        assert tables >= TABLES | {"alembic_version"}
        assert differences == []
        assert await db.current_revision(store.engine) == db.head_revision()
    finally:
        await store.close()


async def test_upgrade_is_idempotent_and_reports_revision(database_url: str) -> None:
    assert await db.upgrade(database_url) == db.head_revision()
    assert await db.upgrade(database_url) == db.head_revision()


async def test_concurrent_migrations_do_not_break(database_url: str) -> None:
    stores = await asyncio.gather(*(Store.open(database_url) for _ in range(4)))
    try:
        assert await db.current_revision(stores[0].engine) == db.head_revision()
    finally:
        for store in stores:
            await store.close()


async def test_without_migrate_an_empty_database_is_refused(database_url: str) -> None:
    with pytest.raises(SchemaOutdated, match="run `sdgbot db upgrade`"):
        await Store.open(database_url, migrate=False)
    await db.upgrade(database_url)
    store = await Store.open(database_url, migrate=False)
    await store.close()


async def test_sqlite_foreign_keys_enforced(sqlite_url: str) -> None:
    store = await Store.open(sqlite_url)
    try:
        with pytest.raises(Exception, match="FOREIGN KEY"):
            async with store.transaction() as tx:
                await tx.create_run(999, "flow", "1", state={})
    finally:
        await store.close()


def test_migrations_dir_ships_inside_the_package() -> None:
    # script_location must not depend on the working directory or an alembic.ini.
    assert db.MIGRATIONS_DIR.parent == Path(db.__file__).resolve().parent
    assert (db.MIGRATIONS_DIR / "env.py").is_file()
    assert (db.MIGRATIONS_DIR / "script.py.mako").is_file()


def test_sqlite_file_is_readable_by_sqlite3(sqlite_url: str) -> None:
    asyncio.run(db.upgrade(sqlite_url))
    path = sqlite_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert names >= TABLES

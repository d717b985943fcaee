"""Database URLs, engines and migrations, for SQLite (a file) and PostgreSQL.

* `normalize_url` turns what an operator writes (``sqlite:///bot.db``, ``postgres://…``) into
  the async driver URL SQLAlchemy needs, or raises `ConfigError` with one readable line.
* `create_engine` configures SQLite for several writers: WAL journal, a busy timeout, foreign
  keys, and ``BEGIN IMMEDIATE`` for every write transaction. pysqlite's own implicit BEGIN is
  disabled (SQLAlchemy's documented recipe for aiosqlite) because a deferred transaction that
  reads and then writes can fail to upgrade its lock with "database is locked" at once,
  without waiting; taking the write lock up front makes writers queue politely instead.
* `migrate` / `upgrade` run the Alembic migrations in ``bot/storage/migrations`` from code (no
  alembic.ini, so it works from an installed wheel). On PostgreSQL a transaction-scoped
  advisory lock lets several bot processes start at once: one migrates, the others wait and
  then find nothing to do. On SQLite ``BEGIN IMMEDIATE`` gives the same guarantee.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from bot.storage import sqlite_driver
from bot.storage.errors import ConfigError, DatabaseUnavailable, reason

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_BUSY_TIMEOUT = 5.0
CONNECT_TIMEOUT = 10.0
# Any constant 64-bit key works; deriving it from a name keeps it recognisable in pg_locks.
MIGRATION_LOCK_KEY = zlib.crc32(b"sdgbot:migrations")
# Execution option a connection may carry to start a read-only (deferred) SQLite transaction.
SQLITE_BEGIN_OPTION = "sdgbot_sqlite_begin"

_EXPECTED = "expected sqlite:///path/to.db or postgresql://user@host:5432/dbname"
_SQLITE_DRIVERS = {"sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"}
_POSTGRES_DRIVERS = {
    "postgres",
    "postgresql",
    "postgresql+asyncpg",
    "postgresql+psycopg",
    "postgresql+psycopg2",
}


def _mask(url: str) -> str:
    """Hide a password in a URL we could not parse, before quoting it in an error."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def normalize_url(url: str) -> str:
    """Return the async-driver form of a database URL.

    Args:
        url: ``sqlite:///path``, ``sqlite+aiosqlite:///path``, ``postgresql://…``,
            ``postgres://…`` or ``postgresql+asyncpg://…``. ``~`` in SQLite paths is expanded;
            PostgreSQL's ``sslmode`` query parameter is translated to asyncpg's ``ssl``.

    Returns:
        ``sqlite+aiosqlite:///…`` or ``postgresql+asyncpg://…``.

    Raises:
        ConfigError: for an empty, unparsable, in-memory or unsupported URL.
    """
    raw = (url or "").strip()
    if not raw:
        raise ConfigError(f"no database URL given; {_EXPECTED}")
    # SQLAlchemy does not know the "postgres" scheme (Heroku and others still hand it out).
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://") :]
    try:
        parsed = make_url(raw)
    except (ArgumentError, ValueError) as error:
        raise ConfigError(f"not a database URL: {_mask(raw)!r}; {_EXPECTED}") from error
    if parsed.drivername in _SQLITE_DRIVERS:
        return _normalize_sqlite(parsed, raw)
    if parsed.drivername in _POSTGRES_DRIVERS:
        return _normalize_postgres(parsed)
    raise ConfigError(f"unsupported database {parsed.drivername!r} in {_mask(raw)!r}; {_EXPECTED}")


def _normalize_sqlite(parsed: URL, raw: str) -> str:
    """Check a SQLite URL names a file and switch it to aiosqlite."""
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise ConfigError(
            f"SQLite needs a file, not {_mask(raw)!r}: an in-memory database is lost on exit "
            "and not shared between connections; e.g. sqlite:///data/sdgbot.db"
        )
    return parsed.set(
        drivername="sqlite+aiosqlite", database=str(Path(database).expanduser())
    ).render_as_string(hide_password=False)


def _normalize_postgres(parsed: URL) -> str:
    """Switch a PostgreSQL URL to asyncpg and translate libpq-only query options."""
    query = dict(parsed.query)
    if "sslmode" in query:
        query["ssl"] = query.pop("sslmode")
    return parsed.set(drivername="postgresql+asyncpg", query=query).render_as_string(
        hide_password=False
    )


def display_url(url: str) -> str:
    """Return a URL fit for messages and logs: plain scheme, no user name or password.

    Args:
        url: a URL accepted by `normalize_url` (normalised or not).
    """
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///{parsed.database}"
    host = parsed.host or "localhost"
    port = f":{parsed.port}" if parsed.port else ""
    return f"postgresql://{host}{port}/{parsed.database or ''}"


def dialect_of(url: str) -> str:
    """Return ``"sqlite"`` or ``"postgresql"`` for a URL accepted by `normalize_url`."""
    return make_url(normalize_url(url)).get_backend_name()


def _prepare_sqlite_file(url: str) -> None:
    """Create the database file's directory, so a fresh install needs no manual step."""
    database = make_url(url).database or ""
    path = Path(database)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseUnavailable(
            f"cannot create the database directory {path.parent}: {error.strerror or error}"
        ) from error


def _configure_sqlite(engine: AsyncEngine, busy_timeout: float, in_loop: bool) -> None:
    """Install the connect/begin hooks that make SQLite safe for concurrent writers.

    In-loop connections get no busy timeout: SQLite's busy handler would sleep on the event
    loop's thread. A busy ``BEGIN IMMEDIATE`` fails at once and `Store` waits asynchronously.
    """
    wait_ms = 0 if in_loop else int(busy_timeout * 1000)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # None = autocommit at the driver level: we issue BEGIN ourselves in _on_begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {wait_ms}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            # NORMAL is durable across application crashes in WAL mode and much faster.
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


def create_engine(
    url: str, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT, in_loop: bool = False
) -> AsyncEngine:
    """Create the async engine for a database URL (no connection is made yet).

    Args:
        url: any URL `normalize_url` accepts.
        busy_timeout: SQLite only: seconds a writer waits for the lock before giving up.
        in_loop: SQLite only: run statements on the event loop's thread, with no busy
            timeout (see `sqlite_driver`); for short transactions whose caller waits for
            the lock itself, as `Store` does.

    Raises:
        ConfigError: for a bad URL.
        DatabaseUnavailable: when the SQLite file's directory cannot be created.
    """
    normalized = normalize_url(url)
    if make_url(normalized).get_backend_name() == "sqlite":
        _prepare_sqlite_file(normalized)
        engine = create_async_engine(normalized, module=sqlite_driver.dbapi(in_loop=in_loop))
        _configure_sqlite(engine, busy_timeout, in_loop)
        return engine
    return create_async_engine(
        normalized,
        pool_pre_ping=True,
        connect_args={"timeout": CONNECT_TIMEOUT},
    )


async def check_connection(engine: AsyncEngine, url: str) -> None:
    """Run ``SELECT 1`` and turn any failure into `DatabaseUnavailable`.

    Args:
        engine: the engine to try.
        url: its URL, for the message.
    """
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure here means "cannot use the database"
        raise DatabaseUnavailable(
            f"cannot reach the database at {display_url(url)}: {reason(error)}"
        ) from error


def alembic_config() -> Config:
    """Return an Alembic `Config` built in code, pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """Return the newest migration revision shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships 0001
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def _upgrade_sync(connection: Connection, revision: str) -> None:
    """Take the migration lock, then let Alembic upgrade inside the same transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    else:
        # Begins the transaction, i.e. BEGIN IMMEDIATE: other processes queue behind us.
        connection.exec_driver_sql("SELECT 1")
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _current_revision_sync(connection: Connection) -> str | None:
    """Read the schema revision recorded in ``alembic_version`` (None for an empty database)."""
    return MigrationContext.configure(connection).get_current_revision()


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply pending migrations on an open engine, in one transaction, under a lock.

    Args:
        engine: from `create_engine`.
        revision: target revision; the newest by default.
    """
    async with engine.connect() as connection:
        await connection.run_sync(_upgrade_sync, revision)
        await connection.commit()


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the schema revision of the database, or None if it was never migrated."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current_revision_sync)


async def upgrade(url: str, revision: str = "head") -> str | None:
    """Bring a database's schema up to date (``sdgbot db upgrade``).

    Args:
        url: any URL `normalize_url` accepts.
        revision: target revision; the newest by default.

    Returns:
        The revision the database is at afterwards.

    Raises:
        ConfigError: for a bad URL.
        DatabaseUnavailable: when the database cannot be reached.
    """
    engine = create_engine(url)
    try:
        await check_connection(engine, url)
        await migrate(engine, revision)
        return await current_revision(engine)
    finally:
        await engine.dispose()

"""Alembic environment: runs migrations on the connection `bot.storage.db` hands over.

There is no alembic.ini and no URL here: `bot.storage.db.upgrade` opens an async engine, takes
the migration lock, and calls Alembic through `AsyncConnection.run_sync` with the synchronous
connection in ``config.attributes["connection"]``. Offline (``--sql``) mode is not supported:
the bot always migrates a live database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.models import Base


def run_migrations_online() -> None:
    """Run the pending migrations on the connection given by the caller."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through bot.storage.db.upgrade(), not the alembic CLI")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables for later migrations.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    # The caller already began the transaction (and took the lock in it); this joins it.
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported; run `sdgbot db upgrade`")
run_migrations_online()

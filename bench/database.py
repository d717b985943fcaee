"""A fresh, empty database for each bot run: an SQLite file, or a scratch PostgreSQL database.

With ``--postgres URL`` (a maintenance database such as
``postgresql://postgres@127.0.0.1:5432/postgres``) each run gets ``sdgbot_bench_<random>``,
dropped afterwards; otherwise an SQLite file in the run's temporary folder.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

__all__ = ["fresh_database"]


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url.replace("postgres://", "postgresql://", 1)).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def fresh_database(postgres: str | None, folder: Path, name: str) -> AsyncIterator[str]:
    """Yield the URL of an empty database named after ``name``; remove it afterwards."""
    if postgres is None:
        path = folder / f"{name}.db"
        for leftover in folder.glob(f"{name}.db*"):
            leftover.unlink()
        yield f"sqlite:///{path}"
        return
    database = f"sdgbot_bench_{name}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(_dsn(postgres), timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    try:
        yield _dsn(postgres, database)
    finally:
        admin = await asyncpg.connect(_dsn(postgres), timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await admin.close()

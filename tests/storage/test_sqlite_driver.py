"""The one-hop aiosqlite adapter: same results and errors as SQLAlchemy's own, fewer hops."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.storage import sqlite_driver
from bot.storage.db import create_engine


async def test_rows_counts_ids_and_errors_come_back_as_usual(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'd.db'}")
    try:
        async with engine.begin() as connection:
            raw = await connection.get_raw_connection()
            assert type(raw.dbapi_connection).__name__ == "_OneHopConnection"
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
            inserted = await connection.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": "a"})
            assert (inserted.rowcount, inserted.lastrowid) == (1, 1)
            many = await connection.execute(
                text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}]
            )
            assert many.rowcount == 2
            rows = (await connection.execute(text("SELECT id, v FROM t ORDER BY id"))).all()
            assert [tuple(r) for r in rows] == [(1, "a"), (2, "b"), (3, "c")]
            updated = await connection.execute(text("UPDATE t SET v = v || '!' WHERE id > 1"))
            assert updated.rowcount == 2
        with pytest.raises(IntegrityError, match="UNIQUE"):
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO t (v) VALUES ('a')"))
        async with engine.connect() as connection:  # the failed statement left nothing behind
            count = (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one()
            assert count == 3
    finally:
        await engine.dispose()


def test_it_adapts_sqlalchemys_aiosqlite_module() -> None:
    module = sqlite_driver.dbapi()
    assert module.paramstyle == "qmark" and module.sqlite_version_info >= (3, 24)

"""The SQLite adapters: one hop to aiosqlite's thread per statement, or none (in the loop).

Both give the same results and errors as SQLAlchemy's own aiosqlite adapter.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.storage import sqlite_driver
from bot.storage.db import create_engine


@pytest.mark.parametrize(
    ("in_loop", "adapter"), [(False, "_OneHopConnection"), (True, "_InLoopConnection")]
)
async def test_rows_counts_ids_and_errors_come_back_as_usual(
    tmp_path: Path, in_loop: bool, adapter: str
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'd.db'}", in_loop=in_loop)
    try:
        async with engine.begin() as connection:
            raw = await connection.get_raw_connection()
            assert type(raw.dbapi_connection).__name__ == adapter
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


async def test_in_loop_statements_never_leave_the_loops_thread(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'd.db'}", in_loop=True)
    seen: list[int] = []
    try:
        async with engine.begin() as connection:
            raw = await connection.get_raw_connection()
            raw.driver_connection.create_function(
                "thread_id", 0, lambda: seen.append(threading.get_ident()) or 1
            )
            assert (await connection.execute(text("SELECT thread_id()"))).scalar_one() == 1
            async with connection.begin_nested():
                await connection.execute(text("SELECT thread_id()"))
    finally:
        await engine.dispose()
    assert seen == [threading.get_ident()] * 2


async def test_streamed_results_in_the_loop_come_whole(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'd.db'}", in_loop=True)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (v INTEGER)"))
            rows = [{"v": i} for i in range(7)]
            await connection.execute(text("INSERT INTO t VALUES (:v)"), rows)
            result = await connection.stream(text("SELECT v FROM t ORDER BY v"))
            assert [row.v async for row in result] == list(range(7))
    finally:
        await engine.dispose()

"""Real processes, `kill -9`: a broadcast to 300 users survives being killed before it is due
and again in the middle of sending; nobody gets it twice, and only a message in flight at the
moment of a kill can end up `unknown` (see `bot.scheduling.sender`)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.programme import broadcasts as bc
from bot.programme.actors import Actor
from bot.storage import Store
from tests.scheduling.conftest import add_users, outbox, statuses

TESTER = Actor.terminal("test")
"""Who creates the broadcasts here (an admin at the terminal)."""

USERS = 300
ROOT = Path(__file__).resolve().parents[2]
CHILD = '''
import asyncio, os, sys
from bot.config import Settings
from bot.scheduling.runner import build_planner, build_sender
from bot.conversation.conversations import Conversations

URL, OUT = sys.argv[1], sys.argv[2]


class FileTransport:
    """Delivers by appending the recipient to a file (flushed: what a kill leaves is real)."""

    async def send(self, key, text, buttons, *, lite):
        await asyncio.sleep(0.003)  # a Bot API round trip
        with open(OUT, "a", encoding="utf-8") as out:
            out.write(key.external_id + "\\n")
            out.flush()
            os.fsync(out.fileno())


async def main():
    settings = Settings(database_url=URL, send_rate=100)
    service = await Conversations.open(settings, seed=False)
    sender = build_sender(service, FileTransport(), settings, lease_ttl=2.0)
    planner = build_planner(service, settings)
    print("ready", flush=True)
    while True:
        if await sender.lead():
            await planner.run_once()
            await sender.run_once()
        await asyncio.sleep(0.1)


asyncio.run(main())
'''


def start(url: str, out: Path, script: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, str(script), url, str(out)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def delivered(out: Path) -> Counter[str]:
    return Counter(out.read_text().split()) if out.exists() else Counter()


async def wait_for(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_kill_9_before_the_due_time_and_in_the_middle(
    sqlite_url: str, tmp_path: Path
) -> None:
    store = await Store.open(sqlite_url)
    try:
        await add_users(store, USERS, timezone="UTC")
        script, out = tmp_path / "child.py", tmp_path / "delivered.txt"
        script.write_text(CHILD, encoding="utf-8")
        first = start(sqlite_url, out, script)
        # Due 4 s after the first sender is up (a loaded machine may take seconds to start it).
        now = datetime.now(UTC)
        await bc.create(
            store,
            TESTER,
            texts={"*": "Hello"},
            audience=[],
            now=now,
            at=now + timedelta(seconds=4),
            ignore_quiet=True,
        )
        await asyncio.sleep(1.0)
        first.send_signal(signal.SIGKILL)  # before the broadcast is due
        first.wait()
        assert delivered(out) == Counter()
        second = start(sqlite_url, out, script)
        await wait_for(lambda: sum(delivered(out).values()) >= 100, 30)
        second.send_signal(signal.SIGKILL)  # in the middle of sending
        second.wait()
        third = start(sqlite_url, out, script)
        try:

            async def finished() -> bool:
                return "pending" not in statuses(await outbox(store)) and "sending" not in statuses(
                    await outbox(store)
                )

            for _ in range(600):
                if await finished():
                    break
                await asyncio.sleep(0.1)
        finally:
            third.send_signal(signal.SIGKILL)
            third.wait()
        got = delivered(out)
        rows = await outbox(store)
        by_status = statuses(rows)
        assert set(by_status) <= {"sent", "unknown"} and by_status["unknown"] <= 1
        assert max(got.values()) == 1  # nobody twice
        assert len(got) >= USERS - by_status["unknown"]  # nobody lost but an in-flight one
        async with store.transaction() as tx:
            sent_to = {
                u.external_id
                for u in (
                    await tx.users_by_id(r.user_id for r in rows if r.status == "sent")
                ).values()
            }
        assert sent_to <= set(got)
    finally:
        await store.close()

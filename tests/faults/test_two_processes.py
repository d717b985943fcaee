"""Two ``sdgbot run`` processes on one PostgreSQL database, behind one webhook.

Production runs the bot behind a reverse proxy; two processes may serve the same webhook (a
deploy overlapping the old process, or two replicas). Here the test plays Telegram and the
proxy: each update goes to one process or the other at random, and one in five to both (a
retried webhook call that reached the second process). People go through onboarding and a
mission flow meanwhile, and a broadcast planned before the start is due at once. Each update
must be handled once (every acknowledged answer stored once, no question asked again), and
each recipient must get the broadcast once, though both processes run the scheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.seeding import SEEDED_FIRST_ID, seed
from bot.programme import broadcasts
from bot.programme.actors import Actor
from bot.storage.store import Store
from tests.fakes.bot_api import FakeBotApi
from tests.faults.bots import BotProcess
from tests.faults.checks import problems, stored_by_user
from tests.faults.people import Person

TESTER = Actor.terminal("test")
"""Who creates the broadcasts here (an admin at the terminal)."""

PUBLIC_URL = "https://bot.example.org/sdgbot/hook"
SECRET = "tw0-pr0cesses"
RECIPIENTS = 30
BROADCAST = "Rappel : la Semaine des communes durables commence le 18 septembre."


async def _forward(api: FakeBotApi, hooks: list[str], rng: random.Random,
                   delivered: list[int]) -> None:  # fmt: skip
    """Take the updates Telegram holds and post each to a process (one in five to both)."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    offset: int | None = None
    async with httpx.AsyncClient(timeout=10) as client:
        while True:
            updates = await api.updates.get(offset=offset, limit=100, timeout=0.2,
                                            allowed_updates=None)  # fmt: skip
            for update in updates:
                targets = list(hooks) if rng.random() < 0.2 else [rng.choice(hooks)]
                answers = await asyncio.gather(
                    *(client.post(url, json=update, headers=headers) for url in targets)
                )
                assert all(a.status_code == 200 for a in answers), answers
                delivered.append(len(targets))
                offset = int(update["update_id"]) + 1


async def _listening(port: int, timeout: float = 20.0) -> None:
    """Wait until a process accepts connections on its webhook port."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if loop.time() > deadline:
                raise TimeoutError(f"nothing listens on port {port}") from None
            await asyncio.sleep(0.1)
        else:
            writer.close()
            return


async def _plan_broadcast(database_url: str) -> None:
    await seed(database_url, RECIPIENTS, 0)
    store = await Store.open(database_url)
    try:
        now = datetime.now(UTC)
        await broadcasts.create(store, TESTER, texts={"*": BROADCAST}, audience=["all"], at=now,
                                now=now, ignore_quiet=True)  # fmt: skip
    finally:
        await store.close()


@pytest.mark.slow
async def test_two_processes_handle_each_update_once_and_send_each_broadcast_once(
    api: FakeBotApi, postgres_url: str, tmp_path: Path, unused_tcp_port_factory: Any
) -> None:
    await _plan_broadcast(postgres_url)
    for n in range(RECIPIENTS):
        api.user(SEEDED_FIRST_ID + n, language_code="fr")
    ports = [unused_tcp_port_factory() for _ in range(2)]
    bots = []
    for n, port in enumerate(ports):
        workdir = tmp_path / f"process-{n}"
        workdir.mkdir()
        options = ["--webhook", PUBLIC_URL, "--listen", "127.0.0.1", "--port", str(port),
                   "--secret", SECRET]  # fmt: skip
        bots.append(BotProcess(api, postgres_url, workdir, run_args=options))
    people = [Person(api, 9500 + n, taps=n % 3 == 0, patience=5, resends=n % 4 == 1)
              for n in range(12)]  # fmt: skip
    delivered: list[int] = []
    hooks = [f"http://127.0.0.1:{port}/sdgbot/hook" for port in ports]
    forwarding: asyncio.Task[None] | None = None
    try:
        for bot, port in zip(bots, ports, strict=True):
            await bot.start()
            await _listening(port)
        assert api.methods.webhook_url == PUBLIC_URL
        forwarding = asyncio.create_task(_forward(api, hooks, random.Random(7), delivered))
        deadline = asyncio.get_running_loop().time() + 90
        await asyncio.gather(*(person.run(deadline) for person in people))
        loop = asyncio.get_running_loop()
        while len(_broadcasts(api)) < RECIPIENTS and loop.time() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(3)  # a second copy, if any, would come by now (scheduler tick 3 s)
    finally:
        if forwarding is not None:
            forwarding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await forwarding
        codes = [await bot.stop() for bot in bots]
    logs = "\n".join(bot.log_tail() for bot in bots)
    assert codes == [0, 0], logs
    assert delivered.count(2) >= 5  # updates really did reach both processes
    found = problems(people, await stored_by_user(postgres_url))
    assert not found, "\n".join(found) + "\n" + logs
    got = _broadcasts(api)
    assert sorted(got) == [SEEDED_FIRST_ID + n for n in range(RECIPIENTS)], logs


def _broadcasts(api: FakeBotApi) -> list[int]:
    """The chats the broadcast was sent to, once per message sent."""
    return [m.chat_id for m in api.sent if BROADCAST.split(" :")[0] in m.plain
            and "Semaine des communes durables" in m.plain]  # fmt: skip

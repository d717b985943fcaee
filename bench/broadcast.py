"""The broadcast run: 1,000 recipients at the configured rate, through ``sdgbot run`` itself.

The recipients are seeded through the storage layer and the broadcast is created with the
outbox's public API (`bot.programme.broadcasts.create`, audience ``all``, now, quiet hours
ignored so the time of day does not matter) before the bot starts; ``sdgbot run`` (plain, with
its production pacing) then plans and sends it while the fake Bot API enforces Telegram's flood
limits. Achieved rate = messages accepted / time from the first to the last, over the
configured ``SDGBOT_SEND_RATE``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.fakeapi import BenchApi
from bench.procs import BotProcess, python
from bench.seeding import seed
from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from bot.programme.actors import Actor
from bot.storage.store import Store

TESTER = Actor.terminal("test")
"""Who creates the broadcasts here (an admin at the terminal)."""

__all__ = ["FIRST_WITHIN", "BroadcastResult", "missing", "run_broadcast"]

FIRST_WITHIN = 30.0
"""Seconds within which the first broadcast message must go out (the planner runs at start)."""

TEXT = ("Rappel : la Semaine de la commune durable commence le 18 septembre. "
        "Partagez vos actions ODD avec nous !")  # fmt: skip


@dataclass(frozen=True)
class BroadcastResult:
    """What the fake saw: messages accepted, over how long, and flood-control refusals."""

    recipients: int
    delivered: int
    seconds: float
    too_many_requests: int
    configured_rate: float

    @property
    def rate(self) -> float:
        """Achieved messages per second (intervals between the first and last message)."""
        return (self.delivered - 1) / self.seconds if self.delivered > 1 and self.seconds else 0.0


def missing() -> str | None:
    """Why the broadcast cannot be measured through ``sdgbot run`` yet, or None if it can."""
    try:
        from bot.programme import broadcasts  # noqa: F401
        from bot.scheduling import runner  # noqa: F401
    except ImportError as error:
        return f"the outbox sender (bot/scheduling) cannot be imported: {error}"
    if not callable(getattr(TelegramChannel, "send", None)):
        return ("`sdgbot run` does not send the outbox yet: TelegramChannel does not implement "
                "bot.scheduling.transport.Transport (send(key, text, buttons, lite=))")  # fmt: skip
    return None


async def _create(database_url: str, recipients: int) -> None:
    from bot.programme import broadcasts

    await seed(database_url, recipients, 0)
    store = await Store.open(database_url)
    try:
        now = datetime.now(UTC)
        await broadcasts.create(
            store, TESTER, texts={"*": TEXT}, audience=["all"], at=now, now=now, ignore_quiet=True
        )
    finally:
        await store.close()


async def run_broadcast(database_url: str, recipients: int, log: Path,
                        timeout: float | None = None) -> BroadcastResult:  # fmt: skip
    """Seed, create the broadcast, run ``sdgbot run`` until every recipient got it."""
    from bench.seeding import SEEDED_FIRST_ID

    rate = Settings.from_env().send_rate  # what the bot process reads too
    await _create(database_url, recipients)
    api = BenchApi()  # Telegram's flood limits, private-chat limit included
    await api.start()
    ids = set(range(SEEDED_FIRST_ID, SEEDED_FIRST_ID + recipients))
    for user_id in ids:
        api.user(user_id, language_code="fr")
    bot = BotProcess("sdgbot (broadcast)", [python(), "-m", "bot", "run"],
                     {"SDGBOT_TELEGRAM_TOKEN": api.token,
                      "SDGBOT_TELEGRAM_API_URL": api.base_url,
                      "SDGBOT_DATABASE_URL": database_url}, log)  # fmt: skip
    try:
        await bot.start(api)
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + (timeout or recipients / max(rate, 1) * 2 + 90)
        while loop.time() < deadline:
            delivered = [m for m in api.sent if m.chat_id in ids]
            if len(delivered) >= recipients:
                break
            if not delivered and loop.time() > started + FIRST_WITHIN:
                break  # the bot does not send the outbox at all (see `BroadcastResult`)
            await asyncio.sleep(0.25)
    finally:
        await bot.stop(api)
        await api.stop()
    delivered = [m for m in api.sent if m.chat_id in ids]
    times = sorted(m.time for m in delivered)
    seconds = times[-1] - times[0] if len(times) > 1 else 0.0
    return BroadcastResult(recipients, len(delivered), seconds, api.stats.too_many_requests, rate)

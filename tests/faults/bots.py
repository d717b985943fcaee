"""The bot under fault: in this process (the real `TelegramChannel`) or as `python -m bot run`.

`InProcessBot` is for faults of the network and of Telegram (the fake answers 500/429 or holds
requests); `BotProcess` is for crashes: it runs the real command in a child process, so
`kill()` is a true ``SIGKILL`` — no ``finally``, no rollback, no last ``getUpdates`` — and
`start()` again is a restart on the same database.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from bot.conversation.conversations import Conversations
from bot.scheduling.rate import Limits
from tests.fakes.bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
UNPACED = Limits(per_second=1000, private_per_second=0)
"""The fake's flood control is off in these tests; the bot's own pacing need not slow them."""


class InProcessBot:
    """`Conversations` + `TelegramChannel` against the fake, with short timeouts and backoff."""

    def __init__(self, api: FakeBotApi, database_url: str, *, timeout: float = 1.0) -> None:
        self.settings = Settings(database_url=database_url, telegram_token=api.token,
                                 telegram_api_url=api.base_url)  # fmt: skip
        self.timeout = timeout
        self.service: Conversations | None = None
        self.channel: TelegramChannel | None = None

    async def start(self) -> None:
        """Open the database and start long polling."""
        self.service = await Conversations.open(self.settings)
        self.channel = TelegramChannel(self.service, self.settings, limits=UNPACED,
                                       retry_base=0.05, timeout=self.timeout,
                                       poll_timeout=1)  # fmt: skip
        await self.channel.start()

    async def stop(self) -> None:
        """Stop polling, let handlers finish, close the database."""
        if self.channel is not None:
            await self.channel.stop()
            self.channel = None
        if self.service is not None:
            await self.service.close()
            self.service = None


class BotProcess:
    """`python -m bot run` in a child process, pointed at the fake and at `database_url`.

    Args:
        api: the fake Bot API (served by this process's event loop).
        database_url: the database the bot uses (SDGBOT_DATABASE_URL).
        workdir: its working directory (no stray `.env`); its log goes to ``bot-<n>.log`` there.
        run_args: options of ``run`` (``--webhook URL --port N``…).
    """

    def __init__(self, api: FakeBotApi, database_url: str, workdir: Path,
                 run_args: Sequence[str] = ()) -> None:  # fmt: skip
        self.api = api
        self.workdir = workdir
        self.run_args = tuple(run_args)
        """Options of ``run`` (``--webhook URL --port N``…)."""
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PTB_TIMEDELTA": "true",
            "SDGBOT_DATABASE_URL": database_url,
            "SDGBOT_TELEGRAM_TOKEN": api.token,
            "SDGBOT_TELEGRAM_API_URL": api.base_url,
            "SDGBOT_SEND_RATE": "500",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    def log_tail(self, lines: int = 30) -> str:
        """The end of the latest run's log, for failure messages."""
        path = self.workdir / f"bot-{self.starts}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    async def start(self, timeout: float = 30.0) -> None:
        """Start the bot and wait until it has checked its token (polling follows at once)."""
        assert self.process is None, "already running"
        self.starts += 1
        checks = self._token_checks()
        with (self.workdir / f"bot-{self.starts}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "-v", "run", *self.run_args], cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._token_checks() == checks:
            if self.process.poll() is not None:
                raise AssertionError(f"the bot exited with {self.process.returncode}:\n"
                                     f"{self.log_tail()}")  # fmt: skip
            if loop.time() > deadline:
                raise TimeoutError(f"the bot did not start:\n{self.log_tail()}")
            await asyncio.sleep(0.05)

    def _token_checks(self) -> int:
        # getUpdates is recorded only when a long poll ends; getMe is answered at once.
        return sum(1 for r in self.api.requests if r.method == "getMe" and r.status == 200)

    async def kill(self) -> None:
        """SIGKILL: the bot dies wherever it is."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.process.wait)
        self.process = None
        self.kills += 1

    async def stop(self) -> int:
        """SIGTERM and wait (SIGKILL after 15 s); returns the exit code."""
        if self.process is None:
            return 0
        process, self.process = self.process, None
        process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.to_thread(process.wait, 15)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
            raise AssertionError("the bot did not stop on SIGTERM") from None

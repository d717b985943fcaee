"""A bot under test: the real `TelegramChannel` and `Conversations` against the fake Bot API."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bot.channels.telegram import TelegramChannel, Webhook
from bot.config import Settings
from bot.content import shipped_catalogue
from bot.conversation.conversations import Conversations
from bot.flow.definition import Flow
from bot.flow_library import FlowLibrary
from bot.scheduling.rate import Limits
from bot.storage import Store
from tests.fakes.bot_api import FakeBotApi, SentMessage, UserHandle

FLOWS = Path(__file__).parent / "flows"
FAST = Limits(per_second=30, private_per_second=0)  # the fake's private limit is off too


_template: list[Path] = []
_flows: list[FlowLibrary] = []


async def _open_service(settings: Settings) -> Conversations:
    """`Conversations.open`, minus the second or so of YAML parsing and seeding per test.

    The first call builds a migrated, seeded SQLite file and loads the flows; later calls copy
    that file to the test's database path and reuse the parsed flows.
    """
    if not _template:
        folder = Path(tempfile.mkdtemp(prefix="sdgbot-template-"))
        template = settings.__class__(database_url=f"sqlite:///{folder / 'template.db'}",
                                      flows_dir=settings.flows_dir)  # fmt: skip
        service = await Conversations.open(template)
        _flows.append(service.flows)
        await service.close()
        _template.append(folder / "template.db")
    target = Path(settings.database_url.removeprefix("sqlite:///"))
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_template[0], target)
    loaded = _flows[0]
    flows: dict[str, Flow] = dict(loaded.flows)
    store = await Store.open(settings.database_url)
    return Conversations(store, shipped_catalogue(), FlowLibrary(flows, loaded.catalogue),
                         settings)  # fmt: skip


class BotUnderTest:
    """Starts, stops and restarts the bot on one database; waits until it is idle."""

    def __init__(self, api: FakeBotApi, database_url: str, *, limits: Limits = FAST,
                 token: str | None = None, timeout: float = 3.0) -> None:  # fmt: skip
        self.api = api
        self.settings = Settings(database_url=database_url, flows_dir=FLOWS,
                                 telegram_token=token or api.token,
                                 telegram_api_url=api.base_url)  # fmt: skip
        self.limits = limits
        self.timeout = timeout
        self.service: Conversations | None = None
        self.channel: TelegramChannel | None = None

    async def start(self, webhook: Webhook | None = None) -> None:
        self.service = await _open_service(self.settings)
        self.channel = TelegramChannel(self.service, self.settings, limits=self.limits,
                                       retry_base=0.05, timeout=self.timeout, poll_timeout=1,
                                       unauthorized_wait=2.0)  # fmt: skip
        await self.channel.start(webhook)

    async def stop(self) -> None:
        if self.channel is not None:
            await self.channel.stop()
            self.channel = None
        if self.service is not None:
            await self.service.close()
            self.service = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every pushed update is fetched and handled, and nothing is being sent."""
        assert self.channel is not None
        app = self.channel.app
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet = 0
        seen = len(self.api.requests)
        while quiet < 2:
            if loop.time() > deadline:
                raise TimeoutError("the bot did not settle")
            await asyncio.sleep(0.02)
            busy = (
                self.api.updates.pending_count
                or not app.update_queue.empty()
                or app.update_processor.current_concurrent_updates
                or len(self.api.requests) != seen
            )
            seen = len(self.api.requests)
            quiet = 0 if busy else quiet + 1

    async def say(self, user: UserHandle, text: str) -> list[SentMessage]:
        """The user types `text`; returns the bot's new messages to them."""
        before = len(self.api.messages_to(user))
        if text.startswith("/"):
            self.api.push_command(user, text)
        else:
            self.api.push_text(user, text)
        await self.settle()
        return self.api.messages_to(user)[before:]

    async def tap(self, user: UserHandle, label: str, message: SentMessage | None = None
                  ) -> list[SentMessage]:  # fmt: skip
        """The user taps the button labelled `label` (on the last message with buttons)."""
        message = message or self.last_keyboard(user)
        before = len(self.api.messages_to(user))
        self.api.push_callback(user, message, message.data_for(label))
        await self.settle()
        return self.api.messages_to(user)[before:]

    def last_keyboard(self, user: UserHandle) -> SentMessage:
        for message in reversed(self.api.messages_to(user)):
            if message.reply_markup:
                return message
        raise LookupError("no message with buttons")

    def last(self, user: UserHandle) -> SentMessage:
        return self.api.last_message(user)

    def rejected(self) -> list[Any]:
        """Requests the fake refused (400) — the bot must never send one."""
        return [r for r in self.api.requests if r.status == 400 and r.fault is None]

"""The same simulated users at the service level: `Conversations.handle` without Telegram.

`Desk` is the service as users reach it, and as a crash leaves it: `crash()` lets a few more
statements run, dies at the next one (as a killed process would, even inside a transaction
that never yields to the event loop: SQLite's run on the loop's thread, see
bot/storage/sqlite_driver.py), kills every other `handle` in flight at whatever await it has
reached (before the claim of the update, during the commit…) and closes the database; `open()`
starts a new service on the same database, as a restarted process would. A `Caller` follows
the same `Script` as the Telegram `Person` and behaves as Telegram does for it: an update whose
handling died is delivered again with the same update id; an answer that never came makes the
person nudge.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.content import shipped_catalogue
from bot.conversation.conversations import Conversations
from bot.flow.events import QuestionAsked
from bot.flow.state import Input, OptionInput, TextInput
from bot.flow_library import FlowLibrary
from bot.i18n import html_to_plain
from bot.messages import Command, ConversationKey, Incoming, MenuOffered, Notice, Reply
from bot.storage import Store
from tests.faults.people import Script, kept_fragment

CHANNEL = "test"


class Desk:
    """A `Conversations` on `database_url` that can crash and come back (see the module doc)."""

    def __init__(self, database_url: str, *, busy_timeout: float = 5.0, seed: int = 7) -> None:
        self.url = database_url
        self.busy_timeout = busy_timeout
        self.slowest = 0.0
        """The longest `handle` so far, in seconds."""
        self.handled = 0
        """How many `handle` calls returned a reply."""
        self.catalogue = shipped_catalogue()
        # Parsed once: a restart re-reads the same files, which only costs time here.
        self._flows = FlowLibrary.load(self.catalogue).flows
        self.service: Conversations | None = None
        self.up = asyncio.Event()
        self.crashes = 0
        self._in_flight: set[asyncio.Task[Reply]] = set()
        self._update_ids = itertools.count(1)
        self._rng = random.Random(seed)
        self._doomed_in: int | None = None
        """Statements left before the one a crash dies at (None: no crash under way)."""
        self.died_mid_transaction = 0
        """How many crashes struck between two statements of a transaction."""
        self._died = asyncio.Event()
        """How many crashes struck between two statements of a transaction."""

    @property
    def in_flight(self) -> int:
        """How many `handle` calls are running."""
        return len(self._in_flight)

    def next_update_id(self) -> int:
        """A fresh update id (they are unique per channel, like Telegram's)."""
        return next(self._update_ids)

    def _statement(self, *_args: Any) -> None:
        """Before each statement: die here if a crash is under way and its moment has come."""
        if self._doomed_in is None:
            return
        self._doomed_in -= 1
        if self._doomed_in <= 0:
            self._doomed_in = None
            self.died_mid_transaction += 1
            self._died.set()
            # What a cancelled task raises: the transaction is never committed.
            raise asyncio.CancelledError("crashed between two statements")

    async def open(self) -> None:
        """Start a service with fresh caches on the database (the first start or a restart)."""
        if not event.contains(Engine, "before_cursor_execute", self._statement):
            event.listen(Engine, "before_cursor_execute", self._statement)
        store = await Store.open(self.url, busy_timeout=self.busy_timeout)
        library = FlowLibrary(dict(self._flows), self.catalogue)
        settings = Settings(database_url=self.url)
        self.service = Conversations(store, self.catalogue, library, settings)
        self.up.set()

    async def handle(self, incoming: Incoming) -> Reply | None:
        """Handle one input as a channel does; None when the service crashed before the end.

        Like the Telegram channel, a reply that reached the user is then marked replied; a
        crash before that mark makes the re-delivered update ask the current question again.
        """
        await self.up.wait()
        assert self.service is not None
        task = asyncio.create_task(self._handle(self.service, incoming))
        self._in_flight.add(task)
        started = asyncio.get_running_loop().time()
        try:
            await asyncio.wait({task})
        finally:
            self._in_flight.discard(task)
        self.slowest = max(self.slowest, asyncio.get_running_loop().time() - started)
        if task.cancelled():
            return None
        self.handled += 1
        return task.result()

    @staticmethod
    async def _handle(service: Conversations, incoming: Incoming) -> Reply:
        reply = await service.handle(incoming)
        if not reply.duplicate and incoming.update_id is not None:
            await service.mark_replied(incoming.key, incoming.update_id)
        return reply

    async def crash(self, *, mid_transaction: bool = True) -> None:
        """Kill every `handle` in flight wherever it is, and drop the database connections."""
        self.crashes += 1
        if mid_transaction:
            # The process dies a few statements from now, wherever they are.
            self._doomed_in = self._rng.randint(1, 8)
            self._died.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._died.wait(), 0.5)
            self._doomed_in = None
        self.up.clear()
        for task in list(self._in_flight):
            task.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        if self.service is not None:
            await self.service.close()
            self.service = None

    async def close(self) -> None:
        """Stop for good (not counted as a crash)."""
        await self.crash(mid_transaction=False)
        self.crashes -= 1
        if event.contains(Engine, "before_cursor_execute", self._statement):
            event.remove(Engine, "before_cursor_execute", self._statement)


class Caller(Script):
    """One simulated user of the service (see the module docstring).

    Args:
        desk: the service.
        external_id: their id on the `test` channel.
        taps: answer choices by tapping (an `OptionInput`) rather than typing "1".
    """

    def __init__(self, desk: Desk, external_id: str, *, taps: bool = False,
                 resends: bool = False) -> None:  # fmt: skip
        super().__init__(external_id, resends=resends)
        self.desk = desk
        self.key = ConversationKey(CHANNEL, external_id)
        self.taps = taps
        self.redeliveries = 0
        self._retry_text = self.desk.catalogue.messages.get("db_trouble", "fr")
        self._kept = kept_fragment()

    async def send(self, payload: Input | Command, *, run_id: int | None = None) -> Reply | None:
        """Send one input; re-deliver it, same update id, while the service crashes on it.

        Returns None when the reply was lost: the update had been handled, its reply not sent.
        """
        incoming = Incoming(self.key, payload, update_id=self.desk.next_update_id(),
                            run_id=run_id, name="Ana", language_code="fr")  # fmt: skip
        while True:
            reply = await self.desk.handle(incoming)
            if reply is not None:
                return None if reply.duplicate else reply
            self.redeliveries += 1

    async def run(self, max_inputs: int = 120) -> None:
        """Go through onboarding and the mission flow (or give up after `max_inputs`)."""
        reply = await self.send(Command("start"))
        for _ in range(max_inputs):
            if self.done:
                return
            reply = await self._react(reply)

    async def _nudge(self) -> Reply | None:
        """Nothing useful came: nudge (a command, or the last answer again)."""
        nudge = self.nudge()
        if nudge.startswith("/"):
            return await self.send(Command(nudge.lstrip("/")))
        return await self.send(TextInput(nudge))

    async def _react(self, reply: Reply | None) -> Reply | None:
        if reply is None:
            return await self._nudge()
        if any(isinstance(e, Notice) and e.text == self._retry_text for e in reply.events):
            # "A technical problem, nothing is lost, try again": they type the answer again.
            self.ledger.told_to_retry += 1
            await asyncio.sleep(0.2)
            return await self._nudge()
        shown = [e for e in reply.events if isinstance(e, QuestionAsked | MenuOffered)]
        if not shown:
            return await self._nudge()
        last = shown[-1]
        if isinstance(last, MenuOffered):
            command = self.menu()
            if command is None:
                return None if self.done else await self._nudge()
            return await self.send(Command(command.lstrip("/")))
        assert reply.flow_id is not None
        announced = any(isinstance(e, Notice) and self._kept in html_to_plain(e.text)
                        for e in reply.events)  # fmt: skip
        self.question(reply.flow_id, last.step_id, announced=announced)
        if last.kind == "choice":
            first = last.options[0]
            self.answered(reply.flow_id, last.step_id, first.label)
            if self.taps:
                self.last_typed = None  # a tap: nothing typed to send again
                return await self.send(OptionInput(last.seq, first.id), run_id=reply.run_id)
            self.last_typed = "1"
            return await self.send(TextInput("1"))
        typed = self.typed(last.kind)
        self.answered(reply.flow_id, last.step_id, typed)
        self.last_typed = typed
        return await self.send(TextInput(typed))

"""`Turn`: one input being handled, and what the handlers of a turn may ask of the service.

Chat handlers (`commands`, `coordination`, `reminders`, `results`) work on a `Turn`: the
transaction, the user, the time and the reply being built. They reach the conversation service
only through the `Service` protocol below, so they never import `conversations` (which imports
them through the command table): the layers stay one-way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.messages import Notice, Reply

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.flow.catalogue import Catalogue
    from bot.flow.definition import Flow
    from bot.flow.engine import Sprint
    from bot.flow.state import RunState, TextInput
    from bot.flow_library import FlowLibrary
    from bot.storage.models import FlowRun, User
    from bot.storage.tx import Tx


Handler = Callable[["Turn"], Awaitable[None]]
"""A chat command or service button's handler."""


class Service(Protocol):
    """What a turn's handlers use of the conversation service (`Conversations`)."""

    catalogue: Catalogue
    flows: FlowLibrary
    settings: Settings
    commands: Mapping[str, Handler]

    async def start_flow(
        self, turn: Turn, flow: Flow, *, lang: str | None = None, then: str | None = None
    ) -> None:
        """Start a new run of `flow` for the turn's user."""

    async def apply(
        self, turn: Turn, run: FlowRun, flow: Flow, sprint: Sprint, *, created: bool = False
    ) -> None:
        """Persist a sprint of `run` and queue its events."""

    async def flow_of(self, tx: Tx, run: FlowRun) -> Flow | None:
        """The definition `run` is pinned to."""

    def state_of(self, run: FlowRun, user: User) -> RunState:
        """The run's state, told whether the user is in lite mode now."""

    async def ended_unseen(self, turn: Turn, payload: TextInput) -> Flow | None:
        """The flow whose last answer `payload` repeats, if the reply closing it was lost."""


@dataclass
class Turn:
    """One input being handled: the transaction, the user, the time and what to send back."""

    tx: Tx
    user: User
    now: datetime
    service: Service
    reply: Reply = field(default_factory=Reply)
    argument: str = ""
    """The text after a command (`/broadcast Hello`, or a button's `c:rdone 42`)."""
    written_by: datetime | None = None
    """The user had written the input being handled by then (`Incoming.written_by`)."""
    update_id: int | None = None
    """The channel's id of the input being handled (`Incoming.update_id`)."""
    message_id: int | None = None
    """The input's message id in its chat (`Incoming.message_id`)."""
    keeps_asked_in: bool = False
    """The question this turn asks again already reached the user: the run's `asked_in` stays
    the input whose reply first delivered it (see `Conversations._note_asked`)."""

    def written_before(self, moment: datetime | None) -> bool:
        """Whether the user had surely written this input before `moment` (False if unknown)."""
        return self.written_by is not None and moment is not None and self.written_by <= moment

    @property
    def lang(self) -> str:
        """The user's language."""
        return self.user.language or self.service.settings.default_language

    def msg(self, key: str, **values: Any) -> str:
        """A system message in the user's language."""
        return self.service.catalogue.messages.get(key, self.lang, **values)

    def say(self, key: str, **values: Any) -> None:
        """Add a notice to the reply."""
        self.reply.events.append(Notice(self.msg(key, **values)))

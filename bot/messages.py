"""What channels give the service (`Incoming`) and get back (`Reply`).

A channel turns its updates into `Incoming` (a typed input, a tapped button, a command) and renders
the `Reply`'s events. Besides the engine's events (`bot.flow.events`), the service adds a few of
its own, defined here: notices, the menu, the language picker, files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.flow.events import Event, Option
from bot.flow.state import Input


@dataclass(frozen=True)
class ConversationKey:
    """Whose conversation this is: a channel and the user's id on it (one private chat each)."""

    channel: str
    external_id: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"


@dataclass(frozen=True)
class Command:
    """A command such as `/start` or `/lite`; `argument` is the text after it."""

    name: str
    argument: str = ""


@dataclass(frozen=True)
class Tap:
    """A tapped button of a service prompt (menu, language picker): `data` is its option id.

    A channel that turns an option number typed after a prompt into its tap gives the text in
    `typed` and the moment it sent that prompt in `offered_at`: if the user's run asked a
    question since (another process may have sent it), the number answers that question.
    """

    data: str
    typed: str | None = None
    offered_at: datetime | None = None


@dataclass(frozen=True)
class Incoming:
    """One update from a channel, already understood as an input.

    `update_id` (when the channel has one) makes handling idempotent: an update seen before is
    answered with `Reply(duplicate=True)` and changes nothing. `run_id` comes with a tapped
    button: a tap on a button of another (finished) run is stale. `name` and `language_code` are
    what the channel knows of the user, used when the user is new.
    """

    key: ConversationKey
    payload: Input | Command | Tap
    update_id: int | None = None
    run_id: int | None = None
    name: str = ""
    language_code: str | None = None
    chat_kind: Literal["private", "group"] = "private"
    written_by: datetime | None = None
    """A moment the user had surely written it by (Telegram: when the bot fetched it, or the
    message's date plus its one-second resolution); None when the channel cannot tell."""
    message_id: int | None = None
    """The message's id in its chat, where the bot's messages are numbered in the same sequence
    (Telegram's private chats); None for taps and channels without one."""


@dataclass(frozen=True)
class Notice(Event):
    """A system message (welcome back, help, errors, confirmations)."""

    text: str


@dataclass(frozen=True)
class MenuOffered(Event):
    """The menu: option ids are service taps (`f:<flow>` starts a flow, `c:<command>` a command)."""

    text: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class LanguageOffered(Event):
    """The language picker: option ids are `l:<code>`."""

    text: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class FileOffered(Event):
    """A file to send (an export, a calendar, personal data); in lite mode only when asked."""

    filename: str
    content: bytes
    caption: str = ""
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True)
class ChartOffered(Event):
    """A result chart can be drawn: the channel offers a button (never in lite mode)."""

    run_id: int
    label: str


@dataclass(frozen=True)
class ImageOffered(Event):
    """A rendered image (PNG) to send, e.g. a radar chart the user asked for."""

    filename: str
    content: bytes
    caption: str = ""


@dataclass
class Reply:
    """What the channel must send back, after the transaction has committed.

    `run_id` and the `seq` of each `QuestionAsked` go into button data; `lite` and `lang` say how
    to render. `duplicate` means the update was handled before: send nothing.
    """

    events: list[Event] = field(default_factory=list)
    lang: str = "fr"
    lite: bool = False
    run_id: int | None = None
    duplicate: bool = False
    user_id: int | None = None
    flow_id: str | None = None
    step_id: str | None = None
    queued: int = 0
    """Messages this input wrote to the outbox (to other people): the sender is woken."""

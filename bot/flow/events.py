"""What happened during a sprint of the engine, named in the past tense.

Channels render these events; storage persists `AnswerRecorded`. Every text in an event is already
in the user's language, in the Telegram HTML subset (see `bot.i18n`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Option:
    """One answer option as shown to the user: its id (for buttons) and its label."""

    id: str
    label: str


@dataclass(frozen=True)
class Event:
    """Base class of all engine events."""


@dataclass(frozen=True)
class MessageCreated(Event):
    """The flow says something (a `message` or `summary` step)."""

    text: str
    step_id: str | None = None
    is_result: bool = False


@dataclass(frozen=True)
class QuestionAsked(Event):
    """The run waits for an answer to `step_id`.

    `seq` identifies this asking; a button carries it so a tap on an old question is recognised.
    `hint` says how to answer by typing ("Type a number from 0 to 4"). `multiple` means several
    options can be selected (then `selected` holds the current selection and a "done" button is
    expected). `grid` > 0 suggests how many buttons per keyboard row. `optional` questions may
    be skipped (a "skip" button, or typing "skip").
    """

    step_id: str
    seq: int
    kind: str
    text: str
    hint: str
    options: tuple[Option, ...] = ()
    multiple: bool = False
    selected: tuple[str, ...] = ()
    can_go_back: bool = False
    grid: int = 0
    done_label: str = ""
    optional: bool = False


@dataclass(frozen=True)
class AnswerRecorded(Event):
    """An answer was accepted for `step_id`; `display` is how it reads back to the user."""

    step_id: str
    kind: str
    value: Any
    display: str
    saves_to: str | None = None


@dataclass(frozen=True)
class AnswerRejected(Event):
    """A typed answer was not understood; `reason` says what is expected."""

    step_id: str
    reason: str


@dataclass(frozen=True)
class ConfirmationRequested(Event):
    """The answer was plausible but unsure: "Did you mean X?" (yes / no)."""

    step_id: str
    seq: int
    text: str
    yes_label: str
    no_label: str


@dataclass(frozen=True)
class SelectionChanged(Event):
    """The selection of a multi-select question changed (a toggled button)."""

    step_id: str
    seq: int
    selected: tuple[str, ...]


@dataclass(frozen=True)
class StaleInputIgnored(Event):
    """A tap on a button of a question that is already answered; nothing was recorded."""

    text: str


@dataclass(frozen=True)
class WentBack(Event):
    """The user went back from one question to the previous one."""

    from_step: str
    to_step: str


@dataclass(frozen=True)
class RunCompleted(Event):
    """The run reached the end of the flow."""

    text: str = ""
    vars: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunCancelled(Event):
    """The run was cancelled by the user."""

    text: str = ""


@dataclass(frozen=True)
class RunExpired(Event):
    """The run waited longer than the flow's idle limit and was closed."""

    text: str = ""

"""The state of one run of a flow, and the inputs that move it.

`RunState` is everything the engine needs to continue a conversation: it is stored as JSON in
the `flow_runs` table and read back on every update, so a restart resumes at the same question.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

RunStatus = Literal["active", "completed", "cancelled", "expired"]


class Pending(BaseModel):
    """Something the current question is waiting on besides a plain answer.

    `confirm` holds a value the user must confirm ("Did you mean X?"); `selection` holds the
    options toggled so far on a multi-select question.
    """

    confirm: Any = None
    confirm_display: str | None = None
    selection: list[str] | None = None


class RunState(BaseModel):
    """The position of a run in its (pinned) flow version."""

    flow_id: str
    flow_version: str
    flow_checksum: str = ""
    lang: str
    status: RunStatus = "active"
    current: str | None = None
    seq: int = 0
    answers: dict[str, Any] = Field(default_factory=dict)
    displays: dict[str, str] = Field(default_factory=dict)
    vars: dict[str, Any] = Field(default_factory=dict)
    history: list[str] = Field(default_factory=list)
    pending: Pending | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    started_at: datetime
    updated_at: datetime
    waiting_since: datetime | None = None
    """When the current question was first asked (answers written before it are for another)."""
    asked_at: datetime | None = None
    """When the current question was last sent, first time or again ("where was I?")."""
    last_text: str | None = None
    """The text typed as the last recorded answer (a second copy of it is recognised)."""
    asked_in: int | None = None
    """The channel's id of the input whose reply last carried the current question, or the
    end of the run (set by the service: whether that reply was delivered tells whether the
    user saw it)."""
    completed_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        """Whether the run still waits for input."""
        return self.status == "active"

    def copied(self) -> RunState:
        """A deep copy, for the engine to change while the caller keeps the original.

        Equal to ``model_copy(deep=True)`` but a fraction of its cost (it ran on every input):
        the state holds JSON-like values, so only dicts, lists and the pending model need
        copying; anything else unexpected still goes through `copy.deepcopy`.
        """
        values = {name: _copied(getattr(self, name)) for name in type(self).model_fields}
        return type(self).model_construct(_fields_set=set(self.model_fields_set), **values)


_IMMUTABLE = (str, int, float, bool, type(None), date, datetime, Decimal)


def _copied(value: Any) -> Any:
    """A deep copy of a JSON-like value (see `RunState.copied`)."""
    if isinstance(value, _IMMUTABLE):
        return value
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if isinstance(value, BaseModel):
        return value.model_copy(deep=True)
    return copy.deepcopy(value)


@dataclass(frozen=True)
class TextInput:
    """Something the user typed."""

    text: str


@dataclass(frozen=True)
class OptionInput:
    """A tapped button: option `option_id` of the question asked as number `seq`."""

    seq: int
    option_id: str


@dataclass(frozen=True)
class SubmitInput:
    """The "done" button of the multi-select question asked as number `seq`."""

    seq: int


@dataclass(frozen=True)
class BackInput:
    """The user asks to go back one question."""


Input = TextInput | OptionInput | SubmitInput | BackInput

"""Every chat command and service button, in one explicit table.

A command typed as ``/name`` and a service button ``c:name`` both reach the handler listed here
(flows' own commands, such as ``/assess``, are found through the flow library). Adding a
command means adding a line here: nothing registers itself on import.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.conversation.commands import BASIC_COMMANDS
from bot.conversation.coordination import COORDINATION_COMMANDS
from bot.conversation.reminders import REMINDER_COMMANDS
from bot.conversation.turn import Handler
from bot.conversation.web_link import WEB_COMMANDS


def _merged(*tables: Mapping[str, Handler]) -> Mapping[str, Handler]:
    merged: dict[str, Handler] = {}
    for table in tables:
        for name, handler in table.items():
            if name in merged:
                raise ValueError(f"command /{name} is listed twice")
            merged[name] = handler
    return MappingProxyType(merged)


COMMANDS: Mapping[str, Handler] = _merged(
    BASIC_COMMANDS, COORDINATION_COMMANDS, REMINDER_COMMANDS, WEB_COMMANDS
)
"""Command name (without the slash) → handler."""

__all__ = ["COMMANDS"]

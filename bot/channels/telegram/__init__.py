"""The bot on Telegram (python-telegram-bot v22): the only package importing `telegram`.

Modules, each one concern:

* `transport` — PTB's `BaseRequest` on sdgbot's aiohttp client (`bot.channels.http`);
* `limits` — every Bot API call paced by the process's one send budget and retried;
* `internals` — the one module using PTB's private members (`_post`, `_unfrozen`), to poll
  through unreadable updates and 401 spells and keep each fetched batch;
* `updates` — hostile fields cleaned at the edge, update kinds, commands, the keeping queue;
* `ordering` — one user's updates in order, different users concurrently;
* `channel` and `delivery` — `TelegramChannel`: updates in, replies and bulk sends out;
* `logs` and `running` — logging without the token, start-up, polling or webhook.
"""

from __future__ import annotations

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.common import CHANNEL, COMMANDS, Webhook
from bot.channels.telegram.logs import configure_logging, protect_token
from bot.channels.telegram.running import EXIT_STARTUP, run_bot, serve
from bot.channels.telegram.transport import BotApiRequest
from bot.channels.telegram.updates import split_command, update_kind

__all__ = [
    "CHANNEL",
    "COMMANDS",
    "EXIT_STARTUP",
    "BotApiRequest",
    "TelegramChannel",
    "Webhook",
    "configure_logging",
    "protect_token",
    "run_bot",
    "serve",
    "split_command",
    "update_kind",
]

"""Channels: where conversations happen (Telegram, the console).

A channel turns what arrives into `bot.messages.Incoming`, calls the service, and renders
the `Reply` with `bot.channels.render`. Only `bot.channels.telegram` imports python-telegram-bot.
"""

from bot.channels.base import Channel, ConversationService, user_hash
from bot.channels.render import Attachment, Button, Edit, OutMessage, parse_button, render

__all__ = [
    "Attachment",
    "Button",
    "Channel",
    "ConversationService",
    "Edit",
    "OutMessage",
    "parse_button",
    "render",
    "user_hash",
]

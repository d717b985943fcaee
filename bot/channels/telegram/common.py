"""What every part of the Telegram channel shares: its name, constants and a bounded memory.

No python-telegram-bot objects are built here except the constant link-preview option.
"""

from __future__ import annotations

import os

# Opt in to PTB's future timedelta time periods: with the int ones, merely building a
# RetryAfter issues a deprecation warning on every 429. Set before telegram is imported.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

from telegram import LinkPreviewOptions
from telegram.constants import ChatType

CHANNEL = "telegram"
COMMANDS = ("start", "menu", "assess", "post2030", "week", "checkin", "results", "deadlines",
            "language", "lite", "cancel", "help", "mydata", "forget")  # fmt: skip
"""The commands shown in Telegram's menu, in this order (descriptions: `cmd_<name>`)."""
GROUPS = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})
ATTACHMENT_KINDS = ("photo", "sticker", "voice", "video_note", "video", "audio", "animation",
                    "document", "location", "venue", "contact", "poll", "dice",
                    "story")  # fmt: skip
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # link previews cost bandwidth on 2G

T = TypeVar("T")


class Recent(Generic[T]):
    """A bounded map that forgets the least recently set keys (per-chat hints kept in memory)."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._items: OrderedDict[int, T] = OrderedDict()

    def get(self, key: int) -> T | None:
        """The value set for `key`, if still remembered."""
        return self._items.get(key)

    def set(self, key: int, value: T) -> None:
        """Remember `value` for `key`, forgetting the oldest key past `size`."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


@dataclass(frozen=True)
class Webhook:
    """Webhook mode: Telegram posts updates to `url`; PTB's server listens on `listen:port`."""

    url: str
    listen: str = "0.0.0.0"
    port: int = 8443
    secret: str | None = None


__all__ = ["ATTACHMENT_KINDS", "CHANNEL", "COMMANDS", "GROUPS", "NO_PREVIEW", "Recent", "Webhook"]

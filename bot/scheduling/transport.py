"""The seam between the sender and a messaging channel: `Transport` and the errors it raises.

The sender hands a channel one rendered message for one conversation and learns, from the error
raised, what to do with the outbox row: nothing raised means Telegram accepted the message.
No telegram import here; the Telegram channel implements this protocol.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.messages import ConversationKey

Buttons = list[list[tuple[str, str]]]
"""Inline keyboard rows of ``(label, callback data)``; the data are the service's taps."""


class SendError(Exception):
    """Base of what a transport raises when a message did not go out."""


class SendBlocked(SendError):
    """The user blocked the bot (Telegram 403): mark them blocked, never retry."""


class SendRateLimited(SendError):
    """Flood control (Telegram 429): pause all sending for ``retry_after`` seconds, then retry."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after:g} s")
        self.retry_after = float(retry_after)


class SendUnauthorized(SendRateLimited):
    """Telegram refused the bot's token (401): retry after ``retry_after``, pause bulk sends.

    A token revoked, then restored, is not the recipient's doing: the row is never marked
    failed or blocked for it.
    """


class SendRejected(SendError):
    """The message itself was refused (Telegram 400, a chat that does not exist): final."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SendFailed(SendError):
    """A transient failure (5xx, timeout, network): retry later with backoff."""


class Transport(Protocol):
    """Sends one message to one conversation (what `bot.scheduling.sender.Sender` needs)."""

    async def send(
        self, key: ConversationKey, text: str, buttons: Buttons | None, *, lite: bool
    ) -> None:
        """Send ``text`` (Telegram's HTML subset) with optional buttons.

        In lite mode the channel leaves the buttons out and lists them as numbered lines that a
        typed number picks, as it does for its own menus.

        Raises:
            SendBlocked: 403, the user blocked the bot.
            SendRateLimited: 429, with Telegram's ``retry_after``.
            SendUnauthorized: 401, the token refused for now (retried, nobody marked).
            SendRejected: 400 and other final refusals.
            SendFailed: 5xx, timeouts, connection errors (the sender retries).
        """
        ...


@runtime_checkable
class Busy(Protocol):
    """Optional: a transport that knows when it is answering people right now.

    The sender checks it before each bulk message and waits while it is True, so replies in a
    conversation never queue behind a broadcast.
    """

    def busy(self) -> bool:
        """True while replies to users are being handled or sent."""
        ...


__all__ = [
    "Busy",
    "Buttons",
    "SendBlocked",
    "SendError",
    "SendFailed",
    "SendRateLimited",
    "SendRejected",
    "SendUnauthorized",
    "Transport",
]

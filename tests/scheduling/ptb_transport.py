"""A `Transport` over python-telegram-bot's `Bot`: the reference for the Telegram channel's adapter.

It sends one message per call, with no retry of its own (the sender decides), and maps the Bot
API's answers to the transport errors: 429 → `SendRateLimited(retry_after)`, 403 → `SendBlocked`,
400 → `SendRejected`, 5xx / timeouts / connection errors → `SendFailed`. In lite mode the
buttons are left out and listed as numbered lines instead.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.messages import ConversationKey
from bot.scheduling.transport import (
    Buttons,
    SendBlocked,
    SendFailed,
    SendRateLimited,
    SendRejected,
)


class BotTransport:
    """Sends through a PTB `Bot` (initialised by the caller)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(
        self, key: ConversationKey, text: str, buttons: Buttons | None, *, lite: bool
    ) -> None:
        if key.channel != "telegram" or not key.external_id.lstrip("-").isdigit():
            raise SendRejected(f"not a Telegram chat: {key}")
        markup = None
        if buttons and not lite:
            markup = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(label, callback_data=data) for label, data in row]
                    for row in buttons
                ]
            )
        elif buttons:
            labels = [label for row in buttons for label, _ in row]
            text += "\n\n" + "\n".join(f"{n}. {label}" for n, label in enumerate(labels, 1))
        try:
            await self.bot.send_message(
                int(key.external_id),
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except RetryAfter as exc:
            wait = exc.retry_after
            raise SendRateLimited(
                wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            ) from exc
        except Forbidden as exc:
            raise SendBlocked() from exc
        except BadRequest as exc:  # before NetworkError: BadRequest is one of them
            raise SendRejected(exc.message) from exc
        except NetworkError as exc:  # 5xx, 502 pages, timeouts, connection errors
            raise SendFailed(exc.message) from exc
        except TelegramError as exc:
            raise SendRejected(exc.message) from exc

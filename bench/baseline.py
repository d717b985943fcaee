"""The baseline: a bare python-telegram-bot bot, the floor for any bot on this stack.

It answers every message and every tap at once with one question and four inline buttons: no
database, no flow engine, no rendering. It is tuned like sdgbot's channel (64 updates handled
concurrently, a 64-connection pool), so the difference measured is what sdgbot does on top.

Run: ``SDGBOT_TELEGRAM_TOKEN=… SDGBOT_TELEGRAM_API_URL=http://127.0.0.1:8081/bot
python -m bench.baseline`` (stops on SIGINT/SIGTERM).
"""

from __future__ import annotations

import logging
import os

os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest

__all__ = ["KEYBOARD", "QUESTION", "build", "main"]

QUESTION = "<b>Question</b> : quel est l'objectif prioritaire de votre commune ?"
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("ODD 6", callback_data="a"),
         InlineKeyboardButton("ODD 11", callback_data="b")],
        [InlineKeyboardButton("ODD 13", callback_data="c"),
         InlineKeyboardButton("ODD 16", callback_data="d")],
    ]
)  # fmt: skip


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a message with the question."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(QUESTION, parse_mode=ParseMode.HTML, reply_markup=KEYBOARD)


async def on_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a tap (stop the spinner), then ask the question again."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(
            chat.id, QUESTION, parse_mode=ParseMode.HTML, reply_markup=KEYBOARD
        )


def build(token: str, api_url: str) -> Application:
    """The baseline application for ``token`` on the Bot API at ``api_url`` (ending in /bot)."""
    app = (
        Application.builder()
        .token(token)
        .base_url(api_url)
        .request(HTTPXRequest(connection_pool_size=64))
        .get_updates_request(HTTPXRequest(connection_pool_size=1))
        .concurrent_updates(64)
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, on_message))
    app.add_handler(CallbackQueryHandler(on_tap))
    return app


def main() -> None:
    """Poll until SIGINT/SIGTERM."""
    logging.basicConfig(level=logging.WARNING)
    app = build(os.environ["SDGBOT_TELEGRAM_TOKEN"], os.environ["SDGBOT_TELEGRAM_API_URL"])
    app.run_polling(poll_interval=0, timeout=10)


if __name__ == "__main__":
    main()

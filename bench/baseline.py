"""The baseline: a bare python-telegram-bot bot, the floor for any bot on this stack.

It answers every message and every tap at once with one question and four inline buttons: no
database, no flow engine, no rendering. It is tuned like sdgbot's channel (64 updates handled
concurrently, a 64-connection pool), so the difference measured is what sdgbot does on top.

It talks HTTP as python-telegram-bot does by default (httpx). With ``--http sdgbot`` it uses
sdgbot's own HTTP client instead (`bot.channels.telegram.BotApiRequest`): the bench runs it too,
to show how much of the difference is the HTTP client and how much the rest of sdgbot.

Run: ``SDGBOT_TELEGRAM_TOKEN=… SDGBOT_TELEGRAM_API_URL=http://127.0.0.1:8081/bot
python -m bench.baseline [--http sdgbot]`` (stops on SIGINT/SIGTERM).
"""

from __future__ import annotations

import argparse
import logging
import os

os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters
from telegram.request import BaseRequest, HTTPXRequest

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


def _request(http: str, connections: int) -> BaseRequest:
    if http == "sdgbot":
        from bot.channels.http import Timeouts
        from bot.channels.telegram import BotApiRequest

        return BotApiRequest(connections=connections, timeouts=Timeouts())
    return HTTPXRequest(connection_pool_size=connections)


def build(token: str, api_url: str, http: str = "httpx") -> Application:
    """The baseline application for ``token`` on the Bot API at ``api_url`` (ending in /bot).

    ``http``: ``httpx`` (python-telegram-bot's default) or ``sdgbot`` (sdgbot's HTTP client).
    """
    app = (
        Application.builder()
        .token(token)
        .base_url(api_url)
        .request(_request(http, 64))
        .get_updates_request(_request(http, 1))
        .concurrent_updates(64)
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, on_message))
    app.add_handler(CallbackQueryHandler(on_tap))
    return app


def main() -> None:
    """Poll until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m bench.baseline")
    parser.add_argument("--http", choices=("httpx", "sdgbot"), default="httpx")
    http = parser.parse_args().http
    logging.basicConfig(level=logging.WARNING)
    app = build(os.environ["SDGBOT_TELEGRAM_TOKEN"], os.environ["SDGBOT_TELEGRAM_API_URL"], http)
    app.run_polling(poll_interval=0, timeout=10)


if __name__ == "__main__":
    main()

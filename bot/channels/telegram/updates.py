"""Reading updates at the channel's edge: cleaning hostile fields, kinds, commands, keeping.

Telegram (or a proxy, or a newer Bot API) can send fields of the wrong type: a text that is a
number or a list, a sender without a first name, callback data that is not a string, a chat
id as a string; and NUL bytes or lone surrogates, which PostgreSQL refuses. `clean_update`
fixes what has an obvious meaning (a numeric text is the text "42", a numeric string id is
that number) and removes the rest before python-telegram-bot parses the update, so no handler
meets a wrong type; an update left with nothing to answer is skipped with a log line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.constants import ChatType

from bot.channels.telegram.common import ATTACHMENT_KINDS
from bot.i18n import LANGUAGE_NAMES, LANGUAGES
from bot.messages import Command
from bot.text import fold

log = logging.getLogger("bot.channels.telegram")

MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")
"""The update fields holding a message (their content is cleaned the same way)."""

_TEXTS = ("text", "caption")  # (a caption's entities are `caption_entities`)
_OPTIONAL_NAMES = ("last_name", "username", "language_code", "title")


def storable(value: Any) -> Any:
    """`value` with what PostgreSQL refuses taken out of its strings (keys too), recursively.

    PostgreSQL refuses NUL in text and in JSON (an escaped NUL), and text that is not valid
    UTF-8 (a lone surrogate, which JSON can carry): NULs are removed, lone surrogates become
    "?". Nobody types either on purpose. Returns `value` itself when there was nothing to
    take out, so clean updates cost no copy.
    """
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                value = value.encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, dict):
        cleaned = {storable(k): storable(v) for k, v in value.items()}
        same = all(a is b for a, b in zip(cleaned.values(), value.values(), strict=True))
        return value if same and cleaned.keys() == value.keys() else cleaned
    if isinstance(value, list):
        items = [storable(v) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def _number(value: Any) -> int | None:
    """An integer field as a number: ints as they are, numeric strings converted, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _text(value: Any) -> str | None:
    """A text field as text: strings as they are, numbers written out, anything else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _clean_user(user: Any) -> dict[str, Any] | None:
    if not isinstance(user, dict) or (user_id := _number(user.get("id"))) is None:
        return None
    cleaned = {**user, "id": user_id, "is_bot": user.get("is_bot") is True,
               "first_name": _text(user.get("first_name")) or ""}  # fmt: skip
    for name in _OPTIONAL_NAMES:
        if name in cleaned and _text(cleaned[name]) is None:
            del cleaned[name]
        elif name in cleaned:
            cleaned[name] = _text(cleaned[name])
    return cleaned


def _clean_chat(chat: Any) -> dict[str, Any] | None:
    if not isinstance(chat, dict) or (chat_id := _number(chat.get("id"))) is None:
        return None
    kind = chat.get("type")
    if not isinstance(kind, str):
        kind = ChatType.PRIVATE if chat_id > 0 else ChatType.GROUP
    cleaned = {**chat, "id": chat_id, "type": kind}
    for name in ("first_name", *_OPTIONAL_NAMES):
        if name in cleaned and _text(cleaned[name]) is None:
            del cleaned[name]
    return cleaned


def _clean_message(message: Any) -> dict[str, Any] | None:
    if not isinstance(message, dict):
        return None
    chat = _clean_chat(message.get("chat"))
    message_id = _number(message.get("message_id"))
    if chat is None or message_id is None:
        return None
    date = message.get("date")
    if isinstance(date, float):
        date = int(date)
    if not isinstance(date, int) or isinstance(date, bool):
        date = _number(date) if _number(date) is not None else int(time.time())
    cleaned = {**message, "chat": chat, "message_id": message_id, "date": date}
    if "from" in cleaned and (sender := _clean_user(cleaned["from"])) is not None:
        cleaned["from"] = sender
    else:
        cleaned.pop("from", None)
    for name in _TEXTS:
        if name in cleaned and (text := _text(cleaned[name])) is not None:
            cleaned[name] = text
        else:
            cleaned.pop(name, None)
            cleaned.pop("entities" if name == "text" else "caption_entities", None)
    entities = cleaned.get("entities")
    if entities is not None and not (isinstance(entities, list) and all(
            isinstance(e, dict) and isinstance(e.get("type"), str)
            and _number(e.get("offset")) is not None and _number(e.get("length")) is not None
            for e in entities)):  # fmt: skip
        del cleaned["entities"]  # only formatting hints: commands are read from the text
    return cleaned


def _clean_query(query: Any) -> dict[str, Any] | None:
    if not isinstance(query, dict) or (sender := _clean_user(query.get("from"))) is None:
        return None
    query_id = _text(query.get("id"))
    if query_id is None:
        return None
    cleaned = {**query, "id": query_id, "from": sender,
               "chat_instance": _text(query.get("chat_instance")) or ""}  # fmt: skip
    if "data" in cleaned and (data := _text(cleaned["data"])) is not None:
        cleaned["data"] = data
    else:
        cleaned.pop("data", None)  # no data: answered as a closed question
    if "message" in cleaned and (message := _clean_message(cleaned["message"])) is not None:
        cleaned["message"] = message
    else:
        cleaned.pop("message", None)
    return cleaned


def clean_update(item: dict[str, Any]) -> dict[str, Any]:
    """A raw update with every field the channel reads of the type it expects (see module).

    A message or tap that cannot be made sense of (no chat id, no sender) is removed, leaving
    an update the handlers skip; the update id is always kept, so it is still confirmed.
    """
    cleaned = storable(item)
    result = dict(cleaned)
    for kind in MESSAGE_KINDS:
        if kind in result and (message := _clean_message(result[kind])) is not None:
            result[kind] = message
        elif kind in result:
            log.warning("skipping the unreadable %s of update %s", kind, item.get("update_id"))
            del result[kind]
    if "callback_query" in result:
        if (query := _clean_query(result["callback_query"])) is not None:
            result["callback_query"] = query
        else:
            log.warning("skipping the unreadable tap of update %s", item.get("update_id"))
            del result["callback_query"]
    return result


class KeepingQueue(asyncio.Queue[object]):
    """The application's update queue; behind a webhook it cleans and keeps each update first.

    python-telegram-bot answers Telegram's webhook call once `put` returns: keeping the update
    first (the inbox, see `TelegramChannel.keep_fetched`) means Telegram only hears "got it"
    when a crash can no longer lose it. Long polling cleans and keeps whole batches in
    `internals.TolerantBot` instead.
    """

    def __init__(self) -> None:
        super().__init__()
        self.keep: Callable[[list[dict[str, Any]]], Awaitable[None]] | None = None

    async def put(self, item: object) -> None:
        """Clean and keep `item` if it is an update and keeping is on, then queue it."""
        if self.keep is not None and isinstance(item, Update):
            try:
                raw = item.to_dict()
                cleaned = clean_update(raw)
                if cleaned != raw:  # a field of the wrong type or a NUL: read it again
                    item = Update.de_json(cleaned, item.get_bot())
            except Exception:  # never refuse an update for want of keeping it
                log.exception("could not keep update %s", item.update_id)
            else:
                await self.keep([cleaned])
        await super().put(item)


LANGUAGE_WORDS = {**{lang: lang for lang in LANGUAGES},
                  **{fold(name.strip()): lang
                     for lang, name in LANGUAGE_NAMES.items()}}  # fmt: skip


def update_kind(update: Update) -> str:
    """What an update is, for logs: text, command, tap, photo, sticker, edited, other."""
    if update.callback_query is not None:
        return "tap"
    message = update.message
    if message is not None:
        if message.text is not None:
            return "command" if message.text.startswith("/") else "text"
        return next((kind for kind in ATTACHMENT_KINDS if getattr(message, kind, None)), "other")
    if update.edited_message is not None:
        return "edited"
    if update.channel_post is not None or update.edited_channel_post is not None:
        return "channel_post"
    if update.my_chat_member is not None:
        return "membership"
    return "other"


def split_command(text: str, bot_username: str | None) -> Command | None:
    """`/name@bot argument` → Command; None if not a command, or one for another bot."""
    if not text.startswith("/"):
        return None
    head, _, argument = text[1:].partition(" ")
    name, _, target = head.partition("@")
    if not name or len(name) > 32 or not all(ch.isascii() and (ch.isalnum() or ch == "_")
                                             for ch in name):  # fmt: skip
        return None
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return Command(name.lower(), argument.strip())


def reaches_service(item: dict[str, Any]) -> bool:
    """Whether a raw update is one the service handles and claims (`keep_fetched`)."""
    if not isinstance(item, dict) or not isinstance(item.get("update_id"), int):
        return False
    if isinstance(item.get("callback_query"), dict):
        return True
    message = item.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("text"), str):
        return False
    chat = message.get("chat")
    private = isinstance(chat, dict) and chat.get("type") == ChatType.PRIVATE
    return private or message["text"].startswith("/")


__all__ = ["LANGUAGE_WORDS", "MESSAGE_KINDS", "KeepingQueue", "clean_update", "fold",
           "reaches_service", "split_command", "storable", "update_kind"]  # fmt: skip

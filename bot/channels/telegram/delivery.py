"""The channel's sending side: replies, messages for other people, edits, and bulk sends.

`Delivery` is mixed into `TelegramChannel`. Replies and partner messages go through the
application's bot, paced by the process's one send budget (`limits.PacedRequests`); bulk
sends (reminders, broadcasts) go through a bot of their own without retries — the outbox
sender paces them from the same budget and decides what a 429, a 401 or a timeout means for
each message (`bot.scheduling.sender`).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, User
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application

from bot.channels.base import ConversationService, user_hash
from bot.channels.render import Button, Edit, OutMessage, mark_selection, render
from bot.channels.telegram.common import CHANNEL, NO_PREVIEW, Recent
from bot.channels.telegram.internals import TolerantBot
from bot.channels.telegram.limits import seconds
from bot.channels.telegram.transport import BotApiRequest
from bot.config import Settings
from bot.i18n import Messages, escape, html_to_plain, normalize_language
from bot.messages import ConversationKey, Reply
from bot.scheduling.transport import (
    SendBlocked,
    SendFailed,
    SendRateLimited,
    SendRejected,
    SendUnauthorized,
)

log = logging.getLogger("bot.channels.telegram")

UNAUTHORIZED_WAIT = 30.0
"""Seconds bulk sending pauses, and a reply keeps retrying, when Telegram refuses the token
(401): not the people's fault, so outbox rows are retried, never marked failed or blocked."""


class Delivery:
    """Sending for `TelegramChannel` (which sets these attributes up)."""

    app: Application[Any, Any, Any, Any, Any, Any]
    service: ConversationService
    settings: Settings
    messages: Messages
    unauthorized_wait: float
    _bot: TolerantBot
    _bulk: Bot | None
    _bulk_request: BotApiRequest
    _inflight: int
    _langs: Recent[str]
    _numbered: Recent[tuple[tuple[str, ...], datetime]]
    _sent_dates: Recent[datetime]
    _sent_ids: Recent[int]

    # -- bulk sending: the outbox's transport (bot.scheduling.transport.Transport) ------------

    def busy(self) -> bool:
        """True while updates are being handled: bulk sends wait, replies go first."""
        return self._inflight > 0

    async def send(self, key: ConversationKey, text: str,
                   buttons: list[list[tuple[str, str]]] | None, *, lite: bool) -> None:  # fmt: skip
        """Send one reminder or broadcast message; Bot API answers become transport errors."""
        if key.channel != CHANNEL or not key.external_id.lstrip("-").isdigit():
            raise SendRejected(f"not a Telegram chat: {key}")
        chat_id = int(key.external_id)
        bulk = await self._bulk_bot()
        markup = None
        numbered: tuple[str, ...] = ()
        if buttons and not lite:
            rows = [[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                    for row in buttons]  # fmt: skip
            markup = InlineKeyboardMarkup(rows)
        elif buttons:
            flat = [(label, data) for row in buttons for label, data in row]
            lines = [f"{n}. {escape(html_to_plain(label))}" for n, (label, _) in
                     enumerate(flat, start=1)]  # fmt: skip
            text += "\n\n" + "\n".join(lines)
            numbered = tuple(data for _, data in flat)
        try:
            await bulk.send_message(chat_id, text, parse_mode=ParseMode.HTML,
                                          reply_markup=markup,
                                          link_preview_options=NO_PREVIEW)  # fmt: skip
        except RetryAfter as exc:
            raise SendRateLimited(seconds(exc.retry_after)) from exc
        except InvalidToken as exc:  # a token spell, not this person's doing: pause, retry
            log.warning("Telegram refused the token (401) for a bulk send; pausing %.0f s",
                        self.unauthorized_wait)  # fmt: skip
            raise SendUnauthorized(self.unauthorized_wait) from exc
        except Forbidden as exc:
            raise SendBlocked() from exc
        except BadRequest as exc:  # before NetworkError: BadRequest is one of them
            raise SendRejected(exc.message) from exc
        except NetworkError as exc:  # 5xx, timeouts, dropped connections: the sender retries
            raise SendFailed(exc.message) from exc
        except TelegramError as exc:
            raise SendRejected(exc.message) from exc
        if numbered and chat_id > 0:
            self._numbered.set(chat_id, (numbered, datetime.now(UTC)))

    # -- sending ----------------------------------------------------------------------------------

    async def _bulk_bot(self) -> Bot:
        """The bot bulk sends go through, initialised (getMe) on first use."""
        if self._bulk is not None:
            return self._bulk
        bot = Bot(self.settings.telegram_token or "", base_url=self.settings.telegram_api_url,
                  request=self._bulk_request)  # fmt: skip
        try:
            await bot.initialize()
        except InvalidToken as exc:  # a token spell: pause, as for a 401 on a send
            raise SendUnauthorized(self.unauthorized_wait) from exc
        except TelegramError as exc:
            raise SendFailed(exc.message) from exc
        self._bulk = bot
        return bot

    async def deliver(self, chat_id: int, external_id: str, reply: Reply,
                      tapped: Message | None = None) -> bool:  # fmt: skip
        """Send a reply to `chat_id` (messages to other people go through the outbox).

        Returns:
            Whether every message of the reply reached `chat_id`.
        """
        outs = render(reply, self.messages)
        return await self._send_all(chat_id, external_id, outs, reply.lite, reply.lang,
                                    tapped)  # fmt: skip

    async def _send_all(self, chat_id: int, external_id: str, outs: list[OutMessage], lite: bool,
                        lang: str, tapped: Message | None) -> bool:  # fmt: skip
        """Send `outs` in order; whether they all went out (a refused edit counts as sent)."""
        failed = False
        for out in outs:
            try:
                await self._send_one(chat_id, out, lite, lang, tapped)
            except Forbidden:
                if chat_id > 0:
                    log.info("user=%s blocked the bot", user_hash(CHANNEL, external_id))
                    await self.service.mark_blocked(CHANNEL, external_id)
                return False
            except BadRequest as error:
                log.warning("Telegram refused a message to user=%s: %s",
                            user_hash(CHANNEL, external_id), error.message)  # fmt: skip
                failed = True
            except TelegramError as error:  # retries exhausted (timeouts, 5xx, floods)
                log.warning("could not send to user=%s: %s", user_hash(CHANNEL, external_id),
                            error.message)  # fmt: skip
                failed = True
        if failed:
            with contextlib.suppress(TelegramError):
                await self._send_text(chat_id, self.messages.get("tg_send_failed", lang))
        return not failed

    async def _send_one(self, chat_id: int, out: OutMessage, lite: bool, lang: str,
                        tapped: Message | None) -> None:  # fmt: skip
        bot = self.app.bot
        if out.edit_of is not None:
            if tapped is not None:
                await self._edit(tapped, out.edit_of, lite, lang)
            return
        if out.attachment is not None:
            item = out.attachment
            caption = out.text or None
            if item.is_image:
                await bot.send_photo(chat_id, item.content, caption=caption,
                                     parse_mode=ParseMode.HTML, filename=item.filename)  # fmt: skip
            else:
                await bot.send_document(chat_id, item.content, caption=caption,
                                        filename=item.filename,
                                        parse_mode=ParseMode.HTML)  # fmt: skip
            return
        sent_at = datetime.now(UTC)  # before the send: a question asked after it is later
        await self._send_text(chat_id, out.text, out.buttons)
        if chat_id > 0:
            self._numbered.set(chat_id, (out.numbered, sent_at))

    async def _send_text(self, chat_id: int, text: str,
                         buttons: list[list[Button]] | None = None) -> None:  # fmt: skip
        sent = await self._bot.call("sendMessage", {
            "chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML,
            "reply_markup": keyboard(buttons), "link_preview_options": NO_PREVIEW,
        })  # fmt: skip
        # Telegram's date of the last message sent to each chat: when a reply reached the
        # person, on the clock their messages' dates are on (see `mark_replied`).
        sent = sent if isinstance(sent, dict) else {}
        date, message_id = sent.get("date"), sent.get("message_id")
        if isinstance(date, int) and chat_id > 0:
            self._sent_dates.set(chat_id, datetime.fromtimestamp(date, UTC))
        if isinstance(message_id, int) and chat_id > 0:
            self._sent_ids.set(chat_id, message_id)

    async def _edit(self, tapped: Message, edit: Edit, lite: bool, lang: str) -> None:
        """Edit the tapped message; cosmetic, so a refused edit is only logged."""
        rows = buttons_of(tapped)
        try:
            if edit.selected is not None:
                marked = mark_selection(rows, edit.selected, edit.seq)
                if lite:  # no edits in lite mode: say what is selected instead
                    chosen = [b.label.removeprefix("✅ ") for row in marked for b in row
                              if b.label.startswith("✅ ")]  # fmt: skip
                    text = self.messages.get("tg_selected", lang, options=", ".join(chosen) or "—")
                    await self._send_text(tapped.chat.id, text)
                elif marked != rows:
                    await self._bot.call(
                        "editMessageReplyMarkup",
                        {**where(tapped), "reply_markup": keyboard(marked)},
                    )
            elif edit.answer is not None and not lite and rows:
                original = tapped.text_html if tapped.text else ""
                answered = f"{original}\n\n✅ {edit.answer}"
                # Without a reply_markup, an edit removes the keyboard.
                if original and len(html_to_plain(answered)) < 4000:
                    await self._bot.call("editMessageText", {
                        **where(tapped), "text": answered, "parse_mode": ParseMode.HTML,
                        "link_preview_options": NO_PREVIEW,
                    })  # fmt: skip
                else:
                    await self._bot.call("editMessageReplyMarkup", where(tapped))
        except BadRequest as error:
            log.info("edit of message %s refused: %s", tapped.message_id, error.message)

    async def remove_keyboard(self, tapped: Message) -> None:
        """Take the buttons off a message whose question is closed (cosmetic: errors logged)."""
        if tapped.reply_markup is None:
            return
        try:
            await self._bot.call("editMessageReplyMarkup", where(tapped))
        except TelegramError as error:
            log.info("could not remove the keyboard of message %s: %s", tapped.message_id,
                     error.message)  # fmt: skip

    async def _notice(self, chat_id: int, user: User, key: str) -> None:
        """A short channel-level reply (unsupported content, edited message…)."""
        lang = self._langs.get(user.id) or normalize_language(
            user.language_code, self.settings.default_language
        )
        try:
            await self._send_text(chat_id, self.messages.get(key, lang))
        except Forbidden:
            if chat_id > 0:
                await self.service.mark_blocked(CHANNEL, str(user.id))
        except TelegramError as error:
            log.warning("could not send %s: %s", key, error.message)


def keyboard(rows: list[list[Button]] | None) -> dict[str, Any] | None:
    """An inline keyboard as the Bot API's JSON (no PTB objects to build and serialise)."""
    if not rows:
        return None
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.data} for b in row]
                                for row in rows]}  # fmt: skip


def where(message: Message) -> dict[str, Any]:
    """The parameters naming `message` for an edit."""
    return {"chat_id": message.chat.id, "message_id": message.message_id}


def buttons_of(message: Message) -> list[list[Button]]:
    """The inline buttons of a sent message (those with callback data)."""
    markup = message.reply_markup
    if markup is None:
        return []
    return [[Button(b.text, str(b.callback_data)) for b in row if isinstance(b.callback_data, str)]
            for row in markup.inline_keyboard]  # fmt: skip


__all__ = ["UNAUTHORIZED_WAIT", "Delivery", "buttons_of", "keyboard", "where"]

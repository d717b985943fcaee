"""`TelegramChannel`: updates in, through the conversation service, replies out.

Every update becomes an `Incoming` for the service (`Conversations.handle`, one transaction,
deduplicated by update id), then the `Reply` is rendered (`bot.channels.render`) and sent
(`delivery`). Updates of one user are handled in order (`ordering`), different users
concurrently; fields are read defensively (`updates.clean_update` ran before parsing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from telegram import Bot, BotCommand, CallbackQuery, Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.channels.base import Channel, ConversationService, log_update
from bot.channels.http import Timeouts
from bot.channels.render import parse_button
from bot.channels.telegram.common import CHANNEL, COMMANDS, GROUPS, Recent, Webhook
from bot.channels.telegram.delivery import UNAUTHORIZED_WAIT, Delivery
from bot.channels.telegram.internals import TolerantBot
from bot.channels.telegram.limits import PacedRequests
from bot.channels.telegram.logs import protect_token
from bot.channels.telegram.ordering import InOrderPerUser
from bot.channels.telegram.transport import BotApiRequest
from bot.channels.telegram.updates import (
    LANGUAGE_WORDS,
    KeepingQueue,
    reaches_service,
    split_command,
    update_kind,
)
from bot.config import Settings
from bot.conversation.commands import typed_offer_choice
from bot.flow.events import StaleInputIgnored
from bot.flow.state import Input, SubmitInput, TextInput
from bot.i18n import LANGUAGES, Messages, html_to_plain
from bot.messages import Command, ConversationKey, Incoming, Reply, Tap
from bot.scheduling.rate import Limits, SendBudget
from bot.text import fold

log = logging.getLogger("bot.channels.telegram")


class TelegramChannel(Delivery, Channel):
    """The Telegram channel around a python-telegram-bot `Application`.

    Args:
        service: the conversation service.
        settings: token, API URL, send rate.
        messages: system texts (default: the shipped catalogue's).
        limits: flood limits (default: Telegram's, overall rate from `settings.send_rate`).
        retry_base: first backoff delay after a 5xx or a timeout, in seconds.
        timeout: read/connect timeout of Bot API calls, in seconds.
        poll_timeout: long-polling timeout of `getUpdates`, in seconds.
        unauthorized_wait: while Telegram refuses the token (401), seconds a reply keeps
            retrying and bulk sending pauses between tries.
    """

    name = CHANNEL

    def __init__(
        self,
        service: ConversationService,
        settings: Settings,
        *,
        messages: Messages | None = None,
        limits: Limits | None = None,
        retry_base: float = 0.5,
        timeout: float = 10.0,
        poll_timeout: float = 10.0,
        unauthorized_wait: float = UNAUTHORIZED_WAIT,
    ) -> None:
        super().__init__(service)
        if not settings.telegram_token:
            raise ValueError("SDGBOT_TELEGRAM_TOKEN is not set")
        if messages is None:
            from bot.content import shipped_catalogue

            messages = shipped_catalogue().messages
        self.settings = settings
        self.messages = messages
        self.poll_timeout = poll_timeout
        self.unauthorized_wait = unauthorized_wait
        self.limiter = SendBudget(limits or Limits(per_second=settings.send_rate))
        """The process's one send budget: replies here, bulk sends in the outbox sender."""
        self._langs: Recent[str] = Recent()
        # The options of the last numbered service prompt sent to each chat, and when.
        self._numbered: Recent[tuple[tuple[str, ...], datetime]] = Recent()
        self._sent_dates: Recent[datetime] = Recent()
        # ... and its message id: the chat's messages, theirs and the bot's, share one sequence.
        self._sent_ids: Recent[int] = Recent()
        self._inflight = 0
        # Bulk sends (reminders, broadcasts) go through a bot of their own without retries:
        # the outbox sender decides what a 429 or a timeout means for each message.
        timeouts = Timeouts(connect=timeout, read=timeout, write=timeout, pool=timeout)
        self._bulk_request = BotApiRequest(connections=8, timeouts=timeouts)
        self._bulk: Bot | None = None
        self._request = BotApiRequest(connections=64, timeouts=timeouts)
        self._updates_request = BotApiRequest(connections=1, timeouts=timeouts)
        api = settings.telegram_api_url
        base_file_url = (api.removesuffix("/bot") + "/file/bot" if api.endswith("/bot")
                         else "https://api.telegram.org/file/bot")  # fmt: skip
        bot = TolerantBot(
            settings.telegram_token, base_url=api, base_file_url=base_file_url,
            request=self._request, get_updates_request=self._updates_request,
            rate_limiter=PacedRequests(self.limiter, retry_base=retry_base,
                                       unauthorized_wait=unauthorized_wait),
            on_fetched=self.keep_fetched,
        )  # fmt: skip
        self._bot = bot
        self._queue = KeepingQueue()
        builder = (ApplicationBuilder().bot(bot).update_queue(self._queue)
                   .concurrent_updates(InOrderPerUser()))  # fmt: skip
        self.app: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.app.add_error_handler(self._on_error)

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self, webhook: Webhook | None = None) -> None:
        """Check the token (getMe), register the commands, then poll or listen.

        Raises:
            InvalidToken: Telegram rejected the token.
            NetworkError: the Bot API could not be reached.
        """
        protect_token(self.settings.telegram_token or "")
        try:
            await self.app.initialize()
        except BaseException:
            await self._request.shutdown()
            await self._updates_request.shutdown()
            raise
        await self.register_commands()
        await self.app.start()
        updater = self.app.updater
        assert updater is not None
        await self._replay_unhandled()
        if webhook is None:
            await updater.start_polling(
                poll_interval=0, timeout=timedelta(seconds=self.poll_timeout),
                bootstrap_retries=3, error_callback=self._polling_error,
            )  # fmt: skip
        else:
            self._queue.keep = self.keep_fetched
            await updater.start_webhook(
                listen=webhook.listen, port=webhook.port,
                url_path=urlparse(webhook.url).path.lstrip("/"), webhook_url=webhook.url,
                secret_token=webhook.secret, bootstrap_retries=3,
            )  # fmt: skip
        log.info("telegram channel running as @%s (%s)", self.app.bot.username,
                 "webhook" if webhook else "long polling")  # fmt: skip

    async def keep_fetched(self, batch: list[dict[str, Any]]) -> None:
        """Keep the updates of a fetched batch that the service will handle (`_replay_unhandled`).

        Only what reaches the service is kept — private texts, group commands and taps — so
        that what is replayed is what a transaction claims once handled. The batch is cleaned
        already (`updates.clean_update`: no NUL for PostgreSQL); should the database still
        refuse it, each update is kept on its own, so one bad update never costs the others
        their crash safety.
        """
        kept = [(item["update_id"], item) for item in batch if reaches_service(item)]
        if not kept:
            return
        try:
            await self.service.keep_fetched(CHANNEL, kept)
            return
        except Exception:  # keeping is a safety net: never let it stop updates coming in
            if len(kept) == 1:
                log.exception("could not keep fetched update %s", kept[0][0])
                return
            log.warning("could not keep %d fetched updates at once; keeping them one by one",
                        len(kept))  # fmt: skip
        for update_id, item in kept:
            try:
                await self.service.keep_fetched(CHANNEL, [(update_id, item)])
            except Exception:
                log.exception("could not keep fetched update %s", update_id)

    async def _replay_unhandled(self) -> None:
        """Handle the updates received before a crash and never handled, oldest first.

        python-telegram-bot confirms a polled batch as soon as it is fetched, and answers a
        webhook call as soon as the update is queued, so Telegram will not send these again:
        without this their senders would get no answer.
        """
        pending = await self.service.unhandled_fetched(CHANNEL)
        for update_id, payload, fetched_at in pending:
            try:
                update = Update.de_json(payload, self._bot)
            except Exception:  # unreadable now (it was kept raw): skip it, as polling would
                log.warning("skipping unreadable kept update %s", update_id)
                continue
            self._bot.fetched_at.set(update.update_id, fetched_at)
            await self.app.update_queue.put(update)
        if pending:
            log.info("handling %d updates fetched before the restart", len(pending))

    async def stop(self) -> None:
        """Stop fetching updates, let handlers in progress finish, close connections."""
        if self._bulk is not None:
            with contextlib.suppress(Exception):
                await self._bulk.shutdown()
            self._bulk = None
        updater = self.app.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def register_commands(self) -> None:
        """Register the command list (setMyCommands) in each language, and a default list."""
        languages: list[str | None] = [*LANGUAGES, None]
        for lang in languages:
            texts = lang or self.settings.default_language
            commands = [BotCommand(name, html_to_plain(self.messages.get(f"cmd_{name}", texts)))
                        for name in COMMANDS]  # fmt: skip
            try:
                await self.app.bot.set_my_commands(commands, language_code=lang)
            except TelegramError as error:
                log.warning("could not register the %s commands: %s", lang or "default", error)

    def _polling_error(self, error: TelegramError) -> None:
        log.warning("getUpdates failed (%s); retrying with backoff", error.message)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("unhandled error in the Telegram application: %s", context.error,
                  exc_info=context.error)  # fmt: skip

    # -- updates --------------------------------------------------------------------------------

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self._inflight += 1
        try:
            await self._handle_update(update)
        finally:
            self._inflight -= 1

    async def _handle_update(self, update: Update) -> None:
        started = time.monotonic()
        kind = update_kind(update)
        user = update.effective_user
        reply: Reply | None = None
        outcome = "ok"
        try:
            reply = await self._dispatch(update)
        except Exception:  # one broken update must never stop the bot
            outcome = "error"
            log.exception("update %s (%s) failed", update.update_id, kind)
            chat = update.effective_chat
            if chat is not None and chat.type == ChatType.PRIVATE and user is not None:
                await self._notice(chat.id, user, "tg_internal_error")
        finally:
            log_update(CHANNEL, user.id if user else None, kind, reply,
                       time.monotonic() - started, outcome)  # fmt: skip

    async def _dispatch(self, update: Update) -> Reply | None:
        if update.callback_query is not None:
            return await self._on_tap(update)
        if update.my_chat_member is not None:
            await self._on_membership(update)
            return None
        edited = update.edited_message
        if edited is not None:
            if edited.chat.type == ChatType.PRIVATE and edited.from_user is not None:
                await self._notice(edited.chat.id, edited.from_user, "tg_edited")
            return None
        message = update.message
        # Channel posts, polls, reactions, kinds from a newer Bot API: nothing to answer.
        if message is None or message.from_user is None or message.from_user.is_bot:
            return None
        user, chat = message.from_user, message.chat
        group = chat.type in GROUPS
        if chat.type != ChatType.PRIVATE and not group:
            return None
        if message.text is None:
            if not group:
                await self._notice(chat.id, user, "tg_unsupported")
            return None
        payload = self._payload(message.text, chat.id, group)
        if payload is None:
            return None
        return await self._handle(update, user, chat.id, payload, None, group, None)

    def _payload(self, text: str, chat_id: int, group: bool) -> Command | Tap | TextInput | None:
        command = split_command(text, self.app.bot.username)
        if command is not None:
            if command.name == "language" and fold(command.argument.strip()) in LANGUAGE_WORDS:
                return Tap(f"l:{LANGUAGE_WORDS[fold(command.argument.strip())]}")
            return command
        if group:
            return None  # in groups only commands are for the bot
        offered, sent_at = self._numbered.get(chat_id) or ((), None)
        chosen = typed_offer_choice(text, offered) if offered else None
        if chosen is not None:
            # A number (or "oui", "frans") typed after a menu picks from it — unless a question
            # was asked since (perhaps by another process): the service tells, from `offered_at`.
            return Tap(chosen, typed=text, offered_at=sent_at)
        return TextInput(text)

    def _written_by(self, update: Update) -> datetime | None:
        """When the user had surely written a message by (`Incoming.written_by`).

        Its date is in whole seconds, rounded down; fetching it is a later, exact bound, on
        this machine's clock — the one the service stamps questions with. A backlog fetched
        at once after a restart is told apart by it: each message in it was written before
        the bot answered any of them.
        """
        message = update.message
        if message is None:
            return None  # a tap is answered by its button's question number instead
        bounds = [message.date + timedelta(seconds=1)]
        bot = self.app.bot
        fetched = bot.fetched_at.get(update.update_id) if isinstance(bot, TolerantBot) else None
        if fetched is not None:
            bounds.append(fetched)
        return min(bounds)

    async def _on_tap(self, update: Update) -> Reply | None:
        query = update.callback_query
        assert query is not None
        # Stopping the spinner needs no answer from the service: it goes out while the tap is
        # handled, one round trip less before the reply on a slow link.
        answering = asyncio.create_task(self._answer_query(query.id))
        try:
            return await self._handle_tap(update, query)
        finally:
            await answering

    async def _answer_query(self, query_id: str) -> None:
        with contextlib.suppress(TelegramError):  # expired queries cannot be answered; fine
            await self._bot.answer_callback_query(query_id)

    async def _handle_tap(self, update: Update, query: CallbackQuery) -> Reply | None:
        user = query.from_user
        message = query.message
        chat_id = message.chat.id if message is not None else user.id
        group = message is not None and message.chat.type in GROUPS
        tapped = message if isinstance(message, Message) else None
        parsed = parse_button(query.data or "")
        if parsed is None:
            await self._notice(chat_id, user, "tg_closed")
            return None
        payload, run_id = parsed
        return await self._handle(update, user, chat_id, payload, run_id, group, tapped)

    async def _on_membership(self, update: Update) -> None:
        member = update.my_chat_member
        assert member is not None
        if (member.chat.type == ChatType.PRIVATE
                and member.new_chat_member.status == ChatMemberStatus.BANNED):  # fmt: skip
            await self.service.mark_blocked(CHANNEL, str(member.from_user.id))

    async def _handle(self, update: Update, user: User, chat_id: int,
                      payload: Input | Command | Tap, run_id: int | None,
                      group: bool, tapped: Message | None) -> Reply:  # fmt: skip
        incoming = Incoming(
            key=ConversationKey(CHANNEL, str(user.id)),
            payload=payload,
            update_id=update.update_id,
            run_id=run_id,
            name=user.full_name or "",  # PTB gives None for an empty first name
            language_code=user.language_code,
            chat_kind="group" if group else "private",
            written_by=self._written_by(update),
            message_id=update.message.message_id if update.message is not None else None,
        )
        reply = await self.service.handle(incoming)
        if not reply.duplicate:
            self._langs.set(user.id, reply.lang)
            if isinstance(payload, SubmitInput) and tapped is not None and _only_stale(reply):
                # "✔ Done" on a question its last tap already closed (ratings, multi-select
                # at its maximum): the next question is on screen already, so nothing to
                # tell; the keyboard left behind is taken away.
                await self.remove_keyboard(tapped)
                await self.service.mark_replied(incoming.key, update.update_id)
            elif await self.deliver(chat_id, str(user.id), reply, tapped):
                # Only now is the reply with the user: a re-delivered update after this is
                # ignored, and a repeated answer is an answer to the question it carried
                # if written after the moment Telegram dated its last message.
                await self.service.mark_replied(incoming.key, update.update_id,
                                                self._sent_dates.get(chat_id),
                                                self._sent_ids.get(chat_id))  # fmt: skip
        return reply


def _only_stale(reply: Reply) -> bool:
    """Whether a reply says the tapped question was closed already.

    The service then asks the current question again: the one after the closed question,
    which the person has just been sent.
    """
    return bool(reply.events) and isinstance(reply.events[0], StaleInputIgnored)


__all__ = ["TelegramChannel"]

"""The Bot API methods the fake implements, each enforcing Telegram's rules.

A method takes a :class:`Call` (decoded parameters plus request facts) and returns the
``result`` of a successful answer, or raises :class:`~tests.fakes.bot_api_rules.ApiError`.
The order of checks follows Telegram where it is observable (e.g. an empty text is reported
before an unknown chat).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.bot_api_limits import RateLimiter
from tests.fakes.bot_api_model import SentMessage
from tests.fakes.bot_api_rules import (
    NOT_MODIFIED,
    ApiError,
    Params,
    bad_request,
    check_commands,
    check_formatted,
    check_language_code,
    check_reply_markup,
    check_scope,
    forbidden,
    too_many_requests,
)
from tests.fakes.bot_api_world import World

__all__ = ["SEND_METHODS", "Call", "Methods"]

# Methods that deliver or change a message: flood control and fault_rate apply to them.
SEND_METHODS = frozenset(
    {"sendmessage", "sendphoto", "senddocument", "editmessagetext", "editmessagereplymarkup"}
)
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)  # fmt: skip
DOCUMENT_LIMIT = 50 * 1024 * 1024
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


@dataclass
class Call:
    """One method call: its parameters, request size, and whether it delivered a message."""

    params: Params
    body_bytes: int
    delivered: bool = False


@dataclass
class Methods:
    """The method table over a :class:`World`.

    Attributes:
        world: users, chats, updates and sent messages.
        limiter: flood control.
        strict_ampersand: reject a bare ``&`` in HTML (see ``bot_api_html``).
        callback_timeout: seconds after which a callback query can no longer be answered.
    """

    world: World
    limiter: RateLimiter
    strict_ampersand: bool = True
    callback_timeout: float = 15.0
    webhook_url: str = ""
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)

    def lookup(self, method: str) -> Callable[[Call], Awaitable[Any]] | None:
        """The handler for ``method`` (Bot API method names are case-insensitive)."""
        return self._table().get(method.lower())

    def _table(self) -> dict[str, Callable[[Call], Awaitable[Any]]]:
        return {
            "getme": self.get_me,
            "getupdates": self.get_updates,
            "setwebhook": self.set_webhook,
            "deletewebhook": self.delete_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "sendmessage": self.send_message,
            "sendphoto": self.send_photo,
            "senddocument": self.send_document,
            "editmessagetext": self.edit_message_text,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "deletemessage": self.delete_message,
            "answercallbackquery": self.answer_callback_query,
            "sendchataction": self.send_chat_action,
            "getfile": self.get_file,
            "close": self.close,
            "logout": self.close,
        }

    # -- shared checks ------------------------------------------------------------------

    @staticmethod
    def _chat_ref(p: Params) -> int | str:
        raw = p.string("chat_id")
        if raw is None or not raw.strip():
            raise bad_request("chat_id is empty")
        raw = raw.strip()
        return int(raw) if raw.lstrip("-").isdigit() else raw

    def _chat(self, ref: int | str) -> int:
        """Resolve a chat the bot may write to: 400 if unknown, 403 if the user blocked it."""
        chat_id: int | None = ref if isinstance(ref, int) else None
        if isinstance(ref, str) and ref.startswith("@"):
            chat_id = next(
                (
                    cid
                    for cid, chat in self.world.chats.items()
                    if chat.get("username") == ref[1:] and cid < 0
                ),
                None,
            )
        if chat_id is None or chat_id not in self.world.chats:
            raise bad_request("chat not found")
        if chat_id in self.world.blocked:
            raise forbidden("bot was blocked by the user")
        return chat_id

    def _admit(self, chat_id: int) -> None:
        retry_after = self.limiter.admit(chat_id)
        if retry_after is not None:
            raise too_many_requests(retry_after)

    def _check_reply(self, p: Params, chat_id: int) -> None:
        reply = p.json("reply_parameters", "reply parameters")
        if isinstance(reply, dict):
            target, lenient = (
                reply.get("message_id"),
                bool(reply.get("allow_sending_without_reply")),
            )
            if target is None:
                raise bad_request("can't parse ReplyParameters: Can't find field \"message_id\"")
            chat_id = (
                int(reply.get("chat_id", chat_id))
                if str(reply.get("chat_id", "")).lstrip("-").isdigit()
                else chat_id
            )
        else:
            target, lenient = (
                p.integer("reply_to_message_id"),
                p.boolean("allow_sending_without_reply"),
            )
        if (
            target is not None
            and not lenient
            and not self.world.message_exists(chat_id, int(target))
        ):
            raise bad_request("message to be replied not found")

    def _deliver(self, call: Call, message: SentMessage) -> dict[str, Any]:
        self.world.record_sent(message)
        call.delivered = True
        return message.to_api(self.world.bot_user)

    def _new_message(self, call: Call, method: str, chat_id: int, **fields: Any) -> SentMessage:
        world = self.world
        return SentMessage(
            chat_id=chat_id,
            message_id=world.next_message_id(chat_id),
            method=method,
            time=world.clock(),
            request_bytes=call.body_bytes,
            chat=world.chats[chat_id],
            date=int(world.wall_clock()),
            **fields,
        )

    # -- bot identity and updates -------------------------------------------------------

    async def get_me(self, call: Call) -> dict[str, Any]:
        """getMe."""
        return {
            **self.world.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, call: Call) -> list[dict[str, Any]]:
        """getUpdates with real long polling (see ``UpdateQueue``)."""
        p = call.params
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        allowed = p.json("allowed_updates", "allowed updates")
        if allowed is not None and not isinstance(allowed, list):
            raise bad_request("can't parse allowed updates JSON object")
        limit = p.integer("limit") or 100
        return await self.world.updates.get(
            offset=p.integer("offset"),
            limit=min(100, max(1, limit)),
            timeout=p.number("timeout") or 0.0,
            allowed_updates=[str(kind) for kind in allowed] if allowed is not None else None,
        )

    async def set_webhook(self, call: Call) -> bool:
        """setWebhook (stored only: the fake never calls a webhook)."""
        url = call.params.string("url") or ""
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if call.params.boolean("drop_pending_updates"):
            self.world.updates.drop_pending()
        self.webhook_url = url
        return True

    async def delete_webhook(self, call: Call) -> bool:
        """deleteWebhook."""
        if call.params.boolean("drop_pending_updates"):
            self.world.updates.drop_pending()
        self.webhook_url = ""
        return True

    async def get_webhook_info(self, call: Call) -> dict[str, Any]:
        """getWebhookInfo."""
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": self.world.updates.pending_count,
        }

    # -- commands -------------------------------------------------------------------------

    @staticmethod
    def _commands_key(p: Params) -> tuple[str, str]:
        scope = check_scope(p.json("scope", "BotCommandScope"))
        language = check_language_code(p.string("language_code"))
        return json.dumps(scope, sort_keys=True), language

    async def set_my_commands(self, call: Call) -> bool:
        """setMyCommands: ≤ 100 valid commands, stored per scope and language."""
        commands = check_commands(call.params.json("commands", "commands"))
        self.commands[self._commands_key(call.params)] = commands
        return True

    async def get_my_commands(self, call: Call) -> list[dict[str, str]]:
        """getMyCommands for exactly the given scope and language."""
        return self.commands.get(self._commands_key(call.params), [])

    async def delete_my_commands(self, call: Call) -> bool:
        """deleteMyCommands."""
        self.commands.pop(self._commands_key(call.params), None)
        return True

    # -- sending ------------------------------------------------------------------------

    async def send_message(self, call: Call) -> dict[str, Any]:
        """sendMessage: text 1–4096 after parsing, valid markup, flood control."""
        p = call.params
        ref = self._chat_ref(p)
        formatted = check_formatted(
            p.string("text"),
            p.string("parse_mode"),
            p.json("entities", "entities"),
            strict_ampersand=self.strict_ampersand,
        )
        markup = check_reply_markup(p.values.get("reply_markup"))
        chat_id = self._chat(ref)
        self._check_reply(p, chat_id)
        self._admit(chat_id)
        message = self._new_message(
            call,
            "sendMessage",
            chat_id,
            text=p.string("text"),
            plain=formatted.text,
            entities=formatted.entities,
            parse_mode=p.string("parse_mode"),
            reply_markup=markup,
        )
        return self._deliver(call, message)

    async def _send_file(self, call: Call, method: str, field_name: str) -> dict[str, Any]:
        p = call.params
        ref = self._chat_ref(p)
        name, content = self._file_param(p, field_name)
        formatted = check_formatted(
            p.string("caption"),
            p.string("parse_mode"),
            p.json("caption_entities", "entities"),
            caption=True,
            strict_ampersand=self.strict_ampersand,
        )
        markup = check_reply_markup(p.values.get("reply_markup"))
        chat_id = self._chat(ref)
        self._check_reply(p, chat_id)
        self._admit(chat_id)
        message = self._new_message(
            call,
            method,
            chat_id,
            text=p.string("caption"),
            plain=formatted.text,
            entities=formatted.entities,
            parse_mode=p.string("parse_mode"),
            reply_markup=markup,
            file_name=name,
            file_bytes=content,
        )
        return self._deliver(call, message)

    @staticmethod
    def _file_param(p: Params, field_name: str) -> tuple[str, bytes]:
        """The file sent as ``field_name``: an upload, an ``attach://`` part, an id or a URL."""
        upload = p.files.get(field_name)
        reference = p.string(field_name)
        if upload is None and reference and reference.startswith("attach://"):
            upload = p.files.get(reference[len("attach://") :])
        if upload is not None:
            if len(upload.content) > DOCUMENT_LIMIT:
                raise ApiError(413, "Request Entity Too Large")
            return upload.filename or field_name, upload.content
        if not reference:
            raise bad_request(f"there is no {field_name} in the request")
        return reference, b""

    async def send_photo(self, call: Call) -> dict[str, Any]:
        """sendPhoto: a photo and a caption of at most 1024 characters."""
        return await self._send_file(call, "sendPhoto", "photo")

    async def send_document(self, call: Call) -> dict[str, Any]:
        """sendDocument: a file and a caption of at most 1024 characters."""
        return await self._send_file(call, "sendDocument", "document")

    async def send_chat_action(self, call: Call) -> bool:
        """sendChatAction."""
        p = call.params
        ref = self._chat_ref(p)
        if p.string("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._chat(ref)
        return True

    # -- changing sent messages ---------------------------------------------------------

    def _target(self, chat_id: int, message_id: int) -> SentMessage:
        message = self.world.bot_message(chat_id, message_id)
        if message is None:
            if self.world.message_exists(chat_id, message_id):
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return message

    def _apply_edit(
        self, call: Call, message: SentMessage, method: str, **changes: Any
    ) -> dict[str, Any]:
        now = self.world.clock()
        previous = message.version(
            message.history[-1].method if message.history else message.method, message.time
        )
        message.history.append(previous)
        for key, value in changes.items():
            setattr(message, key, value)
        message.edit_time = now
        message.edit_date = int(self.world.wall_clock())
        self.world.notify_sent()
        call.delivered = True
        return message.to_api(self.world.bot_user)

    @staticmethod
    def _same_markup(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
        def normal(markup: dict[str, Any] | None) -> object:
            return None if not markup or markup == {"inline_keyboard": []} else markup

        return normal(a) == normal(b)

    async def edit_message_text(self, call: Call) -> dict[str, Any]:
        """editMessageText: the same text rules as sendMessage, plus "not modified"."""
        p = call.params
        if p.present("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # the fake has no inline messages
        ref = self._chat_ref(p)
        message_id = p.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        formatted = check_formatted(
            p.string("text"),
            p.string("parse_mode"),
            p.json("entities", "entities"),
            strict_ampersand=self.strict_ampersand,
        )
        markup = check_reply_markup(p.values.get("reply_markup"), inline_only=True)
        chat_id = self._chat(ref)
        message = self._target(chat_id, message_id)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        if (
            message.plain == formatted.text
            and message.entities == formatted.entities
            and self._same_markup(message.reply_markup, markup)
        ):
            raise bad_request(NOT_MODIFIED)
        self._admit(chat_id)
        return self._apply_edit(
            call,
            message,
            "editMessageText",
            text=p.string("text"),
            plain=formatted.text,
            entities=formatted.entities,
            parse_mode=p.string("parse_mode"),
            reply_markup=markup,
        )

    async def edit_message_reply_markup(self, call: Call) -> dict[str, Any]:
        """editMessageReplyMarkup: an absent markup removes the keyboard."""
        p = call.params
        if p.present("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        ref = self._chat_ref(p)
        message_id = p.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        markup = check_reply_markup(p.values.get("reply_markup"), inline_only=True)
        chat_id = self._chat(ref)
        message = self._target(chat_id, message_id)
        if self._same_markup(message.reply_markup, markup):
            raise bad_request(NOT_MODIFIED)
        self._admit(chat_id)
        return self._apply_edit(call, message, "editMessageReplyMarkup", reply_markup=markup)

    async def delete_message(self, call: Call) -> bool:
        """deleteMessage (the bot's own messages, or users' in their private chat)."""
        p = call.params
        ref = self._chat_ref(p)
        message_id = p.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        chat_id = self._chat(ref)
        if not self.world.message_exists(chat_id, message_id):
            raise bad_request("message to delete not found")
        message = self.world.bot_message(chat_id, message_id)
        if message is not None:
            message.deleted = True
            self.world.notify_sent()
        else:
            self.world.forget_user_message(chat_id, message_id)
        return True

    async def answer_callback_query(self, call: Call) -> bool:
        """answerCallbackQuery: once per query, within the timeout, text ≤ 200 characters."""
        p = call.params
        query_id = p.string("callback_query_id") or ""
        text = p.string("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        if not self.world.answer_query(query_id, self.callback_timeout):
            raise bad_request(QUERY_INVALID)
        self.world.callback_answers.append(
            {"callback_query_id": query_id, "text": text, "show_alert": p.boolean("show_alert")}
        )
        return True

    async def get_file(self, call: Call) -> dict[str, Any]:
        """getFile for files users sent (download under ``base_file_url``)."""
        file_id = call.params.string("file_id") or ""
        if file_id not in self.world.files:
            raise bad_request("invalid file_id")
        path, content = self.world.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(content),
            "file_path": path,
        }

    async def close(self, call: Call) -> bool:
        """close / logOut: accepted, nothing to release in the fake."""
        return True

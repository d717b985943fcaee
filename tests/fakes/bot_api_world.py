"""The Telegram side of the fake: users, chats, what they send the bot, what the bot sent.

:class:`World` holds the state that the HTTP layer (``bot_api.py``) serves and that tests
drive: ``push_*`` builders queue realistic updates, ``sent``/``wait_for`` observe the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, overload

from tests.fakes.bot_api_model import ChatHandle, SentMessage, UserHandle
from tests.fakes.bot_api_updates import UpdateQueue

__all__ = ["World"]

Chat = UserHandle | ChatHandle


@dataclass
class _Query:
    user_id: int
    created: float
    answered: bool = False


class World:
    """Users, chats, updates and the bot's messages, without any HTTP.

    Args:
        token: the bot token; its numeric prefix is the bot's user id.
        bot_name: the bot's first name in ``getMe`` and in its messages' ``from``.
        bot_username: the bot's username.
        clock: monotonic seconds, for rate limits and timings (injectable for tests).
        wall_clock: Unix seconds, for message ``date`` fields.
    """

    def __init__(
        self,
        token: str,
        *,
        bot_name: str = "SDG Test Bot",
        bot_username: str = "sdg_test_bot",
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        bot_id = token.split(":", 1)[0]
        self.token = token
        self.bot_user: dict[str, Any] = {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.clock = clock
        self.wall_clock = wall_clock
        self.users: dict[int, UserHandle] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.sent: list[SentMessage] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.updates = UpdateQueue()
        self.files: dict[str, tuple[str, bytes]] = {}
        self._messages: dict[tuple[int, int], SentMessage] = {}
        self._user_messages: dict[int, set[int]] = {}
        self._next_message_id: dict[int, int] = {}
        self._queries: dict[str, _Query] = {}
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._sent_signal = asyncio.Event()

    # -- people and chats ---------------------------------------------------------------

    def user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        language_code: str | None = "fr",
        username: str | None = None,
        last_name: str | None = None,
    ) -> UserHandle:
        """Create (or replace) a user who has started the bot; returns their handle."""
        if user_id <= 0:
            raise ValueError("user ids are positive; groups and channels are negative")
        handle = UserHandle(
            user_id, first_name or f"User{user_id}", language_code, username, last_name
        )
        self.users[user_id] = handle
        self.chats[user_id] = handle.chat()
        return handle

    def group(self, chat_id: int, title: str, *, supergroup: bool = False) -> ChatHandle:
        """Create a group the bot is a member of (``chat_id`` must be negative)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        handle = ChatHandle(chat_id, title, "supergroup" if supergroup else "group")
        self.chats[chat_id] = handle.chat()
        return handle

    def channel(self, chat_id: int, title: str, *, username: str | None = None) -> ChatHandle:
        """Create a channel the bot administers (``chat_id`` like -100…)."""
        if chat_id >= 0:
            raise ValueError("channel chat ids are negative")
        handle = ChatHandle(chat_id, title, "channel", username)
        self.chats[chat_id] = handle.chat()
        return handle

    def block(self, user: UserHandle | int) -> None:
        """The user blocks the bot: every later send to them answers 403."""
        self.blocked.add(user if isinstance(user, int) else user.id)

    def unblock(self, user: UserHandle | int) -> None:
        """The user restarts the bot."""
        self.blocked.discard(user if isinstance(user, int) else user.id)

    # -- messages ids shared by both sides of a chat -------------------------------------

    def next_message_id(self, chat_id: int) -> int:
        """Allocate the next message id in a chat (users and the bot share the sequence)."""
        next_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = next_id + 1
        return next_id

    def message_exists(self, chat_id: int, message_id: int) -> bool:
        """Whether ``message_id`` is a live message in the chat (from the bot or a user)."""
        sent = self._messages.get((chat_id, message_id))
        if sent is not None:
            return not sent.deleted
        return message_id in self._user_messages.get(chat_id, set())

    def forget_user_message(self, chat_id: int, message_id: int) -> None:
        """A user's message was deleted."""
        self._user_messages.get(chat_id, set()).discard(message_id)

    def bot_message(self, chat_id: int, message_id: int) -> SentMessage | None:
        """The bot's live message with that id, if any."""
        sent = self._messages.get((chat_id, message_id))
        return None if sent is None or sent.deleted else sent

    def record_sent(self, message: SentMessage) -> None:
        """Remember a delivered bot message and wake ``wait_for`` callers."""
        self.sent.append(message)
        self._messages[(message.chat_id, message.message_id)] = message
        self.notify_sent()

    def notify_sent(self) -> None:
        """Wake ``wait_for`` callers after a send, edit or deletion."""
        self._sent_signal.set()
        self._sent_signal = asyncio.Event()

    # -- callback queries ---------------------------------------------------------------

    def answer_query(self, query_id: str, timeout: float) -> bool:
        """Mark a callback query answered; False if unknown, already answered or expired."""
        query = self._queries.get(query_id)
        if query is None or query.answered or self.clock() - query.created > timeout:
            return False
        query.answered = True
        return True

    # -- updates from users -------------------------------------------------------------

    def _chat_of(self, user: UserHandle, chat: ChatHandle | None) -> dict[str, Any]:
        if user.id not in self.users:
            self.users[user.id] = user
            self.chats[user.id] = user.chat()
        return chat.chat() if chat is not None else user.chat()

    def _message(
        self, user: UserHandle | None, chat: dict[str, Any], content: Mapping[str, Any]
    ) -> dict[str, Any]:
        message_id = self.next_message_id(chat["id"])
        self._user_messages.setdefault(chat["id"], set()).add(message_id)
        message: dict[str, Any] = {"message_id": message_id}
        if user is not None:
            message["from"] = user.to_dict()
        message.update({"chat": chat, "date": int(self.wall_clock()), **content})
        return message

    def _push_message(
        self, user: UserHandle, content: Mapping[str, Any], chat: ChatHandle | None
    ) -> dict[str, Any]:
        message = self._message(user, self._chat_of(user, chat), content)
        return self.updates.push({"message": message})

    def push_update(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Queue any update as given; ``update_id`` is assigned unless present."""
        return self.updates.push(dict(raw))

    def push_text(
        self,
        user: UserHandle,
        text: str,
        *,
        chat: ChatHandle | None = None,
        entities: list[dict[str, Any]] | None = None,
        reply_to: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The user sends ``text`` (in their private chat, or in ``chat``); returns the update.

        ``extra`` adds fields to the message, e.g. ones this Bot API version does not know.
        """
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        if reply_to is not None:
            target = self._chat_of(user, chat)["id"]
            sent = self.bot_message(target, reply_to)
            content["reply_to_message"] = (
                sent.to_api(self.bot_user)
                if sent
                else {"message_id": reply_to, "chat": self._chat_of(user, chat), "date": 0}
            )
        content.update(extra or {})
        return self._push_message(user, content, chat)

    def push_command(
        self, user: UserHandle, command: str, *, chat: ChatHandle | None = None
    ) -> dict[str, Any]:
        """The user sends a command such as ``/start`` or ``/start payload``."""
        if not command.startswith("/"):
            raise ValueError("a command starts with '/'")
        name = command.split()[0]
        entity = {"type": "bot_command", "offset": 0, "length": len(name.encode("utf-16-le")) // 2}
        return self.push_text(user, command, chat=chat, entities=[entity])

    def push_long_text(
        self, user: UserHandle, length: int = 10_000, *, chat: ChatHandle | None = None
    ) -> dict[str, Any]:
        """A text far over the 4096 limit of bot messages (10,000 characters by default).

        The bot must neither crash on it nor echo it back in one message.
        """
        words = itertools.cycle(
            ["Objectif", "de", "développement", "durable", "pour", "notre", "commune"]
        )
        text = ""
        while len(text) < length:
            text += next(words) + " "
        return self.push_text(user, text[:length], chat=chat)

    def push_callback(
        self, user: UserHandle, message: SentMessage, data: str, *, check: bool = True
    ) -> dict[str, Any]:
        """The user taps a button carrying ``data`` on a message the bot sent.

        Args:
            user: who taps.
            message: the bot's message (from ``api.sent`` / ``last_message``).
            data: the button's ``callback_data``.
            check: require that some version of the message had a button with that data (a
                user cannot invent callback data; a stale keyboard is fine).
        """
        if check:
            seen = set(message.callback_data())
            for version in message.history:
                rows = (version.reply_markup or {}).get("inline_keyboard") or []
                seen.update(b["callback_data"] for row in rows for b in row if "callback_data" in b)
            if data not in seen:
                raise ValueError(
                    f"message {message.message_id} never had a button with data {data!r}"
                )
        self._chat_of(user, None)
        query_id = str(next(self._query_ids))
        self._queries[query_id] = _Query(user.id, self.clock())
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": message.to_api(self.bot_user),
            "chat_instance": str(abs(message.chat_id) * 7 + 11),
            "data": data,
        }
        return self.updates.push({"callback_query": query})

    def push_photo(
        self, user: UserHandle, *, caption: str | None = None, chat: ChatHandle | None = None
    ) -> dict[str, Any]:
        """The user sends a photo (three sizes, like Telegram)."""
        sizes = []
        for width in (90, 320, 1280):
            content = b"\xff\xd8\xff\xe0 fake jpeg " + str(width).encode()
            file_id = self._store_file(f"photos/photo_{width}.jpg", content)
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": f"u{file_id}",
                    "width": width,
                    "height": width * 3 // 4,
                    "file_size": len(content),
                }
            )
        fields: dict[str, Any] = {"photo": sizes}
        if caption:
            fields["caption"] = caption
        return self._push_message(user, fields, chat)

    def push_sticker(
        self, user: UserHandle, *, emoji: str = "👍", chat: ChatHandle | None = None
    ) -> dict[str, Any]:
        """The user sends a sticker."""
        sticker = {
            "file_id": "sticker-1",
            "file_unique_id": "usticker-1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._push_message(user, {"sticker": sticker}, chat)

    def push_voice(
        self, user: UserHandle, *, duration: int = 3, chat: ChatHandle | None = None
    ) -> dict[str, Any]:
        """The user sends a voice note."""
        file_id = self._store_file("voice/note.oga", b"OggS fake voice")
        voice = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "duration": duration,
            "mime_type": "audio/ogg",
        }
        return self._push_message(user, {"voice": voice}, chat)

    def push_document(
        self,
        user: UserHandle,
        *,
        file_name: str = "plan-climat.pdf",
        content: bytes = b"%PDF-1.4 fake",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        chat: ChatHandle | None = None,
    ) -> dict[str, Any]:
        """The user sends a file; the bot can fetch it with ``getFile``."""
        file_id = self._store_file(f"documents/{file_name}", content)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        fields: dict[str, Any] = {"document": document}
        if caption:
            fields["caption"] = caption
        return self._push_message(user, fields, chat)

    def push_location(
        self,
        user: UserHandle,
        *,
        latitude: float = 6.3703,
        longitude: float = 2.3912,
        chat: ChatHandle | None = None,
    ) -> dict[str, Any]:
        """The user shares a location (default: Cotonou)."""
        return self._push_message(
            user, {"location": {"latitude": latitude, "longitude": longitude}}, chat
        )

    def push_contact(
        self,
        user: UserHandle,
        *,
        phone_number: str = "+32470123456",
        chat: ChatHandle | None = None,
    ) -> dict[str, Any]:
        """The user shares their own contact."""
        contact = {"phone_number": phone_number, "first_name": user.first_name, "user_id": user.id}
        return self._push_message(user, {"contact": contact}, chat)

    def push_contentless(
        self, user: UserHandle, *, chat: ChatHandle | None = None
    ) -> dict[str, Any]:
        """A message with no text and no content this Bot API version knows (a newer kind)."""
        return self._push_message(user, {"future_content_kind": {"id": 1}}, chat)

    def push_edited_text(
        self, user: UserHandle, original: Mapping[str, Any], text: str
    ) -> dict[str, Any]:
        """The user edits a message they sent; ``original`` is the update ``push_text`` returned."""
        message = dict(original["message"])
        message.update(text=text, edit_date=int(self.wall_clock()))
        message.pop("entities", None)
        return self.updates.push({"edited_message": message})

    def push_channel_post(self, channel: ChatHandle, text: str) -> dict[str, Any]:
        """A post in a channel the bot administers."""
        chat = channel.chat()
        message = self._message(None, chat, {"sender_chat": chat, "text": text})
        return self.updates.push({"channel_post": message})

    def push_unknown_update(
        self, kind: str = "future_update_kind", payload: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """An update of a type this Bot API version does not know."""
        return self.updates.push(
            {kind: dict(payload or {"id": 1, "note": "added in a later Bot API"})}
        )

    def redeliver(self, update_id: int) -> None:
        """Deliver an already confirmed update again (what Telegram does after a crash)."""
        self.updates.redeliver(update_id)

    def _store_file(self, path: str, content: bytes) -> str:
        file_id = f"file-{next(self._file_ids)}"
        self.files[file_id] = (f"{file_id}/{path}", content)
        return file_id

    # -- observing the bot --------------------------------------------------------------

    def messages_to(self, chat: Chat | int, *, include_deleted: bool = False) -> list[SentMessage]:
        """The bot's messages to a chat, oldest first."""
        chat_id = chat if isinstance(chat, int) else chat.id
        return [m for m in self.sent if m.chat_id == chat_id and (include_deleted or not m.deleted)]

    def last_message(self, chat: Chat | int) -> SentMessage:
        """The bot's latest live message to a chat; raises LookupError when there is none."""
        messages = self.messages_to(chat)
        if not messages:
            raise LookupError(f"the bot sent nothing (still visible) to chat {chat}")
        return messages[-1]

    @overload
    async def wait_for(self, condition: int, timeout: float = 5.0) -> list[SentMessage]: ...

    @overload
    async def wait_for(
        self, condition: Callable[[SentMessage], bool], timeout: float = 5.0
    ) -> SentMessage: ...

    async def wait_for(
        self, condition: int | Callable[[SentMessage], bool], timeout: float = 5.0
    ) -> list[SentMessage] | SentMessage:
        """Wait until the bot has sent ``condition`` messages, or one matching ``condition``.

        Wakes on every send, edit and deletion (no polling). A predicate sees messages as they
        are now, so it also matches a message that reached the wanted state by an edit.

        Args:
            condition: a total count of sent messages, or a predicate on a message.
            timeout: seconds to wait.

        Returns:
            All sent messages (for a count) or the first matching message.

        Raises:
            TimeoutError: with the last messages sent, to make the failure readable.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if isinstance(condition, int):
                if len(self.sent) >= condition:
                    return list(self.sent)
            else:
                match = next((m for m in self.sent if condition(m)), None)
                if match is not None:
                    return match
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [(m.chat_id, m.plain[:60]) for m in self.sent[-5:]]
                raise TimeoutError(f"wait_for({condition!r}) timed out; last sent: {recent}")
            signal = self._sent_signal
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wait(), remaining)

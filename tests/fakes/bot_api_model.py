"""What the fake Bot API remembers: users and chats, the bot's messages, requests and counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ChatHandle",
    "MessageVersion",
    "RequestRecord",
    "SentMessage",
    "Stats",
    "UserHandle",
]


@dataclass(frozen=True)
class UserHandle:
    """A Telegram user who talks to the bot; their private chat has the same id."""

    id: int
    first_name: str
    language_code: str | None = "fr"
    username: str | None = None
    last_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object of the private chat with this user."""
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(frozen=True)
class ChatHandle:
    """A group, supergroup or channel the bot is a member of."""

    id: int
    title: str
    type: Literal["group", "supergroup", "channel"] = "group"
    username: str | None = None

    def chat(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object."""
        chat: dict[str, Any] = {"id": self.id, "type": self.type, "title": self.title}
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(frozen=True)
class MessageVersion:
    """One state of a bot message: as sent, then after each edit."""

    text: str | None
    plain: str
    entities: tuple[dict[str, Any], ...]
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    method: str
    time: float


@dataclass
class SentMessage:
    """A message the bot sent and Telegram accepted; edits update it in place.

    Attributes:
        chat_id: the chat it went to.
        message_id: its id in that chat.
        method: the method that sent it (sendMessage, sendPhoto, sendDocument).
        text: the text or caption exactly as the bot sent it (with its HTML), None if none.
        plain: the text as users see it (entities parsed away, trimmed).
        entities: the Bot API entities of ``plain``.
        parse_mode: the parse_mode given, if any.
        reply_markup: the markup as a dict, None if none (inline keyboards survive edits).
        time: when it was accepted (the server's clock, monotonic seconds).
        request_bytes: size of the HTTP request body that sent it.
        chat: the Bot API ``Chat`` object.
        file_name: for documents and photos, the uploaded file's name (or the file_id sent).
        file_bytes: the uploaded content, empty when a file_id or URL was sent.
        history: earlier versions, oldest first (empty until edited).
        deleted: whether the bot deleted it.
        edit_time: when it was last edited, if ever.
    """

    chat_id: int
    message_id: int
    method: str
    text: str | None
    plain: str
    entities: tuple[dict[str, Any], ...]
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    time: float
    request_bytes: int
    chat: dict[str, Any]
    date: int
    file_name: str | None = None
    file_bytes: bytes = b""
    history: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False
    edit_time: float | None = None
    edit_date: int | None = None

    @property
    def kind(self) -> str:
        """ "text", "photo" or "document"."""
        return {"sendPhoto": "photo", "sendDocument": "document"}.get(self.method, "text")

    def version(self, method: str, time: float) -> MessageVersion:
        """The current state as a history entry."""
        return MessageVersion(
            self.text, self.plain, self.entities, self.parse_mode, self.reply_markup, method, time
        )

    def buttons(self) -> list[list[str]]:
        """The inline keyboard's button texts, row by row (empty without a keyboard)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[str(button.get("text")) for button in row] for row in rows]

    def callback_data(self) -> list[str]:
        """Every ``callback_data`` of the current inline keyboard, in reading order."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]

    def data_for(self, button_text: str) -> str:
        """The ``callback_data`` of the button labelled ``button_text`` (for tap simulations)."""
        for row in (self.reply_markup or {}).get("inline_keyboard") or []:
            for button in row:
                if button.get("text") == button_text and "callback_data" in button:
                    return str(button["callback_data"])
        raise LookupError(
            f"no button {button_text!r} on message {self.message_id}: {self.buttons()}"
        )

    def to_api(self, bot: dict[str, Any]) -> dict[str, Any]:
        """The Bot API ``Message`` object Telegram answers with."""
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": bot,
            "chat": self.chat,
            "date": self.date,
        }
        text_key, entities_key = "text", "entities"
        if self.kind != "text":
            text_key, entities_key = "caption", "caption_entities"
            file_id = f"{self.kind}-{self.chat_id}-{self.message_id}"
            described = {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_size": len(self.file_bytes),
            }
            if self.kind == "photo":
                message["photo"] = [{**described, "width": 800, "height": 600}]
            else:
                message["document"] = {**described, "file_name": self.file_name or "file"}
        if self.plain or self.kind == "text":
            message[text_key] = self.plain
        if self.entities:
            message[entities_key] = list(self.entities)
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            # Telegram echoes only inline keyboards; reply keyboards live in the client.
            message["reply_markup"] = self.reply_markup
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        return message


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP request to the fake and the answer it got.

    Attributes:
        method: the Bot API method as called (its case preserved).
        params: decoded parameters; uploaded files appear as ``<file name (size)>``.
        status: HTTP status answered, or 0 when the connection was dropped (timeout fault).
        response: the JSON answer, None when dropped.
        time: when it arrived (server clock).
        bytes_in: request body size.
        bytes_out: response body size.
        fault: the injected fault kind, if any.
        delivered: whether a message was delivered (true for a dropped request whose message
            was delivered anyway, see ``timeout_delivers``).
    """

    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any] | None
    time: float
    bytes_in: int
    bytes_out: int
    fault: str | None = None
    delivered: bool = False


@dataclass
class Stats:
    """Counters over all requests.

    Attributes:
        calls: requests per method.
        statuses: requests per (method, HTTP status); status 0 is a dropped connection.
        bytes_in: request bytes received.
        bytes_out: response bytes sent.
        too_many_requests: 429 answers, from flood control and from injected faults.
        timeouts: requests held and dropped by a timeout fault.
    """

    calls: Counter[str] = field(default_factory=Counter)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    bytes_in: int = 0
    bytes_out: int = 0
    too_many_requests: int = 0
    timeouts: int = 0

    def count(self, method: str | None = None, status: int | None = None) -> int:
        """How many requests matched ``method`` and/or ``status`` (None matches any)."""
        return sum(
            n
            for (m, s), n in self.statuses.items()
            if (method is None or m == method) and (status is None or s == status)
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (for the control API)."""
        return {
            "calls": dict(self.calls),
            "statuses": {f"{m} {s}": n for (m, s), n in self.statuses.items()},
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "too_many_requests": self.too_many_requests,
            "timeouts": self.timeouts,
        }

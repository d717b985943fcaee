"""What the fake Bot API accepts: parameter decoding and Telegram's validation rules.

Every rule raises :class:`ApiError` carrying the status code and the description Telegram
answers with (copied from the real API where known), so python-telegram-bot turns it into the
same exception class (BadRequest, Forbidden, RetryAfter…) it would raise in production.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.fakes.bot_api_html import FormattedText, HtmlParseError, parse_html, utf16_len

__all__ = [
    "ApiError",
    "Params",
    "UploadedFile",
    "bad_request",
    "check_commands",
    "check_formatted",
    "check_reply_markup",
    "check_scope",
    "forbidden",
    "too_many_requests",
]

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
BUTTON_LIMIT = 100
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_INLINE_ACTIONS = (
    "callback_data", "url", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
_ENTITY_TYPES = frozenset(
    {
        "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number", "bold",
        "italic", "underline", "strikethrough", "spoiler", "blockquote", "expandable_blockquote",
        "code", "pre", "text_link", "text_mention", "custom_emoji", "date_time",
    }
)  # fmt: skip
_SCOPES_NEEDING_CHAT = frozenset({"chat", "chat_administrators", "chat_member"})
_SCOPES = frozenset({"default", "all_private_chats", "all_group_chats", "all_chat_administrators"})
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional ``retry_after``."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    """A 400 answer, ``Bad Request: <detail>``."""
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    """A 403 answer, ``Forbidden: <detail>``."""
    return ApiError(403, f"Forbidden: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    """A 429 flood-control answer with ``parameters.retry_after``."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    content: bytes


class Params:
    """The parameters of one request, decoded the way the Bot API decodes them.

    Values arrive as native JSON values (JSON bodies) or strings (query strings, form-encoded
    and multipart bodies; python-telegram-bot JSON-encodes every non-string value there).
    """

    def __init__(self, values: Mapping[str, object], files: Mapping[str, UploadedFile]) -> None:
        self.values = dict(values)
        self.files = dict(files)

    def present(self, name: str) -> bool:
        """Whether ``name`` was given with a non-empty value (Telegram ignores empty ones)."""
        value = self.values.get(name)
        return (value is not None and value != "") or name in self.files

    def string(self, name: str) -> str | None:
        """A string parameter; numbers and booleans are converted like Telegram does."""
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return value
        if isinstance(value, int | float):
            return str(value)
        raise bad_request(f'field "{name}" must be of type String')

    def integer(self, name: str) -> int | None:
        """An integer parameter, given as a number or a decimal string."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise bad_request(f'field "{name}" must be of type Integer')

    def number(self, name: str) -> float | None:
        """A number parameter (e.g. ``timeout``)."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Number') from None

    def boolean(self, name: str) -> bool:
        """A boolean parameter; absent means False."""
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def json(self, name: str, what: str) -> object:
        """A JSON-serialised parameter (object or array), None when absent.

        Args:
            name: the parameter name.
            what: how Telegram names the object in its "can't parse … JSON object" error.
        """
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what} JSON object") from None
        return value

    def required_text(self, name: str, missing: str) -> str:
        """A string parameter that must be present, else ``Bad Request: <missing>``."""
        value = self.string(name)
        if value is None or value == "":
            raise bad_request(missing)
        return value


def _check_entities(text: str, raw: object) -> tuple[dict[str, Any], ...]:
    """Validate explicit ``entities``/``caption_entities`` against the plain text."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise bad_request("can't parse entities JSON object")
    length = utf16_len(text)
    checked: list[dict[str, Any]] = []
    for entity in raw:
        if not isinstance(entity, dict) or entity.get("type") not in _ENTITY_TYPES:
            raise bad_request("can't parse MessageEntity: Unsupported type specified")
        offset, size = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(size, int):
            raise bad_request('can\'t parse MessageEntity: Field "offset" must be of type Number')
        if offset < 0:
            raise bad_request(f"receive an entity with incorrect offset {offset}")
        if offset > length:
            raise bad_request(f"entity begins after the end of the text at UTF-16 offset {offset}")
        if offset + size > length:
            raise bad_request(
                f"entity beginning at UTF-16 offset {offset} ends after the end of the text at "
                f"UTF-16 offset {offset + size}"
            )
        checked.append(dict(entity))
    return tuple(checked)


def _trim(formatted: FormattedText) -> FormattedText:
    """Strip surrounding whitespace like Telegram does, moving the entities with the text."""
    text = formatted.text
    stripped = text.lstrip()
    lead = utf16_len(text) - utf16_len(stripped)
    stripped = stripped.rstrip()
    end = utf16_len(stripped)
    entities = []
    for entity in formatted.entities:
        start = max(0, entity["offset"] - lead)
        stop = min(end, entity["offset"] + entity["length"] - lead)
        if stop > start:
            entities.append({**entity, "offset": start, "length": stop - start})
    return FormattedText(stripped, tuple(entities))


def check_formatted(
    raw: str | None,
    parse_mode: str | None,
    entities: object,
    *,
    caption: bool = False,
    strict_ampersand: bool = True,
) -> FormattedText:
    """Apply Telegram's rules for a message text or a media caption.

    Args:
        raw: the text as sent (None when absent).
        parse_mode: the ``parse_mode`` parameter.
        entities: the decoded ``entities``/``caption_entities`` parameter, if any.
        caption: check as a caption (may be empty, at most 1024) rather than a text (1–4096).
        strict_ampersand: see :func:`tests.fakes.bot_api_html.parse_html`.

    Returns:
        The text as Telegram stores it: parsed, trimmed, with entities.

    Raises:
        ApiError: "message text is empty", "message is too long", "message caption is too
            long", "can't parse entities: …", "unsupported parse_mode"…
    """
    mode = (parse_mode or "").strip().lower()
    if mode == "html":
        try:
            formatted = parse_html(raw or "", strict_ampersand=strict_ampersand)
        except HtmlParseError as error:
            raise ApiError(400, error.description) from None
    elif mode in ("markdown", "markdownv2"):
        # Telegram accepts these, but the fake cannot tell which texts it would reject, and
        # silently accepting them would let such bugs through. The project sends HTML only.
        raise bad_request(f"the fake Bot API does not model parse_mode {parse_mode}; use HTML")
    elif mode:
        raise bad_request("unsupported parse_mode")
    else:
        formatted = FormattedText(raw or "", _check_entities(raw or "", entities))
    formatted = _trim(formatted)
    # Telegram counts the limit after parsing; UTF-16 units are the stricter reading of
    # "characters", so a text accepted here is never too long for Telegram.
    size = utf16_len(formatted.text)
    if caption:
        if size > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
    else:
        if size == 0:
            raise bad_request("message text is empty")
        if size > MESSAGE_LIMIT:
            raise bad_request("message is too long")
    return formatted


def _check_url(url: object, what: str) -> None:
    if not isinstance(url, str):
        raise bad_request(f'can\'t parse {what}: Field "url" must be of type String')
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise bad_request(f"{what} URL '{url}' is invalid: Wrong HTTP URL")
    if scheme.lower() not in ("http", "https", "tg", "ton"):
        raise bad_request(f"{what} URL '{url}' is invalid: Unsupported URL protocol")
    if not rest or rest.startswith("/"):
        raise bad_request(f"{what} URL '{url}' is invalid: URL host is empty")


def _check_inline_button(button: object) -> None:
    what = "inline keyboard button"
    if not isinstance(button, dict):
        raise bad_request(f"can't parse {what}: Object expected as a button")
    if "text" not in button:
        raise bad_request(f"can't parse {what}: Can't find field \"text\"")
    if not isinstance(button["text"], str):
        raise bad_request(f'can\'t parse {what}: Field "text" must be of type String')
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [key for key in _INLINE_ACTIONS if button.get(key) not in (None, "")]
    if not actions:
        raise bad_request(f"can't parse {what}: Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(
            f"can't parse {what}: exactly one of the optional fields must be used, got "
            + ", ".join(actions)
        )
    if "callback_data" in actions:
        data = button["callback_data"]
        if not isinstance(data, str) or len(data.encode("utf-8")) > CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in actions:
        _check_url(button["url"], what)


def check_reply_markup(raw: object, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Validate a ``reply_markup`` given as a JSON string or an object.

    Args:
        raw: the parameter as received (None when absent).
        inline_only: for edit methods, which accept only inline keyboards.

    Returns:
        The markup as a dict, or None when absent.

    Raises:
        ApiError: Telegram's error for malformed keyboards, invalid buttons, callback data
            over 64 bytes (``BUTTON_DATA_INVALID``), more than 100 buttons…
    """
    if raw is None or raw == "":
        return None
    markup = raw
    if isinstance(raw, str):
        try:
            markup = json.loads(raw)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        if sum(len(row) for row in rows) > BUTTON_LIMIT:
            raise bad_request("BUTTONS_TOO_MUCH")
        for row in rows:
            for button in row:
                _check_inline_button(button)
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise bad_request(
                        'can\'t parse keyboard button: Field "text" must be of type String'
                    )
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def check_scope(raw: object) -> dict[str, Any]:
    """Validate a ``BotCommandScope``; absent means the default scope."""
    if raw is None:
        return {"type": "default"}
    if not isinstance(raw, dict):
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = raw.get("type")
    if kind not in _SCOPES and kind not in _SCOPES_NEEDING_CHAT:
        raise bad_request("can't parse BotCommandScope: Unsupported type specified")
    scope: dict[str, Any] = {"type": kind}
    if kind in _SCOPES_NEEDING_CHAT:
        if "chat_id" not in raw:
            raise bad_request("can't parse BotCommandScope: Can't find field \"chat_id\"")
        scope["chat_id"] = raw["chat_id"]
    if kind == "chat_member":
        if "user_id" not in raw:
            raise bad_request("can't parse BotCommandScope: Can't find field \"user_id\"")
        scope["user_id"] = raw["user_id"]
    return scope


def check_language_code(code: str | None) -> str:
    """A command list's ``language_code``: empty or a two-letter ISO 639-1 code."""
    if not code:
        return ""
    if not re.fullmatch(r"[a-z]{2}", code):
        raise bad_request("invalid language code specified")
    return code


def check_commands(raw: object) -> list[dict[str, str]]:
    """Validate ``setMyCommands.commands``: ≤ 100 commands of ``[a-z0-9_]{1,32}`` with 1–256
    character descriptions."""
    if raw is None:
        raise bad_request('parameter "commands" is required')
    if not isinstance(raw, list):
        raise bad_request("can't parse commands JSON object")
    if len(raw) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    commands = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not command:
            raise bad_request("command must be non-empty")
        if not _COMMAND.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not description.strip():
            raise bad_request("command description must be non-empty")
        if len(description) > 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        commands.append({"command": command, "description": description})
    return commands

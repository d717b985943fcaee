"""`Incoming.written_by` of a Telegram update: the earlier of its fetch time and date + 1 s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update

from bot.channels.telegram import TelegramChannel
from bot.config import Settings

DATE = datetime(2026, 12, 3, 10, 0, 0, tzinfo=UTC)


def _channel() -> TelegramChannel:
    # The service is not reached: only the update is read.
    return TelegramChannel(object(), Settings(telegram_token="123:ABC"))  # type: ignore[arg-type]


def _update(channel: TelegramChannel, update_id: int, **content: Any) -> Update:
    user = {"id": 7, "is_bot": False, "first_name": "Ama"}
    raw: dict[str, Any] = {"update_id": update_id}
    if content:
        raw["message"] = {"message_id": 1, "date": int(DATE.timestamp()), "from": user,
                          "chat": {"id": 7, "type": "private"}, **content}  # fmt: skip
    else:
        raw["callback_query"] = {"id": "q", "from": user, "chat_instance": "c", "data": "x"}
    return Update.de_json(raw, channel.app.bot)


def test_a_message_fetched_at_once_is_bounded_by_its_fetch_time() -> None:
    channel = _channel()
    fetched = DATE + timedelta(milliseconds=300)
    channel.app.bot.fetched_at.set(41, fetched)  # type: ignore[attr-defined]
    assert channel._written_by(_update(channel, 41, text="1")) == fetched


def test_a_backlog_fetched_later_is_bounded_by_its_date() -> None:
    channel = _channel()
    channel.app.bot.fetched_at.set(42, DATE + timedelta(minutes=3))  # type: ignore[attr-defined]
    assert channel._written_by(_update(channel, 42, text="/start")) == DATE + timedelta(seconds=1)


def test_an_update_not_fetched_here_has_its_date_and_a_tap_nothing() -> None:
    channel = _channel()
    assert channel._written_by(_update(channel, 43, text="1")) == DATE + timedelta(seconds=1)
    assert channel._written_by(_update(channel, 44)) is None

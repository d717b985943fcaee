"""`clean_update`: every field the channel reads gets the type it expects, or goes."""

from __future__ import annotations

from typing import Any

from bot.channels.telegram.updates import clean_update, storable

SENDER = {"id": 5, "is_bot": False, "first_name": "Ana"}
CHAT = {"id": 5, "type": "private"}


def _message(**fields: Any) -> dict[str, Any]:
    return {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": CHAT,
                                        "from": SENDER, **fields}}  # fmt: skip


def test_a_clean_update_is_not_copied_by_storable() -> None:
    update = _message(text="bonjour")
    assert storable(update) is update


def test_what_postgresql_refuses_is_taken_out() -> None:
    cleaned = storable({"a\x00": ["b\x00c", {"d": "\ud800x"}], "n": 3})
    assert cleaned == {"a": ["bc", {"d": "?x"}], "n": 3}


def test_texts_are_text_or_nothing() -> None:
    assert clean_update(_message(text=42))["message"]["text"] == "42"
    assert "text" not in clean_update(_message(text=[1], entities=[]))["message"]
    assert "entities" not in clean_update(_message(text=[1], entities=[]))["message"]
    assert "caption" not in clean_update(_message(caption={"a": 1}))["message"]


def test_ids_names_and_dates_are_read_as_numbers_and_text() -> None:
    sender = {"id": "5", "language_code": [1]}
    update = _message(text="hi", chat={"id": "5", "type": 3}, date="soon", **{"from": sender})
    message = clean_update(update)["message"]
    assert message["chat"] == {"id": 5, "type": "private"}
    assert message["from"] == {"id": 5, "is_bot": False, "first_name": ""}
    assert isinstance(message["date"], int)


def test_what_makes_no_sense_is_dropped_but_the_update_id_kept() -> None:
    assert clean_update(_message(chat="nope")) == {"update_id": 1}
    tap = {"update_id": 2, "callback_query": {"id": 7, "from": SENDER, "data": {"x": 1}}}
    query = clean_update(tap)["callback_query"]
    assert query["id"] == "7" and "data" not in query
    assert clean_update({"update_id": 3, "callback_query": {"id": "x"}}) == {"update_id": 3}

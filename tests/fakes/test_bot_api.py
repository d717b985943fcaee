"""The fake Bot API against the real python-telegram-bot: answers parse, rules bite."""

from __future__ import annotations

import asyncio
import datetime as dtm
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fakes.bot_api import FakeBotApi, RateLimits
from tests.fakes.bot_api_html import parse_html
from tests.fakes.bot_api_rules import ApiError, check_commands, check_reply_markup

ROOT = Path(__file__).resolve().parents[2]


class ManualClock:
    """A clock the test moves by hand, so flood-control answers are exact."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


def message_of(update: Update) -> Message:
    assert update.effective_message is not None, update
    return update.effective_message


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.title(), callback_data=d) for d in data]])


async def raw_call(api: FakeBotApi, method: str, **params: Any) -> dict[str, Any]:
    """Call a method with a JSON body, bypassing PTB (to send what PTB would not)."""
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{api.base_url}{api.token}/{method}", json=params)
    body: dict[str, Any] = answer.json()
    return body


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # RetryAfter.retry_after warns (an error here) unless PTB's timedelta mode is on.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


# -- answers python-telegram-bot understands ----------------------------------------------


async def test_sent_message_is_a_proper_message(api: FakeBotApi, bot: Bot) -> None:
    ama = api.user(1001, first_name="Ama", language_code="fr")
    message = await bot.send_message(
        ama.id,
        "<b>Bonjour</b> Ama &amp; Koen",
        parse_mode="HTML",
        reply_markup=keyboard("oui", "non"),
    )
    assert message.text == "Bonjour Ama & Koen"
    assert message.entities == (MessageEntity(MessageEntity.BOLD, 0, 7),)
    assert message.from_user is not None and message.from_user.username == "sdg_test_bot"
    assert message.chat.id == ama.id and message.chat.type == "private"
    assert message.reply_markup == keyboard("oui", "non")
    sent = api.last_message(ama)
    assert (sent.text, sent.plain, sent.parse_mode) == (
        "<b>Bonjour</b> Ama &amp; Koen",
        "Bonjour Ama & Koen",
        "HTML",
    )
    assert sent.buttons() == [["Oui", "Non"]] and sent.data_for("Non") == "non"
    assert sent.request_bytes > 0 and api.stats.calls["sendMessage"] == 1


async def test_message_ids_increase_per_chat_and_are_shared_with_the_user(
    api: FakeBotApi, bot: Bot
) -> None:
    ama, koen = api.user(1, first_name="Ama"), api.user(2, first_name="Koen", language_code="nl")
    first = await bot.send_message(ama.id, "un")
    api.push_text(ama, "deux")
    second = await bot.send_message(ama.id, "trois")
    other = await bot.send_message(koen.id, "een")
    assert (first.message_id, second.message_id, other.message_id) == (1, 3, 1)


async def test_wrong_token_and_unknown_method(api: FakeBotApi) -> None:
    async with Bot(api.token, base_url=api.base_url) as good:
        with pytest.raises(EndPointNotFound):
            await good.do_api_request("sendTelepathy")
    with pytest.raises(InvalidToken):
        await Bot("123456:WRONG", base_url=api.base_url).get_me()
    with pytest.raises(InvalidToken):
        await Bot("not-a-token", base_url=api.base_url).get_me()
    assert [(r.method, r.status) for r in api.requests] == [
        ("getMe", 200),
        ("sendTelepathy", 404),
        ("getMe", 401),
        ("getMe", 404),
    ]
    assert api.requests[2].response == {
        "ok": False,
        "error_code": 401,
        "description": "Unauthorized",
    }


async def test_json_bodies_and_case_insensitive_methods(api: FakeBotApi) -> None:
    api.user(7)
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{api.base_url}{api.token}/SENDMESSAGE", json={"chat_id": 7, "text": 12}
        )
        missing = await client.post(f"{api.base_url}{api.token}/sendMessage", json={"text": "x"})
    assert answer.json()["result"]["text"] == "12"
    assert missing.status_code == 400
    assert missing.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: chat_id is empty",
    }


# -- texts, captions and keyboards -----------------------------------------------------------


async def test_length_is_counted_after_parsing_in_utf16_units(api: FakeBotApi, bot: Bot) -> None:
    ama = api.user(1)
    await bot.send_message(ama.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(ama.id, "😀" * 2048)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ama.id, "x" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ama.id, "😀" * 2049)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(ama.id, " \n <b> </b>", parse_mode="HTML")
    assert len(api.sent) == 2


async def test_html_errors_reach_the_bot_as_bad_request(api: FakeBotApi, bot: Bot) -> None:
    ama = api.user(1)
    with pytest.raises(BadRequest) as error:
        await bot.send_message(ama.id, "Hello <b>x</b><foo>bar</foo>", parse_mode="HTML")
    assert api.requests[-1].response == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: can't parse entities: "
        'Unsupported start tag "foo" at byte offset 14',
    }
    assert "unsupported start tag" in error.value.message
    with pytest.raises(BadRequest, match="Unsupported parse_mode"):
        await bot.send_message(ama.id, "x", parse_mode="Shouting")
    assert api.sent == []


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ("Hello <foo>x</foo>", 'Unsupported start tag "foo" at byte offset 6'),
        ("Qui < quoi", 'Unsupported start tag "" at byte offset 4'),
        ("fin <b", "Unclosed start tag at byte offset 4"),
        ("<b>gras", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("été & hiver", 'Unescaped "&" at byte offset 6'),
        ("&nbsp;", 'Unescaped "&" at byte offset 0'),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        (
            "<a href>x</a>",
            'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
        ),
    ],
)
def test_html_parse_errors(markup: str, error: str) -> None:
    with pytest.raises(ValueError, match="^" + error.replace("(", r"\(").replace(")", r"\)") + "$"):
        parse_html(markup)


def test_html_subset_parses_to_telegram_entities() -> None:
    parsed = parse_html(
        "<b>Gras</b> <strong>fort</strong> <i>it</i> <u>sous</u> <s>barré</s> "
        "<tg-spoiler>chut</tg-spoiler> "
        '<a href="https://sdgs.un.org/?a=1&amp;b=2">ODD</a> <code>x</code> '
        '<pre><code class="language-py">p</code></pre> '
        "<blockquote>cit</blockquote> &lt;&gt;&quot;&#233;&#x1F600;"
    )
    assert parsed.text == 'Gras fort it sous barré chut ODD x p cit <>"é😀'
    kinds = [(e["type"], e["offset"], e["length"]) for e in parsed.entities]
    assert kinds == [
        ("bold", 0, 4),
        ("bold", 5, 4),
        ("italic", 10, 2),
        ("underline", 13, 4),
        ("strikethrough", 18, 5),
        ("spoiler", 24, 4),
        ("text_link", 29, 3),
        ("code", 33, 1),
        ("pre", 35, 1),
        ("blockquote", 37, 3),
    ]
    assert parsed.entities[6]["url"] == "https://sdgs.un.org/?a=1&b=2"
    assert parsed.entities[8]["language"] == "py"
    emoji = parse_html('😀 <b>x</b> <tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>')
    assert emoji.entities[0]["offset"] == 3  # the emoji before counts two UTF-16 units
    assert emoji.entities[1]["custom_emoji_id"] == "5368324170671202286"


async def test_captions_and_files(api: FakeBotApi, bot: Bot) -> None:
    ama = api.user(1)
    message = await bot.send_document(
        ama.id,
        document=b"PK\x03\x04 xlsx",
        filename="rapport-odd.xlsx",
        caption="<i>Rapport</i>",
        parse_mode="HTML",
    )
    assert message.document is not None and message.document.file_name == "rapport-odd.xlsx"
    assert message.caption == "Rapport"
    sent = api.last_message(ama)
    assert (sent.kind, sent.file_name, sent.file_bytes) == (
        "document",
        "rapport-odd.xlsx",
        b"PK\x03\x04 xlsx",
    )
    photo = await bot.send_photo(ama.id, photo="AgACAgQAAxkBAAIB", caption="x" * 1024)
    assert photo.photo and photo.caption == "x" * 1024
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(ama.id, photo="AgACAgQAAxkBAAIB", caption="x" * 1025)
    missing = await raw_call(api, "sendDocument", chat_id=ama.id)
    assert missing["description"] == "Bad Request: there is no document in the request"


async def test_keyboard_rules(api: FakeBotApi, bot: Bot) -> None:
    ama = api.user(1)
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(ama.id, "x", reply_markup=keyboard("é" * 33))  # 66 bytes
    await bot.send_message(ama.id, "x", reply_markup=keyboard("é" * 32))  # 64 bytes: fine
    text_only = {"inline_keyboard": [[{"text": "Bare"}]]}
    answer = await raw_call(api, "sendMessage", chat_id=ama.id, text="x", reply_markup=text_only)
    assert answer["description"] == (
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard"
    )


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ('{"inline_keyboard": [{"text": "a"}]}', "should be an Array of Arrays"),
        ('{"inline_keyboard": [[{"callback_data": "a"}]]}', 'Can\'t find field "text"'),
        (
            '{"inline_keyboard": [[{"text": "a", "callback_data": "a", "url": "https://x.org"}]]}',
            "exactly one",
        ),
        (
            '{"inline_keyboard": [[{"text": "a", "callback_data": ""}]]}',
            "Text buttons are unallowed",
        ),
        (
            '{"inline_keyboard": [[{"text": "a", "url": "ftp://x.org"}]]}',
            "Unsupported URL protocol",
        ),
        ("{not json", "can't parse reply keyboard markup JSON object"),
        (
            {"inline_keyboard": [[{"text": str(i), "callback_data": str(i)} for i in range(101)]]},
            "BUTTONS_TOO_MUCH",
        ),
        ({"keyboard": [["Oui"]]}, "inline keyboard expected"),
    ],
)
def test_reply_markup_rules(markup: object, error: str) -> None:
    with pytest.raises(ApiError, match=error):
        check_reply_markup(markup, inline_only=True)


def test_reply_markup_accepts_json_strings_and_objects() -> None:
    raw = (
        '{"inline_keyboard": [[{"text": "Oui", "callback_data": "q1:yes"}, '
        '{"text": "Site", "url": "https://sdgs.un.org"}]]}'
    )
    assert check_reply_markup(raw) == check_reply_markup(check_reply_markup(raw))
    assert check_reply_markup({"remove_keyboard": True}) == {"remove_keyboard": True}


# -- edits, deletions, callback queries ----------------------------------------------------


async def test_edits_keep_history_and_refuse_no_ops(api: FakeBotApi, bot: Bot) -> None:
    ama = api.user(1)
    message = await bot.send_message(ama.id, "Question ?", reply_markup=keyboard("oui", "non"))
    with pytest.raises(BadRequest, match="Message is not modified: specified new message content"):
        await bot.edit_message_text(
            "Question ?", ama.id, message.message_id, reply_markup=keyboard("oui", "non")
        )
    edited = await bot.edit_message_text(
        "<b>Question ?</b> Oui", ama.id, message.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, Message)
    assert (
        edited.text == "Question ? Oui"
        and edited.reply_markup is None
        and edited.edit_date is not None
    )
    sent = api.last_message(ama)
    assert [v.plain for v in sent.history] == ["Question ?"] and sent.history[
        0
    ].reply_markup is not None
    assert sent.plain == "Question ? Oui" and sent.reply_markup is None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(ama.id, message.message_id)
    await bot.edit_message_reply_markup(ama.id, message.message_id, reply_markup=keyboard("ok"))
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", ama.id, 999)
    assert await bot.delete_message(ama.id, message.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(ama.id, message.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", ama.id, message.message_id)
    assert api.messages_to(ama) == [] and len(api.messages_to(ama, include_deleted=True)) == 1


async def test_replies_must_target_an_existing_message(api: FakeBotApi, bot: Bot) -> None:
    ama = api.user(1)
    asked = api.push_text(ama, "Bonjour")
    await bot.send_message(ama.id, "Bienvenue", reply_to_message_id=asked["message"]["message_id"])
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(ama.id, "x", reply_to_message_id=999)


async def test_callback_query_is_answered_once_with_a_short_text(api: FakeBotApi, bot: Bot) -> None:
    ama = api.user(1)
    await bot.send_message(ama.id, "Choix ?", reply_markup=keyboard("a", "b"))
    update = api.push_callback(ama, api.last_message(ama), "b")
    query_id = update["callback_query"]["id"]
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="Merci")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    assert api.callback_answers == [
        {"callback_query_id": query_id, "text": "Merci", "show_alert": False}
    ]
    with pytest.raises(ValueError, match="never had a button"):
        api.push_callback(ama, api.last_message(ama), "invented")


async def test_unknown_and_blocked_chats(api: FakeBotApi, bot: Bot) -> None:
    ama = api.user(1)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "x")
    api.block(ama)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ama.id, "x")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(ama.id, "typing")
    api.unblock(ama)
    assert await bot.send_chat_action(ama.id, "typing")
    answer = await raw_call(api, "sendChatAction", chat_id=ama.id, action="dancing")
    assert answer["description"] == "Bad Request: wrong parameter action in request"
    assert api.stats.count(status=403) == 2


# -- commands and webhooks ---------------------------------------------------------------


async def test_commands_are_validated_and_stored_per_language_and_scope(
    api: FakeBotApi, bot: Bot
) -> None:
    assert await bot.set_my_commands(
        [BotCommand("start", "Commencer"), BotCommand("aide", "Aide")], language_code="fr"
    )
    assert await bot.set_my_commands(
        [BotCommand("start", "Beginnen")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="nl",
    )
    assert [c.command for c in await bot.get_my_commands(language_code="fr")] == ["start", "aide"]
    assert await bot.get_my_commands() == ()
    assert api.commands(scope={"type": "all_private_chats"}, language_code="nl") == [
        {"command": "start", "description": "Beginnen"}
    ]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "x")])
    assert await bot.delete_my_commands(language_code="fr")
    assert api.commands(language_code="fr") == []


@pytest.mark.parametrize(
    ("commands", "error"),
    [
        ([{"command": "x" * 33, "description": "d"}], "BOT_COMMAND_INVALID"),
        ([{"command": "", "description": "d"}], "command must be non-empty"),
        ([{"command": "ok", "description": ""}], "command description must be non-empty"),
        ([{"command": "ok", "description": "d" * 257}], "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([{"command": f"c{i}", "description": "d"} for i in range(101)], "BOT_COMMANDS_TOO_MUCH"),
    ],
)
def test_command_rules(commands: list[dict[str, Any]], error: str) -> None:
    with pytest.raises(ApiError, match=error):
        check_commands(commands)


async def test_webhook_blocks_get_updates(api: FakeBotApi, bot: Bot) -> None:
    api.push_text(api.user(1), "x")
    assert await bot.set_webhook("https://bot.example.org/hook")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


# -- getUpdates --------------------------------------------------------------------------


async def test_long_polling_waits_for_a_pushed_update(api: FakeBotApi, bot: Bot) -> None:
    ama = api.user(1, first_name="Ama")
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, api.push_text, ama, "Bonjour")
    started = time.monotonic()
    updates = await bot.get_updates(timeout=3)
    assert 0.15 < time.monotonic() - started < 2
    assert [u.message.text for u in updates if u.message] == ["Bonjour"]
    started = time.monotonic()
    assert (
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=dtm.timedelta(seconds=0.3))
        == ()
    )
    assert time.monotonic() - started >= 0.25


async def test_offset_limit_allowed_updates_and_redelivery(api: FakeBotApi, bot: Bot) -> None:
    ama = api.user(1)
    ids = [api.push_text(ama, str(i))["update_id"] for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates(offset=ids[1] + 1)] == ids[2:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    api.redeliver(ids[0])
    assert [u.update_id for u in await bot.get_updates(offset=ids[2] + 1)] == ids[:1]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    await bot.send_message(ama.id, "Choix", reply_markup=keyboard("a"))
    api.push_text(ama, "texte")
    tap = api.push_callback(ama, api.last_message(ama), "a")
    updates = await bot.get_updates(offset=ids[2] + 1, allowed_updates=["callback_query"])
    assert [u.update_id for u in updates] == [tap["update_id"]]


async def test_a_second_bot_instance_conflicts(api: FakeBotApi, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=2))
    await asyncio.sleep(0.1)
    async with Bot(api.token, base_url=api.base_url) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_every_update_builder_parses_in_ptb(api: FakeBotApi, bot: Bot) -> None:
    ama = api.user(1, first_name="Ama", username="ama_cotonou")
    group = api.group(-100, "Jumelage Malines–Cotonou")
    channel = api.channel(-1001234, "Nouvelles ODD")
    original = api.push_text(ama, "Bonjour")
    api.push_command(ama, "/start ref-42")
    api.push_photo(ama, caption="Photo du puits")
    api.push_sticker(ama)
    api.push_voice(ama)
    api.push_document(ama, file_name="plan.pdf", content=b"%PDF-1.7 plan")
    api.push_location(ama)
    api.push_contact(ama)
    api.push_edited_text(ama, original, "Bonjour à tous")
    api.push_channel_post(channel, "Annonce")
    api.push_text(ama, "Salut le groupe", chat=group)
    api.push_long_text(ama)
    api.push_contentless(ama)
    api.push_text(ama, "champ inconnu", extra={"field_from_the_future": {"x": 1}})
    api.push_unknown_update()
    api.push_update({"message": {"message_id": 99, "date": 0, "chat": ama.chat(), "text": "brut"}})
    updates = await bot.get_updates()
    assert len(updates) == 16
    assert updates[14].effective_message is None and updates[14].api_kwargs  # unknown kind
    messages = [message_of(u) for u in updates[:14] + updates[15:]]
    assert messages[1].text == "/start ref-42"
    assert (
        messages[1].entities[0].type == MessageEntity.BOT_COMMAND
        and messages[1].entities[0].length == 6
    )
    assert messages[2].photo[-1].width == 1280 and messages[2].caption == "Photo du puits"
    assert messages[3].sticker is not None and messages[4].voice is not None
    assert messages[6].location is not None and messages[7].contact is not None
    assert (
        updates[8].edited_message is not None and updates[8].edited_message.text == "Bonjour à tous"
    )
    assert updates[9].channel_post is not None and updates[9].channel_post.sender_chat is not None
    assert (
        messages[10].chat.type == "group" and messages[10].chat.title == "Jumelage Malines–Cotonou"
    )
    assert len(messages[11].text or "") == 10_000
    assert messages[12].text is None and messages[12].effective_attachment is None
    assert messages[13].api_kwargs == {"field_from_the_future": {"x": 1}}
    assert messages[14].text == "brut"
    document = messages[5].document
    assert document is not None
    file = await bot.get_file(document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.7 plan"


# -- flood control ----------------------------------------------------------------------------


async def test_private_chat_burst_then_one_per_second() -> None:
    clock = ManualClock()
    async with FakeBotApi(rate_limits=RateLimits(private_burst=2), clock=clock) as api:
        ama = api.user(1)
        async with Bot(api.token, base_url=api.base_url) as bot:
            await bot.send_message(ama.id, "1")
            await bot.send_message(ama.id, "2")
            with pytest.raises(RetryAfter) as error:
                await bot.send_message(ama.id, "3")
            assert error.value.retry_after == dtm.timedelta(seconds=1)
            clock.now += 1.0
            await bot.send_message(ama.id, "3")
        assert api.stats.too_many_requests == 1
        assert api.requests[-2].response == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
        assert [m.plain for m in api.sent] == ["1", "2", "3"]


async def test_group_and_global_limits() -> None:
    clock = ManualClock()
    limits = RateLimits(global_per_second=30, group_per_minute=20, private_enabled=False)
    async with FakeBotApi(rate_limits=limits, clock=clock) as api:
        group = api.group(-500, "Comité de jumelage")
        users = [api.user(i) for i in range(1, 41)]
        async with Bot(api.token, base_url=api.base_url) as bot:
            for n in range(20):
                await bot.send_message(group.id, f"annonce {n}")
            with pytest.raises(RetryAfter) as error:
                await bot.send_message(group.id, "une de trop")
            assert error.value.retry_after == dtm.timedelta(seconds=60)
            for user in users[:10]:
                await bot.send_message(user.id, "x")  # 30 in this second
            with pytest.raises(RetryAfter):
                await bot.send_message(users[10].id, "x")
            clock.now += 1.0
            await bot.send_message(users[10].id, "x")
            clock.now += 30.0
            with pytest.raises(RetryAfter) as error:
                await bot.send_message(group.id, "encore")
            assert error.value.retry_after == dtm.timedelta(seconds=29)
        assert api.stats.too_many_requests == 3


# -- fault injection --------------------------------------------------------------------------


async def test_injected_faults_raise_the_ptb_exceptions(api: FakeBotApi, bot: Bot) -> None:
    ama = api.user(1)
    api.fail_next("sendMessage", "429", retry_after=7)
    with pytest.raises(RetryAfter) as error:
        await bot.send_message(ama.id, "x")
    assert error.value.retry_after == dtm.timedelta(seconds=7)
    api.fail_next("sendMessage", "500")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(ama.id, "x")
    api.fail_next("sendMessage", "502")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(ama.id, "x")
    api.fail_next("*", "400", count=2)
    for _ in range(2):
        with pytest.raises(BadRequest):
            await bot.get_me()
    await bot.send_message(ama.id, "enfin")
    assert [m.plain for m in api.sent] == ["enfin"]
    assert [r.fault for r in api.requests[-6:]] == ["429", "500", "502", "400", "400", None]
    assert api.stats.too_many_requests == 1


@pytest.mark.parametrize("delivers", [False, True])
async def test_timeouts_hold_the_request_and_may_deliver(delivers: bool) -> None:
    async with FakeBotApi(timeout_delivers=delivers, timeout_hold=5.0) as api:
        ama = api.user(1)
        request = HTTPXRequest(read_timeout=0.3)
        async with Bot(api.token, base_url=api.base_url, request=request) as bot:
            api.fail_next("sendMessage", "timeout")
            started = time.monotonic()
            with pytest.raises(TimedOut):
                await bot.send_message(ama.id, "peut-être")
            assert time.monotonic() - started < 2
        record = api.requests[-1]
        assert (record.status, record.fault, record.delivered) == (0, "timeout", delivers)
        assert [m.plain for m in api.sent] == (["peut-être"] if delivers else [])
        assert api.stats.timeouts == 1
        started = time.monotonic()
    assert time.monotonic() - started < 2  # stop() releases the held request at once


async def test_fault_rate_is_seeded_and_only_hits_sends(api: FakeBotApi, bot: Bot) -> None:
    users = [api.user(i) for i in range(1, 21)]
    api.fault_rate(0.5, kinds=("500",), seed=3)
    outcomes = []
    for user in users:
        try:
            await bot.send_message(user.id, "x")
            outcomes.append(True)
        except NetworkError:
            outcomes.append(False)
    assert 3 < outcomes.count(False) < 17
    assert await bot.get_me()  # not a send: never faulted
    api.fault_rate(0.0)
    async with FakeBotApi() as again:
        for user in users:
            again.user(user.id)
        again.fault_rate(0.5, kinds=("500",), seed=3)
        async with Bot(again.token, base_url=again.base_url) as other:
            replay = []
            for user in users:
                try:
                    await other.send_message(user.id, "x")
                    replay.append(True)
                except NetworkError:
                    replay.append(False)
    assert replay == outcomes


# -- a real Application over long polling ------------------------------------------------------


async def test_application_round_trip_with_redelivery(api: FakeBotApi) -> None:
    ama = api.user(1001, first_name="Ama", language_code="fr")
    seen: list[int] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        seen.append(update.update_id)
        await update.message.reply_text("Bienvenue ! Prête ?", reply_markup=keyboard("oui", "non"))

    async def tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Noté")
        await query.edit_message_text(f"Réponse : <b>{query.data}</b>", parse_mode="HTML")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        seen.append(update.update_id)
        await update.message.reply_text(update.message.text.upper())

    app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(tapped))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        first = api.push_command(ama, "/start")
        question = await api.wait_for(lambda m: m.plain == "Bienvenue ! Prête ?")
        api.push_callback(ama, question, question.data_for("Oui"))
        await api.wait_for(lambda m: m.plain == "Réponse : oui")
        api.push_text(ama, "merci")
        await api.wait_for(lambda m: m.plain == "MERCI")
        api.redeliver(first["update_id"])
        await api.wait_for(3)  # the edit changed the first message; the replay adds one
        await app.updater.stop()
        await app.stop()
    assert seen[0] == seen[-1] == first["update_id"]
    assert [m.plain for m in api.messages_to(ama)] == [
        "Réponse : oui",
        "MERCI",
        "Bienvenue ! Prête ?",
    ]
    assert api.callback_answers[0]["text"] == "Noté"
    assert api.messages_to(ama)[0].history[0].plain == "Bienvenue ! Prête ?"


async def test_wait_for_times_out_readably(api: FakeBotApi) -> None:
    with pytest.raises(TimeoutError, match="last sent"):
        await api.wait_for(1, timeout=0.05)


# -- control API and standalone process ------------------------------------------------------


async def test_control_api_drives_the_fake(api: FakeBotApi, bot: Bot) -> None:
    async with httpx.AsyncClient(base_url=f"{api.url}/_control") as control:
        assert (
            await control.post(
                "/users", json={"user_id": 5, "first_name": "Lieve", "language_code": "nl"}
            )
        ).status_code == 200
        await control.post("/push/command", json={"user_id": 5, "command": "/start"})
        updates = await bot.get_updates()
        assert updates[0].message is not None and updates[0].message.text == "/start"
        assert (
            updates[0].message.from_user is not None
            and updates[0].message.from_user.language_code == "nl"
        )
        await bot.send_message(5, "Welkom", reply_markup=keyboard("ja"))
        sent = (await control.get("/sent", params={"chat_id": 5})).json()["result"]
        assert (
            sent[0]["plain"] == "Welkom"
            and sent[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ja"
        )
        tap = (
            await control.post(
                "/push/callback",
                json={"user_id": 5, "message_id": sent[0]["message_id"], "data": "ja"},
            )
        ).json()
        assert tap["result"]["callback_query"]["data"] == "ja"
        await control.post(
            "/faults", json={"method": "sendMessage", "kind": "429", "retry_after": 3}
        )
        with pytest.raises(RetryAfter):
            await bot.send_message(5, "x")
        await control.post("/block", json={"user_id": 5})
        with pytest.raises(Forbidden):
            await bot.send_message(5, "x")
        stats = (await control.get("/stats")).json()["result"]
        assert stats["too_many_requests"] == 1 and stats["statuses"]["sendMessage 403"] == 1
        bad = await control.post("/push/text", json={"text": "no user"})
        assert bad.status_code == 400
        waited = await control.get("/wait", params={"count": 5, "timeout": 0.05})
        assert waited.status_code == 504


@pytest.mark.slow
def test_standalone_server_process(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.bot_api", "--port", "0", "--token", "42:ABC"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, (
            process.stderr.read() if process.stderr else line
        )
        url = line.split("listening on ")[1].split()[0]
        with httpx.Client(base_url=url, timeout=5) as client:
            assert client.get("/bot42:ABC/getMe").json()["result"]["id"] == 42
            client.post("/_control/push/text", json={"user_id": 9, "text": "salut"})
            updates = client.post("/bot42:ABC/getUpdates", data={"timeout": "0"}).json()["result"]
            assert updates[0]["message"]["text"] == "salut"
            client.post(
                "/bot42:ABC/sendMessage",
                data={"chat_id": "9", "text": "<i>ok</i>", "parse_mode": "HTML"},
            )
            assert client.get("/_control/sent").json()["result"][0]["plain"] == "ok"
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0

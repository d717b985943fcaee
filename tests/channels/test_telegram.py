"""End to end: the real python-telegram-bot Application and service against the fake Bot API."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
from sqlalchemy import text

from bot.channels.telegram import Webhook
from bot.scheduling.rate import Limits
from tests.channels.harness import BotUnderTest
from tests.fakes.bot_api import FakeBotApi, RateLimits, SentMessage, UserHandle


async def onboard_by_taps(bot: BotUnderTest, user: UserHandle) -> None:
    """The real onboarding flow, by taps wherever there are buttons."""
    first = await bot.say(user, "/start")
    assert "1. Français" in first[-1].plain and first[-1].reply_markup
    await bot.tap(user, "Français")
    [name_question] = bot.api.messages_to(user)[-1:]
    assert "Comment vous appelez-vous" in name_question.plain
    [role] = await bot.say(user, "Ama <b>&amp;</b> Co")
    assert "Merci, Ama <b>&amp;</b> Co." in role.plain  # echoed, escaped, not interpreted
    await bot.tap(user, "Agent communal")
    await bot.tap(user, "Belgique")
    done = await bot.say(user, "Gent")
    assert any("C’est noté" in m.plain and "Gent" in m.plain for m in done)
    assert done[-1].reply_markup  # the menu


async def test_onboarding_by_taps(bot: BotUnderTest) -> None:
    ama = bot.api.user(1001, first_name="Ama", language_code="fr")
    await onboard_by_taps(bot, ama)
    # Each tapped question was closed: its keyboard removed and the answer shown under it.
    language = next(m for m in bot.api.messages_to(ama) if "1. Français" in m.plain)
    assert language.reply_markup is None and language.plain.endswith("✅ Français")
    assert not bot.rejected()
    assert bot.api.stats.too_many_requests == 0


async def test_onboarding_by_typing_in_lite_mode(bot: BotUnderTest) -> None:
    koen = bot.api.user(1002, first_name="Koen", language_code="nl-BE")
    [lite] = await bot.say(koen, "/lite")
    assert "lite" in lite.plain.lower() or "licht" in lite.plain.lower()
    [welcome] = await bot.say(koen, "/start")  # one compact message per step
    assert "1. Nederlands" in welcome.plain  # the Telegram language comes first
    await bot.say(koen, "1")
    await bot.say(koen, "Koen")
    [country] = await bot.say(koen, "1")
    assert "1. België" in country.plain
    await bot.say(koen, "België")
    done = await bot.say(koen, "Gent")
    assert any("Genoteerd" in m.plain for m in done)
    assert "\n1. " in done[-1].plain  # the menu, numbered
    await bot.say(koen, "1")  # a number typed after the menu picks from it
    assert bot.service is not None
    async with bot.service.store.transaction() as tx:
        user = await tx.get_user("telegram", str(koen.id))
        assert user is not None and await tx.active_run(user.id) is not None
    messages = bot.api.messages_to(koen)
    assert all(m.reply_markup is None and not m.history for m in messages)
    assert not bot.rejected()


async def start_check(bot: BotUnderTest, user: UserHandle) -> None:
    await onboard_by_taps(bot, user)
    [question] = await bot.say(user, "/tgcheck")
    assert "Quel fruit préférez-vous ?" in question.plain and "1. Pomme" in question.plain


async def test_multi_select_toggles_edit_the_keyboard(bot: BotUnderTest) -> None:
    ama = bot.api.user(1003, language_code="fr")
    await start_check(bot, ama)
    await bot.tap(ama, "Mangue")
    goals = bot.last_keyboard(ama)
    assert await bot.tap(ama, "Eau") == []  # an edit, no new message
    assert await bot.tap(ama, "Écoles") == []
    assert goals.buttons()[0] == ["✅ Eau", "Énergie", "✅ Écoles"]
    await bot.tap(ama, "✅ Eau")  # untoggle
    assert goals.buttons()[0] == ["Eau", "Énergie", "✅ Écoles"]
    [sure] = await bot.tap(ama, "✔ Terminé")
    assert "Êtes-vous sûr" in sure.plain and goals.plain.endswith("✅ Écoles")
    await bot.say(ama, "oui")
    answer = await bot.say(ama, "<script>alert(1)</script> & *gras*")
    assert any("Vous avez dit : <script>alert(1)</script> & *gras*" in m.plain for m in answer)
    assert not bot.rejected()


async def test_language_change_mid_flow_asks_again(bot: BotUnderTest) -> None:
    ama = bot.api.user(1004, language_code="fr")
    await start_check(bot, ama)
    picker = await bot.say(ama, "/language")
    assert "4. English" in picker[-1].plain
    again = await bot.tap(ama, "Nederlands")
    assert "Welk fruit verkiest u?" in again[-1].plain and "1. Appel" in again[-1].plain
    again = await bot.say(ama, "/language es")  # typed, with the language
    assert "¿Qué fruta prefiere?" in again[-1].plain


async def test_restart_mid_flow_resumes_at_the_same_question(bot: BotUnderTest) -> None:
    ama = bot.api.user(1005, language_code="fr")
    await start_check(bot, ama)
    await bot.tap(ama, "Pomme")
    await bot.restart()  # a new Application on the same database
    [sure] = await bot.say(ama, "1, 3")
    assert "Êtes-vous sûr" in sure.plain
    await bot.restart()
    [note] = await bot.say(ama, "non")
    assert "Un mot pour finir" in note.plain


async def test_redelivered_update_is_ignored(bot: BotUnderTest) -> None:
    ama = bot.api.user(1006, language_code="fr")
    await start_check(bot, ama)
    update = bot.api.push_text(ama, "2")
    await bot.settle()
    count = len(bot.api.messages_to(ama))
    bot.api.redeliver(update["update_id"])
    await bot.settle()
    assert len(bot.api.messages_to(ama)) == count
    assert "Quels thèmes" in bot.last(ama).plain


async def test_stale_button_never_answers_twice(bot: BotUnderTest) -> None:
    ama = bot.api.user(1007, language_code="fr")
    await start_check(bot, ama)
    fruit = bot.last_keyboard(ama)
    await bot.tap(ama, "Papaye")
    data = fruit.history[0].reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    bot.api.push_callback(ama, fruit, data)
    await bot.settle()
    stale = bot.last(ama)
    assert "Cette question est close" in stale.plain and "Quels thèmes" in stale.plain
    assert bot.api.callback_answers  # every tap is answered (the spinner stops)


async def test_flood_control_and_server_errors_are_retried(bot: BotUnderTest) -> None:
    ama = bot.api.user(1008, language_code="fr")
    bot.api.fail_next("sendMessage", "429", retry_after=1)
    bot.api.fail_next("sendMessage", "500", count=2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    first = await bot.say(ama, "/start")
    assert first and "1. Français" in first[-1].plain
    assert loop.time() - started >= 1.0  # waited retry_after
    bot.api.fail_next("sendMessage", "502")
    bot.api.fail_next("getUpdates", "502", count=2)  # a network drop while polling
    bot.api.push_text(ama, "1")
    message = await bot.api.wait_for(lambda m: "Comment vous appelez-vous" in m.plain, timeout=15)
    assert message.chat_id == ama.id


async def test_bad_request_is_reported_and_the_place_kept(bot: BotUnderTest) -> None:
    ama = bot.api.user(1009, language_code="fr")
    await bot.say(ama, "/start")
    bot.api.fail_next("sendMessage", "400")
    sent = await bot.say(ama, "1")
    assert "un message n'a pas pu s'afficher" in sent[-1].plain
    [again] = await bot.say(ama, "/start")
    assert "Comment vous appelez-vous" in again.plain


async def test_an_answer_sent_again_after_a_lost_question_is_not_taken_for_it(
    bot: BotUnderTest,
) -> None:
    ama = bot.api.user(1013, language_code="fr")
    await bot.say(ama, "/start")
    bot.api.fail_next("sendMessage", "500", count=4)  # every try of the next question fails
    sent = await bot.say(ama, "1")
    assert all("Comment vous appelez-vous" not in m.plain for m in sent)
    # Nothing useful came: people send their answer again rather than a command.
    [kept] = await bot.say(ama, "1")
    assert "J’ai déjà « 1 » comme réponse à la question précédente" in kept.plain
    assert "Comment vous appelez-vous" in kept.plain
    [role] = await bot.say(ama, "Ama")  # the question they now see is answered as usual
    assert "Merci, Ama." in role.plain
    assert bot.service is not None
    async with bot.service.store.transaction() as tx:
        user = await tx.get_user("telegram", str(ama.id))
        assert user is not None and user.name == "Ama"


async def test_blocked_user_is_marked(bot: BotUnderTest) -> None:
    ama = bot.api.user(1010, language_code="fr")
    await bot.say(ama, "/start")
    bot.api.block(ama)
    bot.api.push_text(ama, "1")
    await bot.settle()
    assert bot.service is not None
    async with bot.service.store.transaction() as tx:
        user = await tx.get_user("telegram", str(ama.id))
    assert user is not None and user.blocked


async def test_every_kind_of_non_text_message(bot: BotUnderTest) -> None:
    ama = bot.api.user(1011, language_code="es")
    api = bot.api
    pushes = [api.push_photo, api.push_sticker, api.push_voice, api.push_document,
              api.push_location, api.push_contact, api.push_contentless]  # fmt: skip
    for push in pushes:
        push(ama)
        await bot.settle()
        assert "Solo leo mensajes de texto" in bot.last(ama).plain, push.__name__
    original = api.push_text(ama, "hola")
    await bot.settle()
    api.push_edited_text(ama, original, "hola!")
    await bot.settle()
    assert "mensajes editados" in bot.last(ama).plain
    count = len(api.sent)
    api.push_channel_post(api.channel(-1001, "Noticias"), "post")
    api.push_unknown_update()
    await bot.settle()
    assert len(api.sent) == count  # nothing to answer, and no crash
    for push in (
        lambda: api.push_long_text(ama),
        lambda: api.push_text(ama, "\x00\x07<b>bold?</b>\u202e&nbsp; **md** _x_ [a](b)"),
    ):
        before = len(api.messages_to(ama))
        push()
        await bot.settle()
        assert len(api.messages_to(ama)) > before  # answered, not crashed
    assert not bot.rejected()


async def test_two_users_at_once_each_in_order(bot: BotUnderTest) -> None:
    ama = bot.api.user(1012, language_code="fr")
    koen = bot.api.user(1013, language_code="nl")
    await asyncio.gather(onboard_by_taps(bot, ama), bot.say(koen, "/start"))
    bot.api.push_text(koen, "1")
    bot.api.push_text(koen, "Koen")  # in order: the name only after the language
    await bot.settle()
    assert "Dank u, Koen" in bot.last(koen).plain


async def test_group_commands_get_a_brief_answer(bot: BotUnderTest) -> None:
    ama = bot.api.user(1014, language_code="fr")
    group = bot.api.group(-2001, "Jumelage Gent–Cotonou")
    bot.api.push_command(ama, "/start", chat=group)
    bot.api.push_text(ama, "bonjour à tous", chat=group)
    await bot.settle()
    [invite] = bot.api.messages_to(group)
    assert invite.reply_markup is None and "privé" in invite.plain.lower()


async def test_commands_are_registered_in_every_language(bot: BotUnderTest) -> None:
    names = [c["command"] for c in bot.api.commands(language_code="nl")]
    assert names[:3] == ["start", "menu", "assess"] and "forget" in names
    assert bot.api.commands(language_code="es")[0]["description"].startswith("Empezar")
    assert bot.api.commands()  # the default list


async def test_private_chat_pacing_avoids_flood_control(sqlite_url: str) -> None:
    strict = RateLimits(private_enabled=True, private_burst=2, private_per_second=5)
    async with FakeBotApi(rate_limits=strict) as api:
        paced = BotUnderTest(api, sqlite_url, limits=Limits(private_per_second=4, private_burst=2))
        await paced.start()
        try:
            ama = api.user(1015, language_code="fr")
            for text in ("/start", "/help", "/menu", "/help", "/menu"):
                api.push_command(ama, text)
            await paced.settle()
        finally:
            await paced.stop()
    assert len(api.messages_to(ama)) >= 5
    assert api.stats.too_many_requests == 0  # paced below the limit, never refused


async def test_the_token_never_reaches_the_logs(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ama = bot.api.user(1016, language_code="fr")
    await bot.say(ama, "/start")
    bot.api.fail_next("sendMessage", "500")
    await bot.say(ama, "1")
    assert caplog.records
    assert not [r for r in caplog.records if bot.api.token in r.getMessage()]
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.channels"]
    assert any("kind=tap" in line or "kind=text" in line for line in lines)
    assert all(str(ama.id) not in line for line in lines)


async def test_webhook_mode(api: FakeBotApi, sqlite_url: str, unused_tcp_port: int) -> None:
    hooked = BotUnderTest(api, sqlite_url)
    public = "https://bot.example.org/sdgbot/hook"  # behind a reverse proxy
    url = f"http://127.0.0.1:{unused_tcp_port}/sdgbot/hook"
    await hooked.start(Webhook(public, "127.0.0.1", unused_tcp_port, secret="s3cret"))
    try:
        assert api.methods.webhook_url == public
        ama = api.user(1017, language_code="fr")
        update = api.push_text(ama, "/start")
        api.updates.drop_pending()  # delivered by webhook here, not by getUpdates
        async with httpx.AsyncClient() as client:
            refused = await client.post(url, json=update)
            secret = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
            answer = await client.post(url, json=update, headers=secret)
        assert refused.status_code == 403 and answer.status_code == 200
        await api.wait_for(lambda m: "1. Français" in m.plain)
        # It was kept in the inbox (before the 200: python-telegram-bot answers once it is
        # queued, and queueing keeps it), so a crash in between could not have lost it.
        assert hooked.service is not None
        async with hooked.service.store.transaction(readonly=True) as tx:
            kept = await tx.session.scalar(text("SELECT count(*) FROM inbox"))
            assert await tx.processed_at("telegram", update["update_id"]) is not None
        assert kept == 1
    finally:
        await hooked.stop()


async def test_only_what_the_service_claims_is_kept_in_the_inbox(bot: BotUnderTest) -> None:
    ama = bot.api.user(1018, language_code="fr")
    await bot.say(ama, "/start")
    bot.api.push_sticker(ama)  # answered by the channel alone: never claimed, so not kept
    await bot.settle()
    await bot.say(ama, "1")
    assert bot.service is not None
    async with bot.service.store.transaction(readonly=True) as tx:
        kinds = (await tx.session.execute(text("SELECT payload FROM inbox"))).scalars().all()
    kept = [json.loads(k) if isinstance(k, str) else k for k in kinds]
    assert [("message" in k and k["message"].get("text")) for k in kept] == ["/start", "1"]


async def _tap_data(bot: BotUnderTest, user: UserHandle, message: SentMessage,
                    ending: str) -> list[SentMessage]:  # fmt: skip
    """Tap the button of `message` whose data ends with `ending` (labels repeat per row)."""
    data = next(d for d in message.callback_data() if d.endswith(ending))
    before = len(bot.api.messages_to(user))
    bot.api.push_callback(user, message, data)
    await bot.settle()
    return bot.api.messages_to(user)[before:]


async def _rate_both(bot: BotUnderTest, ama: UserHandle) -> tuple[SentMessage, list[SentMessage]]:
    await onboard_by_taps(bot, ama)
    [question] = await bot.say(ama, "/tgchart")
    assert question.callback_data(), question.plain
    await _tap_data(bot, ama, question, ":team=2")
    after = await _tap_data(bot, ama, question, ":budget=3")  # the last row: answered
    return question, after


async def test_a_ratings_question_closed_by_its_last_row_keeps_no_done_button(
    bot: BotUnderTest,
) -> None:
    ama = bot.api.user(1031, language_code="fr")
    question, _ = await _rate_both(bot, ama)
    closed = next(m for m in bot.api.messages_to(ama) if m.message_id == question.message_id)
    assert closed.reply_markup is None, closed.buttons()  # no "✔ Terminé" left to tap
    assert "Équipe 2, Budget 3" in closed.plain
    # A "✔ Terminé" tapped on a copy of the keyboard from before (a slow edit, another
    # device): harmless and silent, and the keyboard is taken away.
    first = question.history[0].reply_markup or {}
    done = next(b["callback_data"] for row in first["inline_keyboard"] for b in row
                if b["callback_data"].startswith("s:"))  # fmt: skip
    before = len(bot.api.messages_to(ama))
    bot.api.push_callback(ama, question, done)
    await bot.settle()
    assert bot.api.messages_to(ama)[before:] == []


async def test_the_chart_button_sends_the_chart(bot: BotUnderTest) -> None:
    ama = bot.api.user(1030, language_code="fr")
    await _rate_both(bot, ama)
    after = await bot.tap(ama, "Oui")
    offer = next(m for m in after if any(d.startswith("g:") for d in m.callback_data()))
    sent = await _tap_data(bot, ama, offer, offer.callback_data()[0][-3:])
    assert [m.kind for m in sent] == ["photo"], [m.plain for m in sent]


async def test_a_timed_out_send_is_repeated_once_and_holds_later_replies_briefly(
    sqlite_url: str,
) -> None:
    """A timed-out send may have been delivered: repeated once only, then given up."""
    async with FakeBotApi(rate_limits=RateLimits(private_enabled=False), timeout_delivers=True,
                          timeout_hold=5.0) as api:  # fmt: skip
        bot = BotUnderTest(api, sqlite_url, timeout=1.0)
        await bot.start()
        try:
            ama = api.user(1040, language_code="fr")
            api.fail_next("sendMessage", "timeout", count=3)
            loop = asyncio.get_running_loop()
            api.push_command(ama, "/start")
            api.push_command(ama, "/help")  # waits behind the slow /start reply
            pushed = loop.time()
            await api.wait_for(lambda m: m.chat_id == ama.id and "/assess" in m.plain, timeout=20)
            waited = loop.time() - pushed
            await bot.settle()
        finally:
            await bot.stop()
    copies = [m for m in api.messages_to(ama) if "1. Français" in m.plain]
    assert len(copies) <= 2  # at most one repeat (the old code sent it four times)
    assert waited < 6.0  # two timeouts of 1 s, the notice, then /help

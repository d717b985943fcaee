"""The service end to end on a real database (SQLite and PostgreSQL): one input, one transaction."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.conversation.conversations import Conversations
from bot.flow.events import (
    AnswerRecorded,
    Event,
    MessageCreated,
    QuestionAsked,
    StaleInputIgnored,
)
from bot.flow.state import OptionInput, TextInput
from bot.messages import (
    Command,
    ConversationKey,
    FileOffered,
    LanguageOffered,
    MenuOffered,
    Notice,
    Reply,
    Tap,
)
from bot.storage import Store
from tests.conversation.conftest import Clock, Talker, make_service

ONBOARDING_ANSWERS = ["1", "Ana Lima", "élue", "Belgique", "Herent"]


def question(reply: Reply) -> QuestionAsked:
    asked = [e for e in reply.events if isinstance(e, QuestionAsked)]
    assert asked, f"no question in {reply.events}"
    return asked[-1]


def texts(events: list[Event]) -> str:
    return "\n".join(getattr(e, "text", "") for e in events)


async def onboard(talker: Talker) -> Reply:
    reply = await talker.send(Command("start"))
    for answer in ONBOARDING_ANSWERS:
        reply = await talker.send(TextInput(answer))
    return reply


async def test_onboarding_by_typing_fills_the_profile(service: Conversations, store: Store) -> None:
    talker = Talker(service, ConversationKey("test", "1"))
    first = await talker.send(Command("start"))
    assert question(first).step_id == "language"
    assert question(first).options[0].id == "fr"  # the detected language comes first
    reply = await onboard_rest(talker)
    assert any(isinstance(e, MenuOffered) for e in reply.events)
    async with store.transaction() as tx:
        user = await tx.get_user("test", "1")
        assert user is not None
        assert (user.name, user.kind, user.country, user.timezone) == (
            "Ana Lima",
            "elected",
            "BE",
            "Europe/Brussels",
        )
        municipality = await tx.municipality(user.municipality_id or 0)
        assert municipality is not None and municipality.name == "Herent"


async def onboard_rest(talker: Talker) -> Reply:
    reply = Reply()
    for answer in ONBOARDING_ANSWERS:
        reply = await talker.send(TextInput(answer))
    return reply


async def test_a_redelivered_update_changes_nothing(service: Conversations, store: Store) -> None:
    talker = Talker(service, ConversationKey("test", "2"))
    await talker.send(Command("start"))
    await talker.send(TextInput("1"), update_id=50)
    await service.mark_replied(talker.key, 50)  # the channel delivered the reply
    again = await talker.send(TextInput("1"), update_id=50)
    assert again.duplicate and again.events == []
    reply = await talker.send(TextInput("Bo"))
    assert next(e for e in reply.events if isinstance(e, AnswerRecorded)).step_id == "name"
    async with store.transaction() as tx:
        user = await tx.get_user("test", "2")
        run = await tx.active_run(user.id if user else 0)
        assert run is not None
        assert await tx.answers(run.id) == {"language": "fr", "name": "Bo"}


async def test_a_restart_resumes_at_the_same_question(store: Store, clock: Clock) -> None:
    first = make_service(store, clock)
    talker = Talker(first, ConversationKey("test", "3"))
    await talker.send(Command("start"))
    asked = question(await talker.send(TextInput("1")))
    assert asked.step_id == "name"
    # a new service on the same database, as after `kill -9` and a restart
    talker.service = make_service(store, clock)
    reply = await talker.send(TextInput("Carla"))
    assert [e.step_id for e in reply.events if isinstance(e, AnswerRecorded)] == ["name"]
    assert question(reply).step_id == "role"


async def test_a_stale_button_is_refused_and_the_current_question_asked(
    service: Conversations,
) -> None:
    talker = Talker(service, ConversationKey("test", "4"))
    start = await talker.send(Command("start"))
    old = question(start)
    await talker.send(OptionInput(old.seq, "fr"), run_id=start.run_id)
    stale = await talker.send(OptionInput(old.seq, "nl"), run_id=start.run_id)
    assert any(isinstance(e, StaleInputIgnored) for e in stale.events)
    assert question(stale).step_id == "name"
    other_run = await talker.send(OptionInput(question(stale).seq, "x"), run_id=9999)
    assert any(isinstance(e, StaleInputIgnored) for e in other_run.events)


async def test_language_change_mid_flow_asks_again_in_the_new_language(
    service: Conversations,
) -> None:
    talker = Talker(service, ConversationKey("test", "5"))
    await talker.send(Command("start"))
    await talker.send(TextInput("1"))
    picker = await talker.send(Command("language"))
    assert any(isinstance(e, LanguageOffered) for e in picker.events)
    switched = await talker.send(Tap("l:nl"))
    assert switched.lang == "nl"
    assert question(switched).text.startswith("Hoe heet u")


async def test_lite_mode_toggles_and_is_remembered(service: Conversations) -> None:
    talker = Talker(service, ConversationKey("test", "6"))
    on = await talker.send(Command("lite"))
    assert on.lite
    again = await talker.send(Command("help"))
    assert again.lite
    off = await talker.send(Command("lite"))
    assert not off.lite


async def test_free_text_outside_a_flow_finds_the_flow_or_shows_the_menu(
    service: Conversations,
) -> None:
    talker = Talker(service, ConversationKey("test", "7"))
    await onboard(talker)
    menu = await talker.send(TextInput("bonjour"))
    assert any(isinstance(e, MenuOffered) for e in menu.events)
    if service.flows.get("sdg_assessment") is not None:
        started = await talker.send(TextInput("auto évaluation"))
        assert started.flow_id == "sdg_assessment"


async def test_cancel_keeps_answers_and_offers_the_menu(service: Conversations) -> None:
    talker = Talker(service, ConversationKey("test", "8"))
    await talker.send(Command("start"))
    await talker.send(TextInput("2"))
    reply = await talker.send(Command("cancel"))
    assert any(isinstance(e, MenuOffered) for e in reply.events)
    nothing = await talker.send(Command("cancel"))
    assert any(isinstance(e, Notice) for e in nothing.events)


async def test_unknown_command_gets_a_short_help(service: Conversations) -> None:
    talker = Talker(service, ConversationKey("test", "9"))
    reply = await talker.send(Command("frobnicate"))
    assert "/frobnicate" in texts(reply.events)
    assert "/menu" in texts(reply.events)


async def test_mydata_and_forget(service: Conversations, store: Store) -> None:
    talker = Talker(service, ConversationKey("test", "10"))
    await onboard(talker)
    data = await talker.send(Command("mydata"))
    files = [e for e in data.events if isinstance(e, FileOffered)]
    assert files and b"Ana Lima" in files[0].content
    await talker.send(Command("forget"))
    done = await talker.send(Tap("c:forgetyes"))
    assert any(isinstance(e, MessageCreated) for e in done.events)
    async with store.transaction() as tx:
        assert await tx.get_user("test", "10") is None
        assert [r async for r in tx.iter_export("onboarding")] == []


async def test_two_inputs_of_one_user_at_once_are_both_recorded(
    service: Conversations, store: Store
) -> None:
    talker = Talker(service, ConversationKey("test", "11"))
    await talker.send(Command("start"))
    await asyncio.gather(talker.send(TextInput("1")), talker.send(TextInput("Dina")))
    async with store.transaction() as tx:
        user = await tx.get_user("test", "11")
        run = await tx.active_run(user.id if user else 0)
        assert run is not None
        answers = await tx.answers(run.id)
    # Whatever order they ran in, each input was handled once on the state the other left.
    assert answers.get("language") == "fr"


async def test_a_run_keeps_its_flow_version_after_the_flow_is_edited(
    store: Store, clock: Clock, tmp_path: Path
) -> None:
    flow = tmp_path / "pinned.yaml"
    flow.write_text(PINNED.replace("QUESTION", "Première question"), encoding="utf-8")
    service = make_service(store, clock, tmp_path)
    talker = Talker(service, ConversationKey("test", "12"))
    await onboard(talker)
    started = await talker.send(Tap("f:pinned"))
    assert "Première question" in question(started).text
    # the author edits the flow and the bot restarts: the run stays on the old definition
    flow.write_text(
        PINNED.replace("QUESTION", "Nouvelle question").replace(
            "  - id: second",
            "  - id: inserted\n    kind: yesno\n    text: Nouveau ?\n  - id: second",
        ),
        encoding="utf-8",
    )
    talker.service = make_service(store, clock, tmp_path)
    reply = await talker.send(TextInput("oui"))
    assert question(reply).step_id == "second"


PINNED = """
id: pinned
version: 1
title: Pinned
languages: [fr]
menu: true
steps:
  - id: first
    kind: yesno
    text: QUESTION
  - id: second
    kind: yesno
    text: Deuxième ?
"""


async def test_a_redelivered_update_whose_reply_was_lost_gets_the_question_again(
    service: Conversations, store: Store, clock: Clock
) -> None:
    talker = Talker(service, ConversationKey("test", "13"))
    await talker.send(Command("start"), update_id=70)
    await service.mark_replied(talker.key, 70)
    # the answer is committed, then the bot dies before its reply goes out
    await talker.send(TextInput("1"), update_id=71, delivered=False)
    at_once = await talker.send(TextInput("1"), update_id=71, delivered=False)
    assert at_once.duplicate  # a copy right away: the first reply may still be on its way
    clock.advance(seconds=30)  # Telegram re-delivers it after the restart
    again = await talker.send(TextInput("1"), update_id=71, delivered=False)
    assert not again.duplicate
    assert question(again).step_id == "name"
    assert not any(isinstance(e, AnswerRecorded) for e in again.events)
    await service.mark_replied(talker.key, 71)
    assert (await talker.send(TextInput("1"), update_id=71)).duplicate
    async with store.transaction() as tx:
        user = await tx.get_user("test", "13")
        run = await tx.active_run(user.id if user else 0)
        assert run is not None and await tx.answers(run.id) == {"language": "fr"}


async def test_a_number_typed_after_the_menu_picks_that_entry(service: Conversations) -> None:
    talker = Talker(service, ConversationKey("test", "14"))
    await onboard(talker)
    reply = await talker.send(TextInput("1"))
    assert reply.flow_id == service.flows.menu()[0].id


async def test_a_number_typed_after_a_prompt_answers_a_question_asked_since(
    service: Conversations, clock: Clock
) -> None:
    """Two processes: one showed the menu, the other the flow's question after it."""
    talker = Talker(service, ConversationKey("test", "15"))
    await onboard(talker)
    menu_shown = clock.now
    clock.advance(seconds=5)
    started = await talker.send(Command("post2030"))  # its question, sent by another process
    assert question(started).step_id == "plan_end"
    clock.advance(seconds=5)
    # The first process still remembers its menu: "2031" is no menu entry, but "1" would be.
    typed = await talker.send(Tap("f:sdg_assessment", typed="2031", offered_at=menu_shown))
    assert [e.step_id for e in typed.events if isinstance(e, AnswerRecorded)] == ["plan_end"]
    # A number typed after a prompt shown after the question still picks from that prompt.
    clock.advance(seconds=5)
    after = await talker.send(Tap("c:menu", typed="1", offered_at=clock.now))
    assert not any(isinstance(e, AnswerRecorded) for e in after.events)
    assert any(isinstance(e, MenuOffered) for e in after.events)

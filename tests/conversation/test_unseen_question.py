"""The previous answer sent again after a question that never reached the user.

Killed between the commit and the send (or a link that failed every retry), the bot recorded
"1" and moved on, but the next question never arrived. People then send their answer again.
Without a delivery mark for the reply that carried the question, that copy is not taken as
the answer to a question the user never saw: they are told it is kept and get the question.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.conversation.conversations import REPLIED_FLUSH_DELAY, Conversations
from bot.flow.state import TextInput
from bot.messages import Command, ConversationKey, Incoming, MenuOffered, Notice, Reply
from bot.storage import Store
from tests.conversation.conftest import Clock, Talker, asked, make_service, recorded


def menus(reply: Reply) -> list[str]:
    return [e.text for e in reply.events if isinstance(e, MenuOffered)]


def notices(reply: Reply) -> list[str]:
    return [e.text for e in reply.events if isinstance(e, Notice)]


async def at_the_role_question(service: Conversations, clock: Clock, who: str) -> Talker:
    """An onboarding user who typed their name; the role question was delivered."""
    talker = Talker(service, ConversationKey("test", who))
    assert asked(await talker.send(Command("start"))) == ["language"]
    clock.advance(seconds=5)
    assert asked(await talker.send(TextInput("1"))) == ["name"]
    clock.advance(seconds=5)
    assert asked(await talker.send(TextInput("Ana Lima"))) == ["role"]
    return talker


async def test_the_answer_again_after_an_undelivered_question_is_kept_once(
    service: Conversations, clock: Clock
) -> None:
    talker = await at_the_role_question(service, clock, "unseen-1")
    clock.advance(seconds=5)
    lost = await talker.send(TextInput("1"), delivered=False)  # the country question is lost
    assert (recorded(lost), asked(lost)) == (["role"], ["country"])
    clock.advance(seconds=40)
    again = await talker.send(TextInput("1"))  # nothing came back: they send it again
    assert recorded(again) == []
    assert asked(again) == ["country"]
    assert notices(again) == [
        "J’ai déjà « 1 » comme réponse à la question précédente. "
        "Si c’était pour celle-ci, renvoyez-le :"
    ]
    # The question reached them this time: the same text now answers it.
    clock.advance(seconds=5)
    meant = await talker.send(TextInput("1"))
    assert recorded(meant) == ["country"]


async def test_the_same_text_after_a_delivered_question_is_an_answer(
    service: Conversations, clock: Clock
) -> None:
    talker = await at_the_role_question(service, clock, "unseen-2")
    clock.advance(seconds=5)
    assert asked(await talker.send(TextInput("1"))) == ["country"]  # delivered
    clock.advance(seconds=5)
    same = await talker.send(TextInput("1"))
    assert (recorded(same), notices(same)) == (["country"], [])


async def test_other_text_after_an_undelivered_question_is_read_as_usual(
    service: Conversations, clock: Clock
) -> None:
    talker = await at_the_role_question(service, clock, "unseen-3")
    clock.advance(seconds=5)
    await talker.send(TextInput("1"), delivered=False)
    clock.advance(seconds=40)
    other = await talker.send(TextInput("2"))  # not a copy: an answer to the question
    assert (recorded(other), notices(other)) == (["country"], [])


async def test_a_long_answer_is_quoted_short(service: Conversations, clock: Clock) -> None:
    talker = Talker(service, ConversationKey("test", "unseen-4"))
    await talker.send(Command("start"))
    clock.advance(seconds=5)
    await talker.send(TextInput("1"))
    clock.advance(seconds=5)
    name = "Ana " + "Lima" * 19  # 80 characters, a name the question accepts
    await talker.send(TextInput(name), delivered=False)  # the role question is lost
    clock.advance(seconds=40)
    again = await talker.send(TextInput(name))
    assert recorded(again) == [] and asked(again) == ["role"]
    (notice,) = notices(again)
    assert "Ana LimaLima" in notice and name not in notice and "…" in notice


async def test_the_last_answer_again_after_a_lost_closing_message_is_not_misunderstood(
    service: Conversations, clock: Clock
) -> None:
    talker = await at_the_role_question(service, clock, "unseen-5")
    for answer in ("1", "1"):  # role, country
        clock.advance(seconds=5)
        await talker.send(TextInput(answer))
    clock.advance(seconds=5)
    closing = await talker.send(TextInput("Gent"), delivered=False)  # completes onboarding
    assert recorded(closing) == ["municipality"] and menus(closing)
    clock.advance(seconds=40)
    again = await talker.send(TextInput("Gent"))
    assert recorded(again) == [] and asked(again) == []
    assert notices(again) == [
        "J’ai déjà « Gent » comme réponse : « Faisons connaissance » est terminé, "
        "tout est enregistré."
    ]
    assert menus(again) == ["Merci ! Autre chose ?"]
    # Once that reply is delivered, the same text is read as any text outside a flow.
    clock.advance(seconds=5)
    assert menus(await talker.send(TextInput("Gent"))) == [
        "Je n’ai pas compris. Voici ce que je peux faire pour vous :"
    ]


async def test_an_answer_written_before_its_question_was_delivered_is_not_its_answer(
    service: Conversations, clock: Clock
) -> None:
    """The chaos run, replayed: a typed answer's reply lost in a kill, the answer sent again,
    the original update re-delivered, then "1" twice while 429s held the next question."""
    talker = Talker(service, ConversationKey("test", "unseen-6"))
    assert asked(await talker.send(Command("start"))) == ["language"]
    clock.advance(seconds=5)
    assert asked(await talker.send(TextInput("1"))) == ["name"]
    key = talker.key
    clock.advance(seconds=5)
    first = clock.now
    name = await talker.send(
        TextInput("Ana Lima"), update_id=880_001, written_by=first, delivered=False
    )  # committed; killed before the reply
    assert (recorded(name), asked(name)) == (["name"], ["role"])
    clock.advance(seconds=30)  # restarted; nothing came back: they send it again
    again = await talker.send(TextInput("Ana Lima"), update_id=880_002, written_by=clock.now)
    assert (recorded(again), asked(again)) == ([], ["role"])
    assert notices(again) == [
        "J’ai déjà « Ana Lima » comme réponse à la question précédente. "
        "Si c’était pour celle-ci, renvoyez-le :"
    ]
    clock.advance(seconds=16)  # the original update comes again, without a delivery mark
    copy = await talker.send(TextInput("Ana Lima"), update_id=880_001, written_by=first)
    assert copy.duplicate  # the role question is with them already: no second copy
    clock.advance(seconds=2)
    role = await talker.send(
        TextInput("1"), update_id=880_003, written_by=clock.now, delivered=False
    )  # answers the role; 429/500 retries follow
    assert (recorded(role), asked(role)) == (["role"], ["country"])
    written = clock.now + timedelta(seconds=1)  # "1" again, while the question is held
    clock.advance(seconds=6)
    await service.mark_replied(key, 880_003)  # the country question reaches them now
    clock.advance(seconds=0.5)
    early = await talker.send(TextInput("1"), update_id=880_004, written_by=written)
    assert (recorded(early), asked(early)) == ([], ["country"])
    assert notices(early) == [
        "J’ai déjà « 1 » comme réponse à la question précédente. "
        "Si c’était pour celle-ci, renvoyez-le :"
    ]
    # Written after the question reached them, the same text is their answer.
    clock.advance(seconds=5)
    meant = await talker.send(TextInput("1"), written_by=clock.now)
    assert recorded(meant) == ["country"]


async def test_the_delivery_moment_survives_a_restart(
    service: Conversations, store: Store, clock: Clock
) -> None:
    talker = await at_the_role_question(service, clock, "unseen-7")
    clock.advance(seconds=5)
    await talker.send(TextInput("1"), update_id=881_001, written_by=clock.now, delivered=False)
    written = clock.now + timedelta(seconds=1)
    clock.advance(seconds=6)
    delivered = clock.now
    await service.mark_replied(talker.key, 881_001)
    await asyncio.sleep(REPLIED_FLUSH_DELAY * 4)  # the writer task stores the moment
    async with store.transaction(readonly=True) as tx:
        assert await tx.processed("test", 881_001) == (delivered - timedelta(seconds=6), delivered)
    talker.service = make_service(store, clock)  # another process, same database
    try:
        clock.advance(seconds=1)
        early = await talker.send(TextInput("1"), written_by=written)
        assert (recorded(early), asked(early)) == ([], ["country"])
        clock.advance(seconds=5)
        assert recorded(await talker.send(TextInput("1"), written_by=clock.now)) == ["country"]
    finally:
        await talker.service.close()


async def test_message_ids_tell_what_was_written_before_the_question_arrived(
    service: Conversations, clock: Clock
) -> None:
    """Telegram numbers a chat's messages, the person's and the bot's, in one sequence: a lower
    id was written before the question arrived, even within the second its date cannot split."""
    talker = await at_the_role_question(service, clock, "unseen-8")
    key = talker.key

    async def send(text: str, update_id: int, message_id: int) -> Reply:
        return await service.handle(
            Incoming(
                key,
                TextInput(text),
                update_id=update_id,
                written_by=clock.now,
                message_id=message_id,
            )
        )

    clock.advance(seconds=5)
    role = await send("1", 882_001, message_id=20)
    assert (recorded(role), asked(role)) == (["role"], ["country"])
    await service.mark_replied(key, 882_001, clock.now, message_id=22)  # the question is 22
    clock.advance(seconds=0.3)  # later than its date says, but written as message 21
    early = await send("1", 882_002, message_id=21)
    assert (recorded(early), asked(early)) == ([], ["country"])
    await service.mark_replied(key, 882_002, clock.now - timedelta(seconds=1), message_id=24)
    meant = await send("1", 882_003, message_id=25)  # after the question: its answer
    assert recorded(meant) == ["country"]


async def test_answers_to_copies_crossing_a_new_copy_do_not_bring_copy_after_copy(
    service: Conversations, clock: Clock
) -> None:
    """Two copies of a question out, each answered: the answer to the first, written before
    the second arrived, is set aside once; the next, written after the first arrived, is taken
    (measuring from the newest copy, each answer would bring one more, without end)."""
    talker = await at_the_role_question(service, clock, "unseen-9")
    key = talker.key

    async def send(text: str, update_id: int, message_id: int) -> Reply:
        return await service.handle(
            Incoming(
                key,
                TextInput(text),
                update_id=update_id,
                written_by=clock.now,
                message_id=message_id,
            )
        )

    clock.advance(seconds=5)
    await send("1", 883_001, message_id=30)  # the role; the country question is message 32
    await service.mark_replied(key, 883_001, clock.now, message_id=32)
    clock.advance(seconds=1)
    crossing = await send("1", 883_002, message_id=31)  # for a second copy of the role question
    assert (recorded(crossing), asked(crossing)) == ([], ["country"])
    await service.mark_replied(key, 883_002, clock.now, message_id=34)
    clock.advance(seconds=1)
    answer = await send("1", 883_003, message_id=33)  # after message 32: the country question
    assert recorded(answer) == ["country"]

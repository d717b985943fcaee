"""The previous answer sent again after a question that never reached the user.

Killed between the commit and the send (or a link that failed every retry), the bot recorded
"1" and moved on, but the next question never arrived. People then send their answer again.
Without a delivery mark for the reply that carried the question, that copy is not taken as
the answer to a question the user never saw: they are told it is kept and get the question.
"""

from __future__ import annotations

from bot.conversation.conversations import Conversations
from bot.flow.state import TextInput
from bot.messages import Command, ConversationKey, MenuOffered, Notice, Reply
from tests.conversation.conftest import Clock, Talker, asked, recorded


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

"""Flows know what is known: a question another flow already asked the municipality is offered
for a one-tap confirmation (`known:` in the flow), not asked again."""

from __future__ import annotations

from bot.conversation.conversations import Conversations
from bot.flow.events import AnswerRecorded, ConfirmationRequested, QuestionAsked
from bot.flow.state import TextInput
from bot.messages import Command, ConversationKey, Reply
from tests.conversation.autopilot import answer, run_to_end
from tests.conversation.conftest import Talker
from tests.conversation.test_partners import onboard


async def until_confirmation(talker: Talker, reply: Reply) -> tuple[Reply, ConfirmationRequested]:
    """Answer questions until the bot offers a known answer to confirm."""
    for _ in range(40):
        offered = [e for e in reply.events if isinstance(e, ConfirmationRequested)]
        if offered:
            return reply, offered[0]
        (question,) = [e for e in reply.events if isinstance(e, QuestionAsked)]
        if question.step_id == "plan_end":  # the year the plan runs to
            reply = await talker.send(TextInput("2031"))
        else:
            reply = await answer(talker, reply, question)
    raise AssertionError("no known answer was offered")


async def test_post2030_offers_the_self_assessments_council_answer(service: Conversations) -> None:
    ana = Talker(service, ConversationKey("test", "k1"), language_code="fr")
    ben = Talker(service, ConversationKey("test", "k2"), language_code="en")
    await onboard(ana, "Ana", "Belgique", "Herent")
    await onboard(ben, "Ben", "Belgium", "Herent")
    await run_to_end(ana, await ana.send(Command("assess")))  # "Oui" to the council question

    _, offer = await until_confirmation(ben, await ben.send(Command("post2030")))
    assert offer.step_id == "plan_sdg"  # the first of the two post-2030 shares with it
    assert "answered for your municipality" in offer.text and "Ana" in offer.text
    assert "SDG self-assessment" in offer.text
    confirmed = await ben.send(TextInput("yes"))
    recorded = [e for e in confirmed.events if isinstance(e, AnswerRecorded)]
    assert [e.step_id for e in recorded] == [offer.step_id]
    (council,) = [e for e in confirmed.events if isinstance(e, ConfirmationRequested)]
    assert council.step_id == "council" and "“Yes, once”" in council.text  # "Oui" → "Yes, once"
    goes_on = await ben.send(TextInput("yes"))
    assert [e.step_id for e in goes_on.events if isinstance(e, AnswerRecorded)] == ["council"]
    assert [e for e in goes_on.events if isinstance(e, QuestionAsked)]


async def test_saying_no_asks_the_question(service: Conversations) -> None:
    ana = Talker(service, ConversationKey("test", "k3"), language_code="nl")
    await onboard(ana, "Ana", "België", "Herent")
    await run_to_end(ana, await ana.send(Command("assess")))
    _, offer = await until_confirmation(ana, await ana.send(Command("post2030")))
    declined = await ana.send(TextInput("nee"))
    asked = [e for e in declined.events if isinstance(e, QuestionAsked)]
    assert [q.step_id for q in asked] == [offer.step_id]
    assert not [e for e in declined.events if isinstance(e, AnswerRecorded)]


async def test_nothing_is_offered_without_an_earlier_answer(service: Conversations) -> None:
    ana = Talker(service, ConversationKey("test", "k4"), language_code="es")
    await onboard(ana, "Ana", "Bolivia", "Tarija")
    reply = await ana.send(Command("post2030"))
    for _ in range(40):
        assert not [e for e in reply.events if isinstance(e, ConfirmationRequested)]
        questions = [e for e in reply.events if isinstance(e, QuestionAsked)]
        if not questions:
            break
        reply = (
            await ana.send(TextInput("2031"))
            if questions[0].step_id == "plan_end"
            else await answer(ana, reply, questions[0])
        )

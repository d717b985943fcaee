"""A flow answered once per period (`once_per`): starting it again offers this period's answers."""

from __future__ import annotations

from bot.conversation.conversations import Conversations
from bot.flow.events import MessageCreated, QuestionAsked
from bot.messages import Command, ConversationKey, MenuOffered, Tap
from tests.conversation.autopilot import run_to_end
from tests.conversation.conftest import Clock, Talker
from tests.conversation.test_partners import onboard


async def test_a_second_checkin_in_the_quarter_offers_to_see_or_update(
    service: Conversations, clock: Clock
) -> None:
    wim = Talker(service, ConversationKey("test", "w1"), language_code="en")
    els = Talker(service, ConversationKey("test", "e1"), language_code="nl")
    await onboard(wim, "Wim", "Belgium", "Brasschaat")
    await onboard(els, "Els", "België", "Brasschaat")
    await run_to_end(wim, await wim.send(Command("checkin")), score=4)

    again = await els.send(Command("checkin"))  # a colleague, the same quarter
    (offer,) = [e for e in again.events if isinstance(e, MenuOffered)]
    assert "already answered for this period" not in offer.text  # Els reads Dutch
    assert "al geantwoord (Wim" in offer.text
    assert [o.id for o in offer.options] == [
        "c:seen partnership_checkin",
        "c:again partnership_checkin",
        "c:menu",
    ]
    assert not [e for e in again.events if isinstance(e, QuestionAsked)]

    seen = await els.send(Tap("c:seen partnership_checkin"))
    assert any(isinstance(e, MessageCreated) and e.is_result for e in seen.events)

    update = await els.send(Tap("c:again partnership_checkin"))
    assert [e for e in update.events if isinstance(e, QuestionAsked)]  # a new run starts

    clock.advance(days=100)  # the next quarter: the flow starts at once
    fresh = await wim.send(Command("checkin"))
    assert [e for e in fresh.events if isinstance(e, QuestionAsked)]

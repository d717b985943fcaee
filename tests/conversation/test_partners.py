"""Both sides of a twinning: the mirror report of a check-in and the week's partner invitation."""

from __future__ import annotations

from bot.conversation.conversations import Conversations
from bot.flow.events import MessageCreated
from bot.flow.state import TextInput
from bot.messages import Command, ConversationKey, Reply
from tests.conversation.autopilot import run_to_end
from tests.conversation.conftest import Talker


async def onboard(talker: Talker, name: str, country: str, municipality: str) -> None:
    await talker.send(Command("start"))
    for answer in ["1", name, "1", country, municipality]:
        await talker.send(TextInput(answer))


def results(reply: Reply) -> str:
    return "\n".join(e.text for e in reply.events if isinstance(e, MessageCreated) and e.is_result)


async def test_both_sides_of_a_twinning_get_their_mirror_report(service: Conversations) -> None:
    north = Talker(service, ConversationKey("test", "north"), language_code="nl")
    south = Talker(service, ConversationKey("test", "south"), language_code="es")
    await onboard(north, "Wim", "België", "Brasschaat")
    await onboard(south, "Lucía", "Bolivia", "Tarija")

    first = await run_to_end(north, await north.send(Command("checkin")), score=4)
    assert first.others == []  # the partner has not answered yet
    assert "Tarija" in results(first)

    second = await run_to_end(south, await south.send(Command("checkin")), score=1)
    mirror_for_south = results(second)
    assert "Brasschaat" in mirror_for_south
    assert [str(o.key) for o in second.others] == ["test:north"]
    outgoing = second.others[0]
    assert outgoing.lang == "nl"
    mirror_for_north = "\n".join(getattr(e, "text", "") for e in outgoing.events)
    assert "Tarija" in mirror_for_north
    assert mirror_for_north != mirror_for_south


async def test_the_week_invitation_reaches_the_partner_in_their_language(
    service: Conversations,
) -> None:
    north = Talker(service, ConversationKey("test", "n2"), language_code="fr")
    south = Talker(service, ConversationKey("test", "s2"), language_code="es")
    await onboard(north, "Wim", "Belgique", "Brasschaat")
    await onboard(south, "Lucía", "Bolivia", "Tarija")
    done = await run_to_end(north, await north.send(Command("week")))
    invitations = [o for o in done.others if str(o.key) == "test:s2"]
    assert invitations, "the partner got no invitation"
    text = "\n".join(getattr(e, "text", "") for e in invitations[0].events)
    assert "Semana del Municipio Sostenible" in text and "Brasschaat" in text

"""Both sides of a twinning: the mirror report of a check-in and the week's partner invitation.

Messages to the other side go through the outbox: written with the answer that triggers them,
then delivered by the sender (here on a fake transport), once each, in each reader's language.
"""

from __future__ import annotations

from bot.conversation.conversations import Conversations
from bot.flow.events import MessageCreated
from bot.flow.state import TextInput
from bot.messages import Command, ConversationKey, Reply, Tap
from bot.storage.models import OutboxItem
from tests.conversation.autopilot import run_to_end
from tests.conversation.conftest import Clock, Talker
from tests.scheduling.conftest import FakeTransport, VirtualTime, outbox, sender_for


async def deliver(service: Conversations, clock: Clock) -> FakeTransport:
    """Run the outbox sender once, at midday in Brussels (no quiet hours for anyone here)."""
    vtime = VirtualTime(start=clock.now)
    transport = FakeTransport(vtime)
    await sender_for(service, transport, vtime, quiet=(0, 0)).run_once()
    return transport


async def partner_rows(service: Conversations) -> list[OutboxItem]:
    return [row for row in await outbox(service.store) if row.kind == "partner"]


async def onboard(talker: Talker, name: str, country: str, municipality: str) -> None:
    await talker.send(Command("start"))
    for answer in ["1", name, "1", country, municipality]:
        await talker.send(TextInput(answer))


def results(reply: Reply) -> str:
    return "\n".join(e.text for e in reply.events if isinstance(e, MessageCreated) and e.is_result)


async def test_both_sides_of_a_twinning_get_their_mirror_report(
    service: Conversations, clock: Clock
) -> None:
    north = Talker(service, ConversationKey("test", "north"), language_code="nl")
    south = Talker(service, ConversationKey("test", "south"), language_code="es")
    await onboard(north, "Wim", "België", "Brasschaat")
    await onboard(south, "Lucía", "Bolivia", "Tarija")

    first = await run_to_end(north, await north.send(Command("checkin")), score=4)
    assert first.queued == 0 and await partner_rows(service) == []  # Tarija has not answered
    assert "Tarija" in results(first)

    second = await run_to_end(south, await south.send(Command("checkin")), score=1)
    assert "en un mensaje aparte" in results(second)
    assert second.queued == 2  # both mirrors, committed with Tarija's last answer
    rows = await partner_rows(service)
    assert all(set(row.payload["texts"]) == {"fr", "nl", "es", "en"} for row in rows)
    sent = await deliver(service, clock)
    assert sent.counts() == {"north": 1, "south": 1}
    mirror_for_north, mirror_for_south = sent.to("north")[0].text, sent.to("south")[0].text
    assert "Tarija" in mirror_for_north and "Brasschaat" in mirror_for_south
    assert "Spiegel" in mirror_for_north and "Espejo" in mirror_for_south  # each in theirs
    assert (await deliver(service, clock)).sent == []  # delivered once, never again


async def test_the_week_invitation_reaches_the_partner_in_their_language(
    service: Conversations,
    clock: Clock,
) -> None:
    north = Talker(service, ConversationKey("test", "n2"), language_code="fr")
    south = Talker(service, ConversationKey("test", "s2"), language_code="es")
    await onboard(north, "Wim", "Belgique", "Brasschaat")
    await onboard(south, "Lucía", "Bolivia", "Tarija")
    done = await run_to_end(north, await north.send(Command("week")))
    assert done.queued == 1
    invitations = (await deliver(service, clock)).to("s2")
    assert len(invitations) == 1, "the partner got no invitation"
    text = invitations[0].text
    assert "Semana del Municipio Sostenible" in text and "Brasschaat" in text


async def test_results_show_the_mirror_again(service: Conversations) -> None:
    north = Talker(service, ConversationKey("test", "n3"), language_code="nl")
    south = Talker(service, ConversationKey("test", "s3"), language_code="es")
    await onboard(north, "Wim", "België", "Brasschaat")
    await onboard(south, "Lucía", "Bolivia", "Tarija")
    await run_to_end(north, await north.send(Command("checkin")), score=4)
    await run_to_end(south, await south.send(Command("checkin")), score=1)
    again = results(await south.send(Command("results")))
    assert "Espejo" in again and "Brasschaat" in again


async def test_forgetting_one_side_erases_the_mirrors_built_from_its_answers(
    service: Conversations,
) -> None:
    north = Talker(service, ConversationKey("test", "n4"), language_code="nl")
    south = Talker(service, ConversationKey("test", "s4"), language_code="es")
    await onboard(north, "Wim", "België", "Brasschaat")
    await onboard(south, "Lucía", "Bolivia", "Tarija")
    await run_to_end(north, await north.send(Command("checkin")), score=4)
    await run_to_end(south, await south.send(Command("checkin")), score=1)
    assert len(await partner_rows(service)) == 2
    await south.send(Command("forget"))
    await south.send(Tap("c:forgetyes"))
    assert await partner_rows(service) == []  # Wim's mirror showed Lucía's answers too

"""`/results` and charts: the municipality's latest result, who answered, the chart on request."""

from __future__ import annotations

from bot.conversation.conversations import Conversations
from bot.flow.events import MessageCreated
from bot.messages import ChartOffered, Command, ConversationKey, ImageOffered, Notice, Tap
from tests.conversation.autopilot import run_to_end
from tests.conversation.conftest import Talker
from tests.conversation.test_partners import onboard


async def test_results_show_the_municipality_s_latest_assessment(service: Conversations) -> None:
    ana = Talker(service, ConversationKey("test", "ana"))
    ben = Talker(service, ConversationKey("test", "ben"))
    await onboard(ana, "Ana", "Belgique", "Herent")
    await onboard(ben, "Ben", "Belgique", "Herent")
    none_yet = await ben.send(Command("results"))
    assert any(isinstance(e, Notice) and "/assess" in e.text for e in none_yet.events)

    done = await run_to_end(ana, await ana.send(Command("assess")))
    assert any(isinstance(e, MessageCreated) and e.is_result for e in done.events)
    offered = [e for e in done.events if isinstance(e, ChartOffered)]

    # a colleague of the same municipality sees it, with who answered
    shown = await ben.send(Command("results"))
    header = next(e.text for e in shown.events if isinstance(e, Notice))
    assert "Ana" in header
    assert any(isinstance(e, MessageCreated) and e.is_result for e in shown.events)

    if offered:
        chart = await ben.send(Tap(f"g:{offered[0].run_id}"))
        images = [e for e in chart.events if isinstance(e, ImageOffered)]
        assert images and images[0].content.startswith(b"\x89PNG")


async def test_a_chart_of_another_municipality_is_refused(service: Conversations) -> None:
    ana = Talker(service, ConversationKey("test", "ana2"))
    eve = Talker(service, ConversationKey("test", "eve2"))
    await onboard(ana, "Ana", "Belgique", "Herent")
    await onboard(eve, "Eve", "Belgique", "Leuven")
    done = await run_to_end(ana, await ana.send(Command("assess")))
    run_id = done.run_id
    refused = await eve.send(Tap(f"g:{run_id}"))
    assert not any(isinstance(e, ImageOffered) for e in refused.events)

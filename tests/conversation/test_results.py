"""`/results` and charts: the municipality's latest result, who answered, the chart on request."""

from __future__ import annotations

from pathlib import Path

from bot.conversation.conversations import Conversations
from bot.flow.events import MessageCreated
from bot.messages import ChartOffered, Command, ConversationKey, ImageOffered, Notice, Tap
from bot.programme.seeding import seed_content
from bot.storage import Store
from tests.conversation.autopilot import run_to_end
from tests.conversation.conftest import Clock, Talker, make_service
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


async def test_results_show_every_flow_s_latest_result_with_who_and_when(
    service: Conversations,
) -> None:
    from tests.conversation.scenario import herent_year

    ana = Talker(service, ConversationKey("test", "ana3"))
    ben = Talker(service, ConversationKey("test", "ben3"))
    eve = Talker(service, ConversationKey("test", "eve3"))
    await onboard(ana, "Ana", "Belgique", "Herent")
    await onboard(ben, "Ben", "Belgique", "Herent")
    await onboard(eve, "Eve", "Belgique", "Leuven")
    await herent_year(ana)

    shown = await ben.send(Command("results"))
    headers = [e.text for e in shown.events if isinstance(e, Notice)]
    titles = ["Auto-évaluation ODD", "après-2030", "Semaine de la commune durable"]
    for title in titles:
        assert sum(title.lower() in h.lower() for h in headers) == 1, (title, headers)
    assert all(h.endswith(": Ana (22 novembre 2026)") for h in headers)  # once, not per run
    results = [e.text for e in shown.events if isinstance(e, MessageCreated) and e.is_result]
    assert len(results) == len(headers) == 3  # one message per flow, the latest run each
    assert all(len(text) < 4096 for text in results)
    assert "<script>" not in "".join(results)  # a hero's name is escaped, never markup
    # Leuven sees none of Herent's results
    other = await eve.send(Command("results"))
    assert not any(isinstance(e, MessageCreated) and e.is_result for e in other.events)


async def test_a_coordinator_s_own_flow_with_a_result_is_shown(
    store: Store, clock: Clock, tmp_path: Path
) -> None:
    (tmp_path / "water.yaml").write_text(WATER, encoding="utf-8")
    await seed_content(store)
    service = make_service(store, clock, tmp_path)
    try:
        ana = Talker(service, ConversationKey("test", "ana4"))
        await onboard(ana, "Ana", "Belgique", "Herent")
        await run_to_end(ana, await ana.send(Command("water")))
        shown = await ana.send(Command("results"))
        assert any(isinstance(e, Notice) and "Water check" in e.text for e in shown.events)
        assert any(isinstance(e, MessageCreated) and "Plan: yes" in e.text for e in shown.events)
    finally:
        await service.close()


WATER = """\
id: water_check
version: 1
title: Water check
languages: [en]
command: water
steps:
  - id: plan
    kind: yesno
    text: Does your municipality have a water plan?
  - id: result
    kind: summary
    result: true
    text: "Plan: {{ 'yes' if plan else 'no' }}"
"""

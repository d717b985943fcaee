"""Milestones: what a municipality has already done, as new runs see it (`context.done`)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.conversation.conversations import Conversations
from bot.messages import Command, ConversationKey
from bot.missions.assessment_advice import assessment_next_steps
from bot.programme.milestones import parse, shipped
from bot.storage import Store
from bot.storage.models import FlowRun
from tests.conversation.autopilot import run_to_end
from tests.conversation.conftest import Talker
from tests.conversation.test_partners import onboard


async def latest_run(store: Store, flow_id: str) -> FlowRun:
    async with store.transaction(readonly=True) as tx:
        runs = (
            await tx.session.execute(
                select(FlowRun).where(FlowRun.flow_id == flow_id).order_by(FlowRun.id)
            )
        ).scalars()
        return list(runs)[-1]


async def test_a_municipality_registered_for_the_week_is_not_told_to_join_it(
    service: Conversations, store: Store
) -> None:
    ana = Talker(service, ConversationKey("test", "a1"), language_code="fr")
    await onboard(ana, "Ana", "Belgique", "Herent")
    await run_to_end(ana, await ana.send(Command("assess")))
    before = await latest_run(store, "sdg_assessment")
    assert "week" not in before.state["context"]["done"]

    await run_to_end(ana, await ana.send(Command("week")))
    await run_to_end(ana, await ana.send(Command("assess")))
    after = await latest_run(store, "sdg_assessment")
    assert after.id != before.id
    assert "week" in after.state["context"]["done"]
    assert "week" not in after.state["vars"]["next_steps"]
    assert len(after.state["vars"]["next_steps"]) >= 1


def test_next_steps_leave_out_what_is_done() -> None:
    assert assessment_next_steps({}, 3) == ["peer", "week", "post2030"]
    assert assessment_next_steps({}, 3, ["week"]) == ["peer", "post2030"]


def test_the_shipped_milestones_read_and_mistakes_are_named() -> None:
    names = [m.name for m in shipped()]
    assert names[:2] == ["week", "post2030"] and "twinning" in names
    with pytest.raises(ValueError, match="unknown field 'flwo'"):
        parse({"milestones": {"x": {"flwo": "post2030"}}})
    with pytest.raises(ValueError, match="give a flow or twinning"):
        parse({"milestones": {"x": {"within": 3}}})
    with pytest.raises(ValueError, match="within is a number of days"):
        parse({"milestones": {"x": {"flow": "f", "within": "soon"}}})

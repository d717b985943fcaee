"""Deadlines as use cases: completing a flow closes them, roles are checked, changes audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.conversation.conversations import Conversations
from bot.messages import Command, ConversationKey, Notice, Reply
from bot.programme import deadlines
from bot.programme.actors import Actor, NotAllowed
from bot.scheduling.deadlines import ClosedBy, parse
from bot.scheduling.planner import seed_deadlines
from bot.storage import Store
from bot.storage.models import AuditEntry, DeadlineDone, FlowRun, User
from tests.conversation.autopilot import run_to_end
from tests.conversation.conftest import Clock, Talker
from tests.conversation.test_partners import onboard

TERMINAL = Actor.terminal("tester")


def notices(reply: Reply) -> str:
    return "\n".join(e.text for e in reply.events if isinstance(e, Notice))


async def marks(store: Store, deadline_id: str) -> list[DeadlineDone]:
    async with store.transaction(readonly=True) as tx:
        rows = await tx.session.execute(
            select(DeadlineDone).where(DeadlineDone.deadline_id == deadline_id)
        )
        return list(rows.scalars())


async def checkin_progress(store: Store, today: date) -> deadlines.Progress:
    async with store.transaction(readonly=True) as tx:
        _, chosen = await deadlines.find_occurrences(
            tx, TERMINAL, "partnership_checkin", None, today
        )
        ours = next(o for o in chosen if o.partnership == "brasschaat-tarija")
        return await deadlines.progress(tx, ours, Clock().now)


async def test_a_twinnings_checkin_is_done_once_both_sides_completed_it(
    service: Conversations, store: Store, clock: Clock
) -> None:
    await seed_deadlines(store, clock())
    north = Talker(service, ConversationKey("test", "n1"), language_code="nl")
    south = Talker(service, ConversationKey("test", "s1"), language_code="es")
    await onboard(north, "Wim", "België", "Brasschaat")
    await onboard(south, "Lucía", "Bolivia", "Tarija")
    assert (await checkin_progress(store, clock().date())).pending == 2

    first = await run_to_end(north, await north.send(Command("checkin")), score=4)
    assert await marks(store, "partnership_checkin") == []  # one side is not the twinning
    assert "gedaan" not in notices(first)
    assert (await checkin_progress(store, clock().date())).pending == 1

    second = await run_to_end(south, await south.send(Command("checkin")), score=2)
    done = await marks(store, "partnership_checkin")
    assert len(done) == 2 and {m.scope for m in done} == {f"m:{m.municipality_id}" for m in done}
    assert "anotado como hecho" in notices(second)
    progress = await checkin_progress(store, clock().date())
    assert progress.pending == 0 and progress.total == 2


async def test_registering_for_the_week_closes_registration_but_not_heroes(
    service: Conversations, store: Store, clock: Clock
) -> None:
    await seed_deadlines(store, clock())
    north = Talker(service, ConversationKey("test", "n2"), language_code="fr")
    await onboard(north, "Wim", "Belgique", "Brasschaat")
    last = await run_to_end(north, await north.send(Command("week")))
    async with store.transaction(readonly=True) as tx:
        run = (
            await tx.session.execute(select(FlowRun).where(FlowRun.flow_id == "municipality_week"))
        ).scalar_one()
    registered = bool(run.state["vars"].get("registered"))
    heroes = int(run.state["vars"].get("hero_count") or 0)
    assert registered, "the autopilot registers for the Week"
    assert [m.deadline_id for m in await marks(store, "week_registration")] == ["week_registration"]
    assert bool(await marks(store, "week_heroes")) == (heroes > 0)
    assert "Inscription à la Semaine" in notices(last)


def test_closed_by_reads_and_checks_its_condition() -> None:
    spec = {
        "id": "x",
        "title": "X",
        "due": "2027-01-31",
        "flow": "f",
        "closed_by": {"flow": "f", "when": "hero_count > 2"},
    }
    deadline, problems = parse(spec)
    assert problems == [] and deadline is not None
    assert deadline.closing == ClosedBy("f", "hero_count > 2")
    assert deadline.closing.holds({}, {"hero_count": 3})
    assert not deadline.closing.holds({}, {"hero_count": 1})
    assert parse({**spec, "closed_by": {"flow": "f", "when": "(("}})[1]
    assert parse({**spec, "closed_by": {"flow": "f", "both_sides": True}})[1]  # not a twinning's
    assert parse({k: v for k, v in spec.items() if k != "closed_by"})[0].closing == ClosedBy("f")


async def test_keeping_the_calendar_needs_a_coordinator_and_is_audited(
    service: Conversations, store: Store, clock: Clock
) -> None:
    talker = Talker(service, ConversationKey("test", "u1"))
    await onboard(talker, "Ana", "Belgique", "Herent")
    deadline, _ = parse({"id": "local_plan", "title": "Plan", "due": "2027-03-31"})
    assert deadline is not None
    async with store.transaction() as tx:
        user = (await tx.session.execute(select(User))).scalar_one()
        with pytest.raises(NotAllowed):
            await deadlines.save(tx, Actor.of_user(user), deadline, clock())
        assert await deadlines.save(tx, TERMINAL, deadline, clock()) == "add"
    async with store.transaction(readonly=True) as tx:
        entries = (await tx.session.execute(select(AuditEntry))).scalars().all()
        assert [
            (e.actor, e.details["deadline"]) for e in entries if e.action == "deadline_change"
        ] == [("cli:tester", "local_plan")]

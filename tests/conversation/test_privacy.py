"""Each person's data (bot/programme/privacy.py, bot/outputs/consent.py): /mydata, /forget,
retention, hero consent."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.conversation.conversations import Conversations
from bot.flow.state import TextInput
from bot.messages import Command, ConversationKey, FileOffered, Reply, Tap
from bot.outputs.consent import WITHHELD, consented_heroes, redact_answers
from bot.programme.privacy import erase_stale_runs, forget_user
from bot.storage import Store
from bot.storage.models import Answer, AuditEntry, FlowRun, User
from tests.conversation.conftest import Clock, Talker


async def onboard(talker: Talker, place: str = "Herent") -> Reply:
    await talker.send(Command("start"))
    reply = Reply()
    for answer in ["1", f"Person {talker.key.external_id}", "élue", "Belgique", place]:
        reply = await talker.send(TextInput(answer))
    return reply


async def counts(store: Store) -> tuple[int, int, int]:
    async with store.transaction(readonly=True) as tx:
        users = (await tx.session.execute(select(func.count(User.id)))).scalar_one()
        runs = (await tx.session.execute(select(func.count(FlowRun.id)))).scalar_one()
        answers = (await tx.session.execute(select(func.count(Answer.id)))).scalar_one()
    return int(users), int(runs), int(answers)


async def test_mydata_then_forget_erases_everything(service: Conversations, store: Store) -> None:
    ana = Talker(service, ConversationKey("telegram", "1"))
    await onboard(ana)
    reply = await ana.send(Command("mydata"))
    files = [e for e in reply.events if isinstance(e, FileOffered)]
    data = json.loads(files[0].content)
    assert data["user"]["name"] == "Person 1" and data["user"]["municipality"] == "Herent"
    assert data["runs"][0]["flow"] == "onboarding"
    assert data["runs"][0]["answers"]["name"] == "Person 1"
    assert await counts(store) == (1, 1, 5)
    confirm = await ana.send(Command("forget"))
    assert await counts(store) == (1, 1, 5)  # nothing before the confirmation
    assert confirm.events
    await ana.send(Tap("c:forgetyes"))
    assert await counts(store) == (0, 0, 0)


async def test_forget_scrubs_copies_in_other_runs(
    service: Conversations, store: Store, clock: Clock
) -> None:
    async with store.transaction() as tx:
        place = await tx.add_municipality("Herent", "BE")
        first = await tx.get_or_create_user("telegram", "1", municipality_id=place.id, name="A")
        second = await tx.get_or_create_user("telegram", "2", municipality_id=place.id, name="B")
        mine = {"path": "quick", "council": "yes"}
        run = await tx.create_run(
            first.id,
            "sdg_assessment",
            "1",
            state={"answers": mine, "context": {}},
            municipality_id=place.id,
            started_at=clock.now,
        )
        await tx.save_run(
            run,
            state={"answers": mine, "context": {}},
            status="completed",
            waiting_since=None,
            completed_at=clock.now,
            updated_at=clock.now,
        )
        later = clock.now + timedelta(days=1)
        copy = {
            "answers": {"path": "full"},
            "context": {"previous": {"answers": mine, "by": "A"}, "user": {"name": "B"}},
        }
        kept = await tx.create_run(
            second.id, "sdg_assessment", "1", state=copy, municipality_id=place.id, started_at=later
        )
        third = await tx.get_or_create_user("telegram", "3", municipality_id=place.id)
        partner = await tx.create_run(
            third.id,
            "partnership_checkin",
            "1",
            started_at=later,
            state={"context": {"partner_answers": mine}},
        )
        await tx.add_audit(first.key, "export", {"flow": "x"}, actor_user_id=first.id)
    async with store.transaction() as tx:
        user = await tx.get_user("telegram", "1")
        assert user is not None
        forgotten = await forget_user(tx, user)
    assert forgotten.runs == 1 and forgotten.scrubbed_copies == 1
    async with store.transaction(readonly=True) as tx:
        scrubbed = await tx.run(kept.id)
        assert scrubbed is not None
        assert scrubbed.state["context"] == {"previous": None, "user": {"name": "B"}}
        assert scrubbed.state["answers"] == {"path": "full"}
        other_flow = await tx.run(partner.id)
        # Another flow's copy is left alone: equal answers there are not a copy of this run.
        assert other_flow is not None and other_flow.state["context"]["partner_answers"]
        entry = (await tx.session.execute(select(AuditEntry))).scalar_one()
        assert entry.actor.startswith("erased-user#") and entry.actor_user_id is None
        text = json.dumps(
            [r.state for r in (await tx.session.execute(select(FlowRun))).scalars().all()]
        )
        assert '"A"' not in text


async def test_retention_erases_only_old_unfinished_runs(store: Store, clock: Clock) -> None:
    old = clock.now - timedelta(days=200)
    async with store.transaction() as tx:
        user = await tx.get_or_create_user("telegram", "1")
        other = await tx.get_or_create_user("telegram", "2")
        third = await tx.get_or_create_user("telegram", "3")
        stale = await tx.create_run(user.id, "week", "1", state={}, started_at=old)
        await tx.record_answer(stale.id, "register", "yesno", True)
        await tx.save_run(
            stale,
            state={},
            status="cancelled",
            waiting_since=None,
            completed_at=None,
            updated_at=old,
        )
        done = await tx.create_run(other.id, "week", "1", state={}, started_at=old)
        await tx.save_run(
            done, state={}, status="completed", waiting_since=None, completed_at=old, updated_at=old
        )
        fresh = await tx.create_run(third.id, "week", "1", state={}, started_at=clock.now)
        await tx.save_run(
            fresh,
            state={},
            status="active",
            waiting_since=clock.now,
            completed_at=None,
            updated_at=clock.now,
        )
    assert await erase_stale_runs(store, clock.now, 180) == 1
    assert await erase_stale_runs(store, clock.now, 180) == 0
    async with store.transaction(readonly=True) as tx:
        left = (await tx.session.execute(select(FlowRun.id).order_by(FlowRun.id))).scalars().all()
        assert list(left) == [done.id, fresh.id]
        assert await tx.answers(stale.id) == {}
        entries = await tx.audit_entries(action="retention_erase")
        assert [e.details["runs"] for e in entries] == [1]


def test_hero_names_need_consent() -> None:
    heroes = [
        {"hero_name": "Ana", "hero_consent": True},
        {"hero_name": "Bo", "hero_consent": False},
        {"hero_name": "Cy"},
        "junk",
    ]
    assert consented_heroes(heroes) == [{"hero_name": "Ana", "hero_consent": True}]
    values, labels = redact_answers(
        "municipality_week",
        {"hero_name": "Bo", "hero_what": "x", "hero_consent": False, "hero_keep": heroes[:2]},
        {"hero_name": "Bo"},
    )
    assert values["hero_name"] == WITHHELD and labels["hero_name"] == WITHHELD
    assert values["hero_what"] == WITHHELD
    assert [h["hero_name"] for h in values["hero_keep"]] == ["Ana", WITHHELD]
    assert redact_answers("sdg_assessment", {"hero_name": "Bo"})[0] == {"hero_name": "Bo"}

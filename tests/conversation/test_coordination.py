"""Coordinators in the bot (bot/service/coordination.py): roles, /export, /stats, requests."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.conversation.conversations import Conversations
from bot.flow.state import TextInput
from bot.messages import (
    Command,
    ConversationKey,
    FileOffered,
    MenuOffered,
    Notice,
    Reply,
    Tap,
)
from bot.programme.actors import has_role
from bot.programme.roles import anonymous_average, apply_seeded_coordinators, can_see_run
from bot.programme.stats import period_start
from bot.storage import Store
from bot.storage.models import AuditEntry, FlowRun, OutboxItem, Partnership, User
from tests.conversation.conftest import Talker

COORDINATOR_ID = "900"
REFUSAL = "réservée aux coordinateurs"


def coordinating(service: Conversations) -> Conversations:
    """The same service with SDGBOT_COORDINATORS listing `COORDINATOR_ID`."""
    service.settings = service.settings.model_copy(
        update={"coordinators": frozenset({COORDINATOR_ID})}
    )
    return service


async def onboard(talker: Talker, role: str = "élue", place: str = "Herent") -> Reply:
    await talker.send(Command("start"))
    reply = Reply()
    for answer in ["1", f"Person {talker.key.external_id}", role, "Belgique", place]:
        reply = await talker.send(TextInput(answer))
    return reply


def texts(reply: Reply) -> str:
    return "\n".join(getattr(e, "text", "") for e in reply.events)


async def audit_count(store: Store) -> int:
    async with store.transaction(readonly=True) as tx:
        return int((await tx.session.execute(select(func.count(AuditEntry.id)))).scalar_one())


async def test_plain_users_are_refused_and_nothing_happens(
    service: Conversations, store: Store
) -> None:
    user = Talker(service, ConversationKey("telegram", "1"))
    await onboard(user)
    before = await audit_count(store)
    for payload in (
        Command("export"),
        Command("export_week"),
        Command("stats"),
        Command("requests"),
        Tap("c:approve"),
        Tap("c:refuse"),
        Tap("c:export_assess"),
    ):
        reply = await user.send(payload)
        assert REFUSAL in texts(reply), payload
        assert not any(isinstance(e, FileOffered | MenuOffered) for e in reply.events)
        assert reply.queued == 0  # nobody else is told anything
    assert await audit_count(store) == before
    async with store.transaction(readonly=True) as tx:
        person = await tx.get_user("telegram", "1")
        assert person is not None and person.role == "user"


async def test_seeded_coordinator_exports_xlsx_and_it_is_audited(
    service: Conversations, store: Store
) -> None:
    coordinating(service)
    await onboard(Talker(service, ConversationKey("telegram", "1")))  # someone answered
    boss = Talker(service, ConversationKey("telegram", COORDINATOR_ID), language_code="en")
    await onboard(boss, "coordinator")
    menu = await boss.send(Command("export"))
    offered = [e for e in menu.events if isinstance(e, MenuOffered)]
    assert offered and "c:export_week" in [o.id for o in offered[0].options]
    empty = await boss.send(Tap("c:export_week"))
    assert "nothing to export" in texts(empty)
    assert await audit_count(store) == 0
    async with store.transaction() as tx:  # a completed Sustainable Municipality Week run
        someone = await tx.get_user("telegram", "1")
        assert someone is not None
        run = await tx.create_run(
            someone.id, "municipality_week", "1", state={}, municipality_id=someone.municipality_id
        )
        await tx.record_answer(run.id, "register", "yesno", True, "Oui")
    reply = await boss.send(Tap("c:export_week"))
    files = [e for e in reply.events if isinstance(e, FileOffered)]
    assert len(files) == 1 and files[0].filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(files[0].content))
    assert book["runs"]["C1"].value == "municipality" and book["runs"]["J2"].value is True
    questions = {row[1].value: row[2].value for row in book["questions"].iter_rows(min_row=2)}
    assert questions["municipality"] == "Municipality"  # in the coordinator's language
    async with store.transaction(readonly=True) as tx:
        entries = await tx.audit_entries(action="export")
        assert [e.actor for e in entries] == [f"telegram:{COORDINATOR_ID}"]
        assert entries[0].details["flow"] == "municipality_week"
    await boss.send(Command("lite"))
    lite = await boss.send(Tap("c:export_week"))
    assert not any(isinstance(e, FileOffered) for e in lite.events)
    assert "/lite" in texts(lite)


async def test_stats_shows_who_answered_what_per_country(service: Conversations) -> None:
    coordinating(service)
    await onboard(Talker(service, ConversationKey("telegram", "1")))
    await onboard(Talker(service, ConversationKey("telegram", "2")), place="Edegem")
    second = Talker(service, ConversationKey("telegram", "2"))
    await second.send(Command("week"))  # in progress
    boss = Talker(service, ConversationKey("telegram", COORDINATOR_ID), language_code="en")
    await onboard(boss, "coordinator")
    reply = await boss.send(Command("stats"))
    text = texts(reply)
    assert "2026-Q4" in text and "Belgium" in text
    assert "Edegem" in text and "Person 2" in text and "⏳1" in text


async def test_requests_are_approved_once_even_by_two_coordinators(
    service: Conversations, store: Store
) -> None:
    coordinating(service)
    candidate = Talker(service, ConversationKey("telegram", "5"), language_code="es")
    await onboard(candidate, "coordinateur")
    async with store.transaction(readonly=True) as tx:
        asking = await tx.get_user("telegram", "5")
        assert asking is not None and asking.requested_role == "coordinator"
        assert asking.role == "user"
    first = Talker(service, ConversationKey("telegram", COORDINATOR_ID), language_code="en")
    await onboard(first, "coordinator")
    async with store.transaction() as tx:  # a second coordinator, made one by the CLI
        other = await tx.get_or_create_user("telegram", "901", role="coordinator", language="en")
        await tx.update_user(other, role="coordinator")
    second = Talker(service, ConversationKey("telegram", "901"), language_code="en")
    shown = await first.send(Command("requests"))
    assert "Person 5" in texts(shown)
    assert "Person 5" in texts(await second.send(Command("requests")))
    approved = await first.send(Tap("c:approve"))
    assert "Person 5 now has the coordinator role" in texts(approved)
    assert approved.queued == 1  # the candidate is told through the outbox, in their language
    (notice,) = await notices(store, "5")
    assert "coordinador" in notice.payload["texts"]["es"]
    late = await second.send(Tap("c:refuse"))
    assert "already handled" in texts(late)
    async with store.transaction(readonly=True) as tx:
        asking = await tx.get_user("telegram", "5")
        assert asking is not None and (asking.role, asking.requested_role) == ("coordinator", None)
        changes = await tx.audit_entries(action="role_change")
        assert (changes[0].actor, changes[0].details["to"]) == (
            f"telegram:{COORDINATOR_ID}",
            "coordinator",
        )
        assert await tx.audit_entries(action="role_request_refused") == []


async def test_refusing_keeps_normal_access(service: Conversations, store: Store) -> None:
    coordinating(service)
    candidate = Talker(service, ConversationKey("telegram", "6"))
    await onboard(candidate, "coordinateur")
    boss = Talker(service, ConversationKey("telegram", COORDINATOR_ID), language_code="en")
    await onboard(boss, "coordinator")
    await boss.send(Command("requests"))
    refused = await boss.send(Tap("c:refuse"))
    assert "refused" in texts(refused) and "No access requests" in texts(refused)
    (notice,) = await notices(store, "6")
    assert "n’a pas été retenue" in notice.payload["texts"]["fr"]
    async with store.transaction(readonly=True) as tx:
        person = await tx.get_user("telegram", "6")
        assert person is not None and (person.role, person.requested_role) == ("user", None)
        assert len(await tx.audit_entries(action="role_request_refused")) == 1
    nothing = await boss.send(Tap("c:approve"))
    assert "already handled" in texts(nothing)


async def test_seeded_coordinators_apply_to_existing_users(
    service: Conversations, store: Store
) -> None:
    await onboard(Talker(service, ConversationKey("telegram", COORDINATOR_ID)))
    async with store.transaction(readonly=True) as tx:
        before = await tx.get_user("telegram", COORDINATOR_ID)
        assert before is not None and before.role == "user"
    assert await apply_seeded_coordinators(store, {COORDINATOR_ID, "12345"}) == 1
    assert await apply_seeded_coordinators(store, {COORDINATOR_ID}) == 0
    async with store.transaction(readonly=True) as tx:
        after = await tx.get_user("telegram", COORDINATOR_ID)
        assert after is not None and after.role == "coordinator"
        entries = await tx.audit_entries(action="role_change")
        assert entries[0].actor == "config:SDGBOT_COORDINATORS"


async def test_a_listed_user_becomes_coordinator_on_first_command(
    service: Conversations, store: Store
) -> None:
    talker = Talker(service, ConversationKey("telegram", COORDINATOR_ID))
    await onboard(talker)
    coordinating(service)
    reply = await talker.send(Command("stats"))
    assert REFUSAL not in texts(reply)
    assert any(isinstance(e, Notice) and "2026-Q4" in e.text for e in reply.events)


def test_anonymous_average_needs_five_municipalities() -> None:
    four = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0}
    assert anonymous_average(four) is None
    assert anonymous_average({**four, "e": None, "f": math.nan}) is None
    assert anonymous_average({**four, "e": 5.0}) == 3.0
    assert anonymous_average({**four, "e": 5.0}, exclude="e") is None  # own one left out
    assert anonymous_average({**four, "e": 5.0, "f": 0.0}, exclude="e") == 2.0
    assert anonymous_average({"a": 2.0}, minimum=1) == 2.0


def test_who_sees_which_run() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    herent = User(
        id=1, role="user", municipality_id=10, channel="t", external_id="1", created_at=when
    )
    tarija = User(id=2, role="user", municipality_id=20, channel="t", external_id="2")
    other = User(id=3, role="user", municipality_id=30, channel="t", external_id="3")
    boss = User(id=4, role="coordinator", municipality_id=None, channel="t", external_id="4")
    twinning = Partnership(id=7, north_municipality_id=10, south_municipality_id=20)
    assessment = FlowRun(id=1, user_id=1, municipality_id=10, partnership_id=None)
    checkin = FlowRun(id=2, user_id=2, municipality_id=20, partnership_id=7)
    assert can_see_run(herent, assessment) and not can_see_run(tarija, assessment)
    assert can_see_run(herent, checkin, twinning) and can_see_run(tarija, checkin, twinning)
    assert not can_see_run(other, checkin, twinning) and not can_see_run(other, assessment)
    assert can_see_run(boss, assessment) and can_see_run(boss, checkin)
    assert has_role(boss, "coordinator") and not has_role(boss, "admin")


def test_period_start_is_the_quarter_in_the_users_zone() -> None:
    period, start = period_start(datetime(2026, 3, 31, 23, 30, tzinfo=UTC), "Europe/Brussels")
    assert period == "2026-Q2"
    assert start.isoformat() == "2026-04-01T00:00:00+02:00"


async def test_a_plain_users_broadcast_reaches_nobody(service: Conversations, store: Store) -> None:
    pytest.importorskip("bot.conversation.reminders")  # registers /broadcast (scheduling)
    from bot.storage.models import Broadcast, OutboxItem

    await onboard(Talker(service, ConversationKey("telegram", "2")))
    user = Talker(service, ConversationKey("telegram", "1"))
    await onboard(user)
    for payload in (Command("broadcast", "Hello everyone"), Tap("c:bcsend")):
        reply = await user.send(payload)
        assert REFUSAL in texts(reply), payload
        assert reply.queued == 0  # nobody else is told anything
    async with store.transaction(readonly=True) as tx:
        for table in (Broadcast, OutboxItem, AuditEntry):
            rows = (await tx.session.execute(select(func.count()).select_from(table))).scalar()
            assert rows == 0, table


async def notices(store: Store, external_id: str) -> list[OutboxItem]:
    """The decisions the person with `external_id` is to be told about (outbox rows)."""
    async with store.transaction(readonly=True) as tx:
        person = await tx.get_user("telegram", external_id)
        assert person is not None
        return list(await tx.outbox_items(kind="notice", user_id=person.id))

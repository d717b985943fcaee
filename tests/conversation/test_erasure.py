"""Proof that `/forget` erases: afterwards no table holds the person's id, name or typed texts.

Regression for an adversarial run: after "your profile and answers are erased", the inbox still
held the person's Telegram updates (name, id, the municipality they typed) until pruning a day
later. The proof reads every table the migrations created (listed by the database's inspector,
so a table added later is covered without touching this test) and searches every value.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, inspect, select, table, text

from bot.conversation.conversations import Conversations
from bot.flow.state import Input, TextInput
from bot.messages import Command, ConversationKey, Incoming, Reply, Tap
from bot.programme.privacy import erase_stale_runs
from bot.storage import Store
from bot.storage.audit import ACTION_ROLE_CHANGE
from tests.conversation.conftest import UPDATE_IDS, Clock, asked, recorded

PERSON_ID = "918273645"
PERSON_NAME = "Quorbla Zentrif"
PLACE = "Zentrifville-sur-Quorbe"
MARKER = "XYLOMARK"
OTHER_ID = "564738291"
OTHER_NAME = "Bertil Ohlsson"


class TelegramTalker:
    """Sends inputs as a channel does: kept in the inbox as a Telegram update, then handled."""

    def __init__(self, service: Conversations, external_id: str, name: str) -> None:
        self.service = service
        self.key = ConversationKey("telegram", external_id)
        self.name = name

    async def send(self, payload: Input | Command | Tap, typed: str,
                   update_id: int | None = None) -> Reply:  # fmt: skip
        update_id = next(UPDATE_IDS) if update_id is None else update_id
        first, _, last = self.name.partition(" ")
        person = {"id": int(self.key.external_id), "is_bot": False, "first_name": first,
                  "last_name": last, "language_code": "fr"}  # fmt: skip
        update = {"update_id": update_id,
                  "message": {"message_id": update_id, "date": 1795000000, "text": typed,
                              "from": person, "chat": {**person, "type": "private"}}}  # fmt: skip
        await self.service.keep_fetched("telegram", [(update_id, update)])
        incoming = Incoming(self.key, payload, update_id=update_id, name=self.name,
                            language_code="fr")  # fmt: skip
        reply = await self.service.handle(incoming)
        if not reply.duplicate:
            await self.service.mark_replied(self.key, update_id)
        return reply

    async def type(self, typed: str) -> Reply:
        """Type a text (a command when it starts with "/")."""
        if typed.startswith("/"):
            return await self.send(Command(typed[1:]), typed)
        return await self.send(TextInput(typed), typed)


async def onboarded(service: Conversations, clock: Clock, talker: TelegramTalker) -> None:
    """Onboard, typing the talker's name and (for the person) a municipality of their own."""
    await talker.type("/start")
    place = PLACE if talker.name == PERSON_NAME else "Herent"
    for answer in ["1", talker.name, "élue", "Belgique", place]:
        clock.advance(seconds=3)
        reply = await talker.type(answer)
    if not recorded(reply):  # a new municipality is confirmed first
        clock.advance(seconds=3)
        reply = await talker.type("1")
    assert "municipality" in recorded(reply)


async def everything_stored(store: Store) -> dict[str, list[str]]:
    """Every row of every table in the database, each value as text, by table."""

    def table_names(sync: Connection) -> list[str]:
        return inspect(sync).get_table_names()

    def column_names(sync: Connection, name: str) -> list[str]:
        return [column["name"] for column in inspect(sync).get_columns(name)]

    async with store.engine.connect() as connection:
        names = await connection.run_sync(table_names)
        found: dict[str, list[str]] = {}
        for name in names:
            columns = await connection.run_sync(column_names, name)
            rows = (await connection.execute(select(text("*")).select_from(table(name)))).all()
            assert all(len(row) == len(columns) for row in rows)
            found[name] = [_as_text(value) for row in rows for value in row]
    return found


def _as_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    text_value = str(value)
    if text_value.startswith(("{", "[")):  # JSON stored as text: read its escapes too
        try:
            return json.dumps(json.loads(text_value), ensure_ascii=False)
        except ValueError:
            return text_value
    return text_value


def traces(stored: dict[str, list[str]], *needles: str) -> dict[str, set[str]]:
    """Which tables hold which of `needles` anywhere in a value."""
    hits: dict[str, set[str]] = {}
    for name, values in stored.items():
        for needle in needles:
            if any(needle.casefold() in value.casefold() for value in values):
                hits.setdefault(name, set()).add(needle)
    return hits


async def test_forget_leaves_nothing_of_the_person_in_any_table(
    service: Conversations, store: Store, clock: Clock
) -> None:
    person = TelegramTalker(service, PERSON_ID, PERSON_NAME)
    other = TelegramTalker(service, OTHER_ID, OTHER_NAME)
    await onboarded(service, clock, other)
    await onboarded(service, clock, person)
    # A flow with typed answers carrying the marker, left open, and text outside any flow.
    clock.advance(seconds=3)
    assert asked(await person.type("/demo"))
    for answer in ["1", f"Idée {MARKER} pour la place"]:
        clock.advance(seconds=3)
        await person.type(answer)
    clock.advance(seconds=3)
    await person.type("/cancel")
    clock.advance(seconds=3)
    await person.type(f"Une remarque {MARKER} hors de tout questionnaire")
    async with store.transaction() as tx:
        me = await tx.get_user("telegram", PERSON_ID)
        bob = await tx.get_user("telegram", OTHER_ID)
        assert me is not None and bob is not None
        await tx.update_user(me, role="coordinator")
        broadcast = await tx.add_broadcast(
            texts={"fr": "Rappel"}, audience=["all"], status="queued", created_by=me.key,
            created_at=clock.now)  # fmt: skip
        await tx.enqueue([
            {"key": f"broadcast:{broadcast.id}:{me.id}", "kind": "broadcast", "user_id": me.id,
             "broadcast_id": broadcast.id, "due_at": clock.now},
            {"key": f"reminder:x:2026:0:{me.id}", "kind": "reminder", "user_id": me.id,
             "due_at": clock.now, "payload": {"deadline": "x", "for": PERSON_NAME}},
            {"key": f"broadcast:{broadcast.id}:{bob.id}", "kind": "broadcast", "user_id": bob.id,
             "broadcast_id": broadcast.id, "due_at": clock.now},
        ], clock.now)  # fmt: skip
        await tx.add_audit(me.key, "export", {"flow": "demo"}, actor_user_id=me.id)
        await tx.add_audit(
            "cli:alice",
            ACTION_ROLE_CHANGE,
            {"user": me.key, "name": PERSON_NAME, "to": "coordinator"},
        )
        await tx.add_audit("cli:alice", ACTION_ROLE_CHANGE, {"user": bob.key, "to": "admin"})
        await tx.set_role_review(bob.id, me.id, clock.now)
    needles = (PERSON_ID, PERSON_NAME, PLACE, MARKER)
    before = traces(await everything_stored(store), *needles)
    # The search does find the person where they are: inbox, users, runs, answers, audit…
    assert {"inbox", "users", "flow_runs", "answers", "audit_log", "municipalities",
            "broadcasts", "outbox"} <= set(before)  # fmt: skip
    assert set(needles) <= set().union(*before.values())

    clock.advance(seconds=3)
    assert (await person.type("/forget")).events
    clock.advance(seconds=3)
    await person.send(Tap("c:forgetyes"), "")

    stored = await everything_stored(store)
    assert traces(stored, *needles) == {}
    # Everyone else is untouched, and the facts stay: the audit rows, the broadcast.
    assert {"inbox", "users", "answers", "audit_log"} <= set(traces(stored, OTHER_ID, OTHER_NAME))
    async with store.transaction(readonly=True) as tx:
        assert len(await tx.audit_entries()) == 3
        assert (await tx.broadcast(broadcast.id)) is not None
        assert [item.user_id for item in await tx.outbox_items()] == [bob.id]


async def test_a_short_id_does_not_erase_a_longer_one(
    service: Conversations, store: Store, clock: Clock
) -> None:
    short = TelegramTalker(service, "4567", "Ada Short")
    longer = TelegramTalker(service, "145678", "Ada Longer")
    await short.type("/start")
    await longer.type("/start")
    await short.type("/forget")
    await short.send(Tap("c:forgetyes"), "")
    stored = await everything_stored(store)
    inbox = " ".join(stored["inbox"])
    assert '"id": 4567,' not in inbox and '"last_name": "Short"' not in inbox
    assert '"id": 145678,' in inbox and '"last_name": "Longer"' in inbox


async def test_retention_erases_what_forget_erases_with_a_run(
    service: Conversations, store: Store, clock: Clock
) -> None:
    person = TelegramTalker(service, PERSON_ID, PERSON_NAME)
    await person.type("/start")
    clock.advance(seconds=3)
    await person.type("1")
    clock.advance(seconds=3)
    asked_in = await person.type(f"{PERSON_NAME} {MARKER}")  # the name; the role is asked
    async with store.transaction() as tx:
        me = await tx.get_user("telegram", PERSON_ID)
        run = await tx.latest_run(me.id if me else 0)
        assert run is not None and run.state["asked_in"] is not None
        asked_update = run.state["asked_in"]
        await tx.enqueue(
            [
                {
                    "key": f"nudge:{run.id}",
                    "kind": "nudge",
                    "user_id": run.user_id,
                    "due_at": clock.now,
                    "payload": {"run_id": run.id},
                }
            ],
            clock.now,
        )
    assert asked(asked_in) == ["role"]
    later = clock.now + timedelta(days=200)
    assert await erase_stale_runs(store, later, 180) == 1
    async with store.transaction(readonly=True) as tx:
        assert await tx.processed("telegram", asked_update) is None
        assert await tx.outbox_items(kind="nudge") == []
        assert me is not None and await tx.latest_run(me.id) is None
    stored = await everything_stored(store)
    assert MARKER not in str(stored["answers"]) + str(stored["flow_runs"])


async def test_the_confirmation_delivered_again_does_not_bring_the_person_back(
    service: Conversations, store: Store, clock: Clock
) -> None:
    person = TelegramTalker(service, PERSON_ID, PERSON_NAME)
    await person.type("/start")
    await person.type("/forget")
    confirmation = next(UPDATE_IDS)
    await person.send(Tap("c:forgetyes"), "", update_id=confirmation)
    clock.advance(seconds=60)  # Telegram had no confirmation of it: it comes again
    again = await person.send(Tap("c:forgetyes"), "", update_id=confirmation)
    assert again.duplicate
    stored = await everything_stored(store)
    assert traces(stored, PERSON_ID, PERSON_NAME) == {}
    assert stored["users"] == []
